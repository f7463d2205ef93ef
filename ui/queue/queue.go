// Package queue is the Upload tab: a large drop target while nothing is
// queued, then a virtualized list of the upload engine's items with their
// thumbnails, progress and per-row actions, and a footer with the batch
// totals. Drops, pickers, pasted text, URLs, the camera and command-line
// arguments all become engine items here.
//
// It owns the view-side model of the queue (ordered item ids and what their
// rows show, rowmodel.go), which a goroutine of its own fills from the engine's events,
// coalesced to at most ten UI updates a second. The list reads only that
// model, never the engine, on the UI goroutine. It must not upload, hash or
// read files itself: folders are expanded by core/source on bridge.Tasks,
// thumbnails come from core/localthumb off the UI goroutine, and everything
// else is the engine's job.
//
// The pump is a bridge.Tasks loop; every other piece of work is a task
// whose result the bridge applies on the UI goroutine.
//
// Deviation from the views contract: *transfer.Engine does not satisfy
// Engine directly, because Subscribe returns a concrete *transfer.Subscription
// that a fake cannot build; EngineFrom (used by AccountFrom) wraps it.
package queue

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	corecam "github.com/cloudup/cloudup/core/camera"
	"github.com/cloudup/cloudup/core/clipboard"
	"github.com/cloudup/cloudup/core/localthumb"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/words"
)

// Engine is what the queue needs of the upload engine. EngineFrom adapts a
// *transfer.Engine; the tests have an in-memory one. None of these may block on
// the network or the disk: they are called on the UI goroutine.
type Engine interface {
	Add(items ...transfer.Item) []transfer.ItemID
	Cancel(id transfer.ItemID) error
	Retry(id transfer.ItemID) error
	Remove(id transfer.ItemID) error
	Pause()
	Resume()
	ClearFinished() int
	RetryFailed() int
	// UploadAgain uploads a file skipped as already uploaded, as a new asset.
	UploadAgain(id transfer.ItemID) error
	// ResumeUnfinished runs off the UI goroutine (it reads the journal).
	ResumeUnfinished(ctx context.Context) ([]transfer.ItemID, error)
	Snapshot() transfer.Snapshot
	// Item is one item's whole status (the view keeps less of waiting and
	// finished rows).
	Item(id transfer.ItemID) (transfer.ItemStatus, bool)
	Subscribe() Subscription
}

// Subscription is a stream of engine events; the view closes it when it
// lets go of the engine.
type Subscription interface {
	Events() <-chan transfer.Event
	Close()
}

// Account is the current profile as the queue sees it.
type Account interface {
	Engine() Engine
	// Options are the current folder, tags and preset for new items; nil
	// leaves the engine's defaults.
	Options() *transfer.Options
}

// EngineFrom adapts the real engine to Engine.
func EngineFrom(e *transfer.Engine) Engine { return engineAdapter{e} }

type engineAdapter struct{ *transfer.Engine }

func (a engineAdapter) Subscribe() Subscription { return subAdapter{a.Engine.Subscribe()} }

type subAdapter struct{ s *transfer.Subscription }

func (s subAdapter) Events() <-chan transfer.Event { return s.s.C }
func (s subAdapter) Close()                        { s.s.Close() }

// AccountFrom is the adapter the app calls: the session's engine and a
// function giving the current upload options (nil: the engine's defaults).
func AccountFrom(e *transfer.Engine, options func() *transfer.Options) Account {
	return account{engine: EngineFrom(e), options: options}
}

// AccountWith builds an Account around any Engine, e.g. a test double.
func AccountWith(e Engine, options func() *transfer.Options) Account {
	return account{engine: e, options: options}
}

type account struct {
	engine  Engine
	options func() *transfer.Options
}

func (a account) Engine() Engine { return a.engine }
func (a account) Options() *transfer.Options {
	if a.options == nil {
		return nil
	}
	return a.options()
}

