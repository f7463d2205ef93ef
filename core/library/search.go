package library

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"unicode"

	"github.com/cloudup/cloudup/core/cloud"
)

// DefaultPageSize is how many assets one Search API call asks for. Each call
// costs one Admin API call from the account's hourly allowance (500 on the
// free plan), so pages are large: 10,000 assets cost 100 calls, and only as
// far as the user scrolls.
const DefaultPageSize = 100

// Searcher runs one Search API call; *cloud.Client is one.
type Searcher interface {
	Search(ctx context.Context, q cloud.SearchQuery) (*cloud.SearchResult, error)
}

// Filter is what the user narrows the gallery with. Empty fields do not
// filter.
type Filter struct {
	// Folder shows assets in this folder and its subfolders ("blog" shows
	// blog/2024 too). Slashes at either end are ignored.
	Folder string
	// Text matches words of the public_id, file name, display name, tags and
	// context values: every word the user types must start one of theirs.
	Text string
	// Tag is one exact tag.
	Tag string
}

// Expression is the Search API expression for f; "" matches everything.
// User text is escaped so that it is searched for, never read as syntax.
func (f Filter) Expression() string {
	// Invalid UTF-8 (a paste from a broken source) cannot be searched for
	// and makes the whole expression invalid: drop it.
	f.Folder, f.Text, f.Tag = strings.ToValidUTF8(f.Folder, ""), strings.ToValidUTF8(f.Text, ""), strings.ToValidUTF8(f.Tag, "")
	var parts []string
	if folder := strings.Trim(strings.TrimSpace(f.Folder), "/"); folder != "" {
		// "folder:X/*" is X and everything below it, in fixed- and
		// dynamic-folder accounts alike.
		parts = append(parts, "folder:"+escapeWord(folder)+"/*")
	}
	for _, word := range words(f.Text) {
		// A bare prefix searches public_id, filename, display_name, tags
		// and context at once, one Admin API call for all of them.
		parts = append(parts, escapeWord(word)+"*")
	}
	if tag := strings.TrimSpace(f.Tag); tag != "" {
		parts = append(parts, "tags="+Quote(tag))
	}
	return strings.Join(parts, " AND ")
}

// IsZero reports whether f filters nothing.
func (f Filter) IsZero() bool { return f.Expression() == "" }

// words splits text the way the Search API tokenizes what it indexes: runs
// of letters and digits. "beach-sunset.jpg" is beach, sunset, jpg.
func words(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// escapeWord makes s one literal word of a search expression: characters
// other than letters, digits and _ . / - are preceded by a backslash, as is
// a leading - (negation) and a word that would read as a keyword.
func escapeWord(s string) string {
	var b strings.Builder
	switch s {
	case "AND", "OR", "NOT", "TO":
		b.WriteByte('\\')
	}
	for i, r := range s {
		plain := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '/' || (r == '-' && i > 0)
		if !plain {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Quote returns s as a quoted search value: matched exactly, with no
// wildcards. Backslashes and quotes inside are escaped.
func Quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// NewQuery is the gallery's search for expression: newest first, pageSize
// per page (DefaultPageSize when 0), with tags and context in each result.
func NewQuery(expression string, pageSize int) cloud.SearchQuery {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	return cloud.SearchQuery{
		Expression: expression,
		SortBy:     []cloud.SortField{{Field: "created_at", Direction: "desc"}},
		MaxResults: pageSize,
		WithField:  []string{"tags", "context"},
	}
}

// Pager walks a search page by page with next_cursor. One caller asks for
// one page at a time; More, Total and Calls may be read meanwhile from
// other goroutines (a view drawing while a page is on its way).
type Pager struct {
	search Searcher
	mu     sync.Mutex // guards the fields below
	query  cloud.SearchQuery
	total  int
	calls  int
	done   bool
}

// NewPager starts a walk through the results of q from its first page (or
// from q.NextCursor when set).
func NewPager(s Searcher, q cloud.SearchQuery) *Pager {
	return &Pager{search: s, query: q}
}

// Next returns the next page of assets; io.EOF once the last page has been
// returned. A failed call can be repeated: the cursor only moves on success.
func (p *Pager) Next(ctx context.Context) ([]cloud.Asset, error) {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return nil, io.EOF
	}
	p.calls++
	q := p.query
	p.mu.Unlock()
	res, err := p.search.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = res.TotalCount
	p.query.NextCursor = res.NextCursor
	if res.NextCursor == "" {
		p.done = true
	}
	return res.Resources, nil
}

// More reports whether Next may return more assets.
func (p *Pager) More() bool { p.mu.Lock(); defer p.mu.Unlock(); return !p.done }

// Total is the match count the server last reported.
func (p *Pager) Total() int { p.mu.Lock(); defer p.mu.Unlock(); return p.total }

// Calls is how many Search API calls Next has made.
func (p *Pager) Calls() int { p.mu.Lock(); defer p.mu.Unlock(); return p.calls }

// ErrSuperseded is returned by Browser.LoadMore when the filter changed (or
// Refresh was called) while the page was on its way: the page is dropped.
var ErrSuperseded = errors.New("the search changed before this page arrived")

// BrowserState is a snapshot of a Browser for drawing.
type BrowserState struct {
	Filter  Filter
	Len     int   // assets loaded so far
	Total   int   // matches the server reported (0 before the first page)
	Done    bool  // every page has been loaded
	Loading bool  // a page is on its way
	Err     error // why the last page failed; nil after a success
	Calls   int   // Search API calls for this filter so far
}

// Browser is the gallery's list of assets for one filter at a time, loaded
// page by page as the user scrolls. Pages are appended in order and at most
// one request is in flight; a new filter cancels it and starts over. It is
// safe for concurrent use; LoadMore blocks, so views call it off the UI
// goroutine and everything else anywhere.
type Browser struct {
	search   Searcher
	pageSize int
	// ahead is how close to the end of what is loaded a visible cell must be
	// for the next page to be wanted.
	ahead int

	mu      sync.Mutex
	filter  Filter
	gen     uint64
	pager   *Pager
	assets  []cloud.Asset
	seen    map[cloud.Ref]bool
	loading bool
	cancel  context.CancelFunc
	err     error
	removed int
}

// NewBrowser returns a browser with no filter; nothing is fetched until
// LoadMore. pageSize 0 means DefaultPageSize.
func NewBrowser(s Searcher, pageSize int) *Browser {
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	b := &Browser{search: s, pageSize: pageSize, ahead: max(pageSize/2, 1)}
	b.resetLocked(Filter{})
	return b
}

func (b *Browser) resetLocked(f Filter) {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	b.gen++
	b.filter = f
	b.pager = NewPager(b.search, NewQuery(f.Expression(), b.pageSize))
	b.assets = nil
	b.seen = map[cloud.Ref]bool{}
	b.loading = false
	b.err = nil
	b.removed = 0
}

// SetFilter forgets what was loaded, cancels a page on its way, and makes f
// the filter of the next LoadMore.
func (b *Browser) SetFilter(f Filter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resetLocked(f)
}

// Refresh starts the current filter over (new uploads appear first).
func (b *Browser) Refresh() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resetLocked(b.filter)
}

// Filter is the current filter.
func (b *Browser) Filter() Filter {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.filter
}

// State is a snapshot for drawing.
func (b *Browser) State() BrowserState {
	b.mu.Lock()
	defer b.mu.Unlock()
	total := max(b.pager.Total()-b.removed, len(b.assets))
	return BrowserState{
		Filter: b.filter, Len: len(b.assets), Total: total, Done: !b.pager.More(),
		Loading: b.loading, Err: b.err, Calls: b.pager.Calls(),
	}
}

// Len is how many assets are loaded.
func (b *Browser) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.assets)
}

