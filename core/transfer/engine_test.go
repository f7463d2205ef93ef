package transfer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

func TestBatchUploadsEveryFileOnceWithMatchingETags(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, sums := writeFiles(t, filepath.Join(r.dir, "in"), 12, 20_000, ".bin")
	big := filepath.Join(r.dir, "big.bin")
	sums[big] = writeFile(t, big, 300_000) // chunked: 64 KB chunks
	paths = append(paths, big)
	e := r.engine(nil)
	ids := e.Add(itemsFor(paths)...)
	if len(ids) != len(paths) {
		t.Fatalf("%d ids for %d items", len(ids), len(paths))
	}
	snap := finish(t, e, time.Minute)
	if snap.Batch.Done != len(paths) || snap.Batch.Failed != 0 {
		t.Fatalf("batch %+v", snap.Batch)
	}
	publicIDs := map[string]bool{}
	for _, it := range snap.Items {
		if it.Asset == nil || it.Asset.ETag != sums[it.Path] {
			t.Errorf("%s: asset %+v, local md5 %s", it.Name, it.Asset, sums[it.Path])
			continue
		}
		if it.Asset.SecureURL == "" || it.BytesDone != it.BytesTotal {
			t.Errorf("%s: link %q, bytes %d/%d", it.Name, it.Asset.SecureURL, it.BytesDone, it.BytesTotal)
		}
		stem := strings.TrimSuffix(it.Name, ".bin")
		if !strings.HasPrefix(it.PublicID, stem+"_") || len(it.PublicID) != len(stem)+1+6+len(".bin") || !strings.HasSuffix(it.PublicID, ".bin") {
			t.Errorf("%s: default public_id %q is not the name's slug, six stable characters and the raw file's extension", it.Name, it.PublicID)
		}
		publicIDs[it.Asset.PublicID] = true
	}
	st := r.sb.Stats()
	if st.Assets != len(paths) || len(publicIDs) != len(paths) {
		t.Fatalf("sandbox holds %d assets (%d distinct ids) for %d files: %s", st.Assets, len(publicIDs), len(paths), st)
	}
	if chunks := st.Requests[sandbox.EndpointUploadChunk]; chunks != 5 {
		t.Errorf("the 300 KB file took %d chunk requests, want 5 of 64 KB", chunks)
	}
	hist, err := r.journal.History(context.Background(), HistoryQuery{Profile: "test"})
	if err != nil || len(hist) != len(paths) {
		t.Fatalf("history: %d rows, %v", len(hist), err)
	}
	for _, h := range hist {
		if h.Outcome != Done || h.MD5 != sums[h.Path] || h.SecureURL == "" || h.PublicID == "" || h.Size == 0 {
			t.Errorf("history row %+v", h)
		}
	}
	if left, _ := r.journal.Unfinished(context.Background(), "test"); len(left) != 0 {
		t.Errorf("%d unfinished journal rows after a clean batch", len(left))
	}
}

// The acceptance test of the issue: many uploads through a server that
// fails a fifth of the requests, including failures after the file was
// stored, must end with every file stored exactly once.
func TestFaultyServerStillStoresEachFileExactlyOnce(t *testing.T) {
	n := 500
	if testing.Short() {
		n = 100
	}
	r := newRig(t, rigOptions{sandbox: sandbox.Config{
		Faults: "on=upload,rate=0.2,kinds=500+502+503+reset+reset-after+420+429,retry=1s", Seed: 42,
	}})
	paths, sums := writeFiles(t, filepath.Join(r.dir, "in"), n, 2_000, ".bin")
	e := r.engine(func(c *Config) { c.Concurrency = 8 })
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, 5*time.Minute)
	if snap.Batch.Done != n {
		for _, it := range byState(snap)[Failed] {
			t.Logf("failed: %s: %v", it.Name, it.Err)
		}
		t.Fatalf("batch %+v", snap.Batch)
	}
	for _, it := range snap.Items {
		if it.Asset.ETag != sums[it.Path] {
			t.Fatalf("%s: etag %s, local md5 %s", it.Name, it.Asset.ETag, sums[it.Path])
		}
	}
	st := r.sb.Stats()
	if st.Assets != n {
		t.Fatalf("sandbox holds %d assets for %d files: %s", st.Assets, n, st)
	}
	injected := int64(0)
	for _, v := range st.Faults {
		injected += v
	}
	if injected < int64(n)/10 || st.Faults["reset-after"] == 0 {
		t.Fatalf("only %d faults were injected (%v): the test proves nothing", injected, st.Faults)
	}
	t.Logf("%d files, %d upload requests, faults injected: %v", n, st.Requests[sandbox.EndpointUpload], st.Faults)
}

