package share

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
)

// engineWithTracker runs an engine on a sandbox and feeds a Tracker from its
// events; reports arrive on the returned channel.
func engineWithTracker(t *testing.T, format effects.LinkFormat) (*transfer.Engine, <-chan Report) {
	t.Helper()
	sb := sandboxtest.Start(t, sandbox.Config{})
	j, err := transfer.OpenJournal(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	eng, err := transfer.New(transfer.Config{Client: sandboxtest.Client(t, sb), Journal: j, Profile: "p",
		Limits: transfer.Limits{MaxRawBytes: 5000}})
	if err != nil {
		t.Fatal(err)
	}
	reports := make(chan Report, 4)
	tr := NewTracker(format, func(r Report) { reports <- r })
	sub := eng.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range sub.C {
			tr.Event(ev)
		}
	}()
	t.Cleanup(func() { eng.Close(); sub.Close(); <-done })
	return eng, reports
}

func next(t *testing.T, reports <-chan Report) Report {
	t.Helper()
	select {
	case r := <-reports:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no report")
	}
	return Report{}
}

func write(t *testing.T, p string, n int, fill byte) string {
	t.Helper()
	os.WriteFile(p, []byte(strings.Repeat(string(fill), n)), 0o644)
	return p
}

func TestABatchGivesEveryLinkOnePerLineAndSaysWhyTheOthersFailed(t *testing.T) {
	eng, reports := engineWithTracker(t, effects.LinkMarkdown)
	dir := t.TempDir()
	eng.Add(
		transfer.Item{Path: write(t, filepath.Join(dir, "notes one.txt"), 100, 'a')},
		transfer.Item{Path: write(t, filepath.Join(dir, "two.txt"), 200, 'b')},
		transfer.Item{Path: write(t, filepath.Join(dir, "big.bin"), 6000, 'c')},
		transfer.Item{Path: write(t, filepath.Join(dir, "big2.bin"), 7000, 'd')},
		transfer.Item{Path: filepath.Join(dir, "gone.jpg")},
	)
	r := next(t, reports)
	if r.Done != 2 || r.Failed != 3 || len(r.Links) != 2 {
		t.Fatalf("report %+v", r)
	}
	for _, l := range r.Links {
		if !strings.HasPrefix(l, "[") || !strings.Contains(l, "](http://127.0.0.1:") {
			t.Errorf("link %q is not a Markdown link to the sandbox", l)
		}
	}
	if !strings.Contains(r.Text(), "\n") || strings.Count(r.Text(), "\n") != 1 {
		t.Errorf("text %q: want two lines", r.Text())
	}
	if len(r.Reasons) != 2 || r.Reasons[0] != (Reason{"over the size limit", 2}) || r.Reasons[1] != (Reason{"file gone", 1}) {
		t.Errorf("reasons %+v", r.Reasons)
	}
	title, body := r.Notification(true)
	if title != "3 uploads of 5 failed" || body != "2 files are on Cloudinary; their links are on the clipboard, one per line. 3 files failed: over the size limit (2), file gone (1)." {
		t.Errorf("notification %q / %q", title, body)
	}

	// The next batch is reported on its own; a file already uploaded gives
	// its existing link.
	eng.Add(transfer.Item{Path: filepath.Join(dir, "two.txt")})
	r = next(t, reports)
	if r.Skipped != 1 || len(r.Links) != 1 || r.Failed != 0 {
		t.Fatalf("second report %+v", r)
	}
	title, body = r.Notification(true)
	if title != "Link copied" || body != "two.txt was already on Cloudinary; its link is on the clipboard." {
		t.Errorf("notification %q / %q", title, body)
	}
	if _, body := r.Notification(false); body != "1 file is on Cloudinary (1 already was)." {
		t.Errorf("without copying: %q", body)
	}
}

func TestAPausedBatchIsNotReportedUntilItEnds(t *testing.T) {
	eng, reports := engineWithTracker(t, effects.LinkURL)
	dir := t.TempDir()
	eng.Pause()
	eng.Add(transfer.Item{Path: write(t, filepath.Join(dir, "a.txt"), 10, 'x')})
	select {
	case r := <-reports:
		t.Fatalf("reported while paused: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
	eng.Resume()
	if r := next(t, reports); r.Done != 1 || !strings.HasPrefix(r.Text(), "http://127.0.0.1:") {
		t.Fatalf("report %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	eng.Wait(ctx)
}
