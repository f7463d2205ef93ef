package cloud

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/signing"
)

const (
	testCloud  = "democloud"
	testKey    = "123456789012345"
	testSecret = "test-secret-Zq8xV1"
)

// recorded is one request as the fake server saw it.
type recorded struct {
	method, path string
	header       http.Header
	params       url.Values
	fileName     string
	fileBytes    []byte
	sigErr       error
}

// fakeCloud is a Cloudinary stand-in that parses what the client sends and
// verifies its signature with the same rules Cloudinary uses. handler
// decides the answer.
type fakeCloud struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	handler func(w http.ResponseWriter, r *http.Request, rec recorded)
}

func newFakeCloud(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, rec recorded)) *fakeCloud {
	f := &fakeCloud{t: t, handler: handler}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloud) serve(w http.ResponseWriter, r *http.Request) {
	rec := recorded{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), params: url.Values{}}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, ctParams["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FormName() == "file" {
				rec.fileName = p.FileName()
				rec.fileBytes = b
				continue
			}
			rec.params.Add(p.FormName(), string(b))
		}
	case "application/x-www-form-urlencoded":
		b, _ := io.ReadAll(r.Body)
		rec.params, _ = url.ParseQuery(string(b))
	case "application/json":
		b, _ := io.ReadAll(r.Body)
		rec.fileBytes = b
	}
	if sig := rec.params.Get("signature"); sig != "" {
		p := url.Values{}
		for k, v := range rec.params {
			if k != "signature" {
				p[k] = v
			}
		}
		rec.sigErr = signing.Verify(p, sig, testSecret)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	f.mu.Unlock()
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	f.handler(w, r, rec)
}

func (f *fakeCloud) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func assetAnswer(rec recorded) map[string]any {
	sum := md5.Sum(rec.fileBytes)
	return map[string]any{
		"asset_id": "3515c6000a548515f1134043f9785c2f", "public_id": rec.params.Get("public_id"),
		"version": 1719307544, "format": "jpg", "resource_type": "image", "type": "upload",
		"created_at": "2024-06-25T09:25:44Z", "tags": []string{"a", "b"}, "bytes": len(rec.fileBytes),
		"etag": hex.EncodeToString(sum[:]), "secure_url": "https://res.example/x.jpg",
		"context": map[string]any{"custom": map[string]string{"alt": "a=b"}},
	}
}

func newTestClient(t *testing.T, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{Cloud: testCloud, APIKey: testKey, Secret: testSecret, APIBase: base}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tempFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func TestUploadSendsSignedMultipartWithFileLastAndContentLength(t *testing.T) {
	data := pattern(300_000)
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 200, assetAnswer(rec))
	})
	c := newTestClient(t, fc.srv.URL, nil)
	var lastProgress int64
	no := false
	asset, err := c.Upload(context.Background(), UploadRequest{
		File: File{Name: "/some/dir/photo.jpg", Data: tempFile(t, data), Size: int64(len(data))},
		Params: UploadParams{PublicID: "trips/photo", Folder: "trips", Tags: []string{"a", "b,c", " "},
			Context: map[string]string{"alt": "x=y|z", "caption": "hi & bye"}, Overwrite: &no},
		Progress: func(n int64) { lastProgress = n },
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := fc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	rec := reqs[0]
	if rec.path != "/v1_1/democloud/auto/upload" {
		t.Errorf("path %s", rec.path)
	}
	if rec.sigErr != nil {
		t.Errorf("signature rejected: %v", rec.sigErr)
	}
	if !bytes.Equal(rec.fileBytes, data) || rec.fileName != "photo.jpg" {
		t.Errorf("file part: %d bytes named %q", len(rec.fileBytes), rec.fileName)
	}
	for k, want := range map[string]string{
		"public_id": "trips/photo", "folder": "trips", "tags": "a,b c", "overwrite": "false",
		"context": `alt=x\=y\|z|caption=hi & bye`, "api_key": testKey,
	} {
		if got := rec.params.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if rec.header.Get("Content-Length") == "" {
		t.Error("no Content-Length: the body was sent chunked")
	}
	if lastProgress != int64(len(data)) {
		t.Errorf("progress ended at %d, want %d", lastProgress, len(data))
	}
	if asset.PublicID != "trips/photo" || asset.Version != 1719307544 || asset.Context["alt"] != "a=b" || len(asset.Tags) != 2 {
		t.Errorf("asset decoded as %+v", asset)
	}
	sum := md5.Sum(data)
	if asset.ETag != hex.EncodeToString(sum[:]) {
		t.Errorf("etag %s", asset.ETag)
	}
}

func TestUnsignedUploadSendsPresetAndNoSignature(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 200, assetAnswer(rec))
	})
	c := newTestClient(t, fc.srv.URL, func(cfg *Config) {
		cfg.Unsigned, cfg.UploadPreset, cfg.Secret, cfg.APIKey = true, "ml_default", "", ""
	})
	yes := true
	data := []byte("hello")
	if _, err := c.Upload(context.Background(), UploadRequest{
		File:   File{Name: "a.txt", Data: bytes.NewReader(data), Size: 5},
		Params: UploadParams{PublicID: "x", Overwrite: &yes, Tags: []string{"t"}},
	}); err != nil {
		t.Fatal(err)
	}
	rec := fc.requests()[0]
	if rec.params.Get("upload_preset") != "ml_default" || rec.params.Get("public_id") != "x" || rec.params.Get("tags") != "t" {
		t.Errorf("params %v", rec.params)
	}
	for _, k := range []string{"signature", "api_key", "timestamp", "overwrite"} {
		if rec.params.Has(k) {
			t.Errorf("unsigned upload sent %s", k)
		}
	}
	if _, err := c.Search(context.Background(), SearchQuery{}); !errors.Is(err, ErrNeedsSecret) {
		t.Errorf("search on an unsigned profile: %v", err)
	}
}

