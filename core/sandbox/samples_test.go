package sandbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cloudinary/cloudinary-go/v2/api/admin/search"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudup/cloudup/assets"
)

func TestSeedSamplesFillsAnEmptyAccountOnce(t *testing.T) {
	dir := t.TempDir()
	s := startSandbox(t, Config{Dir: dir})
	ctx := context.Background()
	if err := s.SeedSamples(ctx); err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(assets.Samples, "samples/*.jpg")
	if len(files) < 4 || len(files) > 6 {
		t.Fatalf("%d bundled samples, want 4-6", len(files))
	}
	for _, f := range files {
		info, _ := fs.Stat(assets.Samples, f)
		if info.Size() > 300_000 {
			t.Errorf("%s is %d bytes; samples must stay well under 300 KB", f, info.Size())
		}
	}
	found, err := sdk(t, s).Admin.Search(ctx, search.Query{Expression: "folder:samples AND tags:sample", WithField: []string{"context"}, MaxResults: 50})
	if err != nil || found.TotalCount != len(files) {
		t.Fatalf("search for samples: %v %d, want %d", err, found.TotalCount, len(files))
	}
	for _, a := range found.Assets {
		if a.Width < 800 || a.Width > 1600 || a.Format != "jpg" || a.Context["alt"] == "" {
			t.Errorf("sample %s: %dx%d %s alt %q", a.PublicID, a.Width, a.Height, a.Format, a.Context["alt"])
		}
		code, _, body := get(t, a.SecureURL)
		if code != 200 || len(body) != a.Bytes {
			t.Errorf("sample %s not delivered: %d", a.PublicID, code)
		}
	}
	// Again, and after a restart: nothing added.
	if err := s.SeedSamples(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Assets != len(files) {
		t.Errorf("a second SeedSamples changed the count to %d", st.Assets)
	}
}

func TestSeedSamplesLeavesAUsedAccountAlone(t *testing.T) {
	s := startSandbox(t, Config{})
	seed(t, s, "mine/", 1)
	if err := s.SeedSamples(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Assets != 1 {
		t.Errorf("samples were added to an account with assets: %d", st.Assets)
	}
}

func TestSecretNeverAppearsInLogsOrErrors(t *testing.T) {
	var mu sync.Mutex
	var log strings.Builder
	s := startSandbox(t, Config{Logf: func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(&log, format+"\n", args...)
		mu.Unlock()
	}})
	secret := s.APISecret()
	ctx := context.Background()
	cld := sdk(t, s)
	var answers []string
	res, _ := cld.Upload.Upload(ctx, writeFile(t, "a.jpg", jpegBytes(t, 10, 10)), uploader.UploadParams{PublicID: "x"})
	answers = append(answers, fmt.Sprint(res.Response))
	bad, _ := sdkWith(t, s, s.APIKey(), secret+"x").Upload.Upload(ctx, writeFile(t, "a.jpg", jpegBytes(t, 10, 10)), uploader.UploadParams{})
	answers = append(answers, bad.Error.Message)
	form := signedForm(s, url.Values{"public_id": {"../x"}})
	form.Set("file", "data:image/png;base64,"+base64.StdEncoding.EncodeToString(pngBytes(t, 2, 2)))
	_, m := postForm(t, s.apiURL("image/upload"), form)
	answers = append(answers, errorMessage(m))
	_, _, body := get(t, s.URL()+"/"+s.Cloud()+"/image/upload/s--AAAAAAAA--/e_sepia/v1/x.jpg")
	answers = append(answers, string(body))
	for _, a := range answers {
		if strings.Contains(a, secret) {
			t.Errorf("an answer contains the secret: %q", a)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if log.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	if strings.Contains(log.String(), secret) {
		t.Error("the request log contains the secret")
	}
}
