package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

// seed uploads n small images named prefix0..prefixN-1 with the given tags.
func seed(t *testing.T, s *Server, prefix string, n int, tags ...string) []*uploader.UploadResult {
	t.Helper()
	cld := sdk(t, s)
	file := writeFile(t, "seed.jpg", jpegBytes(t, 16, 12))
	var out []*uploader.UploadResult
	for i := 0; i < n; i++ {
		res, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: fmt.Sprintf("%s%d", prefix, i), Tags: tags})
		if err != nil || res.Error.Message != "" {
			t.Fatalf("seeding %s%d: %v %s", prefix, i, err, res.Error.Message)
		}
		out = append(out, res)
	}
	return out
}

func TestAdminListingPagesNewestFirstWithCursor(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "list/a", 7, "x")
	cld := sdk(t, s)
	ctx := context.Background()
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		res, err := cld.Admin.Assets(ctx, admin.AssetsParams{AssetType: api.Image, DeliveryType: "upload", MaxResults: 3, NextCursor: cursor, Tags: api.Bool(true)})
		if err != nil || res.Error.Message != "" {
			t.Fatalf("Assets: %v %s", err, res.Error.Message)
		}
		for _, a := range res.Assets {
			seen = append(seen, a.PublicID)
			if len(a.Tags) != 1 || a.Tags[0] != "x" {
				t.Errorf("%s: tags=true gave %v", a.PublicID, a.Tags)
			}
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	want := []string{"list/a6", "list/a5", "list/a4", "list/a3", "list/a2", "list/a1", "list/a0"}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("listing = %v, want newest first %v", seen, want)
	}
	// A prefix lists by public_id.
	res, err := cld.Admin.Assets(ctx, admin.AssetsParams{AssetType: api.Image, Prefix: "list/a", MaxResults: 2, Direction: "asc"})
	if err != nil || len(res.Assets) != 2 || res.Assets[0].PublicID != "list/a0" || res.NextCursor == "" {
		t.Errorf("prefix listing: %v %+v", err, res)
	}
}

func TestAssetsByIDsAcceptsGoCommaJoinedPublicIDs(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "ids/p", 4)
	cld := sdk(t, s)
	// cloudinary-go sends CldAPIArray as one comma-joined value:
	// ?public_ids=ids%2Fp1%2Cids%2Fp3.
	res, err := cld.Admin.AssetsByIDs(context.Background(), admin.AssetsByIDsParams{AssetType: api.Image, DeliveryType: api.Upload, PublicIDs: api.CldAPIArray{"ids/p1", "ids/p3"}})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	var got []string
	for _, a := range res.Assets {
		got = append(got, a.PublicID)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "ids/p1,ids/p3" {
		t.Errorf("AssetsByIDs = %v, want ids/p1 and ids/p3", got)
	}
}

func TestAssetByPublicIDWithSlashesAndUpdate(t *testing.T) {
	s := startSandbox(t, Config{})
	up := seed(t, s, "deep/folder/photo", 1, "a")[0]
	cld := sdk(t, s)
	ctx := context.Background()
	got, err := cld.Admin.Asset(ctx, admin.AssetParams{PublicID: "deep/folder/photo0"})
	if err != nil || got.Error.Message != "" || got.AssetID != up.AssetID || got.Etag != up.Etag || got.Width != 16 {
		t.Fatalf("Asset: %v %+v", err, got)
	}
	byID, err := cld.Admin.AssetByAssetID(ctx, admin.AssetByAssetIDParams{AssetID: up.AssetID})
	if err != nil || byID.PublicID != "deep/folder/photo0" {
		t.Errorf("AssetByAssetID: %v %+v", err, byID)
	}
	// UpdateAsset sends {"tags":"x,y"} as a JSON body.
	upd, err := cld.Admin.UpdateAsset(ctx, admin.UpdateAssetParams{PublicID: "deep/folder/photo0", Tags: api.CldAPIArray{"x", "y"}, Context: api.CldAPIMap{"alt": "Updated"}, DisplayName: "Renamed"})
	if err != nil || upd.Error.Message != "" {
		t.Fatal(err, upd.Error.Message)
	}
	if strings.Join(upd.Tags, ",") != "x,y" || upd.Context.Custom["alt"] != "Updated" || upd.DisplayName != "Renamed" {
		t.Errorf("UpdateAsset answered %+v", upd)
	}
	missing, err := cld.Admin.Asset(ctx, admin.AssetParams{PublicID: "nope"})
	if err != nil || missing.Error.Message != "Resource not found - nope" {
		t.Errorf("missing asset: %v %q", err, missing.Error.Message)
	}
}

