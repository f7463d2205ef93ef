package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scopes a fault rule can be limited to (see the package comment).
type scope uint16

const (
	scopeUpload scope = 1 << iota
	scopeChunk
	scopeFinal
	scopeAPI
	scopeAdmin
	scopeSearch
	scopeDelivery
	scopeOther

	scopeAll scope = 1<<16 - 1
)

// route is what a request is, decided from its method and decoded path.
type route struct {
	endpoint string // counter label, e.g. "upload", "admin.search"
	scope    scope
	handle   func(w http.ResponseWriter, r *http.Request) error
}

// Endpoint labels used by Stats.Requests.
const (
	EndpointUpload         = "upload"
	EndpointUploadChunk    = "upload.chunk"
	EndpointDestroy        = "destroy"
	EndpointRename         = "rename"
	EndpointTags           = "tags"
	EndpointContext        = "context"
	EndpointExplicit       = "explicit"
	EndpointAdminResources = "admin.resources"
	EndpointAdminSearch    = "admin.search"
	EndpointAdminPresets   = "admin.presets"
	EndpointAdminTags      = "admin.tags"
	EndpointAdminUsage     = "admin.usage"
	EndpointDelivery       = "delivery"
	EndpointOther          = "other"
)

var resourceTypes = map[string]bool{"image": true, "video": true, "raw": true}

// route routes on the decoded path (r.URL.Path) so that Node's
// "resources%2Fsearch" reaches search; Go's ServeMux would not match it.
func (s *Server) route(r *http.Request) route {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		return route{endpoint: EndpointOther, scope: scopeOther, handle: s.handleRoot}
	}
	if segs[0] == "v1_1" {
		return s.apiRoute(r, segs[1:])
	}
	if segs[0] == s.cloud && len(segs) >= 4 {
		return route{endpoint: EndpointDelivery, scope: scopeDelivery, handle: s.handleDelivery}
	}
	return route{endpoint: EndpointOther, scope: scopeOther, handle: func(w http.ResponseWriter, r *http.Request) error {
		return notFound("Nothing here: API calls go to %s/v1_1/%s/…, delivery URLs to %s/%s/{image|video|raw}/upload/…", s.base, s.cloud, s.base, s.cloud)
	}}
}

