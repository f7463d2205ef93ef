// Package transfer is Cloudup's upload engine: a queue of items uploaded by
// a bounded pool of workers, with retries, client-side limits, duplicate
// detection, exactly-once public_ids, and a durable journal and history in
// an embedded SQL database, so a crash or kill loses nothing and a resumed
// chunked upload continues from its first unacknowledged chunk.
//
// It talks to Cloudinary only through core/cloud, knows nothing of profiles
// (the caller maps a profile onto Config), and nothing of windows or
// terminals: it emits neutral events that the GUI and the CLI render.
//
// Exactly once. Every item gets its public_id planned once, before its first
// request, and written to the journal; every attempt sends that public_id
// with overwrite=false, so when the server stored a file but its answer was
// lost, the retry gets the stored asset back ("existing": true) instead of
// making a second one, and its etag is checked against the local MD5. With an
// empty template the planned id is Cloudinary-like (20 lowercase letters and
// digits) but derived from profile, folder, path and MD5 ({uid}), so the same
// file planned twice gets the same id even without the journal.
//
// Invalid signature. A wrong secret or algorithm fails every request alike,
// so the first such answer stops the batch: every item not yet done fails at
// once with the same words, stays resumable in the journal, and Retry (after
// SetClient with the right secret) picks them up again.
package transfer

import (
	"errors"
	"fmt"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
)

// ItemID names an item in the engine and the journal.
type ItemID string

// Item is one thing to upload: a local file (Path) or a remote URL that
// Cloudinary fetches itself (URL). In-memory images are spooled to a file by
// core/source first, so they resume like any file.
type Item struct {
	Path string
	URL  string
	// Name is what people see; default the file's base name or the URL's last
	// path segment.
	Name string
	// Spool marks Path as a copy the engine may delete once the item is done
	// and cleared.
	Spool bool
	// Size is the file's size when it was found (0: not known). It is shown
	// and counted until the engine checks the file itself.
	Size int64
	// Options overrides the engine's default options for this item.
	Options *Options
}

// Options are the upload choices for an item.
type Options struct {
	Folder string `json:"folder,omitempty"`
	// AssetFolder places the asset on dynamic-folder accounts; when empty and
	// DynamicFolders is set, Folder is used.
	AssetFolder    string `json:"asset_folder,omitempty"`
	DynamicFolders bool   `json:"dynamic_folders,omitempty"`
	// PublicIDTemplate builds the public_id, e.g. "{name}" or "{name}-{md5:8}"
	// (see ParseTemplate); empty means a stable Cloudinary-like id ({uid}).
	PublicIDTemplate string            `json:"public_id_template,omitempty"`
	Tags             []string          `json:"tags,omitempty"`
	Context          map[string]string `json:"context,omitempty"` // alt, caption…
	// DisplayName is the name the asset shows under; empty means the file's
	// name (sent on dynamic-folder accounts).
	DisplayName string `json:"display_name,omitempty"`
	Preset      string `json:"preset,omitempty"`
	// Overwrite replaces an existing asset with the same public_id (a new
	// version). Off by default: then an existing asset is returned as is.
	Overwrite bool `json:"overwrite,omitempty"`
	// ResourceType is "auto" (default), "image", "video" or "raw".
	ResourceType string `json:"resource_type,omitempty"`
	// Force uploads a file even when the same content was already uploaded
	// under this profile and folder.
	Force bool `json:"force,omitempty"`
}

// Limits are a profile's client-side rules. Zero values mean no limit.
type Limits struct {
	MaxImageBytes  int64
	MaxVideoBytes  int64
	MaxRawBytes    int64
	AllowedFormats []string // extensions without the dot; empty allows all
	MaxFiles       int      // items in the engine at once
}

// State is where an item is, in words people read.
type State string

const (
	Queued    State = "queued"
	Checking  State = "checking"
	Uploading State = "uploading"
	Retrying  State = "retrying"
	Done      State = "done"
	Skipped   State = "skipped" // already uploaded: Asset holds the existing link
	Failed    State = "failed"
	Canceled  State = "canceled"
)

// Final reports whether the item will not move again without Retry.
func (s State) Final() bool {
	switch s {
	case Done, Skipped, Failed, Canceled:
		return true
	}
	return false
}

// Errors an item can fail with on this side, before anything is sent.
var (
	ErrNotFound         = errors.New("file not found")
	ErrUnreadable       = errors.New("file cannot be read")
	ErrEmpty            = errors.New("file is empty")
	ErrNotAFile         = errors.New("not a regular file")
	ErrTooLarge         = errors.New("file is over the profile's size limit")
	ErrFormatNotAllowed = errors.New("format not allowed by the profile")
	ErrTooManyFiles     = errors.New("more files than the profile allows in one batch")
	ErrConflict         = errors.New("another file already has this public_id")
	ErrMismatch         = errors.New("Cloudinary stored different bytes")
	ErrGaveUp           = errors.New("gave up after repeated failures")
	ErrHalted           = errors.New("batch stopped")
	ErrBadTemplate      = errors.New("bad public ID template")
)

// RejectedError says why an item was refused before upload, and what to do.
type RejectedError struct {
	Kind   error // one of the Err* values above
	Reason string
	// Size and Limit are the file's size and the profile's limit, in
	// bytes, when Kind is ErrTooLarge.
	Size, Limit int64
}

func (e *RejectedError) Error() string { return e.Reason }
func (e *RejectedError) Unwrap() error { return e.Kind }

// GaveUpError is an item whose retries ran out.
type GaveUpError struct {
	Attempts int
	For      time.Duration
	Last     error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("gave up after %d attempts over %s: %v; resume later with 'cloudup-cli upload --resume' or Retry",
		e.Attempts, e.For.Round(time.Second), e.Last)
}

func (e *GaveUpError) Unwrap() []error { return []error{ErrGaveUp, e.Last} }

// Resumable reports whether an item that failed with err may succeed when it
// is resumed or retried later (network, server, credentials), rather than
// being refused for what the file is.
func Resumable(err error) bool { return resumable(err) }

// resumable reports whether a failure may succeed when the item is resumed
// later: network trouble, the server, rate limits, credentials (a secret or
// team token put right, a grant widened). Refusals of the file itself are
// final.
func resumable(err error) bool {
	var ae *cloud.AuthError
	return cloud.Retryable(err) || errors.Is(err, ErrGaveUp) || errors.As(err, &ae) || errors.Is(err, ErrHalted) ||
		errors.Is(err, cloud.ErrTokenRejected) || errors.Is(err, cloud.ErrRefused)
}
