package queue

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/words"
)

// flushInterval is the longest an event waits before the UI sees it, and
// the shortest gap between two UI updates: ten a second keeps a 10,000-item
// batch live without flooding the UI goroutine.
const flushInterval = 100 * time.Millisecond

// pending is what the pump has merged since the last flush.
type pending struct {
	reset    *transfer.Snapshot
	order    []transfer.ItemID // added, in order
	items    map[transfer.ItemID]transfer.ItemStatus
	removed  map[transfer.ItemID]bool
	batch    *transfer.BatchStatus
	warnings []string
}

func (p *pending) empty() bool {
	return p.reset == nil && len(p.order) == 0 && len(p.items) == 0 && len(p.removed) == 0 && p.batch == nil && len(p.warnings) == 0
}

// pump owns the engine subscription of one account: it merges events into
// v.pend and asks for a flush at most every flushInterval.
func (v *View) pump(ctx context.Context, gen int, eng Engine) {
	sub := eng.Subscribe()
	defer sub.Close()
	snap := eng.Snapshot() // after Subscribe, so nothing falls between them
	v.mu.Lock()
	if v.pendGen != gen {
		v.mu.Unlock()
		return // the account was let go of meanwhile
	}
	v.pend = pending{reset: &snap}
	v.mu.Unlock()
	v.attached.Store(int64(gen))
	v.askFlush(gen)

	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	dirty := false
	events := sub.Events()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				if dirty {
					v.askFlush(gen)
				}
				return
			}
			v.merge(gen, ev)
			v.merged.Add(1)
			dirty = true
		case <-tick.C:
			if dirty {
				dirty = false
				v.askFlush(gen)
			}
		}
	}
}

// askFlush has the UI goroutine apply what was merged.
func (v *View) askFlush(gen int) {
	v.flushes.Add(1)
	v.tasks.Do(func() { v.flush(gen) })
}

// merge folds ev into the pending changes, unless gen's account has been
// let go of: its pump may still hold an event when the switch happens.
func (v *View) merge(gen int, ev transfer.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.pendGen != gen {
		return
	}
	p := &v.pend
	if p.items == nil {
		p.items = map[transfer.ItemID]transfer.ItemStatus{}
		p.removed = map[transfer.ItemID]bool{}
	}
	switch ev.Kind {
	case transfer.ItemsAdded:
		for _, st := range ev.Items {
			p.order = append(p.order, st.ID)
			p.items[st.ID] = st
			delete(p.removed, st.ID)
		}
	case transfer.ItemChanged, transfer.ItemProgress:
		for _, st := range ev.Items {
			p.items[st.ID] = st
		}
	case transfer.ItemsRemoved:
		for _, id := range ev.Removed {
			p.removed[id] = true
			delete(p.items, id)
		}
	case transfer.Warning:
		p.warnings = append(p.warnings, ev.Message)
	}
	b := ev.Batch
	p.batch = &b
}

// sync applies what the pump merged, on the calling goroutine. Tests call
// it in place of waiting for the next scheduled flush.
func (v *View) sync() { v.flush(v.gen) }

