package library

import (
	"context"
	"fmt"
	"image/color"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/manage"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// Folderer lists an account's folders (Admin API folders). Accounts
// without it get the free-text folder filter alone.
type Folderer interface {
	Folders(ctx context.Context, parent string) ([]cloud.Folder, error)
}

// Manager gives the bulk actions' API and the tags the account uses.
// Accounts without it show no bulk actions.
type Manager interface {
	Bulk() manage.API
	TagNames(ctx context.Context, prefix string) ([]string, error)
}

// folderPanel is the folder list beside the grid: the current path, Up,
// and the folders inside it (a virtual list: thousands stay cheap).
type folderPanel struct {
	path  *widget.Label
	up    *widget.Button
	list  *widget.List
	note  *widget.Label
	subs  []cloud.Folder
	box   fyne.CanvasObject
	asked string // the folder whose list is on its way or shown
}

// setNote says something under Up, or takes the line away when there is
// nothing to say (an empty label would still hold a gap there).
func (fp *folderPanel) setNote(text string) {
	fp.note.SetText(text)
	if (text != "") == fp.note.Visible() {
		return
	}
	if text != "" {
		fp.note.Show()
	} else {
		fp.note.Hide()
	}
	if fp.box != nil {
		fp.box.Refresh()
	}
}

// bulkBar is the bar shown while assets are selected.
type bulkBar struct {
	count    *widget.Label
	result   *widget.Label
	progress *widget.ProgressBar
	buttons  []*widget.Button // the actions
	box      *fyne.Container
	// The selection's count, Select all and Clear, beside the status line.
	selectAll, clear *widget.Button
	selBox           *fyne.Container
}

func assetKey(a cloud.Asset) string {
	return a.ResourceType + "\x00" + a.Type + "\x00" + a.PublicID
}

// buildManage makes the folder panel and the bulk bar.
func (v *View) buildManage() (left, bottom, selection fyne.CanvasObject) {
	v.selected = map[string]cloud.Asset{}
	v.anchor = -1
	fp := &folderPanel{}
	fp.path = widget.NewLabelWithStyle("All folders", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	fp.path.Wrapping = fyne.TextWrapBreak
	fp.up = widget.NewButtonWithIcon("Up", theme.MoveUpIcon(), func() { v.OpenFolder(parentOf(v.folder.Text)) })
	fp.note = widget.NewLabel("")
	fp.note.Wrapping = fyne.TextWrapWord
	fp.note.Hide()
	fp.list = widget.NewList(
		func() int { return len(fp.subs) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), nil, l)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(fp.subs) {
				o.(*fyne.Container).Objects[0].(*widget.Label).SetText(fp.subs[id].Name)
			}
		})
	fp.list.OnSelected = func(id widget.ListItemID) {
		fp.list.UnselectAll()
		if id < len(fp.subs) {
			v.OpenFolder(fp.subs[id].Path)
		}
	}
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(190, 0))
	fp.box = container.NewStack(width, container.NewBorder(container.NewVBox(fp.path, fp.up, fp.note), nil, nil, nil, fp.list))
	fp.box.Hide()
	v.folders = fp

	bb := &bulkBar{count: widget.NewLabel(""), result: widget.NewLabel(""), progress: widget.NewProgressBar()}
	bb.result.Wrapping = fyne.TextWrapWord
	bb.progress.Hide()
	add := func(label string, icon fyne.Resource, f func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, f)
		bb.buttons = append(bb.buttons, b)
		return b
	}
	del := add("Delete…", theme.DeleteIcon(), v.AskDeleteSelected)
	del.Importance = widget.DangerImportance
	bar := container.NewHBox(
		add("Add tag…", theme.ContentAddIcon(), func() { v.askTag(true) }),
		add("Remove tag…", theme.ContentRemoveIcon(), func() { v.askTag(false) }),
		add("Alt text…", theme.DocumentCreateIcon(), v.askAlt),
		add("Move…", theme.FolderIcon(), v.askMove),
		add("Download…", theme.DownloadIcon(), v.askDownload),
		del,
	)
	bb.selectAll = widget.NewButtonWithIcon("Select all", theme.CheckButtonCheckedIcon(), v.SelectAll)
	bb.clear = widget.NewButtonWithIcon("Clear", theme.CancelIcon(), v.ClearSelection)
	bb.selBox = container.NewHBox(bb.count, bb.selectAll, bb.clear)
	bb.result.Hide()
	bb.box = container.NewVBox(container.NewHScroll(bar), bb.progress, bb.result)
	bb.box.Hide()
	v.bulk = bb
	v.showSelection()
	return fp.box, bb.box, bb.selBox
}

