package session

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/transfer"
)

// startSandbox runs a sandbox for one test and returns credentials for it
// as CLOUDINARY_URL would give them.
func startSandbox(t *testing.T) (*sandbox.Server, account.Credentials) {
	t.Helper()
	srv, err := sandbox.Start(context.Background(), sandbox.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	creds, err := account.FromCloudinaryURL(srv.CloudinaryURL())
	if err != nil {
		t.Fatal(err)
	}
	return srv, creds
}

func writeFile(t *testing.T, dir, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitIdle(t *testing.T, e *transfer.Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenUploadsWithTheProfilesFolderTagsAndTemplate(t *testing.T) {
	srv, creds := startSandbox(t)
	creds.Profile.Folder = "trips/2026"
	creds.Profile.Tags = []string{"summer", "beach"}
	creds.Profile.PublicIDTemplate = "{name}"
	creds.Profile.Concurrency = 2
	data := t.TempDir()

	s, err := Open(context.Background(), creds, Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Profile().Name != account.EnvProfileName || s.Client() == nil {
		t.Fatalf("profile %q, client %v", s.Profile().Name, s.Client())
	}
	if got := s.Journal().Path(); filepath.Dir(got) != data {
		t.Errorf("journal at %s, want it in the data dir %s", got, data)
	}

	body := []byte("not really a photo, but bytes all the same")
	sum := md5.Sum(body)
	s.Engine().Add(transfer.Item{Path: writeFile(t, t.TempDir(), "harbour.txt", body)})
	waitIdle(t, s.Engine())

	assets, err := srv.Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) != 1 {
		t.Fatalf("sandbox holds %d assets, want 1", len(assets))
	}
	a := assets[0]
	// A raw file keeps its extension in the public_id, as on Cloudinary.
	if a.PublicID != "trips/2026/harbour.txt" {
		t.Errorf("public_id = %q, want trips/2026/harbour.txt (folder + {name})", a.PublicID)
	}
	if !slices.Equal(a.Tags, []string{"summer", "beach"}) {
		t.Errorf("tags = %v", a.Tags)
	}
	if a.Etag != hex.EncodeToString(sum[:]) {
		t.Errorf("etag %s is not the file's MD5", a.Etag)
	}

	hist, err := s.Journal().History(context.Background(), transfer.HistoryQuery{Profile: account.EnvProfileName})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Outcome != transfer.Done || hist[0].PublicID != a.PublicID {
		t.Errorf("history = %+v", hist)
	}
}

func TestOpenWithoutTheSecretOfASignedProfileSaysHowToStoreOne(t *testing.T) {
	_, creds := startSandbox(t)
	creds.Profile.Name = "work"
	creds.Secret = ""
	_, err := Open(context.Background(), creds, Options{DataDir: t.TempDir()})
	if !errors.Is(err, account.ErrNoSecret) {
		t.Fatalf("err = %v, want ErrNoSecret", err)
	}
	if !strings.Contains(err.Error(), "cloudup-cli login --profile work") {
		t.Errorf("error does not say what to run: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

func TestOpenRefusesAnInvalidProfileAndATooHighConcurrency(t *testing.T) {
	_, creds := startSandbox(t)
	bad := creds
	bad.Profile.PublicIDTemplate = "{nope}"
	if _, err := Open(context.Background(), bad, Options{DataDir: t.TempDir()}); err == nil {
		t.Error("an unknown public_id template placeholder was accepted")
	}
	if _, err := Open(context.Background(), creds, Options{DataDir: t.TempDir(), Concurrency: 500}); err == nil || !strings.Contains(err.Error(), "too high") {
		t.Errorf("concurrency 500: %v", err)
	}
	if _, err := Open(context.Background(), creds, Options{DataDir: t.TempDir(), ChunkSize: 1 << 20}); err == nil {
		t.Error("a 1 MB chunk size was accepted without AllowSmallChunks")
	}
}

func TestSessionsShareOneJournalAndRecordTheirProfile(t *testing.T) {
	_, creds := startSandbox(t)
	data := t.TempDir()
	other := creds
	other.Profile.Name = "second"
	other.Profile.Folder = "other"

	a, err := Open(context.Background(), creds, Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(context.Background(), other, Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if a.Journal() != b.Journal() {
		t.Error("two sessions of one process opened two journal handles")
	}
	dir := t.TempDir()
	a.Engine().Add(transfer.Item{Path: writeFile(t, dir, "a.txt", []byte("first file"))})
	b.Engine().Add(transfer.Item{Path: writeFile(t, dir, "b.txt", []byte("second file"))})
	waitIdle(t, a.Engine())
	waitIdle(t, b.Engine())

	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// b still works on the shared journal after a let go of it.
	all, err := b.Journal().History(context.Background(), transfer.HistoryQuery{})
	if err != nil {
		t.Fatalf("journal closed under the other session: %v", err)
	}
	profiles := map[string]string{}
	for _, h := range all {
		profiles[h.Profile] = h.Folder
	}
	if len(all) != 2 || profiles[account.EnvProfileName] != "" || profiles["second"] != "other" {
		t.Errorf("history = %+v", all)
	}
	if n, err := b.Unfinished(context.Background()); err != nil || n != 0 {
		t.Errorf("Unfinished = %d, %v; want 0", n, err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// After the last session closed, a new one opens the same file afresh.
	c, err := Open(context.Background(), creds, Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hist, err := c.Journal().History(context.Background(), transfer.HistoryQuery{})
	if err != nil || len(hist) != 2 {
		t.Errorf("reopened history: %d rows, %v", len(hist), err)
	}
}

func TestOpenWithEmbeddedSandboxCredentials(t *testing.T) {
	sb := NewSandbox(t.TempDir())
	t.Cleanup(func() { sb.Close() })
	creds, err := sb.Credentials(context.Background(), account.SandboxProfile())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), creds, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := s.Engine().Add(transfer.Item{Path: writeFile(t, t.TempDir(), "note.txt", []byte("hello sandbox"))})[0]
	waitIdle(t, s.Engine())
	st, _ := s.Engine().Item(id)
	if st.State != transfer.Done || st.Asset == nil || st.Asset.SecureURL == "" {
		t.Errorf("item = %s %q (%v)", st.State, st.Words, st.Err)
	}

	// A sandbox profile that never got its server's address fails in words.
	if _, err := Open(context.Background(), account.Credentials{Profile: account.SandboxProfile(), Secret: "x", Source: account.SourceSandbox}, Options{DataDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("sandbox profile without a server: %v", err)
	}
}
