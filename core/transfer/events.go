package transfer

import (
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// EventKind says what an Event is about.
type EventKind int

const (
	// ItemsAdded: Items are new in the queue (one event per Add call, so a
	// 10,000-file drop is one event, not 10,000).
	ItemsAdded EventKind = iota
	// ItemChanged: Items[0] changed state. Always delivered.
	ItemChanged
	// ItemProgress: Items[0] moved bytes. At most one per item per
	// ProgressInterval, and a slow subscriber only ever sees the latest.
	ItemProgress
	// ItemsRemoved: Removed left the queue (Remove, ClearFinished).
	ItemsRemoved
	// BatchChanged: Batch has new totals, or the batch paused, resumed or
	// stopped.
	BatchChanged
	// Warning: Message is something a person should know that is not one
	// item's failure, e.g. the computer's clock is off.
	Warning
)

func (k EventKind) String() string {
	switch k {
	case ItemsAdded:
		return "added"
	case ItemChanged:
		return "changed"
	case ItemProgress:
		return "progress"
	case ItemsRemoved:
		return "removed"
	case BatchChanged:
		return "batch"
	case Warning:
		return "warning"
	}
	return "unknown"
}

// Event is one thing that happened, in neutral terms any view can render.
// Every event carries the batch totals as they were when it was made.
type Event struct {
	Kind    EventKind
	Items   []ItemStatus
	Removed []ItemID
	Batch   BatchStatus
	Message string
}

// ItemStatus is one item as a view shows it.
type ItemStatus struct {
	ID    ItemID
	Name  string
	Path  string
	URL   string
	State State
	// Words is the state for people: "uploading", "retrying in 4 s: …",
	// "already uploaded", "failed: … ".
	Words        string
	BytesDone    int64
	BytesTotal   int64
	Speed        float64       // bytes per second, smoothed
	ETA          time.Duration // 0 when unknown
	Attempt      int           // of the current request, 1-based
	RetryAt      time.Time     // when State is Retrying
	Err          error         // when Failed (or the last retry's cause when Retrying)
	Asset        *cloud.Asset  // when Done, or the existing asset when Skipped
	PublicID     string        // planned public_id
	MD5          string
	ResourceType string
	Format       string
	Resumed      bool // picked up from the journal
}

// BatchStatus sums the queue.
type BatchStatus struct {
	Total     int
	Queued    int
	Active    int // checking, uploading or retrying
	Done      int
	Skipped   int
	Failed    int
	Canceled  int
	BytesDone int64
	// BytesTotal counts the items whose size is known.
	BytesTotal int64
	Speed      float64
	// ETA is the time left; 0 while unknown. Estimating says it is
	// unknown because too little has been measured yet (or the engine is
	// still raising how many run at once).
	ETA        time.Duration
	Estimating bool
	// Fraction is the batch's progress, 0 to 1, for a bar: bytes the
	// server has taken; never 1 while items are unfinished or failed.
	Fraction float64
	Paused   bool
	// Halted is why the batch stopped early (a wrong secret), or nil.
	Halted error
	// Concurrency is how many uploads may run at once now;
	// ConcurrencyAuto is true when the engine chose it (nothing pinned it).
	Concurrency     int
	ConcurrencyAuto bool
	// ConcurrencyRefused is true while Concurrency is held down because
	// Cloudinary refused more uploads at once (420, 429, 503).
	ConcurrencyRefused bool
}

// Finished reports whether nothing is left to do.
func (b BatchStatus) Finished() bool { return b.Queued == 0 && b.Active == 0 }

// Subscription delivers events on C until Close, or until the engine closes
// (then C is closed after the last event).
type Subscription struct {
	C <-chan Event

	c       chan Event
	mu      sync.Mutex
	queue   []Event
	pending map[ItemID]int // index in queue of an item's undelivered progress event
	batchAt int            // index of the undelivered batch event, or -1
	wake    chan struct{}
	done    chan struct{}
	closed  bool
	wait    func() // waits for the delivery goroutine
}

func newSubscription() *Subscription {
	c := make(chan Event)
	return &Subscription{C: c, c: c, pending: map[ItemID]int{}, batchAt: -1, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// Close stops delivery and waits until the delivery goroutine has ended; C
// is closed by then. Undelivered events are dropped.
func (s *Subscription) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	if s.wait != nil {
		s.wait()
	}
}

// push queues an event, replacing an undelivered progress or batch event of
// the same kind, so a subscriber that lags gets the latest, not a backlog.
func (s *Subscription) push(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	switch ev.Kind {
	case ItemProgress:
		id := ev.Items[0].ID
		if i, ok := s.pending[id]; ok {
			s.queue[i] = ev
			return
		}
		s.pending[id] = len(s.queue)
	case BatchChanged:
		if s.batchAt >= 0 {
			s.queue[s.batchAt] = ev
			return
		}
		s.batchAt = len(s.queue)
	case ItemChanged:
		// A later progress event must come after this state change.
		delete(s.pending, ev.Items[0].ID)
	}
	s.queue = append(s.queue, ev)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) pop() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Event{}, false
	}
	ev := s.queue[0]
	s.queue[0] = Event{}
	s.queue = s.queue[1:]
	for id, i := range s.pending {
		if i == 0 {
			delete(s.pending, id)
		} else {
			s.pending[id] = i - 1
		}
	}
	if s.batchAt == 0 {
		s.batchAt = -1
	} else if s.batchAt > 0 {
		s.batchAt--
	}
	if len(s.queue) == 0 {
		s.queue = nil
	}
	return ev, true
}

// pump delivers queued events to C until the subscription is closed or
// engineDone is closed and the queue is drained.
func (s *Subscription) pump(engineDone <-chan struct{}) {
	defer close(s.c)
	draining := false
	for {
		ev, ok := s.pop()
		if !ok {
			if draining {
				return
			}
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			case <-engineDone:
				draining = true
				continue
			}
		}
		select {
		case s.c <- ev:
		case <-s.done:
			return
		}
	}
}
