package watch

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder collects what a Watcher hands over and says.
type recorder struct {
	mu      sync.Mutex
	got     []File
	status  []Status
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) ready(files []File) {
	r.mu.Lock()
	r.got = append(r.got, files...)
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) onStatus(s Status) {
	r.mu.Lock()
	r.status = append(r.status, s)
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) files() []File {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *recorder) rels() []string {
	var out []string
	for _, f := range r.files() {
		out = append(out, f.Rel)
	}
	slices.Sort(out)
	return out
}

func (r *recorder) statuses() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.status)
}

// waitFor waits until cond holds, failing the test after limit.
func (r *recorder) waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(limit)
	for !cond() {
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s; handed over %q; statuses %v", limit, what, r.rels(), r.statuses())
		}
	}
}

// quiet asserts that nothing more is handed over for d.
func (r *recorder) quiet(t *testing.T, d time.Duration, want int) {
	t.Helper()
	time.Sleep(d)
	if n := len(r.files()); n != want {
		t.Fatalf("%d files handed over, want %d: %q", n, want, r.rels())
	}
}

const testSettle = 300 * time.Millisecond

func startWatcher(t *testing.T, cfg Config, r *recorder) *Watcher {
	t.Helper()
	if cfg.Settle == 0 {
		cfg.Settle = testSettle
	}
	cfg.OnReady, cfg.OnStatus = r.ready, r.onStatus
	w, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	r.waitFor(t, 10*time.Second, "the watch to start", func() bool { return w.Status().Phase == Watching })
	return w
}

func writeFile(t *testing.T, path string, n int) []byte {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFileRenamedIntoPlaceIsHandedOverOnceUnderItsFinalName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRecorder()
	startWatcher(t, Config{Dir: dir}, r)

	// A browser's download: written as .part, renamed when complete.
	part := filepath.Join(dir, "photo.jpg.part")
	f, err := os.Create(part)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		f.Write(make([]byte, 64<<10))
		time.Sleep(80 * time.Millisecond)
	}
	f.Close()
	if err := os.Rename(part, filepath.Join(dir, "photo.jpg")); err != nil {
		t.Fatal(err)
	}
	// An editor's save: a temporary name without a known suffix, renamed
	// at once; only the final name may be handed over.
	tmp := filepath.Join(dir, "export-4711")
	writeFile(t, tmp, 1000)
	if err := os.Rename(tmp, filepath.Join(dir, "export.png")); err != nil {
		t.Fatal(err)
	}

	r.waitFor(t, 10*time.Second, "two files", func() bool { return len(r.files()) >= 2 })
	r.quiet(t, 3*testSettle, 2)
	if got := strings.Join(r.rels(), " "); got != "export.png photo.jpg" {
		t.Fatalf("handed over %q", got)
	}
	for _, f := range r.files() {
		if f.Rel == "photo.jpg" && f.Size != 5*64<<10 {
			t.Errorf("photo.jpg handed over at %d bytes, want the complete %d", f.Size, 5*64<<10)
		}
	}
}

func TestSlowWriterIsHandedOverOnceWhenComplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRecorder()
	startWatcher(t, Config{Dir: dir}, r)
	p := filepath.Join(dir, "slow.mp4")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const chunk, chunks = 32 << 10, 12
	for range chunks { // ~2.4 s, pauses shorter than the settle window
		if _, err := f.Write(make([]byte, chunk)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(r.files()); n != 0 {
			t.Fatalf("handed over while still being written: %+v", r.files())
		}
	}
	f.Close()
	r.waitFor(t, 10*time.Second, "the slow file", func() bool { return len(r.files()) == 1 })
	r.quiet(t, 3*testSettle, 1)
	if got := r.files()[0]; got.Size != chunk*chunks {
		t.Fatalf("handed over at %d bytes, want %d", got.Size, chunk*chunks)
	}
}