func TestEveryChunkIsSignedFreshWithContentRangeAndOneUploadID(t *testing.T) {
	data := pattern(25_000)
	var mu sync.Mutex
	var got []byte
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		mu.Lock()
		got = append(got, rec.fileBytes...)
		n := len(got)
		mu.Unlock()
		if n < len(data) {
			writeJSON(w, 200, map[string]any{"done": false, "bytes": n})
			return
		}
		a := assetAnswer(rec)
		sum := md5.Sum(got)
		a["etag"] = hex.EncodeToString(sum[:])
		writeJSON(w, 200, a)
	})
	now := time.Unix(1_700_000_000, 0)
	c := newTestClient(t, fc.srv.URL, func(cfg *Config) { cfg.Now = func() time.Time { return now } })
	f := tempFile(t, data)
	id := NewUploadID()
	var results []*ChunkResult
	for off := int64(0); off < int64(len(data)); off += 10_000 {
		n := min(10_000, int64(len(data))-off)
		res, err := c.UploadChunk(context.Background(), ChunkRequest{
			UploadRequest: UploadRequest{File: File{Name: "big.bin", Data: f, Size: int64(len(data))}, Params: UploadParams{PublicID: "big"}},
			UploadID:      id, Offset: off, Length: n,
		})
		if err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
		results = append(results, res)
		now = now.Add(40 * time.Minute) // an upload longer than an hour
	}
	reqs := fc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	wantRanges := []string{"bytes 0-9999/25000", "bytes 10000-19999/25000", "bytes 20000-24999/25000"}
	seen := map[string]bool{}
	for i, rec := range reqs {
		if rec.sigErr != nil {
			t.Errorf("chunk %d: %v", i, rec.sigErr)
		}
		if rec.header.Get("X-Unique-Upload-Id") != id {
			t.Errorf("chunk %d upload id %q", i, rec.header.Get("X-Unique-Upload-Id"))
		}
		if rec.header.Get("Content-Range") != wantRanges[i] {
			t.Errorf("chunk %d range %q", i, rec.header.Get("Content-Range"))
		}
		ts := rec.params.Get("timestamp")
		if seen[ts] {
			t.Errorf("chunk %d reuses timestamp %s", i, ts)
		}
		seen[ts] = true
	}
	if results[0].Done || results[0].Bytes != 10_000 || !results[2].Done || results[2].Asset == nil {
		t.Errorf("results %+v %+v", results[0], results[2])
	}
	sum := md5.Sum(data)
	if results[2].Asset.ETag != hex.EncodeToString(sum[:]) {
		t.Error("reassembled bytes differ")
	}
}

func TestLastChunkNotDoneIsErrIncomplete(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 200, map[string]any{"done": false, "bytes": 10})
	})
	c := newTestClient(t, fc.srv.URL, nil)
	data := pattern(20)
	_, err := c.UploadChunk(context.Background(), ChunkRequest{
		UploadRequest: UploadRequest{File: File{Name: "x", Data: bytes.NewReader(data), Size: 20}},
		UploadID:      "abc", Offset: 10, Length: 10,
	})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("got %v", err)
	}
}