func TestDeleteAssetsWithGoJSONBody(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "del/", 3)
	cld := sdk(t, s)
	// DELETE with body {"public_ids":"del/0,del/2,del/nope"}.
	res, err := cld.Admin.DeleteAssets(context.Background(), admin.DeleteAssetsParams{AssetType: api.Image, DeliveryType: api.Upload, PublicIDs: api.CldAPIArray{"del/0", "del/2", "del/nope"}})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	if res.Deleted["del/0"] != "deleted" || res.Deleted["del/2"] != "deleted" || res.Deleted["del/nope"] != "not_found" {
		t.Errorf("deleted = %v", res.Deleted)
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Errorf("%d assets left, want 1", st.Assets)
	}
	byPrefix, err := cld.Admin.DeleteAssetsByPrefix(context.Background(), admin.DeleteAssetsByPrefixParams{AssetType: api.Image, DeliveryType: api.Upload, Prefix: api.CldAPIArray{"del/"}})
	if err != nil || byPrefix.Deleted["del/1"] != "deleted" {
		t.Errorf("delete by prefix: %v %+v", err, byPrefix)
	}
}

func TestDestroyRenameAndContextCalls(t *testing.T) {
	s := startSandbox(t, Config{})
	up := seed(t, s, "ops/", 2)
	cld := sdk(t, s)
	ctx := context.Background()

	ren, err := cld.Upload.Rename(ctx, uploader.RenameParams{FromPublicID: "ops/0", ToPublicID: "ops/renamed"})
	if err != nil || ren.PublicID != "ops/renamed" || ren.AssetID != up[0].AssetID {
		t.Fatalf("Rename: %v %+v", err, ren)
	}
	clash, _ := cld.Upload.Rename(ctx, uploader.RenameParams{FromPublicID: "ops/renamed", ToPublicID: "ops/1"})
	if clash.Error == nil {
		t.Error("renaming onto an existing public_id without overwrite succeeded")
	}
	bad, _ := cld.Upload.Rename(ctx, uploader.RenameParams{FromPublicID: "ops/renamed", ToPublicID: "../escape"})
	if bad.Error == nil {
		t.Error("rename to a traversal public_id succeeded")
	}
	code, _, _ := get(t, strings.Replace(up[0].SecureURL, "ops/0", "ops/renamed", 1))
	if code != 200 {
		t.Errorf("the renamed asset is not delivered at its new id: %d", code)
	}

	// AddContext sends public_ids as one comma-joined value.
	cres, err := cld.Upload.AddContext(ctx, uploader.AddContextParams{PublicIDs: api.CldAPIArray{"ops/renamed", "ops/1"}, Context: api.CldAPIMap{"owner": "me"}})
	if err != nil || len(cres.PublicIDs) != 2 {
		t.Fatalf("AddContext: %v %+v", err, cres)
	}
	a, _ := cld.Admin.Asset(ctx, admin.AssetParams{PublicID: "ops/1"})
	if a.Context.Custom["owner"] != "me" {
		t.Errorf("context after AddContext = %v", a.Context.Custom)
	}

	ex, err := cld.Upload.Explicit(ctx, uploader.ExplicitParams{PublicID: "ops/1", Tags: api.CldAPIArray{"explicit"}, Type: "upload"})
	if err != nil || ex.Error.Message != "" || strings.Join(ex.Tags, ",") != "explicit" {
		t.Errorf("Explicit: %v %+v", err, ex)
	}

	d, err := cld.Upload.Destroy(ctx, uploader.DestroyParams{PublicID: "ops/1"})
	if err != nil || d.Result != "ok" {
		t.Errorf("Destroy: %v %+v", err, d)
	}
	d, err = cld.Upload.Destroy(ctx, uploader.DestroyParams{PublicID: "ops/1"})
	if err != nil || d.Result != "not found" {
		t.Errorf("second Destroy: %v %+v", err, d)
	}
	code, _, _ = get(t, up[1].SecureURL)
	if code != http.StatusNotFound {
		t.Errorf("a destroyed asset is still delivered: %d", code)
	}
}

