package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudup/cloudup/core/imageguard/imageguardtest"
	"github.com/cloudup/cloudup/core/sandbox/transform"
	"github.com/cloudup/cloudup/core/signing"
)

// Hostile input against the real server on 127.0.0.1: every refusal is
// checked for what the client is told and for what the server did not do
// (allocate, store, fetch, keep working).

// peakHeap samples the heap in use while fn runs and returns the peak.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	return peak.Load()
}

func tmpFiles(t *testing.T, s *Server) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestImageBombIsRefusedAtUploadFromItsHeader(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	bomb := writeFile(t, "bomb.png", imageguardtest.PNGBomb(30000, 30000, 1))
	var res *uploader.UploadResult
	var err error
	grew := imageguardtest.Allocated(func() {
		res, err = cld.Upload.Upload(context.Background(), bomb, uploader.UploadParams{PublicID: "bomb"})
	})
	want := "Resolution too large. Got 900000000. Maximum is 25000000."
	if err != nil || res.Error.Message != want {
		t.Fatalf("upload of a 30000×30000 PNG: %v %q, want %q", err, res.Error.Message, want)
	}
	if grew > 64<<20 {
		t.Errorf("refusing the bomb allocated %d MB; decoding it would take 900 MB and more", grew>>20)
	}
	if st := s.Stats(); st.Assets != 0 || tmpFiles(t, s) != 0 {
		t.Errorf("the refused bomb left %d assets and %d spool files", st.Assets, tmpFiles(t, s))
	}
	// Just under the limit is fine.
	ok, err := cld.Upload.Upload(context.Background(), writeFile(t, "ok.png", imageguardtest.PNGBomb(5000, 5000, 1)), uploader.UploadParams{PublicID: "ok"})
	if err != nil || ok.Error.Message != "" || ok.Width != 5000 {
		t.Fatalf("a 25-megapixel PNG: %v %+v", err, ok.Error)
	}
}

func TestAnimatedGIFIsCountedWithoutDecodingItsFrames(t *testing.T) {
	s := startSandbox(t, Config{})
	// 300 frames of 4000×4000: decoding them all would take 4.8 GB.
	data := imageguardtest.GIFBomb(4000, 4000, 300)
	var res *uploader.UploadResult
	var err error
	grew := imageguardtest.Allocated(func() {
		res, err = sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "anim.gif", data), uploader.UploadParams{})
	})
	if err != nil || res.Error.Message != "" || res.Pages != 300 || res.Width != 4000 {
		t.Fatalf("upload: %v %q pages=%d width=%d", err, res.Error.Message, res.Pages, res.Width)
	}
	if grew > 64<<20 {
		t.Errorf("counting the frames allocated %d MB", grew>>20)
	}
}

func TestImageBombStoredEarlierIsRefusedAtDelivery(t *testing.T) {
	// An account whose limits were off stored the bomb; the next start
	// has the free plan's limits, and the stored bomb must not be decoded.
	dir := t.TempDir()
	loose := startSandbox(t, Config{Dir: dir, Limits: Limits{MaxImagePixels: -1}})
	res, err := sdk(t, loose).Upload.Upload(context.Background(), writeFile(t, "bomb.png", imageguardtest.PNGBomb(30000, 30000, 1)), uploader.UploadParams{PublicID: "bomb"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("storing the bomb with limits off: %v %q", err, res.Error.Message)
	}
	loose.Close()

	s := startSandbox(t, Config{Dir: dir})
	for _, tr := range []string{"w_100", "c_fill,w_100,h_100/e_grayscale", "f_webp"} {
		var code int
		var hdr http.Header
		grew := imageguardtest.Allocated(func() { code, hdr, _ = get(t, s.URL()+"/"+s.Cloud()+"/image/upload/"+tr+"/bomb.png") })
		want := "Resolution too large. Got 900000000. Maximum is 25000000."
		if code != http.StatusBadRequest || hdr.Get("x-cld-error") != want {
			t.Errorf("%s: %d %q, want 400 %q", tr, code, hdr.Get("x-cld-error"), want)
		}
		if grew > 64<<20 {
			t.Errorf("%s: refusing allocated %d MB", tr, grew>>20)
		}
	}
	// The original itself is a file like any other: served, not decoded.
	if code, _, body := get(t, s.URL()+"/"+s.Cloud()+"/image/upload/bomb.png"); code != 200 || len(body) == 0 {
		t.Errorf("the original: %d, %d bytes", code, len(body))
	}
}

func TestHugeOutputsWaitForMemoryInsteadOfPilingUp(t *testing.T) {
	s := startSandbox(t, Config{})
	res, _ := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "p.jpg", jpegBytes(t, 400, 300)), uploader.UploadParams{PublicID: "p"})
	if res.Error.Message != "" {
		t.Fatal(res.Error.Message)
	}
	// Four different 25-megapixel canvases at once: each takes 100 MB per
	// picture it makes, and they are rendered within the budget, one by one.
	var wg sync.WaitGroup
	peak := peakHeap(func() {
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, _, _ := get(t, fmt.Sprintf("%s/%s/image/upload/c_pad,w_%d,h_5000,b_black/f_jpg/p", s.URL(), s.Cloud(), 4990+i))
				if code != 200 {
					t.Errorf("pad %d: %d", i, code)
				}
			}()
		}
		wg.Wait()
	})
	t.Logf("peak heap with four 25-megapixel renders asked for at once: %d MB", peak>>20)
	if peak > 256<<20 {
		t.Errorf("peak heap %d MB: renders were not held to the memory budget (%d MB)", peak>>20, renderBudget>>20)
	}
}