func TestWriterPausingWithTheFileOpenIsWaitedFor(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" {
		t.Skip("no cheap check for a file open for writing here: settling relies on time alone")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "paused.mov")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := openForWriting(p); !known {
		f.Close()
		t.Skip("this file system takes no leases")
	}
	r := newRecorder()
	startWatcher(t, Config{Dir: dir}, r)
	f.Write(make([]byte, 1000))
	// Unchanged for five settle windows, but still open for writing.
	time.Sleep(5 * testSettle)
	if n := len(r.files()); n != 0 {
		t.Fatalf("handed over while its writer still had it open: %+v", r.files())
	}
	f.Write(make([]byte, 1000))
	f.Close()
	r.waitFor(t, 10*time.Second, "the file after its writer closed it", func() bool { return len(r.files()) == 1 })
	if got := r.files()[0]; got.Size != 2000 {
		t.Fatalf("handed over at %d bytes, want 2000", got.Size)
	}
}

func TestOverflowRescansAndEveryFileIsHandedOverExactlyOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRecorder()
	// A queue of 8 events overflows at once under 300 new files.
	w := startWatcher(t, Config{Dir: dir, QueueSize: 8}, r)
	const n = 300
	for i := range n {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("img-%03d.jpg", i)), 512)
	}
	r.waitFor(t, 20*time.Second, "all files", func() bool { return len(r.files()) >= n })
	r.quiet(t, 3*testSettle, n)
	seen := map[string]int{}
	for _, f := range r.files() {
		seen[f.Rel]++
	}
	for i := range n {
		if name := fmt.Sprintf("img-%03d.jpg", i); seen[name] != 1 {
			t.Errorf("%s handed over %d times", name, seen[name])
		}
	}
	if w.Status().Rescans == 0 {
		t.Fatal("the queue never overflowed: the rescan path was not exercised")
	}
}

func TestFilesAlreadyThereAreTakenAtStartUnlessKnown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "old.jpg"), 100)
	writeFile(t, filepath.Join(dir, "new.jpg"), 100)
	writeFile(t, filepath.Join(dir, "sub", "deep.jpg"), 100)
	known := map[string]bool{"old.jpg": true}
	r := newRecorder()
	startWatcher(t, Config{Dir: dir, Decide: func(f File) Decision {
		if known[f.Rel] {
			return Known
		}
		return Take
	}}, r)
	r.waitFor(t, 10*time.Second, "new.jpg", func() bool { return len(r.files()) >= 1 })
	r.quiet(t, 3*testSettle, 1)
	if got := strings.Join(r.rels(), " "); got != "new.jpg" {
		t.Fatalf("handed over %q; want new.jpg alone (old.jpg is known, sub/ is not watched)", got)
	}
}

func TestSubfoldersAreWatchedWhenAskedIncludingNewOnes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "one.jpg"), 100)
	r := newRecorder()
	startWatcher(t, Config{Dir: dir, Subfolders: true, Exclude: []string{"raw"}}, r)
	r.waitFor(t, 10*time.Second, "a/one.jpg", func() bool { return len(r.files()) >= 1 })
	// A whole tree appearing at once: its files land before the watches
	// on its folders exist.
	writeFile(t, filepath.Join(dir, "b", "c", "d", "two.jpg"), 100)
	writeFile(t, filepath.Join(dir, "raw", "three.jpg"), 100)
	writeFile(t, filepath.Join(dir, ".cache", "four.jpg"), 100)
	writeFile(t, filepath.Join(dir, "b", "five.jpg.crdownload"), 100)
	r.waitFor(t, 10*time.Second, "b/c/d/two.jpg", func() bool { return len(r.files()) >= 2 })
	r.quiet(t, 3*testSettle, 2)
	if got := strings.Join(r.rels(), " "); got != "a/one.jpg b/c/d/two.jpg" {
		t.Fatalf("handed over %q", got)
	}
}

