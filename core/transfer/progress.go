package transfer

import (
	"math"
	"time"
)

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

// smoothing is the speed average's time constant.
const smoothing = 2 * time.Second

func ewma(prev, sample float64, dt time.Duration) float64 {
	if prev == 0 {
		return sample
	}
	a := 1 - math.Exp(-float64(dt)/float64(smoothing))
	return prev + a*(sample-prev)
}

func (e *Engine) tick(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, it := range e.active {
		b := it.sent.Load()
		if !it.lastSample.IsZero() {
			dt := now.Sub(it.lastSample)
			if dt > 0 && b >= it.lastBytes {
				it.speed = ewma(it.speed, float64(b-it.lastBytes)/dt.Seconds(), dt)
			}
		}
		it.lastBytes, it.lastSample = b, now
		if b != it.reported {
			it.reported = b
			e.publishLocked(Event{Kind: ItemProgress, Items: []ItemStatus{e.statusLocked(it)}})
		}
	}
	var done, total int64
	for _, it := range e.order {
		switch it.state {
		case Done:
			done += it.entry.Size
			total += it.entry.Size
		case Queued, Checking, Uploading, Retrying:
			done += it.sent.Load()
			total += it.entry.Size
		}
	}
	changed := done != e.batchBytes || total != e.batchTotal
	if !e.lastTick.IsZero() {
		dt := now.Sub(e.lastTick)
		if dt > 0 && done >= e.lastBatchSum {
			e.batchSpeed = ewma(e.batchSpeed, float64(done-e.lastBatchSum)/dt.Seconds(), dt)
		}
	}
	if len(e.active) == 0 {
		e.batchSpeed = 0
	}
	e.lastTick, e.lastBatchSum = now, done
	e.batchBytes, e.batchTotal = done, total
	if changed {
		e.publishLocked(Event{Kind: BatchChanged})
	}
}

// journaler writes newly added items to the journal in batches, so Add