// flush moves the pump's merged changes into the model and redraws. It
// runs on the UI goroutine.
func (v *View) flush(gen int) {
	if gen != v.gen {
		return // an older account's update
	}
	v.mu.Lock()
	p := v.pend
	v.pend = pending{}
	v.mu.Unlock()
	if p.empty() {
		return
	}
	// Following new rows is for a list the user scrolled to its end; a
	// list that was not full yet stays at its top.
	follow := len(v.ids) > 0 && v.atBottom() && v.contentHeight() > v.list.Size().Height
	before := len(v.ids)
	if p.reset != nil {
		v.ids = make([]transfer.ItemID, 0, len(p.reset.Items))
		v.rows = make([]rowRec, 0, len(p.reset.Items))
		v.index = make(map[transfer.ItemID]int32, len(p.reset.Items))
		v.whole, v.odd = map[transfer.ItemID]*transfer.ItemStatus{}, map[transfer.ItemID]string{}
		for _, st := range p.reset.Items {
			v.addRow(st)
		}
		v.batch = p.reset.Batch
		v.working = !v.batch.Finished()
	}
	if len(p.removed) > 0 {
		kept, keptRows := v.ids[:0], v.rows[:0]
		for i, id := range v.ids {
			if p.removed[id] {
				continue
			}
			kept, keptRows = append(kept, id), append(keptRows, v.rows[i])
		}
		clear(v.rows[len(keptRows):]) // let go of the removed rows' strings
		v.ids, v.rows = kept, keptRows
		v.reindex()
	}
	for _, id := range p.order {
		st, ok := p.items[id]
		if !ok {
			continue // removed again before this flush
		}
		if k, known := v.index[id]; known {
			v.setRow(int(k), st)
			continue
		}
		v.addRow(st)
	}
	var last *transfer.ItemStatus // the latest upload to end, for OnContact
	for id, st := range p.items {
		k, known := v.index[id]
		if !known {
			continue
		}
		if v.rowState(int(k)) != st.State && (st.State == transfer.Done || st.State == transfer.Failed) {
			last = &st
		}
		v.setRow(int(k), st)
	}
	if last != nil && v.OnContact != nil {
		v.OnContact(displayName(*last), last.Err)
	}
	if p.batch != nil {
		v.batch = *p.batch
	}
	if len(p.warnings) > 0 {
		v.showNotice(p.warnings[len(p.warnings)-1], false)
	}
	v.fixSelection()
	v.fitFailedRows()
	v.notifyWhenFinished()
	v.countDownRetries()
	v.render()
	if p.reset == nil && before > 0 {
		// Rows that fill an empty list arrive with it, not below it: the
		// scroll bar says there are more.
		v.followNewRows(len(v.ids)-before, follow)
	}
}

// countDownRetries redraws the rows once a second while one waits to retry,
// so its "trying again in 4 s" counts down instead of standing still
// between the engine's events. It runs on the UI goroutine.
func (v *View) countDownRetries() {
	retrying := false
	for i := range v.rows {
		if v.rowState(i) == transfer.Retrying {
			retrying = true
			break
		}
	}
	switch {
	case retrying && v.stopCountdown == nil:
		ctx, stop := context.WithCancel(context.Background())
		v.stopCountdown = stop
		v.tasks.Loop(func(tctx context.Context) {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tctx.Done():
					return
				case <-t.C:
					v.tasks.Do(func() {
						if ctx.Err() == nil {
							v.list.Refresh()
						}
					})
				}
			}
		})
	case !retrying && v.stopCountdown != nil:
		v.stopCountdown()
		v.stopCountdown = nil
	}
}

// contentHeight is the height of every row together.
func (v *View) contentHeight() float32 {
	return float32(len(v.ids))*v.RowHeight() + float32(len(v.tallRows))*failedExtraHeight
}

// atBottom reports whether the last row is in sight (so is everything,
// when the rows do not fill the list).
func (v *View) atBottom() bool {
	return v.list.GetScrollOffset()+v.list.Size().Height >= v.contentHeight()-1
}

// followNewRows keeps rows that arrive below the fold from going unseen:
// when the user was watching the end of the queue it follows them there,
// otherwise the footer says how many are below, with a button to go.
func (v *View) followNewRows(added int, follow bool) {
	if v.atBottom() {
		v.setBelow(0) // everything is in sight
		return
	}
	if added <= 0 {
		v.setBelow(min(v.below, v.rowsPastSight())) // rows went away
		return
	}
	if follow {
		v.list.ScrollToBottom()
		v.setBelow(0)
		return
	}
	v.setBelow(v.below + min(added, v.rowsPastSight()))
}

// rowsPastSight counts the rows that start below the visible part of the
// list.
func (v *View) rowsPastSight() int {
	edge := v.list.GetScrollOffset() + v.list.Size().Height
	y := float32(0)
	for i := range v.ids {
		if y >= edge {
			return len(v.ids) - i
		}
		y += v.RowHeight()
		if v.tallRows[i] {
			y += failedExtraHeight
		}
	}
	return 0
}

