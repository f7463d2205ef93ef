package queue

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/transfer"
)

// FakeEngine is an in-memory Engine for view tests. It records what the
// view asks of it and emits the events a real engine would; a test moves
// items along with Set. Events go out on a buffered channel per
// subscription, and Emitted counts them so a test can wait until a view has
// taken them all.
type FakeEngine struct {
	mu      sync.Mutex
	items   []transfer.ItemStatus
	paused  bool
	speed   float64
	eta     time.Duration
	subs    []*fakeSub
	next    int
	emitted int
	calls   []string
	added   []transfer.Item
	// Unfinished is how many items ResumeUnfinished brings back.
	Unfinished int

	// What the batch says of uploads at once (SetConcurrency).
	concurrency int
	refused     bool
}

// NewFakeEngine returns an empty fake.
func NewFakeEngine() *FakeEngine { return &FakeEngine{} }

type fakeSub struct {
	c    chan transfer.Event
	once sync.Once
	eng  *FakeEngine
}

func (s *fakeSub) Events() <-chan transfer.Event { return s.c }
func (s *fakeSub) Close() {
	s.once.Do(func() {
		s.eng.mu.Lock()
		s.eng.subs = slices.DeleteFunc(s.eng.subs, func(x *fakeSub) bool { return x == s })
		s.eng.mu.Unlock()
	})
}

// Subscribe returns a subscription with room for 65,536 undelivered events.
func (f *FakeEngine) Subscribe() Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &fakeSub{c: make(chan transfer.Event, 1<<16), eng: f}
	f.subs = append(f.subs, s)
	return s
}

// Emitted is how many events all subscriptions were sent.
func (f *FakeEngine) Emitted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.emitted
}

// Calls lists the view's requests in order: "cancel item-1", "pause", …
func (f *FakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// emit sends ev with the current totals; f.mu is held.
func (f *FakeEngine) emit(ev transfer.Event) {
	ev.Batch = f.batch()
	for _, s := range f.subs {
		s.c <- ev
		f.emitted++
	}
}

func (f *FakeEngine) batch() transfer.BatchStatus {
	b := transfer.BatchStatus{Total: len(f.items), Paused: f.paused, Speed: f.speed, ETA: f.eta,
		Concurrency: f.concurrency, ConcurrencyAuto: true, ConcurrencyRefused: f.refused}
	for _, it := range f.items {
		switch it.State {
		case transfer.Queued:
			b.Queued++
		case transfer.Checking, transfer.Uploading, transfer.Retrying:
			b.Active++
		case transfer.Done:
			b.Done++
		case transfer.Skipped:
			b.Skipped++
		case transfer.Failed:
			b.Failed++
		case transfer.Canceled:
			b.Canceled++
		}
		b.BytesDone += it.BytesDone
		b.BytesTotal += it.BytesTotal
	}
	return b
}

// Add queues items as "queued", with their file size when the file exists.
func (f *FakeEngine) Add(items ...transfer.Item) []transfer.ItemID {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]transfer.ItemID, len(items))
	added := make([]transfer.ItemStatus, len(items))
	for i, it := range items {
		f.next++
		st := transfer.ItemStatus{ID: transfer.ItemID(fmt.Sprintf("item-%d", f.next)), Path: it.Path, URL: it.URL,
			Name: it.Name, State: transfer.Queued, Words: "queued"}
		if st.Name == "" {
			if it.Path != "" {
				st.Name = filepath.Base(it.Path)
			} else {
				st.Name = path.Base(it.URL)
			}
		}
		if it.Path != "" {
			if info, err := os.Stat(it.Path); err == nil {
				st.BytesTotal = info.Size()
			}
		}
		f.items = append(f.items, st)
		ids[i], added[i] = st.ID, st
	}
	f.added = append(f.added, items...)
	f.calls = append(f.calls, fmt.Sprintf("add %d", len(items)))
	f.emit(transfer.Event{Kind: transfer.ItemsAdded, Items: added})
	return ids
}

// Added returns the items as the view handed them to Add, options
// included.
func (f *FakeEngine) Added() []transfer.Item {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.added)
}

// Items returns what was added, in order.
func (f *FakeEngine) Items() []transfer.ItemStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.items)
}

func (f *FakeEngine) find(id transfer.ItemID) int {
	return slices.IndexFunc(f.items, func(st transfer.ItemStatus) bool { return st.ID == id })
}

// Set replaces an item's status (matched by ID) and emits ItemChanged.
func (f *FakeEngine) Set(st transfer.ItemStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(st.ID)
	if i < 0 {
		return
	}
	if st.Name == "" {
		st.Name = f.items[i].Name
	}
	if st.Path == "" && st.URL == "" {
		st.Path, st.URL = f.items[i].Path, f.items[i].URL
	}
	if st.BytesTotal == 0 {
		st.BytesTotal = f.items[i].BytesTotal
	}
	f.items[i] = st
	kind := transfer.ItemChanged
	if st.State == transfer.Uploading {
		kind = transfer.ItemProgress
	}
	f.emit(transfer.Event{Kind: kind, Items: []transfer.ItemStatus{st}})
}

