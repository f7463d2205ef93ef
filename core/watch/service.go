package watch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/transfer"
)

// Engines gives the Service the upload engine of a profile: the window
// shares the session it shows, or opens one in the background.
type Engines interface {
	Acquire(ctx context.Context, profile string) (Lease, error)
}

// Lease is a profile's engine lent to the Service until Release.
type Lease struct {
	Engine *transfer.Engine
	// Defaults are the profile's upload options (session.UploadOptions).
	Defaults transfer.Options
	Release  func()
}

// Blocked is the Phase of a folder whose profile cannot upload now (no
// secret, keychain locked): Status.Err says why. It is tried again.
const Blocked Phase = "blocked"

// Service runs a feed for every enabled watched folder. Apply is given the
// folders whenever they change; statuses go to onChange.
type Service struct {
	state    *State
	engines  Engines
	onChange func()
	retry    time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	loop   sync.WaitGroup

	apply   sync.Mutex // one Apply at a time
	mu      sync.Mutex
	folders []Folder
	running map[string]*running
	blocked map[string]Status
}

type running struct {
	folder Folder
	feed   *Feed
	lease  Lease
}

// NewService starts a service with nothing watched; onChange (any
// goroutine) hears that a folder's status changed.
func NewService(state *State, engines Engines, onChange func()) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{state: state, engines: engines, onChange: onChange, retry: 30 * time.Second,
		ctx: ctx, cancel: cancel, running: map[string]*running{}, blocked: map[string]Status{}}
	if s.onChange == nil {
		s.onChange = func() {}
	}
	s.loop.Add(1)
	go s.retryBlocked()
	return s
}

// Apply starts the enabled folders not running yet, restarts those whose
// setup changed and stops the others. It waits for profiles' engines to
// open: call it off the UI goroutine.
func (s *Service) Apply(ctx context.Context, folders []Folder) {
	s.apply.Lock()
	defer s.apply.Unlock()
	s.mu.Lock()
	s.folders = append([]Folder(nil), folders...)
	want := map[string]Folder{}
	for _, f := range folders {
		if f.Enabled {
			want[f.ID] = f
		}
	}
	var stop []*running
	for id, r := range s.running {
		if f, ok := want[id]; !ok || !f.same(r.folder) {
			stop = append(stop, r)
			delete(s.running, id)
		}
	}
	for id := range s.blocked {
		if _, ok := want[id]; !ok {
			delete(s.blocked, id)
		}
	}
	var start []Folder
	for _, f := range folders {
		if _, ok := s.running[f.ID]; f.Enabled && !ok {
			start = append(start, f)
		}
	}
	s.mu.Unlock()
	for _, r := range stop {
		r.close()
	}
	for _, f := range start {
		s.start(ctx, f)
	}
	s.onChange()
}

func (r *running) close() {
	r.feed.Close()
	r.lease.Release()
}

func (s *Service) start(ctx context.Context, f Folder) {
	if ctx.Err() != nil || s.ctx.Err() != nil {
		return
	}
	lease, err := s.engines.Acquire(ctx, f.Profile)
	if err != nil {
		s.block(f, fmt.Errorf("cannot upload to profile %s: %w", f.Profile, err))
		return
	}
	cfg := f.Config()
	id := f.ID
	cfg.OnStatus = func(Status) { s.onChange() }
	feed, err := StartFeed(s.ctx, FeedConfig{
		Watch: cfg, Engine: lease.Engine, State: s.state, Profile: f.Profile,
		Options: f.Options(lease.Defaults), Existing: f.Existing,
	})
	if err != nil {
		lease.Release()
		s.block(f, err)
		return
	}
	s.mu.Lock()
	delete(s.blocked, id)
	s.running[id] = &running{folder: f, feed: feed, lease: lease}
	s.mu.Unlock()
}

func (s *Service) block(f Folder, err error) {
	s.mu.Lock()
	s.blocked[f.ID] = Status{Dir: f.Dir, Phase: Blocked, Err: err}
	s.mu.Unlock()
	s.onChange()
}

// retryBlocked tries blocked folders again now and then: a keychain that
// was locked may be open now.
func (s *Service) retryBlocked() {
	defer s.loop.Done()
	t := time.NewTicker(s.retry)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		folders, n := s.folders, len(s.blocked)
		s.mu.Unlock()
		if n > 0 {
			s.Apply(s.ctx, folders)
		}
	}
}

// Status is a folder's state; false when it is not enabled.
func (s *Service) Status(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.blocked[id]; ok {
		return st, true
	}
	if r, ok := s.running[id]; ok {
		return r.feed.Status(), true
	}
	return Status{}, false
}

// Watching is how many folders are being watched now.
func (s *Service) Watching() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

// Forget drops what the state remembers of a folder that is no longer
// watched (a new setup of the same folder starts afresh).
func (s *Service) Forget(ctx context.Context, f Folder, profileDefaults transfer.Options) error {
	return s.state.Forget(ctx, Key(f.Profile, destination(f.Options(profileDefaults)), f.Dir))
}

// Close stops every feed and gives the engines back.
func (s *Service) Close() {
	s.cancel()
	s.loop.Wait()
	s.apply.Lock()
	defer s.apply.Unlock()
	s.mu.Lock()
	all := s.running
	s.running = map[string]*running{}
	s.mu.Unlock()
	for _, r := range all {
		r.close()
	}
}
