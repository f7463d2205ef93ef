package settings

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/teamsign"
)

// teamService is a real signing service (no Cloudinary behind it: the
// form only asks who a token belongs to).
func teamService(t *testing.T) (url string, grant func(editor string, g teamsign.Grant) string, st *signer.Store) {
	t.Helper()
	st, err := signer.OpenStore(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := signer.New(signer.Config{Store: st, Account: signer.Account{Cloud: "demo", APIKey: "987654321098765", Secret: "owner-secret", APIBase: "https://api.cloudinary.com"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv.URL, func(editor string, g teamsign.Grant) string {
		tok, err := st.Grant(context.Background(), editor, g, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok.Reveal()
	}, st
}

func TestSettingsTeamProfileChecksTheTokenAndOffersOnlyTheGrantsFolders(t *testing.T) {
	url, grant, _ := teamService(t)
	token := grant("ann", teamsign.Grant{Folders: []string{"blog", "news"}, CanEdit: true})
	kc := keychain.NewMemory()
	fx := newFixture(t, kc, account.Profile{}, nil)
	fx.form.mode.SetSelected(ModeTeam)
	test.AssertRendersToImage(t, "team_new.png", fx.window.Canvas())
	test.Type(fx.form.name, "Team")
	test.Type(fx.form.signer, url)
	test.Type(fx.form.secret, token)
	fx.save()

	status := fx.form.Status()
	if !strings.Contains(status, "Token saved") || !strings.Contains(status, "You are ann on cloud demo") {
		t.Errorf("status = %q", status)
	}
	p, err := fx.store.Get("Team")
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsTeam() || p.Signer != url || p.Cloud != "demo" || p.APIKey != "987654321098765" || p.Folder != "blog" {
		t.Errorf("stored profile %+v", p)
	}
	if s, err := kc.Get(context.Background(), "Team"); err != nil || s.Reveal() != token {
		t.Errorf("the token is not in the keychain: %v", err)
	}
	if got := strings.Join(fx.form.folderChoice.Options, ","); got != "blog,news" {
		t.Errorf("folder choices %q", got)
	}
	if !fx.form.cloud.Disabled() || fx.form.cloud.Text != "demo" || fx.form.secret.Text != "" {
		t.Errorf("after saving: cloud %q (disabled %v), token field %d chars", fx.form.cloud.Text, fx.form.cloud.Disabled(), len(fx.form.secret.Text))
	}

	// A folder outside the grant is refused before anything is written.
	fx.form.folder.SetText("drafts")
	fx.save()
	if got := fx.form.Status(); got != "Default folder: you may upload to blog/ and news/ only; choose one of them." {
		t.Errorf("status = %q", got)
	}
	fx.form.folderChoice.SetSelected("news")
	if fx.form.folder.Text != "news" {
		t.Errorf("choosing a folder left %q in the field", fx.form.folder.Text)
	}
}

func TestSettingsTeamProfileRefusesATokenTheServiceDoesNotKnow(t *testing.T) {
	url, grant, st := teamService(t)
	grant("bob", teamsign.Grant{Folders: []string{"blog"}})
	revoked := grant("bob", teamsign.Grant{Folders: []string{"blog"}})
	st.Revoke(context.Background(), "bob", time.Now())
	for name, token := range map[string]string{"revoked": revoked, "forged": "cup_" + strings.Repeat("z", 43)} {
		t.Run(name, func(t *testing.T) {
			kc := keychain.NewMemory()
			fx := newFixture(t, kc, account.Profile{}, nil)
			fx.form.mode.SetSelected(ModeTeam)
			test.Type(fx.form.name, "Team")
			test.Type(fx.form.signer, url)
			test.Type(fx.form.secret, token)
			fx.save()
			if got := fx.form.Status(); !strings.HasPrefix(got, "The token was not saved.") || !strings.Contains(got, "account owner") || strings.Contains(got, token) {
				t.Errorf("status = %q", got)
			}
			if _, err := fx.store.Get("Team"); err == nil {
				t.Error("the profile was saved")
			}
			if _, err := kc.Get(context.Background(), "Team"); err == nil {
				t.Error("the token was stored")
			}
		})
	}
	// An API secret pasted where the token goes is refused at once.
	fx := newFixture(t, keychain.NewMemory(), account.Profile{}, nil)
	fx.form.mode.SetSelected(ModeTeam)
	test.Type(fx.form.name, "Team")
	test.Type(fx.form.signer, url)
	test.Type(fx.form.secret, testSecret)
	fx.save()
	if got := fx.form.Status(); !strings.Contains(got, "not a team token") || strings.Contains(got, testSecret) {
		t.Errorf("status = %q", got)
	}
}

func TestSettingsEditingATeamProfileShowsWhatTheTokenAllows(t *testing.T) {
	url, grant, _ := teamService(t)
	token := grant("ann", teamsign.Grant{Folders: []string{"blog"}})
	kc := keychain.NewMemory()
	p := account.Profile{Name: "Team", Mode: account.Team, Signer: url, Cloud: "demo", APIKey: "987654321098765", Folder: "blog"}.Normalized()
	setup := func(st *account.Store) {
		if err := st.Put(p); err != nil {
			t.Fatal(err)
		}
		kc.Set(context.Background(), "Team", keychain.Secret(token))
	}
	fx := newFixture(t, kc, p, setup)
	if got := fx.form.secretState.Text; !strings.Contains(got, "You are ann") || !strings.Contains(got, "blog/") {
		t.Errorf("under the token: %q", got)
	}
	if fx.form.cloud.Disabled() == false || fx.form.algorithm.Disabled() == false {
		t.Error("the service's fields can be edited")
	}
	// Saving again without a new token keeps the stored one.
	fx.save()
	if got := fx.form.Status(); !strings.Contains(got, "unchanged") {
		t.Errorf("status = %q", got)
	}
}
