// Package signer is the team signing service (`cloudup-cli signer serve`):
// it holds the account's API secret, knows each editor by a revocable token
// and a grant (folders, presets, types, formats, edit and delete rights),
// signs only the Upload API calls the grant allows, answers Admin API reads
// on the editor's behalf inside the editor's folders, and records every
// signature and refusal in an audit trail.
//
// It never touches file bytes: editors upload straight to Cloudinary with
// the signatures it returns. Its state (tokens, revocations, audit) lives in
// a Store (SQLite, or PostgreSQL for several instances behind a load
// balancer); what it keeps in memory (the search cache, rate limits) can be
// lost at any time. It must never put the secret or a token into an answer,
// a log line, an error or an audit row.
package signer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/signing"
	"github.com/cloudup/cloudup/core/teamsign"
)

// Account is the Cloudinary account the service signs for.
type Account struct {
	Cloud     string
	APIKey    string
	Secret    cloud.Secret
	Algorithm signing.Algorithm
	APIBase   string // default cloud.DefaultAPIBase
}

// Config is what a Service needs.
type Config struct {
	Store   *Store
	Account Account
	// HTTPClient reaches Cloudinary's Admin API; default cloud.NewHTTPClient().
	HTTPClient *http.Client
	// AdminPerHour is how many Admin API calls each editor may cause an
	// hour (the account's budget, 500 an hour on free plans, is shared by
	// the whole team). Default 200. Cached answers cost nothing.
	AdminPerHour int
	// CacheTTL is how long a search answer is reused for the same editor
	// and query. Default 30 s.
	CacheTTL time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives one line per request (never a token or the secret).
	Log *slog.Logger
}

// Service is the signing service's HTTP handler.
type Service struct {
	cfg      Config
	auth     cloud.SecretAuthority
	api      *url.URL
	delivery effects.Delivery
	http     *http.Client
	mux      *http.ServeMux
	cache    *searchCache

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	// strangers limits how many audit rows requests with bad tokens may
	// write, so a flood of forged tokens cannot fill the database.
	strangers *rate.Limiter
}

// Body limits, applied only after the token is checked.
const (
	maxSignBody  = 8 << 20
	maxSmallBody = 64 << 10
)

