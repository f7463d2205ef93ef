package main

import (
	"context"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain/keychaintest"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/transfer"
)

// An editor sets the details for the next files in the real window (folder,
// tag, alt text, caption), pastes three file paths, and finds the assets in
// that folder with those details: on the sandbox, and in the Library tab.
func TestAppUploadsWithDetailsAndTheLibraryShowsThem(t *testing.T) {
	keychaintest.NeedTools(t, "Xvfb", "xdotool", "xclip", "import", "dbus-run-session", "gnome-keyring-daemon", "secret-tool")
	s := &appRun{t: t, root: t.TempDir(), marker: "e2e-" + keychaintest.RandomHex(8), artDir: t.ArtifactDir()}
	s.config = filepath.Join(s.root, "config")
	s.display = keychaintest.StartXvfb(t, "1280x800x24")
	paths, sums := writePhotos(t, t.TempDir(), 3)
	const (
		folder  = "e2e-trip"
		tag     = "e2e-summer"
		alt     = "A beach at dusk"
		caption = "Day one of the trip"
	)

	s.keepShots()
	s.start("nobody", filepath.Join(s.root, "lookup.txt"))
	wid := s.waitForWindow()
	s.waitForPixels("30-start.png", nil)

	// Details (Ctrl+D) opens with the cursor in Folder. Each of Folder and
	// Tags is a field with a drop-down button after it, which Tab visits.
	s.xdotool("windowfocus", "--sync", wid)
	before := s.screenshot()
	s.xdotool("key", "ctrl+d")
	s.waitForPixels("31-details-open.png", before)
	s.xdotool("type", "--delay", "15", folder)
	s.xdotool("key", "Tab", "Tab")
	s.xdotool("type", "--delay", "15", tag)
	s.xdotool("key", "Tab", "Tab")
	s.xdotool("type", "--delay", "15", alt)
	s.xdotool("key", "Tab")
	s.xdotool("type", "--delay", "15", caption)
	s.saveWhenStill("32-details-filled.png")
	filled := s.screenshot()
	s.xdotool("key", "Return") // Apply
	s.waitForPixels("33-details-applied.png", filled)

	// The three paths go through the clipboard, as a file manager's copy
	// would, and Ctrl+V queues them with the details.
	s.ownClipboard(strings.Join(paths, "\n"))
	s.xdotool("windowfocus", "--sync", wid)
	s.xdotool("key", "ctrl+v")

	journal, err := transfer.OpenJournal(filepath.Join(s.root, "data", session.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	var done []transfer.HistoryEntry
	waitUntil(t, 120*time.Second, "three uploads in the history", func() bool {
		h, err := journal.History(context.Background(), transfer.HistoryQuery{Profile: account.SandboxName})
		done = done[:0]
		for _, e := range h {
			if e.Outcome == transfer.Done {
				done = append(done, e)
			}
		}
		return err == nil && len(done) == 3
	})
	journal.Close()
	for _, e := range done {
		if e.Folder != folder {
			t.Errorf("history: %s went to folder %q, want %q", e.Name, e.Folder, folder)
		}
	}
	s.saveWhenStill("34-uploaded.png")

	// The Library lists the new folder; opening it (Ctrl+F, then Tab to the
	// folder field) shows the three by their names.
	before = s.screenshot()
	s.xdotool("key", "ctrl+l")
	s.waitForPixels("35-library.png", before)
	s.saveWhenStill("35-library.png")
	s.xdotool("key", "ctrl+f")
	s.xdotool("key", "Tab")
	s.xdotool("type", "--delay", "15", folder)
	s.xdotool("key", "Return")
	s.saveWhenStill("36-library-folder.png")
	// A click on the first cell (the grid starts below the search row,
	// right of the folder list) opens the preview with the details.
	before = s.screenshot()
	s.xdotool("mousemove", "--window", wid, "--sync", "273", "312")
	s.xdotool("click", "1")
	s.waitForPixels("37-preview.png", before)
	s.saveWhenStill("37-preview.png")
	s.xdotool("key", "ctrl+q")
	s.waitForExit()
	if s.exitErr != nil {
		t.Fatalf("the app exited with %v\n%s", s.exitErr, tail(filepath.Join(s.artDir, "app.log"), 40))
	}
	s.assertNothingLeftRunning()

	// The same sandbox account, started again here: each file is in the
	// folder with the tag, alt text and caption, named after its file.
	sb := session.NewSandbox(filepath.Join(s.root, "data", "sandbox"))
	defer sb.Close()
	creds, err := sb.Credentials(context.Background(), account.SandboxProfile())
	if err != nil {
		t.Fatal(err)
	}
	client, err := cloud.New(cloud.Config{Cloud: creds.Profile.Cloud, APIKey: creds.Profile.APIKey,
		Secret: cloud.Secret(creds.Secret.Reveal()), APIBase: creds.Profile.APIBase})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Search(context.Background(), cloud.SearchQuery{Expression: "resource_type:image", MaxResults: 500,
		WithField: []string{"tags", "context"}})
	if err != nil {
		t.Fatal(err)
	}
	byETag := map[string]cloud.Asset{}
	for _, a := range res.Resources {
		byETag[a.ETag] = a
	}
	for _, p := range paths {
		a, ok := byETag[sums[p]]
		if !ok {
			t.Errorf("%s (md5 %s) is not in the sandbox", filepath.Base(p), sums[p])
			continue
		}
		want := strings.TrimSuffix(filepath.Base(p), ".png")
		if a.FolderPath() != folder || !slices.Contains(a.Tags, tag) || a.Context["alt"] != alt || a.Context["caption"] != caption ||
			!strings.HasPrefix(a.Name(), want) {
			t.Errorf("%s is %s in folder %q, tags %v, context %v, named %q; want folder %q, tag %q, alt %q, caption %q, name %s",
				filepath.Base(p), a.PublicID, a.FolderPath(), a.Tags, a.Context, a.Name(), folder, tag, alt, caption, want)
		}
	}
	folders, err := client.Folders(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(folders, func(f cloud.Folder) bool { return f.Path == folder }) {
		t.Errorf("the sandbox's root folders %v do not include %s", folders, folder)
	}
}

// ownClipboard makes text the X clipboard's content until the test ends,
// as a file manager does after Copy.
func (s *appRun) ownClipboard(text string) {
	s.t.Helper()
	// -quiet keeps xclip in the foreground, so it can be ended by its id.
	cmd := exec.Command("xclip", "-quiet", "-selection", "clipboard", "-i")
	cmd.Env = []string{"DISPLAY=" + s.display, "PATH=" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader(text)
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitUntil(s.t, 20*time.Second, "the clipboard to hold the paths", func() bool {
		out := exec.Command("xclip", "-o", "-selection", "clipboard")
		out.Env = cmd.Env
		got, err := out.Output()
		return err == nil && string(got) == text
	})
}

// saveWhenStill saves a screenshot once two taken apart are the same (the
// window has drawn what it was doing: thumbnails, the queue's progress).
func (s *appRun) saveWhenStill(name string) image.Image {
	s.t.Helper()
	last := s.screenshot()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(700 * time.Millisecond)
		img := s.screenshot()
		if changedPixels(img, last) < 400 { // a blinking cursor may differ
			break
		}
		last = img
	}
	s.save(name, last)
	return last
}

func changedPixels(a, b image.Image) int {
	r := a.Bounds()
	if r != b.Bounds() {
		return r.Dx() * r.Dy()
	}
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return n
}

// keepShots copies the screenshots, when the test ends, to the folder
// CLOUDUP_E2E_SHOTS names (if any), to look at them.
func (s *appRun) keepShots() {
	dir := os.Getenv("CLOUDUP_E2E_SHOTS")
	if dir == "" {
		return
	}
	s.t.Cleanup(func() {
		shots, _ := filepath.Glob(filepath.Join(s.artDir, "*.png"))
		os.MkdirAll(dir, 0o755)
		for _, p := range shots {
			if data, err := os.ReadFile(p); err == nil {
				os.WriteFile(filepath.Join(dir, filepath.Base(p)), data, 0o644)
			}
		}
	})
}
