package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/admin/search"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

func TestSearchExpressionsFilterAssets(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	up := func(file string, data []byte, p uploader.UploadParams) {
		t.Helper()
		res, err := cld.Upload.Upload(ctx, writeFile(t, file, data), p)
		if err != nil || res.Error.Message != "" {
			t.Fatalf("upload %s: %v %s", file, err, res.Error.Message)
		}
	}
	big := noisyJPEG(t, 300, 200)
	up("a.jpg", jpegBytes(t, 400, 300), uploader.UploadParams{PublicID: "sample_one", AssetFolder: "demo/trips", Tags: api.CldAPIArray{"cat", "summer"}, Context: api.CldAPIMap{"alt": "A cat"}})
	up("b.png", pngBytes(t, 50, 80), uploader.UploadParams{PublicID: "sample_two", AssetFolder: "demo", Tags: api.CldAPIArray{"dog"}})
	up("c.jpg", big, uploader.UploadParams{PublicID: "other", AssetFolder: "misc", Tags: api.CldAPIArray{"cat"}})
	up("d.txt", []byte("notes"), uploader.UploadParams{PublicID: "notes.txt", ResourceType: "raw"})

	cases := []struct {
		expr string
		want string
	}{
		{"", "notes.txt,other,sample_one,sample_two"},
		{"resource_type:image", "other,sample_one,sample_two"},
		{"tags:cat", "other,sample_one"},
		{"tags:cat AND NOT folder:misc", "sample_one"},
		{"folder:demo/*", "sample_one,sample_two"},
		{"asset_folder=demo", "sample_two"},
		{"public_id:sam*", "sample_one,sample_two"},
		{"format:png OR format:jpg", "other,sample_one,sample_two"},
		{fmt.Sprintf("bytes>%d", len(big)-1), "other"},
		{"width>=400", "sample_one"},
		{"height:[50 TO 100]", "sample_two"},
		{"created_at>1d", "notes.txt,other,sample_one,sample_two"},
		{"created_at<2020-01-01", ""},
		{"context.alt:cat", "sample_one"},
		{"-tags:cat AND resource_type:image", "sample_two"},
	}
	for _, c := range cases {
		res, err := cld.Admin.Search(ctx, search.Query{Expression: c.expr, MaxResults: 50})
		if err != nil || res.Error.Message != "" {
			t.Errorf("%q: %v %s", c.expr, err, res.Error.Message)
			continue
		}
		var ids []string
		for _, a := range res.Assets {
			ids = append(ids, a.PublicID)
		}
		sort.Strings(ids)
		if got := strings.Join(ids, ","); got != c.want || res.TotalCount != len(ids) {
			t.Errorf("%q = %q (total_count %d), want %q", c.expr, got, res.TotalCount, c.want)
		}
	}

	bad, err := cld.Admin.Search(ctx, search.Query{Expression: "tags:(cat"})
	if err != nil || !strings.Contains(bad.Error.Message, "Invalid search expression") {
		t.Errorf("bad expression: %v %q", err, bad.Error.Message)
	}
	over, _ := cld.Admin.Search(ctx, search.Query{MaxResults: 501})
	if !strings.Contains(over.Error.Message, "max_results") {
		t.Errorf("max_results 501: %q, want a 400 about max_results", over.Error.Message)
	}
}

func TestSearchContextIsAFlatMapThatGoDecodes(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	res, err := cld.Upload.Upload(ctx, writeFile(t, "c.jpg", jpegBytes(t, 20, 20)), uploader.UploadParams{PublicID: "ctx", Tags: api.CldAPIArray{"t1"}, Context: api.CldAPIMap{"caption": "Hello", "alt": "World"}})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	found, err := cld.Admin.Search(ctx, search.Query{Expression: "public_id=ctx", WithField: []string{search.TagsField, search.ContextField}})
	if err != nil {
		t.Fatalf("SearchAsset failed to decode (context must be a flat map): %v", err)
	}
	if len(found.Assets) != 1 {
		t.Fatalf("found %d", len(found.Assets))
	}
	a := found.Assets[0]
	if a.Context["caption"] != "Hello" || a.Context["alt"] != "World" || strings.Join(a.Tags, ",") != "t1" {
		t.Errorf("search result context %v tags %v", a.Context, a.Tags)
	}
	if a.AssetID != res.AssetID || a.Width != 20 || a.Format != "jpg" || a.Folder != "" || a.Filename != "ctx" || a.Status != "active" {
		t.Errorf("search result %+v", a)
	}
	// Without with_field there are no tags or context.
	plain, _ := cld.Admin.Search(ctx, search.Query{Expression: "public_id=ctx"})
	if len(plain.Assets[0].Tags) != 0 || len(plain.Assets[0].Context) != 0 {
		t.Errorf("tags/context returned without with_field: %+v", plain.Assets[0])
	}
	// fields as a JSON array (Go) keeps only those plus identity fields.
	narrow, _ := cld.Admin.Search(ctx, search.Query{Expression: "public_id=ctx", Fields: []string{"tags", "width"}})
	raw := rawOf(narrow.Response)
	item := raw["resources"].([]any)[0].(map[string]any)
	if _, has := item["url"]; has || item["width"] == nil || item["tags"] == nil || item["public_id"] != "ctx" {
		t.Errorf("fields=[tags,width] gave %v", item)
	}
}

