package ui

import (
	"context"
	"path"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/cloudup/cloudup/core/account"
	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/share"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/core/watch"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/tray"
	"github.com/cloudup/cloudup/ui/watched"
)

// BackgroundDeps are what Cloudup needs to live beside other programs. With
// Desktop nil there are no watched folders, no link copying and no tray.
type BackgroundDeps struct {
	// Desktop keeps the watched folders and the background choices.
	Desktop *coredesktop.Store
	// WatchState remembers what each watched folder dealt with.
	WatchState *watch.State
	// Tray is the app's status area (the fyne app, as desktop.App) when
	// the desktop shows tray icons (core/desktop.Tray); nil means there is
	// none, and NoTray says why. Fyne starts its tray only when the menu is
	// set before the app runs, so the caller asks the desktop first and the
	// menu goes up in New.
	Tray   desktop.App
	NoTray string
	// TrayTooltip sets the tray icon's tooltip (Fyne has no call for it).
	TrayTooltip func(string)
}

// background is Cloudup beside other programs: it runs the watched
// folders on the profiles' sessions (shared with the window, so their
// uploads show in the queue when their profile is in view), follows every
// open session's batches to copy their links and say how they went, keeps
// the tray icon and menu, and decides what closing the window does.
//
// Its fields marked UI are touched on the UI goroutine only; its
// goroutines (one event pump per open session, one refresher) are loops of
// the window's bridge.Tasks, which end them when the window closes.
type background struct {
	m   *MainWindow
	d   BackgroundDeps
	svc *watch.Service

	ctx    context.Context // ends in close: no pump starts after it
	cancel context.CancelFunc
	wake   chan struct{}

	mu      sync.Mutex
	pumps   map[Session]*transfer.Subscription
	history bool // recent uploads read from the journal once

	settings coredesktop.Settings // UI
	tray     *tray.Tray           // UI; nil without a tray
	noTray   string               // UI: why there is none
	recent   []tray.Recent        // UI, newest first
	view     *watched.View        // UI: the Settings section while open
	hidden   bool                 // UI: the window is hidden in the tray
	told     bool                 // UI: said once that it keeps working in the tray
}

// newBackground starts the background parts; nil when the window has no
// desktop settings (tests of other views, a build without them).
func newBackground(m *MainWindow, d BackgroundDeps) *background {
	if d.Desktop == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	bg := &background{m: m, d: d, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), pumps: map[Session]*transfer.Subscription{}, noTray: d.NoTray}
	if bg.noTray == "" {
		bg.noTray = "There is no tray here."
	}
	if d.WatchState != nil {
		bg.svc = watch.NewService(d.WatchState, bgEngines{m}, bg.poke)
	}
	m.sessions.opened, m.sessions.closed = bg.sessionOpened, bg.sessionClosed
	// One notification per batch, from here, for every session.
	m.upload.SetBatchNotifications(false)
	m.tasks.Loop(bg.refresher)
	if d.Tray != nil {
		bg.showTray()
	}
	m.tasks.Go(func(ctx context.Context) func() {
		s, err := d.Desktop.Load()
		return func() {
			if err != nil {
				m.showProblem(err.Error())
			}
			bg.applied(s)
		}
	})
	return bg
}

// close stops the watched folders and the pumps; the sessions are the
// window's to close.
func (bg *background) close() {
	if bg == nil {
		return
	}
	bg.cancel()
	if bg.svc != nil {
		bg.svc.Close()
	}
	bg.mu.Lock()
	subs := bg.pumps
	bg.pumps = map[Session]*transfer.Subscription{}
	bg.mu.Unlock()
	for _, sub := range subs {
		sub.Close()
	}
}

// applied takes new settings (loaded, or saved in Settings): the watched
// folders follow them off the UI goroutine.
func (bg *background) applied(s coredesktop.Settings) {
	bg.settings = s
	if bg.svc != nil {
		folders, svc := s.Watched, bg.svc
		bg.m.tasks.Go(func(ctx context.Context) func() {
			svc.Apply(ctx, folders)
			return nil
		})
	}
	bg.poke()
}

