package transfer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
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
	// Concurrency is how many items upload at once; default 4.
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
	ctx      context.Context
	stop     context.CancelFunc
	group    errgroup.Group
	closeErr error
	once     sync.Once
	closed   chan struct{}

	jmu sync.Mutex // orders journal inserts of new items against workers' writes

	mu           sync.Mutex
	items        map[ItemID]*item
	order        []*item
	queue        []*item
	active       map[ItemID]*item
	byKey        map[string]*item // unfinished items by source and options, to merge re-adds
	content      map[string]*item // folder+MD5 → the item uploading it now
	counts       map[State]int
	subs         map[*Subscription]struct{}
	changed      chan struct{}
	journalWake  chan struct{}
	ops          []func(context.Context) // journal writes decided under mu, applied in order
	paused       bool
	halted       error
	holdUntil    time.Time
	clockWarned  bool
	batchBytes   int64 // BytesDone at the last tick
	batchTotal   int64
	batchSpeed   float64
	lastTick     time.Time
	lastBatchSum int64
}

// item is one queued upload. Fields below mu are guarded by Engine.mu.
type item struct {
	id   ItemID
	sent atomic.Int64 // bytes the server has or is being sent

	entry       Entry
	opts        Options
	state       State
	words       string
	err         error
	attempt     int
	retryAt     time.Time
	asset       *cloud.Asset
	resumed     bool
	journaled   bool
	removed     bool
	interrupted bool
	key         string
	ctx         context.Context
	cancel      context.CancelCauseFunc
	finished    chan struct{} // closed when a run of this item ends
	speed       float64
	lastBytes   int64
	lastSample  time.Time
	reported    int64
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
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Concurrency > 64 {
		return nil, fmt.Errorf("concurrency %d is too high: use 1 to 64 (4 is usually best)", cfg.Concurrency)
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
	e.client.Store(cfg.Client)
	e.ctx, e.stop = context.WithCancel(context.Background())
	if err := e.journal.heartbeat(e.ctx, e.owner); err != nil {
		e.stop()
		return nil, fmt.Errorf("the upload journal %s cannot be written: %w", e.journal.Path(), err)
	}
	for range cfg.Concurrency {
		e.group.Go(e.worker)
	}
	e.group.Go(e.ticker)
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
			if it.entry.Spool && it.state == Done {
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
func itemKey(path, url string, o Options) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%v\x00%v", path, url, o.Folder, o.PublicIDTemplate, o.Force, o.Overwrite)
}

// Add queues items and returns their ids at once; no disk or network work
// happens here. Adding a file already waiting or running (same path and
// options) returns the existing id.
func (e *Engine) Add(items ...Item) []ItemID {
	ids := make([]ItemID, len(items))
	e.mu.Lock()
	defer e.mu.Unlock()
	var added []ItemStatus
	for i, in := range items {
		opts := e.cfg.Options
		if in.Options != nil {
			opts = *in.Options
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
		it := &item{id: newItemID(), opts: opts, key: key, state: Queued, words: "queued"}
		it.entry = Entry{ID: it.id, Profile: e.cfg.Profile, Path: p, URL: in.URL, Name: displayName(in), Spool: in.Spool, Options: opts, State: Queued, Resumable: true}
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

// ResumeUnfinished re-queues this profile's items that a previous run left
// unfinished (interrupted, or failed for a reason that may pass) and that no
// running engine owns. Files already done are in the history and are not
// touched; a chunked upload continues from its first unacknowledged chunk.
func (e *Engine) ResumeUnfinished(ctx context.Context) ([]ItemID, error) {
	return e.ResumeUnfinishedWhere(ctx, nil)
}

// ResumeUnfinishedWhere is ResumeUnfinished for the entries keep accepts
// (nil: all); the others stay in the journal for whoever resumes them. A
// watched folder takes back only its own files this way.
func (e *Engine) ResumeUnfinishedWhere(ctx context.Context, keep func(Entry) bool) ([]ItemID, error) {
	entries, err := e.journal.claim(ctx, e.owner, e.cfg.Profile, keep)
	if err != nil {
		return nil, fmt.Errorf("reading unfinished uploads from the journal: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []ItemID
	var added []ItemStatus
	for _, ent := range entries {
		if _, ok := e.items[ent.ID]; ok {
			continue
		}
		key := itemKey(ent.Path, ent.URL, ent.Options)
		if prev := e.byKey[key]; prev != nil && !prev.state.Final() {
			continue
		}
		ent.State, ent.Error, ent.Resumable = Queued, "", true
		it := &item{id: ent.ID, entry: ent, opts: ent.Options, key: key, state: Queued, words: "queued (resumed)", resumed: true, journaled: true}
		it.sent.Store(ent.Acked)
		e.items[it.id] = it
		e.order = append(e.order, it)
		e.queue = append(e.queue, it)
		e.byKey[key] = it
		e.counts[Queued]++
		ids = append(ids, it.id)
		added = append(added, e.statusLocked(it))
	}
	if len(added) > 0 {
		e.publishLocked(Event{Kind: ItemsAdded, Items: added})
		e.signalLocked()
	}
	return ids, nil
}

// Pause stops starting items and stops the ones running; they go back to the
// front of the queue (a chunked upload keeps its acknowledged chunks).
func (e *Engine) Pause() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.paused {
		return
	}
	e.paused = true
	for _, it := range e.active {
		if it.cancel != nil {
			it.cancel(causePaused)
		}
	}
	e.publishLocked(Event{Kind: BatchChanged})
	e.signalLocked()
}

// Resume lifts a Pause.
func (e *Engine) Resume() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.paused {
		return
	}
	e.paused = false
	e.publishLocked(Event{Kind: BatchChanged})
	e.signalLocked()
}

// Cancel stops an item that is queued or running. It stays in the list as
// canceled; Retry brings it back.
func (e *Engine) Cancel(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	switch {
	case it.state == Queued:
		e.dequeueLocked(it)
		e.setStateLocked(it, Canceled, "canceled", nil)
		it.entry.State = Canceled
		e.journalStateLocked(it.id, Canceled, "", false)
	case !it.state.Final() && it.cancel != nil:
		it.cancel(causeCanceled)
	}
	return nil
}

// Retry re-queues a failed or canceled item (and lifts a halt).
func (e *Engine) Retry(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	if it.state != Failed && it.state != Canceled {
		return fmt.Errorf("%s is %s; only failed or canceled uploads can be retried", it.entry.Name, it.state)
	}
	e.halted = nil
	e.requeueLocked(it)
	return nil
}

// RetryFailed re-queues every failed item and returns how many.
func (e *Engine) RetryFailed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.halted = nil
	n := 0
	for _, it := range e.order {
		if it.state == Failed {
			e.requeueLocked(it)
			n++
		}
	}
	return n
}

func (e *Engine) requeueLocked(it *item) {
	it.err, it.attempt, it.retryAt = nil, 0, time.Time{}
	if prev := e.byKey[it.key]; prev != nil && prev != it && !prev.state.Final() {
		return // the same file is already queued again
	}
	e.byKey[it.key] = it
	e.queue = append(e.queue, it)
	e.setStateLocked(it, Queued, "queued", nil)
	it.entry.State, it.entry.Error, it.entry.Resumable = Queued, "", true
	e.journalStateLocked(it.id, Queued, "", true)
}

// Remove takes an item out of the list, stopping it if it runs. Its journal
// row goes too (the history keeps finished uploads).
func (e *Engine) Remove(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	e.removeLocked([]*item{it})
	return nil
}

// ClearFinished removes done, skipped and canceled items from the list.
// Failed items stay until retried or removed.
func (e *Engine) ClearFinished() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	var gone []*item
	for _, it := range e.order {
		if it.state == Done || it.state == Skipped || it.state == Canceled {
			gone = append(gone, it)
		}
	}
	e.removeLocked(gone)
	return len(gone)
}

func (e *Engine) removeLocked(gone []*item) {
	if len(gone) == 0 {
		return
	}
	drop := map[ItemID]bool{}
	var ids []ItemID
	var spools []string
	for _, it := range gone {
		drop[it.id] = true
		ids = append(ids, it.id)
		it.removed = true
		if it.state == Queued {
			e.dequeueLocked(it)
		}
		if !it.state.Final() && it.cancel != nil {
			it.cancel(causeRemoved)
		}
		e.counts[it.state]--
		delete(e.items, it.id)
		delete(e.active, it.id)
		if e.byKey[it.key] == it {
			delete(e.byKey, it.key)
		}
		if it.entry.Spool && it.state == Done {
			spools = append(spools, it.entry.Path)
		}
	}
	kept := e.order[:0]
	for _, it := range e.order {
		if !drop[it.id] {
			kept = append(kept, it)
		}
	}
	for i := len(kept); i < len(e.order); i++ {
		e.order[i] = nil
	}
	e.order = kept
	e.publishLocked(Event{Kind: ItemsRemoved, Removed: ids})
	e.signalLocked()
	e.enqueueLocked(func(ctx context.Context) {
		e.journal.remove(ctx, ids)
		for _, p := range spools {
			os.Remove(p)
		}
	})
}

func (e *Engine) dequeueLocked(it *item) {
	for i, q := range e.queue {
		if q == it {
			e.queue = append(e.queue[:i], e.queue[i+1:]...)
			return
		}
	}
}

// journalStateLocked queues a state change for the journal.
func (e *Engine) journalStateLocked(id ItemID, s State, msg string, resumable bool) {
	e.enqueueLocked(func(ctx context.Context) { e.journal.setState(ctx, e.owner, id, s, msg, resumable) })
}

// enqueueLocked queues a journal write; the journaler applies writes in the
// order they were decided, before any later write of a worker.
func (e *Engine) enqueueLocked(op func(context.Context)) {
	e.ops = append(e.ops, op)
	e.wakeJournaler()
}

// Wait blocks until nothing is queued or running (everything done, skipped,
// failed or canceled), or ctx ends. A paused batch with items left waits.
func (e *Engine) Wait(ctx context.Context) error {
	for {
		e.mu.Lock()
		idle := len(e.queue) == 0 && len(e.active) == 0
		ch := e.changed
		e.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.closed:
			return errors.New("the upload engine was closed")
		case <-ch:
		}
	}
}

// Snapshot is every item's current state, in the order added, and the
// batch totals: what a view that (re)attaches draws first.
type Snapshot struct {
	Items []ItemStatus
	Batch BatchStatus
}

// Snapshot returns the current state of everything.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Snapshot{Items: make([]ItemStatus, 0, len(e.order)), Batch: e.batchLocked()}
	for _, it := range e.order {
		s.Items = append(s.Items, e.statusLocked(it))
	}
	return s
}

// Batch is the batch totals alone: what Snapshot carries without copying
// every item (a view polling counts on the UI goroutine wants only this).
func (e *Engine) Batch() BatchStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.batchLocked()
}

