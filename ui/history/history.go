// Package history is the History tab: what this computer uploaded, from the
// journal's history (every profile), newest first — name, when, profile,
// folder, link — searchable, with Copy link and Show in folder for each.
// Reading the journal runs on bridge.Tasks; widgets change on the UI
// goroutine only. It must not import fyne.io/fyne/v2/app.
package history

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// Source reads the upload history; *transfer.Journal is one.
type Source interface {
	History(ctx context.Context, q transfer.HistoryQuery) ([]transfer.HistoryEntry, error)
}

// Limit is how many rows one search shows.
const Limit = 500

// View is the History tab.
type View struct {
	win   fyne.Window
	tasks *bridge.Tasks

	// Reveal opens the folder holding a local file; nil means the app's
	// OpenURL with a file:// link.
	Reveal func(ctx context.Context, dir string) error
	// Debounce is how long typing must pause before a search runs.
	Debounce time.Duration

	src    Source
	rows   []transfer.HistoryEntry
	search *dialogs.Entry
	list   *widget.List
	note   *widget.Label
	status *widget.Label
	typed  int
	asked  string

	content fyne.CanvasObject
}

// New builds the tab; nothing is read until SetSource.
func New(win fyne.Window, tasks *bridge.Tasks) *View {
	v := &View{win: win, tasks: tasks, Debounce: 300 * time.Millisecond}
	v.search = dialogs.NewEntry()
	v.search.SetPlaceHolder("Search names, files, links and public IDs")
	v.search.OnChanged = func(string) { v.debounce() }
	v.search.OnSubmitted = func(string) { v.Load() }
	v.note = widget.NewLabel("")
	v.note.Alignment = fyne.TextAlignCenter
	v.note.Wrapping = fyne.TextWrapWord
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.list = widget.NewList(func() int { return len(v.rows) }, v.createRow, v.updateRow)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	v.content = container.NewBorder(v.search, v.status, nil, nil, container.NewStack(v.list, container.NewCenter(v.note)))
	v.showState(nil)
	return v
}

// Content is the tab's body.
func (v *View) Content() fyne.CanvasObject { return v.content }

// SetSource shows the history in src (nil: none, and says so) and loads it.
func (v *View) SetSource(src Source) {
	v.src = src
	v.rows = nil
	v.list.Refresh()
	v.Load()
}

// Rows are the entries shown.
func (v *View) Rows() []transfer.HistoryEntry { return v.rows }

// Note is the sentence shown instead of rows ("" when there are rows).
func (v *View) Note() string { return v.note.Text }

// Status is the line under the list (Copied…, errors).
func (v *View) Status() string { return v.status.Text }

func (v *View) debounce() {
	v.typed++
	gen, wait := v.typed, v.Debounce
	v.tasks.Go(func(ctx context.Context) func() {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		return func() {
			if gen == v.typed {
				v.Load()
			}
		}
	})
}

// Load reads the history for the search box's text.
func (v *View) Load() {
	src := v.src
	if src == nil {
		v.showState(nil)
		return
	}
	q := strings.TrimSpace(v.search.Text)
	if q != v.asked {
		v.status.SetText("") // a "Copied…" was about the rows before
	}
	v.asked = q
	v.tasks.Go(func(ctx context.Context) func() {
		rows, err := src.History(ctx, transfer.HistoryQuery{Search: q, Limit: Limit})
		return func() {
			if v.src != src || v.asked != q {
				return
			}
			if err == nil {
				v.rows = rows
				v.list.Refresh()
			}
			v.showState(err)
		}
	})
}

func (v *View) showState(err error) {
	switch {
	case v.src == nil:
		v.note.SetText("No history to show yet: open a profile in the header.")
	case err != nil:
		v.note.SetText("The history did not load. " + words.Error(err).Text)
	case len(v.rows) == 0 && v.asked != "":
		v.note.SetText("Nothing uploaded matches “" + v.asked + "”.")
	case len(v.rows) == 0:
		v.note.SetText("Nothing uploaded from this computer yet. Files you upload appear here.")
	default:
		v.note.SetText("")
	}
	if len(v.rows) == Limit {
		v.status.SetText("The newest 500 uploads are shown; search to find older ones.")
	}
}

type row struct {
	name, meta, link *widget.Label
	copyBtn, reveal  *widget.Button
}

func (v *View) createRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	meta := widget.NewLabel("")
	meta.Truncation = fyne.TextTruncateEllipsis
	link := widget.NewLabel("")
	link.Truncation = fyne.TextTruncateEllipsis
	copyBtn := widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), nil)
	reveal := widget.NewButtonWithIcon("Show in folder", theme.FolderOpenIcon(), nil)
	return container.NewBorder(nil, nil, nil, container.NewHBox(copyBtn, reveal), container.NewVBox(name, meta, link))
}

func parts(o fyne.CanvasObject) row {
	c := o.(*fyne.Container)
	var r row
	for _, obj := range c.Objects {
		box := obj.(*fyne.Container)
		if len(box.Objects) == 3 {
			r.name, r.meta, r.link = box.Objects[0].(*widget.Label), box.Objects[1].(*widget.Label), box.Objects[2].(*widget.Label)
		} else {
			r.copyBtn, r.reveal = box.Objects[0].(*widget.Button), box.Objects[1].(*widget.Button)
		}
	}
	return r
}

// metaOf is "when · profile · folder · outcome".
func metaOf(h transfer.HistoryEntry) string {
	p := []string{h.At.Local().Format("2 Jan 2006 15:04"), h.Profile}
	if h.Folder != "" {
		p = append(p, h.Folder)
	}
	switch h.Outcome {
	case transfer.Skipped:
		p = append(p, "already there")
	case transfer.Failed:
		p = append(p, "failed: "+h.Error)
	}
	if h.Size > 0 {
		p = append(p, transfer.HumanBytes(h.Size))
	}
	return strings.Join(p, " · ")
}

func (v *View) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id >= len(v.rows) {
		return
	}
	h := v.rows[id]
	r := parts(o)
	r.name.SetText(h.Name)
	r.meta.SetText(metaOf(h))
	r.link.SetText(h.SecureURL)
	r.copyBtn.OnTapped = func() { v.CopyLink(id) }
	if h.SecureURL == "" {
		r.copyBtn.Disable()
	} else {
		r.copyBtn.Enable()
	}
	r.reveal.OnTapped = func() { v.ShowInFolder(id) }
	if h.Path == "" {
		r.reveal.Disable()
	} else {
		r.reveal.Enable()
	}
}

// CopyLink puts row i's link on the clipboard.
func (v *View) CopyLink(i int) {
	if i < 0 || i >= len(v.rows) || v.rows[i].SecureURL == "" {
		return
	}
	fyne.CurrentApp().Clipboard().SetContent(v.rows[i].SecureURL)
	v.status.SetText("Copied the link of " + v.rows[i].Name + ".")
}

// ShowInFolder opens the folder that holds row i's local file.
func (v *View) ShowInFolder(i int) {
	if i < 0 || i >= len(v.rows) || v.rows[i].Path == "" {
		return
	}
	dir := filepath.Dir(v.rows[i].Path)
	reveal := v.Reveal
	if reveal == nil {
		reveal = func(_ context.Context, dir string) error {
			return fyne.CurrentApp().OpenURL(&url.URL{Scheme: "file", Path: dir})
		}
	}
	v.tasks.Go(func(ctx context.Context) func() {
		err := reveal(ctx, dir)
		return func() {
			if err != nil {
				v.status.SetText("The folder did not open (" + dir + "): " + err.Error())
			}
		}
	})
}
