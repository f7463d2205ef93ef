// Package watch uploads what lands in a folder: a Watcher follows one
// folder (and optionally its subfolders) through fsnotify and hands over
// each file once it is complete and settled; Feed connects a Watcher to an
// upload engine (core/transfer) the way a drop does, and remembers in a
// small state database (State) what each watched folder has already
// uploaded, so files added while Cloudup was closed go up at the next start
// and nothing goes up twice. Folders (folders.go) is the list of watched
// folders the window keeps beside the profiles.
//
// Correct where watch folders usually fail:
//   - A file is handed over only when it is settled: its size and
//     modification time unchanged for a settle window and, where the system
//     can tell cheaply (a read lease on Linux, a share-mode open on
//     Windows), no process holding it open for writing. A file written
//     under a temporary name and renamed is seen under its final name only;
//     temporary names themselves (*.part, *.crdownload, ~$…, .tmp, dot-names)
//     are never taken (core/source's Filter).
//   - Events never wait for the engine: a reader moves them from fsnotify
//     into a bounded queue; when that queue or the kernel's overflows, the
//     folder is rescanned, so no file is silently dropped.
//   - A folder that disappears or cannot be read is reported and retried
//     with a growing pause; when it is back it is rescanned.
//
// It never reads file contents (the engine hashes and checks duplicates),
// never talks to Cloudinary, and does not import Fyne.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/cloudup/cloudup/core/source"
)

// File is a settled file, handed over for upload.
type File struct {
	Path    string // absolute
	Rel     string // below the watched folder, with "/"
	Size    int64
	ModTime time.Time
}

// Decision is what the owner of a Watcher wants done with a settled file.
type Decision int

const (
	// Take hands the file over (OnReady).
	Take Decision = iota
	// Known means nothing is to be done for the file as it is now (it was
	// uploaded in this state); a later change brings it back.
	Known
	// Later keeps the file waiting and asks again at the next check (an
	// earlier version of it is still uploading).
	Later
)

// Config says what to watch and whom to tell.
type Config struct {
	Dir        string
	Subfolders bool
	// Include, Exclude and Hidden are core/source's folder rules.
	Include, Exclude []string
	Hidden           bool
	// Settle is how long a file must stay unchanged, and closed by its
	// writer, before it is handed over. Where no writer check is possible
	// (another user's file, a network file system, macOS) three times as
	// long is waited. Default 1 s.
	Settle time.Duration
	// RescanEvery is the safety rescan's period (events missed on network
	// file systems); default 5 minutes, 10 s while some subfolder could not
	// be watched (the system's watch limit).
	RescanEvery time.Duration
	// RetryMin and RetryMax bound the pause before a missing or unreadable
	// folder is tried again (doubling each time); defaults 1 s and 1 min.
	RetryMin, RetryMax time.Duration
	// QueueSize is how many file events may wait between fsnotify and the
	// settler; more at once overflow into a rescan. Default 4096.
	QueueSize int

	// Decide is asked about every settled file; nil takes each file once
	// per state: a file handed over is not handed over again by a rescan
	// until its size or modification time changes.
	Decide func(File) Decision
	// OnReady receives settled files to upload, in batches.
	OnReady func([]File)
	// OnScan, when set, receives every file a full scan found (by Rel), so
	// state about files that are gone can be dropped.
	OnScan func(present map[string]bool)
	// OnStatus is told when the folder's state changes.
	OnStatus func(Status)
}

// Phase is where a watched folder is.
type Phase string

const (
	Starting Phase = "starting"
	Watching Phase = "watching"
	// Missing: the folder is not there, not a folder, or cannot be read;
	// Status.Err says which, and it is tried again after Status.RetryIn.
	Missing Phase = "missing"
	Stopped Phase = "stopped"
)

// Status is a watched folder's state, for people.
type Status struct {
	Dir     string
	Phase   Phase
	Err     error
	RetryIn time.Duration
	// Polling: some subfolders could not be watched (the system's limit on
	// watches), so the folder is rescanned every few seconds instead.
	Polling bool
	// Rescans counts rescans after an event overflow.
	Rescans int
	// Found is how many files the last full scan found.
	Found int
	// LeftAlone is how many files were already there when the folder was
	// first watched and were left alone (set by Feed).
	LeftAlone int
}

// Words says the status in one sentence.
func (s Status) Words() string {
	switch s.Phase {
	case Watching:
		if s.Polling {
			return "watching (too many subfolders for change events: checking every few seconds)"
		}
		return "watching"
	case Missing, Blocked:
		if s.RetryIn > 0 {
			return fmt.Sprintf("%v; trying again in %s", s.Err, s.RetryIn.Round(time.Second))
		}
		return s.Err.Error()
	}
	return string(s.Phase)
}

