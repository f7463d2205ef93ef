package cloud

import (
	"context"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
)

// An upload's progress counts the bytes the far side has taken, not the
// ones handed to the kernel: on a slow link the kernel's send buffer (and a
// receive buffer on the other end) swallows a small file whole at once, and
// a count of writes showed 100 % long before the server had it. Where the
// system reports it (Linux: TCP_INFO's bytes_acked) the count is what the
// peer's TCP acknowledged; elsewhere it is what was written to the socket
// less a send buffer's worth.
//
// Uploads go over HTTP/1.1, so a connection carries one request at a time
// and its counter, read from where the request started, is that upload's.

// meteredConn counts what is written to a connection and reads what the
// peer acknowledged.
type meteredConn struct {
	net.Conn
	written atomic.Int64
}

func (c *meteredConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// fallbackBuffer is what a system without an acknowledged-bytes counter is
// assumed to hold in its send buffer.
const fallbackBuffer = 64 << 10

// acked is the bytes of this connection the peer has acknowledged.
func (c *meteredConn) acked() int64 {
	if n, ok := ackedBytes(c.Conn); ok {
		return n
	}
	return max(0, c.written.Load()-fallbackBuffer)
}

// dialMetered wraps a dialer so every connection it makes is metered.
func dialMetered(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			// An upload stopped halfway (Pause, Cancel, Quit) must stop
			// there: a plain close lets the kernel go on sending what it
			// holds, megabytes on a slow link, and Cloudinary could still
			// store a file the user paused. A reset drops it. The transport
			// only closes a connection between requests or to abandon one.
			tc.SetLinger(0)
		}
		return &meteredConn{Conn: c}, nil
	}
}

// Meter reports how much of an upload's file the server has taken. Pass one
// in UploadRequest.Meter and read it from any goroutine while the upload
// runs; it follows the request through the transport's own retries.
type Meter struct {
	mu       sync.Mutex
	conn     *meteredConn // nil: the client's transport is not metered
	base     int64        // conn's acknowledged bytes when this request took it
	prefix   int64        // request bytes before the file's first byte
	length   int64        // the file bytes this request sends
	read     atomic.Int64 // file bytes the transport has taken
	answered atomic.Bool
}

// Acked is how many of the request's file bytes the server has taken: what
// its TCP acknowledged, never more than the transport has read from the
// file, and all that was sent once the server answered.
func (m *Meter) Acked() int64 {
	if m == nil {
		return 0
	}
	read := m.read.Load()
	if m.answered.Load() {
		// The server read what it answered to (an early refusal, less).
		return min(read, m.length)
	}
	m.mu.Lock()
	conn, base, prefix := m.conn, m.base, m.prefix
	m.mu.Unlock()
	if conn == nil {
		return read
	}
	n := conn.acked() - base - prefix
	return max(0, min(n, read, m.length))
}

// Length is how many file bytes the request sends.
func (m *Meter) Length() int64 {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.length
}

// start readies the meter for a request of prefix bytes before length file
// bytes.
func (m *Meter) start(prefix, length int64) {
	m.mu.Lock()
	m.conn, m.base, m.prefix, m.length = nil, 0, prefix, length
	m.mu.Unlock()
	m.read.Store(0)
	m.answered.Store(false)
}

// attach binds the meter to the connection the transport chose.
func (m *Meter) attach(c net.Conn) {
	if u, ok := c.(interface{ NetConn() net.Conn }); ok { // TLS
		c = u.NetConn()
	}
	mc, _ := c.(*meteredConn)
	m.mu.Lock()
	m.conn = mc
	if mc != nil {
		m.base = mc.acked()
	}
	m.mu.Unlock()
}

// trace attaches m to the connection of the request made with the
// returned context.
func (m *Meter) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { m.attach(info.Conn) },
	})
}

// requestHeadLen estimates the bytes of a request line and headers as the
// transport writes them (the few it adds itself included), so the meter
// can tell them from the body.
func requestHeadLen(method, target, host string, h http.Header, length int64) int64 {
	n := len(method) + len(target) + len(" HTTP/1.1\r\n") + len("Host: \r\n") + len(host) +
		len("Content-Length: \r\n") + 20 + len("Accept-Encoding: gzip\r\n") + len("\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(": \r\n") + len(v)
		}
	}
	return int64(n)
}
