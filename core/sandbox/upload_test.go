package sandbox

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudup/cloudup/core/signing"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestSignedUploadAnswersWithCloudinaryFieldsAndTypes(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	data := jpegBytes(t, 640, 427)
	path := writeFile(t, "beach photo.jpg", data)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before := time.Now().Add(-time.Second)
	res, err := cld.Upload.Upload(context.Background(), f, uploader.UploadParams{
		PublicID:    "demo/beach",
		AssetFolder: "demo",
		Tags:        api.CldAPIArray{"summer", "sea"},
		Context:     api.CldAPIMap{"alt": "A beach", "caption": "Sun & sand"},
		DisplayName: "Beach",
	})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if res.Error.Message != "" {
		t.Fatalf("Upload answered an error: %s", res.Error.Message)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"asset_id is 32 hex", hex32.MatchString(res.AssetID)},
		{"version_id is 32 hex", hex32.MatchString(res.VersionID)},
		{"public_id", res.PublicID == "demo/beach"},
		{"version is a recent unix time", int64(res.Version) >= before.Unix() && int64(res.Version) <= time.Now().Unix()+1},
		{"width", res.Width == 640},
		{"height", res.Height == 427},
		{"format", res.Format == "jpg"},
		{"resource_type", res.ResourceType == "image"},
		{"type", res.Type == "upload"},
		{"bytes", res.Bytes == len(data)},
		{"etag is the MD5 of the bytes", res.Etag == md5hex(data)},
		{"created_at is now", res.CreatedAt.After(before) && res.CreatedAt.Before(time.Now().Add(time.Second))},
		{"tags", strings.Join(res.Tags, ",") == "summer,sea"},
		{"original_filename has no extension", res.OriginalFilename == "beach photo"},
		{"asset_folder", res.AssetFolder == "demo"},
		{"display_name", res.DisplayName == "Beach"},
		{"pages", res.Pages == 1},
		{"url points at the sandbox", strings.HasPrefix(res.URL, s.URL()+"/"+s.Cloud()+"/image/upload/v")},
		{"secure_url too", strings.HasPrefix(res.SecureURL, s.URL())},
		{"signature verifies", signing.VerifyResponse(res.PublicID, int64(res.Version), res.Signature, s.APISecret(), signing.SHA1)},
		{"SDK's own response check", cld.Upload.VerifyApiResponseSignature(res.PublicID, fmt.Sprint(res.Version), res.Signature)},
		{"not overwritten", !res.Overwritten},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong in %+v", c.name, res)
		}
	}
	m := rawOf(res.Response)
	if m["api_key"] != s.APIKey() {
		t.Errorf("api_key = %v, want the account's key", m["api_key"])
	}
	custom := m["context"].(map[string]any)["custom"].(map[string]any)
	if custom["alt"] != "A beach" || custom["caption"] != "Sun & sand" {
		t.Errorf("context = %v, want alt and caption back", custom)
	}
	if m["created_at"] != res.CreatedAt.UTC().Format("2006-01-02T15:04:05Z") {
		t.Errorf("created_at %v is not RFC 3339 in UTC", m["created_at"])
	}
	code, hdr, body := get(t, res.SecureURL)
	if code != 200 || md5hex(body) != md5hex(data) || hdr.Get("Content-Type") != "image/jpeg" {
		t.Errorf("delivery of the original: %d %s, %d bytes (want the uploaded bytes)", code, hdr.Get("Content-Type"), len(body))
	}
}

func TestEveryAnswerCarriesADateHeader(t *testing.T) {
	s := startSandbox(t, Config{})
	for _, u := range []string{s.URL() + "/", s.apiURL("resources/image"), s.URL() + "/" + s.Cloud() + "/image/upload/v1/nothing.jpg"} {
		_, hdr, _ := get(t, u)
		d, err := http.ParseTime(hdr.Get("Date"))
		if err != nil || time.Since(d) > time.Minute {
			t.Errorf("%s: Date header %q is missing or wrong", u, hdr.Get("Date"))
		}
	}
}