// Asset returns the i-th loaded asset, newest first.
func (b *Browser) Asset(i int) (cloud.Asset, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i < 0 || i >= len(b.assets) {
		return cloud.Asset{}, false
	}
	return b.assets[i], true
}

// NeedsMore reports whether showing the cell at index should fetch the next
// page: the cell is near the end of what is loaded, more pages exist, none
// is on its way, and the last one did not fail (a failure waits for the
// user to try again, rather than hammering the API while they scroll).
func (b *Browser) NeedsMore(index int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pager.More() && !b.loading && b.err == nil && index >= len(b.assets)-b.ahead
}

// LoadMore fetches the next page and appends it. It returns how many assets
// were added; 0 and nil when every page is loaded or a page is already on
// its way; ErrSuperseded when the filter changed meanwhile. It blocks until
// the page arrives or ctx ends.
func (b *Browser) LoadMore(ctx context.Context) (int, error) {
	b.mu.Lock()
	if b.loading || !b.pager.More() {
		b.mu.Unlock()
		return 0, nil
	}
	gen, pager := b.gen, b.pager
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.loading, b.cancel, b.err = true, cancel, nil
	b.mu.Unlock()

	page, err := pager.Next(ctx)

	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		return 0, ErrSuperseded
	}
	b.loading, b.cancel = false, nil
	if err != nil {
		b.err = err
		return 0, err
	}
	added := 0
	for _, a := range page {
		// A cursor walk can repeat an asset when uploads land between pages;
		// a cell must not appear twice.
		ref := refOf(a)
		if b.seen[ref] {
			continue
		}
		b.seen[ref] = true
		b.assets = append(b.assets, a)
		added++
	}
	return added, nil
}

// Remove drops an asset (deleted from the cloud) from the list and reports
// whether it was there.
func (b *Browser) Remove(ref cloud.Ref) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref = normalRef(ref)
	for i, a := range b.assets {
		if refOf(a) == ref {
			b.assets = append(b.assets[:i:i], b.assets[i+1:]...)
			delete(b.seen, ref)
			b.removed++
			return true
		}
	}
	return false
}

// Close cancels a page on its way.
func (b *Browser) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cancel != nil {
		b.cancel()
	}
}

func refOf(a cloud.Asset) cloud.Ref {
	return normalRef(cloud.Ref{PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type})
}

func normalRef(r cloud.Ref) cloud.Ref {
	if r.ResourceType == "" {
		r.ResourceType = "image"
	}
	if r.Type == "" {
		r.Type = "upload"
	}
	return r
}