// View is the Upload tab.
type View struct {
	// PickFiles shows the desktop's file chooser (PortalPicker) and returns
	// the chosen paths; nil, or portal.ErrNoPortal, means Fyne's dialog.
	PickFiles func(ctx context.Context) ([]string, error)
	// OnOpenSettings opens the Settings dialog, for a failure only a
	// profile change can mend.
	OnOpenSettings func()
	// OnCompact is told when the density changes, to remember it.
	OnCompact func(compact bool)
	// OnContact is told when an upload ends: done (err nil) or failed.
	OnContact func(name string, err error)

	win    fyne.Window
	tasks  *bridge.Tasks
	thumbs *localthumb.Cache
	cam    corecam.Camera
	// readClipboardImage reads a pasted picture; nil means
	// clipboard.ReadImage. Tests replace it.
	readClipboardImage func(context.Context) (clipboard.Image, error)

	acct    Account
	why     string   // when acct is nil: what is missing
	gen     int      // bumps on SetAccount; a stale pump's updates are dropped
	waiting []string // inputs given before an account was there
	// acctCtx lives as long as acct: SetAccount and SetUnavailable cancel
	// it (stopAcct), which stops the pump, folder walks and resumes started
	// for that account.
	acctCtx  context.Context
	stopAcct context.CancelFunc
	// addMu makes "is the account still current?" and Engine.Add one step
	// for expansions running off the UI goroutine, and stopAcct is called
	// under it: once SetUnavailable returns, no walk adds to the old engine.
	addMu sync.Mutex

	// Hand-off from the pump goroutine to the UI goroutine.
	mu   sync.Mutex
	pend pending
	// pendGen is the account generation pend belongs to: a pump still
	// draining the previous account's events must not write into it.
	pendGen  int
	merged   atomic.Int64 // events merged so far, for tests
	flushes  atomic.Int64 // flushes the pump asked for, for tests
	attached atomic.Int64 // the gen whose pump has taken its snapshot

	// The model: touched on the UI goroutine only.
	ids         []transfer.ItemID
	rows        []rowRec // rows[i] is ids[i]'s (rowmodel.go)
	index       map[transfer.ItemID]int32
	whole       map[transfer.ItemID]*transfer.ItemStatus // live rows' statuses
	odd         map[transfer.ItemID]string               // short rows' uncommon words
	batch       transfer.BatchStatus
	selected    transfer.ItemID
	selectedAt  int // the selected row's index when it was selected
	thumbWanted map[string]bool
	rowHeight   float32      // a one-line row
	tallRows    map[int]bool // indexes of rows made taller for a failure
	working     bool         // the batch had work since it last finished
	quiet       bool         // another part of the window says when batches end

	// Widgets.
	list       *rowList
	body       *fyne.Container
	empty      fyne.CanvasObject
	dropFrame  *canvas.Rectangle
	emptyTitle *widget.Label
	emptyHint  *widget.Label
	notice     *widget.Label
	noticeBar  *fyne.Container
	noticeBtns *fyne.Container
	overall    *widget.ProgressBar
	summary    *figureLine
	pauseBtn   *widget.Button
	clearBtn   *widget.Button
	retryBtn   *widget.Button
	footer     fyne.CanvasObject
	content    fyne.CanvasObject
	buttons    []*widget.Button // the empty state's source buttons
	highlight  bool
	// compact rows: one line each (SetCompact).
	compact      bool
	compactCheck *widget.Check
	// An empty row's size and the icons column's width (rows.go).
	rowMin map[rowSizeKey]fyne.Size
	iconsW struct {
		key   rowSizeKey
		width float32
	}
	belowBtn *widget.Button
	// below counts rows added under the visible part of the list since the
	// user last looked there; the notice bar announces them.
	below int
	// stopCountdown ends the once-a-second redraw of retrying rows.
	stopCountdown context.CancelFunc

	// The Details panel (details.go): what the next files get.
	details      Details
	detailsBar   *fyne.Container
	detailsLabel *widget.Label
	detailsOpen  *detailsForm
	top          *fyne.Container // notice bar and details line

	// whyBtn offers, on demand, why fewer uploads run at once (Cloudinary
	// refused more); whyLine is that explanation.
	whyBtn  *widget.Button
	whyLine *widget.Label
	whyOpen bool
}