func TestLostAnswerAfterStoreReturnsTheSameAsset(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=upload,schedule=reset-after"}})
	paths, sums := writeFiles(t, filepath.Join(r.dir, "in"), 1, 5_000, ".bin")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	it := snap.Items[0]
	if it.State != Done || !it.Asset.Existing || it.Asset.ETag != sums[paths[0]] {
		t.Fatalf("%s: %s %+v", it.Name, it.Words, it.Asset)
	}
	if st := r.sb.Stats(); st.Assets != 1 || st.Requests[sandbox.EndpointUpload] != 2 {
		t.Fatalf("want 1 asset after 2 requests: %s", st)
	}
}

func TestLostAnswerToTheLastChunkStillStoresOnce(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=final,schedule=reset-after"}})
	paths := []string{filepath.Join(r.dir, "big.bin")}
	sums := map[string]string{paths[0]: writeFile(t, paths[0], 200_000)}
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	if it := snap.Items[0]; it.State != Done || it.Asset.ETag != sums[paths[0]] {
		t.Fatalf("%s: %s %+v", it.Name, it.Words, it.Asset)
	}
	if st := r.sb.Stats(); st.Assets != 1 {
		t.Fatalf("want 1 asset: %s", st)
	}
}

func TestChunkedUploadResumesFromFirstUnackedChunk(t *testing.T) {
	// The fourth chunk request stalls, the engine is shut down (as on
	// Ctrl-C) with the chunks before it acknowledged; a new engine on the
	// reopened journal must send only the chunks from the first
	// unacknowledged one.
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=chunk,schedule=ok,ok,ok,stall"}, clientMod: patient})
	paths := []string{filepath.Join(r.dir, "big.bin")}
	sums := map[string]string{paths[0]: writeFile(t, paths[0], 6*65536-100)}
	e1 := r.engine(nil)
	e1.Add(itemsFor(paths)...)
	// Two middle chunks go side by side, so which one the stall hits
	// depends on which reached the server fourth: the chunks before it are
	// acknowledged, and the resume must start after those.
	waitFor(t, func() bool {
		e1.mu.Lock()
		defer e1.mu.Unlock()
		return len(e1.order) == 1 && e1.order[0].entry.Acked >= 65536 && r.sb.Requests(sandbox.EndpointUploadChunk) >= 4
	})
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}
	r.journal.Close()
	r.journal = r.openJournal()

	left, err := r.journal.Unfinished(context.Background(), "test")
	if err != nil || len(left) != 1 || left[0].Acked < 65536 || left[0].Acked > 4*65536 || left[0].Acked%65536 != 0 || left[0].UploadID == "" {
		t.Fatalf("journal after the interruption: %+v, %v", left, err)
	}
	r.sb.SetFaults("")
	before := r.sb.Requests(sandbox.EndpointUploadChunk)
	e2 := r.engine(nil)
	ids, err := e2.ResumeUnfinished(context.Background())
	if err != nil || len(ids) != 1 || ids[0] != left[0].ID {
		t.Fatalf("resume: %v %v", ids, err)
	}
	snap := finish(t, e2, time.Minute)
	it := snap.Items[0]
	if it.State != Done || it.Asset.ETag != sums[paths[0]] || !it.Resumed {
		t.Fatalf("%s: %s %+v", it.Name, it.Words, it.Asset)
	}
	if sent, want := r.sb.Requests(sandbox.EndpointUploadChunk)-before, 6-left[0].Acked/65536; sent != want {
		t.Fatalf("the resumed upload sent %d chunks, want %d (from the first unacknowledged one)", sent, want)
	}
	if st := r.sb.Stats(); st.Assets != 1 {
		t.Fatalf("%s", st)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition never met")
}

