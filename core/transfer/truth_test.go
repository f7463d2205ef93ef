package transfer

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// progressTrace is what a view showed against what the sandbox had
// received, sample by sample, during one upload over a throttled link.
type progressTrace struct {
	size       int64
	worstLead  float64 // shown ahead of received, fraction of the file
	worstLag   float64 // shown behind received
	worstSpeed float64 // |shown speed − received rate| / received rate, after warm-up
	samples    int
	sawFull    bool // the bar or "N of M" claimed done while it was not
}

const linkRate = 60_000 // bytes/s, the slow link

// traceUpload uploads one file of size bytes over a linkRate link and
// compares, every 50 ms, the engine's figures with the sandbox's count.
func traceUpload(t *testing.T, size int, mod func(*cloud.Config)) progressTrace {
	return traceUploadChunks(t, size, 8<<20, mod)
}

// traceUploadChunks is traceUpload with files over chunk bytes sent in
// chunks of that size.
func traceUploadChunks(t *testing.T, size int, chunk int64, mod func(*cloud.Config)) progressTrace {
	t.Helper()
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: linkRate}, clientMod: mod})
	p := filepath.Join(r.dir, "in", "slow.bin")
	writeFile(t, p, size)
	e := r.engine(func(c *Config) { c.ChunkSize = chunk; c.ProgressInterval = 50 * time.Millisecond })
	base := r.sb.BytesReceived()
	id := e.Add(Item{Path: p})[0]
	tr := progressTrace{size: int64(size)}
	var started time.Time
	// What the sandbox had received, sample by sample: the true speed is
	// measured over the engine's own window, not assumed to be the link's
	// nominal rate (a loaded machine moves fewer bytes than the link allows).
	type received struct {
		at    time.Time
		bytes int64
	}
	var history []received
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		before := r.sb.BytesReceived() - base
		st, _ := e.Item(id)
		b := e.Batch()
		after := r.sb.BytesReceived() - base
		if st.State == Done {
			break
		}
		if st.State != Uploading {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if started.IsZero() {
			started = time.Now()
		}
		tr.samples++
		now := time.Now()
		history = append(history, received{now, after})
		// The sandbox also counts the request's headers and form fields
		// (under 1 KB); they are not the file's.
		lead := float64(st.BytesDone-after) / float64(size)
		lag := float64(before-1024-st.BytesDone) / float64(size)
		tr.worstLead, tr.worstLag = max(tr.worstLead, lead), max(tr.worstLag, lag)
		if b.Fraction >= 1 || b.Done > 0 {
			tr.sawFull = true
		}
		// The speed is an average over the last rateSpan: judged once the
		// link is busy, against what the sandbox received over that span.
		if time.Since(started) > 1500*time.Millisecond && st.BytesDone < int64(size) {
			from := history[0]
			for _, h := range history {
				if now.Sub(h.at) <= rateSpan {
					from = h
					break
				}
			}
			truth := float64(after-from.bytes) / now.Sub(from.at).Seconds()
			off := max(st.Speed-truth, truth-st.Speed) / truth
			boff := max(b.Speed-truth, truth-b.Speed) / truth
			tr.worstSpeed = max(tr.worstSpeed, off, boff)
			if off > 0.2 || boff > 0.2 {
				t.Logf("at %s: %d of %d, speed %.0f, batch %.0f, received %.0f B/s", time.Since(started), st.BytesDone, size, st.Speed, b.Speed, truth)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, _ := e.Item(id); st.State != Done {
		t.Fatalf("the upload did not finish: %s (%s)", st.State, st.Words)
	}
	if b := e.Batch(); b.Fraction != 1 || b.Done != 1 {
		t.Fatalf("finished batch: fraction %.3f, %d done", b.Fraction, b.Done)
	}
	return tr
}

// On a slow link, every figure follows what the server has received: the
// percentage within 5 % of it at every sample, the speed within 20 % of the
// link's rate, and the bar never full before Cloudinary answered.
func TestProgressFollowsWhatTheServerReceived(t *testing.T) {
	followsTheServer(t, "acknowledged bytes", traceUpload(t, 300_000, nil))
}

// In chunks, with two middle chunks on the wire at once, the figures still
// follow what the server received: the item's count is what is recorded
// plus what each chunk in flight has had acknowledged.
func TestChunkedProgressFollowsWhatTheServerReceived(t *testing.T) {
	followsTheServer(t, "chunks of 64 KB", traceUploadChunks(t, 6*65536+1000, 65536, nil))
}

// followsTheServer holds a trace to the truth: progress within 5 % of what
// the server received, speed within 20 % of its rate, never full early.
func followsTheServer(t *testing.T, what string, tr progressTrace) {
	t.Helper()
	t.Logf("%s: %d samples, worst lead %.1f %%, worst lag %.1f %%, worst speed error %.1f %%",
		what, tr.samples, 100*tr.worstLead, 100*tr.worstLag, 100*tr.worstSpeed)
	if tr.samples < 20 {
		t.Fatalf("only %d samples: the link was not slow", tr.samples)
	}
	if tr.worstLead > 0.05 || tr.worstLag > 0.05 {
		t.Errorf("shown progress strayed from what the server received: lead %.1f %%, lag %.1f %%", 100*tr.worstLead, 100*tr.worstLag)
	}
	if tr.worstSpeed > 0.20 {
		t.Errorf("shown speed was %.0f %% off what the server received per second", 100*tr.worstSpeed)
	}
	if tr.sawFull {
		t.Error("the batch showed 100 % or an item uploaded before Cloudinary answered")
	}
}

// Counting what the transport read from the file (the old way, and what a
// client without the acknowledged counter gets) runs far ahead: logged as the
// baseline the test above improves on.
func TestProgressCountedFromReadsRunsAhead(t *testing.T) {
	if testing.Short() {
		t.Skip("a baseline measurement")
	}
	plain := func(c *cloud.Config) {
		c.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	tr := traceUpload(t, 300_000, plain)
	t.Logf("bytes read from the file: %d samples, worst lead %.1f %%, worst speed error %.1f %%",
		tr.samples, 100*tr.worstLead, 100*tr.worstSpeed)
	if tr.worstLead < 0.10 {
		t.Logf("reads ran only %.1f %% ahead here", 100*tr.worstLead)
	}
}

// The batch: six files on a slow link. The batch's bytes follow what
// the sandbox received, and the bar is full only once all six are stored.
func TestBatchProgressFollowsWhatTheServerReceived(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: linkRate}})
	paths, _ := writeFiles(t, filepath.Join(r.dir, "in"), 6, 200_000, ".bin")
	e := r.engine(func(c *Config) { c.ChunkSize = 8 << 20; c.ProgressInterval = 50 * time.Millisecond })
	base := r.sb.BytesReceived()
	e.Add(itemsFor(paths)...)
	var worstLead, worstLag float64
	samples := 0
	type etaAt struct {
		at  time.Time
		eta time.Duration
	}
	var etas []etaAt
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		before := r.sb.BytesReceived() - base
		s := e.Snapshot()
		after := r.sb.BytesReceived() - base
		b := s.Batch
		if b.Finished() && b.Total == 6 {
			break
		}
		stored := len(byState(s)[Done])
		if b.Fraction >= 1 || b.Done != stored {
			t.Fatalf("the batch shows %.0f %% and %d uploaded with %d stored", 100*b.Fraction, b.Done, stored)
		}
		if b.BytesTotal > 0 && b.Active > 0 {
			samples++
			// Up to four requests' headers and form fields are not file bytes.
			worstLead = max(worstLead, float64(b.BytesDone-after)/float64(b.BytesTotal))
			worstLag = max(worstLag, float64(before-4*1024-b.BytesDone)/float64(b.BytesTotal))
			if b.ETA > 0 {
				etas = append(etas, etaAt{time.Now(), b.ETA})
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	end := time.Now()
	var worstETA float64
	var worstOff time.Duration
	for _, s := range etas[min(len(etas), 20):] { // after the first second
		left := end.Sub(s.at)
		off := (s.eta - left).Abs()
		worstOff = max(worstOff, off)
		if left > 2*time.Second {
			worstETA = max(worstETA, float64(off)/float64(left))
		}
	}
	t.Logf("time left shown: worst %.0f %% off the time it really took (with over 2 s left), at most %s off",
		100*worstETA, worstOff.Round(100*time.Millisecond))
	b := e.Batch()
	if b.Done != 6 || b.Fraction != 1 {
		t.Fatalf("finished: %d done, %.3f", b.Done, b.Fraction)
	}
	t.Logf("%d samples: batch bytes at most %.1f %% ahead of the server, %.1f %% behind", samples, 100*worstLead, 100*worstLag)
	if worstLead > 0.05 || worstLag > 0.05 {
		t.Errorf("the batch's bytes strayed from what the server received: lead %.1f %%, lag %.1f %%", 100*worstLead, 100*worstLag)
	}
}
