package transfer

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// appendTo adds n bytes to the end of p.
func appendTo(t *testing.T, p string, n int) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if _, err := f.Write([]byte(strings.Repeat("growing!", n/8+1)[:n])); err != nil {
		t.Error(err)
	}
}

func fileMD5(t *testing.T, p string) (string, int64) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:]), int64(len(b))
}

// onceUploading calls f (in its own goroutine) each time the item is seen
// uploading, until stop is closed.
func whileUploading(e *Engine, f func()) (stop func()) {
	sub := e.Subscribe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range sub.C {
			for _, it := range ev.Items {
				if it.State == Uploading && it.BytesDone > 0 {
					f()
				}
			}
		}
	}()
	return func() { sub.Close(); wg.Wait() }
}

// TestFileThatGrowsDuringItsUploadIsSentWhole: a file that grows while it
// is sent (whole and in chunks) is sent again, and the asset is the whole
// file, not its first bytes; one asset, replaced, not two.
func TestFileThatGrowsDuringItsUploadIsSentWhole(t *testing.T) {
	for _, size := range []int{40_000, 200_000} { // one request; chunks of 64 KB
		t.Run(HumanBytes(int64(size)), func(t *testing.T) {
			r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 80_000}})
			p := filepath.Join(r.dir, "in", "recording.bin")
			writeFile(t, p, size)
			e := r.engine(nil)
			var once sync.Once
			stop := whileUploading(e, func() { once.Do(func() { appendTo(t, p, 30_000) }) })
			e.Add(Item{Path: p})
			snap := finish(t, e, 2*time.Minute)
			stop()
			sum, n := fileMD5(t, p)
			it := snap.Items[0]
			if it.State != Done {
				t.Fatalf("%s: %s", it.State, it.Words)
			}
			if n != int64(size)+30_000 {
				t.Fatalf("the file did not grow during the upload (%d bytes)", n)
			}
			if it.Asset.ETag != sum || it.Asset.Bytes != n || it.BytesTotal != n {
				t.Fatalf("done with etag %s, %d bytes (shown %d); the file is now %s, %d bytes", it.Asset.ETag, it.Asset.Bytes, it.BytesTotal, sum, n)
			}
			if st := r.sb.Stats(); st.Assets != 1 {
				t.Errorf("%d assets on the account, want the 1 replaced", st.Assets)
			}
		})
	}
}

// TestFileThatKeepsChangingFailsInWords: a file still being written at
// every send fails after a few, saying what to do.
func TestFileThatKeepsChangingFailsInWords(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 80_000}})
	p := filepath.Join(r.dir, "in", "live.bin")
	writeFile(t, p, 40_000)
	e := r.engine(nil)
	var mu sync.Mutex
	stop := whileUploading(e, func() {
		mu.Lock()
		defer mu.Unlock()
		appendTo(t, p, 100)
	})
	e.Add(Item{Path: p})
	snap := finish(t, e, 2*time.Minute)
	stop()
	it := snap.Items[0]
	if it.State != Failed || !strings.Contains(it.Words, "live.bin kept changing while it was uploading; try again when it is finished") {
		t.Fatalf("%s: %q", it.State, it.Words)
	}
}

