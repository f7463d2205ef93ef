package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/searchexpr"
)

// adminAPI answers the Admin API reads the app makes, at Cloudinary's own
// paths (/v1_1/{cloud}/…), on the editor's behalf: a search restricted to
// the editor's folders, and resource lookups inside them. Anything else is
// refused: the service is not an open proxy to the account.
func (s *Service) adminAPI(w http.ResponseWriter, r *request) error {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1_1/"+s.cfg.Account.Cloud+"/")
	if !ok {
		return &problemError{status: http.StatusNotFound, msg: fmt.Sprintf("This service signs for the cloud %q only.", s.cfg.Account.Cloud)}
	}
	parts := strings.Split(rest, "/")
	switch {
	case rest == "resources/search" && (r.Method == http.MethodPost || r.Method == http.MethodGet):
		return s.search(w, r)
	case len(parts) >= 4 && parts[0] == "resources" && r.Method == http.MethodGet:
		return s.resource(w, r, parts[1], parts[2], strings.Join(parts[3:], "/"))
	case len(parts) >= 4 && parts[0] == "resources" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		return s.updateResource(w, r, parts[1], parts[2], strings.Join(parts[3:], "/"))
	case parts[0] == "folders" && r.Method == http.MethodGet:
		return s.listFolders(w, r, strings.Join(parts[1:], "/"))
	case len(parts) >= 2 && parts[0] == "folders" && r.Method == http.MethodPost:
		return s.createFolder(w, r, strings.Join(parts[1:], "/"))
	}
	s.record(r.Context(), AuditEntry{At: s.cfg.Now(), Editor: r.editor.Name, Action: "admin", Outcome: OutcomeRefused, Rule: "route",
		Detail: r.Method + " " + safeForLog(r.URL.Path), Remote: r.remote})
	return refuse("route", "The team service does not offer %s %s; ask the account owner.", r.Method, safeForLog("/"+rest))
}

// searchBody is the Search API request the service passes on, with the
// fields it knows; anything else is refused rather than forwarded blind.
type searchBody struct {
	Expression string              `json:"expression,omitempty"`
	SortBy     []map[string]string `json:"sort_by,omitempty"`
	MaxResults int                 `json:"max_results,omitempty"`
	NextCursor string              `json:"next_cursor,omitempty"`
	WithField  flexList            `json:"with_field,omitempty"`
	Fields     flexList            `json:"fields,omitempty"`
}

// flexList takes a JSON list or one comma-joined string (the Go SDK sends
// some lists that way).
type flexList []string

func (f *flexList) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*f = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*f = splitList(one)
	return nil
}

func (s *Service) search(w http.ResponseWriter, r *request) error {
	var body searchBody
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		body.Expression, body.NextCursor = q.Get("expression"), q.Get("next_cursor")
		body.MaxResults, _ = strconv.Atoi(q.Get("max_results"))
	} else {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := dec.Decode(&body); err != nil {
				return badRequest("The search request is not one the team service passes on: %s.", jsonProblem(err))
			}
		}
	}
	return s.runSearch(w, r, body, "search")
}

