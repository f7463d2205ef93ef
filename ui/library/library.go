// Package library is the Library tab: the current profile's assets through
// the Search API, newest first, in a virtualized thumbnail grid paged with
// next_cursor as the user scrolls, with a text/#tag search box and a folder
// filter. A cell opens the preview (ui/preview).
//
// It follows the views contract (New, Content, SetAccount, AccountFrom,
// FocusSearch, Refresh) and adds ClosePreview for the window's Esc. Paging
// state lives in core/library.Browser; thumbnails come through
// Account.Thumb (library.Thumbs: memory, disk, network) on bridge.Tasks, and
// widgets change only on the UI goroutine. It must not import
// fyne.io/fyne/v2/app.
package library

import (
	"context"
	"image"
	"image/color"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	corelib "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/preview"
	"github.com/cloudup/cloudup/ui/studio"
	"github.com/cloudup/cloudup/ui/words"
)

// Account is what the Library tab needs of the current profile: the
// preview's needs plus the Search API.
type Account interface {
	preview.Account
	Search(ctx context.Context, q cloud.SearchQuery) (*cloud.SearchResult, error)
}

// CellSize is a grid cell's edge in device-independent pixels. Thumbnails
// are fetched at the screen's pixels for it (see thumbPixels).
const CellSize = 150

// thumbPixels is the edge, in image pixels, of a thumbnail drawn in a cell
// on a canvas of scale: rounded up to half steps (150, 225, 300, …), so a
// window moved between screens reuses cached thumbnails, and sharp on
// HiDPI screens without fetching four times the pixels on ordinary ones.
func thumbPixels(scale float32) int {
	steps := int(math.Ceil(float64(scale)*2 - 0.01))
	return CellSize * max(steps, 2) / 2
}

// View is the Library tab.
type View struct {
	win   fyne.Window
	tasks *bridge.Tasks

	// StudioProfile, when set, gives the studio the profile's saved
	// presets and templates and a way to save presets.
	StudioProfile func() studio.Profile
	studio        *studio.View

	// PageSize is assets per Search API call (default 100).
	PageSize int
	// Debounce is how long typing must pause before a search runs.
	Debounce time.Duration
	// OnLoaded is told, on the UI goroutine, how each page load went: how
	// many assets are shown, or why none came.
	OnLoaded func(shown int, err error)

	// opening names the profile being opened while there is no account.
	opening string

	acct    Account
	browser *corelib.Browser

	search, folder *dialogs.Entry
	grid           *widget.GridWrap
	note           *widget.Label // empty and error states, in words
	status         *widget.Label // "120 of 10,000 assets"
	retry          *widget.Button
	preview        *preview.View
	content        fyne.CanvasObject

	// want is the thumbnail URL each cell is bound to now; a download that
	// lands after its cell was rebound to another asset is not drawn there.
	want map[*canvas.Image]string
	// fetching cancels downloads no visible cell wants any more.
	fetching map[string]*fetchToken
	typed    int // debounce generation

	// Folders and bulk actions (manage.go).
	folders  *folderPanel
	bulk     *bulkBar
	selected map[string]cloud.Asset // by assetKey
	anchor   int                    // the cell clicked last, for Shift-click
	busy     bool                   // a bulk action is running
	confirm  *dialog.ConfirmDialog
}

