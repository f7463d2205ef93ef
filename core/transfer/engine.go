package transfer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cloudup/cloudup/core/cloud"
)

// Config is everything the engine needs; the caller maps a profile onto it.
type Config struct {
	Client  *cloud.Client
	Journal *Journal
	// Profile names the account in the journal and history (duplicates are
	// looked up per profile and folder).
	Profile string
	Options Options // defaults for items without their own
	Limits  Limits
	// Concurrency pins how many items upload at once; 0 lets the engine
	// choose (it starts at 4 and adapts to the link and the account, up to
	// AutoCeiling).
	Concurrency int
	// ChunkSize: files larger than this go in chunks of this size. Default
	// 20 MB (Cloudinary's); at least 5 MB unless AllowSmallChunks (for tests
	// against a sandbox configured to accept them).
	ChunkSize        int64
	AllowSmallChunks bool
	Retry            RetryPolicy
	Clock            Clock // default SystemClock
	// ProgressInterval is how often progress events go out; default 100 ms.
	ProgressInterval time.Duration
}

// Engine uploads items. Its methods are safe to call from any goroutine,
// including a UI's: none of them waits on the network or the disk.
type Engine struct {
	cfg      Config
	tpl      Template
	client   atomic.Pointer[cloud.Client]
	journal  *Journal
	owner    string
	clock    Clock
	lim      *limiter
	ctx      context.Context
	stop     context.CancelFunc
	group    errgroup.Group
	closeErr error
	once     sync.Once
	closed   chan struct{}

	jmu sync.Mutex // orders journal inserts of new items against workers' writes

	exist existence // what the account said about assets the history names

	mu          sync.Mutex
	items       map[ItemID]*item
	order       []*item
	queue       []*item
	active      map[ItemID]*item
	byKey       map[string]*item      // unfinished items by source and options, to merge re-adds
	limits      map[string]knownLimit // size limits Cloudinary stated, by account and type (limits.go)
	content     map[string]*item      // folder+MD5 → the item uploading it now
	counts      map[State]int
	subs        map[*Subscription]struct{}
	changed     chan struct{}
	journalWake chan struct{}
	paused      bool
	halted      error
	running     int // runs taken from the queue and not yet settled
	holdUntil   time.Time
	clockWarned bool
	batchBytes  int64 // BytesDone at the last tick
	batchTotal  int64
	batchFailed int64 // bytes of failed items, which count against Fraction
	batchSpeed  float64

	// Journal writes decided under mu, applied in order; the last failure
	// of one that was said (guarded by mu too).
	ops           []func(context.Context) error
	journalWarned string
	batchRateWin  rateWindow

	eta timeLeft // the batch's time left (timeleft.go), guarded by mu
}

// item is one upload. Its fields are guarded by Engine.mu (sent is atomic).
// A file uploaded or found already there keeps only what its row and link
// need (retire.go): itemLive goes and done comes, so a batch of thirty
// thousand does not keep thirty thousand upload records.
type item struct {
	id    ItemID
	state State
	words string
	*itemLive
	done *doneItem // once retired; itemLive is nil then
}

// itemLive is an item that is not retired: queued, running, failed or
// canceled, or finished but kept whole (a spooled copy to delete, a run
// still settling).
type itemLive struct {
	sent atomic.Int64 // bytes the server has or is being sent

	entry       Entry
	opts        *Options // shared with entry.Options and other items; never changed in place
	err         error
	attempt     int
	asset       *cloud.Asset
	run         *itemRun  // while a worker has it
	pre         *prepared // signed ahead (signahead.go)
	resumed     bool
	journaled   bool
	removed     bool
	interrupted bool
	running     bool // a worker has it, until its run is settled
	againQueued bool // UploadAgain came while it was still settling
	preTried    bool
}