// setBelow shows or hides the footer's "N new below" button.
func (v *View) setBelow(n int) {
	v.below = n
	shown := v.belowBtn.Visible()
	if n == 0 {
		v.belowBtn.Hide()
	} else {
		if text := plural(n, "new row below", "new rows below"); v.belowBtn.Text != text {
			v.belowBtn.SetText(text) // a button's SetText draws its icon again too
		}
		v.belowBtn.Show()
	}
	if shown != v.belowBtn.Visible() {
		// Show and Hide leave the buttons beside it where they were.
		v.footer.Refresh()
	}
}

// ShowNewRows scrolls to the end of the queue (the "new below" button).
func (v *View) ShowNewRows() {
	v.list.ScrollToBottom()
	v.setBelow(0)
}

// NewBelow is how many rows arrived out of sight and were not looked at.
func (v *View) NewBelow() int { return v.below }

// fitFailedRows makes failed rows tall enough for their reason and what to
// do, which a one-line row would cut off. widget.List keeps heights by
// index, so they are set again whenever rows moved.
func (v *View) fitFailedRows() {
	v.RowHeight()
	tall := map[int]bool{}
	for i := range v.rows {
		if v.rowState(i) == transfer.Failed {
			tall[i] = true
		}
	}
	for i := range v.tallRows {
		if !tall[i] {
			v.list.SetItemHeight(i, v.rowHeight)
		}
	}
	for i := range tall {
		v.list.SetItemHeight(i, v.rowHeight+failedExtraHeight)
	}
	v.tallRows = tall
}

// failedExtraHeight is room for two more lines of a failure's words.
const failedExtraHeight = 40

// fixSelection keeps the list's selected row on the same item after rows
// above it went away.
func (v *View) fixSelection() {
	if v.selected == "" {
		return
	}
	for i, id := range v.ids {
		if id == v.selected {
			// Select scrolls to the row, so only when rows above it went.
			if i != v.selectedAt {
				v.list.Select(i)
			}
			return
		}
	}
	v.list.UnselectAll()
	v.selected = ""
}

// SetBatchNotifications switches the view's own notification at the end
// of a batch on or off: the window turns it off when it says it for every
// session, with the links it copied (ui/background.go).
func (v *View) SetBatchNotifications(on bool) { v.quiet = !on }

// notifyWhenFinished sends a desktop notification when a batch that had
// work ends: editors start a long upload and switch to other work.
func (v *View) notifyWhenFinished() {
	b := v.batch
	if !b.Finished() {
		if b.Queued+b.Active > 0 {
			v.working = true
		}
		return
	}
	if !v.working || b.Total == 0 {
		return
	}
	v.working = false
	if v.quiet {
		return
	}
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	n := fyne.NewNotification(finishedTitle(b), finishedBody(b))
	// Off the UI goroutine: on Linux Fyne sends it as a synchronous D-Bus
	// call, which stalls the window while the notification daemon is slow.
	// It touches no widgets.
	v.tasks.Go(func(context.Context) func() {
		a.SendNotification(n)
		return nil
	})
}

func finishedTitle(b transfer.BatchStatus) string {
	if b.Failed > 0 || b.Halted != nil {
		return "Uploads finished with problems"
	}
	return "Uploads finished"
}

