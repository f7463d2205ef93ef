//go:build linux || freebsd || openbsd || netbsd

// Package desktoptest stands in for a desktop panel in tests: a
// StatusNotifierWatcher on the session bus (as KDE's or XFCE's panel runs)
// that tray icons register with, and a way to read and click their menus
// through com.canonical.dbusmenu the way a panel does. It needs the
// session bus .ci/test-session provides.
package desktoptest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

const watcher = "org.kde.StatusNotifierWatcher"

// TrayHost is a running fake panel.
type TrayHost struct {
	conn  *dbus.Conn
	mu    sync.Mutex
	items []Item
}

// Item is a tray icon that registered: its bus name and object path.
type Item struct {
	Sender string
	Path   dbus.ObjectPath
}

// StartTrayHost claims the watcher's name on the session bus until the
// test ends. It skips the test when there is no session bus, unless
// CLOUDUP_REQUIRE_KEYCHAIN is set (make test), where it fails.
func StartTrayHost(t testing.TB) *TrayHost {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		if os.Getenv("CLOUDUP_REQUIRE_KEYCHAIN") != "" {
			t.Fatalf("no session bus: %v", err)
		}
		t.Skipf("no session bus: %v (run under .ci/test-session)", err)
	}
	h := &TrayHost{conn: conn}
	if err := conn.Export(h, "/StatusNotifierWatcher", watcher); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	if _, err := prop.Export(conn, "/StatusNotifierWatcher", prop.Map{watcher: {
		"IsStatusNotifierHostRegistered": {Value: true},
		"ProtocolVersion":                {Value: int32(0)},
	}}); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	reply, err := conn.RequestName(watcher, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		conn.Close()
		t.Fatalf("cannot own %s (reply %v): %v", watcher, reply, err)
	}
	t.Cleanup(func() { conn.ReleaseName(watcher); conn.Close() })
	return h
}

// RegisterStatusNotifierItem is what a tray icon calls (exported on D-Bus).
func (h *TrayHost) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	path := dbus.ObjectPath(service)
	if !path.IsValid() || service == "" || service[0] != '/' {
		path = "/StatusNotifierItem"
	}
	h.mu.Lock()
	h.items = append(h.items, Item{Sender: string(sender), Path: path})
	h.mu.Unlock()
	return nil
}

// Items are the icons registered so far.
func (h *TrayHost) Items() []Item {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Item(nil), h.items...)
}

// WaitItem waits for the first icon to register.
func (h *TrayHost) WaitItem(t testing.TB, limit time.Duration) Item {
	t.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
		if items := h.Items(); len(items) > 0 {
			return items[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tray icon registered within %s", limit)
		}
	}
}

// Entry is one menu entry as a panel shows it.
type Entry struct {
	ID       int32
	Label    string
	Enabled  bool
	Children []Entry
}

type layout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// Menu reads an icon's menu (com.canonical.dbusmenu GetLayout).
func (h *TrayHost) Menu(it Item) ([]Entry, error) {
	var menuPath dbus.ObjectPath
	v, err := h.conn.Object(it.Sender, it.Path).GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		return nil, fmt.Errorf("reading the icon's menu path: %w", err)
	}
	if err := v.Store(&menuPath); err != nil {
		return nil, err
	}
	var revision uint32
	var root layout
	call := h.conn.Object(it.Sender, menuPath).Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		return nil, fmt.Errorf("reading the icon's menu: %w", err)
	}
	return entries(root.Children), nil
}

func entries(vs []dbus.Variant) []Entry {
	var out []Entry
	for _, v := range vs {
		var l layout
		if err := dbus.Store([]any{v.Value()}, &l); err != nil {
			continue
		}
		e := Entry{ID: l.ID, Enabled: true, Children: entries(l.Children)}
		if p, ok := l.Props["type"]; ok && p.Value() == "separator" {
			e.Label = "---"
		}
		if p, ok := l.Props["label"]; ok {
			e.Label, _ = p.Value().(string)
		}
		if p, ok := l.Props["visible"]; ok && p.Value() == false {
			continue
		}
		if p, ok := l.Props["enabled"]; ok && p.Value() == false {
			e.Enabled = false
		}
		out = append(out, e)
	}
	return out
}

// Click clicks a menu entry as a panel does.
func (h *TrayHost) Click(it Item, id int32) error {
	var menuPath dbus.ObjectPath
	v, err := h.conn.Object(it.Sender, it.Path).GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		return err
	}
	if err := v.Store(&menuPath); err != nil {
		return err
	}
	return h.conn.Object(it.Sender, menuPath).Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix())).Err
}

// ToolTip is the icon's tooltip title.
func (h *TrayHost) ToolTip(it Item) (string, error) {
	v, err := h.conn.Object(it.Sender, it.Path).GetProperty("org.kde.StatusNotifierItem.ToolTip")
	if err != nil {
		return "", err
	}
	var tip struct {
		Icon   string
		Images []struct {
			W, H int32
			Data []byte
		}
		Title, Text string
	}
	if err := dbus.Store([]any{v.Value()}, &tip); err != nil {
		return "", err
	}
	return tip.Title, nil
}
