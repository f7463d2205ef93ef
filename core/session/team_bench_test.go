package session

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/core/transfer"
)

// benchLatency is the simulated one-way-and-back delay of every answer,
// from the sandbox and from the signing service alike.
const benchLatency = 40 * time.Millisecond

// noisyJPEGs writes n different JPEGs of about 70 kB.
func noisyJPEGs(b *testing.B, dir string, n int) []string {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 9))
	var paths []string
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 200, 200))
		for p := range img.Pix {
			img.Pix[p] = uint8(rng.IntN(256))
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
		p := filepath.Join(dir, fmt.Sprintf("photo-%03d.jpg", i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func uploadAll(b *testing.B, creds account.Credentials, paths []string) time.Duration {
	b.Helper()
	s, err := Open(context.Background(), creds, Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	items := make([]transfer.Item, len(paths))
	for i, p := range paths {
		items[i] = transfer.Item{Path: p}
	}
	start := time.Now()
	s.Engine().Add(items...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := s.Engine().Wait(ctx); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	if st := s.Engine().Batch(); st.Done != len(paths) {
		b.Fatalf("%d of %d uploaded (%+v)", st.Done, len(paths), st)
	}
	return took
}

// BenchmarkTeamSigningOverhead uploads the same 100 small JPEGs with the
// secret held here and through a team signing service on the same
// simulated 40 ms link, and reports how much longer the team profile took
// (target: at most 10 %).
func BenchmarkTeamSigningOverhead(b *testing.B) {
	sb, err := sandbox.Start(context.Background(), sandbox.Config{Dir: b.TempDir(), Latency: benchLatency, Limits: sandbox.NoLimits()})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	store, err := signer.OpenStore(context.Background(), filepath.Join(b.TempDir(), "signer.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc, err := signer.New(signer.Config{Store: store, Account: signer.Account{Cloud: sb.Cloud(), APIKey: sb.APIKey(), Secret: teamSecret(sb), APIBase: sb.URL()}})
	if err != nil {
		b.Fatal(err)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(benchLatency)
		svc.ServeHTTP(w, r)
	}))
	defer slow.Close()

	paths := noisyJPEGs(b, b.TempDir(), 100)
	local, err := account.FromCloudinaryURL(sb.CloudinaryURL())
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		local.Profile.Folder = fmt.Sprintf("local%d", i)
		localTook := uploadAll(b, local, paths)

		tok, err := store.Grant(context.Background(), "bench", teamsign.Grant{Folders: []string{fmt.Sprintf("team%d", i)}}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		team := account.Credentials{
			Profile: account.Profile{Name: "team", Mode: account.Team, Signer: slow.URL, Folder: fmt.Sprintf("team%d", i)}.Normalized(),
			Secret:  keychain.Secret(tok.Reveal()), Source: account.SourceKeychain,
		}
		teamTook := uploadAll(b, team, paths)
		b.ReportMetric(localTook.Seconds(), "local-s")
		b.ReportMetric(teamTook.Seconds(), "team-s")
		b.ReportMetric(teamTook.Seconds()/localTook.Seconds(), "team/local")
	}
}

func teamSecret(sb *sandbox.Server) cloud.Secret { return cloud.Secret(sb.APISecret()) }
