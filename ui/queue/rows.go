package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/localthumb"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// barHeight is a row's progress bar: thin, as it carries no text.
const barHeight = 8

// Thumbnail edges on screen: a comfortable row and a compact one.
const (
	thumbSize        = 48
	compactThumbSize = 24
)

// row is one line of the queue; widget.List recycles a screenful of them.
type row struct {
	widget.BaseWidget
	id     transfer.ItemID
	thumb  *canvas.Image
	icon   *widget.Icon
	name   *widget.Label
	detail *figureLine
	bar    *widget.ProgressBar
	rate   *figureLine
	// action is a failure's one helpful step ("Retry", "Open Settings",
	// "Remove"); details shows the technical account.
	action  *widget.Button
	details *widget.Button
	again   *widget.Button // a skipped row: upload it anyway
	retry   *widget.Button
	cancel  *widget.Button
	remove  *widget.Button
	box     fyne.CanvasObject
	v       *View
}

func (v *View) newRow() fyne.CanvasObject {
	r := &row{v: v}
	r.thumb = canvas.NewImageFromImage(nil)
	r.thumb.FillMode = canvas.ImageFillContain
	r.thumb.ScaleMode = canvas.ImageScaleFastest
	r.icon = widget.NewIcon(theme.FileIcon())
	r.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.detail = newFigureLine()
	r.bar = widget.NewProgressBar()
	r.bar.TextFormatter = noText
	r.rate = newFigureLine()
	r.rate.Alignment = fyne.TextAlignTrailing
	r.rate.SizeName = theme.SizeNameCaptionText
	r.action = widget.NewButton("", func() { v.failureAction(r.id) })
	r.details = widget.NewButtonWithIcon("", theme.InfoIcon(), func() { v.showDetails(r.id) })
	r.again = widget.NewButton("Upload again", func() { v.act(r.id, "upload again") })
	r.retry = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { v.act(r.id, "retry") })
	r.cancel = widget.NewButtonWithIcon("", theme.CancelIcon(), func() { v.act(r.id, "cancel") })
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.act(r.id, "remove") })
	for _, b := range []*widget.Button{r.details, r.retry, r.cancel, r.remove} {
		b.Importance = widget.LowImportance
	}
	// Columns keep their places from row to row: the progress (or, for a
	// failure, its action and details) in one, the icons in the next.
	icons := fixedWidth(v.iconsWidth(r.remove), container.NewBorder(nil, nil, nil, container.NewHBox(r.retry, r.cancel, r.remove)))
	mend := container.NewCenter(container.NewHBox(r.action, r.again, r.details))
	if v.compact {
		// One line: a small picture, the name and the state side by side,
		// a short bar with the speed after it.
		pic := container.NewGridWrap(fyne.NewSquareSize(compactThumbSize), container.NewStack(r.icon, r.thumb))
		progress := container.NewHBox(container.NewCenter(container.NewGridWrap(fyne.NewSize(80, barHeight), r.bar)), fixedWidth(140, r.rate))
		right := container.NewHBox(fixedWidth(230, container.NewStack(container.NewCenter(progress), mend)), icons)
		r.box = container.NewBorder(nil, nil, container.NewCenter(pic), right, container.NewGridWithColumns(2, r.name, r.detail))
	} else {
		pic := container.NewGridWrap(fyne.NewSquareSize(thumbSize), container.NewStack(container.NewPadded(r.icon), r.thumb))
		progress := container.NewGridWrap(fyne.NewSize(170, barHeight), r.bar)
		bars := container.NewCenter(container.NewVBox(container.NewCenter(progress), r.rate))
		right := container.NewHBox(fixedWidth(190, container.NewStack(bars, mend)), icons)
		r.box = container.NewBorder(nil, nil, container.NewCenter(pic), right, container.NewVBox(r.name, r.detail))
	}
	r.ExtendBaseWidget(r)
	return r
}

func (r *row) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