func TestInterruptedBatchResumesAndSkipsWhatIsDone(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=upload,skip=3,schedule=stall"}, clientMod: patient})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 10, 3_000, ".bin")
	e1 := r.engine(func(c *Config) { c.Concurrency = 1 })
	e1.Add(itemsFor(paths)...)
	waitFor(t, func() bool { return r.sb.Requests(sandbox.EndpointUpload) == 4 })
	e1.Close()
	snap1 := e1.Snapshot()
	if snap1.Batch.Done != 3 {
		t.Fatalf("before the interruption: %+v", snap1.Batch)
	}
	r.sb.SetFaults("")
	e2 := r.engine(nil)
	ids, err := e2.ResumeUnfinished(context.Background())
	if err != nil || len(ids) != 7 {
		t.Fatalf("resumed %d items (%v), want the 7 not done", len(ids), err)
	}
	snap := finish(t, e2, time.Minute)
	if snap.Batch.Done != 7 || r.sb.Stats().Assets != 10 {
		t.Fatalf("%+v, %s", snap.Batch, r.sb.Stats())
	}
}

func TestClockThreeHoursBehindStillUploads(t *testing.T) {
	for _, offset := range []time.Duration{-3 * time.Hour, 3 * time.Hour} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			r := newRig(t, rigOptions{clockOffset: offset})
			paths, sums := writeFiles(t, filepath.Join(r.dir, "in"), 3, 100_000, ".bin") // chunked too
			e := r.engine(nil)
			sub := e.Subscribe()
			var warnings []string
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ev := range sub.C {
					if ev.Kind == Warning {
						warnings = append(warnings, ev.Message)
					}
				}
			}()
			e.Add(itemsFor(paths)...)
			snap := finish(t, e, time.Minute)
			e.Close()
			<-done
			sub.Close()
			for _, it := range snap.Items {
				if it.State != Done || it.Asset.ETag != sums[it.Path] {
					t.Fatalf("%s: %s", it.Name, it.Words)
				}
			}
			if offset < 0 {
				if len(warnings) != 1 || !strings.Contains(warnings[0], "clock is off by 3h0m") {
					t.Fatalf("warnings %q", warnings)
				}
				if off := r.client.ClockOffset(); off < 3*time.Hour-5*time.Second || off > 3*time.Hour+5*time.Second {
					t.Fatalf("measured offset %s", off)
				}
			}
		})
	}
}

func TestBadFilesFailAloneWithWords(t *testing.T) {
	r := newRig(t, rigOptions{})
	in := filepath.Join(r.dir, "in")
	good, _ := writeFiles(t, in, 3, 500, ".jpg")
	write := func(name string, size int) string {
		p := filepath.Join(in, name)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.jpg", 0)
	oversized := write("huge.jpg", 5000)
	disallowed := write("anim.gif", 300)
	missing := filepath.Join(in, "gone.jpg")
	// A socket is not a file to upload (nor can it be opened for reading,
	// even by root).
	unreadable := filepath.Join(in, "sock.jpg")
	ln, err := net.Listen("unix", unreadable)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	folder := filepath.Join(in, "sub.jpg")
	os.Mkdir(folder, 0o755)

	e := r.engine(func(c *Config) {
		c.Limits = Limits{MaxImageBytes: 4000, AllowedFormats: []string{"jpg", "png"}}
	})
	all := append([]string{empty, oversized}, good...)
	all = append(all, disallowed, missing, unreadable, folder)
	e.Add(itemsFor(all)...)
	snap := finish(t, e, time.Minute)
	want := map[string]struct {
		kind  error
		words string
	}{
		empty:      {ErrEmpty, "is empty (0 bytes)"},
		oversized:  {ErrTooLarge, "over this profile's 4.0 kB limit for images"},
		disallowed: {ErrFormatNotAllowed, "format gif is not allowed by this profile (allowed: jpg, png)"},
		missing:    {ErrNotFound, "file not found"},
		unreadable: {ErrNotAFile, "is not a regular file (a socket); name a photo or video file"},
		folder:     {ErrNotAFile, "is a folder"},
	}
	for _, it := range snap.Items {
		w, bad := want[it.Path]
		switch {
		case bad && (it.State != Failed || !errors.Is(it.Err, w.kind) || !strings.Contains(it.Err.Error(), w.words)):
			t.Errorf("%s: %s (%v), want failed with %q", it.Name, it.State, it.Err, w.words)
		case !bad && it.State != Done:
			t.Errorf("good file %s: %s", it.Name, it.Words)
		}
		var rej *RejectedError
		if it.Path == oversized && (!errors.As(it.Err, &rej) || rej.Size != 5000 || rej.Limit != 4000) {
			t.Errorf("the oversized file's error does not carry its size and the limit: %#v", it.Err)
		}
	}
	if st := r.sb.Stats(); st.Assets != len(good) || st.Requests[sandbox.EndpointUpload] != int64(len(good)) {
		t.Fatalf("bad files reached the server: %s", st)
	}
}

func TestUnreadableFileFailsAlone(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 2, 500, ".jpg")
	os.Chmod(paths[0], 0)
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	if it := snap.Items[0]; it.State != Failed || !errors.Is(it.Err, ErrUnreadable) || !strings.Contains(it.Err.Error(), "permission denied") {
		t.Fatalf("%s: %v", it.State, it.Err)
	}
	if snap.Items[1].State != Done {
		t.Fatal(snap.Items[1].Words)
	}
}