func TestSearchPagingIsStableWhileUploadsLand(t *testing.T) {
	s := startSandbox(t, Config{})
	before := seed(t, s, "page/", 12, "paged")
	cld := sdk(t, s)
	ctx := context.Background()
	file := writeFile(t, "new.jpg", jpegBytes(t, 8, 8))
	seen := map[string]int{}
	cursor := ""
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("paging never ends")
		}
		res, err := cld.Admin.Search(ctx, search.Query{Expression: "tags:paged", MaxResults: 5, NextCursor: cursor, SortBy: []search.SortByField{{"created_at": search.Descending}}})
		if err != nil || res.Error.Message != "" {
			t.Fatal(err, res.Error.Message)
		}
		for _, a := range res.Assets {
			seen[a.PublicID]++
		}
		// New assets land between every page; they are newer than
		// everything paged so far, so they must not push old ones onto
		// the next page (offset paging would repeat some).
		for i := 0; i < 3; i++ {
			r, err := cld.Upload.Upload(ctx, file, uploader.UploadParams{PublicID: fmt.Sprintf("late/%d-%d", round, i), Tags: api.CldAPIArray{"paged"}})
			if err != nil || r.Error.Message != "" {
				t.Fatal(err, r.Error.Message)
			}
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	for _, b := range before {
		if seen[b.PublicID] != 1 {
			t.Errorf("%s seen %d times, want exactly once", b.PublicID, seen[b.PublicID])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s repeated %d times", id, n)
		}
		if strings.HasPrefix(id, "late/") {
			t.Errorf("%s, uploaded after paging began and newer than the first page, showed up on a later page", id)
		}
	}
}

func TestSearchSortsByAnyFieldAndPagesWithTies(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "same/", 9)
	cld := sdk(t, s)
	var ids []string
	cursor := ""
	for {
		res, err := cld.Admin.Search(context.Background(), search.Query{MaxResults: 2, NextCursor: cursor, SortBy: []search.SortByField{{"bytes": search.Ascending}, {"public_id": search.Descending}}})
		if err != nil || res.Error.Message != "" {
			t.Fatal(err, res.Error.Message)
		}
		for _, a := range res.Assets {
			ids = append(ids, a.PublicID)
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	want := "same/8,same/7,same/6,same/5,same/4,same/3,same/2,same/1,same/0"
	if strings.Join(ids, ",") != want {
		t.Errorf("order = %v, want %s", ids, want)
	}
	bad, _ := cld.Admin.Search(context.Background(), search.Query{SortBy: []search.SortByField{{"colour": search.Ascending}}})
	if !strings.Contains(bad.Error.Message, "sort_by") {
		t.Errorf("unknown sort field: %q", bad.Error.Message)
	}
	wrongCursor, _ := cld.Admin.Search(context.Background(), search.Query{NextCursor: "garbage"})
	if !strings.Contains(wrongCursor.Error.Message, "next_cursor") {
		t.Errorf("garbage cursor: %q", wrongCursor.Error.Message)
	}
}

func TestSearchIsReachedThroughNodeEncodedPath(t *testing.T) {
	// Node posts to /resources%2Fsearch; routing must use the decoded path.
	s := startSandbox(t, Config{})
	seed(t, s, "node/", 2)
	body, _ := json.Marshal(map[string]any{"expression": "public_id:node*", "fields": "public_id,tags", "with_field": "tags"})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v1_1/"+s.Cloud()+"/resources%2Fsearch", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(s.APIKey(), s.APISecret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := decodeJSON(t, resp.Body)
	if resp.StatusCode != 200 || m["total_count"] != float64(2) {
		t.Errorf("%d %v", resp.StatusCode, m)
	}
	if s.Requests(EndpointAdminSearch) != 1 {
		t.Errorf("search counter = %d", s.Requests(EndpointAdminSearch))
	}
}

func TestListingByContextAndTagList(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	for i, tag := range []string{"red", "green", "blue"} {
		cld.Upload.Upload(ctx, writeFile(t, "x.jpg", jpegBytes(t, 8, 8)), uploader.UploadParams{PublicID: fmt.Sprint("c", i), Tags: api.CldAPIArray{tag, "all"}, Context: api.CldAPIMap{"n": fmt.Sprint(i)}})
	}
	byCtx, err := cld.Admin.AssetsByContext(ctx, admin.AssetsByContextParams{AssetType: api.Image, Key: "n", Value: "1"})
	if err != nil || len(byCtx.Assets) != 1 || byCtx.Assets[0].PublicID != "c1" {
		t.Errorf("AssetsByContext: %v %+v", err, byCtx)
	}
	tags, err := cld.Admin.Tags(ctx, admin.TagsParams{AssetType: api.Image})
	if err != nil || strings.Join(tags.Tags, ",") != "all,blue,green,red" {
		t.Errorf("Tags: %v %+v", err, tags)
	}
	types, err := cld.Admin.AssetTypes(ctx)
	if err != nil || strings.Join(types.AssetTypes, ",") != "image" {
		t.Errorf("AssetTypes: %v %+v", err, types)
	}
}