// Item returns one item's status.
func (e *Engine) Item(id ItemID) (ItemStatus, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return ItemStatus{}, false
	}
	return e.statusLocked(it), true
}

func (e *Engine) statusLocked(it *item) ItemStatus {
	st := ItemStatus{
		ID: it.id, Name: it.entry.Name, Path: it.entry.Path, URL: it.entry.URL, State: it.state, Words: it.words,
		BytesDone: it.sent.Load(), BytesTotal: it.entry.Size, Speed: it.speed, Attempt: it.attempt, RetryAt: it.retryAt,
		Err: it.err, Asset: it.asset, PublicID: it.entry.PublicID, MD5: it.entry.MD5,
		ResourceType: it.entry.ResourceType, Format: it.entry.Format, Resumed: it.resumed,
	}
	if it.state == Done {
		st.BytesDone = st.BytesTotal
	}
	if it.speed > 1 && st.BytesTotal > st.BytesDone && (it.state == Uploading || it.state == Retrying) {
		st.ETA = time.Duration(float64(st.BytesTotal-st.BytesDone) / it.speed * float64(time.Second))
	}
	return st
}

func (e *Engine) batchLocked() BatchStatus {
	b := BatchStatus{
		Total: len(e.order), Queued: e.counts[Queued], Done: e.counts[Done], Skipped: e.counts[Skipped],
		Failed: e.counts[Failed], Canceled: e.counts[Canceled], Paused: e.paused, Halted: e.halted,
		BytesDone: e.batchBytes, BytesTotal: e.batchTotal, Speed: e.batchSpeed,
	}
	b.Active = e.counts[Checking] + e.counts[Uploading] + e.counts[Retrying]
	if b.Speed > 1 && b.BytesTotal > b.BytesDone {
		b.ETA = time.Duration(float64(b.BytesTotal-b.BytesDone) / b.Speed * float64(time.Second))
	}
	return b
}

