package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/transfer"
)

// uploadSandbox runs an in-process sandbox for one test and returns it with
// the CLOUDINARY_URL entry that points the binary at it.
func uploadSandbox(t *testing.T, cfg sandbox.Config) (*sandbox.Server, string) {
	t.Helper()
	cfg.Dir = t.TempDir()
	sb, err := sandbox.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, "CLOUDINARY_URL=" + sb.CloudinaryURL()
}

// writeBytes writes n random bytes to path and returns their MD5.
func writeBytes(t *testing.T, path string, n int) string {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// writePhoto writes a small real JPEG and returns its MD5.
func writePhoto(t *testing.T, path string, shade uint8) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for i := range 48 * 32 {
		img.Set(i%48, i/48, color.RGBA{shade, uint8(i), 90, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

// records parses `upload --json` output, one object per line, by path or url.
func records(t *testing.T, stdout string) map[string]uploadRecord {
	t.Helper()
	out := map[string]uploadRecord{}
	for line := range strings.Lines(stdout) {
		var r uploadRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", line, err)
		}
		key := r.Path
		if key == "" {
			key = r.URL
		}
		if _, dup := out[key]; dup {
			t.Errorf("%s reported twice", key)
		}
		out[key] = r
	}
	return out
}

func TestUploadFilesFolderAndURLPrintsOneJSONObjectEachAndABadFileFailsAlone(t *testing.T) {
	// The URL is served on 127.0.0.1: the sandbox must be told to fetch it.
	sb, cu := uploadSandbox(t, sandbox.Config{AllowPrivateFetch: true})
	h := newHarness(t)
	in := filepath.Join(h.root, "in")
	sums := map[string]string{
		filepath.Join(in, "trip", "a.jpg"):         writePhoto(t, filepath.Join(in, "trip", "a.jpg"), 10),
		filepath.Join(in, "trip", "deep", "b.jpg"): writePhoto(t, filepath.Join(in, "trip", "deep", "b.jpg"), 60),
		filepath.Join(in, "notes.bin"):             writeBytes(t, filepath.Join(in, "notes.bin"), 3000),
	}
	writePhoto(t, filepath.Join(in, "trip", ".hidden.jpg"), 99) // skipped: hidden
	empty := filepath.Join(in, "trip", "empty.jpg")
	os.WriteFile(empty, nil, 0o644)
	remote := filepath.Join(h.root, "served", "remote.jpg")
	sums["remote"] = writePhoto(t, remote, 200)
	web := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(remote))))
	defer web.Close()
	url := web.URL + "/remote.jpg"

	r := h.run("", []string{"upload", "--json", "--folder", "cli", "--tags", "t1,t2",
		filepath.Join(in, "trip"), filepath.Join(in, "notes.bin"), url}, cu)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (one bad file)\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	got := records(t, r.stdout)
	if len(got) != 5 {
		t.Fatalf("%d records, want 5 (3 files, 1 URL, 1 empty file):\n%s", len(got), r.stdout)
	}
	if e := got[empty]; e.Status != "failed" || !strings.Contains(e.Error, "empty") {
		t.Errorf("empty file: %+v", e)
	}
	for path, sum := range sums {
		key := path
		if path == "remote" {
			key = url
		}
		rec := got[key]
		if rec.Status != "done" || rec.ETag != sum || rec.Bytes <= 0 || !strings.HasPrefix(rec.PublicID, "cli/") || rec.SecureURL == "" {
			t.Errorf("%s: %+v (want done with etag %s)", key, rec, sum)
		}
	}
	if !strings.Contains(r.stderr, "4 done, 0 skipped, 1 failed") {
		t.Errorf("no summary on stderr: %s", r.stderr)
	}
	assets, err := sb.Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) != 4 {
		t.Errorf("the sandbox holds %d assets, want 4", len(assets))
	}
	for _, a := range assets {
		if len(a.Tags) != 2 || a.Tags[0] != "t1" {
			t.Errorf("%s: tags %v", a.PublicID, a.Tags)
		}
	}
	if strings.Contains(r.stdout+r.stderr, sb.APISecret()) {
		t.Error("the API secret was printed")
	}
}

