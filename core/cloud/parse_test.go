package cloud

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAssetDecodingToleratesCloudinaryVariants(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want Asset
	}{
		{"upload answer", `{"public_id":"a","version":1719307544,"created_at":"2024-06-25T09:25:44Z","tags":[],"context":{"custom":{"alt":"x"}},"asset_folder":null,"existing":true}`,
			Asset{PublicID: "a", Version: 1719307544, CreatedAt: time.Date(2024, 6, 25, 9, 25, 44, 0, time.UTC), Tags: []string{}, Context: map[string]string{"alt": "x"}, Existing: true}},
		{"strings for numbers", `{"public_id":"b","version":"17","bytes":"42","width":"10","duration":"1.5"}`,
			Asset{PublicID: "b", Version: 17, Bytes: 42, Width: 10, Duration: 1.5}},
		{"numeric created_at and tag string", `{"public_id":"c","created_at":1700000000,"tags":"x,y"}`,
			Asset{PublicID: "c", CreatedAt: time.Unix(1700000000, 0).UTC(), Tags: []string{"x", "y"}}},
		{"flat context with numbers", `{"public_id":"d","context":{"n":3,"s":"v"}}`,
			Asset{PublicID: "d", Context: map[string]string{"n": "3", "s": "v"}}},
		{"context as string", `{"public_id":"e","context":"alt=a\\=b|c=d"}`,
			Asset{PublicID: "e", Context: map[string]string{"alt": "a=b", "c": "d"}}},
		{"wrong shapes left empty", `{"public_id":"f","version":{},"tags":5,"eager":"no","created_at":"yesterday"}`,
			Asset{PublicID: "f"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got Asset
			if err := json.Unmarshal([]byte(tc.in), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestContextFormatAndParseRoundTrip(t *testing.T) {
	cases := []struct {
		in   map[string]string
		want string
	}{
		{map[string]string{"alt": "A=b|c", "caption": "x"}, `alt=A\=b\|c|caption=x`},
		{map[string]string{"k": `back\slash`}, `k=back\\slash`},
		{map[string]string{"e": ""}, `e=`},
		{nil, ``},
	}
	for _, tc := range cases {
		got := FormatContext(tc.in)
		if got != tc.want {
			t.Errorf("FormatContext(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if back := ParseContext(got); !reflect.DeepEqual(back, tc.in) && len(tc.in) > 0 {
			t.Errorf("ParseContext(%q) = %v, want %v", got, back, tc.in)
		}
	}
}

func TestRetryTimesAreReadFromHeaderOrMessage(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name       string
		retryAfter string
		message    string
		want       time.Time
	}{
		{"seconds", "30", "", now.Add(30 * time.Second)},
		{"http date", "Fri, 02 Jan 2026 03:10:00 GMT", "", time.Date(2026, 1, 2, 3, 10, 0, 0, time.UTC)},
		{"server clock ahead", "", "Try again on 2026-01-02 05:04:05 UTC", time.Date(2026, 1, 2, 4, 4, 5, 0, time.UTC)},
		{"try again on UTC", "", "Rate Limit Exceeded. Limit of 500 api operations reached. Try again on 2026-01-02 04:00:00 UTC", time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)},
		{"try again on offset", "", "Try again on 2026-01-02 04:00:00 +0100", time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)},
		{"try again at no zone", "", "try again at 2026-01-02T05:00:00", time.Date(2026, 1, 2, 5, 0, 0, 0, time.UTC)},
		{"header wins", "5", "Try again on 2026-01-02 04:00:00 UTC", now.Add(5 * time.Second)},
		{"negative seconds ignored", "-3", "", time.Time{}},
		{"nothing", "", "slow down", time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.name == "server clock ahead" {
				h.Set("Date", now.Add(time.Hour).Format(http.TimeFormat))
			}
			if tc.retryAfter != "" {
				h.Set("Retry-After", tc.retryAfter)
			}
			if got := retryAt(h, tc.message, now); !got.Equal(tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
}

func FuzzAssetUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"public_id":"a","version":1,"tags":["x"],"context":{"custom":{"a":"b"}}}`,
		`{"public_id":"b","version":"17","created_at":1700000000,"tags":"x,y"}`,
		`{"context":"a=b|c","eager":[{"transformation":"w_1"}],"asset_folder":null}`,
		`{"bytes":1e400,"width":-1,"duration":"NaN"}`,
		`[]`, `null`, `{"context":{"custom":null}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Asset
		if json.Unmarshal(b, &a) != nil {
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", a, err)
		}
		var again Asset
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("own encoding rejected: %v: %s", err, out)
		}
		if again.PublicID != a.PublicID || again.Version != a.Version || again.ETag != a.ETag {
			t.Fatalf("round trip changed the asset: %+v vs %+v", a, again)
		}
	})
}

func FuzzParseContext(f *testing.F) {
	for _, s := range []string{`alt=a\=b|c=d`, `a|b|`, `\\=\|`, `=x|y=`, `k=v\`, "", "é=ü|\x00=\x01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := ParseContext(s)
		for k := range m {
			if k == "" {
				t.Fatalf("empty key from %q", s)
			}
		}
		if len(m) == 0 {
			return
		}
		// What we format we must read back unchanged.
		if back := ParseContext(FormatContext(m)); !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %v gave %v", m, back)
		}
	})
}

func FuzzErrorAnswer(f *testing.F) {
	f.Add(420, "", `{"error":{"message":"Rate Limit Exceeded. Try again on 2024-10-04 14:00:00 UTC"}}`)
	f.Add(429, "12", `{"error":{"message":"slow"}}`)
	f.Add(400, "", `{"error":{"message":"Stale request - reported time is 2024-04-11 13:23:38 +0000 which is more than 1 hour ago"}}`)
	f.Add(401, "", `{"error":{"message":"Invalid Signature abc. String to sign - 'a=b'."}}`)
	f.Add(502, "", `<html><title>Bad Gateway</title></html>`)
	f.Add(200, "", `{"done":false,"bytes":10}`)
	f.Add(200, "Mon, 02 Jan 2006 15:04:05 GMT", `not json`)
	f.Fuzz(func(t *testing.T, status int, retryAfter, body string) {
		if status < 100 || status > 999 {
			return
		}
		c := &Client{cfg: Config{Now: time.Now}}
		h := http.Header{"Retry-After": {retryAfter}, "Date": {retryAfter}}
		err := c.decode(&answer{status: status, header: h, body: []byte(body), localNow: time.Now()}, &struct{}{})
		if status >= 300 && err == nil {
			t.Fatalf("status %d decoded without error", status)
		}
		if err != nil {
			msg := err.Error()
			if msg == "" || strings.Contains(msg, "\n") && !strings.Contains(body, "\n") {
				t.Fatalf("bad message %q", msg)
			}
		}
	})
}
