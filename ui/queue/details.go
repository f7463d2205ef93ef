package queue

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	coreaccount "github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// Catalog is what the account holds, for the Details panel's choices:
// its folders (Admin API folders) and the tags it uses. *cloud.Client is
// one.
type Catalog interface {
	Folders(ctx context.Context, parent string) ([]cloud.Folder, error)
	CreateFolder(ctx context.Context, path string) (*cloud.Folder, error)
	TagNames(ctx context.Context, resourceType, prefix string, max int) ([]string, error)
}

// WithCatalog gives an Account the folder and tag lists of its cloud.
func WithCatalog(a Account, c Catalog) Account { return catalogAccount{Account: a, Catalog: c} }

type catalogAccount struct {
	Account
	Catalog
}

// Details are what the editor sets, like the Upload Widget's advanced
// options, for the files added next: destination folder, tags (added to
// the profile's), alt text and caption (Cloudinary context) and display
// name (for a single file).
type Details struct {
	Folder      string
	Tags        []string
	Alt         string
	Caption     string
	DisplayName string
}

// IsZero reports whether nothing is set.
func (d Details) IsZero() bool {
	return d.Folder == "" && len(d.Tags) == 0 && d.Alt == "" && d.Caption == "" && d.DisplayName == ""
}

// Apply puts the details over base. The display name is for one file: with
// several, each keeps its own file's name.
func (d Details) Apply(base transfer.Options, single bool) transfer.Options {
	o := base
	if d.Folder != "" {
		o.Folder = d.Folder
		o.AssetFolder = ""
	}
	if len(d.Tags) > 0 {
		o.Tags = slices.Clone(base.Tags)
		for _, t := range d.Tags {
			if !slices.Contains(o.Tags, t) {
				o.Tags = append(o.Tags, t)
			}
		}
	}
	if d.Alt != "" || d.Caption != "" {
		o.Context = maps.Clone(base.Context)
		if o.Context == nil {
			o.Context = map[string]string{}
		}
		if d.Alt != "" {
			o.Context["alt"] = d.Alt
		}
		if d.Caption != "" {
			o.Context["caption"] = d.Caption
		}
	}
	if single && d.DisplayName != "" {
		o.DisplayName = d.DisplayName
	}
	return o
}

// Words says what is set, for the line above the queue.
func (d Details) Words() string {
	var parts []string
	if d.Folder != "" {
		parts = append(parts, "folder "+d.Folder)
	}
	if len(d.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(d.Tags, ", "))
	}
	if d.Alt != "" {
		parts = append(parts, "alt text “"+d.Alt+"”")
	}
	if d.Caption != "" {
		parts = append(parts, "caption “"+d.Caption+"”")
	}
	if d.DisplayName != "" {
		parts = append(parts, "name “"+d.DisplayName+"” (one file)")
	}
	return "Next files: " + strings.Join(parts, " · ")
}

// options are the options for items added now: the account's (or the
// engine's defaults) with the details over them.
func (v *View) options(single bool) *transfer.Options {
	opts := v.acct.Options()
	if v.details.IsZero() {
		return opts
	}
	var base transfer.Options
	if opts != nil {
		base = *opts
	} else if d, ok := v.acct.Engine().(interface{ DefaultOptions() transfer.Options }); ok {
		base = d.DefaultOptions()
	}
	o := v.details.Apply(base, single)
	if single && v.details.DisplayName != "" {
		// A name is one file's: the next files keep their own.
		v.details.DisplayName = ""
		v.showDetailsLine()
	}
	return &o
}

// Details are the details set for the next files.
func (v *View) Details() Details { return v.details }

// SetDetails sets the details for the next files; a folder the account does
// not have yet is created (in the background).
func (v *View) SetDetails(d Details) {
	d.Folder = strings.Trim(strings.TrimSpace(d.Folder), "/")
	d.Alt, d.Caption, d.DisplayName = strings.TrimSpace(d.Alt), strings.TrimSpace(d.Caption), strings.TrimSpace(d.DisplayName)
	d.Tags = coreaccount.ParseTags(strings.Join(d.Tags, ","))
	v.details = d
	v.showDetailsLine()
	if c, ok := v.acct.(Catalog); ok && d.Folder != "" {
		folder := d.Folder
		v.goAccountWork(func(ctx context.Context) func() {
			_, err := c.CreateFolder(ctx, folder)
			return func() {
				if err != nil && v.details.Folder == folder {
					v.showNotice("The folder "+folder+" could not be created: "+words.Error(err).Text, true)
				}
			}
		})
	}
}

func (v *View) showDetailsLine() {
	if v.detailsBar == nil {
		return
	}
	if v.details.IsZero() {
		v.detailsLabel.SetText("")
		v.setVisible(v.detailsBar, false)
		return
	}
	v.detailsLabel.SetText(v.details.Words())
	v.setVisible(v.detailsBar, true)
}

