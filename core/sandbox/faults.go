package sandbox

import (
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrFaultSpec is what every fault specification error unwraps to.
var ErrFaultSpec = errors.New("invalid fault specification")

// FaultSpecError says what is wrong with a fault specification.
type FaultSpecError struct {
	Clause string // the offending clause
	Reason string
}

func (e *FaultSpecError) Error() string {
	return fmt.Sprintf("fault spec %q: %s (see `cloudup-cli sandbox -h` for the syntax)", e.Clause, e.Reason)
}

func (e *FaultSpecError) Unwrap() error { return ErrFaultSpec }

// faultAction is one injected failure.
type faultAction struct {
	kind  string // 500, 502, 503, 420, 429, reset, stall
	after bool   // act after carrying the request out
	retry time.Duration
}

func (a *faultAction) String() string {
	if a.after {
		return a.kind + "-after"
	}
	return a.kind
}

var faultKinds = map[string]bool{"500": true, "502": true, "503": true, "420": true, "429": true, "reset": true, "stall": true}

var faultScopes = map[string]scope{
	"upload": scopeUpload, "chunk": scopeChunk, "final": scopeFinal, "api": scopeAPI,
	"admin": scopeAdmin, "search": scopeSearch, "delivery": scopeDelivery, "all": scopeAll,
}

type faultRule struct {
	scope    scope
	rate     float64
	kinds    []*faultAction
	schedule []*faultAction // nil entries are "ok"
	skip     int
	max      int
	above    int // only when more than this many requests of the scope are in the server; 0: always

	inflight int

	rng      *rand.Rand
	seen     int
	injected int
}

// faultInjector decides, request by request, whether to fail it.
type faultInjector struct {
	mu    sync.Mutex
	rules []*faultRule
}

// parseFaults reads a fault specification; "" means none.
func parseFaults(spec string, seed int64) (*faultInjector, error) {
	fi := &faultInjector{}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return fi, nil
	}
	for i, text := range strings.Split(spec, ";") {
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		rule, err := parseFaultRule(text)
		if err != nil {
			return nil, err
		}
		rule.rng = rand.New(rand.NewSource(seed + int64(i)*7919))
		fi.rules = append(fi.rules, rule)
	}
	return fi, nil
}

func parseFaultRule(text string) (*faultRule, error) {
	values, order, err := splitFaultClauses(text)
	if err != nil {
		return nil, err
	}
	r := &faultRule{scope: scopeAll}
	st := &faultRuleState{rule: r, retry: 2 * time.Second}
	for _, k := range order {
		handle, ok := faultClauses[k]
		if !ok {
			return nil, &FaultSpecError{k, "unknown key; use rate, kinds, schedule, on, skip, max, above or retry"}
		}
		if err := handle(st, k, values[k]); err != nil {
			return nil, err
		}
	}
	if _, hasRate := values["rate"]; !hasRate && r.schedule == nil {
		return nil, &FaultSpecError{text, "give rate= (with kinds=) or schedule="}
	}
	if _, hasRate := values["rate"]; hasRate && r.schedule != nil {
		return nil, &FaultSpecError{text, "use either rate= or schedule= in one rule, not both (separate rules with ;)"}
	}
	if r.kinds != nil && r.schedule != nil {
		return nil, &FaultSpecError{text, "kinds= goes with rate=; a schedule names its kinds itself"}
	}
	if r.schedule == nil && r.kinds == nil {
		r.kinds = []*faultAction{{kind: "500"}}
	}
	for _, a := range append(append([]*faultAction{}, r.kinds...), r.schedule...) {
		if a != nil {
			a.retry = st.retry
		}
	}
	return r, nil
}

// splitFaultClauses reads "key=v1+v2, v3, key2=v" into each key's values
// (lower-cased) in the order the keys were given.
func splitFaultClauses(text string) (map[string][]string, []string, error) {
	values := map[string][]string{}
	var order []string
	key := ""
	for _, clause := range strings.Split(text, ",") {
		clause = strings.TrimSpace(clause)
		if clause == "" {
			continue
		}
		if k, v, ok := strings.Cut(clause, "="); ok {
			key = strings.ToLower(strings.TrimSpace(k))
			if _, dup := values[key]; dup {
				return nil, nil, &FaultSpecError{clause, fmt.Sprintf("%s is given twice", key)}
			}
			order = append(order, key)
			values[key] = nil
			clause = v
		} else if key == "" {
			return nil, nil, &FaultSpecError{clause, "expected key=value (rate=, kinds=, schedule=, on=, skip=, max=, above=, retry=)"}
		}
		for _, v := range strings.Split(clause, "+") {
			if v = strings.TrimSpace(v); v != "" {
				values[key] = append(values[key], strings.ToLower(v))
			}
		}
	}
	return values, order, nil
}

// faultRuleState is a rule being built from its clauses.
type faultRuleState struct {
	rule  *faultRule
	retry time.Duration
}

// faultClauses handle each key of a fault rule.
var faultClauses = map[string]func(st *faultRuleState, key string, vals []string) error{
	"rate": func(st *faultRuleState, k string, vals []string) error {
		v, err := oneFaultValue(k, vals)
		if err != nil {
			return err
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return &FaultSpecError{"rate=" + v, "rate is a probability between 0 and 1"}
		}
		st.rule.rate = f
		return nil
	},
	"skip":  faultCount,
	"max":   faultCount,
	"above": faultCount,
	"retry": func(st *faultRuleState, k string, vals []string) error {
		v, err := oneFaultValue(k, vals)
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return &FaultSpecError{"retry=" + v, "needs a duration such as 2s or 500ms"}
		}
		st.retry = d
		return nil
	},
	"on": func(st *faultRuleState, k string, vals []string) error {
		st.rule.scope = 0
		for _, v := range vals {
			sc, ok := faultScopes[v]
			if !ok {
				return &FaultSpecError{"on=" + v, "scope must be upload, chunk, final, api, admin, search, delivery or all"}
			}
			st.rule.scope |= sc
		}
		if st.rule.scope == 0 {
			return &FaultSpecError{"on=", "needs at least one scope"}
		}
		return nil
	},
	"kinds":    faultActions,
	"schedule": faultActions,
}

