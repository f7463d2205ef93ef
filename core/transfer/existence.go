package transfer

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// Before a file counts as already uploaded, the asset the history names is
// looked up on the account: it may have been deleted in the media library or
// the console since. Lookups are batched (ResourcesByIDs takes 100 ids per
// call) and the first one also asks about every other file of the batch that
// the history knows, so a batch costs a few Admin API calls, not one per file.
// When the account cannot be asked (no Admin access, the network), the file
// is uploaded rather than reported as present on a guess.

// existence caches what the account said, per resource type and public_id.
type existence struct {
	round   sync.Mutex // one round of questions at a time: the first asks for the rest
	mu      sync.Mutex
	lookups map[lookupKey]*lookup
	asked   map[string]time.Time // paths whose history was read ahead, and when
	calls   int                  // Admin API calls made, for tests and reports
}

type lookupKey struct{ rt, publicID string }

// lookup is one asset's answer; done closes once res and err are set.
type lookup struct {
	done  chan struct{}
	asset *cloud.Asset // nil when the account does not have it
	err   error        // the account could not be asked
	at    time.Time
}

const (
	// How long an answer stands: long enough for a batch, short enough that
	// a later batch asks again.
	lookupFresh = 5 * time.Minute
	// A failed question is asked again sooner.
	lookupRetryAfter = 30 * time.Second
	// At most this many ids are asked about ahead of need in one round.
	lookupAhead = 5 * cloud.MaxIDsPerLookup
)

func (l *lookup) stale(now time.Time) bool {
	select {
	case <-l.done:
	default:
		return false // in flight
	}
	age := now.Sub(l.at)
	if l.err != nil {
		return age > lookupRetryAfter
	}
	return age > lookupFresh
}

// confirm reports whether the asset h names is still on the account with
// h's bytes: the asset as the account describes it, or nil when it is gone
// or holds other bytes. err means the account could not be asked.
func (e *Engine) confirm(ctx context.Context, h *HistoryEntry) (*cloud.Asset, error) {
	x := &e.exist
	key := lookupKey{rt: orImage(h.ResourceType), publicID: h.PublicID}
	now := time.Now()
	x.mu.Lock()
	if x.lookups == nil {
		x.lookups = map[lookupKey]*lookup{}
	}
	l := x.lookups[key]
	if l == nil || l.stale(now) {
		x.mu.Unlock()
		x.round.Lock()
		x.mu.Lock()
		l = x.lookups[key]
		if l == nil || l.stale(now) {
			x.mu.Unlock()
			e.lookUp(ctx, key)
			x.mu.Lock()
			l = x.lookups[key]
		}
		x.mu.Unlock()
		x.round.Unlock()
		x.mu.Lock()
	}
	x.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	case <-l.done:
	}
	if l.err != nil {
		return nil, l.err
	}
	if l.asset == nil || !sameContent(l.asset, h) {
		return nil, nil
	}
	return l.asset, nil
}

func orImage(rt string) string {
	if rt == "" {
		return Image
	}
	return rt
}

// sameContent compares what the account holds with what was uploaded: the
// etag (MD5) when the answer has one, else the size.
func sameContent(a *cloud.Asset, h *HistoryEntry) bool {
	if a.ETag != "" && h.MD5 != "" {
		return strings.EqualFold(a.ETag, h.MD5)
	}
	if a.Bytes > 0 && h.Size > 0 {
		return a.Bytes == h.Size
	}
	return true
}

// lookUp asks the account about key and, in the same calls, about the
// assets the history names for the batch's other files.
func (e *Engine) lookUp(ctx context.Context, key lookupKey) {
	want := []lookupKey{key}
	if ahead, err := e.journal.uploadsAt(ctx, e.client.Load().Account(), e.cfg.Profile, e.aheadPaths()); err == nil {
		for _, h := range ahead {
			want = append(want, lookupKey{rt: orImage(h.ResourceType), publicID: h.PublicID})
		}
	}
	x := &e.exist
	now := time.Now()
	x.mu.Lock()
	var mine []lookupKey
	for _, k := range want {
		if l := x.lookups[k]; l != nil && !l.stale(now) {
			continue
		}
		if len(mine) >= lookupAhead {
			break
		}
		x.lookups[k] = &lookup{done: make(chan struct{})}
		mine = append(mine, k)
	}
	x.mu.Unlock()
	if len(mine) == 0 {
		return // someone else is asking about key
	}
	byType := map[string][]string{}
	var types []string
	for _, k := range mine {
		if byType[k.rt] == nil {
			types = append(types, k.rt)
		}
		byType[k.rt] = append(byType[k.rt], k.publicID)
	}
	for _, rt := range types {
		ids := byType[rt]
		for len(ids) > 0 {
			part := ids[:min(len(ids), cloud.MaxIDsPerLookup)]
			ids = ids[len(part):]
			found, err := e.client.Load().ResourcesByIDs(ctx, rt, part)
			x.mu.Lock()
			x.calls++
			at := time.Now()
			if ctx.Err() != nil {
				at = time.Time{} // this worker was stopped: ask again next time
			}
			have := map[string]*cloud.Asset{}
			for i := range found {
				have[found[i].PublicID] = &found[i]
			}
			for _, id := range part {
				l := x.lookups[lookupKey{rt, id}]
				l.asset, l.err, l.at = have[id], err, at
				close(l.done)
			}
			x.mu.Unlock()
		}
	}
}

// aheadPaths are files of the batch not yet finished whose history has not
// been read ahead before, in queue order, as many as one round asks about.
func (e *Engine) aheadPaths() []string {
	e.mu.Lock()
	var pending []string
	for _, it := range e.order {
		if !it.state.Final() && it.entry.Path != "" {
			pending = append(pending, it.entry.Path)
		}
	}
	e.mu.Unlock()
	x := &e.exist
	x.mu.Lock()
	defer x.mu.Unlock()
	now := time.Now()
	if x.asked == nil || len(x.asked) > 4*len(pending)+lookupAhead {
		// Forget what is long finished, so the map does not grow forever.
		fresh := map[string]time.Time{}
		for p, at := range x.asked {
			if now.Sub(at) < lookupFresh {
				fresh[p] = at
			}
		}
		x.asked = fresh
	}
	var out []string
	for _, p := range pending {
		if len(out) == lookupAhead {
			break
		}
		if at, ok := x.asked[p]; !ok || now.Sub(at) >= lookupFresh {
			x.asked[p] = now
			out = append(out, p)
		}
	}
	return out
}

// AdminLookups is how many Admin API calls the engine made to confirm that
// files counted as already uploaded are still on the account.
func (e *Engine) AdminLookups() int {
	e.exist.mu.Lock()
	defer e.exist.mu.Unlock()
	return e.exist.calls
}
