package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/transfer"
)

// FeedConfig connects one watched folder to an upload engine.
type FeedConfig struct {
	// Watch says what to watch (Dir, Subfolders, patterns, timings); its
	// Decide, OnReady and OnScan are the feed's own. OnStatus is passed on,
	// with Status.LeftAlone filled in.
	Watch  Config
	Engine *transfer.Engine
	State  *State
	// Profile is the engine's profile (it names the folder's memory).
	Profile string
	// Options go with every file, as with a drop: the profile's defaults
	// with this folder's destination folder, tags and public_id template.
	Options transfer.Options
	// Existing uploads the files already in the folder the first time it is
	// watched. Otherwise they are remembered as left alone, and only files
	// that arrive (or change) from then on are uploaded.
	Existing bool
	// OnProblem hears about trouble that is not the folder's (the state
	// database cannot be written); nil ignores it.
	OnProblem func(error)
}

// Feed hands a watched folder's settled files to an engine, exactly as a
// drop would (engine.Add with the folder's options: the same journal and
// duplicate check), and remembers the outcome of each in the State.
type Feed struct {
	cfg    FeedConfig
	ledger *Ledger
	w      *Watcher
	sub    *transfer.Subscription
	cancel context.CancelFunc
	wg     sync.WaitGroup
	flush  chan struct{}

	mu         sync.Mutex
	flight     map[string]*flight // by Rel: handed to the engine
	byID       map[transfer.ItemID]string
	baselining bool // the folder's first scan, when what is there stays
	leftAlone  int
	handed     int
}

// flight is a file handed to the engine.
type flight struct {
	id    transfer.ItemID
	size  int64
	mtime time.Time
	// parked: it failed for a reason that may pass (network, credentials);
	// it stays in the engine (and the journal) for Retry or the next start,
	// and is not handed over again unless it changes.
	parked bool
}

// StartFeed resumes the folder's uploads an earlier run left unfinished (in
// this engine, so the rescan joins them instead of starting them twice),
// then starts watching.
func StartFeed(ctx context.Context, cfg FeedConfig) (*Feed, error) {
	if cfg.Engine == nil || cfg.State == nil {
		return nil, errors.New("watch: a feed needs an engine and a state")
	}
	dir, err := filepath.Abs(cfg.Watch.Dir)
	if err != nil {
		return nil, fmt.Errorf("cannot watch %q: %w", cfg.Watch.Dir, err)
	}
	cfg.Watch.Dir = dir
	cfg.Options.Force = false // the duplicate check is what makes a rescan safe
	ledger, err := cfg.State.Ledger(ctx, Key(cfg.Profile, destination(cfg.Options), dir), dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &Feed{
		cfg: cfg, ledger: ledger, cancel: cancel, flush: make(chan struct{}, 1),
		flight: map[string]*flight{}, byID: map[transfer.ItemID]string{},
		baselining: !ledger.Known() && !cfg.Existing,
	}
	f.sub = cfg.Engine.Subscribe()
	f.wg.Add(2)
	go f.follow()
	go f.flusher(ctx)

	ids, err := cfg.Engine.ResumeUnfinishedWhere(ctx, func(e transfer.Entry) bool {
		_, ok := f.relOf(e.Path)
		return ok && e.URL == "" && e.Options != nil && sameDestination(*e.Options, cfg.Options)
	})
	if err != nil && cfg.OnProblem != nil {
		cfg.OnProblem(fmt.Errorf("the unfinished uploads of %s could not be resumed: %w", dir, err))
	}
	f.mu.Lock()
	for _, id := range ids {
		if st, ok := cfg.Engine.Item(id); ok {
			if rel, ok := f.relOf(st.Path); ok {
				// Size and time unknown here: taken when it finishes.
				f.flight[rel], f.byID[id] = &flight{id: id, size: -1}, rel
			}
		}
	}
	f.mu.Unlock()

	wc := cfg.Watch
	wc.Decide, wc.OnReady, wc.OnScan = f.decide, f.ready, f.scanned
	wc.OnStatus = func(s Status) {
		f.mu.Lock()
		s.LeftAlone = f.leftAlone
		f.mu.Unlock()
		if cfg.Watch.OnStatus != nil {
			cfg.Watch.OnStatus(s)
		}
	}
	w, err := Start(ctx, wc)
	if err != nil {
		f.stop()
		return nil, err
	}
	f.w = w
	return f, nil
}

// Dir is the watched folder.
func (f *Feed) Dir() string { return f.cfg.Watch.Dir }

// Status is the folder's state now.
func (f *Feed) Status() Status {
	s := f.w.Status()
	f.mu.Lock()
	s.LeftAlone = f.leftAlone
	f.mu.Unlock()
	return s
}

// Handed is how many files were handed to the engine so far.
func (f *Feed) Handed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.handed
}

// Close stops watching and writes what is remembered. Files handed over
// stay in the engine; those not finished are resumed by the next feed of
// this folder.
func (f *Feed) Close() error {
	f.w.Close()
	return f.stop()
}

func (f *Feed) stop() error {
	f.cancel()
	f.sub.Close()
	f.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return f.ledger.Flush(ctx)
}

// relOf is p below the watched folder, when the folder's rules take it.
func (f *Feed) relOf(p string) (string, bool) {
	r, err := filepath.Rel(f.cfg.Watch.Dir, p)
	if err != nil || r == "." || strings.HasPrefix(r, "..") {
		return "", false
	}
	r = filepath.ToSlash(r)
	if !f.cfg.Watch.Subfolders && strings.Contains(r, "/") {
		return "", false
	}
	return r, true
}

