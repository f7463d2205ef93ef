package signer

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/searchexpr"
	"github.com/cloudup/cloudup/core/teamsign"
)

func blogNews() Policy {
	return Policy{Folders: []string{"blog", "news/2026"}}
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestUploadsStayInsideTheEditorsFolders(t *testing.T) {
	cases := []struct {
		name   string
		params url.Values
		rule   string // "" = allowed
	}{
		{"folder inside", vals("folder", "blog", "public_id", "a"), ""},
		{"subfolder", vals("folder", "blog/2026/june"), ""},
		{"folder with trailing slash", vals("folder", "blog/", "public_id", "x"), ""},
		{"id with the folder in it", vals("public_id", "blog/hero"), ""},
		{"asset folder too", vals("folder", "news/2026", "asset_folder", "news/2026/x", "public_id", "x"), ""},
		{"other folder", vals("folder", "drafts", "public_id", "x"), "folder"},
		{"prefix trick", vals("folder", "blog-evil", "public_id", "x"), "folder"},
		{"prefix trick in the id", vals("public_id", "blogx/y"), "folder"},
		{"parent of a granted subfolder", vals("folder", "news", "public_id", "x"), "folder"},
		{"sibling of a granted subfolder", vals("public_id", "news/2025/x"), "folder"},
		{"dot dot in the id", vals("folder", "blog", "public_id", "../drafts/x"), "path"},
		{"dot dot in the folder", vals("folder", "blog/../drafts"), "path"},
		{"dot segment", vals("public_id", "blog/./x"), "path"},
		{"absolute id", vals("public_id", "/blog/x"), "path"},
		{"absolute folder", vals("folder", "/blog"), "path"},
		{"double slash", vals("public_id", "blog//x"), "path"},
		{"backslash", vals("public_id", `blog\..\drafts\x`), "path"},
		{"percent escape", vals("public_id", "blog/%2e%2e/drafts/x"), "path"},
		{"newline", vals("public_id", "blog/x\ny"), "path"},
		{"wildcard", vals("folder", "blog*"), "path"},
		{"case trick", vals("folder", "Blog", "public_id", "x"), "folder"},
		{"space padded", vals("folder", " blog", "public_id", "x"), "path"},
		{"no folder, no id", vals("tags", "a"), "folder"},
		{"root id", vals("public_id", "x"), "folder"},
		{"asset folder outside", vals("folder", "blog", "asset_folder", "drafts", "public_id", "x"), "folder"},
		{"eval", vals("folder", "blog", "eval", "upload_options.folder='x'"), "param"},
		{"on_success", vals("folder", "blog", "on_success", "current_asset.update({})"), "param"},
		{"notification_url", vals("folder", "blog", "notification_url", "https://evil.example/hook"), "param"},
		{"moderation add-on", vals("folder", "blog", "moderation", "aws_rek"), "param"},
		{"background removal add-on", vals("folder", "blog", "background_removal", "cloudinary_ai"), "param"},
		{"proxy", vals("folder", "blog", "proxy", "http://10.0.0.1:3128"), "param"},
		{"use_asset_folder_as_public_id_prefix", vals("asset_folder", "drafts", "public_id", "blog/x", "use_asset_folder_as_public_id_prefix", "true"), "param"},
		{"delivery type fetch", vals("folder", "blog", "type", "fetch"), "param"},
		{"preset not granted", vals("folder", "blog", "upload_preset", "ml_default"), "preset"},
		{"repeated key", url.Values{"folder": {"blog", "drafts"}}, "param"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckCall(blogNews(), teamsign.SignCall{Action: "upload", Params: tc.params})
			assertRule(t, err, tc.rule)
		})
	}
}

func assertRule(t *testing.T, err error, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var ref *Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("want a refusal by rule %q, got %v", rule, err)
	}
	if ref.Rule != rule {
		t.Fatalf("refused by rule %q (%s), want %q", ref.Rule, ref.Message, rule)
	}
	if !strings.HasSuffix(ref.Message, ".") || strings.Contains(ref.Message, "\n") {
		t.Errorf("refusal is not one sentence: %q", ref.Message)
	}
}

