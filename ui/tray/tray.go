// Package tray is Cloudup in the status area (system tray): an icon that
// changes while uploads run, and a menu to show the window, upload what is
// on the clipboard, copy the link of a recent upload, pause or resume
// everything, and quit. It also decides what closing the window does while
// work goes on (keep working in the tray, quit, or ask) and asks.
//
// It draws through Fyne's desktop.App (the tray is the app's, not a
// window's) and never imports fyne.io/fyne/v2/app; its methods run on the
// UI goroutine. Whether the desktop has a tray at all is core/desktop's
// question: without one, the window keeps its usual behaviour and this
// package is not used.
package tray

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// Actions are what the menu's entries do.
type Actions struct {
	Show            func()
	UploadClipboard func()
	// Pause pauses every upload (true) or resumes them (false).
	Pause func(pause bool)
	// Copy copies a recent upload's link (the entry's Link, already in its
	// profile's format) and says so.
	Copy func(Recent)
	Quit func()
}

// Recent is a finished upload the menu offers to copy.
type Recent struct {
	Name string
	Link string
}

// State is what the icon and menu show.
type State struct {
	Active   int // uploads running now
	Waiting  int // queued
	Paused   bool
	Watching int // folders watched
	Recent   []Recent
}

// Busy reports whether uploads are running or waiting.
func (s State) Busy() bool { return s.Active+s.Waiting > 0 }

// Words is the state in one line: the menu's first entry and the tooltip.
func (s State) Words() string {
	var parts []string
	switch {
	case s.Paused && s.Busy():
		parts = append(parts, fmt.Sprintf("Paused: %s", plural(s.Active+s.Waiting, "upload waits", "uploads wait")))
	case s.Paused:
		parts = append(parts, "Paused")
	case s.Active > 0 && s.Waiting > 0:
		parts = append(parts, fmt.Sprintf("Uploading %d, %d waiting", s.Active, s.Waiting))
	case s.Busy():
		parts = append(parts, "Uploading "+plural(s.Active+s.Waiting, "file", "files"))
	}
	if s.Watching > 0 {
		parts = append(parts, "watching "+plural(s.Watching, "folder", "folders"))
	}
	if len(parts) == 0 {
		return "Cloudup: nothing to upload"
	}
	w := strings.Join(parts, ", ")
	return strings.ToUpper(w[:1]) + w[1:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Tray is the status-area icon and its menu.
type Tray struct {
	desk       desktop.App
	icon, busy fyne.Resource
	actions    Actions
	tooltip    func(string)
	state      State
	menu       *fyne.Menu
	shown      bool
	busyShown  bool
}

// New prepares the tray; Show puts it up. tooltip, when not nil, sets the
// icon's tooltip (Fyne has no call for it; cmd/cloudup passes systray's).
func New(desk desktop.App, icon fyne.Resource, actions Actions, tooltip func(string)) *Tray {
	return &Tray{desk: desk, icon: icon, busy: BusyIcon(icon), actions: actions, tooltip: tooltip}
}

// Show puts the icon and its menu in the status area.
func (t *Tray) Show() {
	t.shown = true
	t.rebuild()
	t.desk.SetSystemTrayIcon(t.icon)
}

// Menu is the menu as it is now.
func (t *Tray) Menu() *fyne.Menu { return t.menu }

// State is what the tray shows now.
func (t *Tray) State() State { return t.state }

// Update shows s. The menu is rebuilt only when what it shows changed (a
// rebuild re-creates every entry in the panel), the icon only when uploads
// start or end.
func (t *Tray) Update(s State) {
	if t.menu != nil && s.Words() == t.state.Words() && s.Paused == t.state.Paused && slices.Equal(s.Recent, t.state.Recent) {
		t.state = s
		return
	}
	t.state = s
	t.rebuild()
	if !t.shown {
		return
	}
	if busy := s.Busy() && !s.Paused; busy != t.busyShown {
		t.busyShown = busy
		if busy {
			t.desk.SetSystemTrayIcon(t.busy)
		} else {
			t.desk.SetSystemTrayIcon(t.icon)
		}
	}
}

func (t *Tray) rebuild() {
	s := t.state
	status := fyne.NewMenuItem(s.Words(), nil)
	status.Disabled = true
	items := []*fyne.MenuItem{
		status,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Show Cloudup", t.actions.Show),
		fyne.NewMenuItem("Upload clipboard", t.actions.UploadClipboard),
	}
	pause := fyne.NewMenuItem("Pause all", func() { t.actions.Pause(true) })
	if s.Paused {
		pause = fyne.NewMenuItem("Resume all", func() { t.actions.Pause(false) })
	}
	items = append(items, pause, fyne.NewMenuItemSeparator())
	if len(s.Recent) == 0 {
		none := fyne.NewMenuItem("No uploads yet", nil)
		none.Disabled = true
		items = append(items, none)
	} else {
		head := fyne.NewMenuItem("Copy the link of:", nil)
		head.Disabled = true
		items = append(items, head)
		for _, r := range s.Recent {
			items = append(items, fyne.NewMenuItem("  "+shorten(r.Name, 40), func() { t.actions.Copy(r) }))
		}
	}
	// Fyne adds its own Quit unless the last entry is one; this one asks
	// about unfinished uploads first.
	quit := fyne.NewMenuItem("Quit", t.actions.Quit)
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), quit)
	t.menu = fyne.NewMenu("Cloudup", items...)
	if t.shown {
		t.desk.SetSystemTrayMenu(t.menu)
		if t.tooltip != nil {
			t.tooltip(s.Words())
		}
	}
}

// shorten keeps a long name's start and end.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n/2-1]) + "…" + string(r[len(r)-n/2:])
}

// BusyIcon is icon with an upload badge in its corner: the tray's icon
// while uploads run. A resource that is not a PNG comes back as it is.
func BusyIcon(icon fyne.Resource) fyne.Resource {
	if icon == nil {
		return nil
	}
	src, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil {
		return icon
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	// A filled circle, a quarter of the icon wide, with a white ring and
	// an arrow pointing up, in the bottom right corner.
	d := b.Dx() * 9 / 20
	cx, cy := b.Max.X-d/2-1, b.Max.Y-d/2-1
	r := d / 2
	amber := color.NRGBA{0xff, 0x98, 0x00, 0xff} // stands out on the blue icon and on dark and light panels
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			dx, dy := x-cx, y-cy
			switch dist := dx*dx + dy*dy; {
			case dist <= (r-r/6)*(r-r/6):
				img.Set(x, y, amber)
			case dist <= r*r:
				img.Set(x, y, white)
			}
		}
	}
	// The arrow: a triangle over a stem.
	h := r
	for i := range h / 2 {
		for x := cx - i; x <= cx+i; x++ {
			img.Set(x, cy-h/2+i, white)
		}
	}
	for y := cy; y <= cy+h/2; y++ {
		for x := cx - max(r/8, 1); x <= cx+max(r/8, 1); x++ {
			img.Set(x, y, white)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return icon
	}
	return fyne.NewStaticResource("busy-"+icon.Name(), buf.Bytes())
}