func parentOf(p string) string {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}

// OpenFolder shows the assets in folder (and below) and lists its
// sub-folders; "" is everything.
func (v *View) OpenFolder(folder string) {
	folder = strings.Trim(strings.TrimSpace(folder), "/")
	v.folder.SetText(folder)
	v.applyFilter()
	v.loadFolders(folder)
}

// FolderPath is the folder the panel shows.
func (v *View) FolderPath() string { return v.folders.asked }

// SubFolders are the folders listed in the panel.
func (v *View) SubFolders() []cloud.Folder { return v.folders.subs }

func (v *View) loadFolders(folder string) {
	fp := v.folders
	fp.asked = folder
	label := "All folders"
	if folder != "" {
		label += " / " + strings.ReplaceAll(folder, "/", " / ")
	}
	fp.path.SetText(label)
	if folder == "" {
		fp.up.Disable()
	} else {
		fp.up.Enable()
	}
	f, ok := v.acct.(Folderer)
	if !ok {
		fp.subs = nil
		fp.setNote("")
		fp.list.Refresh()
		v.setVisible(fp.box, false)
		return
	}
	v.setVisible(fp.box, true)
	acct := v.acct
	fp.setNote("Loading folders…")
	v.tasks.Go(func(ctx context.Context) func() {
		subs, err := f.Folders(ctx, folder)
		return func() {
			if v.acct != acct || fp.asked != folder {
				return
			}
			sort.Slice(subs, func(i, j int) bool { return strings.ToLower(subs[i].Name) < strings.ToLower(subs[j].Name) })
			fp.subs = subs
			fp.list.Refresh()
			switch {
			case err != nil:
				fp.setNote("Folders did not load. " + words.Error(err).Text)
			case len(subs) == 0:
				fp.setNote("No folders inside.")
			default:
				fp.setNote("")
			}
		}
	})
}

// clicked is a grid click: Ctrl toggles, Shift selects a range, a plain
// click opens the preview, or toggles while something is selected.
func (v *View) clicked(id int) {
	mods := fyne.KeyModifier(0)
	if app := fyne.CurrentApp(); app != nil {
		if d, ok := app.Driver().(desktop.Driver); ok {
			mods = d.CurrentKeyModifiers()
		}
	}
	switch {
	case mods&fyne.KeyModifierShift != 0 && v.anchor >= 0:
		v.SelectRange(id)
	case mods&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0 || len(v.selected) > 0:
		v.Toggle(id)
	default:
		v.Open(id)
	}
}

// Toggle selects or unselects the asset in cell id.
func (v *View) Toggle(id int) {
	a, ok := v.browser.Asset(id)
	if !ok {
		return
	}
	k := assetKey(a)
	if _, on := v.selected[k]; on {
		delete(v.selected, k)
	} else {
		v.selected[k] = a
	}
	v.anchor = id
	v.selectionChanged()
}

// SelectRange selects every cell from the last one clicked to id.
func (v *View) SelectRange(id int) {
	from, to := min(v.anchor, id), max(v.anchor, id)
	if from < 0 {
		from = id
	}
	for i := from; i <= to; i++ {
		if a, ok := v.browser.Asset(i); ok {
			v.selected[assetKey(a)] = a
		}
	}
	v.anchor = id
	v.selectionChanged()
}

// SelectAll selects every asset loaded so far.
func (v *View) SelectAll() {
	if v.browser == nil {
		return
	}
	for i := range v.browser.Len() {
		if a, ok := v.browser.Asset(i); ok {
			v.selected[assetKey(a)] = a
		}
	}
	v.selectionChanged()
}

// ClearSelection unselects everything.
func (v *View) ClearSelection() {
	clear(v.selected)
	v.anchor = -1
	v.selectionChanged()
}

// Selected lists the selected assets in grid order.
func (v *View) Selected() []cloud.Asset {
	var out []cloud.Asset
	if v.browser == nil {
		return out
	}
	seen := 0
	for i := 0; i < v.browser.Len() && seen < len(v.selected); i++ {
		a, _ := v.browser.Asset(i)
		if s, ok := v.selected[assetKey(a)]; ok {
			out = append(out, s)
			seen++
		}
	}
	return out
}

func (v *View) selectionChanged() {
	v.grid.Refresh()
	v.showSelection()
}

