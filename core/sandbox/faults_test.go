package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
)

func TestFaultSpecsParseOrExplainWhatIsWrong(t *testing.T) {
	good := []string{
		"",
		"rate=0.2,kinds=500+503+reset",
		"schedule=ok,500,reset,ok",
		"on=upload,schedule=ok,500,reset-after,ok",
		"on=upload+admin,rate=1,kinds=stall-after,max=2,skip=1",
		"on=admin,rate=0.1,kinds=420,retry=5s",
		"on=final,schedule=reset-after; on=search,rate=0.5,kinds=429",
		"RATE=0.5",
	}
	for _, spec := range good {
		if _, err := parseFaults(spec, 1); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
	bad := map[string]string{
		"rate=2":                 "probability",
		"rate=x":                 "probability",
		"kinds=500":              "give rate=",
		"rate=0.5,kinds=404":     "kind must be",
		"schedule=ok,boom":       "kind must be",
		"rate=0.5,schedule=500":  "either rate= or schedule=",
		"on=everywhere,rate=1":   "scope must be",
		"rate=1,retry=soon":      "duration",
		"rate=1,max=-1":          "whole number",
		"rate=1,colour=red":      "unknown key",
		"500":                    "expected key=value",
		"rate=0.1,rate=0.2":      "given twice",
		"schedule=500,kinds=503": "kinds= goes with rate=",
		"rate=0.5+0.6":           "exactly one value",
	}
	for spec, want := range bad {
		_, err := parseFaults(spec, 1)
		var fe *FaultSpecError
		if err == nil || !errors.As(err, &fe) || !errors.Is(err, ErrFaultSpec) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want a FaultSpecError about %q", spec, err, want)
		}
	}
	if _, err := Start(context.Background(), Config{Dir: t.TempDir(), Faults: "rate=7"}); !errors.Is(err, ErrFaultSpec) {
		t.Errorf("Start with a bad spec: %v", err)
	}
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"rate=0.2,kinds=500+503+reset", "schedule=ok,500,reset,ok", "on=upload,schedule=ok,500-after", ";;", "on=,rate=", "retry=1s,rate=1,kinds=429"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fi, err := parseFaults(spec, 7)
		if err != nil {
			var fe *FaultSpecError
			if !errors.As(err, &fe) {
				t.Fatalf("%q: error %T is not a *FaultSpecError", spec, err)
			}
			return
		}
		for i := 0; i < 5; i++ {
			if a := fi.decide(scopeUpload); a != nil && !faultKinds[a.kind] {
				t.Fatalf("%q decided an unknown kind %q", spec, a.kind)
			}
		}
	})
}

// ping calls the Admin API's ping and reports what came back.
func ping(s *Server, client *http.Client) (int, http.Header, []byte, error) {
	req, _ := http.NewRequest(http.MethodGet, s.apiURL("ping"), nil)
	req.SetBasicAuth(s.APIKey(), s.APISecret())
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

func TestFaultsAreReproducibleWithASeed(t *testing.T) {
	pattern := func(seed int64) string {
		s := startSandbox(t, Config{Faults: "on=admin,rate=0.5,kinds=500+503+429", Seed: seed})
		var b strings.Builder
		for i := 0; i < 24; i++ {
			code, _, _, err := ping(s, http.DefaultClient)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(http.StatusText(code)[:2])
		}
		return b.String()
	}
	a, b, c := pattern(42), pattern(42), pattern(43)
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds gave the same 24 outcomes: %s", a)
	}
	if !strings.Contains(a, "OK") || a == strings.Repeat("OK", 24) {
		t.Errorf("rate=0.5 gave %s", a)
	}
}