func TestOverwriteMakesNewVersionAndOverwriteFalseReturnsExisting(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	first, err := cld.Upload.Upload(ctx, writeFile(t, "a.jpg", jpegBytes(t, 100, 80)), uploader.UploadParams{PublicID: "exactly-once"})
	if err != nil || first.Error.Message != "" {
		t.Fatalf("first upload: %v %s", err, first.Error.Message)
	}
	// A retry with overwrite=false (what a careful client does after a
	// lost answer) gets the stored asset back, unchanged.
	again, err := cld.Upload.Upload(ctx, writeFile(t, "b.jpg", jpegBytes(t, 50, 50)), uploader.UploadParams{PublicID: "exactly-once", Overwrite: api.Bool(false)})
	if err != nil || again.Error.Message != "" {
		t.Fatalf("retry: %v %s", err, again.Error.Message)
	}
	m := rawOf(again.Response)
	if m["existing"] != true || again.AssetID != first.AssetID || again.Version != first.Version || again.Width != 100 {
		t.Errorf("overwrite=false on an existing id: existing=%v asset %s v%d %dpx, want the first upload back", m["existing"], again.AssetID, again.Version, again.Width)
	}
	// The default for signed uploads is to overwrite: same asset, new version.
	third, err := cld.Upload.Upload(ctx, writeFile(t, "c.jpg", jpegBytes(t, 60, 40)), uploader.UploadParams{PublicID: "exactly-once"})
	if err != nil || third.Error.Message != "" {
		t.Fatalf("overwrite: %v %s", err, third.Error.Message)
	}
	if !third.Overwritten || third.AssetID != first.AssetID || third.Version <= first.Version || third.VersionID == first.VersionID || third.Width != 60 {
		t.Errorf("overwrite: overwritten=%v asset %s v%d (first v%d) %dpx, want the same asset in a newer version", third.Overwritten, third.AssetID, third.Version, first.Version, third.Width)
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Errorf("the account holds %d assets after three uploads of one id, want 1", st.Assets)
	}
	_, _, body := get(t, third.SecureURL)
	if md5hex(body) != third.Etag {
		t.Error("delivery serves an old version after an overwrite")
	}
}

func TestPublicIDChoicesFollowCloudinaryRules(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	cases := []struct {
		name   string
		file   string
		params uploader.UploadParams
		want   *regexp.Regexp
	}{
		{"random", "x.jpg", uploader.UploadParams{}, regexp.MustCompile(`^[a-z0-9]{20}$`)},
		{"folder prefix", "x.jpg", uploader.UploadParams{Folder: "trips/2024", PublicID: "day1"}, regexp.MustCompile(`^trips/2024/day1$`)},
		{"use_filename unique", "My Photo.jpg", uploader.UploadParams{UseFilename: api.Bool(true)}, regexp.MustCompile(`^My_Photo_[a-z0-9]{6}$`)},
		{"use_filename exact", "My Photo.jpg", uploader.UploadParams{UseFilename: api.Bool(true), UniqueFilename: api.Bool(false)}, regexp.MustCompile(`^My_Photo$`)},
		{"raw keeps extension", "notes.txt", uploader.UploadParams{ResourceType: "raw", UseFilename: api.Bool(true), UniqueFilename: api.Bool(false)}, regexp.MustCompile(`^notes\.txt$`)},
	}
	for _, c := range cases {
		data := jpegBytes(t, 20, 20)
		if strings.HasSuffix(c.file, ".txt") {
			data = []byte("plain text notes\n")
		}
		res, err := cld.Upload.Upload(ctx, writeFile(t, c.file, data), c.params)
		if err != nil || res.Error.Message != "" {
			t.Errorf("%s: %v %s", c.name, err, res.Error.Message)
			continue
		}
		if !c.want.MatchString(res.PublicID) {
			t.Errorf("%s: public_id %q does not match %s", c.name, res.PublicID, c.want)
		}
	}
}

func TestPathTraversalPublicIDsAreRejected(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	for _, id := range []string{"../etc/passwd", "a/../../b", "/abs/path", "a/./b", `a\b`, "a\x00b", "a//b", "a/", "a?b", "x/..", strings.Repeat("x", 300)} {
		res, err := cld.Upload.Upload(context.Background(), writeFile(t, "p.jpg", jpegBytes(t, 10, 10)), uploader.UploadParams{PublicID: id})
		if err != nil {
			t.Errorf("%q: transport error %v", id, err)
			continue
		}
		if !strings.Contains(res.Error.Message, "Invalid public_id") {
			t.Errorf("public_id %q was accepted (answer %q, public_id %q)", id, res.Error.Message, res.PublicID)
		}
	}
	for _, folder := range []string{"../up", "a/../b"} {
		res, _ := cld.Upload.Upload(context.Background(), writeFile(t, "p.jpg", jpegBytes(t, 10, 10)), uploader.UploadParams{Folder: folder, PublicID: "x"})
		if !strings.Contains(res.Error.Message, "Invalid") {
			t.Errorf("folder %q was accepted: %+v", folder, res)
		}
	}
	if st := s.Stats(); st.Assets != 0 {
		t.Errorf("%d assets stored from rejected uploads", st.Assets)
	}
	entries, _ := os.ReadDir(s.Dir() + "/tmp")
	if len(entries) != 0 {
		t.Errorf("rejected uploads left %d spool files behind", len(entries))
	}
}