func TestTagsWithMoreThanTenPublicIDsUseByteOrderSigning(t *testing.T) {
	// cloudinary-go sends public_ids[0]…public_ids[11] and signs them in
	// byte order of the keys (0,1,10,11,2,…): a server joining them by
	// numeric index would reject the call.
	s := startSandbox(t, Config{})
	seed(t, s, "tag/", 12)
	cld := sdk(t, s)
	var ids []string
	for i := 0; i < 12; i++ {
		ids = append(ids, fmt.Sprintf("tag/%d", i))
	}
	res, err := cld.Upload.AddTag(context.Background(), uploader.AddTagParams{Tag: "bulk", PublicIDs: ids})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("AddTag: %v %q", err, res.Error.Message)
	}
	if len(res.PublicIDs) != 12 {
		t.Errorf("AddTag touched %d assets, want 12", len(res.PublicIDs))
	}
	byTag, err := cld.Admin.AssetsByTag(context.Background(), admin.AssetsByTagParams{AssetType: api.Image, Tag: "bulk", MaxResults: 50})
	if err != nil || len(byTag.Assets) != 12 {
		t.Errorf("AssetsByTag(bulk) = %v, %d assets", err, len(byTag.Assets))
	}
	rm, err := cld.Upload.RemoveTag(context.Background(), uploader.RemoveTagParams{Tag: "bulk", PublicIDs: ids[:5]})
	if err != nil || len(rm.PublicIDs) != 5 {
		t.Errorf("RemoveTag: %v %+v", err, rm)
	}
	byTag, _ = cld.Admin.AssetsByTag(context.Background(), admin.AssetsByTagParams{AssetType: api.Image, Tag: "bulk", MaxResults: 50})
	if len(byTag.Assets) != 7 {
		t.Errorf("after removing the tag from 5: %d assets tagged, want 7", len(byTag.Assets))
	}
	rep, err := cld.Upload.ReplaceTag(context.Background(), uploader.ReplaceTagParams{Tag: "only", PublicIDs: ids[:1]})
	if err != nil || len(rep.PublicIDs) != 1 {
		t.Errorf("ReplaceTag: %v %+v", err, rep)
	}
	a, _ := cld.Admin.Asset(context.Background(), admin.AssetParams{PublicID: ids[0]})
	if strings.Join(a.Tags, ",") != "only" {
		t.Errorf("tags after replace = %v", a.Tags)
	}
}

func TestUploadPresetsCreateListGetUpdateDelete(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	created, err := cld.Admin.CreateUploadPreset(ctx, admin.CreateUploadPresetParams{Name: "gallery", Unsigned: api.Bool(true), UploadParams: uploader.UploadParams{Folder: "gallery", Tags: api.CldAPIArray{"web", "public"}}})
	if err != nil || created.Error.Message != "" || created.Name != "gallery" || created.Message != "created" {
		t.Fatalf("CreateUploadPreset: %v %+v", err, created)
	}
	got, err := cld.Admin.GetUploadPreset(ctx, admin.GetUploadPresetParams{Name: "gallery"})
	if err != nil || !got.Unsigned {
		t.Fatalf("GetUploadPreset: %v %+v", err, got)
	}
	settings := got.Settings.(map[string]any)
	if settings["folder"] != "gallery" || fmt.Sprint(settings["tags"]) != "[web public]" {
		t.Errorf("settings = %v", settings)
	}
	list, err := cld.Admin.ListUploadPresets(ctx, admin.ListUploadPresetsParams{})
	if err != nil || len(list.Presets) != 1 || list.Presets[0].Name != "gallery" {
		t.Errorf("ListUploadPresets: %v %+v", err, list)
	}
	upd, err := cld.Admin.UpdateUploadPreset(ctx, admin.UpdateUploadPresetParams{Name: "gallery", Unsigned: api.Bool(false)})
	if err != nil || upd.Message != "updated" {
		t.Errorf("UpdateUploadPreset: %v %+v", err, upd)
	}
	got, _ = cld.Admin.GetUploadPreset(ctx, admin.GetUploadPresetParams{Name: "gallery"})
	if got.Unsigned || got.Settings.(map[string]any)["folder"] != "gallery" {
		t.Errorf("after update: %+v", got)
	}
	del, err := cld.Admin.DeleteUploadPreset(ctx, admin.DeleteUploadPresetParams{Name: "gallery"})
	if err != nil || del.Message != "deleted" {
		t.Errorf("DeleteUploadPreset: %v %+v", err, del)
	}
	gone, _ := cld.Admin.GetUploadPreset(ctx, admin.GetUploadPresetParams{Name: "gallery"})
	if gone.Error.Message == "" {
		t.Error("a deleted preset is still there")
	}
}

