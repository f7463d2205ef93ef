package tray

import (
	"bytes"
	"image/png"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/assets"
	coredesktop "github.com/cloudup/cloudup/core/desktop"
)

// panel records what the app puts in the status area (Fyne's test app has
// no tray).
type panel struct {
	menus []*fyne.Menu
	icons []fyne.Resource
}

func (p *panel) SetSystemTrayMenu(m *fyne.Menu)    { p.menus = append(p.menus, m) }
func (p *panel) SetSystemTrayIcon(r fyne.Resource) { p.icons = append(p.icons, r) }
func (p *panel) SetSystemTrayWindow(fyne.Window)   {}
func (p *panel) icon() fyne.Resource               { return p.icons[len(p.icons)-1] }
func (p *panel) menu() *fyne.Menu                  { return p.menus[len(p.menus)-1] }

func labels(m *fyne.Menu) string {
	var out []string
	for _, it := range m.Items {
		switch {
		case it.IsSeparator:
			out = append(out, "---")
		case it.Disabled:
			out = append(out, "("+it.Label+")")
		default:
			out = append(out, it.Label)
		}
	}
	return strings.Join(out, "|")
}

func item(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if strings.TrimSpace(it.Label) == label {
			return it
		}
	}
	t.Fatalf("no %q in %s", label, labels(m))
	return nil
}

func newTray(t *testing.T) (*Tray, *panel, *[]string) {
	test.NewTempApp(t)
	var calls []string
	icon := fyne.NewStaticResource("cloudup.png", assets.Icon)
	p := &panel{}
	var tips []string
	tr := New(p, icon, Actions{
		Show:            func() { calls = append(calls, "show") },
		UploadClipboard: func() { calls = append(calls, "clipboard") },
		Pause: func(pause bool) {
			if pause {
				calls = append(calls, "pause")
			} else {
				calls = append(calls, "resume")
			}
		},
		Copy: func(r Recent) { calls = append(calls, "copy "+r.Link) },
		Quit: func() { calls = append(calls, "quit") },
	}, func(s string) { tips = append(tips, s) })
	tr.Show()
	t.Cleanup(func() {
		if len(tips) == 0 {
			t.Error("the tooltip was never set")
		}
	})
	return tr, p, &calls
}

func TestTrayMenuShowsTheWindowUploadsTheClipboardCopiesRecentLinksPausesAndQuits(t *testing.T) {
	tr, p, calls := newTray(t)
	if got := labels(p.menu()); got != "(Cloudup: nothing to upload)|---|Show Cloudup|Upload clipboard|Pause all|---|(No uploads yet)|---|Quit" {
		t.Fatalf("idle menu: %s", got)
	}
	tr.Update(State{Active: 2, Waiting: 3, Watching: 1, Recent: []Recent{
		{Name: "beach.jpg", Link: "https://res.cloudinary.com/demo/image/upload/beach.jpg"},
		{Name: "clip.mp4", Link: "[clip](https://res.cloudinary.com/demo/video/upload/clip.mp4)"},
	}})
	m := p.menu()
	if got := labels(m); got != "(Uploading 2, 3 waiting, watching 1 folder)|---|Show Cloudup|Upload clipboard|Pause all|---|(Copy the link of:)|  beach.jpg|  clip.mp4|---|Quit" {
		t.Fatalf("busy menu: %s", got)
	}
	for _, l := range []string{"Show Cloudup", "Upload clipboard", "Pause all", "clip.mp4", "Quit"} {
		item(t, m, l).Action()
	}
	if got := strings.Join(*calls, ","); got != "show,clipboard,pause,copy [clip](https://res.cloudinary.com/demo/video/upload/clip.mp4),quit" {
		t.Fatalf("actions: %s", got)
	}
	quit := m.Items[len(m.Items)-1]
	if !quit.IsQuit {
		t.Error("Quit is not marked IsQuit: Fyne would add a second Quit that skips the question")
	}
	tr.Update(State{Waiting: 3, Paused: true})
	item(t, p.menu(), "Resume all").Action()
	if (*calls)[len(*calls)-1] != "resume" {
		t.Fatalf("calls %v", *calls)
	}
}

