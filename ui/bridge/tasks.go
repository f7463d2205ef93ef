// Package bridge is the ui's one way between goroutines and widgets: work
// runs on goroutines this package owns, and everything that touches a
// widget afterwards runs on the UI goroutine through it (inside fyne.Do in
// the app, held for the test's own goroutine in tests). Keychain calls,
// file walks, thumbnails, engine event pumps and camera previews all go
// through it. It must not decide what the work is or how it is shown, and
// it never touches widgets itself.
package bridge

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
)

// Tasks owns background work started from the UI: each task gets a context
// that Close cancels, and Close waits for all of them. It has three doors:
//
//   - Go for a piece of work whose result is applied on the UI goroutine;
//   - Loop for long-lived work (an event pump, a camera preview) that runs
//     until its context ends and sends updates with Do;
//   - Do to run a function on the UI goroutine from any goroutine.
type Tasks struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	work   sync.WaitGroup // Go tasks: Wait waits for them
	loops  sync.WaitGroup // Loop tasks: only Close waits for them

	queued  bool     // hold UI functions until Wait or Drain (NewQueuedTasks)
	pending []func() // held UI functions, guarded by mu
}

// NewTasks returns an empty owner whose UI functions run through fyne.Do.
func NewTasks() *Tasks {
	ctx, cancel := context.WithCancel(context.Background())
	return &Tasks{ctx: ctx, cancel: cancel}
}

// NewQueuedTasks returns an owner that holds UI functions until Wait or
// Drain, which run them on the goroutine that calls. Widget tests use it:
// fyne's test driver runs fyne.Do at once on the calling goroutine, so
// results would otherwise race the test's own widget calls.
func NewQueuedTasks() *Tasks {
	t := NewTasks()
	t.queued = true
	return t
}

// Go runs work on its own goroutine. The function work returns (if any) is
// applied on the UI goroutine, unless Close was called in the meantime.
// After Close, Go does nothing.
func (t *Tasks) Go(work func(ctx context.Context) (apply func())) {
	if !t.add(&t.work) {
		return
	}
	go func() {
		defer t.work.Done()
		if apply := work(t.ctx); apply != nil {
			t.Do(apply)
		}
	}()
}

// Loop runs long-lived work on its own goroutine until it returns; it
// should return soon after ctx ends. Close cancels and waits for it, Wait
// does not (so tests can settle while a pump runs). Updates go through Do.
func (t *Tasks) Loop(work func(ctx context.Context)) {
	if !t.add(&t.loops) {
		return
	}
	go func() {
		defer t.loops.Done()
		work(t.ctx)
	}()
}

func (t *Tasks) add(wg *sync.WaitGroup) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	wg.Add(1)
	return true
}

// Do runs f on the UI goroutine, unless Close is called first. It may be
// called from any goroutine, the UI goroutine included (f then runs later,
// never inside the caller).
func (t *Tasks) Do(f func()) {
	if t.ctx.Err() != nil {
		return
	}
	if t.queued {
		t.mu.Lock()
		t.pending = append(t.pending, f)
		t.mu.Unlock()
		return
	}
	fyne.Do(func() {
		if t.ctx.Err() == nil {
			f()
		}
	})
}

// Drain runs the UI functions held so far (NewQueuedTasks), including any
// they queue, on the calling goroutine, without waiting for running work.
// It says how many ran; with NewTasks it does nothing.
func (t *Tasks) Drain() int {
	n := 0
	for {
		t.mu.Lock()
		pending := t.pending
		t.pending = nil
		t.mu.Unlock()
		if len(pending) == 0 {
			return n
		}
		for _, f := range pending {
			if t.ctx.Err() == nil {
				f()
			}
		}
		n += len(pending)
	}
}

// Wait blocks until every Go task started so far has finished; with
// NewQueuedTasks it then runs the held UI functions (and waits for any
// work they start) until nothing is left. Loop tasks are not waited for.
func (t *Tasks) Wait() {
	for {
		t.work.Wait()
		if t.Drain() == 0 {
			return
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

// Close cancels the tasks' context and waits for every task and loop to
// return. It blocks: call it off the UI goroutine (e.g. after the app's run
// loop has ended).
func (t *Tasks) Close() {
	t.Cancel()
	t.work.Wait()
	t.loops.Wait()
}