// MinSize is an empty row's, worked out once per layout and theme size.
// Fyne's list builds a throwaway row at every refresh (ten a second while
// a batch runs) only to ask it this; measured, each one's buttons made
// renderers that Fyne keeps for a minute: some 600 rows, about 20 MB.
// Every row of the list gets the template's height anyway.
func (r *row) MinSize() fyne.Size {
	k := rowSizeKey{compact: r.v.compact, text: theme.TextSize(), pad: theme.Padding()}
	if s, ok := r.v.rowMin[k]; ok {
		return s
	}
	s := r.BaseWidget.MinSize()
	if r.id == "" { // an empty row, as the list's template is
		if r.v.rowMin == nil {
			r.v.rowMin = map[rowSizeKey]fyne.Size{}
		}
		r.v.rowMin[k] = s
	}
	return s
}

// rowSizeKey is what an empty row's size depends on.
type rowSizeKey struct {
	compact   bool
	text, pad float32
}

// iconsWidth is the icons column's width: two icon buttons and a gap. It
// is measured on the first row only, for the reason row.MinSize gives.
func (v *View) iconsWidth(b *widget.Button) float32 {
	k := rowSizeKey{text: theme.TextSize(), pad: theme.Padding()}
	if v.iconsW.key != k || v.iconsW.width == 0 {
		v.iconsW.key, v.iconsW.width = k, 2*b.MinSize().Width+theme.Padding()
	}
	return v.iconsW.width
}

func (v *View) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*row)
	if i < 0 || i >= len(v.ids) {
		return
	}
	v.fillRow(r, v.rowStatus(i))
}

// fillRow makes r show st.
func (v *View) fillRow(r *row, st transfer.ItemStatus) {
	r.id = st.ID
	// The list asks for every visible row ten times a second while a batch
	// runs; only what changed is set, so unchanged text is not shaped and
	// laid out again each time (with thousands of rows that churn was most
	// of the window's work and garbage).
	setText(r.name, displayName(st))
	text, failure := rowWords(st, time.Now())
	failed := st.State == transfer.Failed
	importance, truncation, wrapping := widget.MediumImportance, fyne.TextTruncateEllipsis, fyne.TextWrapOff
	if failed {
		importance, truncation, wrapping = widget.DangerImportance, fyne.TextTruncateOff, fyne.TextWrapWord
	}
	if r.detail.Text != text || r.detail.Importance != importance || r.detail.Truncation != truncation || r.detail.Wrapping != wrapping {
		r.detail.Text, r.detail.Importance, r.detail.Truncation, r.detail.Wrapping = text, importance, truncation, wrapping
		r.detail.Refresh()
	}
	if f := itemFraction(st); r.bar.Value != f {
		r.bar.SetValue(f)
	}
	skipped := st.State == transfer.Skipped
	moved := show(r.bar, !failed && !skipped)
	moved = show(r.again, skipped) || moved
	r.rate.SetText(rateWords(st))                    // when it changed
	moved = show(r.rate, r.rate.Text != "") || moved // the bar alone sits in the middle
	if label := failure.Action.Label(); r.action.Text != label {
		r.action.SetText(label)
	}
	moved = show(r.action, failed && failure.Action != words.NoAction) || moved
	moved = show(r.details, failed && failure.Details != "") || moved
	moved = show(r.retry, st.State == transfer.Canceled) || moved
	moved = show(r.cancel, !st.State.Final()) || moved
	moved = show(r.remove, !failed || failure.Action != words.Remove) || moved
	moved = v.showThumb(r, st) || moved
	if moved {
		r.box.Refresh() // lay the row out again: its buttons came and went
	}
}

// setText sets a label's text if it differs (SetText always redraws).
func setText(l *widget.Label, text string) {
	if l.Text != text {
		l.SetText(text)
	}
}

// show shows or hides o and says whether that changed anything.
func show(o fyne.CanvasObject, on bool) bool {
	if o.Visible() == on {
		return false
	}
	if on {
		o.Show()
	} else {
		o.Hide()
	}
	return true
}

