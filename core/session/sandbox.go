package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	notice string
}

// portFile remembers the port the sandbox listens on in its folder, so links
// copied from it keep working after a restart.
const portFile = "port"

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
	srv, err := s.listen()
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

// listen starts the server on the port this folder remembers; the first
// start takes a free port and remembers it. When the remembered port is
// taken, another is used for this run only, and Notice says so.
func (s *Sandbox) listen() (*sandbox.Server, error) {
	s.notice = ""
	remembered := 0
	if b, err := os.ReadFile(filepath.Join(s.dir, portFile)); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 && n < 65536 {
			remembered = n
		}
	}
	if remembered > 0 {
		srv, err := sandbox.Start(context.Background(), sandbox.Config{Addr: "127.0.0.1:" + strconv.Itoa(remembered), Dir: s.dir})
		if err == nil {
			return srv, nil
		}
	}
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Addr: "127.0.0.1:0", Dir: s.dir})
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(srv.Addr())
	if remembered > 0 {
		s.notice = fmt.Sprintf("The sandbox's port %d is taken by another program, so it runs on %s until the next start; links copied before will open again once %d is free.", remembered, port, remembered)
		return srv, nil
	}
	if err := os.WriteFile(filepath.Join(s.dir, portFile), []byte(port+"\n"), 0o600); err != nil {
		s.notice = "The sandbox cannot remember its port (" + err.Error() + "), so links copied from it break when Cloudup restarts."
	}
	return srv, nil
}

// Notice is what the user should know about the running sandbox's address
// ("" when it runs where it always does).
func (s *Sandbox) Notice() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notice
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
