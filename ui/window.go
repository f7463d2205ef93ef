// Package ui builds Cloudup's main window from a few core services handed in
// through Deps and drives it: a header with the profile switcher and the
// source buttons, a banner when the embedded sandbox is in use, the Upload,
// Library and Account tabs, the Settings dialog, window-wide drops and the
// keyboard shortcuts. It owns the current session: a profile switch resolves
// the credentials, opens a new session off the UI goroutine and hands it to
// every view.
//
// Files: window.go lays the window out and routes the header's actions to
// the views; switching.go picks profiles and hands sessions to the views;
// account.go is the Account tab and the header's summary; menus.go holds
// the menus and keys.
//
// It talks to core only through the interfaces in Deps, runs anything that
// may block (keychain, disk, network) on bridge.Tasks, and changes widgets
// only on the UI goroutine. It must not import fyne.io/fyne/v2/app:
// cmd/cloudup creates the app, so this package runs headless on fyne's test
// driver.
package ui

import (
	"context"
	"image/color"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/browser"
	"github.com/cloudup/cloudup/core/keychain"
	corelibrary "github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/history"
	uilibrary "github.com/cloudup/cloudup/ui/library"
	"github.com/cloudup/cloudup/ui/queue"
	"github.com/cloudup/cloudup/ui/settings"
	"github.com/cloudup/cloudup/ui/style"
	"github.com/cloudup/cloudup/ui/words"
)

// Title is the main window's title.
const Title = "Cloudup"

// prefCompact is the app preference that keeps the queue's density.
const prefCompact = "queue.compact"

// Deps are the core services the window works with.
type Deps struct {
	// Profiles is the profile store (*account.Store); the Settings dialog
	// works on the same one.
	Profiles settings.Store
	Keychain keychain.Keychain
	// Getenv reads the environment (CLOUDINARY_URL); nil means os.Getenv.
	Getenv func(string) string
	// Icon is shown in the header; may be nil.
	Icon fyne.Resource
	// Tasks owns the window's background work; nil means a new
	// bridge.NewTasks. Widget tests pass bridge.NewQueuedTasks.
	Tasks *bridge.Tasks
	// Open opens a session for resolved credentials; nil means the window
	// only shows profiles (nothing can be uploaded or browsed).
	Open Opener
	// Sandbox supplies the Sandbox profile's credentials; nil means the
	// Sandbox profile cannot be used.
	Sandbox Sandbox
	// Thumbs caches library thumbnails; nil means the library makes its own.
	Thumbs *corelibrary.Thumbs
	// Inputs are files and URLs named on the command line, queued once the
	// first session is open.
	Inputs []string
	// Geometry is the size and place the window had last time
	// (LoadGeometry); zero means the default size.
	Geometry Geometry
	// Position says where the window is on the screen; nil (or false)
	// where the platform does not tell, and then only the size is kept.
	Position func(fyne.Window) (x, y int, ok bool)
	// Background is what Cloudup needs to live beside other programs:
	// watched folders, link copying, the tray (background.go).
	Background BackgroundDeps
	// PickFiles is Add files' chooser (queue.PortalPicker); nil means
	// Fyne's dialog.
	PickFiles func(ctx context.Context) ([]string, error)
}