func TestErrorsAreClassifiedFromStatusAndBody(t *testing.T) {
	serverNow := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		check     func(t *testing.T, err error)
		retryable bool
	}{
		{"invalid signature", 401, nil, `{"error":{"message":"Invalid Signature 0a1b. String to sign - 'timestamp=1'."}}`, func(t *testing.T, err error) {
			var ae *AuthError
			if !errors.As(err, &ae) || !ae.Signature || !errors.Is(err, signing.ErrInvalidSignature) || !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("%T %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "wrong secret or signature algorithm for this account") {
				t.Fatalf("words: %v", err)
			}
		}, false},
		{"unknown api key", 401, nil, `{"error":{"message":"Unknown API key 12"}}`, func(t *testing.T, err error) {
			if !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("%v", err)
			}
		}, false},
		{"stale with date", 400, map[string]string{"Date": serverNow.Format(http.TimeFormat)}, `{"error":{"message":"Stale request - reported time is 2026-03-01 09:00:00 +0000 which is more than 1 hour ago"}}`, func(t *testing.T, err error) {
			var se *StaleError
			if !errors.As(err, &se) || !errors.Is(err, ErrStale) || !se.ServerDate.Equal(serverNow) {
				t.Fatalf("%T %v", err, err)
			}
			if !strings.Contains(err.Error(), "clock is off by 3h0m0s") {
				t.Fatalf("words: %v", err)
			}
		}, true},
		{"stale without date", 400, map[string]string{"Date": ""}, `{"error":{"message":"Stale request - reported time is x"}}`, func(t *testing.T, err error) {
			if !errors.Is(err, ErrStale) {
				t.Fatalf("%v", err)
			}
		}, false},
		{"420 try again on", 420, nil, `{"error":{"message":"Rate Limit Exceeded. Limit of 500 api operations reached. Try again on 2026-03-01 14:00:00 UTC"}}`, func(t *testing.T, err error) {
			var rl *RateLimitedError
			if !errors.As(err, &rl) || !rl.RetryAt.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) {
				// 14:00 server time is 11:00 on a local clock 3 h behind.
				t.Fatalf("%T %v", err, err)
			}
		}, true},
		{"429 retry-after seconds", 429, map[string]string{"Retry-After": "7"}, `{"error":{"message":"Too many"}}`, func(t *testing.T, err error) {
			var rl *RateLimitedError
			if !errors.As(err, &rl) || !rl.RetryAt.Equal(serverNow.Add(-3*time.Hour+7*time.Second)) {
				t.Fatalf("%T %v", err, err)
			}
		}, true},
		{"500 json", 500, nil, `{"error":{"message":"General Error"}}`, func(t *testing.T, err error) {
			var se *ServerError
			if !errors.As(err, &se) || se.Status != 500 || se.Message != "General Error" {
				t.Fatalf("%T %v", err, err)
			}
		}, true},
		{"502 html", 502, nil, `<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>`, func(t *testing.T, err error) {
			var se *ServerError
			if !errors.As(err, &se) || se.Message != "502 Bad Gateway" {
				t.Fatalf("%T %v", err, err)
			}
		}, true},
		{"too large", 400, nil, `{"error":{"message":"File size too large. Got 11926513. Maximum is 10485760."}}`, func(t *testing.T, err error) {
			var re *RequestError
			if !errors.As(err, &re) || re.Hint == "" || !strings.Contains(err.Error(), "Maximum is 10485760") {
				t.Fatalf("%T %v", err, err)
			}
			var tl *TooLargeError
			if !errors.As(err, &tl) || !errors.Is(err, ErrTooLarge) || tl.Size != 11926513 || tl.Limit != 10485760 {
				t.Fatalf("not read as a TooLargeError: %T %+v", err, tl)
			}
		}, false},
		{"413 html", 413, nil, `<html><title>413 Request Entity Too Large</title></html>`, func(t *testing.T, err error) {
			var re *RequestError
			if !errors.As(err, &re) || re.Status != 413 {
				t.Fatalf("%T %v", err, err)
			}
		}, false},
		{"200 with error body", 200, nil, `{"error":{"message":"Upload preset not found"}}`, func(t *testing.T, err error) {
			var re *RequestError
			if !errors.As(err, &re) || !strings.Contains(re.Hint, "preset") {
				t.Fatalf("%T %v", err, err)
			}
		}, false},
		{"200 not json", 200, nil, `<html>captive portal</html>`, func(t *testing.T, err error) {
			var se *ServerError
			if !errors.As(err, &se) {
				t.Fatalf("%T %v", err, err)
			}
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Date", serverNow.Format(http.TimeFormat))
				for k, v := range tc.header {
					if v == "" {
						w.Header()[k] = nil
					} else {
						w.Header().Set(k, v)
					}
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			local := serverNow.Add(-3 * time.Hour)
			c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Now = func() time.Time { return local } })
			_, err := c.Upload(context.Background(), UploadRequest{File: File{Name: "a", Data: strings.NewReader("abc"), Size: 3}})
			if err == nil {
				t.Fatal("no error")
			}
			tc.check(t, err)
			if got := Retryable(err); got != tc.retryable {
				t.Errorf("Retryable = %v, want %v", got, tc.retryable)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Error("secret in error")
			}
		})
	}
}