func TestRenderStopsWhenItsRequestIsCancelled(t *testing.T) {
	s := startSandbox(t, Config{})
	res, _ := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "big.jpg", noisyJPEG(t, 2000, 1500)), uploader.UploadParams{PublicID: "big"})
	if res.Error.Message != "" {
		t.Fatal(res.Error.Message)
	}
	heavy := strings.TrimSuffix(strings.Repeat("e_blur:2000/", 18), "/")
	url := s.URL() + "/" + s.Cloud() + "/image/upload/" + heavy + "/big.jpg"
	a, err := s.store.get(context.Background(), "image", "upload", "big")
	if err != nil {
		t.Fatal(err)
	}
	cached := func() bool {
		_, ok, _ := s.loadDerived(a, renderKey(mustParse(t, heavy), "jpg", ""))
		return ok
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the render finished within 300 ms (%v): make it heavier", err)
	}
	cancelled := time.Now()
	for !s.renderMem.TryAcquire(renderBudget) {
		if time.Since(cancelled) > 3*time.Second {
			t.Fatal("the render still holds its memory 3 s after its only client left")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.renderMem.Release(renderBudget)
	stopped := time.Since(cancelled)
	s.jobsMu.Lock()
	jobs := len(s.jobs)
	s.jobsMu.Unlock()
	if jobs != 0 {
		t.Errorf("%d renderings still registered", jobs)
	}

	// A render nobody cancels takes longer than that, and is cached.
	start := time.Now()
	if code, _, _ := get(t, url); code != 200 {
		t.Fatalf("the same render uncancelled: %d", code)
	}
	full := time.Since(start)
	t.Logf("cancelled render stopped %v after its client left; the whole render takes %v", stopped.Round(time.Millisecond), full.Round(time.Millisecond))
	if !cached() {
		t.Error("the finished render was not cached")
	}
	if full < stopped+300*time.Millisecond {
		t.Errorf("the whole render (%v) is not clearly longer than the time to stop (%v): the test proves nothing", full, stopped)
	}
}

func mustParse(t *testing.T, chain string) transform.Chain {
	t.Helper()
	c, err := transform.Parse(chain)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestASharedRenderGoesOnWhileAnyRequestWaits(t *testing.T) {
	s := startSandbox(t, Config{})
	sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "big.jpg", noisyJPEG(t, 1600, 1200)), uploader.UploadParams{PublicID: "shared"})
	url := s.URL() + "/" + s.Cloud() + "/image/upload/" + strings.TrimSuffix(strings.Repeat("e_blur:1500/", 8), "/") + "/shared.jpg"
	ctx, cancel := context.WithCancel(context.Background())
	impatient, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	done := make(chan int)
	go func() {
		code, _, _ := get(t, url)
		done <- code
	}()
	http.DefaultClient.Do(impatient)
	if code := <-done; code != 200 {
		t.Fatalf("the patient client got %d after the impatient one left", code)
	}
}

// repeatReader yields n bytes of b.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