func TestTrayIconShowsWhenUploadsRunAndTheMenuIsRebuiltOnlyOnChange(t *testing.T) {
	tr, p, _ := newTray(t)
	idle := p.icon()
	tr.Update(State{Active: 1})
	if p.icon() == idle || !strings.HasPrefix(p.icon().Name(), "busy-") {
		t.Fatalf("icon while uploading: %s", p.icon().Name())
	}
	menus := len(p.menus)
	tr.Update(State{Active: 1}) // progress ticks change nothing the menu shows
	if len(p.menus) != menus {
		t.Fatal("the menu was rebuilt for an unchanged state")
	}
	tr.Update(State{Active: 1, Paused: true})
	if p.icon() != idle {
		t.Fatal("a paused batch still shows the busy icon")
	}
	tr.Update(State{})
	if p.icon() != idle || tr.State().Words() != "Cloudup: nothing to upload" {
		t.Fatalf("icon after the batch: %s, %q", p.icon().Name(), tr.State().Words())
	}
}

func TestBusyIconIsTheIconWithABadge(t *testing.T) {
	icon := fyne.NewStaticResource("cloudup.png", assets.Icon)
	busy := BusyIcon(icon)
	a, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := png.Decode(bytes.NewReader(busy.Content()))
	if err != nil {
		t.Fatal(err)
	}
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v, want %v", b.Bounds(), a.Bounds())
	}
	// Top left untouched, the badge's rim in the bottom right corner.
	if a.At(4, 4) != b.At(4, 4) {
		t.Error("the badge spilled over the icon")
	}
	w := a.Bounds().Dx()
	d := w * 9 / 20
	r, g, bl, _ := b.At(w-d/2-1-d/3, w-d/2-1).RGBA()
	if !(r > bl && r > g) {
		t.Errorf("no amber badge at the corner: %v", b.At(w-d/2-1-d/3, w-d/2-1))
	}
	if os.Getenv("CLOUDUP_WRITE_BUSY_ICON") != "" {
		os.WriteFile(os.Getenv("CLOUDUP_WRITE_BUSY_ICON"), busy.Content(), 0o644)
	}
}

func TestClosingDecidesByTrayWorkAndTheRememberedChoice(t *testing.T) {
	busy := Work{Uploads: 2}
	watching := Work{Watching: 1}
	for _, tc := range []struct {
		tray    bool
		w       Work
		setting coredesktop.OnClose
		want    Choice
	}{
		{false, busy, coredesktop.KeepInTray, Quit}, // no tray: as always
		{true, Work{}, coredesktop.AskOnClose, Quit},
		{true, busy, coredesktop.AskOnClose, Ask},
		{true, watching, coredesktop.AskOnClose, Ask},
		{true, watching, coredesktop.KeepInTray, Hide},
		{true, busy, coredesktop.QuitOnClose, Quit},
	} {
		if got := OnClose(tc.tray, tc.w, tc.setting); got != tc.want {
			t.Errorf("tray %v, %+v, %q: %v, want %v", tc.tray, tc.w, tc.setting, got, tc.want)
		}
	}
	if got := (Work{Uploads: 2, Watching: 1}).Words(); got != "2 uploads are not finished and 1 folder is watched" {
		t.Error(got)
	}
	if got := QuitWords(3); got != "Cloudup quits: 3 uploads stop now and continue when Cloudup starts again." {
		t.Error(got)
	}
}

func TestCloseDialogAnswersOnceWithTheChoiceAndWhetherToRememberIt(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widgetSpacer())
	w.Resize(fyne.NewSize(640, 400))
	var got []string
	cd := NewCloseDialog(w, Work{Uploads: 2, Watching: 1}, func(c Choice, remember bool) {
		got = append(got, map[Choice]string{Hide: "hide", Quit: "quit"}[c]+map[bool]string{true: "+remember", false: ""}[remember])
	})
	cd.Dialog.Show()
	test.AssertRendersToImage(t, "close_dialog.png", w.Canvas())
	test.Tap(cd.Remember)
	test.Tap(cd.Keep)
	if strings.Join(got, ",") != "hide+remember" {
		t.Fatalf("answers %v", got)
	}
	if len(w.Canvas().Overlays().List()) != 0 {
		t.Fatal("the dialog stayed open after the answer")
	}

	got = nil
	cd = NewCloseDialog(w, Work{Uploads: 1}, func(c Choice, remember bool) {
		got = append(got, map[Choice]string{Hide: "hide", Quit: "quit"}[c]+map[bool]string{true: "+remember", false: ""}[remember])
	})
	cd.Dialog.Show()
	test.Tap(cd.Quit)
	if strings.Join(got, ",") != "quit" {
		t.Fatalf("answers %v", got)
	}
}

func widgetSpacer() fyne.CanvasObject { return widget.NewLabel("Upload queue") }