// DefaultSettle is Config.Settle's default.
const DefaultSettle = time.Second

// Watcher follows one folder. Start it with Start; Close stops it.
type Watcher struct {
	cfg    Config
	root   string
	filter *source.Filter

	cancel context.CancelFunc
	done   chan struct{}

	q        chan fsnotify.Event
	overflow atomic.Bool
	wake     chan struct{}
	readers  sync.WaitGroup

	mu     sync.Mutex
	status Status

	// Owned by the loop goroutine.
	fsw       *fsnotify.Watcher
	watching  bool
	polling   bool
	dirs      map[string]bool
	pending   map[string]*candidate
	rootCheck time.Time
	// handed is what was handed over, by path, when Config.Decide is nil.
	handed map[string]File
}

// decideOnce is the Decide of a watcher without one: take a file unless it
// was handed over as it is now. Runs on the loop goroutine, as handed.
func (w *Watcher) decideOnce(f File) Decision {
	if h, ok := w.handed[f.Path]; ok && h.Size == f.Size && h.ModTime.Equal(f.ModTime) {
		return Known
	}
	return Take
}

// candidate is a file seen changing, waiting to settle.
type candidate struct {
	rel   string
	size  int64
	mtime time.Time
	since time.Time // when size and mtime were last seen to change
}

