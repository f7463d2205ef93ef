package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/imageguard"
	"github.com/cloudup/cloudup/core/imageguard/imageguardtest"
)

// Fuzz targets for the outside input the sandbox parses. Their seeds run
// with the ordinary tests; `go test -fuzz` explores from them and from
// testdata/fuzz.

// FuzzDecodeCursor: a next_cursor is the client's to send back, so any
// string may arrive. It decodes to a position for the given sort or is
// refused with a 400, and a decoded position always has one value per
// key, of the key's kind.
func FuzzDecodeCursor(f *testing.F) {
	keys := [][]sortKey{
		{{field: "created_at", desc: true}},
		{{field: "public_id"}, {field: "bytes", desc: true}},
		{{field: "aspect_ratio"}},
	}
	a := &asset{Seq: 7, PublicID: "a/b", Bytes: 42, Width: 3, Height: 2, CreatedAt: time.Unix(1700000000, 5)}
	for _, k := range keys {
		f.Add(encodeCursor(positionOf(a, k), k), uint8(0))
	}
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"o":"created_at:desc","v":["i99999999999999999999"],"s":1}`)), uint8(0))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"o":"aspect_ratio","v":["fNaN"],"s":-1}`)), uint8(2))
	f.Add("!!!", uint8(1))
	f.Fuzz(func(t *testing.T, cursor string, which uint8) {
		k := keys[int(which)%len(keys)]
		p, err := decodeCursor(cursor, k)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("decodeCursor error %T is not an API error", err)
			}
			return
		}
		if len(p.vals) != len(k) {
			t.Fatalf("%d values for %d keys", len(p.vals), len(k))
		}
		for i, key := range k {
			if p.vals[i].kind != sortValue(&asset{}, key.field).kind {
				t.Fatalf("value %d is of kind %c for %s", i, p.vals[i].kind, key.field)
			}
		}
		// Paging with it never panics and never returns more than asked.
		got, _, err := page([]*asset{a, {Seq: 8, PublicID: "c"}}, k, cursor, 1)
		if err != nil || len(got) > 1 {
			t.Fatalf("page: %v %d", err, len(got))
		}
	})
}

// FuzzParseSortBy: sort_by is the client's JSON. It gives at least one
// known field, each once per entry, or a 400.
func FuzzParseSortBy(f *testing.F) {
	for _, s := range []string{`[{"created_at":"desc"}]`, `{"public_id":"asc"}`, `[{"bytes":"-1"},{"width":"1"}]`,
		`[{"a":"b","c":"d"}]`, `[]`, `null`, `[{"created_at":"DESC"}]`, `"created_at"`, `[{"pixels":""}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		keys, err := parseSortBy(json.RawMessage(raw))
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("parseSortBy error %T is not an API error", err)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("no sort keys and no error")
		}
		for _, k := range keys {
			if !sortFields[k.field] {
				t.Fatalf("unknown field %q accepted", k.field)
			}
		}
	})
}

// FuzzAdminParams: the Admin API's parameters come in the query and in a
// JSON, url-encoded or multipart body. Parsing never panics, keeps to its
// byte cap and fails only with a 400.
func FuzzAdminParams(f *testing.F) {
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("public_ids[]", "a")
	mw.WriteField("public_ids[]", "b")
	mw.Close()
	f.Add("prefix=x&max_results=10", `{"public_ids":"a,b","tags":["x","y"],"n":1.5,"o":{"k":null}}`, "application/json; charset=utf-8", "DELETE")
	f.Add("", "public_ids[]=a&public_ids[]=b&keep_original=true", "application/x-www-form-urlencoded", "DELETE")
	f.Add("", mp.String(), mw.FormDataContentType(), "POST")
	f.Add("a=%zz", `{"a":`, "", "POST")
	f.Add("next_cursor=abc", "", "", "GET")
	f.Fuzz(func(t *testing.T, query, body, contentType, method string) {
		if method != http.MethodGet && method != http.MethodPost && method != http.MethodDelete && method != http.MethodPut {
			method = http.MethodPost
		}
		r, err := http.NewRequest(method, "http://127.0.0.1/v1_1/c/resources/image", strings.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawQuery = query
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		p, err := adminParams(r)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("adminParams error %T %v is not an API error", err, err)
			}
			return
		}
		// The values the handlers read from it parse without panicking.
		maxResults(p, 10, 500)
		listParam(p, "public_ids")
		tagsParam(p, "tags")
		boolParam(p, "keep_original", false)
		parseContext(p.Get("context"))
	})
}

// FuzzSniff: whatever is uploaded, sniffing reads headers only, never
// panics, and reports an image with the size its header declares, huge
// ones included (the corpus in testdata/fuzz declares up to 100000×100000
// pixels in every format), so the resolution limit can refuse it.
func FuzzSniff(f *testing.F) {
	for _, seed := range [][]byte{
		imageguardtest.PNGHeader(100000, 100000),
		imageguardtest.JPEGHeader(65000, 65000),
		imageguardtest.GIFBomb(60000, 60000, 0),
		imageguardtest.GIFBomb(300, 300, 3),
		imageguardtest.WebPHeader(16384, 16384),
		imageguardtest.BMPHeader(40000, 40000),
		imageguardtest.TIFFHeader(50000, 50000),
		[]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
		[]byte("RIFF\x00\x00\x00\x00WAVEfmt "),
		[]byte("ID3\x04\x00"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := sniff(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("sniff: %v", err)
		}
		switch m.kind {
		case "image":
			info, err := imageguard.Check(bytes.NewReader(data), imageguard.Limits{MaxPixels: -1, MaxBytes: -1})
			if err != nil || info.Width != m.width || info.Height != m.height || m.width <= 0 || m.height <= 0 || m.pages < 1 {
				t.Fatalf("image %+v, header %+v %v", m, info, err)
			}
		case "video", "raw":
		default:
			t.Fatalf("kind %q", m.kind)
		}
	})
}

// FuzzParseProbe: ffprobe's output describes an uploaded file, so any
// JSON may come back. What is read from it must encode into the upload
// answer (no NaN or infinity) and never be a negative size.
func FuzzParseProbe(f *testing.F) {
	f.Add([]byte(`{"format":{"duration":"12.5","bit_rate":"800000"},"streams":[{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,"r_frame_rate":"30000/1001","pix_fmt":"yuv420p","bit_rate":"700000"},{"codec_type":"audio","codec_name":"aac","sample_rate":"48000","channels":2,"channel_layout":"stereo"}]}`))
	f.Add([]byte(`{"format":{"duration":"NaN"},"streams":[{"codec_type":"video","width":-5,"height":99999999,"r_frame_rate":"1/0"}]}`))
	f.Add([]byte(`{"format":{"duration":"Inf"},"streams":[{"codec_type":"video","r_frame_rate":"nan/1"}]}`))
	f.Add([]byte(`{"streams":[{"codec_type":"audio","sample_rate":"x"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, out []byte) {
		var m media
		if err := parseProbe(out, &m); err != nil {
			return
		}
		if math.IsNaN(m.duration) || math.IsInf(m.duration, 0) || m.duration < 0 || m.width < 0 || m.height < 0 {
			t.Fatalf("read %+v", m)
		}
		if _, err := json.Marshal(m.details); err != nil {
			t.Fatalf("the details do not encode: %v", err)
		}
	})
}