// setStateLocked moves an item and tells the subscribers.
func (e *Engine) setStateLocked(it *item, s State, words string, err error) {
	if it.removed {
		return
	}
	if it.state != s {
		e.counts[it.state]--
		e.counts[s]++
	}
	switch s {
	case Checking, Uploading, Retrying:
		e.active[it.id] = it
	default:
		delete(e.active, it.id)
	}
	it.state, it.words, it.err = s, words, err
	e.publishLocked(Event{Kind: ItemChanged, Items: []ItemStatus{e.statusLocked(it)}})
	e.signalLocked()
}

func (e *Engine) setState(it *item, s State, words string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.setStateLocked(it, s, words, err)
}

func (e *Engine) publishLocked(ev Event) {
	ev.Batch = e.batchLocked()
	for s := range e.subs {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			delete(e.subs, s)
			continue
		}
		s.push(ev)
	}
}

// signalLocked wakes everything waiting for a change (workers, Wait).
func (e *Engine) signalLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *Engine) warnLocked(msg string) {
	e.publishLocked(Event{Kind: Warning, Message: msg})
}

// worker takes queued items until the engine closes.
func (e *Engine) worker() error {
	for {
		it := e.next()
		if it == nil {
			return nil
		}
		e.process(it)
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
			it.ctx, it.cancel = context.WithCancelCause(e.ctx)
			it.finished = make(chan struct{})
			it.interrupted = false
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
		err = e.run(it.ctx, it)
	}
	cause := context.Cause(it.ctx)
	if it.ctx.Err() == nil {
		cause = nil
	}
	it.cancel(nil)
	e.settle(it, err, cause)
}

