package ui

import (
	"context"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/sandbox"
	"github.com/cloudup/cloudup/core/sandbox/sandboxtest"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/teamsign"
)

// withTeam stores a team profile whose signing service (real, over HTTP)
// signs for a sandbox account, and the editor's token in the keychain.
func withTeam(t *testing.T, g teamsign.Grant) (func(*fixture), *sandbox.Server) {
	t.Helper()
	sb := sandboxtest.Start(t, sandbox.Config{})
	st, err := signer.OpenStore(context.Background(), filepath.Join(t.TempDir(), "signer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := signer.New(signer.Config{Store: st, Account: signer.Account{Cloud: sb.Cloud(), APIKey: sb.APIKey(), Secret: cloud.Secret(sb.APISecret()), APIBase: sb.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	tok, err := st.Grant(context.Background(), "ann", g, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return func(fx *fixture) {
		if err := fx.store.Put(account.Profile{Name: "Team", Mode: account.Team, Signer: srv.URL, Folder: g.Folders[0]}); err != nil {
			t.Fatal(err)
		}
		if err := fx.keys.Set(context.Background(), "Team", keychain.Secret(tok.Reveal())); err != nil {
			t.Fatal(err)
		}
	}, sb
}

func TestWindowOnATeamProfileUploadsAndSaysWhatTheEditorMayDo(t *testing.T) {
	setup, sb := withTeam(t, teamsign.Grant{Folders: []string{"blog", "news"}, CanEdit: true})
	paths := samplePaths(t, 2)
	fx := newFixture(t, func(fx *fixture) { setup(fx); fx.inputs = paths })
	waitUploaded(t, fx)
	fx.settle()

	if got := fx.win.summary.Text; !strings.Contains(got, "signed by the team's signing service") || !strings.Contains(got, "token in the system keychain") {
		t.Errorf("summary %q", got)
	}
	if b := fx.win.Session().Engine().Batch(); b.Done != 2 {
		t.Fatalf("batch %+v", b)
	}
	assets, err := sb.Assets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inBlog := 0
	for _, a := range assets {
		if strings.HasPrefix(a.PublicID, "blog/") {
			inBlog++
		}
	}
	if inBlog != 2 {
		t.Errorf("%d of 2 uploads are in blog/", inBlog)
	}
	o := fx.win.overview
	if got := o.rows["You are"].Text; got != "ann, on cloud "+sb.Cloud() {
		t.Errorf("You are: %q", got)
	}
	if got := o.rows["You may"].Text; !strings.HasPrefix(got, "upload to blog/ and news/") || !strings.Contains(got, "not delete") {
		t.Errorf("You may: %q", got)
	}
	if n := len(o.details.Items); n != len(overviewRows)+len(teamRows) {
		t.Errorf("the Account tab has %d rows", n)
	}
	fx.win.Tabs.Select(fx.win.Tabs.Items[len(fx.win.Tabs.Items)-1])
	fx.settle()
	// Addresses and keys change every run: a screenshot for people, not a
	// golden image.
	saveCapture(t, fx.win.Window.Canvas().Capture(), "account_team.png")
}

func saveCapture(t *testing.T, img image.Image, name string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.ArtifactDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestWindowOnATeamProfileSaysWhyAnUploadOutsideTheGrantWasRefused(t *testing.T) {
	setup, _ := withTeam(t, teamsign.Grant{Folders: []string{"blog"}})
	paths := samplePaths(t, 1)
	fx := newFixture(t, func(fx *fixture) {
		setup(fx)
		p, _ := fx.store.Get("Team")
		p.Folder = "drafts"
		fx.store.Put(p)
		fx.inputs = paths
	})
	deadline := time.Now().Add(30 * time.Second)
	for fx.win.Session() == nil || fx.win.Session().Engine().Batch().Failed == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the upload outside the grant did not fail")
		}
		fx.settle()
	}
	row := fx.win.upload.Row(0)
	if row.Err == nil || !strings.Contains(row.Err.Error(), "You may upload to blog/ only; ask the account owner for access to drafts/.") {
		t.Errorf("row error: %v", row.Err)
	}
}
