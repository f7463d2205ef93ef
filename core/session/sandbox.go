package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/sandbox"
)

// ErrSandboxClosed is returned by Sandbox.Credentials after Close.
var ErrSandboxClosed = errors.New("the embedded sandbox has been stopped")

// Sandbox is the in-process sandbox the app uses for the Sandbox profile:
// a local Cloudinary-compatible server on 127.0.0.1, started the first time
// its credentials are asked for, seeded with the sample photos, and stopped
// by Close. Uploads to it stay on this computer. It is safe for concurrent
// use.
type Sandbox struct {
	dir string

	mu     sync.Mutex
	srv    *sandbox.Server
	closed bool
}

// SandboxDir is where the embedded sandbox keeps its account:
// paths.DataDir()/sandbox (CLOUDUP_DATA_DIR overrides the data dir).
func SandboxDir() (string, error) {
	data, err := paths.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(data, "sandbox"), nil
}

// NewSandbox returns a sandbox kept in dir. Nothing starts yet.
func NewSandbox(dir string) *Sandbox { return &Sandbox{dir: dir} }

// Credentials starts the sandbox when it is not running yet and returns
// the credentials of profile p pointed at it: cloud, key, secret and API
// base from the sandbox, folder, tags and the other defaults from p. The
// first call seeds the sample photos into an empty account, which takes a
// moment; run it off the UI goroutine.
func (s *Sandbox) Credentials(ctx context.Context, p account.Profile) (account.Credentials, error) {
	srv, err := s.start(ctx)
	if err != nil {
		return account.Credentials{Profile: p, Source: account.SourceSandbox}, err
	}
	return account.SandboxCredentials(p, srv.CloudinaryURL())
}

// Running reports whether the server is up.
func (s *Sandbox) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// URL is the running server's base URL ("" when it is not running).
func (s *Sandbox) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return ""
	}
	return s.srv.URL()
}

func (s *Sandbox) start(ctx context.Context) (*sandbox.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSandboxClosed
	}
	if s.srv != nil {
		return s.srv, nil
	}
	// The server outlives the request that started it: it runs until Close,
	// so it gets its own context rather than ctx.
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Addr: "127.0.0.1:0", Dir: s.dir})
	if err != nil {
		return nil, fmt.Errorf("cannot start the embedded sandbox in %s: %w", s.dir, err)
	}
	if err := srv.SeedSamples(ctx); err != nil {
		srv.Close()
		return nil, fmt.Errorf("cannot put the sample photos into the embedded sandbox: %w", err)
	}
	s.srv = srv
	return srv, nil
}

// Close stops the server, if it runs, and waits for it. Credentials fails
// afterwards.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	s.srv = nil
	return err
}