// itemRun is what only a run of an item needs: a queued item (thirty
// thousand of them, in a large batch) does without.
type itemRun struct {
	ctx       context.Context
	cancel    context.CancelCauseFunc
	finished  chan struct{} // closed when the run ends
	retryAt   time.Time
	speed     float64
	rate      *rateWindow
	reported  int64
	meter     *cloud.Meter   // the running request's, read by the ticker
	meterBase int64          // the file offset the request starts at
	meterMore []*cloud.Meter // later chunks in flight or not yet recorded

	// For the batch's time left: when this run took its slot (since
	// etaEpoch), the bytes already on Cloudinary when its upload began,
	// and the bytes counted at the last tick.
	etaStart         time.Duration
	etaFrom, etaSent int64
}

// Reasons a running item is stopped, read back with context.Cause.
var (
	causePaused   = errors.New("paused")
	causeCanceled = errors.New("canceled")
	causeRemoved  = errors.New("removed")
)

// New starts an engine: its workers wait for items.
func New(cfg Config) (*Engine, error) {
	if cfg.Client == nil {
		return nil, errors.New("transfer: no Cloudinary client")
	}
	if cfg.Journal == nil {
		return nil, errors.New("transfer: no journal")
	}
	if cfg.Concurrency < 0 {
		cfg.Concurrency = 0
	}
	if cfg.Concurrency > 64 {
		return nil, fmt.Errorf("concurrency %d is too high: use 1 to 64 (or 0 to let the engine choose)", cfg.Concurrency)
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = cloud.DefaultChunkSize
	}
	if cfg.ChunkSize < cloud.MinChunkSize && !cfg.AllowSmallChunks {
		return nil, fmt.Errorf("chunk size %d is below Cloudinary's minimum of %d bytes", cfg.ChunkSize, cloud.MinChunkSize)
	}
	if cfg.ChunkSize > cloud.MaxSingleRequest {
		return nil, fmt.Errorf("chunk size %d is above Cloudinary's %d-byte request limit", cfg.ChunkSize, cloud.MaxSingleRequest)
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = 100 * time.Millisecond
	}
	cfg.Retry = cfg.Retry.withDefaults()
	tpl, err := ParseTemplate(cfg.Options.PublicIDTemplate)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg: cfg, tpl: tpl, journal: cfg.Journal, owner: newOwner(), clock: cfg.Clock,
		closed: make(chan struct{}), items: map[ItemID]*item{}, active: map[ItemID]*item{},
		byKey: map[string]*item{}, content: map[string]*item{}, counts: map[State]int{},
		subs: map[*Subscription]struct{}{}, changed: make(chan struct{}), journalWake: make(chan struct{}, 1),
	}
	e.lim = newLimiter(cfg.Concurrency, AutoCeiling, time.Now) // throughput is measured on the wall clock
	e.lim.notify = e.concurrencyChanged
	e.client.Store(cfg.Client)
	e.ctx, e.stop = context.WithCancel(context.Background())
	if err := e.journal.heartbeat(e.ctx, e.owner); err != nil {
		e.stop()
		return nil, fmt.Errorf("the upload journal %s cannot be written: %w", e.journal.Path(), err)
	}
	for range e.lim.workers() {
		e.group.Go(e.worker)
	}
	e.group.Go(e.ticker)
	e.group.Go(e.signAhead)
	e.group.Go(e.journaler)
	e.group.Go(e.heartbeats)
	return e, nil
}

// Close stops the workers and waits for them. Items in flight stay in the
// journal as they are, so ResumeUnfinished (cloudup-cli upload --resume)
// continues them; a chunked upload continues from its first unacknowledged
// chunk. Subscriptions get their last events, then their channel closes.
func (e *Engine) Close() error {
	e.once.Do(func() {
		e.stop()
		e.closeErr = e.group.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.flushJournal(ctx)
		e.journal.release(ctx, e.owner)
		e.mu.Lock()
		for _, it := range e.order {
			if it.done == nil && it.entry.Spool && it.state == Done {
				os.Remove(it.entry.Path)
			}
		}
		e.publishLocked(Event{Kind: BatchChanged})
		e.mu.Unlock()
		close(e.closed)
	})
	return e.closeErr
}

// Subscribe returns a subscription to the engine's events. The caller owns
// it and must Close it (Close waits for its delivery goroutine).
func (e *Engine) Subscribe() *Subscription {
	s := newSubscription()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.pump(e.closed)
	}()
	s.wait = wg.Wait
	e.mu.Lock()
	e.subs[s] = struct{}{}
	e.mu.Unlock()
	return s
}