// New builds the Upload tab. It does no I/O.
func New(win fyne.Window, tasks *bridge.Tasks) *View {
	v := &View{win: win, tasks: tasks,
		thumbs: localthumb.New(0, 0, 2), index: map[transfer.ItemID]int32{}, whole: map[transfer.ItemID]*transfer.ItemStatus{}, odd: map[transfer.ItemID]string{},
		thumbWanted: map[string]bool{}, why: chooseProfile}
	v.build()
	v.render()
	return v
}

// Content is what the window puts in the Upload tab.
func (v *View) Content() fyne.CanvasObject { return v.content }

// goAccountWork runs work for the current account on the bridge: its
// context also ends when the account is switched or detached.
func (v *View) goAccountWork(work func(ctx context.Context) func()) {
	acctCtx := v.acctCtx
	v.tasks.Go(func(tctx context.Context) func() {
		ctx, cancel := context.WithCancel(tctx)
		defer cancel()
		stop := context.AfterFunc(acctCtx, cancel)
		defer stop()
		return work(ctx)
	})
}

// addIfCurrent hands items to eng unless the account they were found for
// (acctCtx) has been let go of; it is safe off the UI goroutine.
func (v *View) addIfCurrent(acctCtx context.Context, eng Engine, items []transfer.Item) {
	v.addMu.Lock()
	defer v.addMu.Unlock()
	if acctCtx.Err() == nil && len(items) > 0 {
		eng.Add(items...)
	}
}

// SetCamera picks the camera the Camera dialog uses; by default it is
// camera.NewAuto, made when the dialog first opens.
func (v *View) SetCamera(c corecam.Camera) { v.cam = c }

// SetAccount attaches the view to an account's engine (nil detaches it and
// the empty state says a profile is needed). Inputs given while no account
// was attached are queued now.
func (v *View) SetAccount(a Account) {
	v.SetUnavailable(nil)
	if a == nil {
		return
	}
	v.acct = a
	ctx, cancel := context.WithCancel(context.Background())
	v.acctCtx, v.stopAcct = ctx, cancel
	gen, eng := v.gen, a.Engine()
	v.tasks.Loop(func(tctx context.Context) {
		stop := context.AfterFunc(tctx, cancel)
		defer stop()
		v.pump(ctx, gen, eng)
	})
	v.render()
	if len(v.waiting) > 0 {
		args := v.waiting
		v.waiting = nil
		v.addArgs(args)
	}
}

// chooseProfile is the empty state's hint while no profile is chosen.
const chooseProfile = "Choose a profile in the header to start uploading."

// SetOpening says that a profile is being opened (the first start of the
// sandbox takes a moment): while no account is attached, the empty state
// says so instead of asking for a profile.
func (v *View) SetOpening(profile string) {
	if v.acct != nil {
		return
	}
	v.why = "Opening " + profile + "…"
	v.render()
}

// SetUnavailable detaches the view from any account and shows why nothing
// can be uploaded (nil: the generic "choose a profile").
func (v *View) SetUnavailable(why error) {
	if v.stopAcct != nil {
		v.addMu.Lock()
		v.stopAcct()
		v.addMu.Unlock()
		v.acctCtx, v.stopAcct = nil, nil
	}
	v.gen++
	v.acct = nil
	if v.stopCountdown != nil {
		v.stopCountdown()
		v.stopCountdown = nil
	}
	v.mu.Lock()
	v.pend, v.pendGen = pending{}, v.gen
	v.mu.Unlock()
	v.ids, v.rows, v.batch, v.selected, v.working = nil, nil, transfer.BatchStatus{}, "", false
	v.index, v.whole, v.odd = map[transfer.ItemID]int32{}, map[transfer.ItemID]*transfer.ItemStatus{}, map[transfer.ItemID]string{}
	v.why = chooseProfile
	if why != nil {
		v.why = words.Unavailable(why).Text
	}
	v.list.UnselectAll()
	v.render()
}

// newList makes the list of rows (again, when the density changes: fyne's
// list keeps the rows it made).
func (v *View) newList() {
	v.list = newRowList(func() int { return len(v.ids) }, v.newRow, v.updateRow, v.DeleteSelected)
	v.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(v.ids) {
			v.selected, v.selectedAt = v.ids[i], i
		}
	}
	v.list.OnUnselected = func(widget.ListItemID) { v.selected = "" }
}