// bgEngines lends the watched folders the session of their profile,
// opening it when the window has none.
type bgEngines struct{ m *MainWindow }

func (e bgEngines) Acquire(ctx context.Context, name string) (watch.Lease, error) {
	m := e.m
	resolver := &account.Resolver{Store: m.deps.Profiles, Keychain: m.deps.Keychain, Getenv: func(k string) string {
		if k == account.EnvVar {
			return "" // a watched folder names a stored profile
		}
		return m.deps.Getenv(k)
	}}
	creds, err := resolver.Resolve(ctx, name)
	s, err := m.openSession(ctx, &creds, err, nil)
	if err != nil {
		return watch.Lease{}, err
	}
	return watch.Lease{Engine: s.Engine(), Defaults: session.UploadOptions(s.Profile()), Release: func() { m.sessions.close(s) }}, nil
}

// sessionOpened follows a newly opened session's batches (any goroutine).
func (bg *background) sessionOpened(s Session) {
	if s.Engine() == nil {
		return
	}
	sub := s.Engine().Subscribe()
	bg.mu.Lock()
	if bg.ctx.Err() != nil {
		bg.mu.Unlock()
		sub.Close()
		return
	}
	bg.pumps[s] = sub
	first := !bg.history
	bg.history = true
	bg.mu.Unlock()
	format := share.FormatOf(s.Profile())
	tracker := share.NewTracker(format, func(r share.Report) { bg.batchDone(r) })
	tracker.SetTemplates(share.TemplatesOf(s.Profile()))
	bg.m.tasks.Loop(func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				tracker.Event(ev)
				bg.poke()
			}
		}
	})
	if first {
		bg.loadRecent(s)
	}
	bg.poke()
}

func (bg *background) sessionClosed(s Session) {
	bg.mu.Lock()
	sub := bg.pumps[s]
	delete(bg.pumps, s)
	bg.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
	bg.poke()
}

func linkFormat(p account.Profile) effects.LinkFormat {
	f, err := effects.ParseLinkFormat(string(p.LinkFormat))
	if err != nil {
		return effects.LinkURL
	}
	return f
}

// historian is a session that can read the upload history
// (*session.Session is one).
type historian interface {
	Journal() *transfer.Journal
}

// recentCount is how many recent uploads the tray offers.
const recentCount = 5

// loadRecent reads the last uploads of earlier runs for the tray menu,
// each link in its profile's format.
func (bg *background) loadRecent(s Session) {
	h, ok := s.(historian)
	if !ok {
		return
	}
	profiles := bg.m.deps.Profiles
	bg.m.tasks.Go(func(ctx context.Context) func() {
		rows, err := h.Journal().History(ctx, transfer.HistoryQuery{Limit: 50})
		if err != nil {
			return nil
		}
		formats := map[string]effects.LinkFormat{}
		var recent []tray.Recent
		for _, r := range rows {
			if (r.Outcome != transfer.Done && r.Outcome != transfer.Skipped) || r.SecureURL == "" {
				continue
			}
			f, ok := formats[r.Profile]
			if !ok {
				p, err := profiles.Get(r.Profile)
				f = effects.LinkURL
				if err == nil {
					f = linkFormat(p)
				}
				formats[r.Profile] = f
			}
			recent = append(recent, tray.Recent{Name: r.Name, Link: effects.Link(f, r.SecureURL, r.ResourceType, trimExt(r.Name))})
			if len(recent) == recentCount {
				break
			}
		}
		return func() {
			// Uploads of this run come first.
			bg.recent = append(bg.recent, recent...)
			if len(bg.recent) > recentCount {
				bg.recent = bg.recent[:recentCount]
			}
			bg.refresh()
		}
	})
}

func trimExt(name string) string { return name[:len(name)-len(path.Ext(name))] }

