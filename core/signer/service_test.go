package signer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/teamsign"
)

const testSecret = "team-signing-test-secret-0042"

func testAccount(apiBase string) Account {
	return Account{Cloud: "sandbox", APIKey: "111111111111111", Secret: testSecret, APIBase: apiBase}
}

// fixture is a sandbox (the account), a signing service for it with its own
// store, and a log of everything the service wrote.
type fixture struct {
	sb     *sandbox.Server
	admin  *cloud.Client // holds the secret: the owner's view of the account
	store  *Store
	dbPath string
	svc    *httptest.Server
	log    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newFixture(t *testing.T, sbCfg sandbox.Config, tune func(*Config)) *fixture {
	t.Helper()
	sbCfg.APIKey, sbCfg.APISecret = "111111111111111", testSecret
	sb := sandboxtest.Start(t, sbCfg)
	st, path := openSQLite(t)
	logs := &syncBuffer{}
	cfg := Config{Store: st, Account: testAccount(sb.URL()), Log: slog.New(slog.NewTextHandler(logs, nil))}
	if tune != nil {
		tune(&cfg)
	}
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &fixture{sb: sb, admin: sandboxtest.Client(t, sb), store: st, dbPath: path, svc: srv, log: logs}
}

func (f *fixture) grant(t *testing.T, editor string, g teamsign.Grant) teamsign.Token {
	t.Helper()
	tok, err := f.store.Grant(context.Background(), editor, g, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// editorClient is what a team profile builds: a cloud client whose
// authority is the service.
func (f *fixture) editorClient(t *testing.T, tok teamsign.Token) (*cloud.Client, *teamsign.Client) {
	t.Helper()
	tc, err := teamsign.NewClient(f.svc.URL, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	who, err := tc.WhoAmI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := cloud.New(cloud.Config{Cloud: who.Cloud, APIKey: who.APIKey, APIBase: who.APIBase, Authority: teamsign.NewAuthority(tc)})
	if err != nil {
		t.Fatal(err)
	}
	return c, tc
}

func pngBytes(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func upload(ctx context.Context, c *cloud.Client, data []byte, p cloud.UploadParams) (*cloud.Asset, error) {
	return c.Upload(ctx, cloud.UploadRequest{File: cloud.File{Name: "p.png", Data: bytes.NewReader(data), Size: int64(len(data))}, Params: p})
}

// noLeaks checks that neither the secret nor any token appears in the
// service's log, its database file or its audit.
func (f *fixture) noLeaks(t *testing.T, tokens ...teamsign.Token) {
	t.Helper()
	entries, err := f.store.Audit(context.Background(), AuditQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	audit, _ := json.Marshal(entries)
	db, _ := os.ReadFile(f.dbPath)
	wal, _ := os.ReadFile(f.dbPath + "-wal")
	for what, text := range map[string]string{"log": f.log.String(), "audit": string(audit), "database": string(db) + string(wal)} {
		if strings.Contains(text, testSecret) {
			t.Errorf("the secret is in the service's %s", what)
		}
		for _, tok := range tokens {
			if strings.Contains(text, tok.Reveal()) {
				t.Errorf("a token is in the service's %s", what)
			}
		}
	}
}

func TestEditorUploadsInsideTheGrantAndIsRefusedOutside(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog", "news"}})
	c, _ := f.editorClient(t, tok)
	ctx := context.Background()

	a, err := upload(ctx, c, pngBytes(t, 10), cloud.UploadParams{Folder: "blog", PublicID: "hero"})
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicID != "blog/hero" {
		t.Errorf("public id %q", a.PublicID)
	}
	_, err = upload(ctx, c, pngBytes(t, 11), cloud.UploadParams{Folder: "drafts", PublicID: "x"})
	var pe *cloud.PolicyError
	if !errors.As(err, &pe) || pe.Message != "You may upload to blog/ and news/ only; ask the account owner for access to drafts/." {
		t.Fatalf("upload to drafts: %v", err)
	}
	// Nothing reached the account outside blog/.
	if _, err := f.admin.Resource(ctx, cloud.Ref{PublicID: "drafts/x"}); !errors.Is(err, cloud.ErrNotFound) {
		t.Errorf("drafts/x exists: %v", err)
	}
	// Deleting without the right.
	if err := c.Destroy(ctx, cloud.Ref{PublicID: "blog/hero"}, false); !errors.As(err, &pe) {
		t.Errorf("destroy without the right: %v", err)
	}
	f.noLeaks(t, tok)
}

func TestFormatsTheGrantLimitsAreEnforcedByCloudinaryItself(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}, Formats: []string{"jpg"}})
	c, _ := f.editorClient(t, tok)
	// The service signed (the call is inside the folder) but put
	// allowed_formats=jpg into the signature: the account refuses the PNG.
	_, err := upload(context.Background(), c, pngBytes(t, 1), cloud.UploadParams{Folder: "blog", PublicID: "p"})
	var re *cloud.RequestError
	if !errors.As(err, &re) || !strings.Contains(strings.ToLower(re.Message), "format") {
		t.Fatalf("a PNG with allowed_formats=jpg: %v", err)
	}
}

func TestBadTokensNeverGetASignature(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	ctx := context.Background()
	good := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	revoked := f.grant(t, "bob", teamsign.Grant{Folders: []string{"blog"}})
	if err := f.store.Revoke(ctx, "bob", time.Now()); err != nil {
		t.Fatal(err)
	}
	expired, err := f.store.Grant(ctx, "cid", teamsign.Grant{Folders: []string{"blog"}, ExpiresAt: time.Now().Add(-time.Second)}, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	forged := teamsign.Token(TokenPrefix + strings.Repeat("x", 43))
	truncated := teamsign.Token(good.Reveal()[:20])
	for name, tok := range map[string]teamsign.Token{"revoked": revoked, "expired": expired, "forged": forged, "truncated": truncated} {
		t.Run(name, func(t *testing.T) {
			tc, _ := teamsign.NewClient(f.svc.URL, tok, nil)
			res, err := tc.Sign(ctx, []teamsign.SignCall{{Action: "upload", Params: vals("folder", "blog")}})
			if !errors.Is(err, cloud.ErrTokenRejected) || res != nil {
				t.Fatalf("sign: %v, %v", res, err)
			}
			var te *cloud.TokenError
			errors.As(err, &te)
			if !strings.Contains(te.Message, "account owner") {
				t.Errorf("message %q does not say what to do", te.Message)
			}
			if strings.Contains(err.Error(), tok.Reveal()) {
				t.Error("the error repeats the token")
			}
		})
	}
	// No Authorization header at all.
	resp, err := http.Post(f.svc.URL+teamsign.PathSign, "application/json", strings.NewReader(`{"calls":[{"action":"upload","params":{"folder":["blog"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || bytes.Contains(body, []byte("signature\":")) {
		t.Errorf("no token: %d %s", resp.StatusCode, body)
	}
	f.noLeaks(t, good, revoked, expired, forged)
}

// countingReader counts how much of a body the client was able to send.
type countingReader struct {
	n    atomic.Int64
	left int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	c.left -= n
	c.n.Add(n)
	return int(n), nil
}

func TestAnOversizedBodyWithoutAValidTokenIsNotRead(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	const size = 512 << 20
	body := &countingReader{left: size}
	req, _ := http.NewRequest(http.MethodPost, f.svc.URL+teamsign.PathSign, body)
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+TokenPrefix+strings.Repeat("y", 43))
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	// The service answered and closed without reading the body: what
	// left the client is what fits in socket buffers, not half a gigabyte.
	if sent := body.n.Load(); sent > 64<<20 {
		t.Errorf("the client sent %d MB before the refusal", sent>>20)
	}
}

func TestAValidTokenStillCannotSendAnUnboundedBody(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	body := &countingReader{left: 64 << 20}
	req, _ := http.NewRequest(http.MethodPost, f.svc.URL+teamsign.PathSign, body)
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	tc, _ := teamsign.NewClient(f.svc.URL, tok, nil)
	many := make([]teamsign.SignCall, teamsign.MaxBatch+1)
	for i := range many {
		many[i] = teamsign.SignCall{Action: "upload", Params: vals("folder", "blog")}
	}
	var ie *cloud.InvalidRequestError
	if _, err := tc.Sign(context.Background(), many); !errors.As(err, &ie) {
		t.Errorf("%d calls: %v", len(many), err)
	}
	huge := vals("folder", "blog", "tags", strings.Repeat("t,", 40000))
	res, err := tc.Sign(context.Background(), []teamsign.SignCall{{Action: "upload", Params: huge}})
	if err != nil || res[0].Error == nil {
		t.Errorf("80 kB of tags: %v %+v", err, res)
	}
}

func TestOneBatchSignsManyAndRefusesEachBadCallAlone(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	tc, _ := teamsign.NewClient(f.svc.URL, tok, nil)
	calls := []teamsign.SignCall{
		{Action: "upload", Params: vals("folder", "blog", "public_id", "a")},
		{Action: "upload", Params: vals("folder", "blog", "eval", "upload_options.folder='x'")},
		{Action: "upload", Params: vals("folder", "blog", "notification_url", "http://169.254.169.254/")},
		{Action: "upload", Params: vals("folder", "blog-evil", "public_id", "b")},
		{Action: "upload", Params: vals("folder", "blog", "public_id", "c")},
	}
	res, err := tc.Sign(context.Background(), calls)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, false, false, true} {
		got := res[i].Error == nil && res[i].Params.Get("signature") != ""
		if got != want {
			t.Errorf("call %d signed=%v, want %v (%+v)", i, got, want, res[i].Error)
		}
		if !want && res[i].Params != nil {
			t.Errorf("call %d was refused but has params", i)
		}
	}
	entries, _ := f.store.Audit(context.Background(), AuditQuery{Editor: "ann"})
	if len(entries) != len(calls) {
		t.Fatalf("%d audit entries for %d calls", len(entries), len(calls))
	}
	rules := map[string]int{}
	for _, e := range entries {
		rules[e.Outcome+"/"+e.Rule]++
	}
	if rules["signed/"] != 2 || rules["refused/param"] != 2 || rules["refused/folder"] != 1 {
		t.Errorf("audit outcomes: %v", rules)
	}
	f.noLeaks(t, tok)
}

func TestSearchesStayInsideTheEditorsFolders(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	ctx := context.Background()
	for i, id := range []string{"blog/a", "blog/b", "drafts/secret", "blog-evil/c", "BLOG/d"} {
		if _, err := upload(ctx, f.admin, pngBytes(t, uint8(i*30)), cloud.UploadParams{PublicID: id}); err != nil {
			t.Fatal(err)
		}
	}
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	c, _ := f.editorClient(t, tok)
	for _, expr := range []string{"", "folder:drafts/*", "secret", "public_id:drafts* OR public_id:blog*", `x OR public_id:BLOG/*`, "NOT public_id:blog/*"} {
		res, err := c.Search(ctx, cloud.SearchQuery{Expression: expr, MaxResults: 100})
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		for _, a := range res.Resources {
			if !strings.HasPrefix(a.PublicID, "blog/") {
				t.Errorf("%q found %s", expr, a.PublicID)
			}
		}
		if expr == "" && len(res.Resources) != 2 {
			t.Errorf("the editor sees %d of their 2 assets", len(res.Resources))
		}
	}
	// A parenthesis trick is a syntax error, said in words.
	_, err := c.Search(ctx, cloud.SearchQuery{Expression: "x) OR (folder:drafts/*"})
	var ie *cloud.InvalidRequestError
	if !errors.As(err, &ie) || !strings.Contains(ie.Message, "search expression") {
		t.Errorf("escape attempt: %v", err)
	}
	// Resource lookups: inside yes, outside no.
	if a, err := c.Resource(ctx, cloud.Ref{PublicID: "blog/a"}); err != nil || a.PublicID != "blog/a" {
		t.Errorf("blog/a: %v", err)
	}
	var pe *cloud.PolicyError
	if _, err := c.Resource(ctx, cloud.Ref{PublicID: "drafts/secret"}); !errors.As(err, &pe) {
		t.Errorf("drafts/secret: %v", err)
	}
	// Other Admin API routes are not proxied.
	req, _ := http.NewRequest(http.MethodDelete, f.svc.URL+"/v1_1/sandbox/resources/image/upload?prefix=blog", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("DELETE resources through the service: %d", resp.StatusCode)
	}
	if _, err := f.admin.Resource(ctx, cloud.Ref{PublicID: "blog/a"}); err != nil {
		t.Errorf("blog/a is gone: %v", err)
	}
	f.noLeaks(t, tok)
}

func TestSearchesAreCachedAndRateLimitedPerEditor(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, func(c *Config) { c.AdminPerHour = 36 }) // burst 10
	ctx := context.Background()
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	other := f.grant(t, "bob", teamsign.Grant{Folders: []string{"blog"}})
	c, _ := f.editorClient(t, tok)
	before := f.sb.Stats().AdminCalls
	for range 20 {
		if _, err := c.Search(ctx, cloud.SearchQuery{Expression: "tags:x"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.sb.Stats().AdminCalls - before; got != 1 {
		t.Errorf("20 identical searches cost %d Admin API calls, want 1", got)
	}
	var limited *cloud.RateLimitedError
	for i := range 20 {
		_, err := c.Search(ctx, cloud.SearchQuery{Expression: fmt.Sprintf("tags:t%d", i)})
		if errors.As(err, &limited) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if limited == nil || limited.RetryAt.IsZero() || !strings.Contains(limited.Message, "try again in") {
		t.Fatalf("no rate limit after 21 different searches: %+v", limited)
	}
	// The limit is per editor.
	cb, _ := f.editorClient(t, other)
	if _, err := cb.Search(ctx, cloud.SearchQuery{Expression: "tags:y"}); err != nil {
		t.Errorf("another editor is limited too: %v", err)
	}
}

func TestSignedDeliveryURLsWorkOnStrictAccountsInsideTheGrant(t *testing.T) {
	f := newFixture(t, sandbox.Config{StrictDeliverySigning: true}, nil)
	ctx := context.Background()
	if _, err := upload(ctx, f.admin, pngBytes(t, 5), cloud.UploadParams{PublicID: "blog/pic"}); err != nil {
		t.Fatal(err)
	}
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	_, tc := f.editorClient(t, tok)
	link, err := tc.SignURL(ctx, teamsign.SignURLRequest{PublicID: "blog/pic", Transformation: "e_sepia", Format: "png"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(link, "/s--") {
		t.Errorf("%s: %d", link, resp.StatusCode)
	}
	var pe *cloud.PolicyError
	if _, err := tc.SignURL(ctx, teamsign.SignURLRequest{PublicID: "drafts/pic"}); !errors.As(err, &pe) {
		t.Errorf("signing a link outside: %v", err)
	}
}

// The guides' /api/sign shape, as the Upload Widget calls it: the widget
// stamps the params and uploads them itself with the signature.
func TestTheGuidesSignRouteSignsWhatTheWidgetUploads(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	tok := f.grant(t, "ann", teamsign.Grant{Folders: []string{"blog"}})
	post := func(body string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, f.svc.URL+teamsign.PathSeedSign, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.Reveal())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	ts := time.Now().Unix()
	status, out := post(fmt.Sprintf(`{"paramsToSign":{"timestamp":%d,"source":"uw","folder":"blog","tags":["a","b"]}}`, ts))
	if status != http.StatusOK || out["signature"] == "" || out["apiKey"] != "111111111111111" || int64(out["timestamp"].(float64)) != ts {
		t.Fatalf("%d %v", status, out)
	}
	// Upload exactly as the widget does.
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range map[string]string{"timestamp": fmt.Sprint(ts), "source": "uw", "folder": "blog", "tags": "a,b", "api_key": "111111111111111", "signature": out["signature"].(string)} {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", "w.png")
	fw.Write(pngBytes(t, 9))
	w.Close()
	resp, err := http.Post(f.sb.URL()+"/v1_1/sandbox/image/upload", w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"public_id":"blog/`)) {
		t.Fatalf("the widget's upload: %d %s", resp.StatusCode, b)
	}
	// Outside the grant, and a timestamp far from now: refused.
	if status, out := post(`{"paramsToSign":{"folder":"drafts"}}`); status != http.StatusForbidden || out["signature"] != nil {
		t.Errorf("drafts: %d %v", status, out)
	}
	if status, _ := post(fmt.Sprintf(`{"paramsToSign":{"folder":"blog","timestamp":%d}}`, ts+86400*3650)); status != http.StatusForbidden {
		t.Errorf("a timestamp ten years ahead: %d", status)
	}
	// The gallery shows the editor's folder only.
	req, _ := http.NewRequest(http.MethodGet, f.svc.URL+teamsign.PathSeedGallery, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Resources []struct {
			PublicID string `json:"public_id"`
		} `json:"resources"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if len(page.Resources) != 1 || !strings.HasPrefix(page.Resources[0].PublicID, "blog/") {
		t.Errorf("gallery: %+v", page)
	}
	f.noLeaks(t, tok)
}

func TestLogLinesCannotBeForgedThroughThePath(t *testing.T) {
	f := newFixture(t, sandbox.Config{}, nil)
	u := f.svc.URL + "/x%0aINFO%20forged%1b[31m"
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, line := range strings.Split(f.log.String(), "\n") {
		if strings.HasPrefix(line, "INFO forged") || strings.Contains(line, "\x1b") {
			t.Errorf("forged log line: %q", line)
		}
	}
}