func TestStaleAnswerCorrectsTheClockForTheNextSignature(t *testing.T) {
	serverNow := time.Now()
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		ts, _ := time.Parse("2006", "2006")
		if sec, err := parseUnix(rec.params.Get("timestamp")); err == nil {
			ts = time.Unix(sec, 0)
		}
		if serverNow.Sub(ts) > time.Hour {
			writeJSON(w, 400, map[string]any{"error": map[string]string{"message": "Stale request - reported time is " + ts.UTC().Format("2006-01-02 15:04:05 -0700") + " which is more than 1 hour ago"}})
			return
		}
		writeJSON(w, 200, assetAnswer(rec))
	})
	local := time.Now().Add(-3 * time.Hour)
	c := newTestClient(t, fc.srv.URL, func(cfg *Config) { cfg.Now = func() time.Time { return local } })
	req := UploadRequest{File: File{Name: "a", Data: strings.NewReader("abc"), Size: 3}, Params: UploadParams{PublicID: "p"}}
	_, err := c.Upload(context.Background(), req)
	var se *StaleError
	if !errors.As(err, &se) || !se.Correctable() {
		t.Fatalf("first attempt: %v", err)
	}
	if off := c.ClockOffset(); off < 3*time.Hour-5*time.Second || off > 3*time.Hour+5*time.Second {
		t.Fatalf("offset %s", off)
	}
	if _, err := c.Upload(context.Background(), req); err != nil {
		t.Fatalf("re-signed attempt: %v", err)
	}
}

func parseUnix(s string) (int64, error) {
	var n int64
	_, err := fmt.Sscan(s, &n)
	return n, err
}

func TestStalledUploadIsCanceledAsRetryableNetworkError(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read a little, then stop reading: the client's writes block.
		io.CopyN(io.Discard, r.Body, 1000)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.StallTimeout = 300 * time.Millisecond })
	data := pattern(64 << 20) // more than the socket buffers hold
	start := time.Now()
	_, err := c.Upload(context.Background(), UploadRequest{File: File{Name: "a", Data: bytes.NewReader(data), Size: int64(len(data))}})
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, ErrStalled) || !Retryable(err) {
		t.Fatalf("got %T %v", err, err)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatalf("the stall was not noticed (%s)", time.Since(start))
	}
}

func TestNoAnswerAfterBodyIsAStallToo(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.ResponseTimeout = 300 * time.Millisecond })
	_, err := c.Upload(context.Background(), UploadRequest{File: File{Name: "a", Data: strings.NewReader("abc"), Size: 3}})
	if !errors.Is(err, ErrStalled) || !Retryable(err) {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestConnectionResetIsRetryableNetworkError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.CopyN(io.Discard, r.Body, 100)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // RST instead of FIN
			}
			conn.Close()
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	data := pattern(1 << 20)
	_, err := c.Upload(context.Background(), UploadRequest{File: File{Name: "a", Data: bytes.NewReader(data), Size: int64(len(data))}})
	var ne *NetworkError
	if !errors.As(err, &ne) || !Retryable(err) {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestCanceledUploadIsNotRetryable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices the client leaving only after the body
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Upload(ctx, UploadRequest{File: File{Name: "a", Data: strings.NewReader("abc"), Size: 3}})
	if err == nil || Retryable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %T %v", err, err)
	}
}

// shrinking is a file that is shorter than it claims.
type shrinking struct{ data []byte }

