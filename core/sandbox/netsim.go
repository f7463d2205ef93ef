package sandbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/semaphore"
)

// netSim holds the simulated network's settings; they may change while
// connections are open.
type netSim struct {
	latency   atomic.Int64 // time.Duration
	bandwidth atomic.Int64 // bytes per second per direction; 0 = unlimited
	received  atomic.Int64 // bytes read off every connection, for tests
}

// throttledReadBuffer is a throttled connection's socket receive buffer:
// small, as a slow link holds little in flight, so that what the client's
// TCP sees acknowledged is close to what the server has read (a big buffer
// would take a small file whole at once, on any link).
const throttledReadBuffer = 8 << 10

// listen opens the sandbox's socket; throttled, with a small receive buffer
// from the first byte on (set on an accepted connection, it would come after
// the handshake advertised a large window).
func listen(addr string, throttled bool) (net.Listener, error) {
	lc := net.ListenConfig{}
	if throttled {
		lc.Control = func(_, _ string, c syscall.RawConn) error { return setReadBuffer(c, throttledReadBuffer) }
	}
	return lc.Listen(context.Background(), "tcp", addr)
}

// throttledListener hands out connections whose reads and writes are paced
// to the configured bandwidth, at most slots of them open at once: the
// next client waits in the kernel's backlog until one closes. (It does what
// golang.org/x/net/netutil.LimitListener does; that one wraps each
// connection in a type that hides the *net.TCPConn the "reset" fault needs
// for SetLinger.)
type throttledListener struct {
	net.Listener
	sim   *netSim
	slots *semaphore.Weighted
	ctx   context.Context // ends when the server closes: a waiting Accept gives up
	idle  time.Duration   // a write may wait this long for the client
}

func (l *throttledListener) Accept() (net.Conn, error) {
	if err := l.slots.Acquire(l.ctx, 1); err != nil {
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.slots.Release(1)
		return nil, err
	}
	return &throttledConn{Conn: c, sim: l.sim, closed: make(chan struct{}), idle: l.idle,
		release: func() { l.slots.Release(1) }}, nil
}

// throttledConn paces each direction separately. Pacing reads is enough to
// slow an uploading client: once the server reads slowly, TCP's window
// makes the client's writes wait.
type throttledConn struct {
	net.Conn
	sim       *netSim
	rd, wr    pacer
	closed    chan struct{}
	closeOnce sync.Once
	idle      time.Duration // each write may wait this long for the client
	release   func()        // gives the connection's slot back
}

// quantum is how many bytes move between pauses: about 1/20 s worth, so
// the pace is smooth, between 1 KiB and 256 KiB.
func quantum(rate int64) int {
	q := rate / 20
	if q < 1024 {
		q = 1024
	}
	if q > 256<<10 {
		q = 256 << 10
	}
	return int(q)
}

func (c *throttledConn) Read(p []byte) (int, error) {
	rate := c.sim.bandwidth.Load()
	if rate <= 0 {
		n, err := c.Conn.Read(p)
		c.sim.received.Add(int64(n))
		return n, err
	}
	if q := quantum(rate); len(p) > q {
		p = p[:q]
	}
	n, err := c.Conn.Read(p)
	c.sim.received.Add(int64(n))
	if n > 0 {
		c.rd.pace(n, rate, c.closed)
	}
	return n, err
}

// Write sends p a quantum at a time, each with its own deadline: a client
// that stops taking the answer frees the connection after idle, while a
// slow one that keeps reading gets as long as the answer takes.
func (c *throttledConn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		rate := c.sim.bandwidth.Load()
		q := 256 << 10
		if rate > 0 {
			q = quantum(rate)
		}
		if q > len(p) {
			q = len(p)
		}
		if rate > 0 && !c.wr.pace(q, rate, c.closed) {
			return written, net.ErrClosed
		}
		if c.idle > 0 {
			c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
		}
		n, err := c.Conn.Write(p[:q])
		written += n
		if err != nil {
			return written, err
		}
		p = p[q:]
	}
	return written, nil
}

func (c *throttledConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		if c.release != nil {
			c.release()
		}
	})
	return c.Conn.Close()
}

// reset closes the connection with a TCP RST instead of a FIN, as a
// dropped connection looks to the client ("connection reset by peer").
func (c *throttledConn) reset() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// resetConn resets any connection the server handed out.
func resetConn(c net.Conn) {
	if tc, ok := c.(*throttledConn); ok {
		tc.reset()
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// pacer spaces transfers so that n bytes take n/rate seconds.
type pacer struct {
	mu   sync.Mutex
	next time.Time
}

// pace accounts for n bytes and sleeps until they are due; false if the
// connection closed meanwhile.
func (p *pacer) pace(n int, rate int64, closed <-chan struct{}) bool {
	p.mu.Lock()
	now := time.Now()
	// Lateness carries over: a timer that fires late, or many small reads
	// each due a fraction of a millisecond apart, would otherwise lose that
	// time and cut the real rate to a fraction of the cap. Idle time banks
	// at most one quantum's worth (1/20 s), so a burst stays short.
	if floor := now.Add(-time.Second / 20); p.next.Before(floor) {
		p.next = floor
	}
	p.next = p.next.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	wait := p.next.Sub(now)
	p.mu.Unlock()
	if wait <= time.Millisecond {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-closed:
		return false
	}
}

// idleBody fails a body read that waits longer than idle for the client:
// a stalled upload frees its connection, while a slow one (bytes keep
// arriving, over a throttled link too) takes as long as it needs. Unlike
// http.Server's ReadTimeout it bounds silence, not the whole upload.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	read bool // a deadline is set
	eof  bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.read = true
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		// net/http now watches the connection for the client hanging up;
		// that watch must not time out while the answer is worked on.
		// (After any other error the deadline stays: net/http reads what
		// is left of the body before answering, and a stalled client
		// must not hold that up.)
		b.eof = true
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// done bounds what net/http reads of an unread body after the handler
// returned (it drains up to 256 KB before answering). A body read before
// keeps its deadline: a stalled one has passed it, and its answer goes out
// at once rather than after another wait.
func (b *idleBody) done() {
	if !b.read {
		b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
}
