package transfer

import (
	"container/heap"
	"math"
	"slices"
	"time"
)

// The batch's time left is worked out the way the engine works: a number
// of upload slots (the limiter's), each taking the next queued file when
// its own ends. A file takes its bytes over the rate one upload moves them
// at, measured on the acknowledged bytes of the whole batch, plus what
// every file costs besides its bytes (checking, signing, the round trip,
// Cloudinary storing it), measured on the files answered so far.
//
// Why not the batch's speed over the last seconds: with more files than
// slots it was up to half off early in a batch (measured while every slot
// was sending, before any file had paid its fixed costs), short at the end
// (the last round leaves slots idle) and several times too long while the
// engine was still raising how many run at once.

// timeLeft is the estimator's state, guarded by Engine.mu.
type timeLeft struct {
	// Slot-seconds spent sending and the bytes acknowledged in them,
	// fading with sendMemory so a changed link or concurrency shows.
	sendBytes, sendTime float64
	// Recent answered files: bytes they sent and how long they held a slot.
	done []costSample
	// The figure shown: a smoothed moment the batch ends.
	end     time.Time
	files   int // len(Engine.order) when end was set: added files restart it
	last    time.Time
	started time.Time // the batch's first tick with work
	eta     time.Duration
	heap    slotHeap
	rest    []float64 // scratch: active files' remaining seconds
}

type costSample struct {
	bytes   int64
	seconds float64
}

const (
	sendMemory  = 20 * time.Second // a sending sample's weight falls to 1/e after this long
	doneMemory  = 32               // answered files the overhead is measured over
	etaSmooth   = 1 * time.Second  // how fast the shown figure follows a new estimate
	warmSending = time.Second      // slot-seconds of sending before a rate is trusted
	warmBatch   = 3 * time.Second  // without an answered file, how long to measure first
	simTail     = 512              // queued files simulated one by one; earlier ones in bulk
)

// sample notes, at every tick, the bytes each sending item moved since
// the last one.
func (t *timeLeft) sample(now time.Time, active map[ItemID]*item) {
	if t.last.IsZero() {
		t.last = now
		for _, it := range active {
			if it.run != nil {
				it.run.etaSent = it.sent.Load()
			}
		}
		return
	}
	dt := now.Sub(t.last).Seconds()
	t.last = now
	if dt <= 0 {
		return
	}
	fade := math.Exp(-dt / sendMemory.Seconds())
	t.sendBytes *= fade
	t.sendTime *= fade
	for _, it := range active {
		if it.run == nil {
			continue
		}
		b := it.sent.Load()
		moved := b - it.run.etaSent
		it.run.etaSent = b
		if moved < 0 || it.state != Uploading {
			continue
		}
		// A slot is sending while bytes move or some are left to move.
		if moved > 0 || (b > 0 && b < it.entry.Size) {
			t.sendBytes += float64(moved)
			t.sendTime += dt
		}
	}
}

// answered notes a file Cloudinary stored: how long it held its slot.
func (t *timeLeft) answered(it *item, now time.Time) {
	if it.run.etaStart == 0 {
		return
	}
	s := costSample{bytes: max(it.entry.Size-it.run.etaFrom, 0), seconds: (sinceEpoch(now) - it.run.etaStart).Seconds()}
	if len(t.done) == doneMemory {
		copy(t.done, t.done[1:])
		t.done = t.done[:doneMemory-1]
	}
	t.done = append(t.done, s)
}

// reset forgets the batch (it ended).
func (t *timeLeft) reset() {
	*t = timeLeft{done: t.done[:0], heap: t.heap[:0], rest: t.rest[:0]}
}

