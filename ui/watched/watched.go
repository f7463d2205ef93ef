// Package watched is the Settings section for Cloudup in the background:
// the watched folders (each with its profile, destination folder, tags,
// public ID template, on/off and subfolders, and what it is doing now),
// whether finished uploads' links go to the clipboard, and what closing the
// window does while work goes on.
//
// It reads and writes core/desktop's settings off the UI goroutine (tasks
// of a bridge.Tasks), changes widgets only on the UI goroutine, and leaves
// running the watchers to the window (Deps.OnChanged): it never starts one
// itself.
package watched

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/watch"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
)

// Store is the desktop settings as this view uses them; *desktop.Store is one.
type Store interface {
	Load() (coredesktop.Settings, error)
	Update(func(*coredesktop.Settings) error) (coredesktop.Settings, error)
	PutFolder(watch.Folder) (watch.Folder, error)
	DeleteFolder(id string) error
}

// Deps is what the view works with.
type Deps struct {
	Store Store
	// Profiles lists the profile names a folder can upload to; it runs off
	// the UI goroutine.
	Profiles func() ([]string, error)
	// Status is a folder's state in the running watchers (nil: none).
	Status func(id string) (watch.Status, bool)
	Tasks  *bridge.Tasks
	Window fyne.Window
	// ShowDialog shows the section's dialogs (edit, remove, the folder
	// picker) over the one it sits in (dialogs.Stack.ShowOver); nil shows
	// them directly.
	ShowDialog func(dialog.Dialog)
	// OnChanged hears the settings after every save (on the UI goroutine).
	OnChanged func(coredesktop.Settings)
	// NoTray, when not empty, says there is no tray here (and so closing
	// the window always quits).
	NoTray string
}

// Close choices as the select shows them.
const (
	closeAsk  = "Ask each time"
	closeTray = "Keep working in the tray"
	closeQuit = "Quit (unfinished uploads continue next time)"
)

// View is the section.
type View struct {
	d        Deps
	settings coredesktop.Settings
	profiles []string

	list      *fyne.Container
	empty     *widget.Label
	status    *widget.Label
	copyLinks *dialogs.Check
	onClose   *dialogs.Select
	content   fyne.CanvasObject
	loading   bool
	form      *Form
}

// New builds the section and loads the settings.
func New(d Deps) *View {
	v := &View{d: d, list: container.NewVBox()}
	v.empty = widget.NewLabel("No folder is watched. Add one: files saved there upload by themselves, once they are complete.")
	v.empty.Wrapping = fyne.TextWrapWord
	v.empty.Importance = widget.LowImportance
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	add := widget.NewButtonWithIcon("Add folder…", theme.ContentAddIcon(), func() { v.Edit(watch.Folder{Enabled: true}) })
	v.copyLinks = dialogs.NewCheck("Copy the links of finished uploads to the clipboard", func(on bool) {
		if v.loading {
			return
		}
		v.update(func(s *coredesktop.Settings) { s.CopyLinks = on })
	})
	v.onClose = dialogs.NewSelect([]string{closeAsk, closeTray, closeQuit}, func(choice string) {
		if v.loading {
			return
		}
		v.update(func(s *coredesktop.Settings) {
			s.OnClose = map[string]coredesktop.OnClose{closeAsk: coredesktop.AskOnClose, closeTray: coredesktop.KeepInTray, closeQuit: coredesktop.QuitOnClose}[choice]
		})
	})
	copyNote := widget.NewLabel("In the profile's link format (URL, Markdown or HTML), one per line for a batch; a notification says what was copied, and why files failed.")
	copyNote.Wrapping = fyne.TextWrapWord
	copyNote.Importance = widget.LowImportance
	closeNote := widget.NewLabel("")
	closeNote.Wrapping = fyne.TextWrapWord
	closeNote.Importance = widget.LowImportance
	if d.NoTray != "" {
		closeNote.SetText(d.NoTray + " Closing the window quits; unfinished uploads continue when Cloudup starts again.")
		v.onClose.Disable()
	}
	heading := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.content = container.NewVBox(
		container.NewBorder(nil, nil, nil, add, heading("Watched folders")),
		v.empty, v.list,
		widget.NewSeparator(),
		heading("After uploading"), v.copyLinks, copyNote,
		widget.NewSeparator(),
		heading("Closing the window while uploads run or folders are watched"),
		v.onClose, closeNote,
		v.status,
	)
	v.Reload()
	return v
}

// Content is the section's widgets.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Settings is what the view shows now.
func (v *View) Settings() coredesktop.Settings { return v.settings }

// Status is the line under the section: what a save did, or why not.
func (v *View) Status() string { return v.status.Text }

// Reload reads the settings and the profile names off the UI goroutine.
func (v *View) Reload() {
	v.d.Tasks.Go(func(context.Context) func() {
		s, err := v.d.Store.Load()
		var names []string
		var perr error
		if v.d.Profiles != nil {
			names, perr = v.d.Profiles()
		}
		return func() {
			if err != nil {
				v.status.SetText(err.Error())
				return
			}
			if perr == nil {
				v.profiles = names
			}
			v.show(s)
		}
	})
}