func TestWrongSecretStopsTheBatchWithWords(t *testing.T) {
	r := newRig(t, rigOptions{secret: "not-the-secret"})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 60, 1_000, ".bin")
	e := r.engine(func(c *Config) { c.Concurrency = 2 })
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	if snap.Batch.Failed != len(paths) || snap.Batch.Halted == nil {
		t.Fatalf("%+v", snap.Batch)
	}
	for _, it := range snap.Items {
		if !errors.Is(it.Err, cloud.ErrInvalidSignature) || !strings.Contains(it.Err.Error(), "wrong secret or signature algorithm for this account") {
			t.Fatalf("%s: %v", it.Name, it.Err)
		}
	}
	if n := r.sb.Requests(sandbox.EndpointUpload); n > 2 {
		t.Fatalf("%d requests went out after the first refusal; the batch should stop at once", n)
	}
	// With the right secret they go through.
	good, err := cloud.New(cloud.Config{Cloud: r.sb.Cloud(), APIKey: r.sb.APIKey(), Secret: cloud.Secret(r.sb.APISecret()), APIBase: r.sb.URL()})
	if err != nil {
		t.Fatal(err)
	}
	e.SetClient(good)
	if n := e.RetryFailed(); n != len(paths) {
		t.Fatalf("retried %d", n)
	}
	snap = finish(t, e, time.Minute)
	if snap.Batch.Done != len(paths) {
		t.Fatalf("after fixing the secret: %+v", snap.Batch)
	}
}

func TestRateLimitWaitsAsLongAsTheServerAsks(t *testing.T) {
	for _, kind := range []string{"420", "429"} {
		t.Run(kind, func(t *testing.T) {
			r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=upload,schedule=" + kind + ",retry=7s"}})
			paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 500, ".bin")
			e := r.engine(nil)
			e.Add(itemsFor(paths)...)
			snap := finish(t, e, time.Minute)
			if snap.Items[0].State != Done {
				t.Fatal(snap.Items[0].Words)
			}
			var longest time.Duration
			for _, d := range r.clock.Sleeps() {
				longest = max(longest, d)
			}
			if longest < 7*time.Second {
				t.Fatalf("waited at most %s before retrying; the server asked for 7s (%v)", longest, r.clock.Sleeps())
			}
		})
	}
}

func TestStallIsAbandonedAndRetried(t *testing.T) {
	r := newRig(t, rigOptions{
		sandbox:   sandbox.Config{Faults: "on=upload,schedule=stall"},
		clientMod: func(c *cloud.Config) { c.ResponseTimeout = 300 * time.Millisecond },
	})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 500, ".bin")
	e := r.engine(nil)
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	if snap.Items[0].State != Done || r.sb.Stats().Assets != 1 {
		t.Fatalf("%s %s", snap.Items[0].Words, r.sb.Stats())
	}
}