// New builds the tab's widgets. Nothing is fetched until SetAccount.
func New(win fyne.Window, tasks *bridge.Tasks) *View {
	v := &View{win: win, tasks: tasks, PageSize: corelib.DefaultPageSize, Debounce: 350 * time.Millisecond,
		want: map[*canvas.Image]string{}, fetching: map[string]*fetchToken{}}
	v.preview = preview.New(win, tasks)
	v.preview.OnDeleted = v.dropAsset
	v.preview.OnChanged = func(before, after cloud.Asset) {
		if before.PublicID != after.PublicID || before.FolderPath() != after.FolderPath() || before.Name() != after.Name() {
			v.Refresh()
		}
	}
	v.preview.OnStudio = v.openStudio

	v.search = dialogs.NewEntry() // Esc leaves it
	v.search.SetPlaceHolder("Search names and tags (#tag for one exact tag)  Ctrl+F")
	v.search.OnChanged = func(string) { v.debounce() }
	v.search.OnSubmitted = func(string) { v.applyFilter() }
	v.folder = dialogs.NewEntry()
	v.folder.SetPlaceHolder("Folder (all)")
	v.folder.OnChanged = func(string) { v.debounce() }
	v.folder.OnSubmitted = func(string) { v.OpenFolder(v.folder.Text) }
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), v.Refresh)

	v.grid = widget.NewGridWrap(v.length, v.createCell, v.updateCell)
	v.grid.OnSelected = func(id widget.GridWrapItemID) {
		v.grid.UnselectAll()
		v.clicked(id)
	}
	v.note = widget.NewLabel("")
	v.note.Alignment = fyne.TextAlignCenter
	v.note.Wrapping = fyne.TextWrapWord
	v.retry = widget.NewButton("Try again", func() { v.loadMore() })
	v.retry.Hide()
	v.status = widget.NewLabel("")

	folderBox := container.NewGridWrap(fyne.NewSize(200, v.folder.MinSize().Height), v.folder)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(folderBox, refresh), v.search)
	// Full width (not centred) so a long error wraps instead of overflowing.
	empty := container.NewVBox(layout.NewSpacer(), v.note, container.NewCenter(v.retry), layout.NewSpacer())
	left, bulk, selection := v.buildManage()
	bottom := container.NewVBox(bulk, container.NewBorder(nil, nil, nil, selection, v.status))
	v.content = container.NewBorder(top, bottom, left, nil, container.NewStack(v.grid, empty))
	v.showState()
	return v
}

// Content is the tab's body.
func (v *View) Content() fyne.CanvasObject { return v.content }

// Preview is the preview the grid opens.
func (v *View) Preview() *preview.View { return v.preview }

// SetAccount shows a (nil: no account, and why). It forgets what was
// loaded, closes the preview and loads the first page.
func (v *View) SetAccount(a Account) {
	v.opening = ""
	if v.browser != nil {
		v.browser.Close()
	}
	v.cancelFetches()
	v.acct = a
	v.preview.SetAccount(nil)
	if v.studio != nil {
		v.studio.SetAccount(nil, studio.Profile{})
	}
	v.browser = nil
	if a != nil {
		v.preview.SetAccount(a)
		v.browser = corelib.NewBrowser(a, v.PageSize)
		v.browser.SetFilter(v.filter())
	}
	clear(v.selected)
	v.anchor = -1
	v.bulk.result.SetText("")
	v.showSelection()
	v.grid.ScrollToTop()
	v.grid.Refresh()
	v.showState()
	v.loadMore()
	if a != nil {
		v.loadFolders(strings.Trim(v.folder.Text, "/"))
	} else {
		v.setVisible(v.folders.box, false)
	}
}

// Note is the sentence shown instead of the grid ("" when it shows
// assets).
func (v *View) Note() string { return v.note.Text }

// SetOpening says, while no account is shown, that profile is being
// opened.
func (v *View) SetOpening(profile string) {
	v.opening = profile
	if v.acct == nil {
		v.showState()
	}
}

// FocusSearch puts the cursor in the search box (Ctrl+F).
func (v *View) FocusSearch() { v.win.Canvas().Focus(v.search) }

// Refresh loads the current search again from the first page, and the
// folder list: an upload or a move may have made a folder.
func (v *View) Refresh() {
	if v.browser == nil {
		return
	}
	v.cancelFetches()
	v.browser.Refresh()
	v.grid.Refresh()
	v.showState()
	v.loadMore()
	v.loadFolders(v.folders.asked)
}

// ClosePreview closes the preview (Esc) and reports whether it was open.
func (v *View) ClosePreview() bool {
	open := v.preview.Visible()
	v.preview.Close()
	return open
}

// Open shows the preview of the asset in cell id.
func (v *View) Open(id int) {
	if v.browser == nil {
		return
	}
	if a, ok := v.browser.Asset(id); ok {
		v.preview.Show(a)
	}
}

// State is the paging state, for the window and tests.
func (v *View) State() corelib.BrowserState {
	if v.browser == nil {
		return corelib.BrowserState{}
	}
	return v.browser.State()
}

