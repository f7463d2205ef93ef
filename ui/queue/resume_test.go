package queue

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/transfer"
)

// resumeRun is one start of the app: its sandbox (on the same data folder
// every time, with the free plan's limits), journal, engine and window.
type resumeRun struct {
	sb  *sandbox.Server
	j   *transfer.Journal
	eng *transfer.Engine
}

func startRun(t *testing.T, h *harness, dir string, bandwidth int64) *resumeRun {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), sandbox.Config{Dir: filepath.Join(dir, "sandbox"), Bandwidth: bandwidth})
	if err != nil {
		t.Fatal(err)
	}
	j, err := transfer.OpenJournal(filepath.Join(dir, "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := transfer.New(transfer.Config{Client: sandboxtest.Client(t, sb), Journal: j, Profile: "sandbox",
		Concurrency: 3, ChunkSize: cloud.MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	r := &resumeRun{sb: sb, j: j, eng: eng}
	t.Cleanup(r.quit)
	// A new window's queue, as after a restart.
	h.v = New(h.win, h.tasks)
	h.win.SetContent(h.v.Content())
	h.v.SetAccount(AccountFrom(eng, nil))
	return r
}

// quit is what the app does on Ctrl+Q: the window's engine stops (what
// runs stays in the journal), then the embedded sandbox.
func (r *resumeRun) quit() {
	r.eng.Close()
	r.sb.Close()
	r.j.Close()
}

// pressResume shows the notice a start shows for the journal's unfinished
// uploads and presses its Resume button.
func (r *resumeRun) pressResume(t *testing.T, h *harness) {
	t.Helper()
	left, err := r.j.Unfinished(context.Background(), "sandbox")
	if err != nil || len(left) == 0 {
		t.Fatalf("nothing to resume (%v)", err)
	}
	var names []string
	for _, e := range left {
		names = append(names, e.Name)
	}
	h.v.OfferResume(names)
	h.tasks.Drain()
	(h.v.noticeBtns.Objects[0].(*widget.Button)).OnTapped()
}

// waitRows syncs the view until ok says the rows are where the test wants
// them; a failed row fails the test.
func waitRows(t *testing.T, h *harness, what string, ok func(rows map[string]transfer.ItemStatus) bool) map[string]transfer.ItemStatus {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h.tasks.Drain()
		h.v.sync()
		rows := map[string]transfer.ItemStatus{}
		for i := range h.v.Len() {
			st := h.v.Row(i)
			if st.State == transfer.Failed {
				t.Fatalf("%s failed: %s", st.Name, st.Words)
			}
			rows[st.Name] = st
		}
		if ok(rows) {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: rows %v", what, rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sumOf(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// TestQuitMidUploadThenResumeFinishesImageVideoAndRaw: the window quits
// while a photo, a 14 MB video and a raw file are each half sent, and again
// while the sandbox reads the video (ffprobe) after its last chunk; each
// restart's Resume carries on, and everything lands as what it is, under
// the free plan's limits (10 MB for images and raw files, 100 MB video).
// Before, the second quit made the video raw, and the resumed video failed
// "File size too large… Maximum is 10485760".
func TestQuitMidUploadThenResumeFinishesImageVideoAndRaw(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 32 MB three times over")
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed: the test needs it to make a video")
	}
	realProbe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe is not installed")
	}
	h := newHarness(t, false)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)

	photo := filepath.Join(in, "harbour.png") // 9 MB: two chunks
	img := image.NewNRGBA(image.Rect(0, 0, 1500, 1500))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	f, _ := os.Create(photo)
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw := filepath.Join(in, "survey.bin") // 9 MB
	data := make([]byte, 9_000_000)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	os.WriteFile(raw, data, 0o644)
	video := filepath.Join(in, "clip.avi") // 13.8 MB of uncompressed frames: three chunks
	cmd := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=10", "-t", "4", "-c:v", "rawvideo", "-pix_fmt", "yuv420p", video)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	sums := map[string]string{"harbour.png": sumOf(t, photo), "survey.bin": sumOf(t, raw), "clip.avi": sumOf(t, video)}

	// First run, on a slow link: quit once every file has a chunk in.
	run := startRun(t, h, dir, 6<<20)
	var uris []fyne.URI
	for _, p := range []string{photo, video, raw} {
		uris = append(uris, storage.NewFileURI(p))
	}
	h.v.HandleDrop(fyne.NewPos(5, 5), uris)
	waitRows(t, h, "a chunk of each file sent", func(rows map[string]transfer.ItemStatus) bool {
		n := 0
		for _, st := range rows {
			if st.BytesDone > cloud.MinChunkSize && st.State != transfer.Done {
				n++
			}
		}
		return n == 3
	})
	run.quit()

	// Second run: ffprobe is slow to read the video, and the window quits
	// while it does (the photo and the raw file are done by then).
	bin := t.TempDir()
	started := filepath.Join(bin, "started")
	sleep, _ := exec.LookPath("sleep")
	script := fmt.Sprintf("#!/bin/sh\n: > %q\n%s 20\nexec %s \"$@\"\n", started, sleep, realProbe)
	os.WriteFile(filepath.Join(bin, "ffprobe"), []byte(script), 0o755)
	origPath := os.Getenv("PATH")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+origPath)
	run = startRun(t, h, dir, 0)
	run.pressResume(t, h)
	rows := waitRows(t, h, "the photo and the raw file done, the video being read", func(rows map[string]transfer.ItemStatus) bool {
		_, err := os.Stat(started)
		return err == nil && rows["harbour.png"].State == transfer.Done && rows["survey.bin"].State == transfer.Done
	})
	for name, rt := range map[string]string{"harbour.png": "image", "survey.bin": "raw"} {
		if a := rows[name].Asset; a == nil || a.ResourceType != rt || a.ETag != sums[name] || !rows[name].Resumed {
			t.Errorf("%s: resumed %v, asset %+v; want a resumed %s with etag %s", name, rows[name].Resumed, a, rt, sums[name])
		}
	}
	run.quit()

	// Third run: Resume finishes the video, as a video.
	t.Setenv("PATH", origPath)
	run = startRun(t, h, dir, 0)
	run.pressResume(t, h)
	rows = waitRows(t, h, "the video done", func(rows map[string]transfer.ItemStatus) bool {
		return rows["clip.avi"].State == transfer.Done
	})
	if a := rows["clip.avi"].Asset; a == nil || a.ResourceType != "video" || a.ETag != sums["clip.avi"] || a.Bytes < 10485760 {
		t.Errorf("the video: %+v, want a video of more than 10 MB with etag %s", a, sums["clip.avi"])
	}
	if st := run.sb.Stats(); st.Assets != 3 {
		t.Errorf("sandbox: %s, want the 3 assets", st)
	}
}
