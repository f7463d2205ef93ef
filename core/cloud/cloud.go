// Package cloud is Cloudup's thin Cloudinary client: signed and unsigned
// uploads (single request or Cloudinary's chunked protocol), remote-URL
// uploads, destroy, rename, explicit, tags, resource by id and search.
// Everything in the product that talks to Cloudinary goes through here.
//
// It owns the wire: multipart framing, signing every request fresh (with the
// clock offset measured from a stale answer), reading errors from the HTTP
// status and the JSON body, and classifying them into typed errors. It does
// not retry, journal or schedule (core/transfer does), and it never logs,
// stores or formats the API secret into anything.
//
// Why not cloudinary-go for uploads: it ignores HTTP status codes (a 5xx with
// a JSON body looks like a final answer, a proxy's HTML 502 is a JSON error),
// signs a chunked upload once so an upload longer than an hour goes stale
// mid-way, has no progress callback, and offers no way to resume a chunked
// upload from a given chunk or retry one chunk alone.
package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudup/cloudup/core/signing"
)

// DefaultAPIBase is Cloudinary's API host.
const DefaultAPIBase = "https://api.cloudinary.com"

// Version is sent in the User-Agent.
const Version = "0.1"

// Secret is an API secret. It prints as "[redacted]" through fmt, slog and
// encoding/json, so a stray Printf of a Config cannot leak it.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string                  { return redacted }
func (Secret) GoString() string                { return redacted }
func (Secret) LogValue() slog.Value            { return slog.StringValue(redacted) }
func (Secret) MarshalJSON() ([]byte, error)    { return json.Marshal(redacted) }
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, redacted) }

// Config describes one account as the client needs it.
type Config struct {
	Cloud     string
	APIKey    string
	Secret    Secret            // empty for an unsigned (preset-only) profile
	Algorithm signing.Algorithm // the account's signature algorithm; empty = SHA-1
	APIBase   string            // default DefaultAPIBase; the sandbox's URL in tests

	// Authority signs and authenticates requests. Nil means a
	// SecretAuthority from APIKey, Secret and Algorithm; a team profile sets
	// its signing service here and leaves Secret empty.
	Authority Authority

	// UploadPreset is sent with every upload. Unsigned uploads require it.
	UploadPreset string
	// Unsigned sends uploads without a signature (preset only). Admin calls
	// (search, resource) and destroy/rename/tags then fail with ErrNeedsSecret.
	Unsigned bool

	// HTTPClient defaults to NewHTTPClient(): connect and response-header
	// timeouts, no whole-request timeout (uploads may take hours).
	HTTPClient *http.Client
	// Now is the local clock; tests inject a wrong one. Default time.Now.
	Now func() time.Time
	// StallTimeout cancels a request when no byte of it moved for this long
	// (the server stopped reading, or stopped answering mid-body). Default 60 s.
	StallTimeout time.Duration
	// ResponseTimeout is how long to wait for the answer once an upload's body
	// is sent: Cloudinary answers after processing, and big videos take a
	// while. Default 10 min.
	ResponseTimeout time.Duration
	// CallTimeout bounds calls that are not uploads (search, destroy, …).
	// Default 60 s, as the SDKs use.
	CallTimeout time.Duration
}

// Client talks to one Cloudinary account. It is safe for concurrent use.
type Client struct {
	cfg    Config
	auth   Authority
	base   *url.URL
	http   *http.Client
	offset atomic.Int64 // server minus local clock, in nanoseconds
}

var cloudNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// New checks cfg and returns a client. The secret is not contacted or checked
// here; the first signed call finds out whether it is right.
func New(cfg Config) (*Client, error) {
	if cfg.Cloud == "" {
		return nil, errors.New("no cloud name: set the profile's cloud name (the one shown in the Cloudinary console)")
	}
	if !cloudNameRE.MatchString(cfg.Cloud) {
		return nil, fmt.Errorf("cloud name %q has characters Cloudinary does not use: use letters, digits, '-' or '_'", cfg.Cloud)
	}
	if cfg.Unsigned {
		if cfg.UploadPreset == "" {
			return nil, errors.New("an unsigned profile needs an upload preset: create an unsigned preset in the Cloudinary console and set it in the profile")
		}
	} else {
		if cfg.APIKey == "" {
			return nil, errors.New("no API key: set the profile's API key")
		}
		if cfg.Secret == "" && cfg.Authority == nil {
			return nil, errors.New("no API secret for this signed profile: add it with 'cloudup-cli login' or in Settings")
		}
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = signing.SHA1
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	base, err := url.Parse(strings.TrimRight(cfg.APIBase, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("API base URL %q is not an http(s) URL: use e.g. %s", cfg.APIBase, DefaultAPIBase)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewHTTPClient()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 60 * time.Second
	}
	if cfg.ResponseTimeout <= 0 {
		cfg.ResponseTimeout = 10 * time.Minute
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 60 * time.Second
	}
	auth := cfg.Authority
	if auth == nil {
		auth = SecretAuthority{APIKey: cfg.APIKey, Secret: cfg.Secret, Algorithm: cfg.Algorithm}
	}
	return &Client{cfg: cfg, auth: auth, base: base, http: cfg.HTTPClient}, nil
}

// NewHTTPClient returns the transport Cloudup uses: bounded connect, TLS and
// response-header waits but no overall timeout, since a large upload may
// legitimately run for hours (stalls are caught per request instead), and
// enough idle connections per host that parallel uploads reuse them.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = dialMetered(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
	// HTTP/1.1 only: one request per connection at a time, so a
	// connection's acknowledged bytes are one upload's progress (wire.go).
	t.ForceAttemptHTTP2 = false
	t.Protocols = new(http.Protocols)
	t.Protocols.SetHTTP1(true)
	t.TLSHandshakeTimeout = 20 * time.Second
	// Waiting for an upload's answer is bounded per request by the client's
	// ResponseTimeout (Cloudinary answers after processing; big videos take
	// a while); this is only the outer safety net.
	t.ResponseHeaderTimeout = time.Hour
	t.MaxIdleConnsPerHost = 32
	t.WriteBufferSize = 64 << 10
	t.ReadBufferSize = 64 << 10
	return &http.Client{Transport: t}
}

// Cloud is the account's cloud name.
func (c *Client) Cloud() string { return c.cfg.Cloud }

// APIKey is the account's API key (not a secret).
func (c *Client) APIKey() string { return c.cfg.APIKey }

// Signed reports whether requests are signed with a secret.
func (c *Client) Signed() bool { return !c.cfg.Unsigned }

// ClockOffset is the measured difference between Cloudinary's clock and the
// local one, applied to every timestamp the client signs.
func (c *Client) ClockOffset() time.Duration { return time.Duration(c.offset.Load()) }

// SetClockOffset sets the correction applied to signed timestamps.
func (c *Client) SetClockOffset(d time.Duration) { c.offset.Store(int64(d)) }

// Now is the client's idea of the server's time: the local clock plus the
// measured offset.
func (c *Client) Now() time.Time { return c.cfg.Now().Add(c.ClockOffset()) }

// endpoint is {base}/v1_1/{cloud}/{parts...}.
func (c *Client) endpoint(parts ...string) string {
	u := *c.base
	p := strings.TrimRight(u.Path, "/") + "/v1_1/" + c.cfg.Cloud
	for _, part := range parts {
		p += "/" + part
	}
	u.Path = p
	u.RawPath = ""
	return u.String()
}

// exchange is one HTTP request and what to do about stalls.
type exchange struct {
	op       string
	method   string
	url      string
	header   http.Header
	body     func() io.Reader // fresh body per attempt of the transport
	length   int64            // Content-Length, -1 unknown
	admin    bool             // Basic auth with key:secret
	upload   bool             // no whole-call timeout; stall guard instead
	progress *activity
	meter    *Meter // follows the request's connection, when set
}

// answer is what came back, before decoding.
type answer struct {
	status   int
	header   http.Header
	body     []byte
	localNow time.Time // local clock (no offset) when the answer arrived
}

// maxAnswer caps how much of an answer is read: Cloudinary's JSON answers
// are small, and an endless body must not grow memory.
const maxAnswer = 8 << 20

// send performs one exchange. Upload exchanges are guarded against stalls by
// a watchdog that cancels the request when no byte moved for StallTimeout;
// other calls get CallTimeout as a whole.
func (c *Client) send(ctx context.Context, ex exchange) (*answer, error) {
	var cancel context.CancelCauseFunc
	ctx, cancel = context.WithCancelCause(ctx)
	defer cancel(nil)
	if !ex.upload {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeoutCause(ctx, c.cfg.CallTimeout, fmt.Errorf("no answer within %s", c.cfg.CallTimeout))
		defer stop()
	}

	act := ex.progress
	if act == nil {
		act = &activity{}
	}
	act.touch()
	var body io.Reader
	if ex.body != nil {
		body = &activityReader{r: ex.body(), act: act}
	}
	if ex.meter != nil {
		ctx = ex.meter.trace(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, ex.method, ex.url, body)
	if err != nil {
		return nil, fmt.Errorf("building the %s request: %w", ex.op, err)
	}
	if ex.body != nil {
		req.ContentLength = ex.length
		req.GetBody = func() (io.ReadCloser, error) {
			act.setPhase(phaseSending)
			return io.NopCloser(&activityReader{r: ex.body(), act: act}), nil
		}
	}
	for k, v := range ex.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Cloudup/"+Version+" (Go)")
	req.Header.Set("Accept", "application/json")
	if ex.admin {
		if err := c.auth.Admin(req); err != nil {
			return nil, err
		}
	}

	if ex.upload {
		var wg sync.WaitGroup
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.watch(done, act, cancel)
		}()
		defer func() { close(done); wg.Wait() }()
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.networkError(ctx, ex.op, err)
	}
	defer resp.Body.Close()
	if ex.meter != nil {
		ex.meter.answered.Store(true)
	}
	act.setPhase(phaseReading)
	raw, err := io.ReadAll(io.LimitReader(&activityReader{r: resp.Body, act: act}, maxAnswer))
	if err != nil {
		return nil, c.networkError(ctx, ex.op, err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: raw, localNow: c.cfg.Now()}, nil
}

// networkError wraps a transport failure, keeping cancellation recognisable.
func (c *Client) networkError(ctx context.Context, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is noise in a sentence for people
	}
	if errors.Is(err, ErrFileChanged) {
		return ErrFileChanged
	}
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		if errors.Is(cause, ErrStalled) {
			return &NetworkError{Op: op, Err: ErrStalled}
		}
		if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w", op, cause)
		}
		return &NetworkError{Op: op, Err: cause}
	}
	return &NetworkError{Op: op, Err: err}
}

