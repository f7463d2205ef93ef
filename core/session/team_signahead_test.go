package session

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/core/transfer"
)

// A batch through a team profile is signed ahead in a few large requests
// to the service, not one per upload, and every file lands once, under the
// editor's folder, with the public_id the signature covered.
func TestTeamBatchIsSignedAheadInAFewRequests(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Config{Dir: t.TempDir(), Latency: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	store, err := signer.OpenStore(context.Background(), filepath.Join(t.TempDir(), "signer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc, err := signer.New(signer.Config{Store: store, Account: signer.Account{Cloud: sb.Cloud(), APIKey: sb.APIKey(), Secret: teamSecret(sb), APIBase: sb.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	var signRequests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == teamsign.PathSign {
			signRequests.Add(1)
		}
		time.Sleep(10 * time.Millisecond)
		svc.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tok, err := store.Grant(context.Background(), "ed", teamsign.Grant{Folders: []string{"team"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	creds := account.Credentials{
		Profile: account.Profile{Name: "team", Mode: account.Team, Signer: srv.URL, Folder: "team"}.Normalized(),
		Secret:  keychain.Secret(tok.Reveal()), Source: account.SourceKeychain,
	}
	dir := t.TempDir()
	const n = 60
	items := make([]transfer.Item, n)
	for i := range items {
		p := filepath.Join(dir, fmt.Sprintf("note-%02d.txt", i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("note %d, with its own bytes", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		items[i] = transfer.Item{Path: p}
	}
	s, err := Open(context.Background(), creds, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	signRequests.Store(0)
	s.Engine().Add(items...)
	waitIdle(t, s.Engine())
	snap := s.Engine().Snapshot()
	if snap.Batch.Done != n {
		for _, it := range snap.Items {
			if it.State != transfer.Done {
				t.Logf("%s: %s", it.Name, it.Words)
			}
		}
		t.Fatalf("%d of %d done", snap.Batch.Done, n)
	}
	assets, err := sb.Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, a := range assets {
		if filepath.Dir(a.PublicID) == "team" {
			got++
		}
	}
	if got != n {
		t.Errorf("%d assets under team/, want %d", got, n)
	}
	for _, it := range snap.Items {
		if it.Asset == nil || it.Asset.PublicID != "team/"+it.PublicID {
			t.Errorf("%s: stored as %+v, planned team/%s", it.Name, it.Asset, it.PublicID)
			break
		}
	}
	// Without signing ahead, every round of uploads in flight waits for a
	// request of its own (20 to 34 of them for 60 files, measured); with it,
	// 3 to 7: the first uploads start before the first batch is back.
	t.Logf("%d sign requests for %d uploads", signRequests.Load(), n)
	if r := signRequests.Load(); r > 10 {
		t.Errorf("%d sign requests to the service for %d uploads; want a few large batches", r, n)
	}
}
