package transfer

import "fmt"

// UploadAgain uploads a file that was skipped as already on Cloudinary,
// as a new asset (what Force does), e.g. when the existing one is not the
// one wanted. The item goes back to the queue under the same id.
func (e *Engine) UploadAgain(id ItemID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	it, ok := e.items[id]
	if !ok {
		return fmt.Errorf("no upload %s in the queue", id)
	}
	if it.state != Skipped {
		return fmt.Errorf("%s is %s; only a file found already uploaded can be uploaded again", it.name(), it.state)
	}
	e.reviveLocked(it)
	forced := *it.opts // shared with other items: a copy of its own
	forced.Force = true
	opts := &forced
	key := itemKey(it.entry.Path, it.entry.URL, opts)
	if prev := e.byKey[key]; prev != nil && prev != it && !prev.state.Final() {
		return nil // already on its way
	}
	if old := it.key(); e.byKey[old] == it {
		delete(e.byKey, old)
	}
	it.opts = opts
	e.byKey[key] = it
	old := it.entry
	// Its journal row went with the skip; the journaler writes a new one.
	it.entry = Entry{ID: it.id, Profile: old.Profile, Path: old.Path, URL: old.URL, Name: old.Name, Spool: old.Spool,
		Options: opts, State: Queued, Resumable: true}
	it.journaled = false
	it.asset, it.attempt, it.resumed = nil, 0, false
	it.sent.Store(0)
	if it.running {
		// Skipped is said before its worker has settled the run: queued
		// now, a second worker would run it beside the first.
		it.againQueued = true
	} else {
		e.queue = append(e.queue, it)
	}
	e.setStateLocked(it, Queued, "queued (upload again)", nil)
	e.wakeJournaler()
	return nil
}