// streamedMultipart posts a multipart body whose parts are written as
// the server reads them: the client never holds the body.
func streamedMultipart(u string, parts func(mw *multipart.Writer) error) (int, string, int64, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	var sent atomic.Int64
	go func() {
		err := parts(mw)
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ := http.NewRequest(http.MethodPost, u, &countingReader{r: pr, n: &sent})
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	pr.CloseWithError(errors.New("answered"))
	if err != nil {
		return 0, "", sent.Load(), err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), sent.Load(), nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestUnauthenticatedFileIsRefusedBeforeItIsStored(t *testing.T) {
	s := startSandbox(t, Config{})
	var during int
	code, body, sent, err := streamedMultipart(s.apiURL("image/upload"), func(mw *multipart.Writer) error {
		mw.WriteField("public_id", "sneaky")
		w, err := mw.CreateFormFile("file", "big.bin")
		if err != nil {
			return err
		}
		if _, err := io.CopyN(w, &repeatReader{b: 'x', n: 50 << 20}, 1<<20); err != nil {
			return err
		}
		during = tmpFiles(t, s)
		_, err = io.Copy(w, &repeatReader{b: 'x', n: 49 << 20})
		return err
	})
	if err != nil {
		t.Fatalf("the client saw %v instead of an answer", err)
	}
	if code != http.StatusBadRequest || !strings.Contains(body, "Upload preset must be specified when using unsigned upload") || !strings.Contains(body, "before the file part") {
		t.Errorf("answer %d %s", code, body)
	}
	if during != 0 || tmpFiles(t, s) != 0 {
		t.Errorf("spool files: %d while the file was arriving, %d after", during, tmpFiles(t, s))
	}
	if sent > 16<<20 {
		t.Errorf("the server read %d MB of a file it had refused", sent>>20)
	}
	t.Logf("refused after the client had sent %d KB of a 50 MB file", sent>>10)
}

func TestParameterAfterTheFileMustBeSigned(t *testing.T) {
	s := startSandbox(t, Config{})
	signed := signedForm(s, url.Values{"public_id": {"mine"}})
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k := range signed {
		mw.WriteField(k, signed.Get(k))
	}
	fw, _ := mw.CreateFormFile("file", "p.png")
	fw.Write(pngBytes(t, 4, 4))
	mw.WriteField("overwrite", "true") // after the file, not signed
	mw.WriteField("public_id", "someone-elses")
	mw.Close()
	resp, err := http.Post(s.apiURL("image/upload"), mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJSON(t, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(errorMessage(m), "Invalid Signature") {
		t.Errorf("parameters after the file: %d %q, want 401 Invalid Signature", resp.StatusCode, errorMessage(m))
	}
	if st := s.Stats(); st.Assets != 0 || tmpFiles(t, s) != 0 {
		t.Errorf("%d assets, %d spool files", st.Assets, tmpFiles(t, s))
	}
}

func TestDataURIHeldBeforeItsSignatureIsDroppedWhenRefused(t *testing.T) {
	// Url-encoded bodies are sorted (cloudinary-go): "file" comes before
	// "signature", so the file is held, then deleted when the check fails.
	s := startSandbox(t, Config{})
	form := url.Values{"api_key": {s.APIKey()}, "timestamp": {fmt.Sprint(time.Now().Unix())}, "signature": {strings.Repeat("0", 40)}}
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(noisyJPEG(t, 800, 800)))
	code, m := postForm(t, s.apiURL("image/upload"), form)
	if code != http.StatusUnauthorized {
		t.Errorf("%d %q", code, errorMessage(m))
	}
	if tmpFiles(t, s) != 0 || s.Stats().Assets != 0 {
		t.Error("the refused data URI was kept")
	}
	if !s.preauth.TryAcquire(preauthBudget) {
		t.Error("the held bytes were not given back")
	} else {
		s.preauth.Release(preauthBudget)
	}
}

func TestUnsignedChunksLeaveNoTrace(t *testing.T) {
	s := startSandbox(t, Config{Limits: Limits{MinChunkBytes: -1}})
	for i := range 50 {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("public_id", "x")
		fw, _ := mw.CreateFormFile("file", "c.bin")
		fw.Write(bytes.Repeat([]byte("c"), 1000))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.apiURL("image/upload"), &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-Unique-Upload-Id", fmt.Sprintf("made-up-%d", i))
		req.Header.Set("Content-Range", "bytes 0-999/5000")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("unsigned chunk: %d", resp.StatusCode)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "uploads"))
	s.chunks.mu.Lock()
	open := len(s.chunks.open)
	s.chunks.mu.Unlock()
	if len(entries) != 0 || open != 0 {
		t.Errorf("50 unsigned chunks left %d upload folders and %d sessions in memory", len(entries), open)
	}
}

func TestPreAuthenticationFloodStaysWithinBoundedMemory(t *testing.T) {
	s := startSandbox(t, Config{})
	const clients = 48
	var wg sync.WaitGroup
	var refused atomic.Int64
	flood := func(i int) {
		defer wg.Done()
		var code int
		var err error
		switch i % 3 {
		case 0: // endless multipart parameter
			code, _, _, err = streamedMultipart(s.apiURL("image/upload"), func(mw *multipart.Writer) error {
				w, err := mw.CreateFormField(fmt.Sprintf("context%d", i))
				if err != nil {
					return err
				}
				_, err = io.Copy(w, &repeatReader{b: 'a', n: 256 << 20})
				return err
			})
		case 1: // endless url-encoded parameter
			req, _ := http.NewRequest(http.MethodPost, s.apiURL("image/upload"), io.MultiReader(strings.NewReader("tags="), &repeatReader{b: 'a', n: 256 << 20}))
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				code = resp.StatusCode
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		case 2: // a JSON body far over its cap
			req, _ := http.NewRequest(http.MethodPost, s.apiURL("image/upload"), io.MultiReader(strings.NewReader(`{"tags":"`), &repeatReader{b: 'a', n: 256 << 20}))
			req.Header.Set("Content-Type", "application/json")
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				code = resp.StatusCode
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		if err == nil && code == http.StatusBadRequest {
			refused.Add(1)
		}
	}
	peak := peakHeap(func() {
		for i := range clients {
			wg.Add(1)
			go flood(i)
		}
		wg.Wait()
	})
	t.Logf("%d unauthenticated requests of 256 MB each: %d refused with 400, peak heap %d MB", clients, refused.Load(), peak>>20)
	if refused.Load() < clients*2/3 {
		t.Errorf("only %d of %d were answered 400", refused.Load(), clients)
	}
	if peak > 160<<20 {
		t.Errorf("peak heap %d MB under the flood, want well under 256 MB", peak>>20)
	}
}

func TestStalledUploadIsCutOffButASlowOneFinishes(t *testing.T) {
	s := startSandbox(t, Config{IdleTimeout: time.Second})
	// Stalled: headers and a little of the body, then silence.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v1_1/%s/image/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ntags=abc", s.Cloud())
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled upload within 5 s: %v", err)
	}
	m := decodeJSON(t, resp.Body)
	resp.Body.Close()
	// One idle period, not two: the answer must not wait for net/http to
	// drain the rest of a body that has stopped coming.
	if waited := time.Since(start); waited > 1800*time.Millisecond || resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorMessage(m), "broke off") {
		t.Errorf("stalled upload: %d %q after %v", resp.StatusCode, errorMessage(m), waited)
	}

	// Slow but steady: 300 KB at 100 KB/s takes 3 s, past the idle
	// timeout, and must go through.
	s.SetBandwidth(100 << 10)
	defer s.SetBandwidth(0)
	start = time.Now()
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "slow.jpg", noisyJPEG(t, 360, 280)), uploader.UploadParams{PublicID: "slow"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("slow upload: %v %q", err, res.Error.Message)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("the slow upload took %v: the bandwidth cap did not apply, the test proves nothing", took)
	}
}