// TestRefusedUploadWaitsWithNothingShownAsSent: Cloudinary keeps nothing of
// a request it refused (420), so while the file waits to be sent again its
// row and the batch must not show its bytes as taken.
func TestRefusedUploadWaitsWithNothingShownAsSent(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Faults: "on=upload,rate=1,max=1,kinds=420,retry=1s"}})
	p := filepath.Join(r.dir, "in", "photo.bin")
	writeFile(t, p, 300_000)
	e := r.engine(func(c *Config) { c.Clock = SystemClock{} })
	sub := e.Subscribe()
	var waiting []ItemStatus
	var batches []BatchStatus
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range sub.C {
			for _, st := range ev.Items {
				if st.State == Retrying {
					waiting = append(waiting, st)
					batches = append(batches, ev.Batch)
				}
			}
		}
	}()
	e.Add(Item{Path: p})
	snap := finish(t, e, time.Minute)
	sub.Close()
	<-done
	if st := snap.Items[0]; st.State != Done {
		t.Fatalf("%s (%s)", st.State, st.Words)
	}
	if r.sb.Stats().Faults["420"] != 1 {
		t.Fatalf("the sandbox refused %d uploads, want 1", r.sb.Stats().Faults["420"])
	}
	if len(waiting) == 0 {
		t.Fatal("the refused upload was never seen waiting to be sent again")
	}
	for i, st := range waiting {
		if st.BytesDone != 0 || batches[i].BytesDone != 0 || batches[i].Fraction != 0 {
			t.Fatalf("while waiting after a 420: row %d of %d bytes, batch %d bytes (%.0f %%)",
				st.BytesDone, st.BytesTotal, batches[i].BytesDone, 100*batches[i].Fraction)
		}
	}
}

// Once Cloudinary has said how large a file of a kind the account takes,
// the batch's other files of that kind over it fail at once, in the same
// words, without being sent; files under it and of other kinds still go.
func TestFilesOverALimitCloudinaryStatedAreNotSent(t *testing.T) {
	r := newRig(t, rigOptions{}) // the free plan: raw files up to 10 MB
	dir := filepath.Join(r.dir, "in")
	var items []Item
	for i, size := range []int{11 << 20, 12 << 20, 100_000, 13 << 20} {
		p := filepath.Join(dir, fmt.Sprintf("dump-%d.bin", i))
		writeFile(t, p, size)
		items = append(items, Item{Path: p})
	}
	e := r.engine(func(c *Config) { c.Concurrency = 1; c.ChunkSize = 20 << 20 })
	ids := e.Add(items...)
	snap := finish(t, e, 2*time.Minute)
	byID := map[ItemID]ItemStatus{}
	for _, st := range snap.Items {
		byID[st.ID] = st
	}
	for i, id := range ids {
		st := byID[id]
		var tl *cloud.TooLargeError
		switch {
		case i == 2 && st.State != Done:
			t.Errorf("the small file: %s (%v)", st.State, st.Err)
		case i != 2 && (st.State != Failed || !errors.As(st.Err, &tl) || tl.Limit != 10<<20 || tl.Size != sizeOf(t, items[i].Path)):
			t.Errorf("file %d: %s (%v)", i, st.State, st.Err)
		}
	}
	// The first large file was sent and refused; the two after it were not sent.
	if n := r.sb.Stats().Requests[sandbox.EndpointUpload]; n != 2 {
		t.Errorf("%d upload requests, want 2 (the first large file and the small one)", n)
	}
}

func sizeOf(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A larger file of the same kind already on its way when Cloudinary states
// the limit is stopped then, not sent to the end for the same refusal.
func TestUploadOverAStatedLimitIsStoppedOnItsWay(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Bandwidth: 20 << 20}}) // the free plan: raw up to 10 MB
	dir := filepath.Join(r.dir, "in")
	small, big := filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
	writeFile(t, small, 11<<20) // refused after about half a second
	writeFile(t, big, 60<<20)   // would take three
	e := r.engine(func(c *Config) { c.Concurrency = 2; c.ChunkSize = 80 << 20 })
	ids := e.Add(Item{Path: small}, Item{Path: big})
	snap := finish(t, e, 2*time.Minute)
	for i, st := range snap.Items {
		var tl *cloud.TooLargeError
		if st.ID != ids[i] || st.State != Failed || !errors.As(st.Err, &tl) || tl.Limit != 10<<20 {
			t.Fatalf("%s: %s (%v)", st.Name, st.State, st.Err)
		}
	}
	if msg := snap.Items[1].Err.Error(); !strings.Contains(msg, "Stopped") {
		t.Errorf("the large file was sent to the end: %s", msg)
	}
}