// MainWindow is the app's one window.
type MainWindow struct {
	Window fyne.Window
	// Tabs holds the views; later views are added with AddTab.
	Tabs *container.AppTabs

	app   fyne.App
	deps  Deps
	tasks *bridge.Tasks
	now   func() time.Time

	switcher     *widget.Select
	summary      *widget.Label
	banner       *fyne.Container
	bannerText   *widget.Label
	bannerBack   *canvas.Rectangle
	bannerAction *widget.Button
	overview     *overview

	upload      *queue.View
	history     *history.View
	compactItem *fyne.MenuItem // View › Compact queue rows
	library     *uilibrary.View
	thumbs      *corelibrary.Thumbs // the library's cache, made on first use when Deps has none
	uploadItem  *container.TabItem
	libraryItem *container.TabItem

	// sessions holds every session opened and not closed yet; session is
	// the one the views work with now (nil when there is none), opened for
	// the switcher's choice sessionChoice. parked holds, by choice, the
	// sessions of other profiles whose uploads go on in the background;
	// replacing is a session reopen closes before its successor opens.
	sessions      openSessions
	session       Session
	sessionChoice string
	parked        map[string]Session
	replacing     Session
	// grant is what the team's signing service said the current team
	// profile's editor may do; nil before it answered and for other
	// profiles.
	grant *teamsign.Grant
	// libraryDone is how many uploads the session had finished when the
	// Library last (re)loaded: showing the tab again after more finished
	// reloads it, so new uploads appear without a Refresh click.
	libraryDone int
	// inputs wait for the first session (command-line files).
	inputs []string
	// resumeOffered names the profiles whose unfinished uploads were
	// already offered, so a switch back does not ask again.
	resumeOffered map[string]bool
	// bg runs the watched folders, the tray and link copying; nil without
	// desktop settings.
	bg *background

	// current is the switcher's choice: a profile name, or envChoice.
	current string
	// resolved is the last outcome of resolving current (no secret kept).
	resolved account.Credentials
	// persist is false while Reload selects, so only a user's choice is
	// written back as the default.
	persist bool
	// geometry is the window's size and place as last recorded.
	geometry Geometry
}

// New builds the main window. Call Close when the app quits so background
// work stops.
func New(a fyne.App, deps Deps) *MainWindow {
	if deps.Getenv == nil {
		deps.Getenv = os.Getenv
	}
	if deps.Tasks == nil {
		deps.Tasks = bridge.NewTasks()
	}
	m := &MainWindow{app: a, deps: deps, tasks: deps.Tasks, now: time.Now, thumbs: deps.Thumbs, persist: true, inputs: deps.Inputs,
		resumeOffered: map[string]bool{}, parked: map[string]Session{}}
	m.Window = a.NewWindow(Title)
	if deps.Icon != nil {
		m.Window.SetIcon(deps.Icon)
	}

	m.switcher = widget.NewSelect(nil, m.switchTo)
	m.switcher.PlaceHolder = "Choose a profile"
	m.summary = widget.NewLabel("")
	m.summary.Truncation = fyne.TextTruncateEllipsis
	m.summary.SizeName = theme.SizeNameCaptionText
	m.upload = queue.New(m.Window, m.tasks)
	m.upload.PickFiles = deps.PickFiles
	m.upload.OnOpenSettings = m.unlessDialog(m.ShowSettings)
	m.upload.SetCompact(a.Preferences().Bool(prefCompact))
	m.upload.OnCompact = func(on bool) {
		a.Preferences().SetBool(prefCompact, on)
		if m.compactItem != nil {
			m.compactItem.Checked = on
			m.Window.MainMenu().Refresh()
		}
	}
	m.library = uilibrary.New(m.Window, m.tasks)
	m.library.OnLoaded = m.sawLibrary
	m.upload.OnContact = m.sawUpload

	var logo fyne.CanvasObject = layoutSpacer()
	if deps.Icon != nil {
		img := canvas.NewImageFromResource(deps.Icon)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSquareSize(32))
		logo = img
	}
	left := container.NewHBox(logo, widget.NewLabelWithStyle("Profile", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	buttons := container.NewHBox(
		widget.NewButtonWithIcon("Add files", theme.FileIcon(), m.AddFiles),
		widget.NewButtonWithIcon("Add folder", theme.FolderIcon(), m.AddFolder),
		widget.NewButtonWithIcon("From URL", theme.ComputerIcon(), m.FromURL),
		widget.NewButtonWithIcon("Camera", theme.MediaPhotoIcon(), m.Camera),
		widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), m.Paste),
		widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), m.ShowSettings),
	)
	header := container.NewVBox(container.NewBorder(nil, nil, left, buttons, container.New(upTo{width: 300}, m.switcher)), m.summary)

	m.bannerText = widget.NewLabel("")
	m.bannerText.Wrapping = fyne.TextWrapWord
	m.bannerText.Importance = widget.WarningImportance
	m.bannerBack = canvas.NewRectangle(color.Transparent)
	m.bannerAction = widget.NewButtonWithIcon("Open Settings", theme.SettingsIcon(), m.unlessDialog(m.ShowSettings))
	m.bannerAction.Hide()
	m.banner = container.NewStack(m.bannerBack, container.NewBorder(nil, nil, nil, container.NewCenter(m.bannerAction), m.bannerText))
	m.banner.Hide()

	m.overview = newOverview(m.ShowSettings)
	m.uploadItem = container.NewTabItemWithIcon("Upload", theme.UploadIcon(), m.upload.Content())
	m.libraryItem = container.NewTabItemWithIcon("Library", theme.GridIcon(), m.library.Content())
	m.history = history.New(m.Window, m.tasks)
	if browser.Supported() {
		m.history.Reveal = func(ctx context.Context, dir string) error { return browser.Open(ctx, "file://"+dir, 0) }
	}
	m.Tabs = container.NewAppTabs(m.uploadItem, m.libraryItem,
		container.NewTabItemWithIcon("History", theme.HistoryIcon(), m.history.Content()),
		container.NewTabItemWithIcon("Account", theme.AccountIcon(), m.overview.content))

	top := container.NewVBox(container.NewPadded(header), m.banner, widget.NewSeparator())
	m.Tabs.OnSelected = func(item *container.TabItem) {
		if item == m.libraryItem {
			m.refreshLibraryIfStale()
		}
		if item.Content == m.history.Content() {
			m.history.Load() // what finished since it was last shown
		}
	}
	m.Window.SetContent(container.NewBorder(top, nil, nil, nil, m.Tabs))
	m.placeWindow(deps.Geometry)
	m.installShortcuts()
	m.Window.SetOnDropped(m.HandleDrop)
	// Closing the window only cancels: engines flushing their journal and
	// tasks finishing would freeze the UI goroutine here. The owner (cmd/
	// cloudup, after the run loop ends) calls Close, which waits.
	m.Window.SetOnClosed(m.tasks.Cancel)
	// Closing the window while work goes on may keep Cloudup in the tray
	// (RequestClose records the size and place first, as a quit does).
	m.bg = newBackground(m, deps.Background)
	m.Window.SetCloseIntercept(m.RequestClose)

	m.Reload()
	return m
}

