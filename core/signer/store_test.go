package signer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/teamsign"
)

func openSQLite(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signer.db")
	st, err := OpenStore(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// storeContract is what every Store must do, SQLite or PostgreSQL.
func storeContract(t *testing.T, st *Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	g := teamsign.Grant{Folders: []string{"blog/"}, CanEdit: true, ExpiresAt: now.Add(24 * time.Hour)}
	tok, err := st.Grant(ctx, "ann", g, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Reveal(), TokenPrefix) || len(tok.Reveal()) != len(TokenPrefix)+43 {
		t.Fatalf("token shape: %d chars", len(tok.Reveal()))
	}
	ed, err := st.Authenticate(ctx, tok.Reveal(), now)
	if err != nil {
		t.Fatal(err)
	}
	if ed.Name != "ann" || ed.Grant.Folders[0] != "blog" || !ed.Grant.CanEdit {
		t.Errorf("editor = %+v", ed)
	}

	// Forged and truncated tokens.
	for _, bad := range []string{"", "cup_", tok.Reveal()[:len(tok.Reveal())-1], tok.Reveal() + "x", strings.ToUpper(tok.Reveal()),
		TokenPrefix + strings.Repeat("A", 43), "Bearer " + tok.Reveal()} {
		if _, err := st.Authenticate(ctx, bad, now); !errors.Is(err, ErrBadToken) {
			t.Errorf("token %d chars long: %v", len(bad), err)
		}
	}

	// Expiry holds at once.
	var exp *ExpiredError
	if _, err := st.Authenticate(ctx, tok.Reveal(), now.Add(25*time.Hour)); !errors.As(err, &exp) {
		t.Errorf("after expiry: %v", err)
	}

	// A new grant replaces the token: the old one stops working.
	tok2, err := st.Grant(ctx, "ann", teamsign.Grant{Folders: []string{"news"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, tok.Reveal(), now); !errors.Is(err, ErrBadToken) {
		t.Errorf("replaced token: %v", err)
	}
	if ed, err := st.Authenticate(ctx, tok2.Reveal(), now.Add(1000*time.Hour)); err != nil || ed.Grant.Folders[0] != "news" {
		t.Errorf("new token, no expiry: %v %+v", err, ed)
	}

	// Revocation holds at once.
	if err := st.Revoke(ctx, "ann", now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, tok2.Reveal(), now); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked token: %v", err)
	}
	if err := st.Revoke(ctx, "nobody", now); !errors.Is(err, ErrNoEditor) {
		t.Errorf("revoking an unknown editor: %v", err)
	}

	editors, err := st.Editors(ctx)
	if err != nil || len(editors) != 1 || editors[0].RevokedAt.IsZero() || editors[0].Hint != tok2.Reveal()[len(tok2.Reveal())-4:] {
		t.Errorf("editors = %+v, %v", editors, err)
	}

	// Audit: filtered by editor and time, oldest first.
	entries := []AuditEntry{
		{At: now.Add(-48 * time.Hour), Editor: "ann", Action: "upload", Outcome: OutcomeSigned, Detail: "old"},
		{At: now.Add(-time.Hour), Editor: "ann", Action: "upload", Outcome: OutcomeRefused, Rule: "folder", Detail: "a"},
		{At: now.Add(-30 * time.Minute), Editor: "bob", Action: "search", Outcome: OutcomeAnswered, Detail: "b"},
		{At: now, Editor: "ann", Action: "destroy", Outcome: OutcomeSigned, Detail: "c"},
	}
	if err := st.Record(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	got, err := st.Audit(ctx, AuditQuery{Editor: "ann", Since: now.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Detail != "a" || got[1].Detail != "c" || got[0].Rule != "folder" {
		t.Errorf("audit for ann, last day: %+v", got)
	}
	if all, _ := st.Audit(ctx, AuditQuery{}); len(all) != 4 {
		t.Errorf("whole audit: %d entries", len(all))
	}
	if last, _ := st.Audit(ctx, AuditQuery{Limit: 1}); len(last) != 1 || last[0].Detail != "c" {
		t.Errorf("newest entry: %+v", last)
	}
}

func TestSQLiteStoreKeepsOnlyTokenHashes(t *testing.T) {
	st, path := openSQLite(t)
	storeContract(t, st)
	tok, err := st.Grant(context.Background(), "carl", teamsign.Grant{Folders: []string{"x"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(tok.Reveal())) || bytes.Contains(b, []byte(tok.Reveal()[4:20])) {
			t.Errorf("%s holds the token itself", filepath.Base(f))
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, %v", fi.Mode().Perm(), err)
	}
}

func TestGrantRefusesBadEditorsAndGrants(t *testing.T) {
	st, _ := openSQLite(t)
	ctx := context.Background()
	for _, name := range []string{"", " ann", "a\nb", strings.Repeat("x", 65)} {
		if _, err := st.Grant(ctx, name, teamsign.Grant{Folders: []string{"blog"}}, time.Now()); err == nil {
			t.Errorf("editor %q accepted", name)
		}
	}
	if _, err := st.Grant(ctx, "ann", teamsign.Grant{Folders: []string{"../x"}}, time.Now()); err == nil {
		t.Error("folder ../x accepted")
	}
}