// showThumb puts the cached thumbnail in the row, or a type icon while it is
// made (off the UI goroutine) or when there is none to make.
func (v *View) showThumb(r *row, st transfer.ItemStatus) (moved bool) {
	var img = r.thumb.Image
	r.thumb.Image = nil
	if st.Path != "" && localthumb.Decodable(st.Path) {
		if cached, ok := v.thumbs.Peek(st.Path); ok {
			r.thumb.Image = cached
		} else {
			v.wantThumb(st.Path)
		}
	}
	if r.thumb.Image != img {
		r.thumb.Refresh()
	}
	if res := typeIcon(st); r.icon.Resource != res {
		r.icon.SetResource(res)
	}
	return show(r.icon, r.thumb.Image == nil)
}

func (v *View) wantThumb(path string) {
	if v.thumbWanted[path] {
		return
	}
	v.thumbWanted[path] = true
	gen := v.gen
	v.tasks.Go(func(ctx context.Context) func() {
		if _, err := v.thumbs.Get(ctx, path); err != nil {
			return nil // the row keeps its type icon
		}
		return func() {
			if gen == v.gen {
				v.list.Refresh()
			}
		}
	})
}

func typeIcon(st transfer.ItemStatus) fyne.Resource {
	switch typeKind(st) {
	case kindWeb:
		return theme.ComputerIcon()
	case kindVideo:
		return theme.FileVideoIcon()
	case kindImage:
		return theme.FileImageIcon()
	}
	return theme.FileIcon()
}

func typeKind(st transfer.ItemStatus) uint8 {
	switch {
	case st.URL != "":
		return kindWeb
	case st.ResourceType == transfer.Video:
		return kindVideo
	case st.ResourceType == transfer.Image, localthumb.Decodable(st.Path):
		return kindImage
	}
	rt, _ := transfer.Detect(st.Name, nil)
	switch rt {
	case transfer.Video:
		return kindVideo
	case transfer.Image:
		return kindImage
	}
	return kindFile
}

func displayName(st transfer.ItemStatus) string {
	switch {
	case st.Name != "":
		return st.Name
	case st.URL != "":
		return st.URL
	}
	return st.Path
}

// rowWords is the row's second line: size and state; for a failure, the
// one sentence that says what happened and what to do, whose action and
// details the row's buttons offer.
func rowWords(st transfer.ItemStatus, now time.Time) (string, words.Message) {
	if st.State == transfer.Failed {
		m := words.Failure(st)
		return m.Text, m // the sentence alone: it names a size when one matters
	}
	var parts []string
	if st.BytesTotal > 0 {
		parts = append(parts, transfer.HumanBytes(st.BytesTotal))
	} else if st.URL != "" {
		parts = append(parts, "fetched by Cloudinary")
	}
	switch st.State {
	case transfer.Retrying:
		parts = append(parts, words.Retrying(st, now))
	default:
		parts = append(parts, transfer.ItemWords(st))
	}
	return strings.Join(parts, " · "), words.Message{}
}

// failureAction runs the action a failed row offers.
func (v *View) failureAction(id transfer.ItemID) {
	st, ok := v.statusOf(id)
	if !ok {
		return
	}
	switch words.Failure(st).Action {
	case words.Retry:
		v.act(id, "retry")
	case words.Remove:
		v.act(id, "remove")
	case words.OpenSettings:
		if v.OnOpenSettings != nil {
			v.OnOpenSettings()
		}
	}
}

// showDetails shows what went wrong with a row in full, for whoever asks
// (and to copy into a support request).
func (v *View) showDetails(id transfer.ItemID) {
	st, ok := v.statusOf(id)
	if !ok {
		return
	}
	m := words.Failure(st)
	dialogs.ShowDetails(v.win, displayName(st), m.Text, m.Details)
}

func itemFraction(st transfer.ItemStatus) float64 {
	switch st.State {
	case transfer.Done, transfer.Skipped:
		return 1
	}
	if st.BytesTotal <= 0 {
		return 0
	}
	return min(float64(st.BytesDone)/float64(st.BytesTotal), 1)
}

