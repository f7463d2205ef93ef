package watch

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
)

// feedRig is a sandbox, a journal and a state database that survive
// "restarts": each run opens a new engine and feed on them.
type feedRig struct {
	t       *testing.T
	sb      *sandbox.Server
	dir     string // the watched folder
	data    string
	journal *transfer.Journal
	state   *State
}

func newFeedRig(t *testing.T) *feedRig {
	t.Helper()
	root := t.TempDir()
	r := &feedRig{t: t, sb: sandboxtest.Start(t, sandbox.Config{}), dir: filepath.Join(root, "Exports"), data: filepath.Join(root, "data")}
	os.MkdirAll(r.dir, 0o755)
	r.reopen()
	t.Cleanup(func() { r.journal.Close(); r.state.Close() })
	return r
}

// reopen opens the databases again, as a new process would.
func (r *feedRig) reopen() {
	if r.journal != nil {
		r.journal.Close()
		r.state.Close()
	}
	var err error
	if r.journal, err = transfer.OpenJournal(filepath.Join(r.data, "journal.db")); err != nil {
		r.t.Fatal(err)
	}
	if r.state, err = OpenState(filepath.Join(r.data, StateFile)); err != nil {
		r.t.Fatal(err)
	}
}

type run struct {
	eng  *transfer.Engine
	feed *Feed
}

