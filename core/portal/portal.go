// Package portal opens the desktop's own file chooser through the XDG
// desktop portal (org.freedesktop.portal.FileChooser) on the session bus:
// native looking, several files at once, and sandbox-friendly. Where no
// portal runs, OpenFiles returns ErrNoPortal and the caller falls back to
// its own dialog.
//
// The portal answers with a Response signal on a request object whose path
// is known before the call (it is made from the caller's bus name and a
// handle_token it chooses), so the signal is subscribed to before OpenFile
// is sent: a fast answer cannot be missed.
package portal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// ErrNoPortal means no desktop portal with a file chooser answers on the
// session bus.
var ErrNoPortal = errors.New("no desktop file chooser portal")

// ErrCanceled means the user closed the chooser without choosing.
var ErrCanceled = errors.New("no file chosen")

const (
	service     = "org.freedesktop.portal.Desktop"
	objectPath  = "/org/freedesktop/portal/desktop"
	chooser     = "org.freedesktop.portal.FileChooser"
	request     = "org.freedesktop.portal.Request"
	callTimeout = 10 * time.Second
)

// Options are the chooser's settings.
type Options struct {
	Title       string
	AcceptLabel string // the button, e.g. "Upload"
	Multiple    bool
	// ParentWindow is the portal's window identifier ("x11:HEX"), or "".
	ParentWindow string

	service string // tests: another bus name than the portal's
}

// Chooser talks to the portal over one session bus connection.
type Chooser struct {
	conn    *dbus.Conn
	service string
}

// Connect opens a private connection to the session bus. Close it when done.
func Connect() (*Chooser, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPortal, err)
	}
	return &Chooser{conn: conn, service: service}, nil
}

// Close closes the connection.
func (c *Chooser) Close() error { return c.conn.Close() }

// Available reports whether a portal runs or can be started on the bus.
func (c *Chooser) Available(ctx context.Context) bool {
	bus := c.conn.BusObject()
	var has bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, c.service).Store(&has); err == nil && has {
		return true
	}
	var names []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err == nil {
		for _, n := range names {
			if n == c.service {
				return true
			}
		}
	}
	return false
}

// requestPath is where the portal puts the request for token: the
// caller's unique name without ':' and with '.' as '_'.
func requestPath(uniqueName, token string) dbus.ObjectPath {
	sender := strings.ReplaceAll(strings.TrimPrefix(uniqueName, ":"), ".", "_")
	return dbus.ObjectPath(objectPath + "/request/" + sender + "/" + token)
}

// OpenFiles shows the chooser and returns the chosen files' paths. It
// blocks until the user answers or ctx ends (then the request is closed);
// call it off the UI goroutine.
func (c *Chooser) OpenFiles(ctx context.Context, o Options) ([]string, error) {
	svc := c.service
	if o.service != "" {
		svc = o.service
	}
	var raw [8]byte
	rand.Read(raw[:])
	token := "cloudup_" + hex.EncodeToString(raw[:])
	want := requestPath(c.conn.Names()[0], token)

	signals := make(chan *dbus.Signal, 8)
	c.conn.Signal(signals)
	defer c.conn.RemoveSignal(signals)
	match := []dbus.MatchOption{dbus.WithMatchInterface(request), dbus.WithMatchMember("Response"), dbus.WithMatchObjectPath(want)}
	if err := c.conn.AddMatchSignalContext(ctx, match...); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoPortal, err)
	}
	defer c.conn.RemoveMatchSignal(match...)

	opts := map[string]dbus.Variant{
		"handle_token": dbus.MakeVariant(token),
		"multiple":     dbus.MakeVariant(o.Multiple),
		"modal":        dbus.MakeVariant(true),
	}
	if o.AcceptLabel != "" {
		opts["accept_label"] = dbus.MakeVariant(o.AcceptLabel)
	}
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	var handle dbus.ObjectPath
	err := c.conn.Object(svc, objectPath).CallWithContext(callCtx, chooser+".OpenFile", 0, o.ParentWindow, o.Title, opts).Store(&handle)
	cancel()
	if err != nil {
		var de dbus.Error
		if errors.As(err, &de) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %v", ErrNoPortal, err)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrNoPortal, err)
	}
	// Portals older than version 0.9 choose the path themselves.
	if handle != want {
		old := []dbus.MatchOption{dbus.WithMatchInterface(request), dbus.WithMatchMember("Response"), dbus.WithMatchObjectPath(handle)}
		if err := c.conn.AddMatchSignalContext(ctx, old...); err == nil {
			defer c.conn.RemoveMatchSignal(old...)
		}
	}
	for {
		select {
		case <-ctx.Done():
			c.conn.Object(svc, handle).Call(request+".Close", dbus.FlagNoReplyExpected)
			return nil, ctx.Err()
		case sig, ok := <-signals:
			if !ok {
				return nil, fmt.Errorf("%w: the session bus connection closed", ErrNoPortal)
			}
			if sig.Name != request+".Response" || (sig.Path != want && sig.Path != handle) {
				continue
			}
			return parseResponse(sig.Body)
		}
	}
}

func parseResponse(body []any) ([]string, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("the file chooser answered without results")
	}
	code, _ := body[0].(uint32)
	switch code {
	case 0:
	case 1:
		return nil, ErrCanceled
	default:
		return nil, fmt.Errorf("the file chooser failed (response %d)", code)
	}
	results, _ := body[1].(map[string]dbus.Variant)
	var uris []string
	if v, ok := results["uris"]; ok {
		uris, _ = v.Value().([]string)
	}
	var paths []string
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "file" {
			continue
		}
		paths = append(paths, p.Path)
	}
	if len(paths) == 0 {
		return nil, ErrCanceled
	}
	return paths, nil
}
