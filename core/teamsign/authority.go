package teamsign

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// Authority is the cloud.Authority of a team profile. Signatures come from
// the service, batched: calls that arrive while a sign request is on the
// wire go out together in the next one, and Prepare signs upcoming uploads
// ahead in one round trip per MaxBatch. A signature is kept and reused (a
// retry, the next chunk) while it is fresh, and asked for again before
// Cloudinary's one-hour limit, so a long chunked upload never goes stale.
type Authority struct {
	client *Client
	now    func() time.Time

	mu       sync.Mutex
	cache    map[string]signed
	pending  []*waiter
	inFlight bool
}

type signed struct {
	params url.Values
	at     time.Time // local clock when the service answered
	err    error     // a refusal is remembered as briefly as a signature
}

type waiter struct {
	key  string
	call SignCall
	done chan struct{}
	res  signed
}

// Freshness is how long a signature is reused: well inside the hour
// Cloudinary accepts it for, so a request sent at the end of the window and
// slowed by the network still arrives in time.
const Freshness = 40 * time.Minute

// refusalMemory is how long a refusal is remembered, so a retry loop does
// not ask the service again and again for the same refused call, but a
// grant widened by the owner is noticed soon.
const refusalMemory = 30 * time.Second

// maxCached bounds the cache; past it, stale entries go first.
const maxCached = 20000

// NewAuthority returns the authority for client.
func NewAuthority(client *Client) *Authority {
	return &Authority{client: client, now: time.Now, cache: map[string]signed{}}
}

// Client is the service client the authority uses.
func (a *Authority) Client() *Client { return a.client }

// key identifies a call by what is signed: action, resource type and the
// params other than timestamp, signature and api_key.
func key(action, rt string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		switch k {
		case "timestamp", "signature", "api_key":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(action + "\x00" + rt)
	for _, k := range keys {
		b.WriteString("\x00" + k + "\x01" + strings.Join(params[k], "\x02"))
	}
	return b.String()
}

func stripped(params url.Values) url.Values {
	out := url.Values{}
	for k, v := range params {
		switch k {
		case "timestamp", "signature", "api_key":
			continue
		}
		out[k] = append([]string(nil), v...)
	}
	return out
}

func (a *Authority) fresh(s signed, now time.Time) bool {
	if s.err != nil {
		return now.Sub(s.at) < refusalMemory
	}
	return now.Sub(s.at) < Freshness
}

// Sign implements cloud.Authority.
func (a *Authority) Sign(ctx context.Context, call cloud.Call, params url.Values) error {
	k := key(call.Action, call.ResourceType, params)
	now := a.now()
	a.mu.Lock()
	if s, ok := a.cache[k]; ok && a.fresh(s, now) {
		a.mu.Unlock()
		return apply(s, params)
	}
	w := &waiter{key: k, call: SignCall{Action: call.Action, ResourceType: call.ResourceType, Params: stripped(params)}, done: make(chan struct{})}
	a.pending = append(a.pending, w)
	start := !a.inFlight
	if start {
		a.inFlight = true
	}
	a.mu.Unlock()
	if start {
		go a.flush()
	}
	select {
	case <-w.done:
		return apply(w.res, params)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apply replaces params with the signed ones.
func apply(s signed, params url.Values) error {
	if s.err != nil {
		return s.err
	}
	for k := range params {
		delete(params, k)
	}
	for k, v := range s.params {
		params[k] = append([]string(nil), v...)
	}
	return nil
}

// flush sends what is pending, batch after batch, until nothing is; calls
// that arrive meanwhile ride in the next batch.
func (a *Authority) flush() {
	for {
		a.mu.Lock()
		batch := a.pending
		if len(batch) > MaxBatch {
			batch = batch[:MaxBatch]
		}
		a.pending = a.pending[len(batch):]
		if len(batch) == 0 {
			a.inFlight = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		calls := make([]SignCall, len(batch))
		for i, w := range batch {
			calls[i] = w.call
		}
		results := a.signNow(context.Background(), calls)
		for i, w := range batch {
			w.res = results[i]
			close(w.done)
		}
	}
}

// signNow signs calls in one request and caches what comes back; a failure
// of the request itself is every call's result.
func (a *Authority) signNow(ctx context.Context, calls []SignCall) []signed {
	out := make([]signed, len(calls))
	results, err := a.client.Sign(ctx, calls)
	at := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.trimLocked(at)
	for i, c := range calls {
		switch {
		case err != nil:
			// Not remembered: the next attempt asks again.
			out[i] = signed{err: err, at: at}
			continue
		case results[i].Error != nil:
			out[i] = signed{err: problem(results[i].Error), at: at}
		default:
			out[i] = signed{params: results[i].Params, at: at}
		}
		a.cache[key(c.Action, c.ResourceType, c.Params)] = out[i]
	}
	return out
}

func problem(p *Problem) error {
	switch p.Code {
	case cloud.CodeToken:
		return &cloud.TokenError{Message: p.Message}
	default:
		return &cloud.PolicyError{Message: p.Message}
	}
}

// trimLocked keeps the cache bounded: stale entries go first, then (a huge
// batch) everything.
func (a *Authority) trimLocked(now time.Time) {
	if len(a.cache) < maxCached {
		return
	}
	for k, s := range a.cache {
		if !a.fresh(s, now) {
			delete(a.cache, k)
		}
	}
	if len(a.cache) >= maxCached {
		clear(a.cache)
	}
}

// Prepare implements cloud.Preparer: it signs upcoming calls now, MaxBatch
// to a request, so that sending them costs no round trip to the service.
// Calls with a fresh signature are skipped.
func (a *Authority) Prepare(ctx context.Context, calls []cloud.PreparedCall) error {
	now := a.now()
	var todo []SignCall
	seen := map[string]bool{}
	a.mu.Lock()
	for _, c := range calls {
		k := key(c.Call.Action, c.Call.ResourceType, c.Params)
		if s, ok := a.cache[k]; (ok && a.fresh(s, now)) || seen[k] {
			continue
		}
		seen[k] = true
		todo = append(todo, SignCall{Action: c.Call.Action, ResourceType: c.Call.ResourceType, Params: stripped(c.Params)})
	}
	a.mu.Unlock()
	for len(todo) > 0 {
		n := min(len(todo), MaxBatch)
		results := a.signNow(ctx, todo[:n])
		if len(results) > 0 && results[0].params == nil && !isRefusal(results[0].err) {
			return results[0].err
		}
		todo = todo[n:]
	}
	return nil
}

// isRefusal tells a per-call refusal (remembered) from a failed request.
func isRefusal(err error) bool {
	switch err.(type) {
	case *cloud.PolicyError, *cloud.TokenError:
		return true
	}
	return false
}

// Admin implements cloud.Authority: Admin API reads go to the service,
// which answers them on the editor's behalf, with the editor's token.
func (a *Authority) Admin(req *http.Request) error {
	cloud.Readdress(req, a.client.base)
	req.Header.Set("Authorization", "Bearer "+a.client.token.Reveal())
	return nil
}