func TestRemoteURLAndDataURIUploadsWork(t *testing.T) {
	// The origin is a test server on 127.0.0.1: a private address.
	s := startSandbox(t, Config{AllowPrivateFetch: true})
	cld := sdk(t, s)
	ctx := context.Background()
	img := pngBytes(t, 123, 45)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pics/logo.png" {
			http.NotFound(w, r)
			return
		}
		w.Write(img)
	}))
	defer origin.Close()

	res, err := cld.Upload.Upload(ctx, origin.URL+"/pics/logo.png", uploader.UploadParams{Tags: api.CldAPIArray{"remote"}})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("remote upload: %v %s", err, res.Error.Message)
	}
	if res.Width != 123 || res.Height != 45 || res.Format != "png" || res.Etag != md5hex(img) || res.OriginalFilename != "logo" {
		t.Errorf("remote upload stored %+v, want the 123×45 PNG named logo", res)
	}

	missing, err := cld.Upload.Upload(ctx, origin.URL+"/pics/none.png", uploader.UploadParams{})
	if err != nil || !strings.HasPrefix(missing.Error.Message, "Resource not found - ") {
		t.Errorf("a 404 origin answered %v %q, want Resource not found", err, missing.Error.Message)
	}

	uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
	res, err = cld.Upload.Upload(ctx, uri, uploader.UploadParams{PublicID: "from-data-uri"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("data URI upload: %v %s", err, res.Error.Message)
	}
	if res.Width != 123 || res.Etag != md5hex(img) || res.PublicID != "from-data-uri" {
		t.Errorf("data URI upload stored %+v", res)
	}

	bad, _ := cld.Upload.Upload(ctx, "ftp://example.com/x.png", uploader.UploadParams{})
	if !strings.Contains(bad.Error.Message, "Unsupported source URL") {
		t.Errorf("ftp URL: %q, want Unsupported source URL", bad.Error.Message)
	}
}

func TestURLEncodedBodyWithoutContentTypeIsParsed(t *testing.T) {
	// cloudinary-go sends remote-URL uploads like this; net/http's
	// ParseForm would see no parameters at all.
	s := startSandbox(t, Config{})
	img := pngBytes(t, 8, 8)
	form := signedForm(s, url.Values{"public_id": {"raw-body"}, "tags": {"a,b"}})
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(img))
	code, m := postForm(t, s.apiURL("image/upload"), form)
	if code != 200 || m["public_id"] != "raw-body" || m["etag"] != md5hex(img) {
		t.Fatalf("answer %d %v", code, m)
	}
}

func TestSignatureNegatives(t *testing.T) {
	s := startSandbox(t, Config{})
	ctx := context.Background()
	file := writeFile(t, "n.jpg", jpegBytes(t, 10, 10))

	wrong := sdkWith(t, s, s.APIKey(), "not-the-secret")
	res, err := wrong.Upload.Upload(ctx, file, uploader.UploadParams{PublicID: "x"})
	if err != nil || !strings.HasPrefix(res.Error.Message, "Invalid Signature ") || !strings.Contains(res.Error.Message, "String to sign - 'public_id=x&timestamp=") {
		t.Errorf("wrong secret: %v %q, want 401 Invalid Signature … String to sign", err, res.Error.Message)
	}
	if strings.Contains(res.Error.Message, s.APISecret()) {
		t.Error("the error message contains the secret")
	}

	unknownKey := sdkWith(t, s, "123", s.APISecret())
	res, _ = unknownKey.Upload.Upload(ctx, file, uploader.UploadParams{})
	if res.Error.Message != "Unknown API key 123" {
		t.Errorf("unknown key: %q", res.Error.Message)
	}

	// Tampering: sign one public_id, send another.
	form := signedForm(s, url.Values{"public_id": {"signed"}})
	form.Set("public_id", "tampered")
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4)))
	code, m := postForm(t, s.apiURL("image/upload"), form)
	if code != http.StatusUnauthorized || !strings.HasPrefix(errorMessage(m), "Invalid Signature") {
		t.Errorf("tampered parameter: %d %q, want 401 Invalid Signature", code, errorMessage(m))
	}

	stale := time.Now().Add(-2 * time.Hour)
	form = signedForm(s, url.Values{"public_id": {"old"}, "timestamp": {fmt.Sprint(stale.Unix())}})
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4)))
	code, m = postForm(t, s.apiURL("image/upload"), form)
	want := "Stale request - reported time is " + stale.UTC().Format("2006-01-02 15:04:05 +0000") + " which is more than 1 hour ago"
	if code != http.StatusBadRequest || errorMessage(m) != want {
		t.Errorf("stale: %d %q, want 400 %q", code, errorMessage(m), want)
	}

	// SHA-256 signatures (64 hex digits) are accepted like SHA-1 ones.
	p := url.Values{"public_id": {"sha256"}, "timestamp": {fmt.Sprint(time.Now().Unix())}}
	p.Set("signature", signing.Sign(p, s.APISecret(), signing.SHA256))
	p.Set("api_key", s.APIKey())
	p.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4)))
	if code, m := postForm(t, s.apiURL("image/upload"), p); code != 200 {
		t.Errorf("SHA-256 signature: %d %v", code, m)
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Errorf("%d assets stored, want only the SHA-256 one", st.Assets)
	}
}

