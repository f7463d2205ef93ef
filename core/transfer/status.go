package transfer

import (
	"strings"
	"time"
)

// Snapshot is every item's current state, in the order added, and the
// batch totals: what a view that (re)attaches draws first.
type Snapshot struct {
	Items []ItemStatus
	Batch BatchStatus
}

// Snapshot returns the current state of everything.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Snapshot{Items: make([]ItemStatus, 0, len(e.order)), Batch: e.batchLocked()}
	for _, it := range e.order {
		s.Items = append(s.Items, e.statusLocked(it))
	}
	return s
}

// Batch is the batch totals alone: what Snapshot carries without copying
// every item (a view polling counts on the UI goroutine wants only this).
func (e *Engine) Batch() BatchStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.batchLocked()
}

// Item returns one item's status.
func (e *Engine) Item(id ItemID) (ItemStatus, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return ItemStatus{}, false
	}
	return e.statusLocked(it), true
}

func (e *Engine) statusLocked(it *item) ItemStatus {
	if it.done != nil {
		return retiredStatus(it)
	}
	st := ItemStatus{
		ID: it.id, Name: it.entry.Name, Path: it.entry.Path, URL: it.entry.URL, State: it.state, Words: it.words,
		BytesDone: it.sent.Load(), BytesTotal: it.entry.Size, Attempt: it.attempt,
		Err: it.err, Asset: it.asset, PublicID: it.entry.PublicID, MD5: it.entry.MD5,
		ResourceType: it.entry.ResourceType, Format: it.entry.Format, Resumed: it.resumed,
	}
	if it.state == Done {
		st.BytesDone = st.BytesTotal
	}
	if r := it.run; r != nil {
		st.Speed, st.RetryAt = r.speed, r.retryAt
		if r.speed > 1 && st.BytesTotal > st.BytesDone && (it.state == Uploading || it.state == Retrying) {
			st.ETA = time.Duration(float64(st.BytesTotal-st.BytesDone) / r.speed * float64(time.Second))
		}
	}
	return st
}

func (e *Engine) batchLocked() BatchStatus {
	b := BatchStatus{
		Total: len(e.order), Queued: e.counts[Queued], Done: e.counts[Done], Skipped: e.counts[Skipped],
		Failed: e.counts[Failed], Canceled: e.counts[Canceled], Paused: e.paused, Halted: e.halted,
		BytesDone: e.batchBytes, BytesTotal: e.batchTotal, Speed: e.batchSpeed,
	}
	b.Active = e.counts[Checking] + e.counts[Uploading] + e.counts[Retrying]
	b.Concurrency, b.ConcurrencyAuto = e.lim.current()
	b.ConcurrencyRefused = e.lim.refused()
	b.Fraction = batchFraction(b, e.batchFailed)
	if b.Active > 0 {
		// timeleft.go, worked out at every tick
		b.ETA, b.Estimating = e.eta.eta, e.eta.end.IsZero() && !e.paused
	}
	return b
}

// batchFraction is how far the batch is, 0 to 1: bytes the server has taken
// of the bytes known, failed files' bytes included (items when no size is
// known yet). It reaches 1 only when nothing is left to do and nothing failed.
func batchFraction(b BatchStatus, failedBytes int64) float64 {
	if b.Total > 0 && b.Queued+b.Active == 0 && b.Failed == 0 && b.Done+b.Skipped > 0 {
		// Every file is there. The counts are live; the bytes are summed
		// at the next tick and would show 99.7 % until then.
		return 1
	}
	var f float64
	switch {
	case b.BytesTotal+failedBytes > 0:
		f = float64(b.BytesDone) / float64(b.BytesTotal+failedBytes)
	case b.Total-b.Canceled > 0:
		f = float64(b.Done+b.Skipped) / float64(b.Total-b.Canceled)
	}
	f = min(max(f, 0), 1)
	if b.Queued+b.Active > 0 || b.Failed > 0 {
		f = min(f, maxUnfinished)
	}
	if b.Total == 0 {
		f = 0
	}
	return f
}

// maxUnfinished is the most a batch with work left (or failures) shows.
const maxUnfinished = 0.99

// setStateLocked moves an item and tells the subscribers.
func (e *Engine) setStateLocked(it *item, s State, words string, err error) {
	if it.done != nil || it.removed {
		return
	}
	if it.state != s {
		e.counts[it.state]--
		e.counts[s]++
	}
	switch {
	case it.run == nil: // not running: nothing to time
	case s == Checking && it.state != Checking:
		it.run.etaStart = sinceEpoch(time.Now())
	case s == Uploading && it.state == Checking:
		// A resumed file starts with bytes Cloudinary already has.
		it.run.etaFrom = it.sent.Load()
		it.run.etaSent = it.run.etaFrom
	case s == Done && it.state == Uploading:
		e.eta.answered(it, time.Now())
	}
	switch s {
	case Checking, Uploading, Retrying:
		e.active[it.id] = it
	default:
		delete(e.active, it.id)
		if it.run != nil {
			it.run.rate, it.run.speed = nil, 0
		}
	}
	it.state, it.words, it.err = s, words, err
	if s.Final() {
		// Only unfinished items merge re-adds: a finished one need not be
		// found by its key.
		if key := it.key(); e.byKey[key] == it {
			delete(e.byKey, key)
			if len(e.byKey) == 0 {
				e.byKey = map[string]*item{} // a map keeps its room: let a large batch's go
			}
		}
	}
	e.publishLocked(Event{Kind: ItemChanged, Items: []ItemStatus{e.statusLocked(it)}})
	e.signalLocked()
}

func (e *Engine) setState(it *item, s State, words string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setStateLocked(it, s, words, err)
}

func (e *Engine) publishLocked(ev Event) {
	ev.Batch = e.batchLocked()
	for s := range e.subs {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			delete(e.subs, s)
			continue
		}
		s.push(ev)
	}
}

// signalLocked wakes everything waiting for a change (workers, Wait).
func (e *Engine) signalLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *Engine) warnLocked(msg string) {
	e.publishLocked(Event{Kind: Warning, Message: msg})
}

// ItemWords is a short description of a state for one-line renderings.
func ItemWords(st ItemStatus) string {
	if st.Words != "" {
		return st.Words
	}
	return strings.ToLower(string(st.State))
}
