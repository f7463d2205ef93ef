package teamsign_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/signer"
	"github.com/cloudup/cloudup/core/signing"
	"github.com/cloudup/cloudup/core/teamsign"
)

const secret = "authority-test-secret"

// service is a real signing service behind a counter of sign requests.
type service struct {
	url   string
	signs atomic.Int64
	calls atomic.Int64
	down  atomic.Bool
	tok   teamsign.Token
}

func startService(t *testing.T) *service {
	t.Helper()
	st, err := signer.OpenStore(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := signer.New(signer.Config{Store: st, Account: signer.Account{Cloud: "demo", APIKey: "123", Secret: secret, APIBase: "http://127.0.0.1:9"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &service{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		if r.URL.Path == teamsign.PathSign {
			s.signs.Add(1)
		}
		svc.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	if s.tok, err = st.Grant(context.Background(), "ann", teamsign.Grant{Folders: []string{"blog"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *service) authority(t *testing.T) *teamsign.Authority {
	c, err := teamsign.NewClient(s.url, s.tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	return teamsign.NewAuthority(c)
}

func params(id string) url.Values {
	return url.Values{"folder": {"blog"}, "public_id": {id}, "overwrite": {"false"}}
}

func call() cloud.Call { return cloud.Call{Action: "upload", ResourceType: "auto", Now: time.Now()} }

func TestSignaturesFromTheServiceVerifyWithTheSecret(t *testing.T) {
	s := startService(t)
	a := s.authority(t)
	p := params("x")
	if err := a.Sign(context.Background(), call(), p); err != nil {
		t.Fatal(err)
	}
	sig := p.Get("signature")
	p.Del("signature")
	if err := signing.Verify(p, sig, secret); err != nil {
		t.Errorf("signature does not verify: %v (%v)", err, p)
	}
	if p.Get("api_key") != "123" || p.Get("timestamp") == "" {
		t.Errorf("params: %v", p)
	}
}

func TestConcurrentCallsShareSignRequests(t *testing.T) {
	s := startService(t)
	a := s.authority(t)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- a.Sign(context.Background(), call(), params(fmt.Sprint("p", i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.signs.Load(); n > 20 {
		t.Errorf("200 concurrent signatures took %d requests to the service", n)
	}
}

func TestPreparedUploadsCostNoRoundTripWhenSent(t *testing.T) {
	s := startService(t)
	a := s.authority(t)
	var calls []cloud.PreparedCall
	for i := range 1500 {
		calls = append(calls, cloud.PreparedCall{Call: call(), Params: params(fmt.Sprint("p", i))})
	}
	if err := a.Prepare(context.Background(), calls); err != nil {
		t.Fatal(err)
	}
	if n := s.signs.Load(); n != 2 {
		t.Errorf("preparing 1,500 uploads took %d requests, want 2 (1,000 a batch)", n)
	}
	for i := range 1500 {
		if err := a.Sign(context.Background(), call(), params(fmt.Sprint("p", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.signs.Load(); n != 2 {
		t.Errorf("sending them took %d more requests", n-2)
	}
	// Preparing again what is still fresh asks for nothing.
	if err := a.Prepare(context.Background(), calls[:10]); err != nil || s.signs.Load() != 2 {
		t.Errorf("re-preparing fresh calls: %v, %d requests", err, s.signs.Load())
	}
}

func TestSignaturesAreRenewedBeforeTheyGoStale(t *testing.T) {
	s := startService(t)
	a := s.authority(t)
	now := time.Now()
	teamsign.SetClock(a, func() time.Time { return now })
	p1 := params("long")
	if err := a.Sign(context.Background(), call(), p1); err != nil {
		t.Fatal(err)
	}
	// The next chunk 10 minutes later reuses the signature.
	now = now.Add(10 * time.Minute)
	p2 := params("long")
	a.Sign(context.Background(), call(), p2)
	if s.signs.Load() != 1 || p2.Get("signature") != p1.Get("signature") {
		t.Errorf("a fresh signature was not reused")
	}
	// A chunk 45 minutes in gets a new one, well inside Cloudinary's hour.
	now = now.Add(35 * time.Minute)
	p3 := params("long")
	if err := a.Sign(context.Background(), call(), p3); err != nil {
		t.Fatal(err)
	}
	if s.signs.Load() != 2 {
		t.Errorf("a 45-minute-old signature was reused")
	}
}

func TestRefusalsAndOutagesComeBackAsTypedErrors(t *testing.T) {
	s := startService(t)
	a := s.authority(t)
	err := a.Sign(context.Background(), call(), url.Values{"folder": {"drafts"}})
	var pe *cloud.PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("outside the grant: %v", err)
	}
	s.down.Store(true)
	err = a.Sign(context.Background(), call(), params("y"))
	if !cloud.Retryable(err) {
		t.Errorf("a service that is down must be retried later: %v", err)
	}
	s.down.Store(false)
	if err := a.Sign(context.Background(), call(), params("y")); err != nil {
		t.Errorf("after the outage: %v", err)
	}
}