func (v *View) show(s coredesktop.Settings) {
	v.settings = s
	v.loading = true
	v.copyLinks.SetChecked(s.CopyLinks)
	v.onClose.SetSelected(map[coredesktop.OnClose]string{coredesktop.AskOnClose: closeAsk, coredesktop.KeepInTray: closeTray, coredesktop.QuitOnClose: closeQuit}[s.OnClose])
	v.loading = false
	v.RefreshStatus()
}

// RefreshStatus redraws the folder rows with what each is doing now (the
// window calls it when a watcher's state changes).
func (v *View) RefreshStatus() {
	v.list.RemoveAll()
	for _, f := range v.settings.Watched {
		v.list.Add(v.row(f))
	}
	if len(v.settings.Watched) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.list.Refresh()
}

// row is one watched folder: on/off, where, where to, what it does now.
func (v *View) row(f watch.Folder) fyne.CanvasObject {
	on := dialogs.NewCheck("", nil)
	on.SetChecked(f.Enabled)
	on.OnChanged = func(enabled bool) {
		g := f
		g.Enabled = enabled
		v.save(g, nil)
	}
	where := widget.NewLabelWithStyle(Home(f.Dir), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	where.Truncation = fyne.TextTruncateEllipsis
	to := widget.NewLabel(Destination(f))
	to.Truncation = fyne.TextTruncateEllipsis
	state := widget.NewLabel(v.statusWords(f))
	state.Wrapping = fyne.TextWrapWord
	state.Importance = widget.LowImportance
	if st, ok := v.folderStatus(f); ok && (st.Phase == watch.Missing || st.Phase == watch.Blocked) {
		state.Importance = widget.WarningImportance
	}
	edit := widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() { v.Edit(f) })
	remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.confirmRemove(f) })
	text := container.NewVBox(where, to, state)
	return container.NewBorder(nil, widget.NewSeparator(), container.NewCenter(on), container.NewHBox(container.NewCenter(edit), container.NewCenter(remove)), text)
}

func (v *View) folderStatus(f watch.Folder) (watch.Status, bool) {
	if v.d.Status == nil {
		return watch.Status{}, false
	}
	return v.d.Status(f.ID)
}

// statusWords says what a folder is doing: off, watching, or why not.
func (v *View) statusWords(f watch.Folder) string {
	var extra []string
	if f.Subfolders {
		extra = append(extra, "with subfolders")
	}
	if !f.Enabled {
		return strings.Join(append([]string{"Off"}, extra...), ", ")
	}
	st, ok := v.folderStatus(f)
	words := "Starting…"
	if ok {
		words = upperFirst(st.Words())
		if st.Phase == watch.Watching && st.LeftAlone > 0 {
			extra = append(extra, fmt.Sprintf("%d files that were there before left alone", st.LeftAlone))
		}
	}
	return strings.Join(append([]string{words}, extra...), ", ")
}

// Home shortens a path under the home folder to ~/….
func Home(p string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if rel, err := filepath.Rel(home, p); err == nil && !strings.HasPrefix(rel, "..") {
			if rel == "." {
				return "~"
			}
			return "~" + string(filepath.Separator) + rel
		}
	}
	return p
}