// SetRate sets the batch speed and time left the next events carry.
func (f *FakeEngine) SetRate(speed float64, eta time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.speed, f.eta = speed, eta
	f.emit(transfer.Event{Kind: transfer.BatchChanged})
}

// SetConcurrency sets how many uploads the batch allows at once, and
// whether Cloudinary's refusals hold that number down.
func (f *FakeEngine) SetConcurrency(n int, refused bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.concurrency, f.refused = n, refused
	f.emit(transfer.Event{Kind: transfer.BatchChanged})
}

func (f *FakeEngine) change(id transfer.ItemID, call string, to transfer.State, words string, allowed func(transfer.State) bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+" "+string(id))
	i := f.find(id)
	if i < 0 {
		return fmt.Errorf("no item %s", id)
	}
	if !allowed(f.items[i].State) {
		return fmt.Errorf("%s is %s", id, f.items[i].State)
	}
	f.items[i].State, f.items[i].Words, f.items[i].Err = to, words, nil
	f.emit(transfer.Event{Kind: transfer.ItemChanged, Items: []transfer.ItemStatus{f.items[i]}})
	return nil
}

// Cancel marks a queued or running item canceled.
func (f *FakeEngine) Cancel(id transfer.ItemID) error {
	return f.change(id, "cancel", transfer.Canceled, "canceled", func(s transfer.State) bool { return !s.Final() })
}

// Retry queues a failed or canceled item again.
func (f *FakeEngine) Retry(id transfer.ItemID) error {
	return f.change(id, "retry", transfer.Queued, "queued", func(s transfer.State) bool { return s == transfer.Failed || s == transfer.Canceled })
}

// Remove takes an item out.
func (f *FakeEngine) Remove(id transfer.ItemID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "remove "+string(id))
	i := f.find(id)
	if i < 0 {
		return fmt.Errorf("no item %s", id)
	}
	f.items = slices.Delete(f.items, i, i+1)
	f.emit(transfer.Event{Kind: transfer.ItemsRemoved, Removed: []transfer.ItemID{id}})
	return nil
}

// Pause and Resume flip the batch's paused flag.
func (f *FakeEngine) Pause() { f.setPaused(true, "pause") }

// Resume lifts Pause.
func (f *FakeEngine) Resume() { f.setPaused(false, "resume") }

func (f *FakeEngine) setPaused(on bool, call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	f.paused = on
	f.emit(transfer.Event{Kind: transfer.BatchChanged})
}

// ClearFinished removes done, skipped and canceled items.
func (f *FakeEngine) ClearFinished() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "clear finished")
	var removed []transfer.ItemID
	f.items = slices.DeleteFunc(f.items, func(st transfer.ItemStatus) bool {
		gone := st.State == transfer.Done || st.State == transfer.Skipped || st.State == transfer.Canceled
		if gone {
			removed = append(removed, st.ID)
		}
		return gone
	})
	if len(removed) > 0 {
		f.emit(transfer.Event{Kind: transfer.ItemsRemoved, Removed: removed})
	}
	return len(removed)
}

// RetryFailed queues every failed item again.
func (f *FakeEngine) RetryFailed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "retry failed")
	n := 0
	for i := range f.items {
		if f.items[i].State == transfer.Failed {
			f.items[i].State, f.items[i].Words, f.items[i].Err = transfer.Queued, "queued", nil
			f.emit(transfer.Event{Kind: transfer.ItemChanged, Items: []transfer.ItemStatus{f.items[i]}})
			n++
		}
	}
	return n
}

// ResumeUnfinished adds Unfinished items named "resumed-N.jpg".
func (f *FakeEngine) ResumeUnfinished(ctx context.Context) ([]transfer.ItemID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items := make([]transfer.Item, f.Unfinished)
	for i := range items {
		items[i] = transfer.Item{Path: fmt.Sprintf("/resumed/resumed-%d.jpg", i+1)}
	}
	f.mu.Lock()
	f.calls = append(f.calls, "resume unfinished")
	f.mu.Unlock()
	return f.Add(items...), nil
}

// Snapshot returns every item and the totals.
func (f *FakeEngine) Snapshot() transfer.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return transfer.Snapshot{Items: slices.Clone(f.items), Batch: f.batch()}
}

// Item returns one item's whole status.
func (f *FakeEngine) Item(id transfer.ItemID) (transfer.ItemStatus, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := f.find(id); i >= 0 {
		return f.items[i], true
	}
	return transfer.ItemStatus{}, false
}
