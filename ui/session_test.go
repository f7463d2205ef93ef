package ui

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/session"
)

// trackedSession is a real session that remembers whether it was closed.
type trackedSession struct {
	*session.Session
	closed atomic.Bool
}

func (s *trackedSession) Close() error {
	s.closed.Store(true)
	return s.Session.Close()
}

func (s *trackedSession) isClosed() bool { return s.closed.Load() }

// openedSessions is an Opener that opens real sessions (journal in dir), as
// cmd/cloudup does, and remembers them.
type openedSessions struct {
	dir string
	mu  sync.Mutex
	all []*trackedSession
}

func (o *openedSessions) open(ctx context.Context, c account.Credentials) (Session, error) {
	s, err := session.Open(ctx, c, session.Options{DataDir: o.dir})
	if err != nil {
		return nil, err
	}
	ts := &trackedSession{Session: s}
	o.mu.Lock()
	o.all = append(o.all, ts)
	o.mu.Unlock()
	return ts, nil
}

func (o *openedSessions) openCount(t *testing.T) int {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.all {
		if !s.isClosed() {
			n++
		}
	}
	return n
}
