package queue

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/localthumb"
	"github.com/cloudup/cloudup/core/transfer"
)

// thumbSize is a row's thumbnail on screen.
const thumbSize = 48

// row is one line of the queue; widget.List recycles a screenful of them.
type row struct {
	widget.BaseWidget
	id     transfer.ItemID
	thumb  *canvas.Image
	icon   *widget.Icon
	name   *widget.Label
	detail *widget.Label
	bar    *widget.ProgressBar
	rate   *widget.Label
	retry  *widget.Button
	cancel *widget.Button
	remove *widget.Button
	box    fyne.CanvasObject
}

func (v *View) newRow() fyne.CanvasObject {
	r := &row{}
	r.thumb = canvas.NewImageFromImage(nil)
	r.thumb.FillMode = canvas.ImageFillContain
	r.thumb.ScaleMode = canvas.ImageScaleFastest
	r.icon = widget.NewIcon(theme.FileIcon())
	r.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.detail = widget.NewLabel("")
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.detail.Wrapping = fyne.TextWrapOff
	r.bar = widget.NewProgressBar()
	r.rate = widget.NewLabel("")
	r.rate.Alignment = fyne.TextAlignTrailing
	r.rate.SizeName = theme.SizeNameCaptionText
	r.retry = widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { v.act(r.id, "retry") })
	r.cancel = widget.NewButtonWithIcon("", theme.CancelIcon(), func() { v.act(r.id, "cancel") })
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.act(r.id, "remove") })
	r.retry.Importance = widget.LowImportance
	r.cancel.Importance = widget.LowImportance
	r.remove.Importance = widget.LowImportance

	pic := container.NewGridWrap(fyne.NewSquareSize(thumbSize), container.NewStack(container.NewPadded(r.icon), r.thumb))
	progress := container.NewGridWrap(fyne.NewSize(170, r.bar.MinSize().Height), r.bar)
	right := container.NewHBox(container.NewVBox(progress, r.rate), container.NewCenter(container.NewHBox(r.retry, r.cancel, r.remove)))
	texts := container.NewVBox(r.name, r.detail)
	r.box = container.NewBorder(nil, nil, container.NewCenter(pic), right, texts)
	r.ExtendBaseWidget(r)
	return r
}

func (r *row) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

func (v *View) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*row)
	if i < 0 || i >= len(v.ids) {
		return
	}
	st := v.items[v.ids[i]]
	r.id = st.ID
	r.name.SetText(displayName(st))
	words, danger := rowWords(st)
	r.detail.SetText(words)
	if danger {
		r.detail.Importance = widget.DangerImportance
		r.detail.Truncation, r.detail.Wrapping = fyne.TextTruncateOff, fyne.TextWrapWord
	} else {
		r.detail.Importance = widget.MediumImportance
		r.detail.Truncation, r.detail.Wrapping = fyne.TextTruncateEllipsis, fyne.TextWrapOff
	}
	r.detail.Refresh()
	r.bar.SetValue(itemFraction(st))
	show(r.bar, st.State != transfer.Failed)
	r.rate.SetText(rateWords(st))
	show(r.retry, st.State == transfer.Failed || st.State == transfer.Canceled)
	show(r.cancel, !st.State.Final())
	v.showThumb(r, st)
}

func show(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// showThumb puts the cached thumbnail in the row, or a type icon while it is
// made (off the UI goroutine) or when there is none to make.
func (v *View) showThumb(r *row, st transfer.ItemStatus) {
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
	r.icon.SetResource(typeIcon(st))
	show(r.icon, r.thumb.Image == nil)
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
	switch {
	case st.URL != "":
		return theme.ComputerIcon()
	case st.ResourceType == transfer.Video:
		return theme.FileVideoIcon()
	case st.ResourceType == transfer.Image, localthumb.Decodable(st.Path):
		return theme.FileImageIcon()
	}
	rt, _ := transfer.Detect(st.Name, nil)
	switch rt {
	case transfer.Video:
		return theme.FileVideoIcon()
	case transfer.Image:
		return theme.FileImageIcon()
	}
	return theme.FileIcon()
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

// rowWords is the row's second line: size and state, and for a failure the
// reason and what to do about it. danger marks failures.
func rowWords(st transfer.ItemStatus) (string, bool) {
	var parts []string
	if st.BytesTotal > 0 {
		parts = append(parts, transfer.HumanBytes(st.BytesTotal))
	} else if st.URL != "" {
		parts = append(parts, "fetched by Cloudinary")
	}
	words := transfer.ItemWords(st)
	if st.State == transfer.Failed {
		if hint := whatToDo(st.Err); hint != "" && !strings.Contains(words, hint) {
			words += ". " + hint + "."
		}
		parts = append(parts, words)
		return strings.Join(parts, " · "), true
	}
	parts = append(parts, words)
	return strings.Join(parts, " · "), false
}

// whatToDo is the next step for a failed item, by the kind of its error.
func whatToDo(err error) string {
	var rejected *transfer.RejectedError
	switch {
	case err == nil:
		return "Retry, or Remove it"
	case errors.Is(err, transfer.ErrNotFound), errors.Is(err, transfer.ErrUnreadable), errors.Is(err, transfer.ErrNotAFile):
		return "Put the file back (or let Cloudup read it) and Retry, or Remove it"
	case errors.Is(err, transfer.ErrEmpty):
		return "Remove it"
	case errors.Is(err, transfer.ErrTooLarge), errors.Is(err, transfer.ErrFormatNotAllowed), errors.Is(err, transfer.ErrTooManyFiles):
		return "Change the limits in Settings, or Remove it"
	case errors.As(err, &rejected):
		return "Remove it, or fix it and Retry"
	case errors.Is(err, cloud.ErrInvalidSignature), errors.Is(err, cloud.ErrUnauthorized), errors.Is(err, cloud.ErrNeedsSecret):
		return "Check the API secret and signing algorithm in Settings, then Retry failed"
	case errors.Is(err, cloud.ErrStale):
		return "Set this computer's clock right, then Retry"
	case errors.Is(err, cloud.ErrFileChanged):
		return "Retry once the file is saved"
	case errors.Is(err, transfer.ErrGaveUp), errors.Is(err, cloud.ErrStalled):
		return "Check the connection, then Retry"
	}
	return "Retry, or Remove it"
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
func rateWords(st transfer.ItemStatus) string {
	if st.State != transfer.Uploading || st.Speed <= 0 {
		return ""
	}
	s := speedWords(st.Speed)
	if st.ETA > 0 {
		s += " · " + etaWords(st.ETA)
	}
	return s
}

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
	}
	if err != nil {
		v.showNotice("Could not "+what+" "+displayName(v.items[id])+": "+err.Error(), true)
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
func (v *View) RetryFailed() {
	if v.acct != nil {
		v.acct.Engine().RetryFailed()
	}
}