func (r *feedRig) start(existing bool, mod func(*transfer.Config)) *run {
	r.t.Helper()
	cfg := transfer.Config{Client: sandboxtest.Client(r.t, r.sb), Journal: r.journal, Profile: "work", ProgressInterval: 20 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	eng, err := transfer.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	feed, err := StartFeed(context.Background(), FeedConfig{
		// Rescans every second: none may hand a known file over again.
		Watch: Config{Dir: r.dir, Settle: testSettle, RescanEvery: time.Second}, Engine: eng, State: r.state, Profile: "work",
		Options: transfer.Options{Folder: "exports", Tags: []string{"watched"}}, Existing: existing,
		OnProblem: func(err error) { r.t.Errorf("problem: %v", err) },
	})
	if err != nil {
		eng.Close()
		r.t.Fatal(err)
	}
	ru := &run{eng: eng, feed: feed}
	r.t.Cleanup(ru.stop)
	waitUntil(r.t, 10*time.Second, "the watch to start", func() bool { return feed.Status().Phase == Watching })
	return ru
}

func (ru *run) stop() {
	ru.feed.Close()
	ru.eng.Close()
}

// done waits until the engine finished n items, and returns them by name.
func (ru *run) done(t *testing.T, n int) map[string]transfer.ItemStatus {
	t.Helper()
	waitUntil(t, 30*time.Second, fmt.Sprintf("%d finished uploads", n), func() bool {
		b := ru.eng.Batch()
		return b.Done+b.Skipped+b.Failed+b.Canceled >= n && b.Finished()
	})
	out := map[string]transfer.ItemStatus{}
	for _, it := range ru.eng.Snapshot().Items {
		if _, dup := out[it.Name]; dup {
			t.Errorf("%s is in the queue twice", it.Name)
		}
		out[it.Name] = it
	}
	return out
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

func md5Of(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func names(m map[string]transfer.ItemStatus) string {
	var out []string
	for n, it := range m {
		out = append(out, n+":"+string(it.State))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestWatchedFilesUploadOnceAndARestartTakesOnlyWhatArrivedOrChanged(t *testing.T) {
	t.Parallel()
	r := newFeedRig(t)
	writeFile(t, filepath.Join(r.dir, "a.jpg"), 2000)
	writeFile(t, filepath.Join(r.dir, "b.jpg"), 2000)

	first := r.start(true, nil)
	writeFile(t, filepath.Join(r.dir, "c.jpg"), 2000)
	got := first.done(t, 3)
	if names(got) != "a.jpg:done b.jpg:done c.jpg:done" {
		t.Fatalf("first run: %s", names(got))
	}
	for n, it := range got {
		if it.Asset == nil || it.Asset.ETag != md5Of(t, filepath.Join(r.dir, n)) || !strings.HasPrefix(it.Asset.PublicID, "exports/") {
			t.Errorf("%s: %+v", n, it.Asset)
		}
	}
	first.stop()
	uploads := r.sb.Requests(sandbox.EndpointUpload)

	// While Cloudup is closed: two new files, one changed, one removed.
	writeFile(t, filepath.Join(r.dir, "d.jpg"), 2000)
	writeFile(t, filepath.Join(r.dir, "e.jpg"), 2000)
	time.Sleep(20 * time.Millisecond) // a new modification time on coarse clocks
	writeFile(t, filepath.Join(r.dir, "a.jpg"), 2100)
	os.Remove(filepath.Join(r.dir, "b.jpg"))
	r.reopen()

	second := r.start(true, nil)
	got = second.done(t, 3)
	if names(got) != "a.jpg:done d.jpg:done e.jpg:done" {
		t.Fatalf("after the restart the queue holds %s; want the changed a.jpg and the new d.jpg, e.jpg only", names(got))
	}
	if n := r.sb.Requests(sandbox.EndpointUpload) - uploads; n != 3 {
		t.Fatalf("%d upload requests after the restart, want 3", n)
	}
	time.Sleep(4 * testSettle) // nothing else comes
	if n := len(second.eng.Snapshot().Items); n != 3 {
		t.Fatalf("%d items, want 3", n)
	}
	if st := r.sb.Stats(); st.Assets != 6 {
		t.Fatalf("the sandbox holds %d assets, want 6 (a, b, c, then the changed a, d, e): %s", st.Assets, st)
	}
}

func TestFirstWatchLeavesWhatIsThereAloneUnlessAsked(t *testing.T) {
	t.Parallel()
	r := newFeedRig(t)
	writeFile(t, filepath.Join(r.dir, "old-1.jpg"), 500)
	writeFile(t, filepath.Join(r.dir, "old-2.jpg"), 500)
	first := r.start(false, nil)
	waitUntil(t, 10*time.Second, "the baseline", func() bool { return first.feed.Status().LeftAlone == 2 })
	writeFile(t, filepath.Join(r.dir, "new.jpg"), 500)
	if got := first.done(t, 1); names(got) != "new.jpg:done" {
		t.Fatalf("first run: %s", names(got))
	}
	first.stop()
	r.reopen()

	// The next start knows the folder: the old files stay alone, and one
	// that arrived meanwhile is taken.
	writeFile(t, filepath.Join(r.dir, "meanwhile.jpg"), 500)
	second := r.start(false, nil)
	if got := second.done(t, 1); names(got) != "meanwhile.jpg:done" {
		t.Fatalf("second run: %s", names(got))
	}
	time.Sleep(4 * testSettle)
	if n := len(second.eng.Snapshot().Items); n != 1 {
		t.Fatalf("%d items, want 1", n)
	}
}

func TestUploadsInterruptedByAQuitResumeAtTheNextStartWithoutASecondItem(t *testing.T) {
	t.Parallel()
	r := newFeedRig(t)
	first := r.start(true, nil)
	first.eng.Pause() // they stay queued, as if the app quit mid-batch
	for i := range 4 {
		writeFile(t, filepath.Join(r.dir, fmt.Sprintf("p%d.jpg", i)), 1500)
	}
	waitUntil(t, 10*time.Second, "four files handed over", func() bool { return first.feed.Handed() == 4 })
	first.stop()
	r.reopen()
	if left, _ := r.journal.Unfinished(context.Background(), "work"); len(left) != 4 {
		t.Fatalf("journal after the quit: %d unfinished, want 4", len(left))
	}

	second := r.start(true, nil)
	got := second.done(t, 4)
	if names(got) != "p0.jpg:done p1.jpg:done p2.jpg:done p3.jpg:done" {
		t.Fatalf("after the restart: %s", names(got))
	}
	for _, it := range got {
		if !it.Resumed {
			t.Errorf("%s was queued anew, not resumed from the journal", it.Name)
		}
	}
	if left, _ := r.journal.Unfinished(context.Background(), "work"); len(left) != 0 {
		t.Fatalf("journal still holds %d unfinished", len(left))
	}
	if st := r.sb.Stats(); st.Assets != 4 {
		t.Fatalf("%s", st)
	}
}

func TestRefusedOrRemovedFilesAreNotTakenAgainUntilTheyChange(t *testing.T) {
	t.Parallel()
	r := newFeedRig(t)
	limits := func(c *transfer.Config) { c.Limits.MaxRawBytes = 1000 }
	first := r.start(true, limits)
	big := filepath.Join(r.dir, "big.bin")
	writeFile(t, big, 5000)
	got := first.done(t, 1)
	if it := got["big.bin"]; it.State != transfer.Failed {
		t.Fatalf("big.bin: %s", it.Words)
	}
	first.stop()
	r.reopen()

	second := r.start(true, limits)
	time.Sleep(5 * testSettle)
	if n := len(second.eng.Snapshot().Items); n != 0 {
		t.Fatalf("the refused file was taken again unchanged: %d items", n)
	}
	writeFile(t, big, 800) // made smaller: now it fits
	if got := second.done(t, 1); got["big.bin"].State != transfer.Done {
		t.Fatalf("big.bin after the change: %s", got["big.bin"].Words)
	}
}

func TestAFailureThatMayPassIsRetriedAtTheNextStartNotOnEveryRescan(t *testing.T) {
	t.Parallel()
	r := newFeedRig(t)
	r.sb.SetFaults("on=upload,schedule=500,500")
	giveUp := func(c *transfer.Config) {
		c.Retry = transfer.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond}
	}
	first := r.start(true, giveUp)
	writeFile(t, filepath.Join(r.dir, "flaky.jpg"), 1200)
	if got := first.done(t, 1); got["flaky.jpg"].State != transfer.Failed {
		t.Fatalf("flaky.jpg: %s", got["flaky.jpg"].Words)
	}
	time.Sleep(5 * testSettle) // settle checks and the rescan of a new watch pass
	if n := len(first.eng.Snapshot().Items); n != 1 {
		t.Fatalf("the failed file was handed over again unchanged: %d items", n)
	}
	first.stop()
	r.reopen()

	second := r.start(true, nil)
	got := second.done(t, 1)
	if it := got["flaky.jpg"]; it.State != transfer.Done || !it.Resumed {
		t.Fatalf("flaky.jpg at the next start: %s (resumed %v)", it.Words, it.Resumed)
	}
}
