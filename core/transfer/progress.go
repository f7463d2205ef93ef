package transfer

import "time"

// ticker sends progress at a steady pace and keeps the speeds.
func (e *Engine) ticker() error {
	t := time.NewTicker(e.cfg.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return nil
		case now := <-t.C:
			e.tick(now)
		}
	}
}

// AllSentWords is an uploading item whose every byte the server has taken,
// waiting for Cloudinary to store it and answer.
const AllSentWords = "all sent · Cloudinary is storing it"

// rateWindow measures a speed as bytes moved over the last few seconds:
// an average seeded by its first sample kept the burst of a connection's
// first buffers for seconds.
type rateWindow struct {
	at    []time.Time
	bytes []int64
}

const (
	rateSpan = 3 * time.Second        // how far back a speed looks
	rateMin  = 300 * time.Millisecond // less history than this: no speed yet
)

// add records bytes at now and returns the speed in bytes per second
// (0 while unknown). Bytes going back (a request started over) restart it.
func (w *rateWindow) add(now time.Time, bytes int64) float64 {
	if n := len(w.bytes); n > 0 && bytes < w.bytes[n-1] {
		w.at, w.bytes = w.at[:0], w.bytes[:0]
	}
	w.at, w.bytes = append(w.at, now), append(w.bytes, bytes)
	drop := 0
	for drop < len(w.at)-1 && now.Sub(w.at[drop+1]) >= rateSpan {
		drop++
	}
	if drop > 0 {
		w.at, w.bytes = append(w.at[:0], w.at[drop:]...), append(w.bytes[:0], w.bytes[drop:]...)
	}
	dt := now.Sub(w.at[0])
	if dt < rateMin {
		return 0
	}
	return float64(bytes-w.bytes[0]) / dt.Seconds()
}

func (e *Engine) tick(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, it := range e.active {
		if it.run == nil {
			continue // between runs (not expected while active)
		}
		if it.run.meter != nil {
			// What the server has taken, not what the kernel was handed.
			b := it.run.meterBase + it.run.meter.Acked()
			for _, m := range it.run.meterMore {
				b += m.Acked()
			}
			it.sent.Store(b)
		}
		b := it.sent.Load()
		if it.run.rate == nil {
			it.run.rate = &rateWindow{}
		}
		it.run.speed = it.run.rate.add(now, b)
		if it.state == Uploading && it.run.meter != nil && it.entry.Size > 0 && b >= it.entry.Size &&
			it.run.meterBase+it.run.meter.Length() == it.entry.Size && it.words != AllSentWords {
			// Every byte is there; Cloudinary answers once it has stored it.
			e.setStateLocked(it, Uploading, AllSentWords, nil)
			it.run.reported = b
		}
		if b != it.run.reported {
			it.run.reported = b
			e.publishLocked(Event{Kind: ItemProgress, Items: []ItemStatus{e.statusLocked(it)}})
		}
	}
	var done, total, failed int64
	for _, it := range e.order {
		switch it.state {
		case Failed:
			failed += it.entry.Size
		case Done:
			done += it.size()
			total += it.size()
		case Queued, Checking, Uploading, Retrying:
			done += it.sent.Load()
			total += it.entry.Size
		}
	}
	changed := done != e.batchBytes || total != e.batchTotal
	if len(e.active) == 0 {
		e.batchSpeed, e.batchRateWin = 0, rateWindow{}
	} else {
		e.batchSpeed = e.batchRateWin.add(now, done)
	}
	e.batchBytes, e.batchTotal, e.batchFailed = done, total, failed
	before := e.eta.eta
	e.updateETALocked(now)
	changed = changed || e.eta.eta != before
	if changed {
		e.publishLocked(Event{Kind: BatchChanged})
	}
}

// journaler writes newly added items to the journal in batches, so Add