func TestGivesUpWithWordsWhenTheServerKeepsFailing(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=upload,rate=1,kinds=503"}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 500, ".bin")
	e := r.engine(func(c *Config) { c.Retry.MaxAttempts = 3 })
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	it := snap.Items[0]
	var gu *GaveUpError
	if it.State != Failed || !errors.As(it.Err, &gu) || gu.Attempts != 3 || !strings.Contains(it.Err.Error(), "--resume") {
		t.Fatalf("%s: %v", it.State, it.Err)
	}
	if n := r.sb.Requests(sandbox.EndpointUpload); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	e.Close()
	if left, err := r.journal.Unfinished(context.Background(), "test"); len(left) != 1 || left[0].State != Failed || !left[0].Resumable {
		t.Fatalf("a give-up must stay resumable: %+v %v", left, err)
	}
}

func TestDuplicateIsSkippedWithTheExistingLinkUnlessForced(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "a"), 1, 800, ".jpg")
	copyPath := filepath.Join(r.dir, "copy-of-it.jpg")
	b, _ := os.ReadFile(paths[0])
	os.WriteFile(copyPath, b, 0o644)

	e := r.engine(func(c *Config) { c.Options.Folder = "trips" })
	e.Add(itemsFor(paths)...)
	first := finish(t, e, time.Minute).Items[0]
	if first.State != Done {
		t.Fatal(first.Words)
	}

	id := e.Add(Item{Path: copyPath})[0]
	finish(t, e, time.Minute)
	dup, _ := e.Item(id)
	if dup.State != Skipped || dup.Asset.Link() != first.Asset.Link() || !strings.Contains(dup.Words, first.Asset.Link()) {
		t.Fatalf("duplicate: %s %q", dup.State, dup.Words)
	}
	// Another folder is not a duplicate.
	other := Options{Folder: "elsewhere"}
	id = e.Add(Item{Path: copyPath, Options: &other})[0]
	finish(t, e, time.Minute)
	if it, _ := e.Item(id); it.State != Done {
		t.Fatalf("other folder: %s", it.Words)
	}
	// Forced, it is uploaded again as a new asset.
	forced := Options{Folder: "trips", Force: true}
	id = e.Add(Item{Path: copyPath, Options: &forced})[0]
	finish(t, e, time.Minute)
	it, _ := e.Item(id)
	if it.State != Done || it.Asset.PublicID == first.Asset.PublicID {
		t.Fatalf("forced: %s %+v", it.Words, it.Asset)
	}
	if st := r.sb.Stats(); st.Assets != 3 {
		t.Fatalf("%s", st)
	}
}

func TestIdenticalFilesInOneBatchUploadOnce(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "a"), 1, 50_000, ".jpg")
	b, _ := os.ReadFile(paths[0])
	var items []Item
	for i := range 4 {
		p := filepath.Join(r.dir, fmt.Sprintf("twin-%d.jpg", i))
		os.WriteFile(p, b, 0o644)
		items = append(items, Item{Path: p})
	}
	e := r.engine(nil)
	e.Add(items...)
	snap := finish(t, e, time.Minute)
	st := byState(snap)
	if len(st[Done]) != 1 || len(st[Skipped]) != 3 || r.sb.Stats().Assets != 1 {
		t.Fatalf("%+v %s", snap.Batch, r.sb.Stats())
	}
}

