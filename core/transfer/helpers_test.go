package transfer

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// fakeClock is the engine's and the client's time in tests: it starts at a
// chosen offset from the real clock and moves only when someone sleeps, so
// waits can be asserted exactly and never cost real time.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock(offset time.Duration) *fakeClock {
	return &fakeClock{now: time.Now().Add(offset)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	// Yield for a moment so retries do not spin the CPU.
	t := time.NewTimer(time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// rig is a sandbox, a client for it and a journal, for one test.
type rig struct {
	t       *testing.T
	sb      *sandbox.Server
	client  *cloud.Client
	journal *Journal
	dir     string
	clock   *fakeClock
}

type rigOptions struct {
	sandbox     sandbox.Config
	clockOffset time.Duration
	secret      string // overrides the sandbox's secret (a wrong one)
	clientMod   func(*cloud.Config)
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	dir := t.TempDir()
	sbcfg := o.sandbox
	sbcfg.Dir = filepath.Join(dir, "sandbox")
	if sbcfg.Limits.MinChunkBytes == 0 {
		sbcfg.Limits.MinChunkBytes = -1 // small chunks keep protocol tests fast
	}
	sb, err := sandbox.Start(context.Background(), sbcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	r := &rig{t: t, sb: sb, dir: dir, clock: newFakeClock(o.clockOffset)}
	secret := sb.APISecret()
	if o.secret != "" {
		secret = o.secret
	}
	ccfg := cloud.Config{Cloud: sb.Cloud(), APIKey: sb.APIKey(), Secret: cloud.Secret(secret), APIBase: sb.URL(), Now: r.clock.Now,
		StallTimeout: 30 * time.Second, ResponseTimeout: 30 * time.Second}
	if o.clientMod != nil {
		o.clientMod(&ccfg)
	}
	if r.client, err = cloud.New(ccfg); err != nil {
		t.Fatal(err)
	}
	r.journal = r.openJournal()
	return r
}

func (r *rig) openJournal() *Journal {
	r.t.Helper()
	j, err := OpenJournal(filepath.Join(r.dir, "data", "journal.db"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { j.Close() })
	return j
}

// engine starts an engine on the rig; it is closed when the test ends.
func (r *rig) engine(mod func(*Config)) *Engine {
	r.t.Helper()
	cfg := Config{
		Client: r.client, Journal: r.journal, Profile: "test", Clock: r.clock,
		Retry:     RetryPolicy{MaxAttempts: 12, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second},
		ChunkSize: 64 << 10, AllowSmallChunks: true, ProgressInterval: 20 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { e.Close() })
	return e
}

// files writes n files of about size bytes with distinct random content and
// returns their paths and MD5s.
func writeFiles(t *testing.T, dir string, n, size int, ext string) ([]string, map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	var paths []string
	sums := map[string]string{}
	for i := range n {
		b := make([]byte, size+rnd.IntN(size/4+1))
		for j := range b {
			b[j] = byte(rnd.Uint32())
		}
		p := filepath.Join(dir, fmt.Sprintf("file-%04d%s", i, ext))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		paths = append(paths, p)
		sums[p] = hex.EncodeToString(sum[:])
	}
	return paths, sums
}

// writeFile writes exactly size random bytes and returns the MD5.
func writeFile(t *testing.T, p string, size int) string {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	b := make([]byte, size)
	rnd := rand.New(rand.NewPCG(uint64(size), 7))
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func itemsFor(paths []string) []Item {
	items := make([]Item, len(paths))
	for i, p := range paths {
		items[i] = Item{Path: p}
	}
	return items
}

// finish waits until the engine is idle and returns every item's status.
func finish(t *testing.T, e *Engine, timeout time.Duration) Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := e.Wait(ctx); err != nil {
		s := e.Snapshot()
		for _, it := range s.Items {
			if !it.State.Final() {
				t.Logf("still %s: %s (%s)", it.State, it.Name, it.Words)
			}
		}
		t.Fatalf("the batch did not finish in %s: %v (%+v)", timeout, err, s.Batch)
	}
	return e.Snapshot()
}

func byState(s Snapshot) map[State][]ItemStatus {
	m := map[State][]ItemStatus{}
	for _, it := range s.Items {
		m[it.State] = append(m[it.State], it)
	}
	return m
}

// writeJPEG writes a real 64×48 JPEG.
func writeJPEG(t *testing.T, p string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, nil); err != nil {
		t.Fatal(err)
	}
}

// serveFile serves one file over HTTP on 127.0.0.1 and returns the base URL.
func serveFile(t *testing.T, p string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, p)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// patient is a client setting for tests that interrupt a stalled request
// themselves and must not see the client give up on it first.
func patient(c *cloud.Config) { c.ResponseTimeout = time.Minute; c.StallTimeout = time.Minute }