// SetCompact switches between comfortable rows (a thumbnail, the name over
// the state) and compact ones (one line each, about twice as many on
// screen) for editors with hundreds of files.
func (v *View) SetCompact(on bool) {
	if on == v.compact {
		return
	}
	v.compact = on
	if v.compactCheck.Checked != on {
		v.compactCheck.SetChecked(on) // calls back here, which returns above
	}
	old := v.list
	v.newList()
	v.rowHeight, v.tallRows = 0, nil
	if len(v.body.Objects) == 1 && v.body.Objects[0] == fyne.CanvasObject(old) {
		v.body.Objects = []fyne.CanvasObject{v.list}
		v.body.Refresh()
	}
	v.fitFailedRows()
	for i, id := range v.ids {
		if id == v.selected {
			v.list.Select(i)
		}
	}
	v.render()
	v.setBelow(min(v.below, v.rowsPastSight())) // more rows are in sight now
	if v.OnCompact != nil {
		v.OnCompact(on)
	}
}

// Compact reports whether rows are compact.
func (v *View) Compact() bool { return v.compact }

// RowHeight is the height of a row that shows no failure.
func (v *View) RowHeight() float32 {
	if v.rowHeight == 0 {
		v.rowHeight = v.newRow().MinSize().Height
	}
	return v.rowHeight
}

func (v *View) build() {
	v.newList()

	// The empty state: one big drop target with the other sources under it.
	v.dropFrame = canvas.NewRectangle(nil)
	v.dropFrame.StrokeWidth = 2
	v.dropFrame.CornerRadius = theme.InputRadiusSize() * 2
	v.SetDropHighlight(false)
	icon := widget.NewIcon(theme.UploadIcon())
	iconBox := container.NewGridWrap(fyne.NewSquareSize(72), icon)
	v.emptyTitle = widget.NewLabelWithStyle("Drop photos and videos here", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.emptyTitle.SizeName = theme.SizeNameHeadingText
	v.emptyHint = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.buttons = []*widget.Button{
		widget.NewButtonWithIcon("Add files", theme.FileIcon(), v.AddFiles),
		widget.NewButtonWithIcon("Add folder", theme.FolderOpenIcon(), v.AddFolder),
		widget.NewButtonWithIcon("From URL", theme.ComputerIcon(), v.FromURL),
		widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), v.Paste),
		widget.NewButtonWithIcon("Camera", theme.MediaPhotoIcon(), v.Camera),
		widget.NewButtonWithIcon("Details…", theme.DocumentCreateIcon(), v.ShowDetails),
	}
	row := container.NewHBox()
	for _, b := range v.buttons {
		row.Add(b)
	}
	inner := container.NewVBox(container.NewCenter(iconBox), v.emptyTitle, v.emptyHint, container.NewCenter(row))
	v.empty = container.NewPadded(container.NewStack(v.dropFrame, container.NewCenter(container.NewPadded(inner))))

	v.notice = widget.NewLabel("")
	v.notice.Wrapping = fyne.TextWrapWord
	v.noticeBtns = container.NewHBox()
	v.noticeBar = container.NewBorder(nil, nil, nil, v.noticeBtns, v.notice)
	v.noticeBar.Hide()

	v.overall = widget.NewProgressBar()
	v.overall.TextFormatter = noText
	v.summary = newFigureLine()
	v.whyBtn = widget.NewButtonWithIcon("Why?", theme.InfoIcon(), v.toggleWhy)
	v.whyBtn.Importance = widget.LowImportance
	v.whyBtn.Hide()
	v.whyLine = widget.NewLabel("")
	v.whyLine.Wrapping = fyne.TextWrapWord
	v.whyLine.Hide()
	v.pauseBtn = widget.NewButtonWithIcon("Pause all", theme.MediaPauseIcon(), v.togglePause)
	v.compactCheck = widget.NewCheck("Compact rows", v.SetCompact)
	v.belowBtn = widget.NewButtonWithIcon("", theme.MoveDownIcon(), v.ShowNewRows)
	v.belowBtn.Importance = widget.HighImportance
	v.belowBtn.Hide()
	v.clearBtn = widget.NewButtonWithIcon("Clear finished", theme.ContentClearIcon(), v.ClearFinished)
	v.retryBtn = widget.NewButtonWithIcon("Retry failed", theme.ViewRefreshIcon(), v.RetryFailed)
	// The totals line spans the footer: beside the buttons it was cut off
	// before it said how many run at once.
	v.footer = container.NewVBox(widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, v.whyBtn, v.summary), v.whyLine,
		container.NewBorder(nil, nil, nil, container.NewHBox(v.belowBtn, v.compactCheck, widget.NewButtonWithIcon("Details…", theme.DocumentCreateIcon(), v.ShowDetails), v.pauseBtn, v.clearBtn, v.retryBtn),
			container.NewVBox(layout.NewSpacer(), v.overall, layout.NewSpacer())))

	v.body = container.NewStack(v.empty)
	v.top = container.NewVBox(v.noticeBar, v.buildDetailsBar())
	v.top.Hide()
	v.content = container.NewBorder(v.top, v.footer, nil, nil, v.body)
	v.footer.Hide()
}