func finishedBody(b transfer.BatchStatus) string {
	parts := []string{plural(b.Done, "file uploaded", "files uploaded")}
	if b.Skipped > 0 {
		parts = append(parts, plural(b.Skipped, "was already there", "were already there"))
	}
	if b.Failed > 0 {
		parts = append(parts, plural(b.Failed, "failed", "failed")+": open Cloudup to see why")
	}
	if b.Canceled > 0 {
		parts = append(parts, plural(b.Canceled, "canceled", "canceled"))
	}
	return strings.Join(parts, ", ") + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// overallFraction is the footer's progress. By bytes when every row's
// size is known; otherwise each row counts the same (a URL's size is known
// only once Cloudinary has it), so 40 % never stands for one file of forty.
// Rows on Cloudinary count whole even when their bytes never moved (skipped
// duplicates), failed ones count nothing and canceled ones not at all, and
// the bar stays short of full while a row is unfinished or failed: full
// means everything is on Cloudinary.
//
// It takes the rows as a sequence: a copy of thirty thousand statuses ten
// times a second would be most of what the window allocates.
func overallFraction(items iter.Seq[transfer.ItemStatus]) float64 {
	var done, total int64
	var perRow float64
	sized, short := true, false
	rows := 0
	for st := range items {
		if !st.State.Final() || st.State == transfer.Failed {
			short = true
		}
		f := itemFraction(st)
		switch st.State {
		case transfer.Canceled:
			continue
		case transfer.Failed:
			f = 0
		}
		rows++
		perRow += f
		if st.BytesTotal <= 0 {
			sized = false
			continue
		}
		total += st.BytesTotal
		done += int64(f * float64(st.BytesTotal))
	}
	f := 0.0
	switch {
	case sized && total > 0:
		f = min(float64(done)/float64(total), 1)
	case rows > 0:
		f = perRow / float64(rows)
	}
	if short {
		return min(f, 0.99)
	}
	return f
}

// batchWords is the footer line: "3 of 10 uploaded · 3.2 MB/s · 1 min left".
func batchWords(b transfer.BatchStatus) string {
	parts := []string{fmt.Sprintf("%d of %d uploaded", b.Done+b.Skipped, b.Total)}
	if b.Speed > 0 && b.Active > 0 {
		parts = append(parts, speedWords(b.Speed))
	}
	if b.ETA > 0 && b.Active > 0 {
		parts = append(parts, etaWords(b.ETA))
	} else if b.Estimating && b.Active > 0 && !b.Paused {
		parts = append(parts, "estimating time left")
	}
	if n := atOnce(b); n > 0 {
		parts = append(parts, fmt.Sprintf("%d at once", n))
	}
	if b.Failed > 0 {
		parts = append(parts, plural(b.Failed, "failed", "failed"))
	}
	if b.Canceled > 0 { // else "41 of 50 uploaded" leaves one unaccounted for
		parts = append(parts, plural(b.Canceled, "canceled", "canceled"))
	}
	if b.Paused {
		parts = append(parts, "paused")
	}
	if b.Halted != nil {
		parts = append(parts, "stopped: "+strings.TrimSuffix(words.Error(b.Halted).Text, "."))
	}
	return strings.Join(parts, " · ")
}

// atOnce is how many uploads run at once now: the number the engine
// allows, or fewer when fewer are left; 0 while nothing runs (or the
// engine does not say).
func atOnce(b transfer.BatchStatus) int {
	if b.Paused || b.Halted != nil || b.Concurrency <= 0 || b.Active <= 0 {
		return 0
	}
	return min(b.Concurrency, b.Active)
}

// refusedWords says why fewer uploads run at once while Cloudinary holds
// the number down; "" when it does not or nothing runs.
func refusedWords(b transfer.BatchStatus) string {
	if !b.ConcurrencyRefused || atOnce(b) == 0 {
		return ""
	}
	return fmt.Sprintf("Cloudinary turned some uploads away as too many at once, so Cloudup sends at most %d at a time for a while; nothing needs doing.", b.Concurrency)
}

func speedWords(bps float64) string { return transfer.HumanBytes(int64(bps)) + "/s" }

// etaWords rounds the way people estimate: seconds under a minute, then
// minutes, then hours.
func etaWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		s := int((d + time.Second - 1) / time.Second)
		return fmt.Sprintf("%d s left", max(s, 1))
	case d < time.Hour:
		return fmt.Sprintf("%d min left", int((d+30*time.Second)/time.Minute))
	default:
		h := d.Hours()
		return fmt.Sprintf("about %.1f h left", h)
	}
}