func TestConnectionsAreCapped(t *testing.T) {
	s := startSandbox(t, Config{MaxConnections: 2})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	client := &http.Client{Timeout: 500 * time.Millisecond}
	if _, err := client.Get(s.URL() + "/"); err == nil {
		t.Fatal("a third connection was served while two were open")
	}
	held[0].Close()
	client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	resp, err := client.Get(s.URL() + "/")
	if err != nil {
		t.Fatalf("once one closed: %v", err)
	}
	resp.Body.Close()
	held[1].Close()
}

func TestRemoteFetchRefusesPrivateAddresses(t *testing.T) {
	s := startSandbox(t, Config{})
	var hits atomic.Int64
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(pngBytes(t, 4, 4))
	}))
	defer inside.Close()
	_, port, _ := net.SplitHostPort(inside.Listener.Addr().String())
	cases := []struct{ url, reason string }{
		{inside.URL + "/secret.png", "on this computer (loopback)"},
		{"http://localhost:" + port + "/secret.png", "on this computer (loopback)"},
		{"http://10.11.12.13/x.png", "on a private network"},
		{"http://192.168.1.1/x.png", "on a private network"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://[::1]:" + port + "/x.png", "on this computer (loopback)"},
		{"http://0.0.0.0:" + port + "/x.png", "unspecified"},
		{"http://[::ffff:127.0.0.1]:" + port + "/x.png", "on this computer (loopback)"},
	}
	for _, c := range cases {
		form := signedForm(s, url.Values{"public_id": {"fetched"}})
		form.Set("file", c.url)
		code, m := postForm(t, s.apiURL("image/upload"), form)
		if code != http.StatusBadRequest || !strings.HasPrefix(errorMessage(m), "Error in loading "+c.url) || !strings.Contains(errorMessage(m), c.reason) || !strings.Contains(errorMessage(m), "--allow-private-fetch") {
			t.Errorf("%s: %d %q, want 400 naming %q", c.url, code, errorMessage(m), c.reason)
		}
	}
	if hits.Load() != 0 || s.Stats().Assets != 0 {
		t.Errorf("the server inside was reached %d times; %d assets stored", hits.Load(), s.Stats().Assets)
	}
}