// SetDropHighlight shows that a drop would land here (the window calls it
// while something is dragged over it, where the platform reports that).
func (v *View) SetDropHighlight(on bool) {
	v.highlight = on
	if on {
		v.dropFrame.StrokeColor = theme.Color(theme.ColorNamePrimary)
		v.dropFrame.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		v.dropFrame.StrokeColor = theme.Color(theme.ColorNameSeparator)
		v.dropFrame.FillColor = theme.Color(theme.ColorNameInputBackground)
	}
	v.dropFrame.Refresh()
}

// render brings the widgets in line with the model.
func (v *View) render() {
	if len(v.ids) == 0 {
		if len(v.body.Objects) != 1 || v.body.Objects[0] != v.empty {
			v.body.Objects = []fyne.CanvasObject{v.empty}
			v.body.Refresh()
		}
		v.setVisible(v.footer, false)
		v.SetDropHighlight(v.highlight) // the colours follow a theme change
		hint := "or add them from a folder, the web, the clipboard or the camera"
		if v.acct == nil {
			hint = wrapWords(v.why, 70)
		}
		if hint != v.emptyHint.Text {
			v.emptyHint.SetText(hint)
			v.empty.Refresh() // lay the centred box out for the new height
		}
		return
	}
	if len(v.body.Objects) != 1 || v.body.Objects[0] != fyne.CanvasObject(v.list) {
		v.body.Objects = []fyne.CanvasObject{v.list}
		v.body.Refresh()
	}
	v.setVisible(v.footer, true)
	b := v.batch
	v.overall.SetValue(overallFraction(func(yield func(transfer.ItemStatus) bool) {
		for i := range v.ids {
			if !yield(v.rowStatus(i)) {
				return
			}
		}
	}))
	v.summary.SetText(batchWords(b))
	v.renderWhy(b)
	if b.Paused {
		v.pauseBtn.SetText("Resume all")
		v.pauseBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		v.pauseBtn.SetText("Pause all")
		v.pauseBtn.SetIcon(theme.MediaPauseIcon())
	}
	// Pause all is for when something runs (or waits to); Resume all for
	// as long as the batch is paused.
	setEnabled(v.pauseBtn, b.Paused || b.Queued+b.Active > 0)
	setEnabled(v.clearBtn, b.Done+b.Skipped+b.Canceled > 0)
	setEnabled(v.retryBtn, b.Failed > 0 && len(v.retryable()) > 0)
	v.list.Refresh()
}

// renderWhy offers the reason fewer uploads run at once while Cloudinary
// holds the number down, and shows it once asked.
func (v *View) renderWhy(b transfer.BatchStatus) {
	why := refusedWords(b)
	if why == "" {
		v.whyOpen = false
	}
	if (why != "") != v.whyBtn.Visible() {
		if why != "" {
			v.whyBtn.Show()
		} else {
			v.whyBtn.Hide()
		}
	}
	label := "Why?"
	if v.whyOpen {
		label = "Hide"
		if v.whyLine.Text != why {
			v.whyLine.SetText(why)
		}
	}
	if v.whyBtn.Text != label {
		v.whyBtn.SetText(label)
	}
	if v.whyOpen != v.whyLine.Visible() {
		if v.whyOpen {
			v.whyLine.Show()
		} else {
			v.whyLine.Hide()
		}
		v.content.Refresh() // the footer changed height
	}
}

