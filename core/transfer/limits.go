package transfer

import (
	"errors"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// Cloudinary states an account's size limit only when it refuses a file
// ("File size too large. Got N. Maximum is M."), and only after the whole
// file (every chunk) was sent. Once it has said so, the batch's other files
// of that kind over the limit fail at once, before a byte leaves: on a slow
// link each of them was minutes of sending for the same refusal. A limit
// is kept per account and resource type, for an hour (a plan can change).

// knownLimit is a size limit Cloudinary stated.
type knownLimit struct {
	bytes int64
	at    time.Time
}

const knownLimitFor = time.Hour

// learnLimit keeps the limit err states, if it is a size refusal of it (a
// file of type rt), and stops the other uploads of that kind over it that
// are on their way: they would be refused the same way once sent.
func (e *Engine) learnLimit(it *item, rt string, err error) {
	var tl *cloud.TooLargeError
	if !errors.As(err, &tl) || tl.Limit <= 0 {
		return
	}
	key := e.client.Load().Account() + "\x00" + rt
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.limits == nil {
		e.limits = map[string]knownLimit{}
	}
	e.limits[key] = knownLimit{bytes: tl.Limit, at: e.clock.Now()}
	for _, other := range e.active {
		if other != it && other.entry.ResourceType == rt && other.entry.Size > tl.Limit {
			other.stopRun(tooLarge(other.entry.Size, tl.Limit, "Stopped"))
		}
	}
}

// overKnownLimit refuses a file of size bytes and type rt that Cloudinary
// already said this account does not take, in the words Cloudinary used.
func (e *Engine) overKnownLimit(rt string, size int64) error {
	key := e.client.Load().Account() + "\x00" + rt
	e.mu.Lock()
	l, ok := e.limits[key]
	e.mu.Unlock()
	if !ok || size <= l.bytes || e.clock.Now().Sub(l.at) > knownLimitFor {
		return nil
	}
	return tooLarge(size, l.bytes, "Not sent")
}

// tooLarge is Cloudinary's refusal, said for it; what tells the details
// whether the file was "Not sent" or "Stopped".
func tooLarge(size, limit int64, what string) *cloud.TooLargeError {
	return cloud.TooLarge(size, limit, "("+what+": Cloudinary refused a file of this kind over that size earlier in this batch.)")
}