func TestRemoteFetchChecksEveryRedirect(t *testing.T) {
	s := startSandbox(t, Config{})
	var secretHits atomic.Int64
	secret := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		w.Write(pngBytes(t, 4, 4))
	}))
	defer secret.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, secret.URL+"/internal.png", http.StatusFound)
	}))
	defer redirector.Close()
	// The redirector plays a public server: only its address is let
	// through, every other one meets the real rules.
	public, _ := netip.ParseAddrPort(redirector.Listener.Addr().String())
	s.fetcher = newFetcherFor(func(ap netip.AddrPort) bool { return ap == public })

	form := signedForm(s, url.Values{"public_id": {"redirected"}})
	form.Set("file", redirector.URL+"/photo.png")
	code, m := postForm(t, s.apiURL("image/upload"), form)
	if code != http.StatusBadRequest || !strings.Contains(errorMessage(m), "on this computer (loopback)") {
		t.Errorf("redirect inside: %d %q", code, errorMessage(m))
	}
	if secretHits.Load() != 0 || s.Stats().Assets != 0 {
		t.Errorf("the redirect target was reached %d times", secretHits.Load())
	}
}

func TestRemoteFetchOfTheSandboxsOwnLinksIsServedFromItsStore(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	orig, err := cld.Upload.Upload(context.Background(), writeFile(t, "o.jpg", jpegBytes(t, 120, 80)), uploader.UploadParams{PublicID: "orig"})
	if err != nil || orig.Error.Message != "" {
		t.Fatal(err, orig.Error.Message)
	}
	_, port, _ := net.SplitHostPort(s.Addr())
	for _, c := range []struct {
		link  string
		width int
	}{
		{orig.SecureURL, 120},
		{"http://localhost:" + port + "/" + s.Cloud() + "/image/upload/w_60/orig.jpg", 60},
	} {
		res, err := cld.Upload.Upload(context.Background(), c.link, uploader.UploadParams{})
		if err != nil || res.Error.Message != "" || res.Width != c.width {
			t.Errorf("From URL %s: %v %q width %d", c.link, err, res.Error.Message, res.Width)
		}
	}
	for _, missing := range []string{"/image/upload/missing.jpg", "/", "/image/", "/image/upload/"} {
		if res, _ := cld.Upload.Upload(context.Background(), s.URL()+"/"+s.Cloud()+missing, uploader.UploadParams{}); !strings.HasPrefix(res.Error.Message, "Resource not found") {
			t.Errorf("own link %s: %q", missing, res.Error.Message)
		}
	}
}