// toggleWhy shows or hides why fewer uploads run at once.
func (v *View) toggleWhy() {
	v.whyOpen = !v.whyOpen
	v.renderWhy(v.batch)
}

// Why is the footer's explanation line while it is shown ("" otherwise).
func (v *View) Why() string {
	if !v.whyLine.Visible() {
		return ""
	}
	return v.whyLine.Text
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// showNotice puts a line above the queue; buttons (optional) act on it.
// An empty msg hides the bar.
func (v *View) showNotice(msg string, danger bool, buttons ...*widget.Button) {
	if msg == "" {
		v.setVisible(v.noticeBar, false)
		return
	}
	v.notice.SetText(msg)
	if danger {
		v.notice.Importance = widget.DangerImportance
	} else {
		v.notice.Importance = widget.MediumImportance
	}
	v.notice.Refresh()
	v.noticeBtns.Objects = nil
	for _, b := range buttons {
		v.noticeBtns.Add(b)
	}
	v.noticeBtns.Add(widget.NewButtonWithIcon("", theme.WindowCloseIcon(), func() { v.showNotice("", false) }))
	v.setVisible(v.noticeBar, true)
	v.noticeBar.Refresh()
}

// setVisible shows or hides a part of the border layout and lays the tab
// out again, which a plain Show or Hide does not do.
func (v *View) setVisible(o fyne.CanvasObject, on bool) {
	if o.Visible() == on {
		return
	}
	if on {
		o.Show()
	} else {
		o.Hide()
	}
	// The top holds the notice and the details line: shown when one is.
	if v.top != nil {
		if v.noticeBar.Visible() || (v.detailsBar != nil && v.detailsBar.Visible()) {
			v.top.Show()
		} else {
			v.top.Hide()
		}
	}
	v.content.Refresh()
}

// Hint is the empty state's line under its title.
func (v *View) Hint() string { return v.emptyHint.Text }

// ShowInfo puts a line of information above the queue (a closing button
// takes it away).
func (v *View) ShowInfo(msg string) { v.showNotice(msg, false) }

// Notice is the text of the line above the queue ("" when hidden).
func (v *View) Notice() string {
	if !v.noticeBar.Visible() {
		return ""
	}
	return v.notice.Text
}

// Summary is the footer's line, e.g. "3 of 10 uploaded · 3.2 MB/s · 1 min left".
func (v *View) Summary() string { return v.summary.Text }

// Len is how many rows the queue shows.
func (v *View) Len() int { return len(v.ids) }

// Row returns the status of a row: what it shows, and for a waiting or
// finished row the rest from the engine (its link, public ID…).
func (v *View) Row(i int) transfer.ItemStatus {
	st, _ := v.fullStatus(v.ids[i])
	return st
}

// wrapWords breaks text into lines of at most width runes. The empty
// state's label sits in a centred box, where a wrapping label would be
// given the width of one word; explicit lines keep their height.
func wrapWords(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		l := len([]rune(w))
		if n > 0 && n+1+l > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += l
	}
	return b.String()
}

// rowList is the queue's list. Once a row is clicked the list has the
// keyboard focus, and a focused widget gets the keys the window would
// otherwise see: the list handles Delete itself so removing the selected
// row works either way.
type rowList struct {
	widget.List
	onDelete func()
}

func newRowList(length func() int, create func() fyne.CanvasObject, update func(widget.ListItemID, fyne.CanvasObject), onDelete func()) *rowList {
	l := &rowList{onDelete: onDelete}
	l.Length, l.CreateItem, l.UpdateItem = length, create, update
	l.ExtendBaseWidget(l)
	return l
}

func (l *rowList) TypedKey(e *fyne.KeyEvent) {
	if e.Name == fyne.KeyDelete || e.Name == fyne.KeyBackspace {
		l.onDelete()
		return
	}
	l.List.TypedKey(e)
}