func TestFolderRemovedIsReportedAndWatchedAgainWhenRecreated(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "Exports")
	os.Mkdir(dir, 0o755)
	r := newRecorder()
	w := startWatcher(t, Config{Dir: dir, RetryMin: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond}, r)
	writeFile(t, filepath.Join(dir, "before.jpg"), 100)
	r.waitFor(t, 10*time.Second, "before.jpg", func() bool { return len(r.files()) == 1 })

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, 10*time.Second, "the folder reported missing", func() bool { return w.Status().Phase == Missing })
	st := w.Status()
	if !strings.Contains(st.Words(), "is not there") || st.RetryIn <= 0 {
		t.Fatalf("status while missing: %q (retry in %s)", st.Words(), st.RetryIn)
	}
	time.Sleep(time.Second) // a few retries with the folder still gone

	os.Mkdir(dir, 0o755)
	writeFile(t, filepath.Join(dir, "after.jpg"), 100)
	r.waitFor(t, 10*time.Second, "after.jpg from the recreated folder", func() bool { return len(r.files()) == 2 })
	if w.Status().Phase != Watching {
		t.Fatalf("status after the folder came back: %+v", w.Status())
	}
	writeFile(t, filepath.Join(dir, "later.jpg"), 100)
	r.waitFor(t, 10*time.Second, "later.jpg through the new watch", func() bool { return len(r.files()) == 3 })
	if got := strings.Join(r.rels(), " "); got != "after.jpg before.jpg later.jpg" {
		t.Fatalf("handed over %q", got)
	}
}

func TestFolderReplacedByAFileIsReportedNotCrashedOn(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "Shots")
	writeFile(t, dir, 10) // a file where the folder should be
	r := newRecorder()
	w, err := Start(context.Background(), Config{Dir: dir, Settle: testSettle, RetryMin: 50 * time.Millisecond, RetryMax: 100 * time.Millisecond, OnReady: r.ready, OnStatus: r.onStatus})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.waitFor(t, 10*time.Second, "a problem", func() bool { return w.Status().Phase == Missing })
	if got := w.Status().Words(); !strings.Contains(got, "is not a folder") {
		t.Fatalf("words: %q", got)
	}
	os.Remove(dir)
	os.Mkdir(dir, 0o755)
	writeFile(t, filepath.Join(dir, "x.png"), 10)
	r.waitFor(t, 10*time.Second, "x.png", func() bool { return len(r.files()) == 1 })
}

func TestBadPatternIsRefusedAtStart(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Config{Dir: t.TempDir(), Include: []string{"[x"}})
	if err == nil || !strings.Contains(err.Error(), "[x") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Start(context.Background(), Config{}); err == nil {
		t.Fatal("no folder accepted")
	}
}

func TestEmptyFilesWaitForTheirContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRecorder()
	startWatcher(t, Config{Dir: dir}, r)
	p := filepath.Join(dir, "later.jpg")
	os.WriteFile(p, nil, 0o644)
	r.quiet(t, 4*testSettle, 0)
	os.WriteFile(p, []byte("content"), 0o644)
	r.waitFor(t, 10*time.Second, "later.jpg", func() bool { return len(r.files()) == 1 })
}

func TestCloseStopsCallbacks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRecorder()
	w := startWatcher(t, Config{Dir: dir}, r)
	w.Close()
	writeFile(t, filepath.Join(dir, "x.jpg"), 10)
	r.quiet(t, 3*testSettle, 0)
	if st := w.Status(); st.Phase != Stopped {
		t.Fatalf("status after Close: %+v", st)
	}
}

func TestUnreadableFolderIsReportedAndWatchedAgainWhenReadable(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("permissions do not stop root (or work differently on Windows)")
	}
	dir := filepath.Join(t.TempDir(), "Locked")
	os.Mkdir(dir, 0o755)
	r := newRecorder()
	w := startWatcher(t, Config{Dir: dir, RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond}, r)
	os.Chmod(dir, 0o000)
	defer os.Chmod(dir, 0o755)
	r.waitFor(t, 10*time.Second, "the folder reported unreadable", func() bool { return w.Status().Phase == Missing })
	if got := w.Status().Words(); !strings.Contains(got, "permission denied") {
		t.Fatalf("words: %q", got)
	}
	os.Chmod(dir, 0o755)
	writeFile(t, filepath.Join(dir, "x.jpg"), 10)
	r.waitFor(t, 10*time.Second, "x.jpg once readable", func() bool { return len(r.files()) == 1 })
}