func TestAdminAPIRejectsBadBasicAuth(t *testing.T) {
	s := startSandbox(t, Config{})
	ctx := context.Background()
	res, err := sdkWith(t, s, s.APIKey(), "wrong").Admin.Assets(ctx, admin.AssetsParams{})
	if err != nil || res.Error.Message != "api_secret mismatch" {
		t.Errorf("wrong secret: %v %q", err, res.Error.Message)
	}
	res, _ = sdkWith(t, s, "999", s.APISecret()).Admin.Assets(ctx, admin.AssetsParams{})
	if res.Error.Message != "Unknown API key 999" {
		t.Errorf("wrong key: %q", res.Error.Message)
	}
	code, _, body := get(t, s.apiURL("resources/image"))
	if code != http.StatusUnauthorized || !strings.Contains(string(body), "Must supply api_key") {
		t.Errorf("no auth: %d %s", code, body)
	}
}

func TestAdminRateLimitAnswers420WithHeaders(t *testing.T) {
	s := startSandbox(t, Config{Limits: Limits{AdminCallsPerHour: 3}})
	u := s.apiURL("resources/image")
	var last *http.Response
	for i := 0; i < 4; i++ {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.SetBasicAuth(s.APIKey(), s.APISecret())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = resp
		if i < 3 && (resp.StatusCode != 200 || resp.Header.Get("X-FeatureRateLimit-Remaining") != fmt.Sprint(2-i)) {
			t.Errorf("call %d: %d, remaining %q", i+1, resp.StatusCode, resp.Header.Get("X-FeatureRateLimit-Remaining"))
		}
	}
	if last.StatusCode != 420 || last.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %d Retry-After %q, want 420 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
	}
	if got := s.Stats().AdminCalls; got != 4 {
		t.Errorf("AdminCalls = %d, want 4", got)
	}
}

func TestNodeStyleDeleteWithFormArray(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "nd/", 2)
	form := url.Values{"public_ids[]": {"nd/0", "nd/1"}}
	req, _ := http.NewRequest(http.MethodDelete, s.apiURL("resources/image/upload"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.APIKey(), s.APISecret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := decodeJSON(t, resp.Body)
	deleted := m["deleted"].(map[string]any)
	if deleted["nd/0"] != "deleted" || deleted["nd/1"] != "deleted" {
		t.Errorf("deleted = %v", deleted)
	}
}

// A lookup by public_ids answers every id asked for (up to 100), not the
// listing's default page of 10, and refuses more than 100 as Cloudinary does.
func TestAssetsByIDsAnswersEveryIDAskedFor(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "many/p", 25)
	cld := sdk(t, s)
	var ids api.CldAPIArray
	for i := range 25 {
		ids = append(ids, fmt.Sprintf("many/p%d", i))
	}
	ids = append(ids, "many/missing")
	res, err := cld.Admin.AssetsByIDs(context.Background(), admin.AssetsByIDsParams{AssetType: api.Image, DeliveryType: api.Upload, PublicIDs: ids})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	if len(res.Assets) != 25 {
		t.Errorf("AssetsByIDs for 25 existing ids answered %d", len(res.Assets))
	}
	var tooMany api.CldAPIArray
	for i := range 101 {
		tooMany = append(tooMany, fmt.Sprintf("x%d", i))
	}
	res, err = cld.Admin.AssetsByIDs(context.Background(), admin.AssetsByIDsParams{AssetType: api.Image, DeliveryType: api.Upload, PublicIDs: tooMany})
	if err == nil && res.Error.Message == "" {
		t.Error("101 public_ids in one lookup were accepted")
	}
}