// runSearch restricts a search to the editor's folders, answers it from the
// cache or Cloudinary, and keeps out any result outside the folders.
func (s *Service) runSearch(w http.ResponseWriter, r *request, body searchBody, action string) error {
	now := s.cfg.Now()
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: action, Remote: r.remote, Detail: "expression=" + strconv.Quote(body.Expression)}
	restricted, err := Restrict(r.editor.Grant, body.Expression, now)
	if err != nil {
		entry.Outcome, entry.Rule = OutcomeRefused, "expression"
		s.record(r.Context(), entry)
		return badRequest("%s.", upperFirst(err.Error()))
	}
	if body.MaxResults < 0 || body.MaxResults > 500 {
		return badRequest("max_results must be 1 to 500.")
	}
	body.Expression = restricted
	raw, _ := json.Marshal(body)
	// The grant's folders are part of the key: a new grant with other
	// folders must not see the old answers.
	key := r.editor.Name + "\x00" + strings.Join(r.editor.Grant.Folders, "\x00") + "\x00" + string(raw)
	answer, ok := s.cache.get(key, now)
	if !ok {
		if err := s.spend(w, r.editor.Name, now); err != nil {
			entry.Outcome, entry.Rule = OutcomeRefused, "rate"
			s.record(r.Context(), entry)
			return err
		}
		status, hdr, b, err := s.upstream(r.Context(), http.MethodPost, "resources/search", raw)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			entry.Outcome = OutcomeFailed
			s.record(r.Context(), entry)
			return passOn(w, status, hdr, b)
		}
		if answer, err = keepInside(r.editor.Grant, b); err != nil {
			return err
		}
		s.cache.put(key, answer, now, s.cfg.CacheTTL)
	}
	entry.Outcome = OutcomeAnswered
	s.record(r.Context(), entry)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(answer)
	return nil
}

// Restrict parses expr and ANDs the grant's folders onto it as a tree, so
// nothing in expr (a stray parenthesis, an OR) can widen it. The result is
// the canonical text Cloudinary gets.
func Restrict(g Policy, expr string, now time.Time) (string, error) {
	parsed, err := searchexpr.ParseAt(expr, now)
	if err != nil {
		return "", err
	}
	var folders []searchexpr.Expr
	for _, f := range g.Folders {
		e, err := searchexpr.Under("public_id", f)
		if err != nil {
			return "", err
		}
		folders = append(folders, e)
	}
	if len(folders) == 0 {
		return "", errors.New("your access names no folders")
	}
	return searchexpr.And(searchexpr.Or(folders[0], folders[1:]...), parsed).String(), nil
}

// keepInside drops from a search answer any resource outside the grant's
// folders. Cloudinary's prefix search is case-insensitive, so BLOG/x would
// otherwise reach an editor of blog/.
func keepInside(g Policy, b []byte) ([]byte, error) {
	var page map[string]json.RawMessage
	if err := json.Unmarshal(b, &page); err != nil {
		return nil, fmt.Errorf("Cloudinary's search answer could not be read: %w", err)
	}
	var resources []json.RawMessage
	if raw, ok := page["resources"]; ok {
		if err := json.Unmarshal(raw, &resources); err != nil {
			return nil, fmt.Errorf("Cloudinary's search answer could not be read: %w", err)
		}
	}
	kept := resources[:0]
	for _, res := range resources {
		var id struct {
			PublicID string `json:"public_id"`
		}
		if json.Unmarshal(res, &id) == nil && insideAny(g, id.PublicID) {
			kept = append(kept, res)
		}
	}
	if len(kept) == len(resources) {
		return b, nil
	}
	out, err := json.Marshal(kept)
	if err != nil {
		return nil, err
	}
	page["resources"] = out
	return json.Marshal(page)
}

// resource answers a lookup of one asset inside the editor's folders.
func (s *Service) resource(w http.ResponseWriter, r *request, rt, typ, publicID string) error {
	now := s.cfg.Now()
	entry := AuditEntry{At: now, Editor: r.editor.Name, Action: "resource", Remote: r.remote, Detail: fmt.Sprintf("public_id=%q", publicID)}
	if err := CheckRead(r.editor.Grant, publicID); err != nil {
		var ref *Refusal
		errors.As(err, &ref)
		entry.Outcome, entry.Rule = OutcomeRefused, ref.Rule
		s.record(r.Context(), entry)
		return err
	}
	if err := s.spend(w, r.editor.Name, now); err != nil {
		entry.Outcome, entry.Rule = OutcomeRefused, "rate"
		s.record(r.Context(), entry)
		return err
	}
	segs := strings.Split(publicID, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	path := "resources/" + url.PathEscape(rt) + "/" + url.PathEscape(typ) + "/" + strings.Join(segs, "/")
	return s.passOnAudited(w, r, entry, http.MethodGet, path, nil)
}

// gallery answers the web guides' /api/gallery: the editor's assets, newest
// first, as Cloudinary's search answer ({"resources": […], …}).
func (s *Service) gallery(w http.ResponseWriter, r *request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return &problemError{status: http.StatusMethodNotAllowed, msg: "Use GET or POST."}
	}
	q := r.URL.Query()
	body := searchBody{Expression: q.Get("expression"), NextCursor: q.Get("next_cursor"), SortBy: []map[string]string{{"created_at": "desc"}}, WithField: flexList{"tags", "context"}}
	body.MaxResults = 30
	if n, err := strconv.Atoi(q.Get("max_results")); err == nil && n > 0 && n <= 500 {
		body.MaxResults = n
	}
	return s.runSearch(w, r, body, "gallery")
}

