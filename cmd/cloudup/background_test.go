package main

import (
	"context"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/desktop/desktoptest"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/core/watch"
)

// TestAppUploadsWhatLandsInAWatchedFolderAndLivesInTheTray runs the real
// app with a folder watched for the Sandbox profile and a panel on the
// session bus (desktoptest's StatusNotifier watcher, as KDE's or XFCE's
// panel): a photo saved into the folder under a temporary name and renamed
// is uploaded once, its link goes to the clipboard, the tray menu offers
// it, closing the window asks and keeps Cloudup in the tray, the tray shows
// the window again, and the tray's Quit ends the app cleanly.
func TestAppUploadsWhatLandsInAWatchedFolderAndLivesInTheTray(t *testing.T) {
	keychaintest.NeedTools(t, "Xvfb", "xdotool", "import", "xclip", "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" || keychaintest.Available() != nil {
		if os.Getenv("CLOUDUP_REQUIRE_KEYCHAIN") != "" {
			t.Fatal("no session bus with a Secret Service")
		}
		t.Skip("needs the session bus of .ci/test-session (the panel and the app must share it)")
	}
	panel := desktoptest.StartTrayHost(t)
	s := &appRun{t: t, root: t.TempDir(), marker: "e2e-" + keychaintest.RandomHex(8), artDir: t.ArtifactDir()}
	s.config = filepath.Join(s.root, "config")
	s.display = keychaintest.StartXvfb(t, "1280x800x24")

	watched := filepath.Join(s.root, "Screenshots")
	os.MkdirAll(watched, 0o755)
	store := coredesktop.NewStore(s.config)
	if _, err := store.PutFolder(watch.Folder{Dir: watched, Profile: account.SandboxName, Folder: "shots", Tags: []string{"watched"}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(func(set *coredesktop.Settings) error { set.CopyLinks = true; return nil }); err != nil {
		t.Fatal(err)
	}

	s.start("nobody", filepath.Join(s.root, "lookup.txt"))
	wid := s.waitForWindow()
	s.waitForPixels("30-window.png", nil)
	item := panel.WaitItem(t, 60*time.Second)

	// A photo lands the way a browser saves one: a .part file, renamed
	// when complete.
	paths, sums := writePhotos(t, t.TempDir(), 1)
	data, _ := os.ReadFile(paths[0])
	part := filepath.Join(watched, "shot.png.part")
	if err := os.WriteFile(part, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // longer than the settle window: a .part is never taken
	f, _ := os.OpenFile(part, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(data[len(data)/2:])
	f.Close()
	if err := os.Rename(part, filepath.Join(watched, "shot.png")); err != nil {
		t.Fatal(err)
	}

	journal, err := transfer.OpenJournal(filepath.Join(s.root, "data", session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	var up []transfer.HistoryEntry
	waitUntil(t, 90*time.Second, "the watched photo in the history", func() bool {
		h, err := journal.History(context.Background(), transfer.HistoryQuery{Profile: account.SandboxName})
		up = up[:0]
		for _, e := range h {
			if e.Outcome == transfer.Done {
				up = append(up, e)
			}
		}
		return err == nil && len(up) >= 1
	})
	journal.Close()
	if len(up) != 1 || up[0].Name != "shot.png" || up[0].ETag != sums[paths[0]] || up[0].Folder != "shots" {
		t.Fatalf("history: %+v (want shot.png once, whole, in shots)", up)
	}
	time.Sleep(time.Second) // the queue redraws ten times a second
	s.save("31-watched-upload.png", s.screenshot())

	// Its link is on the clipboard, and in the tray menu.
	waitUntil(t, 20*time.Second, "the link on the clipboard", func() bool { return s.clipboard() == up[0].SecureURL })
	var labels []string
	waitUntil(t, 20*time.Second, "the tray menu to offer the upload", func() bool {
		entries, err := panel.Menu(item)
		labels = labels[:0]
		for _, e := range entries {
			labels = append(labels, strings.TrimSpace(e.Label))
		}
		return err == nil && strings.Contains(strings.Join(labels, "|"), "|shot.png|")
	})
	for _, want := range []string{"Watching 1 folder", "Show Cloudup", "Upload clipboard", "Pause all", "Quit"} {
		if !strings.Contains("|"+strings.Join(labels, "|")+"|", "|"+want+"|") {
			t.Errorf("the tray menu %q has no %q", labels, want)
		}
	}
	if tip, err := panel.ToolTip(item); err != nil || tip != "Watching 1 folder" {
		t.Errorf("tooltip %q (%v)", tip, err)
	}

	// Settings: the watched folder is listed on its own tab.
	s.xdotool("windowfocus", "--sync", wid)
	before := s.screenshot()
	s.xdotool("key", "ctrl+comma")
	s.waitForPixels("32-settings.png", before)
	settings := s.screenshot()
	s.clickText(settings, before, tabWatched)
	s.waitForPixels("33-settings-watched.png", settings)
	time.Sleep(500 * time.Millisecond) // the tab's underline slides over
	s.save("33-settings-watched.png", s.screenshot())
	s.xdotool("key", "Escape")
	time.Sleep(500 * time.Millisecond)

	// Closing the window while a folder is watched asks; keeping to the
	// tray hides the window and the app goes on.
	before = s.screenshot()
	s.xdotool("key", "ctrl+w")
	s.waitForPixels("34-close-dialog.png", before)
	dialog := s.screenshot()
	s.clickPrimaryButton(dialog, before)
	waitUntil(t, 20*time.Second, "the window to hide", func() bool { return !s.visible() })
	select {
	case <-s.done:
		t.Fatalf("the app quit instead of keeping to the tray\n%s", tail(filepath.Join(s.artDir, "app.log"), 30))
	default:
	}
	if set, _ := store.Load(); set.OnClose != coredesktop.AskOnClose {
		t.Errorf("the choice was remembered though not asked to: %q", set.OnClose)
	}

	// The tray shows it again, and its Quit ends the app.
	click := func(label string) {
		entries, err := panel.Menu(item)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.TrimSpace(e.Label) == label {
				if err := panel.Click(item, e.ID); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("no %q in the tray menu", label)
	}
	click("Show Cloudup")
	waitUntil(t, 20*time.Second, "the window to come back", s.visible)
	s.waitForPixels("35-shown-again.png", nil)
	click("Quit")
	s.waitForExit()
	if s.exitErr != nil {
		t.Fatalf("the app exited with %v\n%s", s.exitErr, tail(filepath.Join(s.artDir, "app.log"), 40))
	}
	s.assertNothingLeftRunning()
}

// tabWatched is the Settings tab's label, to be found on screen.
const tabWatched = "Watched folders and tray"

// visible reports whether the Cloudup window is mapped.
func (s *appRun) visible() bool {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Cloudup$")
	cmd.Env = []string{"DISPLAY=" + s.display, "PATH=" + os.Getenv("PATH")}
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out)) != ""
}

// clipboard is the X clipboard's text.
func (s *appRun) clipboard() string {
	cmd := exec.Command("xclip", "-o", "-selection", "clipboard")
	cmd.Env = []string{"DISPLAY=" + s.display, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// clickPrimaryButton clicks the dialog's primary button: the largest patch
// of one saturated colour among the pixels the dialog changed.
func (s *appRun) clickPrimaryButton(after, before image.Image) {
	s.t.Helper()
	b := after.Bounds()
	counts := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := rgba(after.At(x, y))
			if c == rgba(before.At(x, y)) || saturation(c) < 80 {
				continue
			}
			counts[c]++
		}
	}
	var best color.RGBA
	for c, n := range counts {
		if n > counts[best] {
			best = c
		}
	}
	if counts[best] < 200 {
		s.t.Fatalf("no primary button on screen (largest saturated patch: %d pixels)", counts[best])
	}
	var sx, sy, n int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if rgba(after.At(x, y)) == best {
				sx, sy, n = sx+x, sy+y, n+1
			}
		}
	}
	s.xdotool("mousemove", itoa(sx/n), itoa(sy/n), "click", "1")
}

// clickText clicks the region that appeared between before and after and
// holds the tab label: the tab bar is the first row of new pixels with
// text, and the second tab is right of the first.
func (s *appRun) clickText(after, before image.Image, _ string) {
	s.t.Helper()
	// The dialog is centred; its tab bar is its first row of widgets.
	// Find the dialog's top edge and left edge from the changed pixels.
	b := after.Bounds()
	top, left := b.Max.Y, b.Max.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if rgba(after.At(x, y)) != rgba(before.At(x, y)) {
				if y < top {
					top = y
				}
				if x < left {
					left = x
				}
			}
		}
	}
	// Title (~45 px), then the tab bar; the second tab starts about 150 px
	// in ("Profiles" with its icon is the first).
	s.xdotool("mousemove", itoa(left+220), itoa(top+70), "click", "1")
}

func rgba(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
}

func saturation(c color.RGBA) int {
	hi := max(c.R, c.G, c.B)
	lo := min(c.R, c.G, c.B)
	return int(hi) - int(lo)
}

func itoa(n int) string { return strconv.Itoa(n) }