// Start checks the configuration and starts watching. A folder that is not
// there yet is not an error: it is reported through OnStatus and tried
// again until it appears.
func Start(ctx context.Context, cfg Config) (*Watcher, error) {
	if strings.TrimSpace(cfg.Dir) == "" {
		return nil, errors.New("no folder to watch")
	}
	root, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("cannot watch %q: %w", cfg.Dir, err)
	}
	filter, err := source.NewFilter(cfg.Include, cfg.Exclude, cfg.Hidden)
	if err != nil {
		return nil, err
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.RescanEvery <= 0 {
		cfg.RescanEvery = 5 * time.Minute
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(time.Minute, cfg.RetryMin)
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.OnReady == nil {
		cfg.OnReady = func([]File) {}
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{
		cfg: cfg, root: root, filter: filter, cancel: cancel, done: make(chan struct{}),
		q: make(chan fsnotify.Event, cfg.QueueSize), wake: make(chan struct{}, 1),
		status: Status{Dir: root, Phase: Starting},
	}
	if w.cfg.Decide == nil {
		// Without an owner that remembers, the watcher does: otherwise
		// every rescan (after an overflow, or the safety one) would hand
		// over again each file still in the folder.
		w.handed = map[string]File{}
		w.cfg.Decide = w.decideOnce
	}
	go w.run(ctx)
	return w, nil
}

// Dir is the watched folder, absolute.
func (w *Watcher) Dir() string { return w.root }

// Status is the folder's state now.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Close stops watching and waits until no callback runs any more.
func (w *Watcher) Close() {
	w.cancel()
	<-w.done
}

func (w *Watcher) setStatus(change func(*Status)) {
	w.mu.Lock()
	change(&w.status)
	s := w.status
	w.mu.Unlock()
	if w.cfg.OnStatus != nil {
		w.cfg.OnStatus(s)
	}
}

// checkEvery is how often waiting files are looked at.
func (w *Watcher) checkEvery() time.Duration {
	return min(max(w.cfg.Settle/4, 20*time.Millisecond), 500*time.Millisecond)
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	defer func() {
		w.closeEvents()
		w.readers.Wait()
		w.setStatus(func(s *Status) { s.Phase, s.Err, s.RetryIn = Stopped, nil, 0 })
	}()
	check := time.NewTicker(w.checkEvery())
	defer check.Stop()
	retry := w.cfg.RetryMin
	for ctx.Err() == nil {
		if !w.watching {
			if err := w.open(); err != nil {
				wait := retry
				retry = min(2*retry, w.cfg.RetryMax)
				w.setStatus(func(s *Status) { s.Phase, s.Err, s.RetryIn = Missing, err, wait })
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				continue
			}
			retry = w.cfg.RetryMin
		}
		rescanEvery := w.cfg.RescanEvery
		if w.polling {
			rescanEvery = min(rescanEvery, 10*time.Second)
		}
		rescan := time.NewTimer(rescanEvery)
	watching:
		for w.watching {
			select {
			case <-ctx.Done():
				rescan.Stop()
				return
			case ev := <-w.q:
				w.handle(ev)
			case <-w.wake:
				if w.overflow.Swap(false) {
					w.setStatus(func(s *Status) { s.Rescans++ })
					w.rescan()
				}
			case <-check.C:
				w.check()
			case <-rescan.C:
				w.rescan()
				break watching // a new timer, at the polling pace if that changed
			}
		}
		rescan.Stop()
	}
}

// open starts watching the folder: the watch first, then a full scan, so
// no file lands unseen in between.
func (w *Watcher) open() error {
	fi, err := os.Stat(w.root)
	if err != nil {
		return w.describe(err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", w.root)
	}
	w.dirs, w.pending, w.polling = map[string]bool{}, map[string]*candidate{}, false
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		// Out of inotify instances: fall back to rescanning.
		w.polling = true
	} else {
		w.fsw = fsw
		w.readers.Add(1)
		go w.read(fsw)
	}
	if err := w.watchDir(w.root); err != nil {
		w.closeEvents()
		return w.describe(err)
	}
	w.watching = true
	if err := w.scan(); err != nil {
		w.lose()
		return err
	}
	w.setStatus(func(s *Status) { s.Phase, s.Err, s.RetryIn, s.Polling = Watching, nil, 0, w.polling })
	return nil
}

// lose stops watching after the folder went away or became unreadable;
// run opens it again, or reports why it cannot and retries.
func (w *Watcher) lose() {
	w.closeEvents()
	w.watching = false
	w.pending, w.dirs = nil, nil
}

func (w *Watcher) closeEvents() {
	if w.fsw != nil {
		w.fsw.Close()
		w.fsw = nil
	}
}

// describe words an error about the folder itself.
func (w *Watcher) describe(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the folder %s is not there (removed, renamed, or on a drive that is not connected)", w.root)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read the folder %s: permission denied", w.root)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot watch the folder %s: %v", w.root, err)
}

// read moves events from fsnotify into the bounded queue without ever
// waiting: when the queue is full, the events are dropped and a rescan
// finds what they were about. A kernel overflow ends the same way.
func (w *Watcher) read(fsw *fsnotify.Watcher) {
	defer w.readers.Done()
	for {
		select {
		case ev, ok := <-fsw.Events:
			if !ok {
				return
			}
			select {
			case w.q <- ev:
			default:
				w.overflowed()
			}
		case _, ok := <-fsw.Errors:
			if !ok {
				return
			}
			// ErrEventOverflow, or a read error: either way events may be
			// lost, and a rescan finds what they were about.
			w.overflowed()
		}
	}
}

func (w *Watcher) overflowed() {
	w.overflow.Store(true)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// watchDir adds a watch for one folder. Hitting the system's watch limit
// is not an error: the folder is then rescanned every few seconds.
func (w *Watcher) watchDir(dir string) error {
	if w.dirs[dir] {
		return nil
	}
	w.dirs[dir] = true
	if w.fsw == nil {
		return nil
	}
	if err := w.fsw.Add(dir); err != nil {
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
			w.polling = true
			return nil
		}
		delete(w.dirs, dir)
		return err
	}
	return nil
}

// rel is p below the root with "/", or false when p is not below it.
func (w *Watcher) rel(p string) (string, bool) {
	r, err := filepath.Rel(w.root, p)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// skipped applies the folder rules to p and every folder above it.
func (w *Watcher) skipped(rel string, isDir bool) bool {
	parts := strings.Split(rel, "/")
	if len(parts) > 1 && !w.cfg.Subfolders {
		return true
	}
	for i := range parts {
		dir := i < len(parts)-1 || isDir
		if w.filter.Skip(strings.Join(parts[:i+1], "/"), parts[i], dir) != "" {
			return true
		}
	}
	return false
}

// handle takes one event: cheap bookkeeping only, no waiting on the disk
// beyond an lstat for new entries.
func (w *Watcher) handle(ev fsnotify.Event) {
	if !w.watching {
		return // left over from before the folder went away
	}
	p := filepath.Clean(ev.Name)
	if p == w.root {
		switch {
		case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
			w.lose()
		case ev.Has(fsnotify.Chmod):
			w.checkRoot(true)
		}
		return
	}
	rel, ok := w.rel(p)
	if !ok {
		return
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.forget(p)
		return
	}
	if ev.Has(fsnotify.Create) {
		fi, err := os.Lstat(p)
		if err != nil {
			return // gone already: a temporary file renamed at once
		}
		if fi.IsDir() {
			if w.cfg.Subfolders && !w.skipped(rel, true) {
				w.addTree(p)
			}
			return
		}
	}
	if w.skipped(rel, false) {
		return
	}
	if _, ok := w.pending[p]; !ok {
		w.pending[p] = &candidate{rel: rel, size: -1}
	}
}

// forget drops a removed or renamed-away path, and everything below it
// when it was a folder.
func (w *Watcher) forget(p string) {
	delete(w.pending, p)
	delete(w.handed, p)
	if !w.dirs[p] {
		return
	}
	prefix := p + string(filepath.Separator)
	for d := range w.dirs {
		if d == p || strings.HasPrefix(d, prefix) {
			delete(w.dirs, d)
			if w.fsw != nil {
				w.fsw.Remove(d) // a folder moved away keeps its watch otherwise
			}
		}
	}
	for f := range w.pending {
		if strings.HasPrefix(f, prefix) {
			delete(w.pending, f)
		}
	}
	for f := range w.handed {
		if strings.HasPrefix(f, prefix) {
			delete(w.handed, f)
		}
	}
}

// addTree watches a new subfolder and everything below it, and takes the
// files already in it: they may have landed before its watch was added.
func (w *Watcher) addTree(dir string) {
	w.walk(dir, func(string, fs.FileInfo) {})
}

// scan is a full rescan: every folder watched, every file not known yet
// put to settle.
func (w *Watcher) scan() error {
	present := map[string]bool{}
	if _, err := os.ReadDir(w.root); err != nil {
		return w.describe(err)
	}
	w.walk(w.root, func(rel string, _ fs.FileInfo) { present[rel] = true })
	for p, f := range w.handed {
		if !present[f.Rel] {
			delete(w.handed, p) // gone: a file landing there later is new
		}
	}
	w.setStatus(func(s *Status) { s.Found = len(present); s.Polling = w.polling })
	if w.cfg.OnScan != nil {
		w.cfg.OnScan(present)
	}
	return nil
}

func (w *Watcher) rescan() {
	if !w.watching {
		return
	}
	if err := w.scan(); err != nil {
		w.lose()
	}
}

// walk lists dir (and, with Subfolders, the folders below), watching each
// folder and putting files that are not known to settle. Symlinked folders
// are not followed: their changes would not be seen anyway.
func (w *Watcher) walk(dir string, found func(rel string, fi fs.FileInfo)) {
	if dir != w.root {
		if err := w.watchDir(dir); err != nil {
			return // gone meanwhile, or unreadable: its parent's events bring it back
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range entries {
		p := filepath.Join(dir, de.Name())
		rel, ok := w.rel(p)
		if !ok {
			continue
		}
		typ := de.Type()
		if typ.IsDir() {
			if w.cfg.Subfolders && !w.skipped(rel, true) {
				w.walk(p, found)
			}
			continue
		}
		if w.skipped(rel, false) {
			continue
		}
		fi, err := os.Stat(p) // follows a symlinked file
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		found(rel, fi)
		if _, ok := w.pending[p]; ok {
			continue
		}
		f := File{Path: p, Rel: rel, Size: fi.Size(), ModTime: fi.ModTime()}
		if w.cfg.Decide(f) == Known {
			continue
		}
		w.pending[p] = &candidate{rel: rel, size: -1}
	}
}

// checkRoot notices a folder that went away or became unreadable without
// an event about it (an unmounted drive, a permission change).
func (w *Watcher) checkRoot(now bool) {
	if !now && time.Since(w.rootCheck) < time.Second {
		return
	}
	w.rootCheck = time.Now()
	f, err := os.Open(w.root)
	if err == nil {
		var fi fs.FileInfo
		if fi, err = f.Stat(); err == nil && !fi.IsDir() {
			err = fmt.Errorf("%s is not a folder", w.root)
		}
		f.Close()
	}
	if err != nil {
		w.lose()
	}
}

// check looks at every waiting file and hands over those that settled.
func (w *Watcher) check() {
	w.checkRoot(false)
	if !w.watching || len(w.pending) == 0 {
		return
	}
	now := time.Now()
	var ready []File
	for p, c := range w.pending {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			delete(w.pending, p)
			continue
		}
		if fi.Size() != c.size || !fi.ModTime().Equal(c.mtime) {
			c.size, c.mtime, c.since = fi.Size(), fi.ModTime(), now
			continue
		}
		if now.Sub(c.since) < w.cfg.Settle {
			continue
		}
		writing, known := openForWriting(p)
		if writing {
			continue // unchanged for a while, but its writer still has it open
		}
		if !known && now.Sub(c.since) < 3*w.cfg.Settle {
			continue // no way to ask about a writer: wait longer
		}
		if c.size == 0 {
			// An empty file is one still being made; its first write
			// brings it back.
			delete(w.pending, p)
			continue
		}
		f := File{Path: p, Rel: c.rel, Size: c.size, ModTime: c.mtime}
		switch w.cfg.Decide(f) {
		case Take:
			ready = append(ready, f)
			delete(w.pending, p)
			if w.handed != nil {
				w.handed[p] = f
			}
		case Known:
			delete(w.pending, p)
		}
	}
	if len(ready) > 0 {
		sort.Slice(ready, func(i, j int) bool { return ready[i].Rel < ready[j].Rel })
		w.cfg.OnReady(ready)
	}
}
