package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
)

func TestTemplatesRenderPublicIDs(t *testing.T) {
	planned := time.Date(2026, 5, 17, 8, 9, 10, 0, time.UTC)
	in := TemplateInput{Profile: "work", Folder: "trips", Path: "/home/ann/Pictures/Summer/IMG 0042.JPEG", Name: "IMG 0042.JPEG",
		MD5: "0123456789abcdef0123456789abcdef", Planned: planned}
	cases := []struct {
		tpl  string
		want string
	}{
		{"{name}", "IMG 0042"},
		{"{name}-{md5:8}", "IMG 0042-01234567"},
		{"{parent}/{name}.{ext}", "Summer/IMG 0042.jpeg"},
		{"{date}/{time}-{name}", "2026-05-17/080910-IMG 0042"},
		{"{md5}", "0123456789abcdef0123456789abcdef"},
		{"shots/{uid:6}", "shots/" + stableID(in)[:6]},
		{"{slug}", "img-0042"},
		{"", "img-0042_" + stableID(in)[:6]},
	}
	for _, tc := range cases {
		tpl, err := ParseTemplate(tc.tpl)
		if err != nil {
			t.Fatalf("%q: %v", tc.tpl, err)
		}
		got, err := tpl.Render(in)
		if err != nil || got != tc.want {
			t.Errorf("%q rendered %q (%v), want %q", tc.tpl, got, err, tc.want)
		}
	}
}

