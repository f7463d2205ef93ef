package library

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/searchexpr"
	"github.com/cloudup/cloudup/ui/preview/previewtest"
)

// Fake is an Account for widget tests: previewtest.Fake's real drawn images
// plus a Search API over Assets that evaluates expressions with the same
// parser the sandbox uses, sorts newest first and pages with numeric
// cursors, counting calls.
type Fake struct {
	*previewtest.Fake

	mu     sync.Mutex
	Assets []cloud.Asset
	// FailSearch, when set, is the error of every Search.
	FailSearch error
	calls      int
	exprs      []string
}

// NewFake returns a fake holding n images named photo-0000… in folder
// "shots", newest first, every fifth tagged "cover".
func NewFake(n int) *Fake {
	f := &Fake{Fake: &previewtest.Fake{Busy: map[string]int{}}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		tags := []string{"shot"}
		if i%5 == 0 {
			tags = append(tags, "cover")
		}
		f.Assets = append(f.Assets, cloud.Asset{
			PublicID: fmt.Sprintf("shots/photo-%04d", i), ResourceType: "image", Type: "upload", Format: "jpg",
			Version: int64(1700000000 + i), Width: 1600, Height: 1200, Bytes: int64(200_000 + i), Tags: tags,
			Folder: "shots", CreatedAt: start.Add(time.Duration(i) * time.Minute),
		})
	}
	return f
}

// Calls is how many Search calls were made.
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Expressions lists the expressions searched, in order.
func (f *Fake) Expressions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.exprs...)
}

// Destroy records ref and drops the asset, as a real account would.
func (f *Fake) Destroy(ctx context.Context, ref cloud.Ref) error {
	if err := f.Fake.Destroy(ctx, ref); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, a := range f.Assets {
		if a.PublicID == ref.PublicID {
			f.Assets = append(f.Assets[:i:i], f.Assets[i+1:]...)
			break
		}
	}
	return nil
}

type fakeDoc struct{ a *cloud.Asset }

func (d fakeDoc) Text(field string) []string {
	switch field {
	case "public_id":
		return []string{d.a.PublicID}
	case "folder", "asset_folder":
		return []string{d.a.Folder}
	case "tags":
		return d.a.Tags
	case "format":
		return []string{d.a.Format}
	case "resource_type":
		return []string{d.a.ResourceType}
	}
	return nil
}
func (d fakeDoc) Number(field string) (float64, bool) {
	if field == "bytes" {
		return float64(d.a.Bytes), true
	}
	return 0, false
}
func (d fakeDoc) Time(field string) (time.Time, bool) {
	if field == "created_at" {
		return d.a.CreatedAt, true
	}
	return time.Time{}, false
}

// Search pages through the matching assets, newest first.
func (f *Fake) Search(ctx context.Context, q cloud.SearchQuery) (*cloud.SearchResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.exprs = append(f.exprs, q.Expression)
	if f.FailSearch != nil {
		return nil, f.FailSearch
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	expr, err := searchexpr.Parse(q.Expression)
	if err != nil {
		return nil, &cloud.RequestError{Status: 400, Message: err.Error()}
	}
	var match []cloud.Asset
	for i := range f.Assets {
		if expr.Match(fakeDoc{&f.Assets[i]}) {
			match = append(match, f.Assets[i])
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].CreatedAt.After(match[j].CreatedAt) })
	start, _ := strconv.Atoi(q.NextCursor)
	size := q.MaxResults
	if size <= 0 {
		size = 50
	}
	end := min(start+size, len(match))
	res := &cloud.SearchResult{TotalCount: len(match)}
	if start < end {
		res.Resources = match[start:end]
	}
	if end < len(match) {
		res.NextCursor = strconv.Itoa(end)
	}
	return res, nil
}
