package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/searchexpr"
)

func TestFilterExpression(t *testing.T) {
	cases := []struct {
		name   string
		filter Filter
		want   string
	}{
		{"empty matches everything", Filter{}, ""},
		{"blank fields are ignored", Filter{Folder: " / ", Text: "  ", Tag: " "}, ""},
		{"folder and below", Filter{Folder: "/blog/2024/"}, `folder:blog/2024/*`},
		{"folder with a space is escaped", Filter{Folder: "my photos"}, `folder:my\ photos/*`},
		{"folder syntax is escaped", Filter{Folder: "a:b(c)"}, `folder:a\:b\(c\)/*`},
		{"text words are prefixes", Filter{Text: "beach sun"}, `beach* AND sun*`},
		{"text splits like the index", Filter{Text: "beach-sunset.jpg"}, `beach* AND sunset* AND jpg*`},
		{"text keywords stay words", Filter{Text: "cats AND dogs"}, `cats* AND \AND* AND dogs*`},
		{"text operators are dropped", Filter{Text: `tags:x OR -y "z"`}, `tags* AND x* AND \OR* AND y* AND z*`},
		{"tag is exact and quoted", Filter{Tag: `say "hi"`}, `tags="say \"hi\""`},
		{"all three", Filter{Folder: "samples", Text: "dog", Tag: "pets"}, `folder:samples/* AND dog* AND tags="pets"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.filter.Expression()
			if got != c.want {
				t.Fatalf("Expression() = %q, want %q", got, c.want)
			}
			if _, err := searchexpr.Parse(got); err != nil {
				t.Fatalf("%q does not parse: %v", got, err)
			}
		})
	}
}

// doc is a searchable asset for checking what an expression matches.
type doc struct {
	publicID, folder string
	tags             []string
}

func (d doc) Text(field string) []string {
	switch field {
	case "public_id":
		return []string{d.publicID}
	case "folder", "asset_folder":
		return []string{d.folder}
	case "tags":
		return d.tags
	}
	return nil
}
func (doc) Number(string) (float64, bool) { return 0, false }
func (doc) Time(string) (time.Time, bool) { return time.Time{}, false }

func FuzzFilterExpressionIsAlwaysValidAndLiteral(f *testing.F) {
	for _, s := range []string{"", "blog", "a b", `x"y`, `\`, "AND", "-x", "(", "a:b", "*", "日本 写真", "tags=x OR 1", "folder/sub"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, folder, text, tag string) {
		flt := Filter{Folder: folder, Text: text, Tag: tag}
		e, err := searchexpr.Parse(flt.Expression())
		if err != nil {
			t.Fatalf("filter %+v gives an invalid expression %q: %v", flt, flt.Expression(), err)
		}
		// An asset that has exactly what the user typed must match: the
		// user's text is searched for, never read as syntax.
		if !utf8.ValidString(folder + text + tag) {
			return // dropped, checked above to still give a valid expression
		}
		cleanFolder := strings.Trim(strings.TrimSpace(folder), "/")
		d := doc{publicID: text, folder: cleanFolder, tags: []string{strings.TrimSpace(tag), text}}
		if cleanFolder != "" && strings.ContainsAny(cleanFolder, "*") {
			return // a literal * in a folder name is still a wildcard to the server
		}
		if !e.Match(d) {
			t.Fatalf("filter %+v (%q) does not match an asset with exactly that", flt, flt.Expression())
		}
	})
}

// pagedSearcher serves n assets, newest first, pageSize at a time with
// numeric cursors, counting calls; block (when set) holds each call until
// released or the context ends.
type pagedSearcher struct {
	n     int
	calls atomic.Int32
	block chan struct{}
	mu    sync.Mutex
	exprs []string
	fail  error
}

func (s *pagedSearcher) Search(ctx context.Context, q cloud.SearchQuery) (*cloud.SearchResult, error) {
	s.calls.Add(1)
	s.mu.Lock()
	s.exprs = append(s.exprs, q.Expression)
	fail := s.fail
	s.mu.Unlock()
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	start := 0
	fmt.Sscan(q.NextCursor, &start)
	res := &cloud.SearchResult{TotalCount: s.n}
	for i := start; i < min(start+q.MaxResults, s.n); i++ {
		res.Resources = append(res.Resources, cloud.Asset{PublicID: fmt.Sprintf("a%05d", i), ResourceType: "image", Type: "upload"})
	}
	if start+q.MaxResults < s.n {
		res.NextCursor = fmt.Sprint(start + q.MaxResults)
	}
	return res, nil
}

func TestBrowserLoadsPagesInOrderOnlyWhenScrolledNearTheEnd(t *testing.T) {
	s := &pagedSearcher{n: 10_000}
	b := NewBrowser(s, 100)
	ctx := context.Background()
	if !b.NeedsMore(0) {
		t.Fatal("an empty browser should want its first page")
	}
	if n, err := b.LoadMore(ctx); n != 100 || err != nil {
		t.Fatalf("first page: %d, %v", n, err)
	}
	if b.NeedsMore(10) {
		t.Fatal("cell 10 of 100 loaded should not fetch more")
	}
	if !b.NeedsMore(60) {
		t.Fatal("cell 60 of 100 loaded should fetch the next page")
	}
	// Scroll through 1,000 cells: only the pages needed are fetched.
	for i := range 1000 {
		if b.NeedsMore(i) {
			if _, err := b.LoadMore(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := b.State()
	if st.Calls != 11 || st.Len != 1100 || st.Total != 10_000 || st.Done {
		t.Fatalf("after scrolling 1,000 cells: %+v (want 11 calls, 1100 loaded)", st)
	}
	for i := range st.Len {
		a, _ := b.Asset(i)
		if a.PublicID != fmt.Sprintf("a%05d", i) {
			t.Fatalf("asset %d is %s: pages out of order", i, a.PublicID)
		}
	}
}

func TestBrowserFilterChangeCancelsThePageOnItsWay(t *testing.T) {
	s := &pagedSearcher{n: 500, block: make(chan struct{})}
	b := NewBrowser(s, 100)
	b.SetFilter(Filter{Text: "old"})
	errc := make(chan error, 1)
	go func() { _, err := b.LoadMore(context.Background()); errc <- err }()
	for s.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if n, err := b.LoadMore(context.Background()); n != 0 || err != nil {
		t.Fatalf("a second LoadMore while one is in flight should do nothing: %d, %v", n, err)
	}
	if s.calls.Load() != 1 {
		t.Fatalf("%d requests in flight, want 1", s.calls.Load())
	}
	b.SetFilter(Filter{Text: "new"})
	select {
	case err := <-errc:
		if !errors.Is(err, ErrSuperseded) {
			t.Fatalf("old page: %v, want ErrSuperseded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the old request was not cancelled")
	}
	close(s.block)
	if n, err := b.LoadMore(context.Background()); n != 100 || err != nil {
		t.Fatalf("new filter's page: %d, %v", n, err)
	}
	if got := s.exprs[len(s.exprs)-1]; got != "new*" {
		t.Fatalf("new page searched %q", got)
	}
	if st := b.State(); st.Len != 100 || st.Filter.Text != "new" {
		t.Fatalf("state %+v", st)
	}
}

func TestBrowserWaitsForTheUserAfterAFailedPage(t *testing.T) {
	s := &pagedSearcher{n: 300, fail: &cloud.RateLimitedError{}}
	b := NewBrowser(s, 100)
	if _, err := b.LoadMore(context.Background()); err == nil {
		t.Fatal("want the search error")
	}
	if b.NeedsMore(0) {
		t.Fatal("after a failure scrolling must not retry on its own")
	}
	if st := b.State(); st.Err == nil || st.Loading {
		t.Fatalf("state %+v", st)
	}
	s.mu.Lock()
	s.fail = nil
	s.mu.Unlock()
	if n, err := b.LoadMore(context.Background()); n != 100 || err != nil {
		t.Fatalf("try again: %d, %v", n, err)
	}
	if b.State().Err != nil {
		t.Fatal("success should clear the error")
	}
}

func TestBrowserRemoveDropsTheAssetAndCountsIt(t *testing.T) {
	b := NewBrowser(&pagedSearcher{n: 3}, 100)
	b.LoadMore(context.Background())
	if !b.Remove(cloud.Ref{PublicID: "a00001"}) {
		t.Fatal("Remove did not find a00001 (default resource and delivery types)")
	}
	st := b.State()
	if st.Len != 2 || st.Total != 2 {
		t.Fatalf("state after remove: %+v", st)
	}
	if a, _ := b.Asset(1); a.PublicID != "a00002" {
		t.Fatalf("asset 1 is %s", a.PublicID)
	}
}

// startSandbox runs a sandbox and returns it with a client signed for it.
func startSandbox(t *testing.T) (*sandbox.Server, *cloud.Client) {
	t.Helper()
	sb := sandboxtest.Start(t, sandbox.Config{})
	return sb, sandboxtest.Client(t, sb)
}

func tinyPNG(c color.Color) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		img.Set(i%8, i/8, c)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// seed uploads n small images: public ids p000…, every third in folder
// "blue" tagged "sky", the others in "green/leaves" tagged "grass".
func seed(t *testing.T, c *cloud.Client, n int) {
	t.Helper()
	blue, green := tinyPNG(color.NRGBA{0, 0, 255, 255}), tinyPNG(color.NRGBA{0, 200, 0, 255})
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(4)
	for i := range n {
		g.Go(func() error {
			data, folder, tag := green, "green/leaves", "grass"
			if i%3 == 0 {
				data, folder, tag = blue, "blue", "sky"
			}
			_, err := c.Upload(ctx, cloud.UploadRequest{
				File:   cloud.File{Name: fmt.Sprintf("shot-%03d.png", i), Data: bytes.NewReader(data), Size: int64(len(data))},
				Params: cloud.UploadParams{PublicID: fmt.Sprintf("p%03d", i), Folder: folder, Tags: []string{tag}},
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestPagerWalksTheSandboxNewestFirstInFewCalls(t *testing.T) {
	sb, c := startSandbox(t)
	seed(t, c, 250)
	sb.ResetStats()

	p := NewPager(c, NewQuery("", 100))
	var all []cloud.Asset
	for {
		page, err := p.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
	}
	if p.Calls() != 3 || sb.Requests(sandbox.EndpointAdminSearch) != 3 {
		t.Fatalf("250 assets took %d calls (server saw %d), want 3", p.Calls(), sb.Requests(sandbox.EndpointAdminSearch))
	}
	if len(all) != 250 || p.Total() != 250 {
		t.Fatalf("got %d assets, total %d", len(all), p.Total())
	}
	seen := map[string]bool{}
	for i, a := range all {
		if seen[a.PublicID] {
			t.Fatalf("%s appears twice", a.PublicID)
		}
		seen[a.PublicID] = true
		if i > 0 && a.CreatedAt.After(all[i-1].CreatedAt) {
			t.Fatalf("%s (%v) comes after older %s (%v): not newest first", a.PublicID, a.CreatedAt, all[i-1].PublicID, all[i-1].CreatedAt)
		}
		if len(a.Tags) != 1 {
			t.Fatalf("%s has tags %v: with_field tags was not asked for", a.PublicID, a.Tags)
		}
	}
}

func TestBrowserFiltersAgainstTheSandbox(t *testing.T) {
	_, c := startSandbox(t)
	seed(t, c, 30)
	cases := []struct {
		filter Filter
		want   int
		check  func(cloud.Asset) bool
	}{
		{Filter{}, 30, func(cloud.Asset) bool { return true }},
		{Filter{Folder: "blue"}, 10, func(a cloud.Asset) bool { return strings.HasPrefix(a.PublicID, "blue/") }},
		{Filter{Folder: "green"}, 20, func(a cloud.Asset) bool { return strings.HasPrefix(a.PublicID, "green/leaves/") }},
		{Filter{Tag: "sky"}, 10, func(a cloud.Asset) bool { return a.Tags[0] == "sky" }},
		{Filter{Text: "p00"}, 10, func(a cloud.Asset) bool { return strings.Contains(a.PublicID, "/p00") }},
		{Filter{Text: "GRA"}, 20, func(a cloud.Asset) bool { return a.Tags[0] == "grass" }},
		{Filter{Folder: "blue", Text: "p01"}, 3, func(a cloud.Asset) bool { return strings.HasPrefix(a.PublicID, "blue/p01") }},
		{Filter{Text: `nothing:"here`}, 0, nil},
	}
	b := NewBrowser(c, 7)
	for _, tc := range cases {
		b.SetFilter(tc.filter)
		for b.NeedsMore(b.Len()) {
			if _, err := b.LoadMore(context.Background()); err != nil {
				t.Fatalf("%+v: %v", tc.filter, err)
			}
		}
		st := b.State()
		if st.Len != tc.want || st.Total != tc.want || !st.Done {
			t.Errorf("%+v (%s): %+v, want %d", tc.filter, tc.filter.Expression(), st, tc.want)
			continue
		}
		for i := range st.Len {
			a, _ := b.Asset(i)
			if !tc.check(a) {
				t.Errorf("%+v matched %s %v", tc.filter, a.PublicID, a.Tags)
			}
		}
	}
}
