package sandbox

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

// bigFile writes n pseudo-random bytes (generated, not committed) and
// returns its path and MD5.
func bigFile(t testing.TB, n int64) (string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := md5.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.New(rand.NewSource(n)), n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p, hex.EncodeToString(h.Sum(nil))
}

// TestChunkedUploadOf60MBStreamsAndAssembles sends a 60 MB file through
// cloudinary-go's large-file path: v2.16.1 has no separate UploadLarge;
// Upload switches to X-Unique-Upload-Id chunks of Config.API.ChunkSize
// (20,000,000 bytes) once a file is bigger than that.
func TestChunkedUploadOf60MBStreamsAndAssembles(t *testing.T) {
	if testing.Short() {
		t.Skip("60 MB upload")
	}
	s := startSandbox(t, Config{Limits: Limits{MaxRawBytes: 200 * mb}})
	const size = 60*mb + 12345
	path, sum := bigFile(t, size)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cld := sdk(t, s)
	res, err := cld.Upload.Upload(context.Background(), f, uploader.UploadParams{PublicID: "big/file.bin", ResourceType: "raw"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("chunked upload: %v %s", err, res.Error.Message)
	}
	// 20,000,000-byte chunks (the SDK default): four requests.
	if n := s.Requests(EndpointUploadChunk); n != 4 {
		t.Errorf("%d chunk requests, want 4", n)
	}
	if res.Bytes != size || res.Etag != sum || res.ResourceType != "raw" || res.PublicID != "big/file.bin" {
		t.Errorf("answer: bytes %d etag %s type %s id %s; want %d %s raw", res.Bytes, res.Etag, res.ResourceType, res.PublicID, size, sum)
	}
	resp, err := http.Get(res.SecureURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := md5.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != sum {
		t.Errorf("delivered %d bytes, md5 %x, want the uploaded file", n, h.Sum(nil))
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if len(entries) != 0 {
		t.Errorf("%d spool files left behind", len(entries))
	}
}

// chunkRequest builds one chunk of a chunked upload as the SDKs send it:
// a complete signed multipart request with the file part last.
func chunkRequest(t testing.TB, s *Server, uploadID, contentRange string, params url.Values, body []byte) *http.Request {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range signedForm(s, params) {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "movie.bin")
	fw.Write(body)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, s.apiURL("raw/upload"), &b)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Unique-Upload-Id", uploadID)
	req.Header.Set("Content-Range", contentRange)
	return req
}

func send(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.Header.Get("Content-Range"), err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeJSON(t, resp.Body)
}

func TestChunksMayArriveOutOfOrderAndBeRetried(t *testing.T) {
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: 1000}})
	data := make([]byte, 3500)
	rand.New(rand.NewSource(1)).Read(data)
	params := url.Values{"public_id": {"ooo.bin"}}
	chunk := func(a, b int, total string) *http.Request {
		return chunkRequest(t, s, "ooo-1", fmt.Sprintf("bytes %d-%d/%s", a, b, total), params, data[a:b+1])
	}
	code, m := send(t, chunk(2000, 2999, "3500"))
	if code != 200 || m["done"] != false || m["bytes"] != float64(1000) {
		t.Errorf("third chunk first: %d %v, want done:false bytes:1000", code, m)
	}
	send(t, chunk(0, 999, "3500"))
	code, m = send(t, chunk(0, 999, "3500")) // a retry changes nothing
	if code != 200 || m["bytes"] != float64(2000) {
		t.Errorf("retried first chunk: %d %v", code, m)
	}
	// The last chunk while bytes 1000-1999 are missing and nobody is
	// sending them: the final answer must be an error (cloudinary-go
	// ignores every answer but the last).
	code, m = send(t, chunk(3000, 3499, "3500"))
	if code != 400 || !strings.Contains(errorMessage(m), "bytes 1000-1999 of 3500 never arrived") {
		t.Errorf("last chunk with a gap: %d %q", code, errorMessage(m))
	}
	// The missing chunk completes the file and gets the full answer.
	code, m = send(t, chunk(1000, 1999, "3500"))
	if code != 200 || m["public_id"] != "ooo.bin" || m["etag"] != md5hex(data) || m["bytes"] != float64(3500) {
		t.Fatalf("completing chunk: %d %v", code, m)
	}
	// Any chunk sent again now replays the final answer (the client lost it).
	code, again := send(t, chunk(3000, 3499, "3500"))
	if code != 200 || again["asset_id"] != m["asset_id"] || again["version"] != m["version"] {
		t.Errorf("replayed final chunk: %d %v", code, again)
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Errorf("%d assets, want 1", st.Assets)
	}
	_, _, body := get(t, m["secure_url"].(string))
	if !bytes.Equal(body, data) {
		t.Error("the assembled file differs from what was sent")
	}
}

