// Package bridge carries the results of core work onto widgets: the work
// runs on goroutines this package owns, and every widget change it brings
// back runs inside fyne.Do on the UI goroutine. Keychain calls go through it
// today; upload-engine events will too. It must not decide what the work
// is or how it is shown, and it never touches widgets outside fyne.Do.
package bridge

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
)

// Tasks owns background work started from the UI: each task gets a context
// that Close cancels, and Close waits for all of them.
type Tasks struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup

	queued  bool     // hold results until Wait (NewQueuedTasks)
	pending []func() // held results, guarded by mu
}

// NewTasks returns an empty owner whose results reach widgets through
// fyne.Do.
func NewTasks() *Tasks {
	ctx, cancel := context.WithCancel(context.Background())
	return &Tasks{ctx: ctx, cancel: cancel}
}

// NewQueuedTasks returns an owner that holds results until Wait, which
// applies them on the goroutine that calls it. Widget tests use it: fyne's
// test driver runs fyne.Do at once on the calling goroutine, so results
// would otherwise race the test's own widget calls.
func NewQueuedTasks() *Tasks {
	t := NewTasks()
	t.queued = true
	return t
}

// Go runs work on its own goroutine. The function work returns (if any) is
// applied on the UI goroutine, unless Close was called in the meantime.
// After Close, Go does nothing.
func (t *Tasks) Go(work func(ctx context.Context) (apply func())) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		apply := work(t.ctx)
		if apply == nil || t.ctx.Err() != nil {
			return
		}
		if t.queued {
			t.mu.Lock()
			t.pending = append(t.pending, apply)
			t.mu.Unlock()
			return
		}
		fyne.Do(func() {
			if t.ctx.Err() == nil {
				apply()
			}
		})
	}()
}

// Wait blocks until every task started so far has finished; with
// NewQueuedTasks it then applies the held results (and waits for any work
// they start) until nothing is left.
func (t *Tasks) Wait() {
	for {
		t.wg.Wait()
		t.mu.Lock()
		pending := t.pending
		t.pending = nil
		t.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		for _, apply := range pending {
			if t.ctx.Err() == nil {
				apply()
			}
		}
	}
}

// Cancel stops new tasks and cancels the running ones without waiting for
// them: what a widget callback may call, since waiting there would freeze
// the window.
func (t *Tasks) Cancel() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
}

// Close cancels the tasks' context and waits for them to return. It blocks:
// call it off the UI goroutine (e.g. after the app's run loop has ended).
func (t *Tasks) Close() {
	t.Cancel()
	t.wg.Wait()
}
