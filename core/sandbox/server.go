package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cloudup/cloudup/core/imageguard"
	"github.com/cloudup/cloudup/core/paths"
	"golang.org/x/sync/semaphore"
)

// Config says how to run a sandbox. Only Dir is required.
type Config struct {
	Addr      string // listen address; default "127.0.0.1:0" (loopback, any free port)
	Dir       string // data directory (files + database); required
	Cloud     string // cloud name; default "sandbox"
	APIKey    string // default: a 15-digit key generated once per Dir and remembered
	APISecret string // default: generated once per Dir and remembered in the database

	Latency   time.Duration // delay every answer by this long (one round trip)
	Bandwidth int64         // bytes/s cap per connection, each direction; 0 = none
	Faults    string        // fault spec (see the package comment)
	Seed      int64         // makes fault injection reproducible

	// ClockSkew makes the server's clock run this far ahead (negative:
	// behind). Date headers, stale-timestamp checks and new versions
	// follow it, so clients can be tested for correcting their clock
	// offset from the Date header.
	ClockSkew time.Duration

	StrictDeliverySigning bool // require s--SIG-- on every delivery URL
	// AllowPrivateFetch lets remote uploads (file=http://…) fetch from
	// this computer and private networks, for tests whose files are served
	// on 127.0.0.1. Off, only public addresses are fetched; the sandbox's
	// own delivery URLs are always served from its store.
	AllowPrivateFetch bool
	// AllowV1Signatures also accepts signature version 1, which signs "&"
	// inside values raw, for clients older than June 2025. It is off: a v1
	// signature over "a=1&b=2" also covers a request carrying b=2 as a
	// separate parameter that nobody signed.
	AllowV1Signatures      bool
	BackgroundRemovalDelay time.Duration // when >0, e_background_removal answers 423 until this long after the first request

	Limits Limits // plan limits; zero fields take Cloudinary's free-plan values

	// MaxConnections caps the connections open at once (default 256);
	// further clients wait to be accepted. With the parameter cap it
	// bounds what a flood of unauthenticated requests can make the
	// sandbox hold.
	MaxConnections int
	// IdleTimeout is how long a request may go without a byte from or to
	// its client, while its body is read or its answer written (default
	// 1 minute). It bounds silence, not duration: a large upload over a
	// slow link takes as long as it needs. Keep-alive connections close
	// after 2 minutes without a request, and headers must arrive within
	// 20 seconds.
	IdleTimeout time.Duration

	// Logf, when set, receives one line per request (never a secret).
	Logf func(format string, args ...any)
}

// Limits are the plan limits the sandbox enforces. A zero field means the
// default shown; a negative one means no limit.
type Limits struct {
	MaxImageBytes   int64 // 10 MB, Cloudinary's free plan
	MaxVideoBytes   int64 // 100 MB
	MaxRawBytes     int64 // 10 MB
	MaxRequestBytes int64 // 100 MB in one request; larger files must be chunked
	MinChunkBytes   int64 // 5 MB for every chunk but the last
	MaxDataURIBytes int64 // 62,910,000 characters of data URI
	// MaxImagePixels caps an image's resolution (width × height): 25
	// megapixels on Cloudinary's free plan. Uploads over it are refused
	// from the header, before a pixel is decoded.
	MaxImagePixels int64
	// AdminCallsPerHour caps Admin and Search API calls per clock hour
	// (free plans allow 500); 0 means unlimited.
	AdminCallsPerHour int
}

const (
	mb = 1 << 20

	defaultMaxConnections = 256
	defaultIdleTimeout    = time.Minute
	// maxHeaderBytes bounds a request's headers (and URL): the longest the
	// SDKs send is an Admin API lookup of 100 public_ids in the query.
	maxHeaderBytes = 128 << 10

	defaultMaxImage   = 10 * mb
	defaultMaxVideo   = 100 * mb
	defaultMaxRaw     = 10 * mb
	defaultMaxRequest = 100 * mb
	defaultMinChunk   = 5 * mb
	defaultMaxDataURI = 62_910_000
	defaultMaxPixels  = imageguard.CloudinaryMaxPixels
)