// AddTab adds a view after the existing ones.
func (m *MainWindow) AddTab(item *container.TabItem) { m.Tabs.Append(item) }

// Close stops background work, waits for it, and closes every session the
// window opened (their engines keep unfinished work in the journal).
func (m *MainWindow) Close() {
	m.tasks.Close()
	m.bg.close()
	m.sessions.closeAll()
	m.session, m.parked = nil, map[string]Session{}
}

// Session is the session the views work with now, or nil.
func (m *MainWindow) Session() Session { return m.session }

// Tasks is the owner of the window's background work, for views added
// later.
func (m *MainWindow) Tasks() *bridge.Tasks { return m.tasks }

// Current is the credentials the window works with now, as last resolved.
// The secret is not kept: Secret is always empty here.
func (m *MainWindow) Current() account.Credentials { return m.resolved }

// ShowDetails opens the Upload tab's Details panel (Ctrl+D): folder, tags,
// alt text, caption and name for the next files.
func (m *MainWindow) ShowDetails() { m.Tabs.Select(m.uploadItem); m.upload.ShowDetails() }

// AddFiles opens the file picker of the Upload tab (Ctrl+O).
func (m *MainWindow) AddFiles() { m.Tabs.Select(m.uploadItem); m.upload.AddFiles() }

// AddFolder opens the folder picker of the Upload tab.
func (m *MainWindow) AddFolder() { m.Tabs.Select(m.uploadItem); m.upload.AddFolder() }