// SetClient replaces the Cloudinary client (e.g. after the user fixed the
// secret) and lifts a halt, so Retry can go on.
func (e *Engine) SetClient(c *cloud.Client) {
	if c == nil {
		return
	}
	e.client.Store(c)
	e.mu.Lock()
	e.halted = nil
	e.publishLocked(Event{Kind: BatchChanged})
	e.mu.Unlock()
}

// itemKey is what makes two adds the same upload: the source and options.
func itemKey(path, url string, o *Options) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%v\x00%v", path, url, o.Folder, o.PublicIDTemplate, o.Force, o.Overwrite)
}

// key is the item's itemKey, made again when needed rather than kept by
// every item (thirty thousand queued paths add up).
func (it *item) key() string { return itemKey(it.entry.Path, it.entry.URL, it.opts) }

// Add queues items and returns their ids at once; no disk or network work
// happens here. Adding a file already waiting or running (same path and
// options) returns the existing id.
func (e *Engine) Add(items ...Item) []ItemID {
	ids := make([]ItemID, len(items))
	e.mu.Lock()
	defer e.mu.Unlock()
	var added []ItemStatus
	// Items added together share one copy of each distinct options value:
	// the caller's may change after Add returns, the items' never do.
	shared := map[*Options]*Options{}
	for i, in := range items {
		src := in.Options
		if src == nil {
			src = &e.cfg.Options
		}
		opts := shared[src]
		if opts == nil {
			copied := *src
			opts = &copied
			shared[src] = opts
		}
		p := in.Path
		if p != "" {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
		}
		key := itemKey(p, in.URL, opts)
		if prev := e.byKey[key]; prev != nil && !prev.state.Final() {
			ids[i] = prev.id
			continue
		}
		it := &item{id: newItemID(), state: Queued, words: "queued", itemLive: &itemLive{opts: opts}}
		it.entry = Entry{ID: it.id, Profile: e.cfg.Profile, Path: p, URL: in.URL, Name: displayName(in), Spool: in.Spool, Options: opts, State: Queued, Resumable: true}
		if p != "" && in.Size > 0 {
			it.entry.Size = in.Size // until the file is checked
		}
		switch {
		case (p == "") == (in.URL == ""):
			e.rejectLocked(it, &RejectedError{Kind: ErrNotFound, Reason: "an item needs exactly one of a file path or a URL"})
		case e.cfg.Limits.MaxFiles > 0 && len(e.order) >= e.cfg.Limits.MaxFiles:
			e.rejectLocked(it, &RejectedError{Kind: ErrTooManyFiles, Reason: fmt.Sprintf("%s: this profile allows %d files per batch; upload it in another batch, or raise the limit",
				it.entry.Name, e.cfg.Limits.MaxFiles)})
		case e.halted != nil:
			e.rejectLocked(it, e.halted)
		default:
			e.queue = append(e.queue, it)
			e.byKey[key] = it
		}
		e.items[it.id] = it
		e.order = append(e.order, it)
		e.counts[it.state]++
		ids[i] = it.id
		added = append(added, e.statusLocked(it))
	}
	if len(added) > 0 {
		e.publishLocked(Event{Kind: ItemsAdded, Items: added})
		e.signalLocked()
		e.wakeJournaler()
	}
	return ids
}

func displayName(in Item) string {
	if in.Name != "" {
		return in.Name
	}
	if in.Path != "" {
		return filepath.Base(in.Path)
	}
	if u, err := url.Parse(in.URL); err == nil && u.Scheme != "data" {
		if b := path.Base(u.Path); b != "." && b != "/" {
			return b
		}
		return u.Host
	}
	return "pasted data"
}

// rejectLocked marks a new item failed before it ever ran.
func (e *Engine) rejectLocked(it *item, err error) {
	it.state, it.err, it.words = Failed, err, "failed: "+err.Error()
	it.entry.State, it.entry.Error, it.entry.Resumable = Failed, err.Error(), resumable(err)
}
