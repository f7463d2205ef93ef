package sandbox

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudup/cloudup/core/signing"
)

// startSandbox runs a sandbox in a fresh directory for one test.
func startSandbox(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Logf == nil {
		cfg.Logf = testLogf(t)
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// testLogf keeps request logs out of the way unless -v, and never after
// the test ended (the server may log while closing).
func testLogf(t testing.TB) func(string, ...any) {
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done && testing.Verbose() {
			t.Logf(format, args...)
		}
	}
}

// sdk is cloudinary-go configured exactly as an app would: from the
// CLOUDINARY_URL the sandbox prints.
func sdk(t testing.TB, s *Server, extra ...string) *cloudinary.Cloudinary {
	t.Helper()
	u := s.CloudinaryURL() + "&analytics=false&secure=false&cname=" + s.Addr()
	for _, e := range extra {
		u += "&" + e
	}
	cld, err := cloudinary.NewFromURL(u)
	if err != nil {
		t.Fatalf("cloudinary.NewFromURL: %v", err)
	}
	return cld
}

// sdkWith is cloudinary-go with other credentials (a wrong secret).
func sdkWith(t testing.TB, s *Server, key, secret string) *cloudinary.Cloudinary {
	t.Helper()
	u := fmt.Sprintf("cloudinary://%s:%s@%s?upload_prefix=%s&analytics=false", key, secret, s.Cloud(), s.URL())
	cld, err := cloudinary.NewFromURL(u)
	if err != nil {
		t.Fatalf("cloudinary.NewFromURL: %v", err)
	}
	return cld
}

// testImage draws a w×h picture with a colour gradient and a dark block,
// so crops and colour effects have something to act on.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(40 + 200*x/w), uint8(60 + 150*y/h), uint8(220 - 180*x/w), 255}
			if x > w/3 && x < w/2 && y > h/3 && y < h/2 {
				c = color.RGBA{20, 30, 40, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func jpegBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// noisyJPEG compresses badly, for tests that need size.
func noisyJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewSource(int64(w*h + 1)))
	rng.Read(img.Pix)
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeFile puts data in the test's temp dir under name.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// get fetches a URL and returns status, headers and body.
func get(t testing.TB, u string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading: %v", u, err)
	}
	return resp.StatusCode, resp.Header, body
}

// signedForm signs params with the sandbox's secret as an SDK would.
func signedForm(s *Server, params url.Values) url.Values {
	p := url.Values{}
	for k, v := range params {
		p[k] = append([]string{}, v...)
	}
	if p.Get("timestamp") == "" {
		p.Set("timestamp", fmt.Sprint(time.Now().Unix()))
	}
	p.Set("signature", signing.Sign(p, s.APISecret(), signing.SHA1))
	p.Set("api_key", s.APIKey())
	return p
}

// postForm posts a url-encoded body with no Content-Type, as
// cloudinary-go does for remote URLs and destroy/rename/tags.
func postForm(t testing.TB, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, decodeJSON(t, resp.Body)
}

func decodeJSON(t testing.TB, r io.Reader) map[string]any {
	t.Helper()
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, truncate(string(body), 300))
	}
	return m
}

// errorMessage digs {"error":{"message":…}} out of an answer.
func errorMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

func (s *Server) apiURL(path string) string { return s.URL() + "/v1_1/" + s.Cloud() + "/" + path }

// rawOf is the raw JSON answer the SDK keeps in a result's Response.
func rawOf(resp any) map[string]any {
	switch r := resp.(type) {
	case *map[string]any:
		return *r
	case map[string]any:
		return r
	case *any:
		m, _ := (*r).(map[string]any)
		return m
	}
	return nil
}