// decide answers the watcher about a settled file.
func (f *Feed) decide(file File) Decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl := f.flight[file.Rel]; fl != nil {
		switch {
		case !fl.parked:
			return Later // its upload is still running
		case fl.size == file.Size && fl.mtime.Equal(file.ModTime):
			return Known
		}
	}
	if s, ok := f.ledger.Get(file.Rel); ok && s.Same(file.Size, file.ModTime) {
		return Known
	}
	if f.baselining {
		f.ledger.Put(file.Rel, Seen{Size: file.Size, ModTime: file.ModTime, Outcome: LeftAlone, At: time.Now()})
		f.leftAlone++
		return Known
	}
	return Take
}

// ready hands settled files to the engine in one Add, like a drop's batch.
func (f *Feed) ready(files []File) {
	items := make([]transfer.Item, len(files))
	for i, file := range files {
		o := f.cfg.Options
		o.Tags = slices.Clone(o.Tags)
		items[i] = transfer.Item{Path: file.Path, Options: &o}
	}
	f.mu.Lock()
	ids := f.cfg.Engine.Add(items...)
	for i, id := range ids {
		if old := f.flight[files[i].Rel]; old != nil && old.id != id {
			delete(f.byID, old.id) // a parked failure replaced by the changed file
		}
		f.flight[files[i].Rel] = &flight{id: id, size: files[i].Size, mtime: files[i].ModTime}
		f.byID[id] = files[i].Rel
	}
	f.handed += len(ids)
	f.mu.Unlock()
	// Refused at once (a full batch, a stopped engine): the event may have
	// come before the ids were known.
	for _, id := range ids {
		if st, ok := f.cfg.Engine.Item(id); ok && st.State.Final() {
			f.settled(st)
		}
	}
}

// scanned ends the first scan's baseline and forgets files that are gone.
func (f *Feed) scanned(present map[string]bool) {
	f.mu.Lock()
	f.baselining = false
	f.mu.Unlock()
	f.ledger.Keep(present)
	f.ledger.MarkKnown()
	f.wakeFlusher()
}

// follow hears the engine's outcomes for the files this feed handed over.
func (f *Feed) follow() {
	defer f.wg.Done()
	for ev := range f.sub.C {
		switch ev.Kind {
		case transfer.ItemsAdded, transfer.ItemChanged:
			for _, st := range ev.Items {
				if st.State.Final() {
					f.settled(st)
				} else {
					f.unparked(st.ID)
				}
			}
		case transfer.ItemsRemoved:
			for _, id := range ev.Removed {
				f.removed(id)
			}
		}
	}
}

// settled records a final outcome.
func (f *Feed) settled(st transfer.ItemStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rel, ok := f.byID[st.ID]
	if !ok {
		return
	}
	fl := f.flight[rel]
	if fl == nil || fl.id != st.ID {
		delete(f.byID, st.ID)
		return
	}
	var outcome Outcome
	switch st.State {
	case transfer.Done:
		outcome = Uploaded
	case transfer.Skipped:
		outcome = AlreadyThere
	case transfer.Canceled:
		outcome = Canceled
	case transfer.Failed:
		if transfer.Resumable(st.Err) {
			fl.parked = true
			return
		}
		outcome = Refused
	default:
		return
	}
	size, mtime := fl.size, fl.mtime
	if size < 0 {
		// Resumed from the journal: what it uploaded is the file as it is,
		// unless it changed since (then the engine's check caught it, or the
		// next change does).
		fi, err := os.Stat(st.Path)
		if err != nil {
			delete(f.flight, rel)
			delete(f.byID, st.ID)
			return
		}
		size, mtime = fi.Size(), fi.ModTime()
	}
	f.ledger.Put(rel, Seen{Size: size, ModTime: mtime, Outcome: outcome, At: time.Now()})
	delete(f.flight, rel)
	delete(f.byID, st.ID)
	f.wakeFlusher()
}

// unparked follows a parked failure that was retried.
func (f *Feed) unparked(id transfer.ItemID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rel, ok := f.byID[id]; ok {
		if fl := f.flight[rel]; fl != nil && fl.id == id {
			fl.parked = false
		}
	}
}

// removed: the user took the file out of the queue before it finished, so
// it is left alone until it changes.
func (f *Feed) removed(id transfer.ItemID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rel, ok := f.byID[id]
	if !ok {
		return
	}
	delete(f.byID, id)
	fl := f.flight[rel]
	if fl == nil || fl.id != id {
		return
	}
	delete(f.flight, rel)
	if fl.size >= 0 {
		f.ledger.Put(rel, Seen{Size: fl.size, ModTime: fl.mtime, Outcome: Removed, At: time.Now()})
		f.wakeFlusher()
	}
}

func (f *Feed) wakeFlusher() {
	select {
	case f.flush <- struct{}{}:
	default:
	}
}

// flusher writes the ledger shortly after it changes: batched, so a
// thousand files landing at once cost a few transactions.
func (f *Feed) flusher(ctx context.Context) {
	defer f.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.flush:
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := f.ledger.Flush(ctx); err != nil && ctx.Err() == nil && f.cfg.OnProblem != nil {
			f.cfg.OnProblem(err)
		}
	}
}

// destination is where items land, as the engine's duplicate check sees it.
func destination(o transfer.Options) string {
	if o.AssetFolder != "" {
		return o.AssetFolder
	}
	return o.Folder
}

func sameDestination(a, b transfer.Options) bool {
	return destination(a) == destination(b) && a.PublicIDTemplate == b.PublicIDTemplate
}
