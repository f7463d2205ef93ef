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
	// Again: nothing added.
	if err := s.SeedSamples(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Assets != len(files) {
		t.Errorf("a second SeedSamples changed the count to %d", st.Assets)
	}
}

// sampleVersions maps each stored sample's public_id to its asset and
// version ids, to tell "left alone" from "stored again".
func sampleVersions(t *testing.T, s *Server) map[string]string {
	t.Helper()
	all, err := s.Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range all {
		if _, dup := out[a.PublicID]; dup {
			t.Errorf("%s is stored twice", a.PublicID)
		}
		out[a.PublicID] = a.AssetID + "/" + a.VersionID
	}
	return out
}

// TestSeedSamplesAtEveryStartKeepsOneCopyAndTheSecret is how the app uses
// the sandbox: Start and SeedSamples on the same Dir at every launch.
func TestSeedSamplesAtEveryStartKeepsOneCopyAndTheSecret(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	launch := func() *Server {
		s, err := Start(ctx, Config{Dir: dir, Logf: testLogf(t)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SeedSamples(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := launch()
	key, secret, url := s.APIKey(), s.APISecret(), s.CloudinaryURL()
	first := sampleVersions(t, s)
	if len(first) < 4 {
		t.Fatalf("%d samples after the first launch", len(first))
	}
	// The user deletes one sample; it must not come back at the next launch.
	res, err := sdk(t, s).Upload.Destroy(ctx, uploader.DestroyParams{PublicID: "samples/city-night"})
	if err != nil || res.Result != "ok" {
		t.Fatalf("destroy: %v %+v", err, res)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = launch()
	if s.APIKey() != key || s.APISecret() != secret {
		t.Error("a second launch on the same Dir has new credentials: every configured client would break")
	}
	if u := s.CloudinaryURL(); u[:strings.Index(u, "?")] != url[:strings.Index(url, "?")] {
		t.Error("the CLOUDINARY_URL changed beyond its port")
	}
	again := sampleVersions(t, s)
	if _, back := again["samples/city-night"]; back {
		t.Error("a sample the user deleted came back at the next launch")
	}
	delete(first, "samples/city-night")
	if len(again) != len(first) {
		t.Errorf("%d samples after the second launch, want %d", len(again), len(first))
	}
	for id, v := range first {
		if again[id] != v {
			t.Errorf("%s was stored again (%s, was %s)", id, again[id], v)
		}
	}
	// An emptied library stays empty too.
	for id := range again {
		if _, err := s.store.remove(ctx, "image", "upload", []string{id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = launch()
	defer s.Close()
	if n := len(sampleVersions(t, s)); n != 0 {
		t.Errorf("the user deleted every sample and the next launch put %d back", n)
	}
}

func TestSeedSamplesFinishesARunThatWasCutShort(t *testing.T) {
	s := startSandbox(t, Config{})
	ctx := context.Background()
	if err := s.SeedSamples(ctx); err != nil {
		t.Fatal(err)
	}
	full := sampleVersions(t, s)
	// What a run stopped halfway leaves: some samples, and no record that
	// seeding finished.
	if _, err := s.store.db.Exec(`DELETE FROM settings WHERE key = ?`, samplesSeededKey); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.remove(ctx, "image", "upload", []string{"samples/ocean-beach", "samples/studio-ball"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedSamples(ctx); err != nil {
		t.Fatal(err)
	}
	got := sampleVersions(t, s)
	if len(got) != len(full) {
		t.Fatalf("%d samples after finishing the run, want %d", len(got), len(full))
	}
	for id, v := range full {
		switch id {
		case "samples/ocean-beach", "samples/studio-ball":
			if got[id] == "" {
				t.Errorf("%s is still missing", id)
			}
		default:
			if got[id] != v {
				t.Errorf("%s, stored before the cut, was stored again", id)
			}
		}
	}
}

func TestConcurrentSeedSamplesStoreEachSampleOnce(t *testing.T) {
	s := startSandbox(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.SeedSamples(context.Background())
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	files, _ := fs.Glob(assets.Samples, "samples/*.jpg")
	if got := sampleVersions(t, s); len(got) != len(files) {
		t.Errorf("%d samples stored by four concurrent calls, want %d", len(got), len(files))
	}
}

func TestSeedSamplesAfterCloseSaysSo(t *testing.T) {
	s, err := Start(context.Background(), Config{Dir: t.TempDir(), Logf: testLogf(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SeedSamples(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("SeedSamples on a closed sandbox: %v", err)
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
