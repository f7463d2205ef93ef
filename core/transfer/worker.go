package transfer

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudup/cloudup/core/cloud"
)

// worker takes queued items until the engine closes, each while holding
// one of the limiter's slots.
func (e *Engine) worker() error {
	for {
		if !e.lim.acquire(e.ctx) {
			return nil
		}
		it := e.next()
		if it == nil {
			e.lim.release()
			return nil
		}
		e.process(it)
		e.lim.release()
	}
}

func (e *Engine) next() *item {
	for {
		e.mu.Lock()
		if e.ctx.Err() != nil {
			e.mu.Unlock()
			return nil
		}
		if !e.paused && len(e.queue) > 0 {
			it := e.queue[0]
			e.queue[0] = nil
			e.queue = e.queue[1:]
			it.run = &itemRun{finished: make(chan struct{})}
			it.run.ctx, it.run.cancel = context.WithCancelCause(e.ctx)
			it.interrupted = false
			it.running = true
			e.running++
			e.setStateLocked(it, Checking, "checking", nil)
			e.mu.Unlock()
			return it
		}
		ch := e.changed
		e.mu.Unlock()
		select {
		case <-e.ctx.Done():
			return nil
		case <-ch:
		}
	}
}

// process runs one item and settles what happens to it.
func (e *Engine) process(it *item) {
	err := e.ensureJournaled(it)
	if err == nil {
		err = e.run(it.run.ctx, it)
	}
	cause := context.Cause(it.run.ctx)
	if it.run.ctx.Err() == nil {
		cause = nil
	}
	it.run.cancel(nil)
	e.settle(it, err, cause)
}

// ensureJournaled applies every pending journal write (so this item's row
// exists and no older queued write can land after the worker's own).
func (e *Engine) ensureJournaled(it *item) error {
	e.flushJournal(context.WithoutCancel(it.run.ctx))
	e.mu.Lock()
	done := it.journaled
	e.mu.Unlock()
	if !done {
		return fmt.Errorf("%s could not be written to the upload journal %s", it.entry.Name, e.journal.Path())
	}
	return nil
}

func (e *Engine) settle(it *item, err error, cause error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	defer e.endRunLocked(it)
	if owner := e.content[contentKey(it)]; owner == it {
		delete(e.content, contentKey(it))
	}
	switch {
	case err == nil:
		// run already recorded Done or Skipped.
	case errors.Is(cause, causeRemoved) || it.removed:
	case errors.Is(cause, causePaused):
		// Cloudinary keeps only whole chunks it acknowledged: say what a
		// paused file loses rather than let its bar drop unexplained.
		words := "paused"
		if it.sent.Load() > it.entry.Acked {
			if it.entry.Acked == 0 {
				words = "paused; it will be sent again from the start"
			} else {
				words = "paused; it will go on from " + HumanBytes(it.entry.Acked)
			}
		}
		it.sent.Store(it.entry.Acked)
		e.queue = append([]*item{it}, e.queue...)
		e.setStateLocked(it, Queued, words, nil)
		e.journalStateLocked(it.id, Queued, "", true)
	case errors.Is(cause, causeCanceled):
		e.setStateLocked(it, Canceled, "canceled", nil)
		it.entry.State = Canceled
		e.journalStateLocked(it.id, Canceled, "", false)
	case e.ctx.Err() != nil:
		// Closing: the journal keeps the item as it was, to be resumed.
		it.interrupted = true
		e.setStateLocked(it, Queued, "interrupted; resume later", nil)
	default:
		var tl *cloud.TooLargeError
		switch {
		case e.halted != nil && errors.Is(cause, ErrHalted):
			err = e.halted
		case errors.As(cause, &tl) && !errors.As(err, new(*cloud.TooLargeError)):
			err = cause // stopped: another file showed it is over the limit (limits.go)
		}
		e.failLocked(it, err)
	}
}

// stopRun stops the item's run, if it has one, for cause.
func (it *item) stopRun(cause error) {
	if it.itemLive != nil && it.run != nil && it.run.cancel != nil {
		it.run.cancel(cause)
	}
}

// endRunLocked tells those waiting that a run of it ended, and lets go of
// what only a run needs; a finished upload is retired (retire.go).
func (e *Engine) endRunLocked(it *item) {
	close(it.run.finished)
	it.running = false
	e.running--
	if it.againQueued {
		it.againQueued = false
		if it.state == Queued && !it.removed { // not canceled or removed meanwhile
			e.queue = append(e.queue, it)
		}
	}
	it.run = nil
	e.retireLocked(it)
	e.signalLocked()
}

// failLocked records a final failure in memory, the journal and the history.
func (e *Engine) failLocked(it *item, err error) {
	words := "failed: " + err.Error()
	e.setStateLocked(it, Failed, words, err)
	it.entry.State, it.entry.Error, it.entry.Resumable = Failed, err.Error(), resumable(err)
	ent := it.entry
	h := e.historyFor(it, Failed)
	h.Error = err.Error()
	e.enqueueLocked(func(ctx context.Context) error { return e.journal.finish(ctx, e.owner, &ent, h) })
}

func (e *Engine) historyFor(it *item, outcome State) HistoryEntry {
	h := HistoryEntry{
		ItemID: it.id, Profile: e.cfg.Profile, Account: e.client.Load().Account(), Folder: effectiveFolder(it.opts), Path: it.entry.Path, URL: it.entry.URL,
		Name: it.entry.Name, Size: it.entry.Size, MD5: it.entry.MD5, PublicID: it.entry.PublicID,
		ResourceType: it.entry.ResourceType, At: e.clock.Now(), Outcome: outcome,
	}
	if it.asset != nil {
		h.SecureURL, h.ETag = it.asset.Link(), it.asset.ETag
		if it.asset.PublicID != "" {
			h.PublicID = it.asset.PublicID
		}
		if it.asset.ResourceType != "" {
			h.ResourceType = it.asset.ResourceType
		}
		if h.MD5 == "" {
			h.MD5 = it.asset.ETag // a remote URL's content, known once stored
		}
	}
	return h
}

// effectiveFolder is where an item lands, for duplicate detection.
func effectiveFolder(o *Options) string {
	if o.AssetFolder != "" {
		return o.AssetFolder
	}
	return o.Folder
}

func contentKey(it *item) string {
	return effectiveFolder(it.opts) + "\x00" + it.entry.MD5
}

// halt stops the batch after an answer that every other request would get
// too (a wrong secret): everything queued fails now with the same words, and
// what runs is stopped.
func (e *Engine) halt(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.halted != nil {
		return
	}
	e.halted = err
	queued := e.queue
	e.queue = nil
	for _, it := range queued {
		e.failLocked(it, err)
	}
	for _, it := range e.active {
		it.stopRun(fmt.Errorf("%w: %w", ErrHalted, err))
	}
	e.warnLocked("stopped the batch: " + err.Error())
	e.publishLocked(Event{Kind: BatchChanged})
}