// NoLimits is a Limits value with every size limit switched off, for
// benchmarks that push files of gigabytes through the sandbox. Chunks must
// still be at least MinChunkBytes, and renderings still decode no original
// over imageguard's default resolution.
func NoLimits() Limits {
	return Limits{MaxImageBytes: -1, MaxVideoBytes: -1, MaxRawBytes: -1, MaxRequestBytes: -1, MaxDataURIBytes: -1, MaxImagePixels: -1}
}

func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxImageBytes, defaultMaxImage)
	def(&l.MaxVideoBytes, defaultMaxVideo)
	def(&l.MaxRawBytes, defaultMaxRaw)
	def(&l.MaxRequestBytes, defaultMaxRequest)
	def(&l.MinChunkBytes, defaultMinChunk)
	def(&l.MaxDataURIBytes, defaultMaxDataURI)
	def(&l.MaxImagePixels, defaultMaxPixels)
	if l.MinChunkBytes < 0 {
		l.MinChunkBytes = 0
	}
	return l
}

// maxFor returns the size limit for a resource type (<0: none).
func (l Limits) maxFor(resourceType string) int64 {
	switch resourceType {
	case "image":
		return l.MaxImageBytes
	case "video":
		return l.MaxVideoBytes
	default:
		return l.MaxRawBytes
	}
}

// Server is a running sandbox.
type Server struct {
	cfg    Config
	limits Limits
	cloud  string
	key    string
	secret string

	dir   string
	store *store
	net   *netSim
	ln    net.Listener
	http  *http.Server
	base  string // "http://127.0.0.1:PORT"

	ctx    context.Context // cancelled by Close: stalls and sleeps end
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup // requests in flight
	owned    sync.WaitGroup // the serve loop and the ctx watcher
	stopOnce sync.Once
	stopErr  error

	fetcher   *http.Client // remote uploads (fetch.go)
	faults    *faultInjector
	stats     *counters
	admin     *adminLimiter
	chunks    *chunkSessions
	jobsMu    sync.Mutex
	jobs      map[string]*renderJob // renderings under way, by version and derivation
	slots     *semaphore.Weighted   // renderings in parallel: one per CPU
	renderMem *semaphore.Weighted   // their memory, by estimate (renderBudget)
	preauth   *semaphore.Weighted   // file bytes held before authentication (preauthBudget)
	jsonSlots *semaphore.Weighted   // JSON upload bodies parsed at once
	bgMu      sync.Mutex
	bgFirst   map[string]time.Time // background-removal derivation → first request
	seedMu    sync.Mutex           // one SeedSamples at a time
	videoMu   sync.Mutex           // one video transcoding at a time
	namedOnce sync.Once
	named     *namedStore // named transformations (named.go)
}