func TestPauseResumeCancelAndRetry(t *testing.T) {
	// 40 KB/s per connection: a 60 KB file takes over a second.
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 40_000}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 4, 60_000, ".bin")
	e := r.engine(func(c *Config) { c.Concurrency = 2; c.ChunkSize = 1 << 20 })
	ids := e.Add(itemsFor(paths)...)
	waitFor(t, func() bool { it, _ := e.Item(ids[0]); return it.State == Uploading && it.BytesDone > 0 })

	e.Pause()
	waitFor(t, func() bool { b := e.Snapshot().Batch; return b.Active == 0 && b.Paused })
	if b := e.Snapshot().Batch; b.Queued != 4 {
		t.Fatalf("paused batch %+v", b)
	}
	if b, snap := e.Batch(), e.Snapshot().Batch; b != snap {
		t.Errorf("Batch() = %+v, Snapshot().Batch = %+v", b, snap)
	}
	e.Resume()
	waitFor(t, func() bool { it, _ := e.Item(ids[1]); return it.State == Uploading })
	if err := e.Cancel(ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := e.Cancel(ids[3]); err != nil { // still queued
		t.Fatal(err)
	}
	snap := finish(t, e, time.Minute)
	states := map[ItemID]State{}
	for _, it := range snap.Items {
		states[it.ID] = it.State
	}
	if states[ids[0]] != Done || states[ids[1]] != Canceled || states[ids[2]] != Done || states[ids[3]] != Canceled {
		t.Fatalf("states %v", states)
	}
	if err := e.Retry(ids[0]); err == nil {
		t.Fatal("a done item was retried")
	}
	e.Retry(ids[1])
	e.Retry(ids[3])
	snap = finish(t, e, time.Minute)
	if snap.Batch.Done != 4 || r.sb.Stats().Assets != 4 {
		t.Fatalf("%+v %s", snap.Batch, r.sb.Stats())
	}
	if n := e.ClearFinished(); n != 4 || len(e.Snapshot().Items) != 0 {
		t.Fatalf("cleared %d, left %d", n, len(e.Snapshot().Items))
	}
}

func TestRemoveStopsAndForgetsAnItem(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 20_000}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 2, 60_000, ".bin")
	e := r.engine(func(c *Config) { c.Concurrency = 1; c.ChunkSize = 1 << 20 })
	ids := e.Add(itemsFor(paths)...)
	waitFor(t, func() bool { it, _ := e.Item(ids[0]); return it.State == Uploading })
	e.Remove(ids[0])
	snap := finish(t, e, time.Minute)
	if len(snap.Items) != 1 || snap.Items[0].ID != ids[1] || snap.Items[0].State != Done {
		t.Fatalf("%+v", snap.Items[0])
	}
	e.Close()
	if left, _ := r.journal.Unfinished(context.Background(), "test"); len(left) != 0 {
		t.Fatalf("a removed item is still in the journal: %+v", left)
	}
}

func TestMaxFilesRejectsOnlyTheExcess(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 5, 500, ".bin")
	e := r.engine(func(c *Config) { c.Limits.MaxFiles = 3 })
	e.Add(itemsFor(paths)...)
	snap := finish(t, e, time.Minute)
	st := byState(snap)
	if len(st[Done]) != 3 || len(st[Failed]) != 2 || !errors.Is(st[Failed][0].Err, ErrTooManyFiles) ||
		!strings.Contains(st[Failed][0].Err.Error(), "allows 3 files per batch") {
		t.Fatalf("%+v", snap.Batch)
	}
}

func TestTemplateOptionsFolderTagsAndContextReachTheServer(t *testing.T) {
	r := newRig(t, rigOptions{})
	p := filepath.Join(r.dir, "Beach Day.jpg")
	writeJPEG(t, p)
	e := r.engine(func(c *Config) {
		c.Options = Options{Folder: "trips", DynamicFolders: true, PublicIDTemplate: "{name}-{md5:8}", Tags: []string{"summer", "2026"},
			Context: map[string]string{"alt": "sand = sun | sea"}}
	})
	e.Add(Item{Path: p})
	it := finish(t, e, time.Minute).Items[0]
	if it.State != Done {
		t.Fatal(it.Words)
	}
	a := it.Asset
	if a.PublicID != "trips/Beach Day-"+it.MD5[:8] || a.AssetFolder != "trips" || strings.Join(a.Tags, ",") != "summer,2026" ||
		a.Context["alt"] != "sand = sun | sea" || a.Width != 64 || a.ResourceType != "image" {
		t.Fatalf("%+v", a)
	}
}

