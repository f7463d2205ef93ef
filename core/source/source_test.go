package source

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/transfer"
)

func TestParseInputClassifiesURLsAndPaths(t *testing.T) {
	home, _ := os.UserHomeDir()
	cwd, _ := os.Getwd()
	cases := []struct {
		in        string
		kind      Kind
		path, url string
		errPart   string
	}{
		{in: "https://example.com/a.jpg", kind: RemoteURL, url: "https://example.com/a.jpg"},
		{in: "  HTTP://Example.com/x  ", kind: RemoteURL, url: "HTTP://Example.com/x"},
		{in: "ftp://files.example.com/a.png", kind: RemoteURL, url: "ftp://files.example.com/a.png"},
		{in: "data:image/png;base64,iVBOR", kind: RemoteURL, url: "data:image/png;base64,iVBOR"},
		{in: "file:///tmp/My%20Photos/a%23b.jpg", kind: LocalPath, path: "/tmp/My Photos/a#b.jpg"},
		{in: "file://localhost/tmp/x.jpg", kind: LocalPath, path: "/tmp/x.jpg"},
		{in: `"/tmp/with space.jpg"`, kind: LocalPath, path: "/tmp/with space.jpg"},
		{in: "~/Pictures/a.jpg", kind: LocalPath, path: filepath.Join(home, "Pictures/a.jpg")},
		{in: "rel/a.jpg", kind: LocalPath, path: filepath.Join(cwd, "rel/a.jpg")},
		{in: "note: a.jpg", kind: LocalPath, path: filepath.Join(cwd, "note: a.jpg")},
		{in: "file://otherhost/x.jpg", errPart: "names another machine"},
		{in: "mailto:ann@example.com", errPart: "Cloudinary cannot fetch"},
		{in: "https:/no-host", errPart: "needs a host"},
		{in: "data:image/png;base64", errPart: "without data"},
		{in: "   ", errPart: "empty"},
		{in: "a\x00b", errPart: "NUL"},
	}
	for _, tc := range cases {
		got, err := ParseInput(tc.in)
		if tc.errPart != "" {
			if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("%q: %v, want an error with %q", tc.in, err, tc.errPart)
			}
			continue
		}
		if err != nil || got.Kind != tc.kind || got.Path != tc.path || got.URL != tc.url {
			t.Errorf("%q: %+v %v", tc.in, got, err)
		}
	}
}

