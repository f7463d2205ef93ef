//go:build unix

package signer

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/signer/pgtest"
	"github.com/cloudup/cloudup/core/teamsign"
)

func TestPostgresStoreBehavesLikeSQLite(t *testing.T) {
	dsn := pgtest.Start(t)
	st, err := OpenStore(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storeContract(t, st)
	if w := st.Where(); w == "" || strings.Contains(w, "sslmode") {
		t.Errorf("Where() = %q", w)
	}
}

// Two instances of the service behind a load balancer share one database:
// a token revoked through one is refused by the other on its next request.
func TestTwoInstancesOnOnePostgresShareRevocation(t *testing.T) {
	dsn := pgtest.Start(t)
	ctx := context.Background()
	open := func() *httptest.Server {
		st, err := OpenStore(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		svc, err := New(Config{Store: st, Account: testAccount("http://127.0.0.1:9")})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(svc)
		t.Cleanup(srv.Close)
		return srv
	}
	a, b := open(), open()

	admin, err := OpenStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	tok, err := admin.Grant(ctx, "ann", teamsign.Grant{Folders: []string{"blog"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := teamsign.NewClient(a.URL, tok, nil)
	cb, _ := teamsign.NewClient(b.URL, tok, nil)
	for _, c := range []*teamsign.Client{ca, cb} {
		if _, err := c.WhoAmI(ctx); err != nil {
			t.Fatalf("before revocation: %v", err)
		}
	}
	// Revoke through instance A's own store handle (as `signer revoke
	// --db postgres://…` would), then ask instance B.
	if err := admin.Revoke(ctx, "ann", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err = cb.WhoAmI(ctx); !errors.Is(err, cloud.ErrTokenRejected) {
		t.Fatalf("instance B after revocation: %v", err)
	}
	if _, err := ca.Sign(ctx, []teamsign.SignCall{{Action: "upload", Params: vals("folder", "blog")}}); err == nil {
		t.Fatal("instance A signed for a revoked token")
	}
	// Both instances recorded the refusals in the one audit.
	entries, err := admin.Audit(ctx, AuditQuery{Editor: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range entries {
		if e.Outcome == OutcomeRefused && e.Rule == "token" {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d token refusals in the shared audit, want 2: %+v", refused, entries)
	}
}