func oneFaultValue(k string, vals []string) (string, error) {
	if len(vals) != 1 {
		return "", &FaultSpecError{k + "=" + strings.Join(vals, "+"), "needs exactly one value"}
	}
	return vals[0], nil
}

// faultCount handles skip=, max= and above=.
func faultCount(st *faultRuleState, k string, vals []string) error {
	v, err := oneFaultValue(k, vals)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return &FaultSpecError{k + "=" + v, "needs a whole number ≥ 0"}
	}
	switch k {
	case "skip":
		st.rule.skip = n
	case "above":
		st.rule.above = n
	default:
		st.rule.max = n
	}
	return nil
}

// faultActions handles kinds= and schedule= (where "ok" is a pass).
func faultActions(st *faultRuleState, k string, vals []string) error {
	if len(vals) == 0 {
		return &FaultSpecError{k + "=", "needs at least one kind"}
	}
	for _, v := range vals {
		if k == "schedule" && v == "ok" {
			st.rule.schedule = append(st.rule.schedule, nil)
			continue
		}
		a, err := parseFaultAction(v)
		if err != nil {
			return err
		}
		if k == "kinds" {
			st.rule.kinds = append(st.rule.kinds, a)
		} else {
			st.rule.schedule = append(st.rule.schedule, a)
		}
	}
	return nil
}

func parseFaultAction(v string) (*faultAction, error) {
	a := &faultAction{kind: v}
	if k, ok := strings.CutSuffix(v, "-after"); ok {
		a.kind, a.after = k, true
	} else if k, ok := strings.CutSuffix(v, "-before"); ok {
		a.kind = k
	}
	if !faultKinds[a.kind] {
		return nil, &FaultSpecError{v, "kind must be 500, 502, 503, 420, 429, reset or stall, optionally ending in -after"}
	}
	return a, nil
}

// decide returns the failure to inject into a request of scope sc, or nil.
func (fi *faultInjector) decide(sc scope) *faultAction {
	if fi == nil {
		return nil
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	for _, r := range fi.rules {
		if r.scope&sc == 0 || (r.above > 0 && r.inflight <= r.above) {
			continue
		}
		r.seen++
		if r.seen <= r.skip || (r.max > 0 && r.injected >= r.max) {
			continue
		}
		var a *faultAction
		if r.schedule != nil {
			if i := r.seen - r.skip - 1; i < len(r.schedule) {
				a = r.schedule[i]
			}
		} else if r.rng.Float64() < r.rate {
			a = r.kinds[r.rng.Intn(len(r.kinds))]
		}
		if a != nil {
			r.injected++
			return a
		}
	}
	return nil
}

// enter counts a request of scope sc as in the server (for above=) until
// the returned func is called.
func (fi *faultInjector) enter(sc scope) func() {
	if fi == nil {
		return func() {}
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	var counted []*faultRule
	for _, r := range fi.rules {
		if r.above > 0 && r.scope&sc != 0 {
			r.inflight++
			counted = append(counted, r)
		}
	}
	return func() {
		fi.mu.Lock()
		defer fi.mu.Unlock()
		for _, r := range counted {
			r.inflight--
		}
	}
}

// inject answers a request with the failure a describes.
func (s *Server) inject(w *recorder, r *http.Request, a *faultAction) {
	switch a.kind {
	case "reset":
		if !a.after {
			// Take part of the body first, so the client is cut off
			// mid-upload rather than before it starts.
			half := int64(64 << 10)
			if r.ContentLength > 0 && r.ContentLength/2 < half {
				half = r.ContentLength / 2
			}
			io.CopyN(io.Discard, r.Body, half)
		}
		conn, _, err := w.Hijack()
		if err != nil {
			s.logf("sandbox: cannot reset the connection (%v); answering 500 instead", err)
			s.writeError(w, errorf(http.StatusInternalServerError, "Connection reset (injected)"))
			return
		}
		resetConn(conn)
	case "stall":
		if !a.after {
			io.Copy(io.Discard, r.Body)
		}
		<-r.Context().Done()
		// Never answer, not even when the server shuts down: net/http
		// would send an empty 200 for a handler that returns silently.
		if conn, _, err := w.Hijack(); err == nil {
			conn.Close()
		}
	case "500":
		s.writeError(w, errorf(http.StatusInternalServerError, "General Error (injected by the sandbox)"))
	case "502", "503":
		code, _ := strconv.Atoi(a.kind)
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(a.retry)))
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center></body></html>\n", code, http.StatusText(code), code, http.StatusText(code))
	case "420":
		at := s.now().Add(a.retry).UTC()
		e := errorf(420, "Rate Limit Exceeded. Try again on %s", at.Format("2006-01-02 15:04:05 UTC"))
		e.retryAfter = a.retry
		w.Header().Set("X-FeatureRateLimit-Reset", at.Format(http.TimeFormat))
		w.Header().Set("X-FeatureRateLimit-Remaining", "0")
		s.writeError(w, e)
	case "429":
		e := errorf(http.StatusTooManyRequests, "Too many concurrent requests. Try again in %d seconds", retrySeconds(a.retry))
		e.retryAfter = a.retry
		s.writeError(w, e)
	}
}

func retrySeconds(d time.Duration) int {
	n := int((d + time.Second - 1) / time.Second)
	if n < 1 {
		n = 1
	}
	return n
}