// rateWords is "1.2 MB/s · 8 s left" while uploading.
// The bar itself draws no number: its text could not be read on both its
// filled and its empty part (see ui/style).
func rateWords(st transfer.ItemStatus) string {
	if st.State != transfer.Uploading {
		return ""
	}
	s := fmt.Sprintf("%d %%", int(itemFraction(st)*100))
	if st.Speed > 0 {
		s += " · " + speedWords(st.Speed)
	}
	if st.ETA > 0 {
		s += " · " + etaWords(st.ETA)
	}
	return s
}

// noText keeps a progress bar's number off it.
func noText() string { return "" }

// act runs a row button's action on the engine.
func (v *View) act(id transfer.ItemID, what string) {
	if v.acct == nil || id == "" {
		return
	}
	eng := v.acct.Engine()
	var err error
	switch what {
	case "retry":
		err = eng.Retry(id)
	case "cancel":
		err = eng.Cancel(id)
	case "remove":
		err = eng.Remove(id)
	case "upload again":
		err = eng.UploadAgain(id)
	}
	if err != nil {
		st, _ := v.statusOf(id)
		v.showNotice("Could not "+what+" "+displayName(st)+": "+err.Error(), true)
	}
}

// DeleteSelected removes the selected row from the queue (the Delete key).
func (v *View) DeleteSelected() {
	if v.selected != "" {
		v.act(v.selected, "remove")
	}
}

// Select selects the i-th row, as a click does.
func (v *View) Select(i int) { v.list.Select(i) }

// Retry, Cancel and Remove act on the i-th row, as its buttons do.
func (v *View) Retry(i int)  { v.act(v.ids[i], "retry") }
func (v *View) Cancel(i int) { v.act(v.ids[i], "cancel") }
func (v *View) Remove(i int) { v.act(v.ids[i], "remove") }

func (v *View) togglePause() {
	if v.acct == nil {
		return
	}
	if v.batch.Paused {
		v.acct.Engine().Resume()
	} else {
		v.acct.Engine().Pause()
	}
}

// PauseAll stops starting uploads and pauses the running ones.
func (v *View) PauseAll() {
	if v.acct != nil {
		v.acct.Engine().Pause()
	}
}

// ResumeAll lifts PauseAll.
func (v *View) ResumeAll() {
	if v.acct != nil {
		v.acct.Engine().Resume()
	}
}

// ClearFinished takes done, skipped and canceled rows out of the queue.
func (v *View) ClearFinished() {
	if v.acct != nil {
		v.acct.Engine().ClearFinished()
	}
}

// RetryFailed queues every failed row again.
// Rows a retry cannot mend (a file over a limit, a missing web address)
// are left for their own action.
func (v *View) RetryFailed() {
	if v.acct == nil {
		return
	}
	eng := v.acct.Engine()
	for _, id := range v.retryable() {
		if err := eng.Retry(id); err != nil {
			st, _ := v.statusOf(id)
			v.showNotice("Could not retry "+displayName(st)+": "+err.Error(), true)
		}
	}
}

// retryable lists the failed rows a retry can help.
func (v *View) retryable() []transfer.ItemID {
	var ids []transfer.ItemID
	for i, id := range v.ids {
		if v.rowState(i) != transfer.Failed {
			continue
		}
		if st := v.rowStatus(i); words.Failure(st).Action == words.Retry {
			ids = append(ids, id)
		}
	}
	return ids
}

// fixedWidth holds o in a column of width w (and o's own height).
func fixedWidth(w float32, o fyne.CanvasObject) *fyne.Container {
	return container.New(widthLayout(w), o)
}

// widthLayout gives its objects a fixed width and the height of the
// tallest.
type widthLayout float32

func (w widthLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objects {
		if o.Visible() {
			h = max(h, o.MinSize().Height)
		}
	}
	return fyne.NewSize(float32(w), h)
}

func (w widthLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