func TestParseErrorsNeverQuoteASecretOrPassword(t *testing.T) {
	const secret = "Sup3rS3cretValue_xyz"
	cases := []struct {
		in            string
		cloudinaryURL bool
	}{
		{in: "cloudinary://123456789012345:" + secret + "@demo", cloudinaryURL: true},
		{in: "CLOUDINARY://123456789012345:" + secret + "@demo?upload_prefix=https://api.example.com", cloudinaryURL: true},
		{in: `"cloudinary://123456789012345:` + secret + `@demo"`, cloudinaryURL: true},
		{in: "cloudinary:123456789012345:" + secret + "@demo", cloudinaryURL: true},
		{in: "cloudinary://123456789012345:" + secret + "@demo\x00", cloudinaryURL: false},
		{in: "sftp://ann:" + secret + "@files.example.com/a.jpg"},
		{in: "smb://ann:" + secret + "@nas/photos"},
		{in: "file://ann:" + secret + "@otherhost/x.jpg"},
		{in: "https://ann:" + secret + "@/a.jpg"},
	}
	for _, tc := range cases {
		_, err := ParseInput(tc.in)
		if err == nil || !errors.Is(err, ErrBadInput) {
			t.Errorf("%q: %v, want a bad-input error", tc.in, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: the error leaks the secret: %v", tc.in, err)
		}
		if got := errors.Is(err, ErrCloudinaryURL); got != tc.cloudinaryURL {
			t.Errorf("%q: errors.Is(err, ErrCloudinaryURL) = %v, want %v (%v)", tc.in, got, tc.cloudinaryURL, err)
		}
		if tc.cloudinaryURL && !strings.Contains(err.Error(), "Settings") {
			t.Errorf("%q: %v, want it to say where a CLOUDINARY_URL goes", tc.in, err)
		}
	}
	// Pasted text and command-line arguments keep the input in Problem.Input.
	var lines []string
	for _, tc := range cases {
		lines = append(lines, tc.in)
	}
	_, problems := ParseText(strings.Join(lines, "\n"))
	x, err := ExpandStrings(context.Background(), lines, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, more, _, _ := x.Collect()
	problems = append(problems, more...)
	if len(problems) != 2*len(cases) {
		t.Fatalf("%d problems, want %d", len(problems), 2*len(cases))
	}
	for _, p := range problems {
		if strings.Contains(p.Input, secret) || strings.Contains(p.Error(), secret) {
			t.Errorf("problem leaks the secret: input %q, error %v", p.Input, p)
		}
	}
}

func TestRedactDropsUserinfoOnly(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://ann:pw@example.com/a.jpg", "https://example.com/a.jpg"},
		{"https://example.com/@ann/a.jpg", "https://example.com/@ann/a.jpg"},
		{"see s3://k:s@bucket/x and ftp://u@h/y", "see s3://bucket/x and ftp://h/y"},
		{"cloudinary://1:2@demo?upload_prefix=https://x:y@api", "cloudinary://demo?upload_prefix=https://api"},
		{"/tmp/a@b.jpg", "/tmp/a@b.jpg"},
		{"mailto:ann@example.com", "mailto:ann@example.com"},
	}
	for _, tc := range cases {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseTextTakesOneInputPerLine(t *testing.T) {
	text := "# copied from the file manager\r\nfile:///tmp/a.jpg\n\n  https://example.com/b.png  \rjavascript:alert(1)\n/tmp/c.gif\n"
	inputs, problems := ParseText(text)
	var got []string
	for _, in := range inputs {
		got = append(got, in.Path+in.URL)
	}
	if strings.Join(got, "|") != "/tmp/a.jpg|https://example.com/b.png|/tmp/c.gif" {
		t.Fatalf("inputs %q", got)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "javascript:") {
		t.Fatalf("problems %v", problems)
	}
}

func FuzzParseInput(f *testing.F) {
	for _, s := range []string{"https://a.b/c.jpg", "file:///x%20y", "file://h/x", "C:\\x.jpg", "~/a", `"q"`, "data:,x", "x:y", "s3://b/k", "%zz", "file:", "cloudinary://1:secret@demo", "sftp://u:pw@h/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, err := ParseInput(s)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("unclassified error: %v", err)
			}
			// A password in the input is never quoted back.
			if u, perr := url.Parse(strings.TrimSpace(s)); perr == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && len(pw) >= 4 && strings.Count(s, pw) == 1 && strings.Contains(err.Error(), pw) {
					t.Fatalf("%q: the error quotes the password: %v", s, err)
				}
			}
			return
		}
		switch in.Kind {
		case LocalPath:
			if !filepath.IsAbs(in.Path) || in.URL != "" {
				t.Fatalf("%q gave %+v", s, in)
			}
		case RemoteURL:
			if in.URL == "" || in.Path != "" {
				t.Fatalf("%q gave %+v", s, in)
			}
		default:
			t.Fatalf("kind %d", in.Kind)
		}
	})
}

func FuzzParseText(f *testing.F) {
	f.Add("file:///a\nhttps://b/c\n# x\n\n")
	f.Add("\r\r\n\x00")
	f.Fuzz(func(t *testing.T, s string) {
		inputs, problems := ParseText(s)
		lines := 0
		for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines++
			}
		}
		if len(inputs)+len(problems) != lines {
			t.Fatalf("%d lines became %d inputs and %d problems", lines, len(inputs), len(problems))
		}
	})
}

