package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ResumeUnfinished re-queues this profile's items that a previous run left
// unfinished (interrupted, or failed for a reason that may pass) and that no
// running engine owns. Files already done are in the history and are not
// touched; a chunked upload continues from its first unacknowledged chunk.
func (e *Engine) ResumeUnfinished(ctx context.Context) ([]ItemID, error) {
	return e.ResumeUnfinishedWhere(ctx, nil)
}

// ResumeUnfinishedWhere is ResumeUnfinished for the entries keep accepts
// (nil: all); the others stay in the journal for whoever resumes them. A
// watched folder takes back only its own files this way.
func (e *Engine) ResumeUnfinishedWhere(ctx context.Context, keep func(Entry) bool) ([]ItemID, error) {
	entries, err := e.journal.claim(ctx, e.owner, e.cfg.Profile, keep)
	if err != nil {
		return nil, fmt.Errorf("reading unfinished uploads from the journal: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []ItemID
	var added []ItemStatus
	for _, ent := range entries {
		if _, ok := e.items[ent.ID]; ok {
			continue
		}
		key := itemKey(ent.Path, ent.URL, ent.Options)
		if prev := e.byKey[key]; prev != nil && !prev.state.Final() {
			continue
		}
		ent.State, ent.Error, ent.Resumable = Queued, "", true
		it := &item{id: ent.ID, state: Queued, words: "queued (resumed)", itemLive: &itemLive{entry: ent, opts: ent.Options, resumed: true, journaled: true}}
		it.sent.Store(ent.Acked)
		e.items[it.id] = it
		e.order = append(e.order, it)
		e.queue = append(e.queue, it)
		e.byKey[key] = it
		e.counts[Queued]++
		ids = append(ids, it.id)
		added = append(added, e.statusLocked(it))
	}
	if len(added) > 0 {
		e.publishLocked(Event{Kind: ItemsAdded, Items: added})
		e.signalLocked()
	}
	return ids, nil
}

// Pause stops starting items and stops the ones running; they go back to the
// front of the queue (a chunked upload keeps its acknowledged chunks).
func (e *Engine) Pause() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.paused {
		return
	}
	e.paused = true
	for _, it := range e.active {
		it.stopRun(causePaused)
	}
	e.publishLocked(Event{Kind: BatchChanged})
	e.signalLocked()
}

// Resume lifts a Pause.
func (e *Engine) Resume() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.paused {
		return
	}
	e.paused = false
	e.publishLocked(Event{Kind: BatchChanged})
	e.signalLocked()
}

// Cancel stops an item that is queued or running. It stays in the list as
// canceled; Retry brings it back.
func (e *Engine) Cancel(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	switch {
	case it.state == Queued:
		e.dequeueLocked(it)
		it.againQueued = false // "upload again" said before its last run settled
		e.setStateLocked(it, Canceled, "canceled", nil)
		it.entry.State = Canceled
		e.journalStateLocked(it.id, Canceled, "", false)
	case !it.state.Final() && it.running:
		it.stopRun(causeCanceled)
	}
	return nil
}

// Retry re-queues a failed or canceled item (and lifts a halt).
func (e *Engine) Retry(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	if it.state != Failed && it.state != Canceled {
		return fmt.Errorf("%s is %s; only failed or canceled uploads can be retried", it.name(), it.state)
	}
	e.halted = nil
	e.requeueLocked(it)
	return nil
}

// RetryFailed re-queues every failed item and returns how many.
func (e *Engine) RetryFailed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.halted = nil
	n := 0
	for _, it := range e.order {
		if it.state == Failed {
			e.requeueLocked(it)
			n++
		}
	}
	return n
}

func (e *Engine) requeueLocked(it *item) {
	it.err, it.attempt = nil, 0
	key := it.key()
	if prev := e.byKey[key]; prev != nil && prev != it && !prev.state.Final() {
		return // the same file is already queued again
	}
	e.byKey[key] = it
	if it.running {
		// Canceled (or failed) before its last run settled: queued now, a
		// second worker would run it beside the first. The run's end
		// queues it (endRunLocked).
		it.againQueued = true
	} else {
		e.queue = append(e.queue, it)
	}
	e.setStateLocked(it, Queued, "queued", nil)
	it.entry.State, it.entry.Error, it.entry.Resumable = Queued, "", true
	e.journalStateLocked(it.id, Queued, "", true)
}

// Remove takes an item out of the list, stopping it if it runs. Its journal
// row goes too (the history keeps finished uploads).
func (e *Engine) Remove(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	e.removeLocked([]*item{it})
	return nil
}

// ClearFinished removes done, skipped and canceled items from the list.
// Failed items stay until retried or removed.
func (e *Engine) ClearFinished() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var gone []*item
	for _, it := range e.order {
		if it.state == Done || it.state == Skipped || it.state == Canceled {
			gone = append(gone, it)
		}
	}
	e.removeLocked(gone)
	return len(gone)
}

func (e *Engine) removeLocked(gone []*item) {
	if len(gone) == 0 {
		return
	}
	drop := map[ItemID]bool{}
	var ids []ItemID
	var spools []string
	for _, it := range gone {
		drop[it.id] = true
		ids = append(ids, it.id)
		e.counts[it.state]--
		delete(e.items, it.id)
		if it.done != nil {
			continue // retired: not queued, running or keyed
		}
		it.removed = true
		if it.state == Queued {
			e.dequeueLocked(it)
		}
		if !it.state.Final() {
			it.stopRun(causeRemoved)
		}
		delete(e.active, it.id)
		if key := it.key(); e.byKey[key] == it {
			delete(e.byKey, key)
		}
		if it.entry.Spool && it.state == Done {
			spools = append(spools, it.entry.Path)
		}
	}
	kept := e.order[:0]
	for _, it := range e.order {
		if !drop[it.id] {
			kept = append(kept, it)
		}
	}
	for i := len(kept); i < len(e.order); i++ {
		e.order[i] = nil
	}
	e.order = kept
	e.publishLocked(Event{Kind: ItemsRemoved, Removed: ids})
	e.signalLocked()
	e.enqueueLocked(func(ctx context.Context) error {
		err := e.journal.remove(ctx, ids)
		for _, p := range spools {
			os.Remove(p)
		}
		return err
	})
}

func (e *Engine) dequeueLocked(it *item) {
	for i, q := range e.queue {
		if q == it {
			e.queue = append(e.queue[:i], e.queue[i+1:]...)
			return
		}
	}
}

// Wait blocks until nothing is queued or running (everything done, skipped,
// failed or canceled), or ctx ends. A paused batch with items left waits.
func (e *Engine) Wait(ctx context.Context) error {
	for {
		e.mu.Lock()
		idle := len(e.queue) == 0 && len(e.active) == 0 && e.running == 0
		ch := e.changed
		e.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.closed:
			return errors.New("the upload engine was closed")
		case <-ch:
		}
	}
}