func (s *Server) apiRoute(r *http.Request, segs []string) route {
	other := func(err error) route {
		return route{endpoint: EndpointOther, scope: scopeOther, handle: func(http.ResponseWriter, *http.Request) error { return err }}
	}
	if len(segs) < 2 {
		return other(notFound("Unknown API endpoint %s", r.URL.Path))
	}
	if segs[0] != s.cloud {
		return other(errorf(http.StatusUnauthorized, "Invalid cloud_name %s", segs[0]))
	}
	rest := segs[1:]
	post := func(endpoint string, sc scope, h func(http.ResponseWriter, *http.Request) error) route {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			return other(errorf(http.StatusMethodNotAllowed, "%s needs POST, not %s", r.URL.Path, r.Method))
		}
		return route{endpoint: endpoint, scope: sc, handle: h}
	}
	upload := func(rt string) route {
		if r.Header.Get("X-Unique-Upload-Id") != "" {
			sc := scopeUpload | scopeChunk
			if isFinalChunk(r.Header.Get("Content-Range")) {
				sc |= scopeFinal
			}
			return post(EndpointUploadChunk, sc, func(w http.ResponseWriter, r *http.Request) error { return s.handleChunk(w, r, rt) })
		}
		return post(EndpointUpload, scopeUpload, func(w http.ResponseWriter, r *http.Request) error { return s.handleUpload(w, r, rt) })
	}
	switch {
	case len(rest) == 1 && rest[0] == "upload":
		return upload("auto")
	case len(rest) == 2 && (rest[1] == "upload" || rest[1] == "upload_chunked"):
		if !resourceTypes[rest[0]] && rest[0] != "auto" {
			return other(badRequest("Invalid resource type %q: use image, video, raw or auto", rest[0]))
		}
		return upload(rest[0])
	case len(rest) == 2 && resourceTypes[rest[0]]:
		rt := rest[0]
		switch rest[1] {
		case "destroy":
			return post(EndpointDestroy, scopeAPI, func(w http.ResponseWriter, r *http.Request) error { return s.handleDestroy(w, r, rt) })
		case "rename":
			return post(EndpointRename, scopeAPI, func(w http.ResponseWriter, r *http.Request) error { return s.handleRename(w, r, rt) })
		case "tags":
			return post(EndpointTags, scopeAPI, func(w http.ResponseWriter, r *http.Request) error { return s.handleTags(w, r, rt) })
		case "context":
			return post(EndpointContext, scopeAPI, func(w http.ResponseWriter, r *http.Request) error { return s.handleContext(w, r, rt) })
		case "explicit":
			return post(EndpointExplicit, scopeAPI, func(w http.ResponseWriter, r *http.Request) error { return s.handleExplicit(w, r, rt) })
		}
	}
	switch rest[0] {
	case "resources":
		if len(rest) == 2 && rest[1] == "search" {
			return s.adminRoute(EndpointAdminSearch, scopeAdmin|scopeSearch, s.handleSearch)
		}
		return s.adminRoute(EndpointAdminResources, scopeAdmin, func(w http.ResponseWriter, r *http.Request) error {
			return s.handleResources(w, r, rest[1:])
		})
	case "folders":
		return s.adminRoute(EndpointAdminFolders, scopeAdmin, func(w http.ResponseWriter, r *http.Request) error {
			return s.handleFolders(w, r, rest[1:])
		})
	case "tags":
		return s.adminRoute(EndpointAdminTags, scopeAdmin, func(w http.ResponseWriter, r *http.Request) error {
			return s.handleTagList(w, r, rest[1:])
		})
	case "upload_presets":
		return s.adminRoute(EndpointAdminPresets, scopeAdmin, func(w http.ResponseWriter, r *http.Request) error {
			return s.handlePresets(w, r, rest[1:])
		})
	case "transformations":
		return s.adminRoute(EndpointAdminTransformations, scopeAdmin, func(w http.ResponseWriter, r *http.Request) error {
			return s.handleTransformations(w, r, rest[1:])
		})
	case "usage", "ping":
		return s.adminRoute(EndpointAdminUsage, scopeAdmin, func(w http.ResponseWriter, r *http.Request) error {
			return s.handleUsage(w, r, rest[0])
		})
	}
	return other(notFound("Unknown API endpoint %s", r.URL.Path))
}

// adminRoute wraps an Admin API handler with Basic authentication and the
// hourly rate limit, whose state every answer reports in headers.
func (s *Server) adminRoute(endpoint string, sc scope, h func(http.ResponseWriter, *http.Request) error) route {
	return route{endpoint: endpoint, scope: sc, handle: func(w http.ResponseWriter, r *http.Request) error {
		if err := s.checkBasicAuth(r); err != nil {
			return err
		}
		if err := s.admin.take(w.Header(), s.now()); err != nil {
			return err
		}
		return h(w, r)
	}}
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Cloudup sandbox: a local Cloudinary-compatible server for cloud %q.\n", s.cloud)
	fmt.Fprintf(w, "Upload and Admin API: %s/v1_1/%s/…\nDelivery: %s/%s/{image|video|raw}/upload/…\n", s.base, s.cloud, s.base, s.cloud)
	return nil
}

// ServeHTTP runs one request through the network simulation, the fault
// injector and its handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "the sandbox is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	start := time.Now()
	if r.Body != nil && r.Body != http.NoBody {
		body := &idleBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: s.cfg.IdleTimeout}
		r.Body = body
		defer body.done()
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	// Clients measure their clock offset from Date; set it even on
	// answers net/http would not stamp (it does not after a hijack).
	rec.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	rt := s.route(r)
	s.stats.add(rt.endpoint, rt.scope&scopeAdmin != 0)
	fault := ""
	defer func() {
		s.logf("sandbox: %s %s → %s (%s, %d bytes out)%s", r.Method, r.URL.Path, rec.statusText(), time.Since(start).Round(time.Millisecond), rec.written, fault)
	}()

	// A request counts as in the server (above=) from its arrival: the
	// simulated latency is part of its time in flight.
	faults := s.currentFaults()
	defer faults.enter(rt.scope)()
	if d := time.Duration(s.net.latency.Load()); d > 0 {
		if !sleepCtx(r.Context(), d) {
			return
		}
	}
	act := faults.decide(rt.scope)
	if act == nil {
		s.serve(rec, r, rt)
		return
	}
	fault = " [injected " + act.String() + "]"
	s.stats.fault(act.String())
	if act.after {
		// Carry the request out, then lose or replace its answer.
		lost := newDiscardWriter()
		s.serve(lost, r, rt)
	}
	s.inject(rec, r, act)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) {
	if err := rt.handle(w, r); err != nil {
		s.writeError(w, err)
	}
}