func TestRefusalsSayWhereTheEditorMayGoAndWhatToAskFor(t *testing.T) {
	_, err := CheckCall(Policy{Folders: []string{"blog", "news"}}, teamsign.SignCall{Action: "upload", Params: vals("folder", "drafts", "public_id", "x")})
	want := "You may upload to blog/ and news/ only; ask the account owner for access to drafts/."
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	_, err = CheckCall(Policy{Folders: []string{"blog"}}, teamsign.SignCall{Action: "upload", Params: vals("public_id", "team/2026/x")})
	if err == nil || !strings.Contains(err.Error(), "access to team/2026/.") {
		t.Fatalf("got %v", err)
	}
}

func TestGrantedExtrasAreAllowedAndOnlyThose(t *testing.T) {
	g := blogNews()
	g.AllowParams = []string{"notification_url"}
	g.Presets = []string{"blog_images"}
	if _, err := CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog", "notification_url", "https://hooks.example/x", "upload_preset", "blog_images")}); err != nil {
		t.Fatal(err)
	}
	_, err := CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog", "eval", "x")})
	assertRule(t, err, "param")
	_, err = CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog", "upload_preset", "other")})
	assertRule(t, err, "preset")
}

func TestFormatsAndTypesAreSignedSoCloudinaryEnforcesThem(t *testing.T) {
	// Named formats go into the signature as allowed_formats.
	g := Policy{Folders: []string{"blog"}, Formats: []string{"jpg", "png"}}
	p, err := CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog")})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Get("allowed_formats"); got != "jpg,png" {
		t.Errorf("allowed_formats = %q", got)
	}
	// The editor may narrow them, never widen.
	p, err = CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog", "allowed_formats", "png,gif")})
	if err != nil || p.Get("allowed_formats") != "png" {
		t.Errorf("narrowed: %v %q", err, p.Get("allowed_formats"))
	}
	_, err = CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog", "allowed_formats", "gif")})
	assertRule(t, err, "format")
	_, err = CheckCall(g, teamsign.SignCall{Action: "upload", Params: vals("folder", "blog", "format", "gif")})
	assertRule(t, err, "format")

	// Types without formats: the formats of those types.
	img := Policy{Folders: []string{"blog"}, Types: []string{"image"}}
	p, err = CheckCall(img, teamsign.SignCall{Action: "upload", ResourceType: "auto", Params: vals("folder", "blog")})
	if err != nil || !strings.Contains(","+p.Get("allowed_formats")+",", ",jpg,") || strings.Contains(p.Get("allowed_formats"), "mp4") {
		t.Errorf("image only: %v %q", err, p.Get("allowed_formats"))
	}
	_, err = CheckCall(img, teamsign.SignCall{Action: "upload", ResourceType: "video", Params: vals("folder", "blog")})
	assertRule(t, err, "type")
	// Raw allowed and no formats named: anything goes, nothing is added.
	p, err = CheckCall(blogNews(), teamsign.SignCall{Action: "upload", ResourceType: "raw", Params: vals("folder", "blog")})
	if err != nil || p.Has("allowed_formats") {
		t.Errorf("all types: %v %q", err, p.Get("allowed_formats"))
	}
}