// filter reads the boxes: words starting with # are the tag.
func (v *View) filter() corelib.Filter {
	f := corelib.Filter{Folder: v.folder.Text}
	var words []string
	for _, w := range strings.Fields(v.search.Text) {
		if tag, ok := strings.CutPrefix(w, "#"); ok && tag != "" && f.Tag == "" {
			f.Tag = tag
			continue
		}
		words = append(words, w)
	}
	f.Text = strings.Join(words, " ")
	return f
}

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
				v.applyFilter()
			}
		}
	})
}

func (v *View) applyFilter() {
	v.typed++
	if v.browser == nil || v.browser.Filter() == v.filter() {
		return
	}
	v.cancelFetches()
	v.browser.SetFilter(v.filter())
	v.grid.ScrollToTop()
	v.grid.Refresh()
	v.showState()
	v.loadMore()
}

// loadMore fetches the next page on a task; the Browser ignores the call
// when a page is already on its way or every page is loaded.
func (v *View) loadMore() {
	b := v.browser
	if b == nil {
		return
	}
	st := b.State()
	if st.Loading || st.Done {
		return
	}
	v.tasks.Go(func(ctx context.Context) func() {
		_, err := b.LoadMore(ctx)
		if err == corelib.ErrSuperseded {
			return nil
		}
		return func() {
			if v.browser != b {
				return
			}
			v.grid.Refresh()
			v.showState()
			// What is selected counts among the loaded assets: after a
			// reload the bar says so again (it said 0 while it was empty).
			v.showSelection()
			if v.OnLoaded != nil {
				v.OnLoaded(b.Len(), err)
			}
		}
	})
	// The page is now on its way: say so.
	v.showState()
}

func (v *View) showState() {
	v.retry.Hide()
	if v.acct == nil || v.browser == nil {
		v.note.SetText("No account to show. Choose a profile in the header, or add one in Settings.")
		if v.opening != "" {
			v.note.SetText("Opening " + v.opening + "…")
		}
		v.status.SetText("")
		return
	}
	st := v.browser.State()
	switch {
	case st.Err != nil:
		said := words.Error(st.Err).Text
		v.note.SetText("The library did not load. " + said)
		if st.Len > 0 {
			v.note.SetText("")
			v.status.SetText("Could not load more. " + said)
		}
		v.retry.Show()
		if st.Len > 0 {
			return
		}
	case st.Len > 0:
		v.note.SetText("")
	case st.Loading || st.Calls == 0:
		v.note.SetText("Loading…")
	case !st.Filter.IsZero():
		v.note.SetText("Nothing matches this search. Clear the search box or the folder to see everything.")
	default:
		v.note.SetText("Nothing uploaded yet. Files you upload in the Upload tab appear here.")
	}
	if st.Err == nil {
		v.status.SetText(countText(st))
	}
}

func countText(st corelib.BrowserState) string {
	if st.Len == 0 {
		return ""
	}
	s := plural(st.Len, "asset") + " shown"
	if !st.Done {
		s = itoa(st.Len) + " of " + plural(st.Total, "asset") + " · scroll for more"
	}
	if st.Loading {
		s += " · loading…"
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}

// itoa writes n with thousands separators: 10,000.
func itoa(n int) string {
	s := []byte{}
	digits := 0
	if n == 0 {
		return "0"
	}
	for m := n; m > 0; m /= 10 {
		if digits > 0 && digits%3 == 0 {
			s = append([]byte{','}, s...)
		}
		s = append([]byte{byte('0' + m%10)}, s...)
		digits++
	}
	return string(s)
}

func (v *View) length() int {
	if v.browser == nil {
		return 0
	}
	return v.browser.Len()
}

// cell is one grid item: the thumbnail over a placeholder, the selection
// mark, and the name.
type cell struct {
	img  *canvas.Image
	sel  *canvas.Rectangle
	name *widget.Label
}

func (v *View) createCell() fyne.CanvasObject {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(CellSize, CellSize))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	name := widget.NewLabel("")
	name.Truncation = fyne.TextTruncateEllipsis
	name.Alignment = fyne.TextAlignCenter
	sel := canvas.NewRectangle(color.Transparent)
	c := container.NewBorder(nil, name, nil, nil, container.NewStack(bg, img, sel))
	return c
}

func cellParts(o fyne.CanvasObject) cell {
	c := o.(*fyne.Container)
	var out cell
	for _, obj := range c.Objects {
		switch x := obj.(type) {
		case *widget.Label:
			out.name = x
		case *fyne.Container:
			out.img = x.Objects[1].(*canvas.Image)
			out.sel = x.Objects[2].(*canvas.Rectangle)
		}
	}
	return out
}

