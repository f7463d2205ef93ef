package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsTemporaryKnowsPartialDownloadsLockFilesAndFolderMetadata(t *testing.T) {
	for name, want := range map[string]bool{
		"clip.mp4.part": true, "a.jpg.crdownload": true, "A.JPG.PART": true, "scan.tmp": true, "photo.jpg~": true,
		"~$report.docx": true, "Thumbs.db": true, "desktop.ini": true, "x.filepart": true, "movie.mkv.!ut": true,
		"photo.jpg": false, "part.jpg": false, "temperature.png": false, "tmp.jpg": false, "~beach.jpg": false,
	} {
		if got := IsTemporary(name); got != want {
			t.Errorf("IsTemporary(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestFilterSaysWhyAnEntryIsSkipped(t *testing.T) {
	f, err := NewFilter([]string{"*.jpg"}, []string{"raw/**"}, false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rel   string
		isDir bool
		want  Skipped
	}{
		{"a.jpg", false, ""},
		{"sub/B.JPG", false, ""},
		{"a.png", false, SkippedExcluded},
		{"raw/x.jpg", false, SkippedExcluded},
		{".hidden.jpg", false, SkippedHidden},
		{".cache", true, SkippedHidden},
		{"a.jpg.part", false, SkippedTemporary},
		{"sub", true, ""}, // folders are not held to the include patterns
	}
	for _, tc := range cases {
		if got := f.Skip(tc.rel, filepath.Base(tc.rel), tc.isDir); got != tc.want {
			t.Errorf("Skip(%q) = %q, want %q", tc.rel, got, tc.want)
		}
	}
	if _, err := NewFilter(nil, []string{"[oops"}, false); err == nil || !strings.Contains(err.Error(), "[oops") {
		t.Errorf("bad pattern error = %v", err)
	}
}

func TestFolderExpansionSkipsTemporaryFiles(t *testing.T) {
	root := t.TempDir()
	tree(t, root, "a.jpg", "b.jpg.part", "c.mp4.crdownload", "Thumbs.db", "~$notes.docx", "sub/d.jpg")
	x, err := Expand(context.Background(), []Input{{Kind: LocalPath, Path: root}}, Options{Hidden: true})
	if err != nil {
		t.Fatal(err)
	}
	items, _, sum, _ := x.Collect()
	if got := strings.Join(names(root, items), " "); got != "a.jpg sub/d.jpg" {
		t.Fatalf("items: %s", got)
	}
	if sum.Hidden != 4 {
		t.Errorf("summary %+v: want the 4 temporary files counted as skipped", sum)
	}
}

func TestPastedSentenceIsNotAFile(t *testing.T) {
	text := "Here is the photo from yesterday\nbeach.jpg\n/home/ann/Pictures/beach day.jpg\n~/shot.png\n\"C:\\Users\\ann\\x.jpg\"\nhttps://example.com/a.jpg\n"
	inputs, problems := ParseText(text)
	var got []string
	for _, in := range inputs {
		got = append(got, in.Raw)
	}
	if strings.Join(got, "|") != `/home/ann/Pictures/beach day.jpg|~/shot.png|"C:\Users\ann\x.jpg"|https://example.com/a.jpg` {
		t.Fatalf("inputs %q", got)
	}
	if len(problems) != 2 {
		t.Fatalf("problems %v", problems)
	}
	for _, p := range problems {
		if !errors.Is(p.Err, ErrNotAPathOrLink) || !errors.Is(p.Err, ErrBadInput) {
			t.Errorf("problem %v is not marked ErrNotAPathOrLink", p)
		}
	}
	if msg := problems[0].Error(); msg != `"Here is the photo from yesterday" is neither a file path nor a link; ignored` {
		t.Errorf("words: %s", msg)
	}
}

// Files found carry their size, so a queued row can say it before the
// engine checks the file.
func TestFoundFilesCarryTheirSize(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "dir")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "a.jpg"), make([]byte, 1234), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b.jpg"), make([]byte, 56), 0o644)
	os.WriteFile(filepath.Join(root, "c.jpg"), make([]byte, 7), 0o644)
	x, err := Expand(context.Background(), []Input{{Kind: LocalPath, Path: dir}, {Kind: LocalPath, Path: filepath.Join(root, "c.jpg")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	items, _, _, _ := x.Collect()
	sizes := map[string]int64{}
	for _, it := range items {
		sizes[filepath.Base(it.Path)] = it.Size
	}
	if len(items) != 3 || sizes["a.jpg"] != 1234 || sizes["b.jpg"] != 56 || sizes["c.jpg"] != 7 {
		t.Fatalf("%d items, sizes %v: want a.jpg 1234, b.jpg 56 (in the folder), c.jpg 7 (named)", len(items), sizes)
	}
}