func TestUnsignedUploadsNeedAnUnsignedPreset(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	ctx := context.Background()
	if _, err := cld.Admin.CreateUploadPreset(ctx, admin.CreateUploadPresetParams{Name: "open", Unsigned: api.Bool(true), UploadParams: uploader.UploadParams{Folder: "inbox", Tags: api.CldAPIArray{"from-preset"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cld.Admin.CreateUploadPreset(ctx, admin.CreateUploadPresetParams{Name: "closed", UploadParams: uploader.UploadParams{Folder: "signed-only"}}); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "u.jpg", jpegBytes(t, 30, 20))

	res, err := cld.Upload.UnsignedUpload(ctx, file, "open", uploader.UploadParams{PublicID: "guest"})
	if err != nil || res.Error.Message != "" {
		t.Fatalf("unsigned upload: %v %s", err, res.Error.Message)
	}
	if res.PublicID != "inbox/guest" || strings.Join(res.Tags, ",") != "from-preset" {
		t.Errorf("the preset's folder and tags were not applied: %s %v", res.PublicID, res.Tags)
	}
	m := rawOf(res.Response)
	if _, has := m["api_key"]; !has {
		t.Error("unsigned answer lacks api_key")
	}

	// Unsigned uploads never overwrite.
	again, _ := cld.Upload.UnsignedUpload(ctx, file, "open", uploader.UploadParams{PublicID: "guest"})
	if again.AssetID != res.AssetID || again.Version != res.Version {
		t.Errorf("an unsigned upload replaced an existing asset: %+v", again)
	}

	cases := []struct {
		name   string
		preset string
		params uploader.UploadParams
		want   string
	}{
		{"no preset", "", uploader.UploadParams{}, "Upload preset must be specified when using unsigned upload"},
		{"unknown preset", "nope", uploader.UploadParams{}, "Upload preset not found"},
		{"signed-only preset", "closed", uploader.UploadParams{}, "Upload preset must be whitelisted for unsigned uploads"},
		{"forbidden parameter", "open", uploader.UploadParams{Overwrite: api.Bool(true)}, "overwrite parameter is not allowed when using unsigned upload. Only upload_preset,"},
	}
	for _, c := range cases {
		res, err := cld.Upload.UnsignedUpload(ctx, file, c.preset, c.params)
		if err != nil || !strings.HasPrefix(res.Error.Message, c.want) {
			t.Errorf("%s: %v %q, want %q", c.name, err, res.Error.Message, c.want)
		}
	}
	// A signed upload may name any preset.
	signed, err := cld.Upload.Upload(ctx, file, uploader.UploadParams{UploadPreset: "closed", PublicID: "staff"})
	if err != nil || signed.PublicID != "signed-only/staff" {
		t.Errorf("signed upload with a signed preset: %v %+v", err, signed)
	}
}

func TestFileSizeLimitsUseCloudinaryMessages(t *testing.T) {
	big := noisyJPEG(t, 160, 160)
	s := startSandbox(t, Config{Limits: Limits{MaxImageBytes: int64(len(big) / 2), MaxRequestBytes: int64(len(big) * 2)}})
	cld := sdk(t, s)
	ctx := context.Background()
	res, err := cld.Upload.Upload(ctx, writeFile(t, "big.jpg", big), uploader.UploadParams{})
	want := fmt.Sprintf("File size too large. Got %d. Maximum is %d.", len(big), len(big)/2)
	if err != nil || res.Error.Message != want {
		t.Errorf("over the image limit: %v %q, want %q", err, res.Error.Message, want)
	}
	// One request over the request limit must be chunked instead; the
	// answer comes before the body is read to the end.
	huge := make([]byte, len(big)*10)
	res, err = cld.Upload.Upload(ctx, writeFile(t, "huge.bin", huge), uploader.UploadParams{ResourceType: "raw"})
	if err != nil || !strings.HasPrefix(res.Error.Message, "File size too large.") || !strings.Contains(res.Error.Message, fmt.Sprintf("Maximum is %d", len(big)*2)) || !strings.Contains(res.Error.Message, "chunks") {
		t.Errorf("over the request limit: %v %q", err, res.Error.Message)
	}
	if st := s.Stats(); st.Assets != 0 {
		t.Errorf("%d oversize files were stored", st.Assets)
	}
}

func TestWrongResourceTypeIsRejected(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	res, err := cld.Upload.Upload(context.Background(), writeFile(t, "t.txt", []byte("not an image")), uploader.UploadParams{ResourceType: "image"})
	if err != nil || res.Error.Message != "Invalid image file" {
		t.Errorf("text as image: %v %q", err, res.Error.Message)
	}
	res, _ = cld.Upload.Upload(context.Background(), writeFile(t, "t.txt", []byte("not a video")), uploader.UploadParams{ResourceType: "video"})
	if res.Error.Message != "Unsupported video format or file" {
		t.Errorf("text as video: %q", res.Error.Message)
	}
	res, _ = cld.Upload.Upload(context.Background(), writeFile(t, "t.jpg", jpegBytes(t, 10, 10)), uploader.UploadParams{AllowedFormats: api.CldAPIArray{"png", "gif"}})
	if res.Error.Message != "Image file format jpg not allowed" {
		t.Errorf("allowed_formats: %q", res.Error.Message)
	}
}

func TestMissingFileIsReported(t *testing.T) {
	s := startSandbox(t, Config{})
	code, m := postForm(t, s.apiURL("image/upload"), signedForm(s, url.Values{"public_id": {"nothing"}}))
	if code != 400 || errorMessage(m) != "Missing required parameter - file" {
		t.Errorf("%d %q", code, errorMessage(m))
	}
}

func TestAccountSurvivesRestartWithSameCredentials(t *testing.T) {
	dir := t.TempDir()
	s1, err := Start(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sdk(t, s1).Upload.Upload(context.Background(), writeFile(t, "r.jpg", jpegBytes(t, 33, 22)), uploader.UploadParams{PublicID: "keeps"})
	if err != nil || res.Error.Message != "" {
		t.Fatal(err, res.Error.Message)
	}
	key, secret := s1.APIKey(), s1.APISecret()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := startSandbox(t, Config{Dir: dir})
	if s2.APIKey() != key || s2.APISecret() != secret {
		t.Error("a restarted sandbox has new credentials; clients configured before would break")
	}
	got, err := sdk(t, s2).Admin.Asset(context.Background(), admin.AssetParams{PublicID: "keeps"})
	if err != nil || got.AssetID != res.AssetID || got.Width != 33 {
		t.Fatalf("after restart: %v %+v", err, got)
	}
	code, _, body := get(t, strings.Replace(res.URL, s1.URL(), s2.URL(), 1))
	if code != 200 || md5hex(body) != res.Etag {
		t.Errorf("the original is not served after a restart: %d", code)
	}
}

func TestConcurrentUploadsOfOneIDStoreOneAsset(t *testing.T) {
	s := startSandbox(t, Config{})
	cld := sdk(t, s)
	file := writeFile(t, "c.jpg", jpegBytes(t, 40, 40))
	const n = 12
	ids := make(chan string, 2*n)
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			res, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: "contended", Overwrite: api.Bool(false)})
			if err == nil && res.Error.Message != "" {
				err = errors.New(res.Error.Message)
			}
			if err != nil {
				errs <- err
				return
			}
			ids <- res.AssetID
		}()
		go func(i int) {
			defer wg.Done()
			res, err := cld.Upload.Upload(context.Background(), file, uploader.UploadParams{PublicID: fmt.Sprint("many/", i)})
			if err == nil && res.Error.Message != "" {
				err = errors.New(res.Error.Message)
			}
			if err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("concurrent upload failed: %v", err)
	}
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Errorf("concurrent uploads of one public_id made two assets: %s and %s", first, id)
		}
	}
	if st := s.Stats(); st.Assets != n+1 {
		t.Errorf("%d assets, want %d", st.Assets, n+1)
	}
	blobs, _ := filepath.Glob(filepath.Join(s.Dir(), "blobs", "*", "*"))
	if len(blobs) != n+1 {
		t.Errorf("%d files in the blob store for %d assets: losers' copies must be removed", len(blobs), n+1)
	}
}