func TestEditingAndDeletingNeedTheirRightsAndStayInside(t *testing.T) {
	ro := blogNews()
	rw := blogNews()
	rw.CanEdit, rw.CanDelete = true, true
	cases := []struct {
		name   string
		g      Policy
		call   teamsign.SignCall
		wantOK bool
		rule   string
	}{
		{"delete without the right", ro, teamsign.SignCall{Action: "destroy", Params: vals("public_id", "blog/x")}, false, "delete"},
		{"delete inside", rw, teamsign.SignCall{Action: "destroy", Params: vals("public_id", "blog/x", "invalidate", "true")}, true, ""},
		{"delete outside", rw, teamsign.SignCall{Action: "destroy", Params: vals("public_id", "drafts/x")}, false, "folder"},
		{"delete with a stray param", rw, teamsign.SignCall{Action: "destroy", Params: vals("public_id", "blog/x", "notification_url", "https://x")}, false, "param"},
		{"rename without the right", ro, teamsign.SignCall{Action: "rename", Params: vals("from_public_id", "blog/a", "to_public_id", "blog/b")}, false, "edit"},
		{"rename inside", rw, teamsign.SignCall{Action: "rename", Params: vals("from_public_id", "blog/a", "to_public_id", "news/2026/b")}, true, ""},
		{"rename out of the folders", rw, teamsign.SignCall{Action: "rename", Params: vals("from_public_id", "blog/a", "to_public_id", "drafts/b")}, false, "folder"},
		{"rename in from outside", rw, teamsign.SignCall{Action: "rename", Params: vals("from_public_id", "drafts/a", "to_public_id", "blog/b")}, false, "folder"},
		{"tags inside", rw, teamsign.SignCall{Action: "tags", Params: vals("command", "add", "tag", "x", "public_ids[0]", "blog/a", "public_ids[1]", "news/2026/b")}, true, ""},
		{"tags with one outside", rw, teamsign.SignCall{Action: "tags", Params: vals("command", "add", "tag", "x", "public_ids[0]", "blog/a", "public_ids[1]", "drafts/b")}, false, "folder"},
		{"tags smuggled by comma", rw, teamsign.SignCall{Action: "tags", Params: vals("command", "add", "tag", "x", "public_ids", "blog/a,drafts/b")}, false, "folder"},
		{"tags without ids", rw, teamsign.SignCall{Action: "tags", Params: vals("command", "add", "tag", "x")}, false, "param"},
		{"context without the right", ro, teamsign.SignCall{Action: "context", Params: vals("command", "add", "context", "alt=x", "public_ids[]", "blog/a")}, false, "edit"},
		{"explicit inside", rw, teamsign.SignCall{Action: "explicit", Params: vals("public_id", "blog/a", "tags", "x")}, true, ""},
		{"explicit with eager", rw, teamsign.SignCall{Action: "explicit", Params: vals("public_id", "blog/a", "eager", "e_sepia")}, false, "param"},
		{"unknown action", rw, teamsign.SignCall{Action: "publish", Params: vals("public_id", "blog/a")}, false, "action"},
		{"bad resource type", rw, teamsign.SignCall{Action: "destroy", ResourceType: "../x", Params: vals("public_id", "blog/a")}, false, "type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckCall(tc.g, tc.call)
			if tc.wantOK {
				assertRule(t, err, "")
			} else {
				assertRule(t, err, tc.rule)
			}
		})
	}
}