func (s shrinking) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(s.data)) {
		return 0, io.EOF
	}
	n := copy(p, s.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestFileShorterThanAnnouncedIsErrFileChanged(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 200, assetAnswer(rec))
	})
	c := newTestClient(t, fc.srv.URL, nil)
	_, err := c.Upload(context.Background(), UploadRequest{File: File{Name: "a", Data: shrinking{pattern(1000)}, Size: 5000}})
	if !errors.Is(err, ErrFileChanged) || Retryable(err) {
		t.Fatalf("got %T %v", err, err)
	}
}

func TestRemoteUploadIsURLEncodedAndSigned(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		writeJSON(w, 200, assetAnswer(rec))
	})
	c := newTestClient(t, fc.srv.URL, func(cfg *Config) { cfg.Algorithm = signing.SHA256 })
	if _, err := c.UploadRemote(context.Background(), "https://example.com/a.jpg?x=1&y=2", "", UploadParams{PublicID: "r"}); err != nil {
		t.Fatal(err)
	}
	rec := fc.requests()[0]
	if rec.params.Get("file") != "https://example.com/a.jpg?x=1&y=2" || rec.sigErr != nil || len(rec.params.Get("signature")) != 64 {
		t.Fatalf("params %v sig %v", rec.params, rec.sigErr)
	}
}

func TestDestroyRenameTagsExplicitAreSignedCalls(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		switch {
		case strings.HasSuffix(rec.path, "/destroy"):
			if rec.params.Get("public_id") == "gone" {
				writeJSON(w, 200, map[string]string{"result": "not found"})
				return
			}
			writeJSON(w, 200, map[string]string{"result": "ok"})
		case strings.HasSuffix(rec.path, "/rename"):
			writeJSON(w, 200, map[string]any{"public_id": rec.params.Get("to_public_id"), "version": 2})
		case strings.HasSuffix(rec.path, "/tags"):
			var ids []string
			for i := 0; rec.params.Has(fmt.Sprintf("public_ids[%d]", i)); i++ {
				ids = append(ids, rec.params.Get(fmt.Sprintf("public_ids[%d]", i)))
			}
			writeJSON(w, 200, map[string]any{"public_ids": ids})
		case strings.HasSuffix(rec.path, "/explicit"):
			writeJSON(w, 200, map[string]any{"public_id": rec.params.Get("public_id"), "eager": []map[string]any{{"transformation": rec.params.Get("eager")}}})
		}
	})
	c := newTestClient(t, fc.srv.URL, nil)
	ctx := context.Background()
	if err := c.Destroy(ctx, Ref{PublicID: "a/b", ResourceType: "video"}, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(ctx, Ref{PublicID: "gone"}, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("destroy missing: %v", err)
	}
	a, err := c.Rename(ctx, Ref{PublicID: "a"}, "b", false)
	if err != nil || a.PublicID != "b" {
		t.Fatalf("rename %v %+v", err, a)
	}
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = fmt.Sprintf("id%d", i)
	}
	got, err := c.Tags(ctx, TagAdd, "summer", "", ids)
	if err != nil || len(got) != 12 || got[11] != "id11" {
		t.Fatalf("tags %v %v", err, got)
	}
	ex, err := c.Explicit(ctx, Ref{PublicID: "p"}, url.Values{"eager": {"w_100"}})
	if err != nil || len(ex.Eager) != 1 || ex.Eager[0].Transformation != "w_100" {
		t.Fatalf("explicit %v %+v", err, ex)
	}
	reqs := fc.requests()
	wantPaths := []string{"/v1_1/democloud/video/destroy", "/v1_1/democloud/image/destroy", "/v1_1/democloud/image/rename", "/v1_1/democloud/image/tags", "/v1_1/democloud/image/explicit"}
	for i, rec := range reqs {
		if rec.path != wantPaths[i] {
			t.Errorf("request %d path %s, want %s", i, rec.path, wantPaths[i])
		}
		if rec.sigErr != nil || rec.params.Get("timestamp") == "" {
			t.Errorf("request %d (%s) signature: %v", i, rec.path, rec.sigErr)
		}
	}
	if reqs[0].params.Get("invalidate") != "true" || reqs[0].params.Get("type") != "upload" {
		t.Errorf("destroy params %v", reqs[0].params)
	}
}