// Chunks sent side by side arrive out of order: the running MD5 catches up
// over them as soon as they continue the hashed bytes, so the last chunk's
// answer does not wait for a hash of most of the file, and the etag is
// still the file's MD5.
func TestOutOfOrderChunksAreHashedAsTheyContinueTheHashedBytes(t *testing.T) {
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: 1000}})
	data := make([]byte, 4500)
	rand.New(rand.NewSource(2)).Read(data)
	params := url.Values{"public_id": {"catchup.bin"}}
	chunk := func(a, b int) *http.Request {
		return chunkRequest(t, s, "catchup-1", fmt.Sprintf("bytes %d-%d/4500", a, b), params, data[a:b+1])
	}
	hashed := func() int64 {
		sess, err := s.chunks.get("catchup-1")
		if err != nil {
			t.Fatal(err)
		}
		sess.mu.Lock()
		defer sess.mu.Unlock()
		return sess.m.Hashed
	}
	for _, c := range []struct{ a, b, hashed int }{
		{0, 999, 1000},     // in order: hashed as it streams
		{2000, 2999, 1000}, // ahead of a gap: stored, not hashed yet
		{3000, 3999, 1000},
		{1000, 1999, 4000}, // fills the gap: everything up to 4000 hashed
	} {
		if code, m := send(t, chunk(c.a, c.b)); code != 200 || m["done"] != false {
			t.Fatalf("chunk %d-%d: %d %v", c.a, c.b, code, m)
		}
		if got := hashed(); got != int64(c.hashed) {
			t.Errorf("after chunk %d-%d the hash covers %d bytes, want %d", c.a, c.b, got, c.hashed)
		}
	}
	code, m := send(t, chunk(4000, 4499))
	if code != 200 || m["etag"] != md5hex(data) || m["bytes"] != float64(4500) {
		t.Fatalf("last chunk: %d %v, want etag %s", code, m, md5hex(data))
	}
}

