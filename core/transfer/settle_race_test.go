package transfer

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A file is said skipped a moment before its worker has settled the run.
// "Upload again", Cancel and Retry in that moment must not queue it beside
// the run still ending: a second worker would take over an item the first
// is still finishing.
func TestRetryBeforeTheLastRunSettledQueuesTheFileOnce(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 3000, ".jpg")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	finish(t, e, time.Minute)

	e.Pause()
	ids := e.Add(itemsFor(paths)...)
	// What a worker does up to saying "skipped", without settling.
	e.mu.Lock()
	it := e.items[ids[0]]
	e.dequeueLocked(it)
	it.run = &itemRun{finished: make(chan struct{})}
	it.run.ctx, it.run.cancel = context.WithCancelCause(e.ctx)
	it.running = true
	e.running++
	e.setStateLocked(it, Skipped, "already uploaded", nil)
	e.mu.Unlock()

	for _, step := range []func(ItemID) error{e.UploadAgain, e.Cancel, e.Retry} {
		if err := step(ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	queued := func() int {
		e.mu.Lock()
		defer e.mu.Unlock()
		n := 0
		for _, q := range e.queue {
			if q == it {
				n++
			}
		}
		return n
	}
	if n := queued(); n != 0 {
		t.Fatalf("queued %d times while its last run was still settling", n)
	}
	e.settle(it, nil, nil)
	if n := queued(); n != 1 {
		t.Fatalf("queued %d times once its last run settled, want 1", n)
	}
	e.Resume()
	finish(t, e, time.Minute)
	if st, _ := e.Item(ids[0]); st.State != Done {
		t.Fatalf("after retrying: %s (%s)", st.State, st.Words)
	}
}