// New checks cfg and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("signer: no store")
	}
	a := cfg.Account
	if a.Cloud == "" || a.APIKey == "" || a.Secret == "" {
		return nil, errors.New("the signing service needs the account's cloud name, API key and API secret: give it a profile whose secret is in the keychain (--profile), or CLOUDINARY_URL")
	}
	if a.Algorithm == "" {
		a.Algorithm = signing.SHA1
	}
	if a.APIBase == "" {
		a.APIBase = cloud.DefaultAPIBase
	}
	api, err := url.Parse(strings.TrimRight(a.APIBase, "/"))
	if err != nil || api.Host == "" {
		return nil, fmt.Errorf("API base %q is not a URL like %s", a.APIBase, cloud.DefaultAPIBase)
	}
	delivery, err := effects.DeliveryFor(a.Cloud, a.APIBase)
	if err != nil {
		return nil, err
	}
	cfg.Account = a
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = cloud.NewHTTPClient()
	}
	if cfg.AdminPerHour <= 0 {
		cfg.AdminPerHour = 200
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		cfg: cfg, api: api, delivery: delivery, http: cfg.HTTPClient,
		auth:      cloud.SecretAuthority{APIKey: a.APIKey, Secret: a.Secret, Algorithm: a.Algorithm},
		cache:     newSearchCache(2048),
		limiters:  map[string]*rate.Limiter{},
		strangers: rate.NewLimiter(5, 50),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET "+teamsign.PathWhoAmI, s.authed(maxSmallBody, s.whoami))
	mux.HandleFunc("POST "+teamsign.PathSign, s.authed(maxSignBody, s.sign))
	mux.HandleFunc("POST "+teamsign.PathSignURL, s.authed(maxSmallBody, s.signURL))
	mux.HandleFunc("POST "+teamsign.PathSeedSign, s.authed(maxSmallBody, s.seedSign))
	mux.HandleFunc(teamsign.PathSeedGallery, s.authed(maxSmallBody, s.gallery))
	mux.HandleFunc("/v1_1/", s.authed(maxSmallBody, s.adminAPI))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "", "There is nothing at "+safeForLog(r.URL.Path)+" on the team signing service.")
	})
	s.mux = mux
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	s.cfg.Log.Info("request", "method", r.Method, "path", safeForLog(r.URL.Path), "status", rec.status,
		"editor", rec.editor, "took", time.Since(start).Round(time.Millisecond))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	editor string
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// safeForLog keeps a path from forging log lines: control characters are
// escaped and it is cut short.
func safeForLog(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
		if b.Len() > 200 {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}

// request is what a handler gets: the authenticated editor, the request
// and its bounded body.
type request struct {
	*http.Request
	editor Editor
	remote string
}

type handler func(w http.ResponseWriter, r *request) error

// authed checks the bearer token before reading a byte of the body, then
// bounds the body to limit. A refusal of the token closes the connection so
// a large unread body is not drained.
func (s *Service) authed(limit int64, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		remote, _, _ := net.SplitHostPort(r.RemoteAddr)
		token, ok := bearer(r)
		now := s.cfg.Now()
		var (
			ed  Editor
			err error
		)
		if !ok {
			err = errNoToken
		} else {
			ed, err = s.cfg.Store.Authenticate(r.Context(), token, now)
		}
		if err != nil {
			s.refuseToken(w, r, ed, remote, err, now)
			return
		}
		if rec, ok := w.(*statusRecorder); ok {
			rec.editor = ed.Name
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := h(w, &request{Request: r, editor: ed, remote: remote}); err != nil {
			s.fail(w, err)
		}
	}
}

var errNoToken = errors.New("this request has no token: sign in to the team in Cloudup's Settings (or send Authorization: Bearer TOKEN)")

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// refuseToken answers a request whose token is missing, forged, revoked or
// expired, and records it (rate limited for unknown tokens).
func (s *Service) refuseToken(w http.ResponseWriter, r *http.Request, ed Editor, remote string, err error, now time.Time) {
	var expired *ExpiredError
	status, msg := http.StatusUnauthorized, upperFirst(err.Error())+"."
	switch {
	case errors.Is(err, ErrBadToken), errors.Is(err, errNoToken), errors.Is(err, ErrRevoked), errors.As(err, &expired):
	default:
		// The database is down: not the editor's fault.
		s.cfg.Log.Error("authenticating", "err", err)
		status, msg = http.StatusServiceUnavailable, "The team signing service cannot check tokens right now; try again in a minute."
	}
	w.Header().Set("Connection", "close")
	code := cloud.CodeToken
	if status != http.StatusUnauthorized {
		code = ""
	}
	writeProblem(w, status, code, msg)
	if ed.Name != "" || s.strangers.AllowN(now, 1) {
		s.record(r.Context(), AuditEntry{At: now, Editor: ed.Name, Action: actionOf(r), Outcome: OutcomeRefused, Rule: "token", Detail: msg, Remote: remote})
	}
}

func actionOf(r *http.Request) string {
	switch p := r.URL.Path; {
	case p == teamsign.PathSign:
		return "sign"
	case p == teamsign.PathSignURL:
		return "sign-url"
	case strings.HasPrefix(p, "/v1_1/"):
		return "admin"
	default:
		return strings.TrimPrefix(p, "/")
	}
}

// record writes audit entries; a failure is logged, not fatal to the
// answer already decided.
func (s *Service) record(ctx context.Context, entries ...AuditEntry) {
	if err := s.cfg.Store.Record(context.WithoutCancel(ctx), entries...); err != nil {
		s.cfg.Log.Error("audit", "err", err)
	}
}

// fail answers an error a handler returned.
func (s *Service) fail(w http.ResponseWriter, err error) {
	var (
		ref *Refusal
		pe  *problemError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ref):
		writeProblem(w, http.StatusForbidden, cloud.CodePolicy, ref.Message)
	case errors.As(err, &pe):
		writeProblem(w, pe.status, pe.code, pe.msg)
	case errors.As(err, &mbe):
		w.Header().Set("Connection", "close")
		writeProblem(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("The request is over the service's %d-byte limit; send fewer items at once.", mbe.Limit))
	default:
		s.cfg.Log.Error("request failed", "err", err)
		writeProblem(w, http.StatusBadGateway, "", "The team signing service could not finish this; try again.")
	}
}

// problemError is an answer with a status and a sentence.
type problemError struct {
	status int
	code   string
	msg    string
}

func (e *problemError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &problemError{status: http.StatusBadRequest, code: cloud.CodeInvalid, msg: fmt.Sprintf(format, args...)}
}

func writeProblem(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]teamsign.Problem{"error": {Message: msg, Code: code}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes a bounded body into v, refusing unknown shapes.
func readJSON(r *request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("The request body is not the JSON this route takes: %s.", jsonProblem(err))
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s has the wrong type", te.Field)
	case errors.Is(err, io.EOF):
		return "it is empty"
	}
	return "it could not be read"
}

func (s *Service) whoami(w http.ResponseWriter, r *request) error {
	writeJSON(w, http.StatusOK, teamsign.WhoAmI{
		Editor: r.editor.Name, Cloud: s.cfg.Account.Cloud, APIKey: s.cfg.Account.APIKey,
		APIBase: s.cfg.Account.APIBase, Grant: r.editor.Grant,
	})
	return nil
}