func TestEachFaultKindIsObservable(t *testing.T) {
	s := startSandbox(t, Config{})
	cases := []struct {
		kind  string
		check func(code int, h http.Header, body []byte, err error) string
	}{
		{"500", func(code int, h http.Header, body []byte, err error) string {
			if code != 500 || !bytes.Contains(body, []byte(`"message"`)) {
				return "want 500 with a JSON error"
			}
			return ""
		}},
		{"502", func(code int, h http.Header, body []byte, err error) string {
			if code != 502 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				return "want 502 with an HTML page"
			}
			return ""
		}},
		{"503", func(code int, h http.Header, body []byte, err error) string {
			if code != 503 || h.Get("Retry-After") != "3" {
				return "want 503 with Retry-After: 3"
			}
			return ""
		}},
		{"420", func(code int, h http.Header, body []byte, err error) string {
			if code != 420 || !bytes.Contains(body, []byte("Rate Limit Exceeded. Try again on ")) || h.Get("Retry-After") != "3" {
				return "want 420 Rate Limit Exceeded with Retry-After"
			}
			return ""
		}},
		{"429", func(code int, h http.Header, body []byte, err error) string {
			if code != 429 || h.Get("Retry-After") != "3" {
				return "want 429 with Retry-After"
			}
			return ""
		}},
		{"reset", func(code int, h http.Header, body []byte, err error) string {
			if err == nil {
				return "want a broken connection"
			}
			return ""
		}},
		{"stall", func(code int, h http.Header, body []byte, err error) string {
			var ne interface{ Timeout() bool }
			if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
				return "want the client to time out"
			}
			return ""
		}},
	}
	// Fresh connections: net/http silently retries an idempotent request
	// whose reused connection was reset, which would hide the fault.
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	for _, c := range cases {
		if err := s.SetFaults("on=admin,retry=3s,schedule=" + c.kind); err != nil {
			t.Fatal(err)
		}
		code, h, body, err := ping(s, client)
		if why := c.check(code, h, body, err); why != "" {
			t.Errorf("%s: got %d %q err=%v; %s", c.kind, code, truncate(string(body), 80), err, why)
		}
		// The schedule is used up: the next call passes.
		if code, _, _, err := ping(s, client); code != 200 || err != nil {
			t.Errorf("after %s: %d %v", c.kind, code, err)
		}
	}
	st := s.Stats()
	for _, c := range cases {
		if st.Faults[c.kind] != 1 {
			t.Errorf("Stats().Faults[%s] = %d, want 1", c.kind, st.Faults[c.kind])
		}
	}
}

func TestResetAfterStoringLosesTheAnswerButKeepsTheUpload(t *testing.T) {
	// The exactly-once scenario: the upload is stored, the client sees a
	// dropped connection and retries with the same public_id.
	s := startSandbox(t, Config{Faults: "on=upload,schedule=reset-after"})
	cld := sdk(t, s)
	file := writeFile(t, "once.jpg", jpegBytes(t, 30, 30))
	_, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: "once"})
	if err == nil {
		t.Fatal("the client got an answer; the fault should have cut it off")
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Fatalf("the upload was not stored before the reset: %v", st)
	}
	retry, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: "once", Overwrite: api.Bool(false)})
	if err != nil || rawOf(retry.Response)["existing"] != true {
		t.Errorf("retry: %v %+v, want existing:true", err, retry)
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Errorf("%d assets after the retry, want 1", st.Assets)
	}
}

func TestFaultBeforeStoringStoresNothing(t *testing.T) {
	s := startSandbox(t, Config{Faults: "on=upload,schedule=reset,500"})
	cld := sdk(t, s)
	file := writeFile(t, "f.jpg", noisyJPEG(t, 200, 200))
	if _, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: "a"}); err == nil {
		t.Error("reset mid-body: the client saw no error")
	}
	res, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: "b"})
	if err != nil || !strings.Contains(res.Error.Message, "General Error") {
		t.Errorf("500: %v %q", err, res.Error.Message)
	}
	if st := s.Stats(); st.Assets != 0 {
		t.Errorf("%d assets stored by failed requests", st.Assets)
	}
}

func TestFaultAfterDestroyStillDestroys(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "gone/", 1)
	if err := s.SetFaults("on=api,schedule=500-after"); err != nil {
		t.Fatal(err)
	}
	res, _ := sdk(t, s).Upload.Destroy(context.Background(), uploader.DestroyParams{PublicID: "gone/0"})
	if !strings.Contains(res.Error.Message, "General Error") {
		t.Errorf("destroy answer %+v, want the injected 500", res)
	}
	a, _ := sdk(t, s).Admin.Asset(context.Background(), admin.AssetParams{PublicID: "gone/0"})
	if a.Error.Message == "" {
		t.Error("the asset survived a destroy whose answer was replaced by a 500")
	}
}

