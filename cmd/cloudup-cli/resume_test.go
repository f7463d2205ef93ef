package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/sandbox"
)

// TestKilledUploadOfImageVideoAndRawResumes: cloudup-cli is killed
// (SIGKILL) while a 9 MB photo, a 14 MB video and a 9 MB raw file are being
// sent in chunks to a sandbox with the free plan's limits (10 MB images
// and raw files, 100 MB videos); `upload --resume` finishes each as what it
// is, without a second asset.
func TestKilledUploadOfImageVideoAndRawResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 32 MB")
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed: the test needs it to make a video")
	}
	sb, cu := uploadSandbox(t, sandbox.Config{Bandwidth: 4 << 20})
	h := newHarness(t)
	in := filepath.Join(h.root, "in")
	os.MkdirAll(in, 0o755)
	rnd := rand.New(rand.NewPCG(3, 4))
	photo := filepath.Join(in, "harbour.png")
	img := image.NewNRGBA(image.Rect(0, 0, 1500, 1500))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.Uint32()) | 1
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(photo, buf.Bytes(), 0o644)
	raw := filepath.Join(in, "survey.bin")
	writeBytes(t, raw, 9_000_000)
	video := filepath.Join(in, "clip.avi")
	if out, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=10", "-t", "4",
		"-c:v", "rawvideo", "-pix_fmt", "yuv420p", video).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	want := map[string]string{photo: "/image/upload/", video: "/video/upload/", raw: "/raw/upload/"}

	args := []string{"upload", "--json", "--concurrency", "3", "--chunk-size", "5242880"}
	cmd := exec.Command(cliBin, append(args, photo, video, raw)...)
	cmd.Env = append(os.Environ(), cu, "CLOUDUP_CONFIG_DIR="+h.config, "CLOUDUP_DATA_DIR="+filepath.Join(h.root, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed once a first chunk is in and the next ones are on their way.
	deadline := time.Now().Add(60 * time.Second)
	for sb.Requests(sandbox.EndpointUploadChunk) < 4 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the chunks never started\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	h.seen.Write(stdout.Bytes())
	h.seen.Write(stderr.Bytes())
	if st := sb.Stats(); st.Assets != 0 {
		t.Fatalf("killed too late: %s", st)
	}
	before := sb.Requests(sandbox.EndpointUploadChunk)

	sb.SetBandwidth(0)
	r := h.run("", append(args, "--resume"), cu)
	if r.code != 0 {
		t.Fatalf("--resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	recs := records(t, r.stdout)
	for p, rt := range want {
		rec := recs[p]
		sum := sumFile(t, p)
		if rec.Status != "done" || rec.ETag != sum || !strings.Contains(rec.SecureURL, rt) {
			t.Errorf("%s resumed: %+v, want done as %s with etag %s", filepath.Base(p), rec, rt, sum)
		}
	}
	// 3 + 2 + 2 chunks in all; at most one per file sent again.
	if sent := sb.Requests(sandbox.EndpointUploadChunk); sent > 7+3 {
		t.Errorf("%d chunk requests (%d before the kill) for 7 chunks", sent, before)
	}
	if st := sb.Stats(); st.Assets != 3 {
		t.Errorf("sandbox: %s, want 3 assets", st)
	}
}

func sumFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// TestFIFOOnTheCommandLineFailsInOneLine: a named pipe nobody writes to,
// named next to a photo, fails in one line; the photo uploads and the
// command ends instead of waiting on the pipe.
func TestFIFOOnTheCommandLineFailsInOneLine(t *testing.T) {
	_, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	// Not under the harness's root: it reads every file there at the end.
	fifo := filepath.Join(t.TempDir(), "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	photo := filepath.Join(h.root, "photo.jpg")
	writePhoto(t, photo, 40)
	done := make(chan result, 1)
	go func() { done <- h.run("", []string{"upload", fifo, photo}, cu) }()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		// Let the stuck run end: a writer opens the pipe, closes it.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		<-done
		t.Fatal("cloudup-cli waited on the named pipe")
	}
	line := fifo + " is not a regular file (a named pipe); name a photo or video file"
	if r.code != 1 || strings.Count(r.stdout+r.stderr, line) != 1 || !strings.Contains(r.stdout, "photo.jpg") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant exit 1, the photo done and once: %s", r.code, r.stdout, r.stderr, line)
	}
}
