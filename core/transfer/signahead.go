package transfer

import (
	"io"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// signAheadDepth is how many queued files have their upload signed before a
// worker takes them, when signatures come from a team service: enough that
// workers at the ceiling never wait for a round trip to it.
const signAheadDepth = 2 * AutoCeiling

// prepared is what signing ahead learned about a queued file: its identity
// when it was read, and the public_id the signature covers. A worker that
// finds the file unchanged uses them, so it sends exactly the signed
// parameters (and does not hash the file twice).
type prepared struct {
	size     int64
	modTime  time.Time
	md5      string
	rt       string
	format   string
	publicID string
	at       time.Time // when it was signed
}

// preFresh is how long a signature made ahead is counted on: well inside the
// hour Cloudinary accepts it for and the service client's own reuse window,
// so a file that waited longer is signed again ahead rather than by its
// worker.
const preFresh = 30 * time.Minute

// signAhead keeps the next queued files signed by a team service while
// earlier uploads run: one round trip to the service signs many, so an
// upload through a team profile costs no extra round trip of its own. The
// service's client refreshes a signature that would go stale before use.
func (e *Engine) signAhead() error {
	for {
		e.mu.Lock()
		ready := 0
		var todo []*item
		ahead := e.queue
		if !e.client.Load().SignsAhead() {
			ahead = nil
		}
		for i, it := range ahead {
			if ready+len(todo) >= signAheadDepth || i >= 4*signAheadDepth {
				break
			}
			if it.pre != nil && time.Since(it.pre.at) > preFresh {
				// Waited long (a paused queue): sign it again before use.
				it.pre, it.preTried = nil, false
			}
			switch {
			case it.pre != nil:
				ready++
			case it.entry.URL == "" && it.entry.PublicID == "" && !it.preTried:
				it.preTried = true
				todo = append(todo, it)
			}
		}
		// Wait until half the lookahead is used before signing more, so
		// the service sees a few large batches rather than many small ones.
		if ready > signAheadDepth/2 || len(todo) == 0 {
			for _, it := range todo {
				it.preTried = false
			}
			todo = nil
		}
		ch := e.changed
		e.mu.Unlock()
		if len(todo) > 0 {
			e.prepareBatch(todo)
			continue
		}
		select {
		case <-e.ctx.Done():
			return nil
		case <-ch:
		}
	}
}

// prepareBatch reads and plans each file as a worker would, then has the
// service sign them all in one request.
func (e *Engine) prepareBatch(items []*item) {
	var uploads []cloud.PreparedUpload
	var done []*item
	var pres []*prepared
	for _, it := range items {
		if e.ctx.Err() != nil {
			return
		}
		e.mu.Lock()
		if it.itemLive == nil || it.state != Queued {
			e.mu.Unlock()
			continue // taken by a worker meanwhile (and perhaps finished)
		}
		ent, opts := it.entry, it.opts
		e.mu.Unlock()
		pre := e.plan(it, ent, opts)
		if pre == nil {
			continue
		}
		ent.ResourceType, ent.Format = pre.rt, pre.format
		uploads = append(uploads, cloud.PreparedUpload{ResourceType: endpointType(opts), Params: e.params(opts, pre.publicID, ent.Name)})
		done, pres = append(done, it), append(pres, pre)
	}
	if len(uploads) == 0 {
		return
	}
	// A failure here is not the item's: its worker signs it the usual way
	// and reports what the service says then.
	if err := e.client.Load().Prepare(e.ctx, uploads); err != nil {
		return
	}
	e.mu.Lock()
	for i, it := range done {
		if it.state == Queued {
			it.pre = pres[i]
		}
	}
	e.mu.Unlock()
	e.mu.Lock()
	e.signalLocked()
	e.mu.Unlock()
}

// plan hashes a file and plans its public_id; nil when the file cannot be
// read, is chunked (its chunks are signed as they go) or the plan fails
// (the worker reports why).
func (e *Engine) plan(it *item, ent Entry, opts *Options) *prepared {
	f, fi, err := openForUpload(ent.Path, ent.Name)
	if err != nil {
		return nil
	}
	defer f.Close()
	size := fi.Size()
	if size > e.cfg.ChunkSize {
		return nil
	}
	rt, format := Detect(ent.Name, io.NewSectionReader(f, 0, 512))
	if opts.ResourceType != "" && opts.ResourceType != "auto" {
		rt = opts.ResourceType
	}
	sum, err := hashFile(e.ctx, f, size)
	if err != nil {
		return nil
	}
	ent.ResourceType, ent.Format = rt, format
	id, err := e.planPublicID(it.id, opts, ent, sum)
	if err != nil {
		return nil
	}
	return &prepared{size: size, modTime: fi.ModTime(), md5: sum, rt: rt, format: format, publicID: id, at: time.Now()}
}

// preparedFor returns what signing ahead planned for the file, when the file
// is still the one it read.
func (e *Engine) preparedFor(it *item, size int64, modTime time.Time) *prepared {
	e.mu.Lock()
	defer e.mu.Unlock()
	pre := it.pre
	it.pre = nil
	if pre == nil || pre.size != size || !pre.modTime.Equal(modTime) {
		return nil
	}
	return pre
}
