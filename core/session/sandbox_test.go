package session

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cloudup/cloudup/assets"
	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
)

func TestEmbeddedSandboxStartsOnLoopbackWithTheSamplesAndSignedCredentials(t *testing.T) {
	ctx := context.Background()
	sb := NewSandbox(t.TempDir())
	t.Cleanup(func() { sb.Close() })
	if sb.Running() {
		t.Fatal("the sandbox runs before anyone asked for it")
	}

	p := account.SandboxProfile()
	p.Folder, p.Tags = "trips", []string{"summer"}
	creds, err := sb.Credentials(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Source != account.SourceSandbox || creds.Secret.IsZero() || creds.Profile.APIKey == "" || creds.Profile.Cloud == "" {
		t.Fatalf("credentials = %+v (secret set: %v)", creds.Profile, !creds.Secret.IsZero())
	}
	if !creds.Profile.Sandbox || creds.Profile.Name != account.SandboxName || creds.Profile.Folder != "trips" || len(creds.Profile.Tags) != 1 {
		t.Errorf("the profile's own defaults were lost: %+v", creds.Profile)
	}
	base, err := url.Parse(creds.Profile.APIBase)
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(base.Host); host != "127.0.0.1" {
		t.Errorf("API base %q is not on loopback", creds.Profile.APIBase)
	}
	if err := creds.RequireSecret(); err != nil {
		t.Errorf("RequireSecret: %v", err)
	}

	// The credentials really work: a signed search through our client finds
	// every bundled sample photo.
	client, err := cloud.New(cloud.Config{
		Cloud: creds.Profile.Cloud, APIKey: creds.Profile.APIKey, Secret: cloud.Secret(creds.Secret.Reveal()),
		Algorithm: creds.Profile.Algorithm, APIBase: creds.Profile.APIBase,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Search(ctx, cloud.SearchQuery{Expression: "folder=samples", MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := fs.ReadDir(assets.Samples, "samples")
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalCount != len(samples) || len(samples) == 0 {
		t.Errorf("search found %d assets in samples/, want the %d bundled photos", res.TotalCount, len(samples))
	}
}

func TestEmbeddedSandboxStartsOnceForConcurrentCallers(t *testing.T) {
	sb := NewSandbox(t.TempDir())
	t.Cleanup(func() { sb.Close() })
	var wg sync.WaitGroup
	bases := make([]string, 4)
	for i := range bases {
		wg.Go(func() {
			c, err := sb.Credentials(context.Background(), account.SandboxProfile())
			if err != nil {
				t.Error(err)
				return
			}
			bases[i] = c.Profile.APIBase
		})
	}
	wg.Wait()
	for _, b := range bases[1:] {
		if b != bases[0] {
			t.Fatalf("callers got different servers: %v", bases)
		}
	}
}

func TestEmbeddedSandboxStopsOnCloseAndKeepsItsAccountForTheNextStart(t *testing.T) {
	dir := t.TempDir()
	sb := NewSandbox(dir)
	first, err := sb.Credentials(context.Background(), account.SandboxProfile())
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(sb.URL(), "http://")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
	if _, err := sb.Credentials(context.Background(), account.SandboxProfile()); !errors.Is(err, ErrSandboxClosed) {
		t.Errorf("Credentials after Close: %v, want ErrSandboxClosed", err)
	}

	again := NewSandbox(dir)
	t.Cleanup(func() { again.Close() })
	second, err := again.Credentials(context.Background(), account.SandboxProfile())
	if err != nil {
		t.Fatal(err)
	}
	if second.Profile.APIKey != first.Profile.APIKey || second.Secret.Reveal() != first.Secret.Reveal() {
		t.Error("a restart in the same directory made a new account")
	}
}

// Links copied from the embedded sandbox survive a restart: it comes back
// on the port its folder remembers, and says so when that port is taken.
func TestEmbeddedSandboxKeepsItsPortAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	start := func() (*Sandbox, string) {
		sb := NewSandbox(dir)
		if _, err := sb.Credentials(ctx, account.SandboxProfile()); err != nil {
			t.Fatal(err)
		}
		return sb, sb.URL()
	}
	sb, first := start()
	if sb.Notice() != "" {
		t.Errorf("first start notice %q", sb.Notice())
	}
	sb.Close()
	sb, again := start()
	if again != first || sb.Notice() != "" {
		t.Fatalf("restarted at %s (was %s), notice %q", again, first, sb.Notice())
	}
	sb.Close()

	// Another program takes the port meanwhile.
	u, _ := url.Parse(first)
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	sb, moved := start()
	_, port, _ := net.SplitHostPort(u.Host)
	if moved == first || !strings.Contains(sb.Notice(), "port "+port+" is taken") {
		t.Fatalf("with the port taken: %s, notice %q", moved, sb.Notice())
	}
	sb.Close()
	ln.Close()
	sb, back := start()
	defer sb.Close()
	if back != first {
		t.Fatalf("once free again it runs at %s, want %s", back, first)
	}
}