// batchDone copies a finished batch's links (when asked to) and says how
// it went (from a pump goroutine).
func (bg *background) batchDone(r share.Report) {
	bg.m.tasks.Do(func() {
		copied := false
		if bg.settings.CopyLinks && len(r.Links) > 0 {
			if a := fyne.CurrentApp(); a != nil && a.Clipboard() != nil {
				a.Clipboard().SetContent(r.Text())
				copied = true
			}
		}
		var fresh []tray.Recent
		for i := len(r.Links) - 1; i >= 0 && len(fresh) < recentCount; i-- {
			fresh = append(fresh, tray.Recent{Name: r.Names[i], Link: r.Links[i]})
		}
		bg.recent = append(fresh, bg.recent...)
		if len(bg.recent) > recentCount {
			bg.recent = bg.recent[:recentCount]
		}
		title, body := r.Notification(copied)
		bg.notify(title, body)
		bg.refresh()
	})
}

// notify sends a desktop notification off the UI goroutine: on Linux Fyne
// makes it a synchronous D-Bus call.
func (bg *background) notify(title, body string) {
	a := fyne.CurrentApp()
	if a == nil {
		return
	}
	n := fyne.NewNotification(title, body)
	bg.m.tasks.Go(func(context.Context) func() {
		a.SendNotification(n)
		return nil
	})
}

// poke asks for the tray and Settings to be redrawn soon (any goroutine).
func (bg *background) poke() {
	select {
	case bg.wake <- struct{}{}:
	default:
	}
}

// refresher turns pokes into at most a few redraws a second.
func (bg *background) refresher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-bg.wake:
		}
		bg.m.tasks.Do(bg.refresh)
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// work is what runs now, across every open session and watched folder.
func (bg *background) work() (w tray.Work, paused bool) {
	anyPaused, all := false, true
	for _, s := range bg.m.sessions.all() {
		if s.Engine() == nil {
			continue
		}
		b := s.Engine().Batch()
		w.Uploads += b.Queued + b.Active
		if b.Queued+b.Active > 0 {
			anyPaused = anyPaused || b.Paused
			all = all && b.Paused
		}
	}
	if bg.svc != nil {
		w.Watching = bg.svc.Watching()
	}
	return w, anyPaused && all
}

// refresh redraws the tray and the Settings section (UI goroutine).
func (bg *background) refresh() {
	if bg.view != nil {
		bg.view.RefreshStatus()
	}
	if bg.tray == nil {
		return
	}
	st := tray.State{Recent: bg.recent}
	active, waiting := 0, 0
	for _, s := range bg.m.sessions.all() {
		if s.Engine() != nil {
			b := s.Engine().Batch()
			active += b.Active
			waiting += b.Queued
		}
	}
	w, paused := bg.work()
	st.Active, st.Waiting, st.Paused, st.Watching = active, waiting, paused, w.Watching
	bg.tray.Update(st)
}

func (bg *background) showTray() {
	bg.tray = tray.New(bg.d.Tray, bg.m.deps.Icon, tray.Actions{
		Show:            bg.showWindow,
		UploadClipboard: bg.m.Paste,
		Pause:           bg.pauseAll,
		Copy: func(r tray.Recent) {
			if a := fyne.CurrentApp(); a != nil && a.Clipboard() != nil {
				a.Clipboard().SetContent(r.Link)
				bg.notify("Link copied", r.Name+": its link is on the clipboard.")
			}
		},
		Quit: bg.m.requestQuit,
	}, bg.d.TrayTooltip)
	bg.tray.Show()
	bg.refresh()
}

func (bg *background) showWindow() {
	bg.hidden = false
	bg.m.Window.Show()
	bg.m.Window.RequestFocus()
}

func (bg *background) pauseAll(pause bool) {
	for _, s := range bg.m.sessions.all() {
		if e := s.Engine(); e != nil {
			if pause {
				e.Pause()
			} else {
				e.Resume()
			}
		}
	}
	bg.poke()
}