func TestFaultScopesSkipAndMax(t *testing.T) {
	s := startSandbox(t, Config{Faults: "on=search,rate=1,kinds=503,skip=1,max=2"})
	var codes []int
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest(http.MethodPost, s.apiURL("resources/search"), strings.NewReader("{}"))
		req.SetBasicAuth(s.APIKey(), s.APISecret())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 503, 503, 200, 200}; !equalInts(codes, want) {
		t.Errorf("codes %v, want %v", codes, want)
	}
	// Other endpoints are out of scope.
	if code, _, _, _ := ping(s, http.DefaultClient); code != 200 {
		t.Errorf("ping: %d", code)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLatencyDelaysEveryAnswer(t *testing.T) {
	s := startSandbox(t, Config{Latency: 150 * time.Millisecond})
	start := time.Now()
	for i := 0; i < 3; i++ {
		if code, _, _, err := ping(s, http.DefaultClient); code != 200 || err != nil {
			t.Fatal(code, err)
		}
	}
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("3 calls at 150 ms latency took %v", took)
	}
	s.SetLatency(0)
	start = time.Now()
	ping(s, http.DefaultClient)
	if took := time.Since(start); took >= 150*time.Millisecond {
		t.Logf("after SetLatency(0) a call took %v (a busy machine?)", took)
	}
}

func TestBandwidthCapsEachDirection(t *testing.T) {
	const rate = 256 << 10 // bytes per second
	s := startSandbox(t, Config{Bandwidth: rate, Limits: Limits{MaxImageBytes: -1}})
	data := noisyJPEG(t, 300, 300) // ~200 KB
	start := time.Now()
	res, err := sdk(t, s).Upload.Upload(context.Background(), writeFile(t, "bw.jpg", data), uploader.UploadParams{PublicID: "bw"})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	up := time.Since(start)
	t.Logf("upload: %d bytes in %v (%.0f B/s against a cap of %d)", len(data), up, float64(len(data))/up.Seconds(), rate)
	if min := time.Duration(float64(len(data)) / rate * 0.8 * float64(time.Second)); up < min {
		t.Errorf("uploading %d bytes at %d B/s took %v, want at least %v", len(data), rate, up, min)
	}
	start = time.Now()
	code, _, body := get(t, res.SecureURL)
	down := time.Since(start)
	if code != 200 || len(body) != len(data) {
		t.Fatal(code, len(body))
	}
	if min := time.Duration(float64(len(data)) / rate * 0.8 * float64(time.Second)); down < min {
		t.Errorf("downloading %d bytes at %d B/s took %v, want at least %v", len(data), rate, down, min)
	}
}

func TestCloseEndsStalledRequestsAndWaits(t *testing.T) {
	s, err := Start(context.Background(), Config{Dir: t.TempDir(), Faults: "on=admin,rate=1,kinds=stall", Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, _, _, err := ping(s, &http.Client{})
		errc <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for s.Stats().Faults["stall"] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stall never began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a stalled request")
	}
	if err := <-errc; err == nil {
		t.Error("the stalled client got an answer")
	}
}

func TestAssetsAndAssetReportWhatIsStored(t *testing.T) {
	s := startSandbox(t, Config{})
	up := seed(t, s, "info/", 2, "t")
	list, err := s.Assets(context.Background())
	if err != nil || len(list) != 2 || list[0].PublicID != "info/0" || list[1].Etag != up[1].Etag {
		t.Fatalf("Assets: %v %+v", err, list)
	}
	a, err := s.Asset(context.Background(), "image", "info/1")
	if err != nil || a.AssetID != up[1].AssetID || a.Width != 16 || a.Tags[0] != "t" || a.URL != up[1].SecureURL {
		t.Errorf("Asset: %v %+v", err, a)
	}
	if _, err := s.Asset(context.Background(), "image", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing asset: %v", err)
	}
	if s.Requests(EndpointAdminResources) != 0 {
		t.Error("Assets spent Admin API calls")
	}
}