// watch cancels the exchange when it stalls: the server stopped reading the
// body, never answered once the body was sent, or stopped sending the answer.
func (c *Client) watch(done <-chan struct{}, act *activity, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(stallTick(c.cfg.StallTimeout))
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			limit := c.cfg.StallTimeout
			if act.phase.Load() == phaseWaiting {
				limit = c.cfg.ResponseTimeout
			}
			if time.Since(act.lastTouch()) > limit {
				cancel(ErrStalled)
				return
			}
		}
	}
}

func stallTick(d time.Duration) time.Duration {
	t := d / 4
	if t < 10*time.Millisecond {
		t = 10 * time.Millisecond
	}
	if t > time.Second {
		t = time.Second
	}
	return t
}

const (
	phaseSending int32 = iota
	phaseWaiting
	phaseReading
)

// activity records when a byte last moved, for the stall watchdog.
type activity struct {
	last  atomic.Int64
	phase atomic.Int32
}

func (a *activity) touch()               { a.last.Store(time.Now().UnixNano()) }
func (a *activity) lastTouch() time.Time { return time.Unix(0, a.last.Load()) }
func (a *activity) setPhase(p int32)     { a.phase.Store(p); a.touch() }

type activityReader struct {
	r   io.Reader
	act *activity
}

func (r *activityReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.act.touch()
	}
	if err == io.EOF && r.act.phase.Load() == phaseSending {
		r.act.setPhase(phaseWaiting)
	}
	return n, err
}

// decode reads an answer into out, or returns the classified error. A 2xx
// whose JSON carries an "error" is an error too (that is how the Go SDK
// reports failures, and some proxies answer 200).
func (c *Client) decode(a *answer, out any) error {
	var ae apiError
	jsonErr := json.Unmarshal(a.body, &ae)
	if a.status >= 200 && a.status < 300 {
		if jsonErr != nil {
			return &ServerError{Status: a.status, Message: "the answer was not Cloudinary's JSON: " + snippet(a.body)}
		}
		if ae.Error != nil {
			if err, ok := serviceError(a.status, a.header, ae.Error.Code, ae.Error.Message, a.localNow); ok {
				return err
			}
			return c.classify(http.StatusBadRequest, a.header, ae.Error.Message, a.localNow)
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(a.body, out); err != nil {
			return &ServerError{Status: a.status, Message: "the answer could not be read (" + err.Error() + "): " + snippet(a.body)}
		}
		return nil
	}
	msg := ""
	if jsonErr == nil && ae.Error != nil {
		if err, ok := serviceError(a.status, a.header, ae.Error.Code, ae.Error.Message, a.localNow); ok {
			return err
		}
		msg = ae.Error.Message
	} else {
		msg = snippet(a.body)
	}
	return c.classify(a.status, a.header, msg, a.localNow)
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	titleRE = regexp.MustCompile(`(?is)<title>(.*?)</title>`)
)

// snippet turns a body that is not JSON (an HTML error page) into a few words.
func snippet(b []byte) string {
	if m := titleRE.FindSubmatch(b); m != nil {
		b = m[1]
	}
	s := tagRE.ReplaceAllString(string(b), " ")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	if s == "" {
		return "(empty answer)"
	}
	return s
}

// postForm sends a url-encoded signed call (destroy, rename, tags, explicit,
// remote upload) and decodes the answer into out.
func (c *Client) postForm(ctx context.Context, op, endpoint string, params url.Values, upload bool, out any) error {
	encoded := []byte(params.Encode())
	a, err := c.send(ctx, exchange{
		op:     op,
		method: http.MethodPost,
		url:    endpoint,
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		body:   func() io.Reader { return bytes.NewReader(encoded) },
		length: int64(len(encoded)),
		upload: upload,
	})
	if err != nil {
		return err
	}
	return c.decode(a, out)
}

// Account names the account this client talks to: cloud name, API key and
// API base. Two profiles with the same account share their uploads. A base
// on this computer (the sandbox) is named without its port, which changes
// from run to run.
func (c *Client) Account() string {
	base := *c.base
	if ip := net.ParseIP(base.Hostname()); (ip != nil && ip.IsLoopback()) || base.Hostname() == "localhost" {
		base.Host = base.Hostname()
	}
	return c.cfg.Cloud + "\x00" + c.cfg.APIKey + "\x00" + base.String()
}