func TestSearchPostsJSONWithBasicAuthAndDecodesFlatContext(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testKey || pass != testSecret {
			writeJSON(w, 401, map[string]any{"error": map[string]string{"message": "Invalid credentials"}})
			return
		}
		writeJSON(w, 200, map[string]any{
			"total_count": 2, "time": 3, "next_cursor": "cur2",
			"resources": []map[string]any{
				{"public_id": "a", "context": map[string]string{"alt": "x"}, "created_at": "2024-01-02T03:04:05Z", "bytes": 10, "folder": "f"},
				{"public_id": "b", "tags": "t1,t2", "version": "17"},
			},
		})
	})
	c := newTestClient(t, fc.srv.URL, nil)
	res, err := c.Search(context.Background(), SearchQuery{
		Expression: "folder:demo/*", SortBy: []SortField{{"created_at", "desc"}}, MaxResults: 30,
		NextCursor: "cur1", WithField: []string{"tags", "context"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := fc.requests()[0]
	if rec.path != "/v1_1/democloud/resources/search" || rec.method != http.MethodPost {
		t.Errorf("%s %s", rec.method, rec.path)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.fileBytes, &body); err != nil {
		t.Fatal(err)
	}
	if body["expression"] != "folder:demo/*" || body["next_cursor"] != "cur1" || body["max_results"] != float64(30) {
		t.Errorf("body %v", body)
	}
	if sb := fmt.Sprint(body["sort_by"]); sb != "[map[created_at:desc]]" {
		t.Errorf("sort_by %s", sb)
	}
	if res.NextCursor != "cur2" || len(res.Resources) != 2 || res.Resources[0].Context["alt"] != "x" ||
		res.Resources[1].Tags[1] != "t2" || res.Resources[1].Version != 17 || res.Resources[0].Folder != "f" {
		t.Errorf("result %+v", res)
	}
	if _, err := c.Search(context.Background(), SearchQuery{MaxResults: 501}); err == nil {
		t.Error("max_results 501 accepted")
	}
}

func TestResourceEscapesPathAndReportsNotFound(t *testing.T) {
	fc := newFakeCloud(t, func(w http.ResponseWriter, r *http.Request, rec recorded) {
		if r.URL.EscapedPath() == "/v1_1/democloud/resources/image/upload/trips/caf%C3%A9%20one" {
			writeJSON(w, 200, map[string]any{"public_id": "trips/café one"})
			return
		}
		writeJSON(w, 404, map[string]any{"error": map[string]string{"message": "Resource not found - " + r.URL.Path}})
	})
	c := newTestClient(t, fc.srv.URL, nil)
	a, err := c.Resource(context.Background(), Ref{PublicID: "trips/café one"})
	if err != nil || a.PublicID != "trips/café one" {
		t.Fatalf("%v %+v", err, a)
	}
	if _, err := c.Resource(context.Background(), Ref{PublicID: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	cfg := Config{Cloud: "c", APIKey: "k", Secret: testSecret}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%s %q %v", cfg.Secret, cfg.Secret, cfg.Secret)} {
		if strings.Contains(s, testSecret) {
			t.Fatalf("secret printed: %s", s)
		}
	}
	b, _ := json.Marshal(cfg)
	if strings.Contains(string(b), testSecret) {
		t.Fatalf("secret in JSON: %s", b)
	}
}

func TestNewRejectsIncompleteConfigsWithWords(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no cloud name"},
		{Config{Cloud: "a b"}, "characters"},
		{Config{Cloud: "c", Secret: "s"}, "no API key"},
		{Config{Cloud: "c", APIKey: "k"}, "no API secret"},
		{Config{Cloud: "c", Unsigned: true}, "upload preset"},
		{Config{Cloud: "c", APIKey: "k", Secret: "s", APIBase: "ftp://x"}, "not an http(s) URL"},
	}
	for _, tc := range cases {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestAccountNamesCloudKeyAndBase(t *testing.T) {
	mk := func(cloudName, key, base string) string {
		c, err := New(Config{Cloud: cloudName, APIKey: key, Secret: "s", APIBase: base})
		if err != nil {
			t.Fatal(err)
		}
		return c.Account()
	}
	if mk("a", "1", "") == mk("b", "1", "") || mk("a", "1", "") == mk("a", "2", "") {
		t.Error("another cloud or key must be another account")
	}
	if mk("a", "1", "") == mk("a", "1", "http://127.0.0.1:9000") {
		t.Error("another API base must be another account")
	}
	// The sandbox on this computer listens on a new port each run.
	if mk("a", "1", "http://127.0.0.1:9000") != mk("a", "1", "http://127.0.0.1:9001") {
		t.Error("the local sandbox's port must not make another account")
	}
	if mk("a", "1", "https://api.example.com:8443") == mk("a", "1", "https://api.example.com:9443") {
		t.Error("a remote base's port is part of the account")
	}
}