// Destination says where a folder's files go: "to Work, folder shots,
// tags screen, ids {name}".
func Destination(f watch.Folder) string {
	parts := []string{"to " + f.Profile}
	if f.Folder != "" {
		parts = append(parts, "folder "+f.Folder)
	} else {
		parts = append(parts, "the profile's folder")
	}
	if len(f.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(f.Tags, ", "))
	}
	if f.PublicIDTemplate != "" {
		parts = append(parts, "public IDs "+f.PublicIDTemplate)
	}
	return strings.Join(parts, " · ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// update changes a general setting and saves it.
func (v *View) update(change func(*coredesktop.Settings)) {
	v.d.Tasks.Go(func(context.Context) func() {
		s, err := v.d.Store.Update(func(s *coredesktop.Settings) error { change(s); return nil })
		return func() { v.saved(s, err, "") }
	})
}

// save stores a folder; done (on the UI goroutine) hears whether it worked.
func (v *View) save(f watch.Folder, done func(error)) {
	v.status.SetText("Saving…")
	v.d.Tasks.Go(func(context.Context) func() {
		stored, err := v.d.Store.PutFolder(f)
		s, lerr := v.d.Store.Load()
		if err == nil {
			err = lerr
		}
		return func() {
			msg := ""
			if err == nil {
				msg = "Saved. " + Home(stored.Dir) + map[bool]string{true: " is watched.", false: " is not watched."}[stored.Enabled]
			}
			v.saved(s, err, msg)
			if done != nil {
				done(err)
			}
		}
	})
}

func (v *View) saved(s coredesktop.Settings, err error, msg string) {
	if err != nil {
		v.status.SetText("Not saved: " + err.Error())
		v.show(v.settings) // the row goes back to what is stored
		return
	}
	v.status.SetText(msg)
	v.show(s)
	if v.d.OnChanged != nil {
		v.d.OnChanged(s)
	}
}

func (v *View) confirmRemove(f watch.Folder) {
	d := dialog.NewConfirm("Stop watching "+filepath.Base(f.Dir)+"?",
		"Files saved there will no longer upload by themselves. What was uploaded stays on Cloudinary.", func(ok bool) {
			if !ok {
				return
			}
			v.d.Tasks.Go(func(context.Context) func() {
				err := v.d.Store.DeleteFolder(f.ID)
				s, lerr := v.d.Store.Load()
				if err == nil {
					err = lerr
				}
				return func() { v.saved(s, err, "Stopped watching "+Home(f.Dir)+".") }
			})
		}, v.d.Window)
	d.SetConfirmText("Stop watching")
	d.SetDismissText("Keep it")
	v.showDialog(d)
}

func (v *View) showDialog(d dialog.Dialog) {
	if v.d.ShowDialog != nil {
		v.d.ShowDialog(d)
		return
	}
	d.Show()
}

// Form is the add/edit dialog's fields (exported for tests in this package
// through the View's last form).
type Form struct {
	dir, folder, tags, template *dialogs.Entry
	profile                     *dialogs.Select
	subfolders, existing, on    *dialogs.Check
	problem                     *widget.Label
	save                        *widget.Button
	dialog                      *dialog.CustomDialog
}

// LastForm is the form the view opened last (tests fill it).
func (v *View) LastForm() *Form { return v.form }

// Edit opens the dialog for a folder (an empty ID adds one).
func (v *View) Edit(f watch.Folder) {
	fm := &Form{
		dir: dialogs.NewEntry(), folder: dialogs.NewEntry(), tags: dialogs.NewEntry(), template: dialogs.NewEntry(),
		profile:    dialogs.NewSelect(v.profiles, nil),
		subfolders: dialogs.NewCheck("Watch the folders inside it too", nil),
		existing:   dialogs.NewCheck("Also upload the files already in it", nil),
		on:         dialogs.NewCheck("Watch it now", nil),
		problem:    widget.NewLabel(""),
	}
	v.form = fm
	fm.problem.Wrapping = fyne.TextWrapWord
	fm.problem.Importance = widget.DangerImportance
	fm.dir.SetText(f.Dir)
	fm.dir.OnChanged = func(string) { fm.problem.SetText("") }
	fm.dir.SetPlaceHolder("/home/you/Pictures/Screenshots")
	fm.folder.SetText(f.Folder)
	fm.folder.SetPlaceHolder("empty: the profile's folder")
	fm.tags.SetText(strings.Join(f.Tags, ", "))
	fm.tags.SetPlaceHolder("empty: the profile's tags")
	fm.template.SetText(f.PublicIDTemplate)
	fm.template.SetPlaceHolder("empty: the profile's, e.g. {name}")
	switch {
	case f.Profile != "":
		fm.profile.SetSelected(f.Profile)
	case len(v.profiles) > 0:
		fm.profile.SetSelected(v.profiles[0])
	}
	fm.subfolders.SetChecked(f.Subfolders)
	fm.existing.SetChecked(f.Existing)
	fm.on.SetChecked(f.Enabled)
	if f.ID != "" {
		// It only matters the first time a folder is watched.
		fm.existing.Disable()
	}
	choose := widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), func() {
		d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				fm.dir.SetText(u.Path())
			}
		}, v.d.Window)
		v.showDialog(d) // over this dialog
	})
	form := widget.NewForm(
		widget.NewFormItem("Folder", container.NewBorder(nil, nil, nil, choose, fm.dir)),
		widget.NewFormItem("Profile", fm.profile),
		widget.NewFormItem("Upload into", fm.folder),
		widget.NewFormItem("Tags", fm.tags),
		widget.NewFormItem("Public ID template", fm.template),
	)
	title := "Watch a folder"
	if f.ID != "" {
		title = "Watched folder"
	}
	cancel := widget.NewButton("Cancel", func() { fm.dialog.Hide() })
	fm.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() {
		g := f
		g.Dir, g.Profile = strings.TrimSpace(fm.dir.Text), fm.profile.Selected
		g.Folder, g.Tags, g.PublicIDTemplate = fm.folder.Text, account.ParseTags(fm.tags.Text), fm.template.Text
		g.Subfolders, g.Existing, g.Enabled = fm.subfolders.Checked, fm.existing.Checked, fm.on.Checked
		g = g.Normalized()
		if err := g.Validate(); err != nil {
			fm.problem.SetText(upperFirst(err.Error()) + ".")
			return
		}
		fm.problem.SetText("")
		fm.save.Disable()
		v.save(g, func(err error) {
			fm.save.Enable()
			if err != nil {
				fm.problem.SetText(upperFirst(err.Error()) + ".")
				return
			}
			fm.dialog.Hide()
		})
	})
	fm.save.Importance = widget.HighImportance
	body := container.NewVBox(form, fm.subfolders, fm.existing, fm.on, fm.problem)
	fm.dialog = dialog.NewCustomWithoutButtons(title, container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), cancel, fm.save), nil, nil, body), v.d.Window)
	fm.dialog.Resize(fyne.NewSize(620, 0))
	v.showDialog(fm.dialog)
}
