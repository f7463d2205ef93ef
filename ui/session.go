package ui

import (
	"context"
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
// still opening one.
type openSessions struct {
	mu   sync.Mutex
	open map[Session]bool
}

func (o *openSessions) add(s Session) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.open == nil {
		o.open = map[Session]bool{}
	}
	o.open[s] = true
}

// close closes s if it is still open.
func (o *openSessions) close(s Session) error {
	o.mu.Lock()
	open := o.open[s]
	delete(o.open, s)
	o.mu.Unlock()
	if !open {
		return nil
	}
	return s.Close()
}

func (o *openSessions) closeAll() {
	o.mu.Lock()
	all := o.open
	o.open = nil
	o.mu.Unlock()
	var wg sync.WaitGroup
	for s := range all {
		wg.Go(func() { s.Close() })
	}
	wg.Wait()
}