func TestClockSkewShowsInDateAndStaleChecks(t *testing.T) {
	// The server's clock is two hours ahead: a client with a correct
	// clock is "stale" until it corrects its timestamps from Date.
	s := startSandbox(t, Config{ClockSkew: 2 * time.Hour})
	form := signedForm(s, url.Values{"public_id": {"skewed"}})
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4)))
	req, _ := http.NewRequest(http.MethodPost, s.apiURL("image/upload"), strings.NewReader(form.Encode()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJSON(t, resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(errorMessage(m), "Stale request") {
		t.Fatalf("answer %v, want stale", m)
	}
	serverNow, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || serverNow.Sub(time.Now()) < 119*time.Minute {
		t.Fatalf("Date %q does not show the skew", resp.Header.Get("Date"))
	}
	// Sign again with the server's time: accepted.
	form = signedForm(s, url.Values{"public_id": {"skewed"}, "timestamp": {fmt.Sprint(serverNow.Unix())}})
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4)))
	if code, m := postForm(t, s.apiURL("image/upload"), form); code != 200 {
		t.Errorf("corrected timestamp: %d %v", code, m)
	}
}

// TestSignatureVersionOneOnlyWithTheCompatibilityOption signs a value
// holding "&" both ways: version 2 escapes it as %26 in the string to
// sign, version 1 (SDKs before June 2025) leaves it raw. Version 1 is
// refused unless Config.AllowV1Signatures lets old clients in, because it
// lets parameters be merged that nobody signed. Either algorithm.
func TestSignatureVersionOneOnlyWithTheCompatibilityOption(t *testing.T) {
	for _, allowV1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("AllowV1Signatures=%v", allowV1), func(t *testing.T) {
			s := startSandbox(t, Config{AllowV1Signatures: allowV1})
			file := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes(t, 4, 4))
			digest := func(algo signing.Algorithm, text string) string {
				if algo == signing.SHA256 {
					sum := sha256.Sum256([]byte(text + s.APISecret()))
					return hex.EncodeToString(sum[:])
				}
				sum := sha1.Sum([]byte(text + s.APISecret()))
				return hex.EncodeToString(sum[:])
			}
			cases := []struct {
				name    string
				algo    signing.Algorithm
				version int
				ok      bool
			}{
				{"v2 SHA-1", signing.SHA1, 2, true},
				{"v1 SHA-1", signing.SHA1, 1, allowV1},
				{"v2 SHA-256", signing.SHA256, 2, true},
				{"v1 SHA-256", signing.SHA256, 1, allowV1},
				{"v3 (unknown) SHA-1", signing.SHA1, 3, false},
			}
			for i, c := range cases {
				p := url.Values{
					"public_id":    {fmt.Sprint("versions/", i)},
					"display_name": {"Salt & Pepper"},
					"timestamp":    {fmt.Sprint(time.Now().Unix())},
				}
				toSign := signing.StringToSign(p, 2)
				switch c.version {
				case 1:
					toSign = signing.StringToSign(p, 1)
				case 3:
					toSign = strings.ReplaceAll(toSign, "%26", "%2526")
				}
				if c.version == 1 && toSign == signing.StringToSign(p, 2) {
					t.Fatal("the test value must sign differently in versions 1 and 2")
				}
				p.Set("signature", digest(c.algo, toSign))
				p.Set("api_key", s.APIKey())
				p.Set("file", file)
				code, m := postForm(t, s.apiURL("image/upload"), p)
				if c.ok && (code != 200 || m["display_name"] != "Salt & Pepper") {
					t.Errorf("%s: %d %q, want accepted", c.name, code, errorMessage(m))
				}
				if !c.ok && (code != http.StatusUnauthorized || !strings.HasPrefix(errorMessage(m), "Invalid Signature")) {
					t.Errorf("%s: %d %q, want 401 Invalid Signature", c.name, code, errorMessage(m))
				}
			}
		})
	}
}