// Start opens (or creates) the sandbox account in cfg.Dir and starts
// serving. The server is listening when Start returns; it stops when ctx is
// cancelled or Close is called.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("sandbox: Config.Dir is empty: give the directory that holds the sandbox's files and database")
	}
	if cfg.Bandwidth < 0 || cfg.Latency < 0 {
		return nil, fmt.Errorf("sandbox: latency (%v) and bandwidth (%d bytes/s) must not be negative", cfg.Latency, cfg.Bandwidth)
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = defaultMaxConnections
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	if cfg.Cloud == "" {
		cfg.Cloud = "sandbox"
	}
	if !validCloudName(cfg.Cloud) {
		return nil, fmt.Errorf("sandbox: cloud name %q must be 1-64 letters, digits, '-' or '_'", cfg.Cloud)
	}
	faults, err := parseFaults(cfg.Faults, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("sandbox: data directory %q: %w", cfg.Dir, err)
	}
	// The folder holds the account's secret (in the database) and every
	// upload: private to the user, also when it already existed.
	for _, sub := range []string{"", "blobs", "tmp", "uploads", "cache"} {
		if _, err := paths.Ensure(filepath.Join(dir, sub)); err != nil {
			return nil, fmt.Errorf("sandbox: cannot prepare the data directory: %w", err)
		}
	}
	if err := privateDatabase(filepath.Join(dir, "sandbox.db")); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	// Spool files left by a crash belong to no request any more.
	if olds, _ := filepath.Glob(filepath.Join(dir, "tmp", "*")); len(olds) > 0 {
		for _, o := range olds {
			os.RemoveAll(o)
		}
	}
	st, err := openStore(ctx, filepath.Join(dir, "sandbox.db"))
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	key, secret, err := credentials(ctx, st, cfg.APIKey, cfg.APISecret)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	ln, err := listen(cfg.Addr, cfg.Bandwidth > 0)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("sandbox: cannot listen on %s (is another sandbox running there? pass another address or port 0): %w", cfg.Addr, err)
	}
	srvCtx, cancel := context.WithCancel(context.Background())
	sim := &netSim{}
	sim.latency.Store(int64(cfg.Latency))
	sim.bandwidth.Store(cfg.Bandwidth)

	s := &Server{
		cfg:    cfg,
		limits: cfg.Limits.withDefaults(),
		cloud:  cfg.Cloud,
		key:    key,
		secret: secret,
		dir:    dir,
		store:  st,
		net:    sim,
		ln: &throttledListener{Listener: ln, sim: sim, ctx: srvCtx, idle: cfg.IdleTimeout,
			slots: semaphore.NewWeighted(int64(cfg.MaxConnections))},
		base:    "http://" + ln.Addr().String(),
		faults:  faults,
		stats:   newCounters(),
		admin:   &adminLimiter{limit: cfg.Limits.AdminCallsPerHour},
		bgFirst: map[string]time.Time{},
		slots:   semaphore.NewWeighted(int64(max(1, runtime.GOMAXPROCS(0)))),
		jobs:    map[string]*renderJob{},
		fetcher: newFetcher(cfg.AllowPrivateFetch),

		renderMem: semaphore.NewWeighted(renderBudget),
		preauth:   semaphore.NewWeighted(preauthBudget),
		jsonSlots: semaphore.NewWeighted(2),
	}
	s.chunks = newChunkSessions(filepath.Join(dir, "uploads"))
	s.chunks.expire(24 * time.Hour)
	s.ctx, s.cancel = srvCtx, cancel
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 20 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		// net/http's own complaints (bad requests, broken connections)
		// go to the request log, not to the process's stderr.
		ErrorLog: log.New(logWriter{s}, "sandbox: ", 0),
	}
	s.owned.Add(2)
	go func() {
		defer s.owned.Done()
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("sandbox: server stopped: %v", err)
		}
	}()
	go func() {
		defer s.owned.Done()
		select {
		case <-ctx.Done():
			s.stop()
		case <-s.ctx.Done():
		}
	}()
	s.logf("sandbox: serving cloud %q at %s (data in %s)", s.cloud, s.base, dir)
	return s, nil
}

// URL is the server's base URL, "http://127.0.0.1:PORT". The Upload and
// Admin APIs live under URL()/v1_1/CLOUD, delivery under URL()/CLOUD.
func (s *Server) URL() string { return s.base }

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// CloudinaryURL is the configuration string both SDKs read:
// cloudinary://KEY:SECRET@CLOUD?upload_prefix=http://ADDR.
func (s *Server) CloudinaryURL() string {
	u := url.URL{Scheme: "cloudinary", User: url.UserPassword(s.key, s.secret), Host: s.cloud}
	return u.String() + "?upload_prefix=" + s.base
}

// Cloud is the cloud name the server answers to.
func (s *Server) Cloud() string { return s.cloud }

// APIKey is the account's API key.
func (s *Server) APIKey() string { return s.key }