func TestFinalChunkWaitsForChunksStillArriving(t *testing.T) {
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: 1000}})
	data := make([]byte, 2500)
	rand.New(rand.NewSource(2)).Read(data)
	params := url.Values{"public_id": {"parallel.bin"}}
	// The first chunk's body trickles in through a pipe.
	full := chunkRequest(t, s, "par-1", "bytes 0-1499/2500", params, data[:1500])
	whole, _ := io.ReadAll(full.Body)
	pr, pw := io.Pipe()
	slow, _ := http.NewRequest(http.MethodPost, full.URL.String(), pr)
	slow.Header = full.Header
	slow.ContentLength = int64(len(whole))
	type answer struct {
		code int
		m    map[string]any
	}
	first := make(chan answer, 1)
	go func() {
		code, m := send(t, slow)
		first <- answer{code, m}
	}()
	pw.Write(whole[:len(whole)-700])
	// Wait until the server is writing that chunk.
	deadline := time.Now().Add(10 * time.Second)
	for !chunkInFlight(s, "par-1") {
		if time.Now().After(deadline) {
			t.Fatal("the first chunk never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	last := make(chan answer, 1)
	go func() {
		code, m := send(t, chunkRequest(t, s, "par-1", "bytes 1500-2499/2500", params, data[1500:]))
		last <- answer{code, m}
	}()
	// Wait until the last chunk's bytes are stored while the first is still
	// arriving (a fixed pause lost that race under load: the first chunk
	// then finished alone and rightly got a progress answer).
	for !chunkStored(s, "par-1", span{1500, 2499}) {
		if time.Now().After(deadline) {
			t.Fatal("the last chunk was never stored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !chunkInFlight(s, "par-1") {
		t.Fatal("the first chunk ended before the rest of its body was sent")
	}
	pw.Write(whole[len(whole)-700:])
	pw.Close()
	a, b := <-first, <-last
	if a.code != 200 || b.code != 200 {
		t.Fatalf("answers %d %v / %d %v", a.code, a.m, b.code, b.m)
	}
	if b.m["etag"] != md5hex(data) || a.m["asset_id"] != b.m["asset_id"] {
		t.Errorf("both chunks should get the final answer: %v / %v", a.m, b.m)
	}
}

// chunkStored reports whether the bytes of sp are stored for upload id.
func chunkStored(s *Server, id string, sp span) bool {
	s.chunks.mu.Lock()
	sess := s.chunks.open[id]
	s.chunks.mu.Unlock()
	if sess == nil {
		return false
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.covers(sp)
}

func chunkInFlight(s *Server, id string) bool {
	s.chunks.mu.Lock()
	sess := s.chunks.open[id]
	s.chunks.mu.Unlock()
	if sess == nil {
		return false
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return len(sess.inflight) > 0
}

func TestFailedChunkMakesTheGoSDKUploadFail(t *testing.T) {
	// The second chunk fails; cloudinary-go ignores that answer and sends
	// the third, whose answer it returns: it must be an error.
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: 1000}, Faults: "on=chunk,schedule=ok,500"})
	path, _ := bigFile(t, 3000)
	f, _ := os.Open(path)
	defer f.Close()
	cld := sdk(t, s, "chunk_size=1000")
	res, err := cld.Upload.Upload(context.Background(), f, uploader.UploadParams{PublicID: "broken.bin", ResourceType: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Error.Message, "bytes 1000-1999 of 3000 never arrived") {
		t.Errorf("final answer %q, want an error naming the missing bytes", res.Error.Message)
	}
	if st := s.Stats(); st.Assets != 0 || st.Faults["500"] != 1 {
		t.Errorf("stats %v faults %v", st, st.Faults)
	}
}

func TestChunkRulesAreEnforced(t *testing.T) {
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: 1000, MaxRawBytes: 5000}})
	params := url.Values{"public_id": {"rules.bin"}}
	cases := []struct {
		name, rng string
		body      []byte
		want      string
	}{
		{"small non-final chunk", "bytes 0-499/3000", make([]byte, 500), "every chunk but the last must be at least 1000 bytes"},
		{"bad header", "bytes 5-1", make([]byte, 5), "Invalid Content-Range"},
		{"range past total", "bytes 0-1999/1000", make([]byte, 2000), "past the total"},
		{"body shorter than range", "bytes 0-1999/3000", make([]byte, 1500), "carries 1500 bytes"},
		{"body longer than range", "bytes 0-999/3000", make([]byte, 1500), "more bytes than its Content-Range"},
		{"too large in total", "bytes 0-999/9000", make([]byte, 1000), "File size too large. Got 9000. Maximum is 5000."},
	}
	for _, c := range cases {
		code, m := send(t, chunkRequest(t, s, "rules-"+strings.ReplaceAll(c.name, " ", "-"), c.rng, params, c.body))
		if code != 400 || !strings.Contains(errorMessage(m), c.want) {
			t.Errorf("%s: %d %q, want 400 %q", c.name, code, errorMessage(m), c.want)
		}
	}
	// A chunk with a bad signature is refused before its bytes are written.
	req := chunkRequest(t, s, "rules-sig", "bytes 0-999/3000", url.Values{"public_id": {"x"}}, make([]byte, 1000))
	body, _ := io.ReadAll(req.Body)
	body = bytes.Replace(body, []byte("\r\n\r\nx\r\n"), []byte("\r\n\r\ny\r\n"), 1)
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	code, m := send(t, req)
	if code != 401 || !strings.HasPrefix(errorMessage(m), "Invalid Signature") {
		t.Errorf("tampered chunk: %d %q", code, errorMessage(m))
	}
}

func TestChunkedUploadContinuesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 2000)
	rand.New(rand.NewSource(3)).Read(data)
	params := url.Values{"public_id": {"resumed.bin"}}
	limits := Limits{MinChunkBytes: 1000}
	s1, err := Start(context.Background(), Config{Dir: dir, Limits: limits, Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	code, m := send(t, chunkRequest(t, s1, "restart-1", "bytes 0-999/2000", params, data[:1000]))
	if code != 200 || m["done"] != false {
		t.Fatalf("first chunk: %d %v", code, m)
	}
	s1.Close()
	s2 := startSandbox(t, Config{Dir: dir, Limits: limits})
	code, m = send(t, chunkRequest(t, s2, "restart-1", "bytes 1000-1999/2000", params, data[1000:]))
	if code != 200 || m["etag"] != md5hex(data) {
		t.Fatalf("last chunk after restart: %d %v", code, m)
	}
}

func TestNodeStyleChunksWithUnknownTotal(t *testing.T) {
	// Node sends "bytes a-b/-1" until the last chunk.
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: 1000}})
	data := make([]byte, 2300)
	rand.New(rand.NewSource(4)).Read(data)
	params := url.Values{"public_id": {"node.bin"}}
	code, m := send(t, chunkRequest(t, s, "node1", "bytes 0-999/-1", params, data[:1000]))
	if code != 200 || m["done"] != false {
		t.Fatalf("%d %v", code, m)
	}
	send(t, chunkRequest(t, s, "node1", "bytes 1000-1999/-1", params, data[1000:2000]))
	code, m = send(t, chunkRequest(t, s, "node1", "bytes 2000-2299/2300", params, data[2000:]))
	if code != 200 || m["etag"] != md5hex(data) || m["bytes"] != float64(2300) {
		t.Errorf("%d %v", code, m)
	}
}