// tree makes files and folders; entries ending in "/" are folders, "a -> b"
// is a symlink.
func tree(t *testing.T, root string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		if from, to, ok := strings.Cut(e, " -> "); ok {
			if err := os.Symlink(to, filepath.Join(root, from)); err != nil {
				t.Skipf("symlinks unavailable: %v", err)
			}
			continue
		}
		p := filepath.Join(root, e)
		if strings.HasSuffix(e, "/") {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"+e), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func names(root string, items []transfer.Item) []string {
	var out []string
	for _, it := range items {
		rel, _ := filepath.Rel(root, it.Path)
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out
}

func TestFolderExpansionAppliesPatternsSkipsHiddenAndDetectsSymlinkLoops(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	root := t.TempDir()
	tree(t, root,
		"a.jpg", "b.PNG", "notes.txt", ".hidden.jpg", ".git/obj.jpg",
		"sub/c.jpg", "sub/raw/d.jpg", "thumbs/e.jpg", "sub/deep/thumbs/f.jpg",
		"loop -> .", "sub/up -> ..", "zlink -> sub", "dangling.jpg -> nowhere.jpg")
	x, err := Expand(context.Background(), []Input{{Kind: LocalPath, Path: root, Raw: root}},
		Options{Include: []string{"*.jpg", "*.png"}, Exclude: []string{"thumbs", "sub/raw/**"}})
	if err != nil {
		t.Fatal(err)
	}
	items, problems, sum, err := x.Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names(root, items), " ")
	if got != "a.jpg b.PNG sub/c.jpg" {
		t.Fatalf("items: %s", got)
	}
	loops, broken := 0, 0
	for _, p := range problems {
		switch {
		case errors.Is(p.Err, ErrSymlinkLoop):
			loops++
			if !strings.Contains(p.Error(), "points back to") {
				t.Errorf("loop words: %v", p)
			}
		case strings.Contains(p.Error(), "broken symlink"):
			broken++
		default:
			t.Errorf("unexpected problem: %v", p)
		}
	}
	if loops != 2 || broken != 1 {
		t.Fatalf("loops %d, broken links %d: %v", loops, broken, problems)
	}
	if sum.Hidden != 2 || sum.Items != 3 || sum.Excluded < 3 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestHiddenFilesAreIncludedWhenAsked(t *testing.T) {
	root := t.TempDir()
	tree(t, root, ".hidden.jpg", ".cache/x.jpg", "v.jpg")
	x, _ := Expand(context.Background(), []Input{{Kind: LocalPath, Path: root}}, Options{Hidden: true})
	items, _, _, _ := x.Collect()
	if got := strings.Join(names(root, items), " "); got != ".cache/x.jpg .hidden.jpg v.jpg" {
		t.Fatalf("items: %s", got)
	}
}

func TestExplicitFilesAreKeptEvenWhenMissingOrNotMatching(t *testing.T) {
	root := t.TempDir()
	tree(t, root, ".dot.txt")
	missing := filepath.Join(root, "missing.jpg")
	x, err := ExpandStrings(context.Background(), []string{filepath.Join(root, ".dot.txt"), missing, "https://example.com/x.jpg", "mailto:x@y"},
		Options{Include: []string{"*.jpg"}, ItemOptions: &transfer.Options{Folder: "f"}})
	if err != nil {
		t.Fatal(err)
	}
	items, problems, _, _ := x.Collect()
	if len(items) != 3 || items[0].Path != filepath.Join(root, ".dot.txt") || items[1].Path != missing || items[2].URL != "https://example.com/x.jpg" {
		t.Fatalf("items %+v", items)
	}
	if items[0].Options == nil || items[0].Options.Folder != "f" || items[0].Options == items[1].Options {
		t.Fatal("every item needs its own copy of the options")
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "mailto") {
		t.Fatalf("problems %v", problems)
	}
}

func TestBadPatternIsRefusedBeforeStarting(t *testing.T) {
	_, err := Expand(context.Background(), nil, Options{Exclude: []string{"[abc"}})
	if err == nil || !strings.Contains(err.Error(), `exclude pattern "[abc"`) {
		t.Fatalf("%v", err)
	}
}

func TestLargeFolderStreamsInBatchesAndCanBeStopped(t *testing.T) {
	root := t.TempDir()
	for i := range 30 {
		dir := filepath.Join(root, "d"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
		os.MkdirAll(dir, 0o755)
		for j := range 100 {
			os.WriteFile(filepath.Join(dir, "f"+string(rune('a'+j%26))+strings.Repeat("y", j/26)+".jpg"), nil, 0o644)
		}
	}
	x, err := Expand(context.Background(), []Input{{Kind: LocalPath, Path: root}}, Options{BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	first := <-x.C
	if len(first.Items) == 0 || len(first.Items) > 50 {
		t.Fatalf("first batch has %d items", len(first.Items))
	}
	x.Cancel()
	for range x.C {
	}
	sum, err := x.Wait()
	if !errors.Is(err, context.Canceled) || sum.Items >= 3000 {
		t.Fatalf("after cancelling at the first batch: %+v %v (it did not stream)", sum, err)
	}

	// Left to run, every file arrives once, in many batches.
	var batches, total int
	seen := map[string]bool{}
	x, _ = Expand(context.Background(), []Input{{Kind: LocalPath, Path: root}}, Options{BatchSize: 50, OnBatch: func(b Batch) {
		batches++
		total += len(b.Items)
		for _, it := range b.Items {
			seen[it.Path] = true
		}
	}})
	for range x.C {
		t.Fatal("OnBatch was set: nothing should arrive on C")
	}
	if sum, err := x.Wait(); err != nil || total != 3000 || len(seen) != 3000 || batches < 60 || sum.Folders != 31 {
		t.Fatalf("%d items in %d batches, %d distinct, %+v %v", total, batches, len(seen), sum, err)
	}
}

func TestSpoolKeepsImageBytesInAFileThatResumes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	data := []byte("\xff\xd8\xff\xe0 pretend jpeg")
	it, err := Spool(dir, "../../etc/Camera: 1.jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	if !it.Spool || it.Name != "Camera_ 1.jpg" || filepath.Dir(it.Path) != dir {
		t.Fatalf("%+v", it)
	}
	got, _ := os.ReadFile(it.Path)
	if string(got) != string(data) {
		t.Fatal("spooled bytes differ")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".spool-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, err := Spool(dir, "x.png", nil); err == nil {
		t.Fatal("an empty image was spooled")
	}
	if n := SpoolName("clipboard", time.Date(2026, 5, 17, 8, 9, 10, 0, time.UTC), ".png"); n != "clipboard-20260517-080910.png" {
		t.Fatal(n)
	}
}
