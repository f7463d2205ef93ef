// Package share turns a finished batch of uploads into what people paste
// and read: the links of what is on Cloudinary, in the profile's link format
// (URL, Markdown or HTML), one per line, and a one-sentence summary for a
// desktop notification that says what was copied and, when some failed, how
// many and why.
//
// A Tracker follows one engine's events (core/transfer) and reports each
// batch when the engine has nothing left to do. It touches no clipboard and
// no window: the GUI does both with what it reports. It does not import
// Fyne.
package share

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/transfer"
)

// Report is one finished batch.
type Report struct {
	// Links are the batch's uploads (and files found already uploaded) in
	// the link format, in the order they finished.
	Links    []string
	Names    []string // the files the links are for
	Done     int
	Skipped  int // already on Cloudinary: their existing link is in Links
	Failed   int
	Canceled int
	// Reasons says why the failures failed, most frequent first.
	Reasons []Reason
}

// Reason is one cause of failure and how many files had it.
type Reason struct {
	Words string
	Count int
}

// Text is the links, one per line: what goes on the clipboard.
func (r Report) Text() string { return strings.Join(r.Links, "\n") }

// Notification is the title and sentence a desktop notification shows;
// copied says whether Text went to the clipboard.
func (r Report) Notification(copied bool) (title, body string) {
	var parts []string
	n := len(r.Links)
	switch {
	case r.Failed > 0:
		title = fmt.Sprintf("%s of %d failed", plural(r.Failed, "upload", "uploads"), r.Failed+r.Done+r.Skipped+r.Canceled)
	case copied && n == 1:
		title = "Link copied"
	case copied:
		title = fmt.Sprintf("%d links copied", n)
	default:
		title = "Uploads finished"
	}
	already := ""
	if r.Skipped > 0 {
		already = fmt.Sprintf(" (%d already were)", r.Skipped)
		if r.Skipped == 1 {
			already = " (1 already was)"
		}
	}
	switch {
	case copied && n == 1 && r.Skipped == 1:
		parts = append(parts, r.Names[0]+" was already on Cloudinary; its link is on the clipboard")
	case copied && n == 1:
		parts = append(parts, r.Names[0]+" is on Cloudinary; its link is on the clipboard")
	case copied && n > 1:
		parts = append(parts, fmt.Sprintf("%d files are on Cloudinary%s; their links are on the clipboard, one per line", n, already))
	case r.Done+r.Skipped > 0:
		parts = append(parts, plural(r.Done+r.Skipped, "file is on Cloudinary", "files are on Cloudinary")+already)
	}
	if r.Failed > 0 {
		why := make([]string, len(r.Reasons))
		for i, re := range r.Reasons {
			why[i] = re.Words
			if len(r.Reasons) > 1 {
				why[i] += fmt.Sprintf(" (%d)", re.Count)
			}
		}
		parts = append(parts, fmt.Sprintf("%s failed: %s", plural(r.Failed, "file", "files"), strings.Join(why, ", ")))
	}
	if r.Canceled > 0 {
		parts = append(parts, plural(r.Canceled, "was canceled", "were canceled"))
	}
	if len(parts) == 0 {
		return title, "Nothing was uploaded."
	}
	return title, strings.Join(parts, ". ") + "."

}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Tracker gathers one engine's finished items into batches. Feed it every
// event of a subscription (Event is safe from any goroutine).
type Tracker struct {
	format effects.LinkFormat
	// templates are the profile's, for a template:NAME format.
	templates []Template
	onBatch   func(Report)

	mu      sync.Mutex
	working bool
	order   []transfer.ItemID
	final   map[transfer.ItemID]finished
}

// finished is what the report needs of one file. Its link is made when the
// file ends: keeping the asset instead would hold every asset of a batch of
// thousands until it ends (a plain link is the asset's own string).
type finished struct {
	state transfer.State
	name  string
	link  string
	err   error
}

func (t *Tracker) finishedOf(st transfer.ItemStatus) finished {
	f := finished{state: st.State, name: st.Name, err: st.Err}
	if st.Asset != nil && st.Asset.Link() != "" {
		f.link = BatchLink(t.format, st.Asset, st.Name, t.templates)
	}
	return f
}

