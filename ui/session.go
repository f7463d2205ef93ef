package ui

import (
	"context"
	"reflect"
	"sync"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/core/transfer"
)

// Session is one open account: the Cloudinary client and the upload engine
// built from resolved credentials. *session.Session is one (cmd/cloudup
// adapts session.Open to an Opener).
type Session interface {
	Profile() account.Profile
	Client() *cloud.Client
	Engine() *transfer.Engine
	Close() error
}

// Opener opens a session for credentials that carry their secret (or need
// none). It runs off the UI goroutine.
type Opener func(ctx context.Context, creds account.Credentials) (Session, error)

// Sandbox supplies the Sandbox profile's credentials from the embedded
// sandbox, starting it on first use; *session.Sandbox is one.
type Sandbox interface {
	Credentials(ctx context.Context, p account.Profile) (account.Credentials, error)
}

// linkSigner is implemented by sessions that sign delivery links, with the
// secret or through a team service (*session.Session is one).
type linkSigner interface {
	SignedURL(ctx context.Context, ref effects.Ref, transformation string) (string, error)
}

// teamSession is implemented by sessions that may work through a team
// signing service (*session.Session is one); Team is nil for the others.
type teamSession interface {
	Team() *teamsign.Client
}

// unfinishedLister is implemented by sessions that can name the uploads a
// previous run left unfinished for their profile (*session.Session is one).
type unfinishedLister interface {
	UnfinishedNames(ctx context.Context) ([]string, error)
}

// openSessions tracks every session the window opened and has not closed
// yet, so none is leaked when the window closes while a profile switch is
// still opening one. A session is shared: the window and the watched
// folders (background.go) each hold a reference to the one session of a
// profile, and it closes when the last is given back, so uploads of a
// watched folder show in the queue when its profile is the one in view.
type openSessions struct {
	mu      sync.Mutex
	open    map[Session]int // references
	opening sync.Map        // profile name → *sync.Mutex held while one opens
	// opened and closed, when set, hear a session's first reference and
	// its close (off the UI goroutine).
	opened, closed func(Session)
}

func (o *openSessions) add(s Session) {
	o.mu.Lock()
	if o.open == nil {
		o.open = map[Session]int{}
	}
	o.open[s]++
	first := o.open[s] == 1
	opened := o.opened
	o.mu.Unlock()
	if first && opened != nil {
		opened(s)
	}
}

// share takes another reference to an open session of profile p (as
// normalized), or returns nil when there is none.
func (o *openSessions) share(p account.Profile) Session {
	o.mu.Lock()
	defer o.mu.Unlock()
	for s, n := range o.open {
		if n > 0 && reflect.DeepEqual(s.Profile(), p) {
			o.open[s]++
			return s
		}
	}
	return nil
}

// acquire shares the open session of profile p, or opens one with open:
// one at a time per profile, so the window and a watched folder asking at
// once end up with one session, not two.
func (o *openSessions) acquire(p account.Profile, open func() (Session, error)) (Session, error) {
	l, _ := o.opening.LoadOrStore(p.Name, &sync.Mutex{})
	l.(*sync.Mutex).Lock()
	defer l.(*sync.Mutex).Unlock()
	if s := o.share(p); s != nil {
		return s, nil
	}
	s, err := open()
	if err != nil {
		return nil, err
	}
	o.add(s)
	return s, nil
}

// all lists the open sessions.
func (o *openSessions) all() []Session {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Session, 0, len(o.open))
	for s := range o.open {
		out = append(out, s)
	}
	return out
}

// close gives back a reference to s and closes it when it was the last.
func (o *openSessions) close(s Session) error {
	o.mu.Lock()
	n, open := o.open[s]
	if open && n > 1 {
		o.open[s] = n - 1
		o.mu.Unlock()
		return nil
	}
	delete(o.open, s)
	closed := o.closed
	o.mu.Unlock()
	if !open {
		return nil
	}
	err := s.Close()
	if closed != nil {
		closed(s)
	}
	return err
}

func (o *openSessions) closeAll() {
	o.mu.Lock()
	all := o.open
	o.open = nil
	closed := o.closed
	o.mu.Unlock()
	var wg sync.WaitGroup
	for s := range all {
		wg.Go(func() {
			s.Close()
			if closed != nil {
				closed(s)
			}
		})
	}
	wg.Wait()
}