func (v *View) showSelection() {
	bb := v.bulk
	n := len(v.Selected())
	_, canManage := v.acct.(Manager)
	v.setVisible(bb.result, bb.result.Text != "")
	v.setVisible(bb.box, canManage)
	v.setVisible(bb.selBox, canManage)
	if n == 0 {
		bb.count.SetText("Ctrl-click or Shift-click to select")
		bb.clear.Disable()
	} else {
		bb.count.SetText(plural(n, "asset") + " selected")
		bb.clear.Enable()
	}
	for _, b := range bb.buttons {
		if n == 0 || !canManage || v.busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// drawSelection marks a selected cell.
func (v *View) drawSelection(r *canvas.Rectangle, a cloud.Asset) {
	if _, on := v.selected[assetKey(a)]; on {
		r.StrokeColor = theme.Color(theme.ColorNamePrimary)
		r.StrokeWidth = 4
		r.FillColor = withAlpha(theme.Color(theme.ColorNamePrimary), 0x40)
	} else {
		r.StrokeWidth = 0
		r.FillColor = withAlpha(theme.Color(theme.ColorNamePrimary), 0)
	}
	r.Refresh()
}

// runBulk runs an action on the selection off the UI goroutine, with a
// progress bar, and says how it went: "12 of 14 done, 2 failed: why".
func (v *View) runBulk(what string, assets []cloud.Asset, act func(ctx context.Context, api manage.API, assets []cloud.Asset, progress manage.Progress) manage.Outcome, after func(manage.Outcome)) {
	m, ok := v.acct.(Manager)
	if !ok || len(assets) == 0 {
		return
	}
	api := m.Bulk()
	acct := v.acct
	bb := v.bulk
	v.busy = true
	v.showSelection()
	bb.progress.SetValue(0)
	v.setVisible(bb.progress, true)
	bb.result.SetText(what + " " + plural(len(assets), "asset") + "…")
	v.setVisible(bb.result, true)
	v.tasks.Go(func(ctx context.Context) func() {
		out := act(ctx, api, assets, func(finished, total int) {
			v.tasks.Do(func() { bb.progress.SetValue(float64(finished) / float64(max(total, 1))) })
		})
		return func() {
			v.busy = false
			v.setVisible(bb.progress, false)
			if v.acct != acct {
				return
			}
			bb.result.SetText(what + ": " + out.Summary() + ".")
			if after != nil {
				after(out)
			}
			v.showSelection()
		}
	})
}

// BulkResult is the sentence about the last bulk action.
func (v *View) BulkResult() string { return v.bulk.result.Text }

// AddTag, RemoveTag, SetAlt, MoveTo, Delete and DownloadTo run a bulk action
// on the selection (the dialogs call them; so do tests).
func (v *View) AddTag(tag string) {
	v.runBulk("Tagging", v.Selected(), func(ctx context.Context, api manage.API, assets []cloud.Asset, p manage.Progress) manage.Outcome {
		return manage.AddTag(ctx, api, assets, tag, p)
	}, func(manage.Outcome) { v.Refresh() })
}

func (v *View) RemoveTag(tag string) {
	v.runBulk("Removing the tag", v.Selected(), func(ctx context.Context, api manage.API, assets []cloud.Asset, p manage.Progress) manage.Outcome {
		return manage.RemoveTag(ctx, api, assets, tag, p)
	}, func(manage.Outcome) { v.Refresh() })
}

func (v *View) SetAlt(alt string) {
	v.runBulk("Setting alt text", v.Selected(), func(ctx context.Context, api manage.API, assets []cloud.Asset, p manage.Progress) manage.Outcome {
		return manage.SetContext(ctx, api, assets, "alt", strings.TrimSpace(alt), p)
	}, func(manage.Outcome) { v.Refresh() })
}

func (v *View) MoveTo(folder string) {
	v.runBulk("Moving", v.Selected(), func(ctx context.Context, api manage.API, assets []cloud.Asset, p manage.Progress) manage.Outcome {
		return manage.Move(ctx, api, assets, folder, p)
	}, func(out manage.Outcome) {
		v.ClearSelection()
		v.Refresh()
		v.loadFolders(v.folders.asked)
	})
}

func (v *View) Delete() {
	v.runBulk("Deleting", v.Selected(), func(ctx context.Context, api manage.API, assets []cloud.Asset, p manage.Progress) manage.Outcome {
		return manage.Delete(ctx, api, assets, p)
	}, func(out manage.Outcome) {
		for _, a := range out.Changed {
			delete(v.selected, assetKey(a))
			v.dropAsset(a)
		}
	})
}

// DownloadTo saves the selection's originals into dir.
func (v *View) DownloadTo(dir string) {
	assets := v.Selected()
	acct := v.acct
	if len(assets) == 0 {
		return
	}
	bb := v.bulk
	v.busy = true
	v.showSelection()
	bb.progress.SetValue(0)
	v.setVisible(bb.progress, true)
	bb.result.SetText("Downloading " + plural(len(assets), "original") + " to " + dir + "…")
	v.setVisible(bb.result, true)
	v.tasks.Go(func(ctx context.Context) func() {
		out, files := manage.Download(ctx, nil, assets, dir, func(done, total int64) {
			v.tasks.Do(func() { bb.progress.SetValue(float64(done) / float64(max(total, 1))) })
		})
		return func() {
			v.busy = false
			v.setVisible(bb.progress, false)
			if v.acct != acct {
				return
			}
			bb.result.SetText(fmt.Sprintf("Downloading: %s; %s saved in %s.", out.Summary(), plural(len(files), "file"), dir))
			v.showSelection()
		}
	})
}

func (v *View) askTag(add bool) {
	title, verb := "Add a tag", "Add"
	if !add {
		title, verb = "Remove a tag", "Remove"
	}
	entry := dialogs.NewSelectEntry(nil)
	entry.SetPlaceHolder("tag")
	if m, ok := v.acct.(Manager); ok {
		v.tasks.Go(func(ctx context.Context) func() {
			names, err := m.TagNames(ctx, "")
			return func() {
				if err == nil {
					entry.SetOptions(names)
				}
			}
		})
	}
	d := dialog.NewForm(title, verb, "Cancel", []*widget.FormItem{
		widget.NewFormItem("Tag", entry),
	}, func(ok bool) {
		if ok {
			if add {
				v.AddTag(entry.Text)
			} else {
				v.RemoveTag(entry.Text)
			}
		}
	}, v.win)
	d.Resize(fyne.NewSize(420, 0))
	dialogs.For(v.win).Show(d)
	v.win.Canvas().Focus(entry)
}

func (v *View) askAlt() {
	entry := dialogs.NewEntry()
	entry.SetPlaceHolder("What the image shows, for people who cannot see it")
	d := dialog.NewForm("Set alt text on "+plural(len(v.selected), "asset"), "Set", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Alt text", entry),
	}, func(ok bool) {
		if ok {
			v.SetAlt(entry.Text)
		}
	}, v.win)
	d.Resize(fyne.NewSize(520, 0))
	dialogs.For(v.win).Show(d)
	v.win.Canvas().Focus(entry)
}

func (v *View) askMove() {
	entry := dialogs.NewSelectEntry(nil)
	entry.SetText(v.folders.asked)
	var opts []string
	for _, f := range v.folders.subs {
		opts = append(opts, f.Path)
	}
	entry.SetOptions(opts)
	d := dialog.NewForm("Move "+plural(len(v.selected), "asset"), "Move", "Cancel", []*widget.FormItem{
		widget.NewFormItem("To folder", entry),
	}, func(ok bool) {
		if ok {
			v.MoveTo(entry.Text)
		}
	}, v.win)
	d.Resize(fyne.NewSize(460, 0))
	dialogs.For(v.win).Show(d)
}

func (v *View) askDownload() {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		v.DownloadTo(dir.Path())
	}, v.win)
	dialogs.For(v.win).Show(d)
}