// FromURL asks for URLs to upload, one per line.
func (m *MainWindow) FromURL() { m.Tabs.Select(m.uploadItem); m.upload.FromURL() }

// Camera opens the camera dialog.
func (m *MainWindow) Camera() { m.Tabs.Select(m.uploadItem); m.upload.Camera() }

// Paste queues what the clipboard holds: URLs, file paths or an image
// (Ctrl+V outside a text field).
func (m *MainWindow) Paste() { m.Tabs.Select(m.uploadItem); m.upload.Paste() }

// FocusSearch shows the Library tab with its search field focused (Ctrl+F).
func (m *MainWindow) FocusSearch() { m.Tabs.Select(m.libraryItem); m.library.FocusSearch() }

// HandleDrop queues files and folders dropped anywhere on the window.
func (m *MainWindow) HandleDrop(pos fyne.Position, uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	m.Tabs.Select(m.uploadItem)
	m.upload.HandleDrop(pos, uris)
}

// ShowSettings opens the Settings dialog on the current profile.
func (m *MainWindow) ShowSettings() { m.OpenSettings() }

// OpenSettings opens the Settings dialog and returns its panel (nil when
// another dialog is open).
func (m *MainWindow) OpenSettings() *settings.Panel {
	return settings.Show(m.Window, settings.Deps{
		Store: m.deps.Profiles, Keychain: m.deps.Keychain, Tasks: m.tasks,
		Current: m.currentProfile,
		OnSaved: func(p account.Profile) {
			// Saving is not switching: the profile in use stays, and is
			// opened again when it is the one that changed.
			if p.Name == m.currentProfile() {
				m.reopen()
			}
			m.Reload()
		},
		OnSwitch:   func(name string) { m.switcher.SetSelected(name) },
		OnRemoved:  func(string) { m.Reload() },
		Background: m.bg.settingsContent(),
		OnClosed:   m.bg.settingsClosed,
	}, m.resolved.Profile)
}

// currentProfile is the name of the stored profile in use ("" for
// CLOUDINARY_URL or none).
func (m *MainWindow) currentProfile() string {
	if m.current == envChoice {
		return ""
	}
	return m.current
}

// showBanner says plainly when uploads stay on this computer, and when
// nothing can be uploaded at all.
func (m *MainWindow) showBanner(c account.Credentials, why error) {
	switch {
	case why != nil:
		w := words.Unavailable(why)
		m.bannerText.Importance = widget.DangerImportance
		m.bannerBack.FillColor = withAlpha(theme.Color(theme.ColorNameError), style.BannerAlpha)
		m.bannerText.SetText("Nothing can be uploaded with this profile. " + w.Text)
		show(m.bannerAction, w.Action == words.OpenSettings)
	case c.Profile.Sandbox:
		m.bannerText.Importance = widget.WarningImportance
		m.bannerBack.FillColor = withAlpha(theme.Color(theme.ColorNameWarning), style.BannerAlpha)
		m.bannerText.SetText("Sandbox: uploads stay on this computer, in a local Cloudinary-compatible server. Open Settings to connect your Cloudinary account.")
		m.bannerAction.Hide()
	default:
		m.banner.Hide()
		return
	}
	m.banner.Show()
	m.banner.Refresh()
}

func show(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

func (m *MainWindow) showProblem(msg string) {
	m.summary.SetText(msg)
	m.overview.problem(msg)
}

func layoutSpacer() fyne.CanvasObject {
	r := canvas.NewRectangle(nil)
	r.SetMinSize(fyne.NewSquareSize(0))
	return r
}

// upTo lays out one object as wide as there is room for, but no wider than
// width: the profile switcher shows long profile names whole where the
// window has room, without stretching across a wide one.
type upTo struct{ width float32 }

func (l upTo) MinSize(objects []fyne.CanvasObject) fyne.Size {
	if len(objects) == 0 {
		return fyne.Size{}
	}
	return objects[0].MinSize()
}

func (l upTo) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		w := max(min(size.Width, l.width), o.MinSize().Width)
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos(0, 0))
	}
}