func TestUploadPipedPrintsPlainLinesAndSkipsDuplicatesUnlessForced(t *testing.T) {
	sb, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	photo := filepath.Join(h.root, "in", "p.jpg")
	writePhoto(t, photo, 30)

	first := h.run("", []string{"upload", photo}, cu)
	if first.code != 0 || !strings.HasPrefix(first.stdout, "done     "+photo) || !strings.Contains(first.stdout, "1 done, 0 skipped, 0 failed") {
		t.Fatalf("first run: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	if strings.Contains(first.stdout, "\x1b[") {
		t.Error("piped output has terminal escapes")
	}
	again := h.run("", []string{"upload", photo}, cu)
	if again.code != 0 || !strings.HasPrefix(again.stdout, "skipped  "+photo+"  already uploaded, still on Cloudinary: http") {
		t.Fatalf("second run: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	before := sb.Requests(sandbox.EndpointUpload)
	forced := h.run("", []string{"upload", "--force", "--json", photo}, cu)
	if rec := records(t, forced.stdout)[photo]; forced.code != 0 || rec.Status != "done" {
		t.Fatalf("forced run: exit %d %+v\n%s", forced.code, rec, forced.stderr)
	}
	if sent := sb.Requests(sandbox.EndpointUpload) - before; sent != 1 {
		t.Errorf("--force sent %d upload requests, want 1", sent)
	}
}

func TestUploadBadUsageExitsTwoWithOneLine(t *testing.T) {
	_, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	photo := filepath.Join(h.root, "p.jpg")
	writePhoto(t, photo, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upload"}, "nothing to upload"},
		{[]string{"upload", "--list"}, "--camera"},
		{[]string{"upload", "--device", "synthetic", photo}, "--camera"},
		{[]string{"upload", "--concurrency", "99", photo}, "--concurrency"},
		{[]string{"upload", "--public-id", "{bogus}", photo}, "--public-id"},
		{[]string{"upload", "--chunk-size", "1000", photo}, "--chunk-size"},
		{[]string{"upload", "--profile", "nobody", photo}, "nobody"},
		{[]string{"upload", "--include", "[", filepath.Dir(photo)}, "["},
		{[]string{"upload", "--context", "just words", photo}, "--context"},
		{[]string{"upload", "--context", "=x", photo}, "--context"},
	} {
		r := h.run("", tc.args, cu)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want 2 and one line with %q)", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

func TestUploadSetsContextAndDisplayNameAndAReadableID(t *testing.T) {
	sb, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	photo := filepath.Join(h.root, "Summer Campaign Team.jpg")
	writePhoto(t, photo, 7)
	r := h.run("", []string{"upload", "--json", "--context", "alt=Five people on a beach|caption=Sète, 2026",
		"--context", `caption=Sète \| 2026`, "--display-name", "Summer team", photo}, cu)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	rec := records(t, r.stdout)[photo]
	if !regexp.MustCompile(`^summer-campaign-team_[a-z2-7]{6}$`).MatchString(rec.PublicID) {
		t.Fatalf("public id %q is not the readable default", rec.PublicID)
	}
	a, err := sb.Asset(context.Background(), "image", rec.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	if a.DisplayName != "Summer team" || a.Context["alt"] != "Five people on a beach" || a.Context["caption"] != "Sète | 2026" {
		t.Fatalf("display name %q, context %v", a.DisplayName, a.Context)
	}
}

func TestUploadCameraSyntheticReachesTheSandbox(t *testing.T) {
	sb, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	r := h.run("", []string{"upload", "--camera", "--device", "synthetic", "--json", "--folder", "shots"}, cu)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	recs := records(t, r.stdout)
	if len(recs) != 1 {
		t.Fatalf("records: %v", recs)
	}
	for path, rec := range recs {
		if !regexp.MustCompile(`^camera-\d{8}-\d{6}\.jpg$`).MatchString(filepath.Base(path)) {
			t.Errorf("photo named %s, want camera-YYYYMMDD-HHMMSS.jpg", filepath.Base(path))
		}
		if rec.Status != "done" {
			t.Fatalf("%+v", rec)
		}
		a, err := sb.Asset(context.Background(), "image", rec.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Format != "jpg" || a.Width < 64 || a.Etag != rec.ETag || !strings.HasPrefix(a.PublicID, "shots/") {
			t.Errorf("stored %+v", a)
		}
	}

	list := h.run("", []string{"upload", "--camera", "--list", "--json"}, cu)
	if list.code != 0 || !strings.Contains(list.stdout, `"id":"synthetic"`) {
		t.Errorf("--camera --list: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
}

// The middle chunks of a file go two at a time, so an interruption may
// catch two on the wire: those, and no others, are sent again.
func TestUploadInterruptedMidChunkResumesSendingOnlyTheChunksInFlightAgain(t *testing.T) {
	const chunk = cloud.MinChunkSize
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGINT", syscall.SIGINT}, {"SIGKILL", syscall.SIGKILL}} {
		t.Run(tc.name, func(t *testing.T) {
			// The second chunk request stalls, so the signal lands with the
			// first chunk acknowledged and one or two in flight.
			sb, cu := uploadSandbox(t, sandbox.Config{Faults: "on=chunk,schedule=ok,stall", Limits: sandbox.NoLimits()})
			h := newHarness(t)
			big := filepath.Join(h.root, "big.bin")
			sum := writeBytes(t, big, 3*chunk+1000) // 4 chunks

			cmd := exec.Command(cliBin, "upload", "--json", "--chunk-size", "5242880", big)
			cmd.Env = append(os.Environ(), cu, "CLOUDUP_CONFIG_DIR="+h.config, "CLOUDUP_DATA_DIR="+filepath.Join(h.root, "data"))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(30 * time.Second)
			for sb.Requests(sandbox.EndpointUploadChunk) < 2 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the second chunk never started\n%s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			cmd.Process.Signal(tc.sig)
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("%s did not stop the upload", tc.name)
			}
			code := cmd.ProcessState.ExitCode()
			if tc.sig == syscall.SIGINT {
				if code != 1 || !strings.Contains(stderr.String(), "--resume") {
					t.Errorf("after Ctrl-C: exit %d, stderr %q (want 1 and how to resume)", code, stderr.String())
				}
			}
			h.seen.Write(stdout.Bytes())
			h.seen.Write(stderr.Bytes())

			sb.SetFaults("")
			r := h.run("", []string{"upload", "--json", "--resume", "--chunk-size", "5242880"}, cu)
			if r.code != 0 {
				t.Fatalf("--resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			rec := records(t, r.stdout)[big]
			if rec.Status != "done" || rec.ETag != sum {
				t.Fatalf("resumed: %+v, want done with etag %s", rec, sum)
			}
			if sent := sb.Requests(sandbox.EndpointUploadChunk); sent > 4+2 {
				t.Errorf("%d chunk requests for a 4-chunk file: more than the two chunks in flight were sent again", sent)
			}
			if st := sb.Stats(); st.Assets != 1 {
				t.Errorf("sandbox: %s", st)
			}
			// Nothing is left to resume.
			again := h.run("", []string{"upload", "--resume"}, cu)
			if again.code != 0 || !strings.Contains(again.stderr, "nothing to resume") {
				t.Errorf("second --resume: exit %d\n%s%s", again.code, again.stdout, again.stderr)
			}
		})
	}
}

func TestUploadProgressBarsRenderOnATerminalWriterAndFinishedLinesStayAbove(t *testing.T) {
	// mpb draws to any writer; the terminal check only decides whether it
	// is used. Feed a short run's events into a buffer as if it were one.
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out, getenv: func(string) string { return "" }}
	o := newUploadOutput(e, false, true)
	if o.progress == nil {
		t.Fatal("no progress bars in terminal mode")
	}
	events := make(chan transfer.Event)
	go func() {
		defer close(events)
		st := transfer.ItemStatus{ID: "1", Path: "/photos/harbour.jpg", State: transfer.Uploading, BytesTotal: 4000, BytesDone: 1000}
		batch := transfer.BatchStatus{Total: 1, Active: 1, BytesTotal: 4000, BytesDone: 1000}
		events <- transfer.Event{Kind: transfer.ItemChanged, Items: []transfer.ItemStatus{st}, Batch: batch}
		time.Sleep(400 * time.Millisecond) // let a frame draw
		st.State, st.BytesDone = transfer.Done, 4000
		st.Asset = &cloud.Asset{PublicID: "harbour", SecureURL: "https://res.example/harbour.jpg", Bytes: 4000}
		batch.Active, batch.Done, batch.BytesDone = 0, 1, 4000
		events <- transfer.Event{Kind: transfer.ItemChanged, Items: []transfer.ItemStatus{st}, Batch: batch}
	}()
	o.consume(events)
	o.close()
	got := out.String()
	for _, want := range []string{"harbour.jpg", "done     /photos/harbour.jpg  https://res.example/harbour.jpg", "total 1/1"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, got)
		}
	}
	if !strings.Contains(got, "\x1b[") && !strings.Contains(got, "\r") {
		t.Errorf("no redraw in terminal output: %q", got)
	}
}

func TestUploadWithAWrongSecretStopsTheBatchAndExitsTwoWithWords(t *testing.T) {
	sb, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	dir := filepath.Join(h.root, "in")
	for i := range 20 {
		writeBytes(t, filepath.Join(dir, strings.Repeat("f", i+1)+".bin"), 500)
	}
	wrong := strings.Replace(cu, ":"+sb.APISecret()+"@", ":"+h.secret+"@", 1)
	if wrong == cu {
		t.Fatal("could not swap the secret in CLOUDINARY_URL")
	}
	r := h.run("", []string{"upload", dir}, wrong)
	if r.code != 2 || !strings.Contains(r.stderr, "wrong secret or signature algorithm for this account") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if n := sb.Requests(sandbox.EndpointUpload); n > 4 {
		t.Errorf("%d uploads were tried after the first refusal; the batch should stop", n)
	}
}

func TestUploadFolderPatternsAndHiddenFilesReachTheExpansion(t *testing.T) {
	_, cu := uploadSandbox(t, sandbox.Config{})
	h := newHarness(t)
	dir := filepath.Join(h.root, "shoot")
	writePhoto(t, filepath.Join(dir, "keep.jpg"), 1)
	writePhoto(t, filepath.Join(dir, "raw", "skip.jpg"), 2)
	writePhoto(t, filepath.Join(dir, ".cache", "hidden.jpg"), 3)
	writeBytes(t, filepath.Join(dir, "notes.txt"), 100)

	r := h.run("", []string{"upload", "--json", "--include", "*.jpg", "--exclude", "raw/**", dir}, cu)
	got := records(t, r.stdout)
	if r.code != 0 || len(got) != 1 || got[filepath.Join(dir, "keep.jpg")].Status != "done" {
		t.Fatalf("exit %d, records %v\n%s", r.code, got, r.stderr)
	}
	r = h.run("", []string{"upload", "--json", "--hidden", "--include", "*.jpg", dir}, cu)
	got = records(t, r.stdout)
	if r.code != 0 || got[filepath.Join(dir, ".cache", "hidden.jpg")].Status != "done" || got[filepath.Join(dir, "keep.jpg")].Status != "skipped" {
		t.Fatalf("--hidden: exit %d, records %v\n%s", r.code, got, r.stderr)
	}
}