func TestFutureTimestampsAreRefusedLikeStaleOnes(t *testing.T) {
	s := startSandbox(t, Config{})
	data := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4))
	future := time.Now().Add(10 * 365 * 24 * time.Hour)
	form := signedForm(s, url.Values{"public_id": {"later"}, "timestamp": {fmt.Sprint(future.Unix())}})
	form.Set("file", data)
	code, m := postForm(t, s.apiURL("image/upload"), form)
	want := "Stale request - reported time is " + future.UTC().Format("2006-01-02 15:04:05 +0000") + " which is more than 1 hour in the future"
	if code != http.StatusBadRequest || errorMessage(m) != want {
		t.Errorf("ten years ahead: %d %q, want %q", code, errorMessage(m), want)
	}
	// A client clock a few minutes fast is fine.
	form = signedForm(s, url.Values{"public_id": {"soon"}, "timestamp": {fmt.Sprint(time.Now().Add(50 * time.Minute).Unix())}})
	form.Set("file", data)
	if code, m := postForm(t, s.apiURL("image/upload"), form); code != 200 {
		t.Errorf("50 minutes ahead: %d %q", code, errorMessage(m))
	}
}

func TestRequestLogEscapesControlCharacters(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s := startSandbox(t, Config{Logf: func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	get(t, s.URL()+"/x%0a12:00:00.000%20sandbox:%20POST%20/forged%20%E2%86%92%20200%1b[2J%e2%80%a8%ff")
	mu.Lock()
	defer mu.Unlock()
	found := false
	for _, l := range lines {
		if strings.ContainsAny(l, "\n\r\x1b\u2028") || strings.Contains(l, "\xff") {
			t.Errorf("a log line carries a raw control character: %q", l)
		}
		if strings.Contains(l, `/x\n12:00:00.000 sandbox: POST /forged → 200\x1b[2J\u2028\xff`) {
			found = true
		}
	}
	if !found {
		t.Errorf("the request is not logged with its escapes: %q", lines)
	}
}

func TestDataFolderAndSecretArePrivateEvenInAnOpenFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	os.Mkdir(dir, 0o755)
	os.Chmod(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "sandbox.db"), nil, 0o644)
	os.Chmod(filepath.Join(dir, "sandbox.db"), 0o644)
	s := startSandbox(t, Config{Dir: dir})
	sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "p.jpg", jpegBytes(t, 8, 8)), uploader.UploadParams{})
	for _, p := range []string{dir, filepath.Join(dir, "blobs"), filepath.Join(dir, "tmp")} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", p, info.Mode().Perm(), err)
		}
	}
	for _, p := range []string{"sandbox.db", "sandbox.db-wal", "sandbox.db-shm"} {
		info, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v: others can read the secret", p, info.Mode().Perm())
		}
	}
}

func TestSecretStaysOutOfRefusals(t *testing.T) {
	// A sanity check across the new refusals: none quotes the secret.
	s := startSandbox(t, Config{})
	form := signedForm(s, url.Values{"timestamp": {fmt.Sprint(time.Now().Add(3 * time.Hour).Unix())}})
	form.Set("file", "http://127.0.0.1:1/x.png")
	_, m := postForm(t, s.apiURL("image/upload"), form)
	if strings.Contains(errorMessage(m), s.APISecret()) {
		t.Error("a refusal quotes the secret")
	}
	if err := signing.Verify(form, form.Get("signature"), s.APISecret()); err != nil {
		t.Fatalf("the test form is not signed right: %v", err)
	}
}

func TestDeliveryURLWithThousandsOfSegmentsIsCheap(t *testing.T) {
	s := startSandbox(t, Config{})
	path := strings.Repeat("w_1/", 20000) + "x.jpg" // 80 KB, under the header cap
	start := time.Now()
	code, _, _ := get(t, s.URL()+"/"+s.Cloud()+"/image/upload/"+path)
	if took := time.Since(start); code != http.StatusNotFound || took > 2*time.Second {
		t.Errorf("%d after %v, want a quick 404", code, took)
	}
}

func TestDerivedCacheOfOneAssetIsBounded(t *testing.T) {
	s := startSandbox(t, Config{})
	res, _ := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "p.jpg", jpegBytes(t, 40, 30)), uploader.UploadParams{PublicID: "p"})
	a, err := s.store.get(context.Background(), "image", "upload", "p")
	if err != nil {
		t.Fatal(err, res.Error.Message)
	}
	for w := 1; w <= maxDerivedPerAsset+20; w++ {
		if code, _, _ := get(t, fmt.Sprintf("%s/%s/image/upload/w_%d/p.png", s.URL(), s.Cloud(), w)); code != 200 {
			t.Fatalf("w_%d: %d", w, code)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "cache", a.VersionID))
	if len(entries) > 2*maxDerivedPerAsset {
		t.Errorf("%d cache files for one asset, want at most %d", len(entries), 2*maxDerivedPerAsset)
	}
}