// upstream makes one Admin API call to Cloudinary with the account's key
// and secret.
// passOnAudited asks Cloudinary on the editor's behalf, records the
// outcome in the audit and passes the answer on as it came.
func (s *Service) passOnAudited(w http.ResponseWriter, r *request, entry AuditEntry, method, path string, body []byte) error {
	status, hdr, b, err := s.upstream(r.Context(), method, path, body)
	if err != nil {
		return err
	}
	entry.Outcome = OutcomeAnswered
	if status != http.StatusOK {
		entry.Outcome = OutcomeFailed
	}
	s.record(r.Context(), entry)
	return passOn(w, status, hdr, b)
}

func (s *Service) upstream(ctx context.Context, method, path string, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	u := *s.api
	u.Path = strings.TrimRight(u.Path, "/") + "/v1_1/" + s.cfg.Account.Cloud + "/" + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	s.auth.Admin(req)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, nil, &problemError{status: http.StatusBadGateway, msg: "The team service cannot reach Cloudinary right now; try again in a minute."}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return 0, nil, nil, &problemError{status: http.StatusBadGateway, msg: "Cloudinary's answer was cut off; try again."}
	}
	return resp.StatusCode, resp.Header, b, nil
}

// passOn answers with Cloudinary's own status and body, keeping the rate
// limit headers the app reads.
func passOn(w http.ResponseWriter, status int, hdr http.Header, b []byte) error {
	for _, k := range []string{"Retry-After", "X-FeatureRateLimit-Limit", "X-FeatureRateLimit-Remaining", "X-FeatureRateLimit-Reset"} {
		if v := hdr.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
	return nil
}

// spend takes one Admin API call from the editor's hourly share, or says
// when to try again.
func (s *Service) spend(w http.ResponseWriter, editor string, now time.Time) error {
	s.mu.Lock()
	l, ok := s.limiters[editor]
	if !ok {
		per := rate.Limit(float64(s.cfg.AdminPerHour) / 3600)
		l = rate.NewLimiter(per, max(10, s.cfg.AdminPerHour/10))
		s.limiters[editor] = l
	}
	s.mu.Unlock()
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		secs := int(d.Seconds()) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return &problemError{status: http.StatusTooManyRequests, code: cloud.CodeLimited,
			msg: fmt.Sprintf("You have used your share of the account's library requests for now; try again in %s.", humanWait(time.Duration(secs)*time.Second))}
	}
	return nil
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// searchCache keeps recent search answers per editor and query, bounded.
type searchCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cached
}

type cached struct {
	body    []byte
	expires time.Time
}

func newSearchCache(max int) *searchCache {
	return &searchCache{max: max, entries: map[string]cached{}}
}

func (c *searchCache) get(key string, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.body, true
}

func (c *searchCache) put(key string, body []byte, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		// Still full of live answers: forget half of them.
		for k := range c.entries {
			if len(c.entries) < c.max/2 {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[key] = cached{body: body, expires: now.Add(ttl)}
}