func TestParseContentRange(t *testing.T) {
	cases := []struct {
		in        string
		a, b, tot int64
		wantErr   bool
	}{
		{"bytes 0-99/100", 0, 99, 100, false},
		{"bytes 100-199/-1", 100, 199, -1, false},
		{"bytes 5-5/*", 5, 5, -1, false},
		{" bytes 0-0/1 ", 0, 0, 1, false},
		{"bytes 10-5/100", 0, 0, 0, true},
		{"bytes 0-100/100", 0, 0, 0, true},
		{"bytes 0-1/0", 0, 0, 0, true},
		{"0-1/2", 0, 0, 0, true},
		{"bytes -1-5/10", 0, 0, 0, true},
		{"bytes 0-99999999999999999999/1", 0, 0, 0, true},
		{"", 0, 0, 0, true},
	}
	for _, c := range cases {
		cr, err := parseContentRange(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if err == nil && (cr.Start != c.a || cr.End != c.b || cr.total != c.tot) {
			t.Errorf("%q = %+v", c.in, cr)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 100-199/-1", "bytes 5-5/*", "bytes 9-1/2", "bytes 0-9223372036854775807/9223372036854775807", "bytes 0-9223372036854775807/-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cr, err := parseContentRange(s)
		if err != nil {
			return
		}
		if cr.Start < 0 || cr.End < cr.Start || (cr.total >= 0 && (cr.total == 0 || cr.End >= cr.total)) || cr.size() <= 0 {
			t.Fatalf("%q parsed into an impossible range %+v", s, cr)
		}
	})
}
