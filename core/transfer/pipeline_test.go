package transfer

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
)

// chunkSpan is one chunk request as a proxy in front of the sandbox saw it.
type chunkSpan struct {
	start         int64
	began, answer time.Time
}

// chunkRecorder forwards to the sandbox and notes when each chunk request
// began and was answered.
type chunkRecorder struct {
	mu    sync.Mutex
	spans []chunkSpan
}

func (c *chunkRecorder) proxy(t *testing.T, target string) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cr := r.Header.Get("Content-Range")
		if r.Header.Get("X-Unique-Upload-Id") == "" || cr == "" {
			rp.ServeHTTP(w, r)
			return
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(cr, "bytes "), "-")
		start, err := strconv.ParseInt(first, 10, 64)
		if err != nil {
			t.Errorf("Content-Range %q", cr)
		}
		began := time.Now()
		rp.ServeHTTP(w, r)
		c.mu.Lock()
		c.spans = append(c.spans, chunkSpan{start: start, began: began, answer: time.Now()})
		c.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Middle chunks overlap (the link does not idle a round trip per chunk),
// but as Cloudinary requires the first chunk is answered before another
// is sent and the last one is sent only after every other was answered;
// never more than two are in flight.
func TestMiddleChunksOverlapButFirstAndLastGoAlone(t *testing.T) {
	for _, pin := range []int{0, 1} {
		rec := &chunkRecorder{}
		r := newRig(t, rigOptions{sandbox: sandbox.Config{Latency: 30 * time.Millisecond},
			clientMod: func(c *cloud.Config) { c.APIBase = rec.proxy(t, c.APIBase) }})
		p := filepath.Join(r.dir, "big.bin")
		sum := writeFile(t, p, 10*65536-7)
		e := r.engine(func(c *Config) { c.Concurrency = pin })
		e.Add(Item{Path: p})
		it := finish(t, e, time.Minute).Items[0]
		if it.State != Done || it.Asset.ETag != sum {
			t.Fatalf("concurrency %d: %s: %s %+v", pin, it.Name, it.Words, it.Asset)
		}
		rec.mu.Lock()
		spans := append([]chunkSpan(nil), rec.spans...)
		rec.mu.Unlock()
		sort.Slice(spans, func(i, j int) bool { return spans[i].began.Before(spans[j].began) })
		if len(spans) != 10 {
			t.Fatalf("concurrency %d: %d chunk requests, want 10", pin, len(spans))
		}
		first, last := spans[0], spans[len(spans)-1]
		if first.start != 0 || last.start != 9*65536 {
			t.Fatalf("concurrency %d: first chunk at %d, last at %d", pin, first.start, last.start)
		}
		overlaps, most := 0, 0
		for i, s := range spans {
			if i > 0 && s.began.Before(first.answer) {
				t.Errorf("concurrency %d: chunk at %d was sent before the first was answered", pin, s.start)
			}
			if i < len(spans)-1 && last.began.Before(s.answer) {
				t.Errorf("concurrency %d: the last chunk was sent before the one at %d was answered", pin, s.start)
			}
			open := 1
			for j, o := range spans {
				if j != i && o.began.Before(s.answer) && s.began.Before(o.answer) && !o.began.After(s.began) {
					open++
				}
			}
			if open > 1 {
				overlaps++
			}
			most = max(most, open)
		}
		switch {
		case most > 2:
			t.Errorf("concurrency %d: %d chunks in flight at once, want at most 2", pin, most)
		case pin == 1 && overlaps > 0:
			t.Errorf("pinned to one upload at a time, %d chunks overlapped another", overlaps)
		case pin == 0 && overlaps == 0:
			t.Errorf("no middle chunks overlapped: each paid a round trip alone")
		}
		t.Logf("concurrency %d: %d of %d chunks overlapped another", pin, overlaps, len(spans))
	}
}

// Chunks side by side through a server that fails a third of them, some
// after storing them: every chunk is retried alone and the file is stored
// once, with its own bytes.
func TestChunksSideBySideSurviveFaults(t *testing.T) {
	r := newRig(t, rigOptions{sandbox: sandbox.Config{Latency: 5 * time.Millisecond,
		Faults: "on=chunk,rate=0.3,kinds=500+502+reset+reset-after", Seed: 7}})
	p := filepath.Join(r.dir, "big.bin")
	sum := writeFile(t, p, 16*65536-3)
	e := r.engine(nil)
	e.Add(Item{Path: p})
	it := finish(t, e, 2*time.Minute).Items[0]
	if it.State != Done || it.Asset.ETag != sum {
		t.Fatalf("%s: %s %v %+v", it.Name, it.Words, it.Err, it.Asset)
	}
	st := r.sb.Stats()
	if st.Assets != 1 {
		t.Fatalf("want 1 asset: %s", st)
	}
	injected := int64(0)
	for _, v := range st.Faults {
		injected += v
	}
	if injected == 0 {
		t.Fatalf("no fault was injected: the test proves nothing (%s)", st)
	}
	t.Logf("%d chunk requests, faults %v", r.sb.Requests(sandbox.EndpointUploadChunk), st.Faults)
}