func (v *View) buildDetailsBar() fyne.CanvasObject {
	v.detailsLabel = widget.NewLabel("")
	v.detailsLabel.Wrapping = fyne.TextWrapWord
	edit := widget.NewButtonWithIcon("Change…", theme.DocumentCreateIcon(), v.ShowDetails)
	clearBtn := widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), func() { v.SetDetails(Details{}) })
	v.detailsBar = container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), container.NewHBox(edit, clearBtn), v.detailsLabel)
	v.detailsBar.Hide()
	return v.detailsBar
}

// detailsForm is the open Details panel, for tests.
type detailsForm struct {
	folder, tags          *dialogs.SelectEntry
	alt, caption, display *dialogs.Entry
	dialog                *dialog.FormDialog
	folderChoices         []string // what the folder field offers now
}

// ShowDetails opens the Details panel (Ctrl+D): folder from the account's
// folders (typing "a/" lists a's sub-folders; a new one is created), tags
// completed from the account's, alt text, caption, display name.
func (v *View) ShowDetails() { v.showDetailsForm() }

func (v *View) showDetailsForm() *detailsForm {
	if v.acct == nil {
		return nil
	}
	f := &detailsForm{
		folder: dialogs.NewSelectEntry(nil), tags: dialogs.NewSelectEntry(nil),
		alt: dialogs.NewEntry(), caption: dialogs.NewEntry(), display: dialogs.NewEntry(),
	}
	d := v.details
	f.folder.SetText(d.Folder)
	f.folder.SetPlaceHolder("the profile's folder")
	f.tags.SetText(strings.Join(d.Tags, ", "))
	f.tags.SetPlaceHolder("comma-separated, added to the profile's")
	f.alt.SetText(d.Alt)
	f.alt.SetPlaceHolder("what the image shows, for people who cannot see it")
	f.caption.SetText(d.Caption)
	f.caption.SetPlaceHolder("a line to show with it, e.g. where and when")
	f.display.SetText(d.DisplayName)
	f.display.SetPlaceHolder("the file's name (applies when one file is added)")
	if c, ok := v.acct.(Catalog); ok {
		v.loadFolderChoices(c, f, parentFolder(d.Folder))
		listed := parentFolder(d.Folder)
		f.folder.OnChanged = func(s string) {
			if p := parentFolder(s); p != listed {
				listed = p
				v.loadFolderChoices(c, f, p)
			}
		}
		var tagNames []string
		v.goAccountWork(func(ctx context.Context) func() {
			names, err := c.TagNames(ctx, "image", "", 2000)
			return func() {
				if err == nil {
					tagNames = names
					f.tags.SetOptions(completeTags(f.tags.Text, tagNames))
				}
			}
		})
		f.tags.OnChanged = func(s string) { f.tags.SetOptions(completeTags(s, tagNames)) }
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Folder", f.folder),
		widget.NewFormItem("Tags", f.tags),
		widget.NewFormItem("Alt text", f.alt),
		widget.NewFormItem("Caption", f.caption),
		widget.NewFormItem("Display name", f.display),
	}
	f.dialog = dialog.NewForm("Details for the next files", "Apply", "Cancel", items, func(ok bool) {
		if v.detailsOpen == f {
			v.detailsOpen = nil
		}
		if ok {
			v.SetDetails(f.values())
		}
	}, v.win)
	// Return in a field applies, as in Settings.
	submit := func(string) { f.dialog.Submit() }
	f.folder.OnSubmitted, f.tags.OnSubmitted = submit, submit
	f.alt.OnSubmitted, f.caption.OnSubmitted, f.display.OnSubmitted = submit, submit, submit
	f.dialog.Resize(fyne.NewSize(560, 0))
	if dialogs.For(v.win).Show(f.dialog) {
		v.detailsOpen = f
		v.win.Canvas().Focus(f.folder)
	}
	return f
}

func (f *detailsForm) values() Details {
	return Details{Folder: f.folder.Text, Tags: strings.Split(f.tags.Text, ","), Alt: f.alt.Text, Caption: f.caption.Text, DisplayName: f.display.Text}
}

func parentFolder(s string) string {
	s = strings.TrimLeft(strings.TrimSpace(s), "/")
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[:i]
	}
	return ""
}

func (v *View) loadFolderChoices(c Catalog, f *detailsForm, parent string) {
	v.goAccountWork(func(ctx context.Context) func() {
		subs, err := c.Folders(ctx, parent)
		return func() {
			if err != nil || parentFolder(f.folder.Text) != parent {
				return
			}
			var paths []string
			for _, s := range subs {
				paths = append(paths, s.Path)
			}
			sort.Strings(paths)
			f.folderChoices = paths
			f.folder.SetOptions(paths)
		}
	})
}

// completeTags offers, for the tag being typed (after the last comma), the
// account's tags that start with it, each as the whole field's new text.
func completeTags(text string, names []string) []string {
	head, last := "", text
	if i := strings.LastIndex(text, ","); i >= 0 {
		head, last = text[:i+1]+" ", text[i+1:]
	}
	last = strings.ToLower(strings.TrimSpace(last))
	var out []string
	for _, n := range names {
		if strings.HasPrefix(strings.ToLower(n), last) {
			out = append(out, strings.TrimLeft(head, " ")+n)
			if len(out) == 20 {
				break
			}
		}
	}
	return out
}
