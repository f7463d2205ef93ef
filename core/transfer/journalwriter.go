package transfer

import (
	"context"
	"time"
)

// journalStateLocked queues a state change for the journal.
func (e *Engine) journalStateLocked(id ItemID, s State, msg string, resumable bool) {
	e.enqueueLocked(func(ctx context.Context) error { return e.journal.setState(ctx, e.owner, id, s, msg, resumable) })
}

// enqueueLocked queues a journal write; the journaler applies writes in the
// order they were decided, before any later write of a worker. A write that
// fails is reported as a warning, as a failed insert is.
func (e *Engine) enqueueLocked(op func(context.Context) error) {
	e.ops = append(e.ops, op)
	e.wakeJournaler()
}

// never waits for the disk and a crash after Add still leaves them resumable.
func (e *Engine) journaler() error {
	for {
		select {
		case <-e.ctx.Done():
			return nil
		case <-e.journalWake:
			e.flushJournal(e.ctx)
		}
	}
}

func (e *Engine) wakeJournaler() {
	select {
	case e.journalWake <- struct{}{}:
	default:
	}
}

func (e *Engine) flushJournal(ctx context.Context) {
	// Writes that were decided must land even while the engine shuts down.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	e.jmu.Lock()
	defer e.jmu.Unlock()
	for {
		e.mu.Lock()
		var batch []*Entry
		var its []*item
		for _, it := range e.order {
			if it.done == nil && !it.journaled && !it.removed {
				ent := it.entry
				batch = append(batch, &ent)
				its = append(its, it)
				if len(batch) == 500 {
					break
				}
			}
		}
		e.mu.Unlock()
		if len(batch) == 0 {
			break
		}
		err := e.journal.insertQueued(ctx, e.owner, batch)
		e.mu.Lock()
		if err != nil {
			e.journalWarnLocked(err)
		}
		for _, it := range its {
			// After a failed write too: retrying in a loop would not help, and
			// the worker's own writes will say what is wrong.
			it.journaled = true
		}
		e.mu.Unlock()
	}
	for {
		e.mu.Lock()
		ops := e.ops
		e.ops = nil
		e.mu.Unlock()
		if len(ops) == 0 {
			return
		}
		var failed []error
		for _, op := range ops {
			if err := op(ctx); err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) > 0 {
			e.mu.Lock()
			for _, err := range failed {
				e.journalWarnLocked(err)
			}
			e.mu.Unlock()
		}
	}
}

// journalWarnLocked tells the subscribers a journal write failed. The same
// failure repeated (a full disk fails every write) is said once, until a
// different one happens.
func (e *Engine) journalWarnLocked(err error) {
	msg := "the upload journal cannot be written (" + err.Error() + "): these uploads will not be resumable after a crash"
	if msg == e.journalWarned {
		return
	}
	e.journalWarned = msg
	e.warnLocked(msg)
}

// heartbeats tells other processes sharing the journal that this engine's
// rows are taken.
func (e *Engine) heartbeats() error {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return nil
		case <-t.C:
			e.journal.heartbeat(e.ctx, e.owner)
		}
	}
}