// APISecret is the account's API secret, a local test credential. It
// exists so the app can sign requests to its own sandbox; never log it.
func (s *Server) APISecret() string { return s.secret }

// Dir is the data directory in use.
func (s *Server) Dir() string { return s.dir }

// Close stops the server: stalled requests end, open connections close, and
// Close returns when every goroutine the server started has finished.
func (s *Server) Close() error {
	err := s.stop()
	s.owned.Wait()
	return err
}

func (s *Server) stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		err := s.http.Close()
		s.handlers.Wait()
		if cerr := s.store.close(); err == nil {
			err = cerr
		}
		s.stopErr = err
		s.logf("sandbox: stopped")
	})
	return s.stopErr
}

// enter registers a request; false once the server is closing.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

// now is the server's idea of the time (see Config.ClockSkew).
func (s *Server) now() time.Time { return time.Now().Add(s.cfg.ClockSkew) }

// logf sends one line to Config.Logf with its control characters escaped:
// a URL path or parameter carrying %0a or an escape sequence can neither
// forge a log line nor drive the terminal that shows it.
func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf("%s", escapeControls(fmt.Sprintf(format, args...)))
	}
}

// escapeControls writes control characters, Unicode line separators and
// invalid UTF-8 as Go escapes (\n, \x1b, \u2028, \xff).
func escapeControls(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == utf8.RuneError
}

// SetLatency changes the simulated round-trip delay for new requests.
func (s *Server) SetLatency(d time.Duration) {
	if d < 0 {
		d = 0
	}
	s.net.latency.Store(int64(d))
}

// BytesReceived is how many bytes the server has read off its connections
// since it started (requests, headers and bodies): what a client's progress
// can be checked against.
func (s *Server) BytesReceived() int64 { return s.net.received.Load() }

// SetBandwidth changes the per-connection cap (bytes/s, 0 = none); open
// connections follow the new value from their next read or write.
func (s *Server) SetBandwidth(bytesPerSecond int64) {
	if bytesPerSecond < 0 {
		bytesPerSecond = 0
	}
	s.net.bandwidth.Store(bytesPerSecond)
}

// SetFaults replaces the fault rules (see the package comment) and restarts
// their schedules and random sequence from the configured seed. An empty
// spec switches fault injection off.
func (s *Server) SetFaults(spec string) error {
	f, err := parseFaults(spec, s.cfg.Seed)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	return nil
}

func (s *Server) currentFaults() *faultInjector {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func validCloudName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// credentials returns the key and secret: the configured ones, else those
// remembered in the database, else new ones (remembered from then on).
func credentials(ctx context.Context, st *store, key, secret string) (string, string, error) {
	var err error
	if key == "" {
		key, err = st.setting(ctx, "api_key", func() (string, error) {
			n, err := rand.Int(rand.Reader, big.NewInt(9e14))
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%015d", n.Int64()+1e14), nil
		})
		if err != nil {
			return "", "", fmt.Errorf("cannot read or create the sandbox's API key: %w", err)
		}
	}
	if secret == "" {
		secret, err = st.setting(ctx, "api_secret", func() (string, error) {
			b := make([]byte, 20)
			if _, err := rand.Read(b); err != nil {
				return "", err
			}
			return base64.RawURLEncoding.EncodeToString(b), nil
		})
		if err != nil {
			return "", "", fmt.Errorf("cannot read or create the sandbox's API secret: %w", err)
		}
	}
	for _, c := range key + secret {
		if c <= ' ' || c == ':' || c == '@' || c == '/' || c == '?' || c == '#' {
			return "", "", errors.New("the API key and secret may not contain spaces, control characters or any of : @ / ? #")
		}
	}
	return key, secret, nil
}

// privateDatabase creates the database file readable by the user alone
// (SQLite gives its -wal and -shm files the database's permissions) and
// narrows the permissions of one left readable by others.
func privateDatabase(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("cannot create the database %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := paths.PrivateFile(p); err != nil {
			return err
		}
	}
	return nil
}
