package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestVideoWhoseProbeIsStoppedByShutdownResumesAsVideo: the sandbox shuts
// down while ffprobe reads a chunked video's assembled bytes. The upload
// must not be decided then (before, it became raw, under the 10 MB raw
// limit, and the chunked upload kept that answer for good); after a
// restart, the last chunk sent again stores it as the video it is.
func TestVideoWhoseProbeIsStoppedByShutdownResumesAsVideo(t *testing.T) {
	clip := testVideo(t)
	realProbe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe is not installed")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	// A slow ffprobe first on PATH: it says it started, waits, then runs
	// the real one, so the shutdown lands while it runs.
	bin := t.TempDir()
	started := filepath.Join(bin, "started")
	script := fmt.Sprintf("#!/bin/sh\n: > %q\n%s 20\nexec %s \"$@\"\n", started, sleep, realProbe)
	if err := os.WriteFile(filepath.Join(bin, "ffprobe"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	origPath := os.Getenv("PATH")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+origPath)

	dir := t.TempDir()
	limits := Limits{MinChunkBytes: 1000}
	half := len(clip) / 2
	params := url.Values{"public_id": {"clip"}}
	auto := func(s *Server, rng string, body []byte) (int, map[string]any) {
		req := chunkRequest(t, s, "video-1", rng, params, body)
		req.URL, _ = url.Parse(s.apiURL("auto/upload"))
		return send(t, req)
	}
	first := fmt.Sprintf("bytes 0-%d/%d", half-1, len(clip))
	last := fmt.Sprintf("bytes %d-%d/%d", half, len(clip)-1, len(clip))

	s1, err := Start(context.Background(), Config{Dir: dir, Limits: limits, Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	if code, m := auto(s1, first, clip[:half]); code != 200 || m["done"] != false {
		t.Fatalf("first chunk: %d %v", code, m)
	}
	answered := make(chan int, 1)
	go func() {
		req := chunkRequest(t, s1, "video-1", last, params, clip[half:])
		req.URL, _ = url.Parse(s1.apiURL("auto/upload"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0 // the connection closed with the server
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ffprobe never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s1.Close()
	if code := <-answered; code == 200 || code == 400 {
		t.Fatalf("the last chunk, interrupted by the shutdown, was answered %d: a decision about a file nobody read", code)
	}
	t.Setenv("PATH", origPath)
	s2 := startSandbox(t, Config{Dir: dir, Limits: limits})
	if st := s2.Stats(); st.Assets != 0 {
		t.Fatalf("%d assets stored from an interrupted probe", st.Assets)
	}
	code, m := auto(s2, last, clip[half:])
	if code != 200 || m["resource_type"] != "video" || m["etag"] != md5hex(clip) {
		t.Fatalf("last chunk after the restart: %d %v, want the video stored as video", code, m)
	}
}