// estimateLocked works out the time left at now; 0 while there is not
// enough to go on. slots is how many run at once, settled is false while
// the engine is still raising it.
func (e *Engine) estimateLocked(now time.Time, slots int, settled bool) time.Duration {
	t := &e.eta
	if t.started.IsZero() {
		t.started = now
	}
	if e.paused || t.sendTime < warmSending.Seconds() || t.sendBytes <= 0 {
		return 0
	}
	rate := t.sendBytes / t.sendTime // bytes a second, one upload
	// What a file costs besides its bytes, at this rate, over the files
	// answered so far, so that their mean cost is what they really took.
	// It may come out below zero: sending is seen a tick at a time, which
	// overcounts a short file's sending time and so undercounts the rate.
	var overhead float64
	if len(t.done) > 0 {
		for _, d := range t.done {
			overhead += d.seconds - float64(d.bytes)/rate
		}
		overhead /= float64(len(t.done))
	} else if now.Sub(t.started) < warmBatch {
		return 0
	}
	cost := func(bytes int64) float64 { return max(overhead+float64(max(bytes, 0))/rate, 0) }

	// Files not sized yet count as the mean of those sized.
	var sizedBytes, sized int64
	for _, it := range e.order {
		if !it.state.Final() && it.entry.Size > 0 {
			sizedBytes += it.entry.Size
			sized++
		}
	}
	guess := int64(0)
	if sized > 0 {
		guess = sizedBytes / sized
	}
	left := func(it *item) int64 {
		switch {
		case it.entry.Size > 0:
		case it.entry.Path != "":
			return guess
		default:
			return 0 // a URL: Cloudinary fetches it, no bytes go from here
		}
		return it.entry.Size - it.sent.Load()
	}

	// The running files: what their cost leaves after the time they have
	// had, but never less than their bytes still need.
	t.rest = t.rest[:0]
	for _, it := range e.active {
		if it.run == nil {
			continue
		}
		r := left(it)
		need := float64(max(r, 0)) / rate
		if it.state == Retrying && it.run.retryAt.After(now) {
			need += it.run.retryAt.Sub(now).Seconds()
		}
		if it.run.etaStart != 0 {
			need = max(need, cost(it.entry.Size-it.run.etaFrom)-(sinceEpoch(now)-it.run.etaStart).Seconds())
		}
		t.rest = append(t.rest, need)
	}
	slices.Sort(t.rest)
	queued := len(e.queue)
	if queued > 0 && !settled {
		// The engine is still finding how many to run at once: the rate of
		// the queue's files is not known yet.
		return 0
	}
	slots = max(slots, 1)
	// Slots above the limit (it was lowered) are not refilled when they end.
	extra := max(len(t.rest)-slots, 0)
	h := t.heap[:0]
	h = append(h, t.rest[extra:]...)
	for len(h) < slots {
		h = append(h, 0)
	}
	end := 0.0
	for _, r := range t.rest {
		end = max(end, r)
	}
	// The queue in order; all but its last simTail files in bulk (they
	// keep every slot busy), the rest one by one onto the slot that frees
	// first, so the last round's idle slots count.
	bulk := 0.0
	for i, it := range e.queue {
		if i >= queued-simTail {
			break
		}
		bulk += cost(left(it))
	}
	for i := range h {
		h[i] += bulk / float64(len(h))
	}
	heap.Init(&h)
	for _, it := range e.queue[max(queued-simTail, 0):] {
		h[0] += cost(left(it))
		end = max(end, h[0])
		heap.Fix(&h, 0)
	}
	for _, v := range h {
		end = max(end, v)
	}
	t.heap = h
	return time.Duration(end * float64(time.Second))
}

// updateETALocked turns the estimate into the figure shown: a moment the
// batch ends, moved towards each new estimate a little at a time, so the
// figure counts down steadily instead of jumping with every file.
func (e *Engine) updateETALocked(now time.Time) {
	t := &e.eta
	if len(e.queue) == 0 && len(e.active) == 0 {
		t.reset()
		return
	}
	dt := now.Sub(t.last)
	if t.last.IsZero() {
		dt = e.cfg.ProgressInterval
	}
	t.sample(now, e.active)
	slots, auto := e.lim.current()
	raw := e.estimateLocked(now, slots, !auto || e.lim.settled(len(e.queue)))
	switch {
	case raw <= 0:
		t.end, t.eta = time.Time{}, 0
		return
	case t.end.IsZero() || t.files != len(e.order):
		t.end, t.files = now.Add(raw), len(e.order)
	default:
		target := now.Add(raw)
		k := 1 - math.Exp(-float64(max(dt, 0))/float64(etaSmooth))
		t.end = t.end.Add(time.Duration(k * float64(target.Sub(t.end))))
	}
	t.eta = max(t.end.Sub(now), 0)
}

// etaEpoch is what items' slot times count from (monotonic).
var etaEpoch = time.Now()

// sinceEpoch is t as an item keeps it; never 0, which means "not started".
func sinceEpoch(t time.Time) time.Duration { return max(t.Sub(etaEpoch), 1) }

// slotHeap is the moments slots free up, earliest first.
type slotHeap []float64

func (h slotHeap) Len() int           { return len(h) }
func (h slotHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h slotHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