// NewTracker reports each batch to onBatch (on the goroutine calling Event),
// with links in format.
func NewTracker(format effects.LinkFormat, onBatch func(Report)) *Tracker {
	return &Tracker{format: format, onBatch: onBatch, final: map[transfer.ItemID]finished{}}
}

// SetTemplates gives the tracker the profile's link templates.
func (t *Tracker) SetTemplates(templates []Template) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.templates = templates
}

// Event takes one engine event.
func (t *Tracker) Event(ev transfer.Event) {
	t.mu.Lock()
	switch ev.Kind {
	case transfer.ItemsAdded, transfer.ItemChanged:
		for _, st := range ev.Items {
			t.working = true
			if st.State.Final() {
				if _, seen := t.final[st.ID]; !seen {
					t.order = append(t.order, st.ID)
				}
				t.final[st.ID] = t.finishedOf(st)
			} else if _, seen := t.final[st.ID]; seen {
				delete(t.final, st.ID) // retried within the batch
			}
		}
	case transfer.ItemsRemoved:
		for _, id := range ev.Removed {
			delete(t.final, id)
		}
	}
	if !t.working || !ev.Batch.Finished() || ev.Batch.Paused {
		t.mu.Unlock()
		return
	}
	r, any := t.reportLocked()
	t.working, t.order, t.final = false, nil, map[transfer.ItemID]finished{}
	t.mu.Unlock()
	if any {
		t.onBatch(r)
	}
}

func (t *Tracker) reportLocked() (Report, bool) {
	var r Report
	reasons := map[string]int{}
	for _, id := range t.order {
		st, ok := t.final[id]
		if !ok {
			continue
		}
		switch st.state {
		case transfer.Done, transfer.Skipped:
			if st.state == transfer.Done {
				r.Done++
			} else {
				r.Skipped++
			}
			if st.link != "" {
				r.Links = append(r.Links, st.link)
				r.Names = append(r.Names, st.name)
			}
		case transfer.Failed:
			r.Failed++
			reasons[Why(st.err)]++
		case transfer.Canceled:
			r.Canceled++
		}
	}
	for w, n := range reasons {
		r.Reasons = append(r.Reasons, Reason{Words: w, Count: n})
	}
	sort.Slice(r.Reasons, func(i, j int) bool {
		if r.Reasons[i].Count != r.Reasons[j].Count {
			return r.Reasons[i].Count > r.Reasons[j].Count
		}
		return r.Reasons[i].Words < r.Reasons[j].Words
	})
	return r, r.Done+r.Skipped+r.Failed+r.Canceled > 0
}

// Why is a failure's cause in a few words, the same for every file that
// failed alike, so a notification can count them.
func Why(err error) string {
	var rej *transfer.RejectedError
	var auth *cloud.AuthError
	switch {
	case err == nil:
		return "unknown reason"
	case errors.Is(err, transfer.ErrTooLarge):
		return "over the size limit"
	case errors.Is(err, transfer.ErrFormatNotAllowed):
		return "format not allowed"
	case errors.Is(err, transfer.ErrNotFound):
		return "file gone"
	case errors.Is(err, transfer.ErrUnreadable), errors.Is(err, transfer.ErrNotAFile):
		return "file unreadable"
	case errors.Is(err, transfer.ErrEmpty):
		return "empty file"
	case errors.Is(err, transfer.ErrTooManyFiles):
		return "too many files in one batch"
	case errors.Is(err, transfer.ErrConflict):
		return "public ID taken by another file"
	case errors.Is(err, cloud.ErrStale):
		return "this computer's clock is off"
	case errors.Is(err, cloud.ErrRefused):
		return "not allowed by the team's grant"
	case errors.As(err, &auth), errors.Is(err, cloud.ErrTokenRejected):
		return "the account refused the credentials"
	case errors.Is(err, transfer.ErrGaveUp), cloud.Retryable(err):
		return "network trouble"
	case errors.As(err, &rej):
		return rej.Kind.Error()
	}
	return "Cloudinary refused it"
}