func TestSlugIsReadableAndSafe(t *testing.T) {
	cases := map[string]string{
		"summer-campaign-team":   "summer-campaign-team",
		"Été à Paris (2)":        "ete-a-paris-2",
		"  __ ":                  "file",
		"日本":                     "file",
		"a/b?c&d#e%f<g>h\\i":     "a-b-c-d-e-f-g-h-i",
		strings.Repeat("ab", 50): strings.Repeat("ab", 30),
	}
	for in, want := range cases {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultIDIsReadableStableAndDistinctForSameNamedFiles(t *testing.T) {
	tpl, err := ParseTemplate("")
	if err != nil {
		t.Fatal(err)
	}
	a := TemplateInput{Profile: "p", Folder: "f", Path: "/home/ann/a/Summer Team.jpg", Name: "Summer Team.jpg", MD5: "m1"}
	b := TemplateInput{Profile: "p", Folder: "f", Path: "/home/ann/b/Summer Team.jpg", Name: "Summer Team.jpg", MD5: "m2"}
	ida, _ := tpl.Render(a)
	again, _ := tpl.Render(a)
	idb, _ := tpl.Render(b)
	if !strings.HasPrefix(ida, "summer-team_") || len(ida) != len("summer-team_")+6 {
		t.Fatalf("default id %q is not the slug and six characters", ida)
	}
	if ida != again {
		t.Fatalf("a retry gives %q then %q", ida, again)
	}
	if ida == idb {
		t.Fatalf("two different files named alike share the id %q", ida)
	}
}

func TestStableIDDependsOnWhatIdentifiesTheUpload(t *testing.T) {
	base := TemplateInput{Profile: "p", Folder: "f", Path: "/a.jpg", MD5: "m"}
	id := stableID(base)
	if len(id) != 20 || strings.ToLower(id) != id || id != stableID(base) {
		t.Fatalf("id %q", id)
	}
	for _, changed := range []TemplateInput{
		{Profile: "q", Folder: "f", Path: "/a.jpg", MD5: "m"},
		{Profile: "p", Folder: "g", Path: "/a.jpg", MD5: "m"},
		{Profile: "p", Folder: "f", Path: "/b.jpg", MD5: "m"},
		{Profile: "p", Folder: "f", Path: "/a.jpg", MD5: "n"},
		{Profile: "p", Folder: "f", Path: "/a.jpg", MD5: "m", Nonce: "x"},
	} {
		if stableID(changed) == id {
			t.Errorf("%+v gives the same id", changed)
		}
	}
}

func TestBadTemplatesAreRefusedWithWords(t *testing.T) {
	cases := []struct{ tpl, want string }{
		{"{nope}", "unknown placeholder {nope}"},
		{"{name", "without '}'"},
		{"name}", "without '{'"},
		{"{md5:0}", "length from 1 to 32"},
		{"{uid:21}", "length from 1 to 20"},
		{"{name:3}", "takes no length"},
		{"a?b", "not allowed"},
		{"/abs", "starts with '/'"},
	}
	for _, tc := range cases {
		_, err := ParseTemplate(tc.tpl)
		if !errors.Is(err, ErrBadTemplate) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.tpl, err, tc.want)
		}
	}
	tpl, _ := ParseTemplate("{parent}/{name}")
	if _, err := tpl.Render(TemplateInput{Path: "/x.jpg", Name: "x.jpg"}); err == nil {
		t.Error("an empty folder segment was accepted")
	}
	tpl, _ = ParseTemplate("a/../{name}")
	if _, err := tpl.Render(TemplateInput{Name: "x.jpg"}); err == nil {
		t.Error("a '..' segment was accepted")
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{name}", "{name}-{md5:8}", "{parent}/{date}/{uid:6}", "a/{ext}", "{", "}{", "{md5:99}", "x/../y", "{name}{name}"} {
		f.Add(s, "IMG 1.jpg", "/p/q/IMG 1.jpg")
	}
	f.Fuzz(func(t *testing.T, tplText, name, path string) {
		tpl, err := ParseTemplate(tplText)
		if err != nil {
			if !errors.Is(err, ErrBadTemplate) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		id, err := tpl.Render(TemplateInput{Name: name, Path: path, MD5: "0123456789abcdef0123456789abcdef", Planned: time.Unix(0, 0)})
		if err != nil {
			return
		}
		if err := checkPublicID(id); err != nil {
			t.Fatalf("rendered an id Cloudinary would refuse: %q (%v)", id, err)
		}
	})
}

func TestDetectByExtensionAndContent(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	cases := []struct {
		name     string
		head     []byte
		rt, form string
	}{
		{"a.JPG", nil, Image, "jpg"},
		{"a.jpeg", nil, Image, "jpg"},
		{"scan.pdf", nil, Image, "pdf"},
		{"clip.MOV", nil, Video, "mov"},
		{"song.mp3", nil, Video, "mp3"},
		{"notes.txt", []byte("hello"), Raw, "txt"},
		{"noext", png, Image, "png"},
		{"noext", []byte("plain words"), Raw, ""},
	}
	for _, tc := range cases {
		var head *bytes.Reader
		if tc.head != nil {
			head = bytes.NewReader(tc.head)
		}
		var rt, form string
		if head != nil {
			rt, form = Detect(tc.name, head)
		} else {
			rt, form = Detect(tc.name, nil)
		}
		if rt != tc.rt || form != tc.form {
			t.Errorf("%s: %s/%s, want %s/%s", tc.name, rt, form, tc.rt, tc.form)
		}
	}
	if rt, f := DetectURL("https://example.com/a/b/photo.webp?w=2"); rt != Image || f != "webp" {
		t.Errorf("url: %s %s", rt, f)
	}
	if rt, f := DetectURL("data:image/png;base64,AAAA"); rt != Image || f != "png" {
		t.Errorf("data uri: %s %s", rt, f)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 2_000_000_000: "2.0 GB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("%d: %q want %q", n, got, want)
		}
	}
}

func TestAddOfTenThousandItemsIsJournaledForResume(t *testing.T) {
	r := newRig(t, rigOptions{})
	e := r.engine(nil)
	e.Pause() // nothing runs: what matters is that Add queues and the journal keeps them
	items := make([]Item, 10_000)
	for i := range items {
		items[i] = Item{Path: filepath.Join(r.dir, "many", fmt.Sprintf("f-%05d.jpg", i)), Options: &Options{Folder: "f", Tags: []string{"t"}}}
	}
	ids := e.Add(items...)
	if len(ids) != len(items) || len(e.Snapshot().Items) != len(items) {
		t.Fatalf("%d ids, %d in the snapshot", len(ids), len(e.Snapshot().Items))
	}
	e.Close()
	left, err := r.journal.Unfinished(context.Background(), "test")
	if err != nil || len(left) != len(items) {
		t.Fatalf("%d unfinished rows after closing, %v", len(left), err)
	}
}

func TestSlowSubscriberGetsEveryStateChangeButOnlyTheLatestProgress(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 200_000}})
	p := filepath.Join(r.dir, "big.bin")
	writeFile(t, p, 400_000)
	e := r.engine(nil)
	slow := e.Subscribe() // read only at the end
	defer slow.Close()
	fast := e.Subscribe()
	defer fast.Close()
	fastEvents := make(chan []Event)
	go func() {
		var evs []Event
		for ev := range fast.C {
			evs = append(evs, ev)
		}
		fastEvents <- evs
	}()
	e.Add(Item{Path: p})
	finish(t, e, time.Minute)
	e.Close()
	var states []State
	progress, batches := 0, 0
	for ev := range slow.C {
		switch ev.Kind {
		case ItemsAdded:
			states = append(states, ev.Items[0].State)
		case ItemChanged:
			if len(states) == 0 || states[len(states)-1] != ev.Items[0].State {
				states = append(states, ev.Items[0].State)
			}
		case ItemProgress:
			progress++
		case BatchChanged:
			batches++
		}
	}
	if got := strings.Join(toStrings(states), " "); got != "queued checking uploading done" {
		t.Fatalf("state changes seen by the slow subscriber: %q", got)
	}
	if progress > 2 || batches > 3 {
		t.Fatalf("a slow subscriber got a backlog: %d progress and %d batch events", progress, batches)
	}
	evs := <-fastEvents
	fastProgress := 0
	for _, ev := range evs {
		if ev.Kind == ItemProgress {
			fastProgress++
		}
	}
	if fastProgress < 5 {
		t.Fatalf("a reading subscriber saw only %d progress events over a 2 s upload", fastProgress)
	}
}

func toStrings(states []State) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}

// The batch is whole exactly when every file is there: at once, though the
// bytes behind the bar are summed a tick later; never with one failed or
// one left.
func TestBatchFractionIsWholeExactlyWhenEveryFileIsThere(t *testing.T) {
	for _, c := range []struct {
		b    BatchStatus
		want func(float64) bool
	}{
		{BatchStatus{Total: 1, Done: 1, BytesDone: 997, BytesTotal: 1000}, func(f float64) bool { return f == 1 }},
		{BatchStatus{Total: 3, Done: 1, Skipped: 1, Canceled: 1, BytesDone: 10, BytesTotal: 20}, func(f float64) bool { return f == 1 }},
		{BatchStatus{Total: 2, Done: 1, Failed: 1, BytesDone: 1000, BytesTotal: 1000}, func(f float64) bool { return f <= maxUnfinished }},
		{BatchStatus{Total: 2, Done: 1, Queued: 1, BytesDone: 1000, BytesTotal: 1000}, func(f float64) bool { return f <= maxUnfinished }},
		{BatchStatus{Total: 1, Canceled: 1}, func(f float64) bool { return f == 0 }},
	} {
		if f := batchFraction(c.b, 0); !c.want(f) {
			t.Errorf("%+v: fraction %.3f", c.b, f)
		}
	}
}