// thumbURL is the delivery URL of a's grid thumbnail: filled to the cell
// around the salient part, f_auto,q_auto; a poster frame for videos.
func (v *View) thumbURL(a cloud.Asset) (string, bool) {
	px := thumbPixels(v.win.Canvas().Scale())
	ref := effects.Ref{PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type, Version: a.Version}
	d := v.acct.Delivery()
	switch a.ResourceType {
	case "video":
		u, err := d.Poster(ref, effects.Thumbnail(px, px))
		return u, err == nil
	case "", "image":
		u, err := d.URL(ref, effects.Thumbnail(px, px), "", false)
		return u, err == nil
	}
	return "", false
}

func (v *View) updateCell(id widget.GridWrapItemID, o fyne.CanvasObject) {
	c := cellParts(o)
	a, ok := v.browser.Asset(id)
	if !ok {
		return
	}
	// What people named the file; a public_id may be Cloudinary's random
	// letters. The preview's details show the full name and the public_id.
	label := a.Name()
	if a.ResourceType == "video" {
		label = "▶ " + label
	}
	c.name.SetText(label)
	v.drawSelection(c.sel, a)
	url, ok := v.thumbURL(a)
	old := v.want[c.img]
	v.want[c.img] = url
	if old != url {
		v.releaseFetch(old)
	}
	if !ok {
		c.img.Image = nil // raw files: the name says it all
		c.img.Refresh()
	} else if img, hit := cachedOf(v.acct, url); hit {
		c.img.Image = img
		c.img.Refresh()
	} else if old != url || c.img.Image == nil || c.img.Image == placeholder {
		c.img.Image = placeholder
		c.img.Refresh()
		v.fetch(url)
	}
	if v.browser.NeedsMore(id) {
		v.loadMore()
	}
}

// placeholder is drawn while a thumbnail downloads. It must have finite
// bounds: Fyne's painters scale a canvas.Image's pixels, and an
// image.Uniform (bounds ±1e9) makes them allocate without limit and panic.
var placeholder = func() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0x80, 0x80, 0x80, 0x30})
	return img
}()

func cachedOf(a Account, url string) (image.Image, bool) {
	if c, ok := a.(interface {
		CachedThumb(string) (image.Image, bool)
	}); ok {
		return c.CachedThumb(url)
	}
	return nil, false
}

// fetch downloads url once, however many cells want it, and draws it into
// every cell still bound to it. Its own cancel lets a fast scroll drop
// downloads of cells no longer on screen (Thumbs.Get waits for a download
// slot under that context, so a dropped one costs nothing); closing the
// tasks cancels it too.
func (v *View) fetch(url string) {
	if _, busy := v.fetching[url]; busy {
		return
	}
	acct := v.acct
	ctx, cancel := context.WithCancel(context.Background())
	tok := &fetchToken{cancel: cancel}
	v.fetching[url] = tok
	v.tasks.Go(func(taskCtx context.Context) func() {
		stop := context.AfterFunc(taskCtx, cancel)
		defer stop()
		defer cancel()
		img, err := acct.Thumb(ctx, url)
		return func() {
			if v.fetching[url] == tok {
				delete(v.fetching, url)
			}
			if err != nil || v.acct != acct {
				return
			}
			for c, want := range v.want {
				if want == url {
					c.Image = img
					c.Refresh()
				}
			}
		}
	})
}

type fetchToken struct{ cancel context.CancelFunc }

// releaseFetch forgets a download no cell wants any more.
func (v *View) releaseFetch(url string) {
	if url == "" {
		return
	}
	for _, want := range v.want {
		if want == url {
			return
		}
	}
	if tok, ok := v.fetching[url]; ok {
		tok.cancel()
		delete(v.fetching, url)
	}
}

func (v *View) cancelFetches() {
	for url, tok := range v.fetching {
		tok.cancel()
		delete(v.fetching, url)
	}
	for c := range v.want {
		delete(v.want, c)
	}
}

// dropAsset removes a deleted asset's cell.
func (v *View) dropAsset(a cloud.Asset) {
	if v.browser == nil {
		return
	}
	if v.browser.Remove(cloud.Ref{PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type}) {
		v.grid.Refresh()
		v.showState()
	}
}