// closeRequested decides what closing the window does: without a tray, or
// with nothing going on, it closes as always (closeWindow); otherwise it
// hides in the tray or quits, as chosen once or asked now.
func (bg *background) closeRequested(closeWindow func()) {
	if bg == nil {
		closeWindow()
		return
	}
	w, _ := bg.work()
	switch tray.OnClose(bg.tray != nil, w, bg.settings.OnClose) {
	case tray.Quit:
		bg.quitWith(w, closeWindow)
	case tray.Hide:
		bg.hide(w)
	case tray.Ask:
		cd := tray.NewCloseDialog(bg.m.Window, w, func(c tray.Choice, remember bool) {
			if remember {
				choice := map[tray.Choice]coredesktop.OnClose{tray.Hide: coredesktop.KeepInTray, tray.Quit: coredesktop.QuitOnClose}[c]
				store := bg.d.Desktop
				bg.m.tasks.Go(func(context.Context) func() {
					s, err := store.Update(func(s *coredesktop.Settings) error { s.OnClose = choice; return nil })
					if err != nil {
						return nil
					}
					return func() { bg.applied(s) }
				})
			}
			if c == tray.Hide {
				bg.hide(w)
				return
			}
			bg.quitWith(w, closeWindow)
		})
		bg.m.showDialog(cd.Dialog)
	}
}

// hide puts the window away; the first time, a notification says where
// Cloudup went.
func (bg *background) hide(w tray.Work) {
	bg.hidden = true
	bg.m.Window.Hide()
	if !bg.told {
		bg.told = true
		bg.notify("Cloudup keeps working in the tray", upperFirst(w.Words())+". Its icon in the tray shows the window again.")
	}
}

// quitWith says what quitting leaves unfinished, then quits.
func (bg *background) quitWith(w tray.Work, quit func()) {
	if w.Uploads > 0 {
		bg.notify("Cloudup quits", tray.QuitWords(w.Uploads))
	}
	quit()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// settingsView is the Settings section for the background, built when
// Settings opens (nil without desktop settings).
func (bg *background) settingsView() *watched.View {
	if bg == nil {
		return nil
	}
	profiles := bg.m.deps.Profiles
	deps := watched.Deps{
		Store: bg.d.Desktop, Tasks: bg.m.tasks, Window: bg.m.Window,
		Profiles: func() ([]string, error) {
			list, err := profiles.List()
			names := make([]string, len(list))
			for i, p := range list {
				names[i] = p.Name
			}
			return names, err
		},
		OnChanged:  bg.applied,
		ShowDialog: bg.m.showDialogOver,
	}
	if bg.svc != nil {
		deps.Status = bg.svc.Status
	}
	if bg.tray == nil {
		deps.NoTray = bg.noTray
	}
	bg.view = watched.New(deps)
	return bg.view
}

// RequestClose is the window's close button (and Ctrl+W): without a tray,
// or with nothing going on, the app quits as always (Quit records the
// window's size and place while it is still there); otherwise it keeps
// working in the tray or quits, as chosen once or asked now.
func (m *MainWindow) RequestClose() { m.bg.closeRequested(m.Quit) }

// requestQuit is Ctrl+Q and the tray's Quit: with uploads unfinished it
// says they continue next time, then quits.
func (m *MainWindow) requestQuit() {
	if m.bg == nil {
		m.Quit()
		return
	}
	w, _ := m.bg.work()
	m.bg.quitWith(w, m.Quit)
}

// showDialog shows a dialog of the window's own, unless one is open.
func (m *MainWindow) showDialog(d dialog.Dialog) { dialogs.For(m.Window).Show(d) }

// showDialogOver shows a dialog that belongs to the dialog open now.
func (m *MainWindow) showDialogOver(d dialog.Dialog) { dialogs.For(m.Window).ShowOver(d) }

// settingsContent is the Settings dialog's background tab (nil without
// desktop settings).
func (bg *background) settingsContent() fyne.CanvasObject {
	if v := bg.settingsView(); v != nil {
		return v.Content()
	}
	return nil
}

// settingsClosed forgets the section when Settings closes.
func (bg *background) settingsClosed() {
	if bg != nil {
		bg.view = nil
	}
}