// ensureJournaled applies every pending journal write (so this item's row
// exists and no older queued write can land after the worker's own).
func (e *Engine) ensureJournaled(it *item) error {
	e.flushJournal(context.WithoutCancel(it.ctx))
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
	defer close(it.finished)
	if owner := e.content[contentKey(it)]; owner == it {
		delete(e.content, contentKey(it))
	}
	switch {
	case err == nil:
		// run already recorded Done or Skipped.
	case errors.Is(cause, causeRemoved) || it.removed:
	case errors.Is(cause, causePaused):
		it.sent.Store(it.entry.Acked)
		e.queue = append([]*item{it}, e.queue...)
		e.setStateLocked(it, Queued, "paused", nil)
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
		if e.halted != nil && errors.Is(cause, ErrHalted) {
			err = e.halted
		}
		e.failLocked(it, err)
	}
}

// failLocked records a final failure in memory, the journal and the history.
func (e *Engine) failLocked(it *item, err error) {
	words := "failed: " + err.Error()
	e.setStateLocked(it, Failed, words, err)
	it.entry.State, it.entry.Error, it.entry.Resumable = Failed, err.Error(), resumable(err)
	ent := it.entry
	h := e.historyFor(it, Failed)
	h.Error = err.Error()
	e.enqueueLocked(func(ctx context.Context) { e.journal.finish(ctx, e.owner, &ent, h) })
}

func (e *Engine) historyFor(it *item, outcome State) HistoryEntry {
	h := HistoryEntry{
		ItemID: it.id, Profile: e.cfg.Profile, Folder: effectiveFolder(it.opts), Path: it.entry.Path, URL: it.entry.URL,
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
func effectiveFolder(o Options) string {
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
		if it.cancel != nil {
			it.cancel(fmt.Errorf("%w: %w", ErrHalted, err))
		}
	}
	e.warnLocked("stopped the batch: " + err.Error())
	e.publishLocked(Event{Kind: BatchChanged})
}

// ticker sends progress at a steady pace and keeps the speeds.
func (e *Engine) ticker() error {
	t := time.NewTicker(e.cfg.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return nil
		case now := <-t.C:
			e.tick(now)
		}
	}
}

// smoothing is the speed average's time constant.
const smoothing = 2 * time.Second

func ewma(prev, sample float64, dt time.Duration) float64 {
	if prev == 0 {
		return sample
	}
	a := 1 - math.Exp(-float64(dt)/float64(smoothing))
	return prev + a*(sample-prev)
}

func (e *Engine) tick(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, it := range e.active {
		b := it.sent.Load()
		if !it.lastSample.IsZero() {
			dt := now.Sub(it.lastSample)
			if dt > 0 && b >= it.lastBytes {
				it.speed = ewma(it.speed, float64(b-it.lastBytes)/dt.Seconds(), dt)
			}
		}
		it.lastBytes, it.lastSample = b, now
		if b != it.reported {
			it.reported = b
			e.publishLocked(Event{Kind: ItemProgress, Items: []ItemStatus{e.statusLocked(it)}})
		}
	}
	var done, total int64
	for _, it := range e.order {
		switch it.state {
		case Done:
			done += it.entry.Size
			total += it.entry.Size
		case Queued, Checking, Uploading, Retrying:
			done += it.sent.Load()
			total += it.entry.Size
		}
	}
	changed := done != e.batchBytes || total != e.batchTotal
	if !e.lastTick.IsZero() {
		dt := now.Sub(e.lastTick)
		if dt > 0 && done >= e.lastBatchSum {
			e.batchSpeed = ewma(e.batchSpeed, float64(done-e.lastBatchSum)/dt.Seconds(), dt)
		}
	}
	if len(e.active) == 0 {
		e.batchSpeed = 0
	}
	e.lastTick, e.lastBatchSum = now, done
	e.batchBytes, e.batchTotal = done, total
	if changed {
		e.publishLocked(Event{Kind: BatchChanged})
	}
}

// journaler writes newly added items to the journal in batches, so Add
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
			if !it.journaled && !it.removed {
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
			e.warnLocked("the upload journal cannot be written (" + err.Error() + "): these uploads will not be resumable after a crash")
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
		for _, op := range ops {
			op(ctx)
		}
	}
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

// ItemWords is a short description of a state for one-line renderings.
func ItemWords(st ItemStatus) string {
	if st.Words != "" {
		return st.Words
	}
	return strings.ToLower(string(st.State))
}