// sleepCtx waits d; false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// recorder notes the status and size of an answer for the request log.
type recorder struct {
	http.ResponseWriter
	status   int
	written  int64
	wrote    bool
	hijacked bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status = code
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.hijacked = true
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

func (r *recorder) statusText() string {
	if r.hijacked {
		return "connection taken over"
	}
	return strconv.Itoa(r.status)
}

// discardWriter swallows an answer that an "-after" fault replaces.
type discardWriter struct{ h http.Header }

func newDiscardWriter() *discardWriter               { return &discardWriter{h: http.Header{}} }
func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// counters count requests per endpoint and injected faults per kind.
type counters struct {
	mu       sync.Mutex
	requests map[string]int64
	faults   map[string]int64
	admin    atomic.Int64
}

func newCounters() *counters {
	return &counters{requests: map[string]int64{}, faults: map[string]int64{}}
}

func (c *counters) add(endpoint string, admin bool) {
	c.mu.Lock()
	c.requests[endpoint]++
	c.mu.Unlock()
	if admin {
		c.admin.Add(1)
	}
}

func (c *counters) fault(kind string) {
	c.mu.Lock()
	c.faults[kind]++
	c.mu.Unlock()
}

// adminLimiter is the Admin API's hourly allowance.
type adminLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Time
	used   int
}

func (a *adminLimiter) take(h http.Header, now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	hour := now.UTC().Truncate(time.Hour)
	if !hour.Equal(a.window) {
		a.window, a.used = hour, 0
	}
	reset := hour.Add(time.Hour)
	limit := a.limit
	if limit <= 0 {
		limit = 1 << 30
	}
	h.Set("X-FeatureRateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-FeatureRateLimit-Reset", reset.Format(http.TimeFormat))
	if a.used >= limit {
		h.Set("X-FeatureRateLimit-Remaining", "0")
		e := errorf(420, "Rate Limit Exceeded. Try again on %s", reset.Format("2006-01-02 15:04:05 UTC"))
		e.retryAfter = reset.Sub(now)
		return e
	}
	a.used++
	h.Set("X-FeatureRateLimit-Remaining", strconv.Itoa(limit-a.used))
	return nil
}

// Stats is a snapshot of what the server has seen since it started (or
// since ResetStats).
type Stats struct {
	Requests   map[string]int64 // per endpoint label (Endpoint* constants)
	AdminCalls int64            // Admin and Search API calls, all endpoints
	Faults     map[string]int64 // injected faults per kind ("503", "reset-after", …)
	Assets     int              // assets stored now
	Bytes      int64            // bytes of originals stored now
}

// Stats returns request and fault counters and what the account holds.
func (s *Server) Stats() Stats {
	st := Stats{Requests: map[string]int64{}, Faults: map[string]int64{}}
	s.stats.mu.Lock()
	for k, v := range s.stats.requests {
		st.Requests[k] = v
	}
	for k, v := range s.stats.faults {
		st.Faults[k] = v
	}
	s.stats.mu.Unlock()
	st.AdminCalls = s.stats.admin.Load()
	if all, err := s.store.all(s.ctx); err == nil {
		st.Assets = len(all)
		for _, a := range all {
			st.Bytes += a.Bytes
		}
	}
	return st
}

// Requests returns how many requests reached an endpoint (Endpoint* labels).
func (s *Server) Requests(endpoint string) int64 {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.requests[endpoint]
}

// ResetStats zeroes the request and fault counters.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	s.stats.requests = map[string]int64{}
	s.stats.faults = map[string]int64{}
	s.stats.mu.Unlock()
	s.stats.admin.Store(0)
}

// String lists the counters in a stable order, for test failure messages.
func (st Stats) String() string {
	keys := make([]string, 0, len(st.Requests))
	for k := range st.Requests {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, st.Requests[k])
	}
	fmt.Fprintf(&b, "admin=%d assets=%d bytes=%d", st.AdminCalls, st.Assets, st.Bytes)
	return b.String()
}
