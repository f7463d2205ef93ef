package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cloudup/cloudup/core/signing"
)

// uploadRecorder is a stand-in for Cloudinary's upload endpoint that checks
// signatures with core/signing.Verify, the sandbox's own verifier.
type uploadRecorder struct {
	secret string
	mu     sync.Mutex
	got    []recordedUpload
}

type recordedUpload struct {
	path     string
	params   url.Values
	apiKey   string
	filename string
	body     []byte
	verify   error
}

func (u *uploadRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := recordedUpload{path: r.URL.Path, params: url.Values{}}
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, `{"error":{"message":"not multipart"}}`, http.StatusBadRequest)
		return
	}
	var signature string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(part)
		switch part.FormName() {
		case "file":
			rec.filename, rec.body = part.FileName(), data
		case "signature":
			signature = string(data)
		case "api_key":
			rec.apiKey = string(data)
		default:
			rec.params.Add(part.FormName(), string(data))
		}
	}
	rec.verify = signing.Verify(rec.params, signature, u.secret)
	u.mu.Lock()
	u.got = append(u.got, rec)
	u.mu.Unlock()
	if rec.verify != nil {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": rec.verify.Error()}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"public_id": rec.params.Get("public_id"), "bytes": len(rec.body)})
}

func TestSignCurlCommandUploadsWithASignatureTheServerAccepts(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	h := newHarness(t)
	rec := &uploadRecorder{secret: h.secret}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	h.env = append(h.env, "CLOUDINARY_URL=cloudinary://4242:"+h.secret+"@democloud?upload_prefix="+srv.URL)

	// A name a shell and curl's -F would both trip over.
	dir := t.TempDir()
	file := filepath.Join(dir, `photo "one";type=x,two's.jpg`)
	content := []byte("\xff\xd8\xff pretend jpeg bytes")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.ok("", "sign", "--curl", file, "folder=blog/2026", "public_id=sunset & sea", "context=@alt=A|caption=$HOME `x`", "tags=a", "tags=b")
	command := strings.TrimSpace(r.stdout)
	if strings.Count(command, "\n") != 0 || !strings.HasPrefix(command, "curl ") {
		t.Fatalf("stdout is not one curl command:\n%s", r.stdout)
	}
	if !strings.Contains(command, srv.URL+"/v1_1/democloud/auto/upload") {
		t.Errorf("command does not post to the auto/upload endpoint: %s", command)
	}

	run := exec.Command("sh", "-c", command)
	run.Dir = t.TempDir() // the file path is absolute
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("running the curl command: %v\n%s", err, out)
	}
	if len(rec.got) != 1 {
		t.Fatalf("server saw %d uploads", len(rec.got))
	}
	got := rec.got[0]
	if got.verify != nil {
		t.Fatalf("signature rejected: %v", got.verify)
	}
	want := url.Values{"folder": {"blog/2026"}, "public_id": {"sunset & sea"}, "context": {"@alt=A|caption=$HOME `x`"}, "tags": {"a,b"}}
	for k, v := range want {
		if got.params.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, got.params.Get(k), v[0])
		}
	}
	// curl writes '"' in a multipart file name as %22 (as browsers do).
	wantName := strings.ReplaceAll(filepath.Base(file), `"`, "%22")
	if got.apiKey != "4242" || string(got.body) != string(content) || got.filename != wantName {
		t.Errorf("api_key %q, filename %q, %d bytes", got.apiKey, got.filename, len(got.body))
	}
	if !strings.Contains(string(out), `"bytes":`) {
		t.Errorf("curl did not print the server's answer: %s", out)
	}
}

func TestParseSignParams(t *testing.T) {
	tests := []struct {
		args []string
		want string
		err  string
	}{
		{[]string{"folder=a", "tags=x", "tags=y"}, "folder=a&tags=x%2Cy", ""},
		{[]string{"eager=w_400,h_300,c_pad|w_260", "empty="}, "eager=w_400%2Ch_300%2Cc_pad%7Cw_260&empty=", ""},
		{[]string{"public_ids[0]=a", "public_ids[1]=b"}, "public_ids%5B0%5D=a&public_ids%5B1%5D=b", ""},
		{[]string{"value=has=equals"}, "value=has%3Dequals", ""},
		{[]string{"novalue"}, "", "key=value"},
		{[]string{"=x"}, "", "parameter name"},
		{[]string{"bad key=x"}, "", "parameter name"},
		{[]string{"signature=x"}, "", "added by sign"},
		{[]string{"file=@x"}, "", "--curl"},
		{[]string{"resource_type=image"}, "", "never signed"},
		{[]string{"timestamp=-1"}, "", "Unix seconds"},
	}
	for _, tc := range tests {
		got, err := parseSignParams(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got.Encode() != tc.want {
			t.Errorf("%q = %q, %v; want %q", tc.args, got.Encode(), err, tc.want)
		}
	}
}

// FuzzParseSignParams: any argument list either fails with a usage error or
// gives parameters whose names are valid and whose values were given.
func FuzzParseSignParams(f *testing.F) {
	f.Add("folder=a", "tags=x,y")
	f.Add("a[0]=1", "a[]=2")
	f.Add("=", "x==")
	f.Add("timestamp=1315060510", "public_id=&")
	f.Fuzz(func(t *testing.T, a, b string) {
		params, err := parseSignParams([]string{a, b})
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v is not a usage error", err)
			}
			return
		}
		for k := range params {
			if !paramKey.MatchString(k) {
				t.Fatalf("accepted parameter name %q", k)
			}
		}
		if len(params) == 0 || len(params) > 2 {
			t.Fatalf("%d parameters from 2 arguments", len(params))
		}
	})
}

// shellWords splits a command the way sh does for the quoting shellQuote
// produces (bare words, single-quoted runs, backslash escapes), enough to
// check it.
func shellWords(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("\"\\$`;&|<>()*?[#~\t\n", c) >= 0:
			return nil, false // would mean something to sh outside quotes
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, false
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "it's", "a b", "$HOME", "`x`", "a\nb", `"q"`, "'", "''", "-F", "@file", "x;rm -rf /"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, ok := shellWords("echo " + shellQuote(s))
		if !ok || len(words) != 2 || words[1] != s {
			t.Fatalf("shellQuote(%q) = %s, which sh reads as %q", s, shellQuote(s), words)
		}
	})
}

func TestShellQuoteSurvivesARealShell(t *testing.T) {
	for _, s := range []string{"plain", "it's", "a b", "$HOME", "`id`", "a\nb", `"q"\`, "'", "*", "ünï"} {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh read %q back as %q (%v)", s, out, err)
		}
	}
}
