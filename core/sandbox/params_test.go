package sandbox

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCheckPublicID(t *testing.T) {
	cases := []struct {
		id   string
		want string // "" = valid
	}{
		{"photo", ""},
		{"demo/trips/2024/day-1_final.v2", ""},
		{"ünïcode/ファイル", ""},
		{"", "empty"},
		{"../x", `".." segment`},
		{"a/../b", `".." segment`},
		{"a/./b", `"." segment`},
		{"/abs", "start with '/'"},
		{"a/", "end with '/'"},
		{"a//b", "empty folder name"},
		{`a\b`, "backslash"},
		{"a\x00b", "NUL"},
		{"a\nb", "control character"},
		{"a?b", "URLs cannot carry"},
		{"a%2e%2e", "URLs cannot carry"},
		{"a /b", "starts or ends with a space"},
		{strings.Repeat("a", 256), "limit is 255"},
		{"\xff\xfe", "UTF-8"},
	}
	for _, c := range cases {
		err := checkPublicID(c.id)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q rejected: %v", c.id, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: %v, want an error about %q", c.id, err, c.want)
		}
	}
}

func TestParseContextHandlesEscapesFromBothSDKs(t *testing.T) {
	cases := []struct {
		in   string
		want map[string]string
	}{
		{"", map[string]string{}},
		{"alt=My image|caption=Nice photo", map[string]string{"alt": "My image", "caption": "Nice photo"}},
		{`alt=A\=b\|c`, map[string]string{"alt": "A=b|c"}},    // Node escapes
		{`path=C:\\dir`, map[string]string{"path": `C:\dir`}}, // a doubled backslash
		{"k=a=b", map[string]string{"k": "a=b"}},              // Go does not escape
		{"gone=|kept=1", map[string]string{"gone": "", "kept": "1"}},
		{" spaced = yes ", map[string]string{"spaced": " yes "}},
	}
	for _, c := range cases {
		got, err := parseContext(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q = %v, want %v", c.in, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", c.in, k, got[k], v)
			}
		}
	}
	for _, bad := range []string{"novalue", "=x", "a=1|broken"} {
		if _, err := parseContext(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseContext(f *testing.F) {
	for _, s := range []string{"alt=My image|caption=Nice", `a\=b=c\|d`, `x=\\`, "|||", "k=", `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseContext(s)
		if err != nil {
			return
		}
		// What the sandbox writes back reads back the same.
		again, err := parseContext(contextString(m))
		if err != nil {
			t.Fatalf("%q → %q does not parse: %v", s, contextString(m), err)
		}
		for k, v := range m {
			if strings.TrimSpace(k) != k {
				continue
			}
			if again[k] != v {
				t.Fatalf("%q: %s = %q, after a round trip %q", s, k, v, again[k])
			}
		}
	})
}

func TestListParamReadsEverySDKShape(t *testing.T) {
	p := url.Values{
		"public_ids[10]": {"k"}, "public_ids[2]": {"c"}, "public_ids[0]": {"a"},
	}
	if got := strings.Join(listParam(p, "public_ids"), ","); got != "a,k,c" {
		t.Errorf("indexed: %s (byte order of keys)", got)
	}
	if got := strings.Join(listParam(url.Values{"tags": {"a, b", "b"}, "tags[]": {"c"}}, "tags"), ","); got != "a,b,c" {
		t.Errorf("mixed: %s", got)
	}
}

func TestParseDeliveryPathOffersEveryReading(t *testing.T) {
	got, err := parseDeliveryPath(strings.Split("image/upload/s--abcdefgh--/c_fill,w_10/e_sepia/v3/a/b.jpg", "/"))
	if err != nil || len(got) != 1 || got[0].signature != "s--abcdefgh--" || got[0].transformation != "c_fill,w_10/e_sepia" || got[0].publicPath != "a/b.jpg" || !got[0].version {
		t.Errorf("versioned: %+v %v", got, err)
	}
	got, _ = parseDeliveryPath(strings.Split("image/upload/w_10/my_photos/x.png", "/"))
	if len(got) != 3 || got[0].transformation != "w_10/my_photos" || got[2].publicPath != "w_10/my_photos/x.png" {
		t.Errorf("ambiguous: %+v", got)
	}
	if _, err := parseDeliveryPath(strings.Split("image/upload/a//b", "/")); err == nil {
		t.Error("empty segment accepted")
	}
}

func FuzzParseDeliveryPath(f *testing.F) {
	for _, s := range []string{"image/upload/v1/a.jpg", "image/upload/s--12345678--/w_1/v2/x", "video/upload/e_x/f_y/z.mp4", "raw/upload//", "image/upload/v1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		reqs, err := parseDeliveryPath(strings.Split(path, "/"))
		if err != nil {
			return
		}
		if len(reqs) == 0 {
			t.Fatal("no reading and no error")
		}
		for _, r := range reqs {
			if r.publicPath == "" {
				t.Fatalf("%q read with an empty public_id: %+v", path, r)
			}
		}
	})
}

func FuzzUploadForm(f *testing.F) {
	f.Add("file=data%3Aimage%2Fpng%3Bbase64%2CAAAA&public_id=x", "")
	f.Add("public_id=a&tags=b%2Cc&file=https%3A%2F%2Fexample.com%2Fa.jpg", "application/x-www-form-urlencoded")
	f.Add(`{"file":"data:text/plain;base64,aGk=","tags":["a","b"]}`, "application/json")
	f.Add("file=%zz", "")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1_1/c/upload", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		var sink bytes.Buffer
		f, err := parseForm(r, formOptions{
			openFile:   func(url.Values, string, bool) (io.Writer, error) { return &sink, nil },
			maxFile:    1 << 20,
			tooLarge:   func(int64) error { return badRequest("too large") },
			maxDataURI: 1 << 20,
		})
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %T %v is not an API error", err, err)
			}
			return
		}
		if f.gotFile && int64(sink.Len()) != f.size {
			t.Fatalf("size %d but %d bytes written", f.size, sink.Len())
		}
	})
}

func TestMultipartFileAfterParametersIsStreamed(t *testing.T) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("public_id", "p")
	mw.WriteField("tags[]", "a")
	mw.WriteField("tags[]", "b")
	fw, _ := mw.CreateFormFile("file", "x.bin")
	fw.Write([]byte("content"))
	mw.Close()
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	var seen url.Values
	var sink bytes.Buffer
	f, err := parseForm(r, formOptions{
		openFile: func(p url.Values, name string, complete bool) (io.Writer, error) {
			seen = p
			if name != "x.bin" || !complete {
				t.Errorf("openFile(%q, complete=%v)", name, complete)
			}
			return &sink, nil
		},
		maxFile: 100, tooLarge: func(int64) error { return badRequest("too large") },
	})
	if err != nil || sink.String() != "content" || f.size != 7 || seen.Get("public_id") != "p" || len(seen["tags[]"]) != 2 {
		t.Errorf("%v %q %+v %v", err, sink.String(), f, seen)
	}
}