func TestNormalizeGrantRefusesFoldersThatCannotBeReasonedAbout(t *testing.T) {
	for _, bad := range []string{"", "/blog", "blog/../x", "a//b", "blog*", `a\b`, "50%", " blog"} {
		if _, err := NormalizeGrant(Policy{Folders: []string{bad}}); err == nil {
			t.Errorf("folder %q accepted", bad)
		}
	}
	g, err := NormalizeGrant(Policy{Folders: []string{"blog/", "blog", "news"}, Types: []string{"Image"}, Formats: []string{".JPG"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.Folders, ",") != "blog,news" || g.Types[0] != "image" || g.Formats[0] != "jpg" {
		t.Errorf("normalized: %+v", g)
	}
	if _, err := NormalizeGrant(Policy{}); err == nil {
		t.Error("a grant without folders was accepted")
	}
	if _, err := NormalizeGrant(Policy{Folders: []string{"a"}, Types: []string{"font"}}); err == nil {
		t.Error("unknown type accepted")
	}
}

// doc is a search document with a public id and nothing else.
type doc string

func (d doc) Text(field string) []string {
	switch field {
	case "public_id":
		return []string{string(d)}
	case "folder", "asset_folder":
		if i := strings.LastIndex(string(d), "/"); i > 0 {
			return []string{string(d)[:i]}
		}
		return []string{""}
	}
	return nil
}
func (doc) Number(string) (float64, bool) { return 0, false }
func (doc) Time(string) (time.Time, bool) { return time.Time{}, false }

var outside = []doc{"drafts/x", "blog-evil/x", "x", "other/blog/x", "newsletter/x", "news/2025/x"}
var insideDocs = []doc{"blog/x", "blog/2026/y", "news/2026/z"}

func TestRestrictedSearchesNeverReachOtherFolders(t *testing.T) {
	now := time.Now()
	for _, expr := range []string{
		"",
		"folder:drafts/*",
		"x OR public_id:drafts/*",
		"NOT public_id:blog/*",
		"public_id:* OR -public_id:*",
		`x\) OR \(folder:drafts/*`,
		"(tags:a OR public_id:other*) OR folder:drafts",
		"public_id:blog-evil*",
	} {
		restricted, err := Restrict(blogNews(), expr, now)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		e, err := searchexpr.ParseAt(restricted, now)
		if err != nil {
			t.Fatalf("%q restricted to %q, which does not parse: %v", expr, restricted, err)
		}
		for _, d := range outside {
			if e.Match(d) {
				t.Errorf("%q (restricted: %q) matches %s", expr, restricted, d)
			}
		}
	}
	// The restriction keeps what the editor may see.
	e, _ := searchexpr.ParseAt(mustRestrict(t, ""), now)
	for _, d := range insideDocs {
		if !e.Match(d) {
			t.Errorf("%s is hidden from its own editor", d)
		}
	}
	// A parenthesis that breaks out of the editor's part is a syntax error,
	// never a wider search.
	if _, err := Restrict(blogNews(), "x) OR (folder:drafts/*", now); err == nil {
		t.Error("an unbalanced expression was accepted")
	}
}

func mustRestrict(t *testing.T, expr string) string {
	t.Helper()
	r, err := Restrict(blogNews(), expr, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func FuzzRestrictNeverWidens(f *testing.F) {
	for _, s := range []string{"", "x", "x OR folder:drafts/*", "NOT public_id:blog/*", `a\) OR \(b`, "(a OR b) AND -c", "public_id=drafts/x"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		restricted, err := Restrict(blogNews(), expr, now)
		if err != nil {
			return
		}
		e, err := searchexpr.ParseAt(restricted, now)
		if err != nil {
			t.Fatalf("%q restricted to %q, which does not parse: %v", expr, restricted, err)
		}
		for _, d := range outside {
			if e.Match(d) {
				t.Fatalf("%q (restricted: %q) matches %s", expr, restricted, d)
			}
		}
	})
}

func FuzzCheckCallKeepsUploadsInside(f *testing.F) {
	f.Add("blog", "x", "")
	f.Add("", "blog/../drafts/x", "")
	f.Add("blog-evil", "x", "blog")
	f.Add("blog", "", "drafts")
	f.Fuzz(func(t *testing.T, folder, publicID, assetFolder string) {
		params := url.Values{}
		for k, v := range map[string]string{"folder": folder, "public_id": publicID, "asset_folder": assetFolder} {
			if v != "" {
				params.Set(k, v)
			}
		}
		if _, err := CheckCall(blogNews(), teamsign.SignCall{Action: "upload", Params: params}); err != nil {
			return
		}
		// Accepted: where Cloudinary would put it must be inside.
		where := strings.TrimSuffix(folder, "/")
		if publicID != "" {
			where = joinPath(where, publicID)
		}
		if !insideAny(blogNews(), where) || checkPath("where", where) != nil {
			t.Fatalf("accepted folder=%q public_id=%q: lands at %q", folder, publicID, where)
		}
		if af := strings.TrimSuffix(assetFolder, "/"); af != "" && !insideAny(blogNews(), af) {
			t.Fatalf("accepted asset_folder %q", assetFolder)
		}
	})
}