// AskDeleteSelected asks once, naming the count and the first few names.
func (v *View) AskDeleteSelected() {
	assets := v.Selected()
	if len(assets) == 0 {
		return
	}
	if g, ok := v.acct.(interface{ MayDelete() (bool, string) }); ok {
		if may, why := g.MayDelete(); !may {
			v.bulk.result.SetText(why)
			v.showSelection()
			return
		}
	}
	c := dialog.NewConfirm("Delete from the cloud", manage.ConfirmDelete(assets)+"\nThis cannot be undone.", func(ok bool) {
		v.confirm = nil
		if ok {
			v.Delete()
		}
	}, v.win)
	c.SetConfirmText("Delete")
	c.SetDismissText("Keep them")
	c.SetConfirmImportance(widget.DangerImportance)
	v.confirm = c
	dialogs.For(v.win).Show(c)
}

// ConfirmDeleteSelected answers the open confirmation as the user would.
func (v *View) ConfirmDeleteSelected(yes bool) {
	if v.confirm == nil {
		return
	}
	c := v.confirm
	v.confirm = nil
	c.Hide()
	if yes {
		v.Delete()
	}
}

// setVisible shows or hides o and lays the tab out again when that changed
// (a container does not re-lay itself when a child appears).
func (v *View) setVisible(o fyne.CanvasObject, on bool) {
	if o.Visible() == on {
		return
	}
	if on {
		o.Show()
	} else {
		o.Hide()
	}
	if v.content != nil {
		v.content.Refresh()
	}
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), a}
}
