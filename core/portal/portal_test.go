package portal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// fakePortal is a test-owned FileChooser on the session bus: a real
// D-Bus service on its own connection. It answers OpenFile by emitting
// Response on the request path before its method reply goes out, as a
// fast portal may, so a client that subscribed late would miss it.
type fakePortal struct {
	conn     *dbus.Conn
	name     string
	mu       sync.Mutex
	answer   uint32
	uris     []string
	hold     bool // never answer (the user is still choosing)
	opts     map[string]dbus.Variant
	closed   []dbus.ObjectPath
	requests []dbus.ObjectPath
}

func (f *fakePortal) OpenFile(sender dbus.Sender, parent, title string, opts map[string]dbus.Variant) (dbus.ObjectPath, *dbus.Error) {
	token, _ := opts["handle_token"].Value().(string)
	path := requestPath(string(sender), token)
	f.mu.Lock()
	f.opts = opts
	f.requests = append(f.requests, path)
	answer, uris, hold := f.answer, f.uris, f.hold
	f.mu.Unlock()
	if err := f.conn.Export(newRequest(f, path), path, "org.freedesktop.portal.Request"); err != nil {
		return "", dbus.MakeFailedError(err)
	}
	if !hold {
		results := map[string]dbus.Variant{"uris": dbus.MakeVariant(uris)}
		if err := f.conn.Emit(path, "org.freedesktop.portal.Request.Response", answer, results); err != nil {
			return "", dbus.MakeFailedError(err)
		}
	}
	return path, nil
}

type requestObj struct {
	f    *fakePortal
	path dbus.ObjectPath
}

func newRequest(f *fakePortal, p dbus.ObjectPath) *requestObj { return &requestObj{f, p} }

func (r *requestObj) Close() *dbus.Error {
	r.f.mu.Lock()
	r.f.closed = append(r.f.closed, r.path)
	r.f.mu.Unlock()
	return nil
}

func startFake(t *testing.T) (*fakePortal, *Chooser) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus: run the tests inside .ci/test-session")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skipf("no session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fakePortal{conn: conn, name: fmt.Sprintf("org.cloudup.test.Portal%d", time.Now().UnixNano())}
	if err := conn.Export(f, objectPath, chooser); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(f.name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s: %v", f.name, err)
	}
	c, err := Connect()
	if err != nil {
		t.Fatal(err)
	}
	c.service = f.name
	t.Cleanup(func() { c.Close() })
	return f, c
}

func TestOpenFilesReturnsEveryChosenFileEvenWhenTheAnswerComesAtOnce(t *testing.T) {
	f, c := startFake(t)
	f.uris = []string{"file:///home/ann/Pictures/summer%20team.jpg", "file:///home/ann/b.png", "https://example.com/not-a-file"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !c.Available(ctx) {
		t.Fatal("the fake portal is not seen")
	}
	paths, err := c.OpenFiles(ctx, Options{Title: "Choose files to upload", AcceptLabel: "Upload", Multiple: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(paths, []string{"/home/ann/Pictures/summer team.jpg", "/home/ann/b.png"}) {
		t.Fatalf("paths %v", paths)
	}
	if m, _ := f.opts["multiple"].Value().(bool); !m {
		t.Fatalf("multiple not asked: %v", f.opts)
	}
	if l, _ := f.opts["accept_label"].Value().(string); l != "Upload" {
		t.Fatalf("accept label %v", f.opts)
	}
}

func TestCancelInTheChooserIsErrCanceled(t *testing.T) {
	f, c := startFake(t)
	f.answer = 1
	_, err := c.OpenFiles(context.Background(), Options{Multiple: true})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("err %v", err)
	}
}

func TestClosingTheAppClosesTheOpenRequest(t *testing.T) {
	f, c := startFake(t)
	f.hold = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.OpenFiles(ctx, Options{Multiple: true})
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		n := len(f.requests)
		f.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("OpenFile never arrived")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	for time.Now().Before(deadline) {
		f.mu.Lock()
		closed := slices.Clone(f.closed)
		f.mu.Unlock()
		if len(closed) == 1 && closed[0] == f.requests[0] {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the request was not closed")
}

func TestNoPortalIsErrNoPortal(t *testing.T) {
	_, c := startFake(t)
	c.service = "org.cloudup.test.NobodyHere"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.Available(ctx) {
		t.Fatal("a missing portal is seen as available")
	}
	if _, err := c.OpenFiles(ctx, Options{}); !errors.Is(err, ErrNoPortal) {
		t.Fatalf("err %v", err)
	}
}

func TestRequestPathFollowsThePortalRule(t *testing.T) {
	if got := requestPath(":1.42", "cloudup_ab"); got != "/org/freedesktop/portal/desktop/request/1_42/cloudup_ab" {
		t.Fatal(got)
	}
}