func TestRemoteURLIsFetchedByTheServer(t *testing.T) {
	// The file is served on 127.0.0.1, which the sandbox fetches from only
	// when told to.
	r := newRig(t, rigOptions{sandbox: sandbox.Config{AllowPrivateFetch: true}})
	p := filepath.Join(r.dir, "pic.jpg")
	writeJPEG(t, p)
	srv := serveFile(t, p)
	e := r.engine(nil)
	e.Add(Item{URL: srv + "/pic.jpg"})
	it := finish(t, e, time.Minute).Items[0]
	if it.State != Done || it.Asset.Width != 64 || it.Name != "pic.jpg" {
		t.Fatalf("%s %+v", it.Words, it.Asset)
	}
	// Its content is now known: the same bytes from disk are a duplicate.
	id := e.Add(Item{Path: p})[0]
	finish(t, e, time.Minute)
	if dup, _ := e.Item(id); dup.State != Skipped {
		t.Fatalf("local copy of the fetched file: %s", dup.Words)
	}
}

func TestAddingTheSameFileTwiceWhileQueuedKeepsOneItem(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 500, ".bin")
	e := r.engine(nil)
	e.Pause()
	a := e.Add(itemsFor(paths)...)
	b := e.Add(itemsFor(paths)...)
	if a[0] != b[0] || len(e.Snapshot().Items) != 1 {
		t.Fatalf("ids %v %v", a, b)
	}
}

func TestEngineRefusesBadConfig(t *testing.T) {
	r := newRig(t, rigOptions{})
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Options.PublicIDTemplate = "{nope}" }, "unknown placeholder {nope}"},
		{func(c *Config) { c.ChunkSize = 1000; c.AllowSmallChunks = false }, "below Cloudinary's minimum"},
		{func(c *Config) { c.Concurrency = 1000 }, "too high"},
		{func(c *Config) { c.Client = nil }, "no Cloudinary client"},
	}
	for _, tc := range cases {
		cfg := Config{Client: r.client, Journal: r.journal, AllowSmallChunks: true, ChunkSize: 1 << 20}
		tc.mod(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// Pause stops the bytes where they are: what the kernel still held of a
// paused upload is dropped, not delivered later, so Cloudinary never stores
// a file the user paused. (With a plain close the rest of a small file sat
// in socket buffers and the slow server stored it seconds after Pause.)
func TestPausedUploadIsNotDeliveredLater(t *testing.T) {
	// 100 KB/s: the server reads the 400 KB file for about 4 s, while the
	// client has handed most of it to the kernel at once.
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 100_000}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 400_000, ".bin")
	e := r.engine(func(c *Config) { c.Concurrency = 1; c.ChunkSize = 1 << 20 })
	id := e.Add(itemsFor(paths)...)[0]
	waitFor(t, func() bool { it, _ := e.Item(id); return it.State == Uploading && it.BytesDone > 0 })
	e.Pause()
	waitFor(t, func() bool { b := e.Snapshot().Batch; return b.Active == 0 && b.Paused })
	if st, _ := e.Item(id); st.BytesDone != 0 || st.Words != "paused; it will be sent again from the start" {
		t.Errorf("paused halfway through a whole upload: %d bytes shown, %q", st.BytesDone, st.Words)
	}
	time.Sleep(6 * time.Second) // longer than the server needs to read the whole file
	if n := r.sb.Stats().Assets; n != 0 {
		t.Fatalf("the account holds %d assets after the upload was paused, want 0", n)
	}
	e.Resume()
	if snap := finish(t, e, time.Minute); snap.Batch.Done != 1 || r.sb.Stats().Assets != 1 {
		t.Fatalf("after resuming: %+v, %d assets", snap.Batch, r.sb.Stats().Assets)
	}
}

// A queued file shows the size it was found with; once checked, its own.
func TestQueuedFileShowsTheSizeItWasFoundWith(t *testing.T) {
	r := newRig(t, rigOptions{})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 1, 700, ".bin")
	e := r.engine(nil)
	e.Pause()
	id := e.Add(Item{Path: paths[0], Size: 650})[0] // it changed since it was found
	if st, _ := e.Item(id); st.BytesTotal != 650 {
		t.Fatalf("queued: the row says %d bytes; want 650", st.BytesTotal)
	}
	waitFor(t, func() bool { return e.Batch().BytesTotal == 650 }) // counted at the next tick
	e.Resume()
	finish(t, e, time.Minute)
	if st, _ := e.Item(id); st.State != Done || st.BytesTotal != sizeOf(t, paths[0]) {
		t.Fatalf("done: %s, %d bytes; want %d", st.State, st.BytesTotal, sizeOf(t, paths[0]))
	}
}
