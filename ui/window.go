// Package ui builds Cloudup's main window from a few core services handed in
// through Deps and drives it: a header with the profile switcher and the
// source buttons, a banner when the embedded sandbox is in use, the Upload,
// Library and Account tabs, the Settings dialog, window-wide drops and the
// keyboard shortcuts. It owns the current session: a profile switch resolves
// the credentials, opens a new session off the UI goroutine and hands it to
// every view.
//
// It talks to core only through the interfaces in Deps, runs anything that
// may block (keychain, disk, network) on bridge.Tasks, and changes widgets
// only on the UI goroutine. It must not import fyne.io/fyne/v2/app:
// cmd/cloudup creates the app, so this package runs headless on fyne's test
// driver.
package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/settings"
)

// Title is the main window's title.
const Title = "Cloudup"

// Profiles is what the window needs of the profile store; *account.Store is
// one.
type Profiles interface {
	List() ([]account.Profile, error)
	Get(name string) (account.Profile, error)
	Put(p account.Profile) error
	Default() (account.Profile, error)
	SetDefault(name string) error
	Delete(name string) error
}

// Deps are the core services the window works with.
type Deps struct {
	Profiles Profiles
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
	Thumbs *library.Thumbs
	// Inputs are files and URLs named on the command line, queued once the
	// first session is open.
	Inputs []string
	// Background is what Cloudup needs to live beside other programs:
	// watched folders, link copying, the tray (background.go).
	Background BackgroundDeps
}

// envChoice is the switcher entry for CLOUDINARY_URL.
const envChoice = "CLOUDINARY_URL (environment)"

// MainWindow is the app's one window.
type MainWindow struct {
	Window fyne.Window
	// Tabs holds the views; later views are added with AddTab.
	Tabs *container.AppTabs

	app   fyne.App
	deps  Deps
	tasks *bridge.Tasks
	// viewTasks owns the views' work, which includes long-lived event
	// pumps: kept apart from tasks so that tasks.Wait (used by widget
	// tests) is not held by a pump that runs as long as a session.
	viewTasks *bridge.Tasks

	switcher   *widget.Select
	summary    *widget.Label
	banner     *fyne.Container
	bannerText *widget.Label
	bannerBack *canvas.Rectangle
	overview   *overview

	upload      uploadTab
	library     libraryTab
	uploadItem  *container.TabItem
	libraryItem *container.TabItem

	// sessions holds every session opened and not closed yet; session is
	// the one the views work with now (nil when there is none).
	sessions openSessions
	session  Session
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
	m := &MainWindow{app: a, deps: deps, tasks: deps.Tasks, viewTasks: bridge.NewTasks(), persist: true, inputs: deps.Inputs, resumeOffered: map[string]bool{}}
	m.Window = a.NewWindow(Title)
	if deps.Icon != nil {
		m.Window.SetIcon(deps.Icon)
	}

	m.switcher = widget.NewSelect(nil, m.switchTo)
	m.switcher.PlaceHolder = "Choose a profile"
	m.summary = widget.NewLabel("")
	m.summary.Truncation = fyne.TextTruncateEllipsis
	m.summary.SizeName = theme.SizeNameCaptionText
	m.upload, m.library = newViews(m)

	var logo fyne.CanvasObject = layoutSpacer()
	if deps.Icon != nil {
		img := canvas.NewImageFromResource(deps.Icon)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSquareSize(32))
		logo = img
	}
	left := container.NewHBox(logo, widget.NewLabelWithStyle("Profile", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), m.switcher)
	buttons := container.NewHBox(
		widget.NewButtonWithIcon("Add files", theme.FileIcon(), m.AddFiles),
		widget.NewButtonWithIcon("Add folder", theme.FolderIcon(), m.AddFolder),
		widget.NewButtonWithIcon("From URL", theme.ComputerIcon(), m.FromURL),
		widget.NewButtonWithIcon("Camera", theme.MediaPhotoIcon(), m.Camera),
		widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), m.Paste),
		widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), m.ShowSettings),
	)
	header := container.NewVBox(container.NewBorder(nil, nil, left, buttons), m.summary)

	m.bannerText = widget.NewLabel("")
	m.bannerText.Wrapping = fyne.TextWrapWord
	m.bannerText.Importance = widget.WarningImportance
	m.bannerBack = canvas.NewRectangle(color.Transparent)
	m.banner = container.NewStack(m.bannerBack, m.bannerText)
	m.banner.Hide()

	m.overview = newOverview(m.ShowSettings)
	m.uploadItem = container.NewTabItemWithIcon("Upload", theme.UploadIcon(), m.upload.content())
	m.libraryItem = container.NewTabItemWithIcon("Library", theme.GridIcon(), m.library.content())
	m.Tabs = container.NewAppTabs(m.uploadItem, m.libraryItem,
		container.NewTabItemWithIcon("Account", theme.AccountIcon(), m.overview.content))

	top := container.NewVBox(container.NewPadded(header), m.banner, widget.NewSeparator())
	m.Tabs.OnSelected = func(item *container.TabItem) {
		if item == m.libraryItem {
			m.refreshLibraryIfStale()
		}
	}
	m.Window.SetContent(container.NewBorder(top, nil, nil, nil, m.Tabs))
	m.Window.Resize(fyne.NewSize(1100, 720))
	m.installShortcuts()
	m.Window.SetOnDropped(m.HandleDrop)
	// Closing the window only cancels: engines flushing their journal and
	// tasks finishing would freeze the UI goroutine here. The owner (cmd/
	// cloudup, after the run loop ends) calls Close, which waits.
	m.Window.SetOnClosed(func() {
		m.viewTasks.Cancel()
		m.tasks.Cancel()
	})
	// Closing the window while work goes on may keep Cloudup in the tray.
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
	m.viewTasks.Close()
	m.tasks.Close()
	m.bg.close()
	m.sessions.closeAll()
	m.session = nil
}

// Session is the session the views work with now, or nil.
func (m *MainWindow) Session() Session { return m.session }

// Tasks is the owner of the window's background work, for views added
// later.
func (m *MainWindow) Tasks() *bridge.Tasks { return m.tasks }

// Current is the credentials the window works with now, as last resolved.
// The secret is not kept: Secret is always empty here.
func (m *MainWindow) Current() account.Credentials { return m.resolved }

// Reload re-reads the profiles and picks the current one the way the CLI
// does: CLOUDINARY_URL when set, else the default profile.
// The store is read off the UI goroutine: a save in progress holds its
// lock through an fsync.
func (m *MainWindow) Reload() {
	profiles := m.deps.Profiles
	m.tasks.Go(func(context.Context) func() {
		list, err := profiles.List()
		def, defErr := profiles.Default()
		return func() { m.showProfiles(list, err, def, defErr) }
	})
}

// showProfiles fills the switcher and selects the current choice.
func (m *MainWindow) showProfiles(list []account.Profile, err error, def account.Profile, defErr error) {
	if err != nil {
		m.showProblem("Cannot read profiles: " + err.Error())
		return
	}
	var names []string
	env := strings.TrimSpace(m.deps.Getenv(account.EnvVar)) != ""
	if env {
		names = append(names, envChoice)
	}
	for _, p := range list {
		names = append(names, p.Name)
	}
	m.switcher.SetOptions(names)
	choice := m.current
	if choice == "" || !contains(names, choice) {
		if env {
			choice = envChoice
		} else if defErr == nil {
			choice = def.Name
		}
	}
	m.current = ""
	m.persist = false
	m.switcher.SetSelected(choice) // calls switchTo
	m.persist = true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// switchTo makes choice current: a stored profile also becomes the default,
// so the CLI and the next start agree with what the window shows.
func (m *MainWindow) switchTo(choice string) {
	if choice == "" || choice == m.current {
		return
	}
	m.current = choice
	name := choice
	if choice == envChoice {
		name = ""
	}
	persist := m.persist && name != ""
	m.summary.SetText("Loading " + choice + "…")
	if choice == account.SandboxName {
		// Starting and seeding the sandbox takes a moment the first time.
		m.bannerText.Importance = widget.WarningImportance
		m.bannerBack.FillColor = withAlpha(theme.Color(theme.ColorNameWarning), 0x28)
		m.bannerText.SetText("Sandbox: starting the local Cloudinary-compatible server… Uploads stay on this computer.")
		m.banner.Show()
		m.banner.Refresh()
	}
	resolver := &account.Resolver{Store: m.deps.Profiles, Keychain: m.deps.Keychain, Getenv: m.deps.Getenv}
	profiles := m.deps.Profiles
	m.tasks.Go(func(ctx context.Context) func() {
		if persist {
			if err := profiles.SetDefault(name); err != nil {
				return func() { m.showProblem("Cannot switch profiles: " + err.Error()) }
			}
		}
		creds, err := resolver.Resolve(ctx, name)
		sess, why := m.open(ctx, &creds, err)
		// The library signs share links with the secret (it keeps it in a
		// self-redacting account.Secret); the window itself only says
		// where the secret is.
		full := creds
		creds.Secret = ""
		return func() {
			if m.current != choice {
				m.discard(sess) // the user moved on meanwhile
				return
			}
			m.resolved = creds
			m.summary.SetText(summarize(creds, err))
			m.overview.show(creds, err)
			m.showBanner(creds, why)
			m.setSession(sess, full, why)
		}
	})
}

// open runs off the UI goroutine: it fetches the sandbox's credentials for
// the Sandbox profile and opens a session when the credentials allow one.
// Without a session, why says in words what is missing.
func (m *MainWindow) open(ctx context.Context, creds *account.Credentials, resolveErr error) (Session, error) {
	if resolveErr != nil {
		return nil, resolveErr
	}
	if creds.Profile.Sandbox {
		if m.deps.Sandbox == nil {
			return nil, errors.New("the embedded sandbox is not available in this build")
		}
		c, err := m.deps.Sandbox.Credentials(ctx, creds.Profile)
		if err != nil {
			return nil, err
		}
		*creds = c
	}
	if err := creds.RequireSecret(); err != nil {
		return nil, err
	}
	if m.deps.Open == nil {
		return nil, errors.New("uploads are not available in this build")
	}
	// A watched folder of this profile may have its session open already:
	// it is shared, so its uploads show in the queue.
	return m.sessions.acquire(creds.Profile.Normalized(), func() (Session, error) { return m.deps.Open(ctx, *creds) })
}

// discard closes a session the window will not use, off the UI goroutine.
func (m *MainWindow) discard(s Session) {
	if s == nil {
		return
	}
	m.tasks.Go(func(context.Context) func() {
		m.sessions.close(s)
		return nil
	})
}

// setSession hands s (or the reason there is none) to every view, then
// closes the session it replaces. Command-line inputs go to the first
// session; unfinished work from a previous run is offered once per profile.
func (m *MainWindow) setSession(s Session, creds account.Credentials, why error) {
	old := m.session
	m.session = s
	m.upload.bind(s, why)
	m.library.bind(s, creds, why)
	m.libraryDone = uploadsDone(s)
	if old != nil && old != s {
		m.discard(old)
	}
	if s == nil {
		return
	}
	if len(m.inputs) > 0 {
		inputs := m.inputs
		m.inputs = nil
		m.Tabs.Select(m.uploadItem)
		m.upload.addInputs(inputs)
	}
	m.offerResume(s)
}

// uploadsDone counts the session's finished uploads (Batch reads counters
// in memory: it never waits on the network or the disk).
func uploadsDone(s Session) int {
	if s == nil || s.Engine() == nil {
		return 0
	}
	return s.Engine().Batch().Done
}

func (m *MainWindow) refreshLibraryIfStale() {
	if m.session == nil {
		return
	}
	if done := uploadsDone(m.session); done != m.libraryDone {
		m.libraryDone = done
		m.library.refresh()
	}
}

func (m *MainWindow) offerResume(s Session) {
	counter, ok := s.(unfinishedCounter)
	name := s.Profile().Name
	if !ok || m.resumeOffered[name] {
		return
	}
	m.resumeOffered[name] = true
	m.tasks.Go(func(ctx context.Context) func() {
		n, err := counter.Unfinished(ctx)
		if err != nil || n == 0 {
			return nil
		}
		return func() {
			if m.session == s {
				m.upload.offerResume(n)
			}
		}
	})
}

// showBanner says plainly when uploads stay on this computer, and when
// nothing can be uploaded at all.
func (m *MainWindow) showBanner(c account.Credentials, why error) {
	switch {
	case why != nil:
		m.bannerText.Importance = widget.DangerImportance
		m.bannerBack.FillColor = withAlpha(theme.Color(theme.ColorNameError), 0x28)
		m.bannerText.SetText("Nothing can be uploaded with this profile: " + why.Error())
	case c.Profile.Sandbox:
		m.bannerText.Importance = widget.WarningImportance
		m.bannerBack.FillColor = withAlpha(theme.Color(theme.ColorNameWarning), 0x28)
		m.bannerText.SetText("Sandbox: uploads stay on this computer, in a local Cloudinary-compatible server. Open Settings to connect your Cloudinary account.")
	default:
		m.banner.Hide()
		return
	}
	m.banner.Show()
	m.banner.Refresh()
}

// AddFiles opens the file picker of the Upload tab (Ctrl+O).
func (m *MainWindow) AddFiles() { m.Tabs.Select(m.uploadItem); m.upload.addFiles() }

// AddFolder opens the folder picker of the Upload tab.
func (m *MainWindow) AddFolder() { m.Tabs.Select(m.uploadItem); m.upload.addFolder() }

// FromURL asks for URLs to upload, one per line.
func (m *MainWindow) FromURL() { m.Tabs.Select(m.uploadItem); m.upload.fromURL() }

// Camera opens the camera dialog.
func (m *MainWindow) Camera() { m.Tabs.Select(m.uploadItem); m.upload.camera() }

// Paste queues what the clipboard holds: URLs, file paths or an image
// (Ctrl+V outside a text field).
func (m *MainWindow) Paste() { m.Tabs.Select(m.uploadItem); m.upload.paste() }

// FocusSearch shows the Library tab with its search field focused (Ctrl+F).
func (m *MainWindow) FocusSearch() { m.Tabs.Select(m.libraryItem); m.library.focusSearch() }

// HandleDrop queues files and folders dropped anywhere on the window.
func (m *MainWindow) HandleDrop(pos fyne.Position, uris []fyne.URI) {
	if len(uris) == 0 {
		return
	}
	m.Tabs.Select(m.uploadItem)
	m.upload.drop(pos, uris)
}

// installShortcuts binds the window's keys. Menu shortcuts work wherever
// the focus is (Fyne's GLFW driver tries the main menu first), so the
// ones that must never be lost live in the menu. Ctrl+V does not: a menu
// paste would steal pasting from every text field, so it is a canvas
// shortcut, which Fyne only runs when no text field has the focus. Delete
// and Esc carry no modifier, and the driver turns only modified keys into
// shortcuts, so they are handled as typed keys of the canvas.
func (m *MainWindow) installShortcuts() {
	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	item := func(label string, icon fyne.Resource, action func(), sc fyne.Shortcut) *fyne.MenuItem {
		i := fyne.NewMenuItem(label, action)
		i.Icon, i.Shortcut = icon, sc
		return i
	}
	quitItem := item("Quit", nil, m.requestQuit, ctrl(fyne.KeyQ))
	quitItem.IsQuit = true
	file := fyne.NewMenu("File",
		item("Add files…", theme.FileIcon(), m.AddFiles, ctrl(fyne.KeyO)),
		item("Add folder…", theme.FolderIcon(), m.AddFolder, nil),
		item("From URL…", theme.ComputerIcon(), m.FromURL, nil),
		item("Camera…", theme.MediaPhotoIcon(), m.Camera, nil),
		item("Paste", theme.ContentPasteIcon(), m.Paste, nil),
		fyne.NewMenuItemSeparator(),
		item("Settings…", theme.SettingsIcon(), m.ShowSettings, ctrl(fyne.KeyComma)),
		fyne.NewMenuItemSeparator(),
		item("Close window", nil, m.RequestClose, ctrl(fyne.KeyW)),
		quitItem,
	)
	view := fyne.NewMenu("View",
		item("Upload", theme.UploadIcon(), func() { m.Tabs.Select(m.uploadItem) }, nil),
		item("Library", theme.GridIcon(), func() { m.Tabs.Select(m.libraryItem) }, ctrl(fyne.KeyL)),
		item("Search the library", theme.SearchIcon(), m.FocusSearch, ctrl(fyne.KeyF)),
		item("Refresh the library", theme.ViewRefreshIcon(), func() { m.library.refresh() }, ctrl(fyne.KeyR)),
	)
	m.Window.SetMainMenu(fyne.NewMainMenu(file, view))
	c := m.Window.Canvas()
	c.AddShortcut(&fyne.ShortcutPaste{}, func(fyne.Shortcut) { m.Paste() })
	c.SetOnTypedKey(m.typedKey)
}

// typedKey handles keys that reach the canvas (no widget has the focus).
func (m *MainWindow) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		m.library.closePreview()
	case fyne.KeyDelete:
		if m.Tabs.Selected() == m.uploadItem {
			m.upload.deleteSelected()
		}
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

// ShowSettings opens the Settings dialog on the current profile.
func (m *MainWindow) ShowSettings() { m.OpenSettings() }

// OpenSettings opens the Settings dialog and returns its panel.
func (m *MainWindow) OpenSettings() *settings.Panel {
	return settings.Show(m.Window, settings.Deps{
		Store: m.deps.Profiles, Keychain: m.deps.Keychain, Tasks: m.tasks,
		OnSaved: func(account.Profile) {
			// The saved profile is now the default, so Reload picks it
			// (unless CLOUDINARY_URL is set, which always wins).
			m.current = ""
			m.Reload()
		},
		OnSwitch: func(name string) { m.switcher.SetSelected(name) },
		OnRemoved: func(string) {
			m.current = ""
			m.Reload()
		},
		Background: m.bg.settingsContent(),
		OnClosed:   m.bg.settingsClosed,
	}, m.resolved.Profile)
}

// summarize is the header's one line about the current credentials.
func summarize(c account.Credentials, err error) string {
	p := c.Profile
	var parts []string
	switch {
	case p.Sandbox:
		parts = append(parts, "local sandbox (no account needed)")
	case c.Source == account.SourceEnv:
		parts = append(parts, "cloud "+p.Cloud+" from CLOUDINARY_URL")
	default:
		parts = append(parts, "cloud "+p.Cloud)
	}
	if !p.Sandbox {
		if p.Mode == account.Unsigned {
			parts = append(parts, "unsigned, preset "+p.Preset)
		} else {
			parts = append(parts, "signed "+algorithmName(p))
		}
	}
	switch {
	case err != nil:
		parts = append(parts, "keychain unavailable")
	case c.Source == account.SourceKeychain:
		parts = append(parts, "secret in the system keychain")
	case c.Source == account.SourceMissing:
		parts = append(parts, "no secret stored")
	}
	if p.Folder != "" {
		parts = append(parts, "folder "+p.Folder)
	}
	if len(p.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(p.Tags, ", "))
	}
	if p.Preset != "" && p.Mode == account.Signed {
		parts = append(parts, "preset "+p.Preset)
	}
	return strings.Join(parts, " · ")
}

func algorithmName(p account.Profile) string {
	if p.Algorithm == "sha256" {
		return "SHA-256"
	}
	return "SHA-1"
}

func layoutSpacer() fyne.CanvasObject {
	r := canvas.NewRectangle(nil)
	r.SetMinSize(fyne.NewSquareSize(0))
	return r
}

// overview is the Account tab: the current profile in words, and what to do
// when something is missing.
type overview struct {
	title   *widget.Label
	details *widget.Form
	rows    map[string]*widget.Label
	hint    *widget.Label
	content fyne.CanvasObject
}

var overviewRows = []string{"Cloud", "API key", "Signing", "API base", "Secret", "Defaults"}

func newOverview(openSettings func()) *overview {
	o := &overview{rows: map[string]*widget.Label{}}
	o.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	o.title.SizeName = theme.SizeNameSubHeadingText
	o.details = widget.NewForm()
	for _, r := range overviewRows {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		o.rows[r] = l
		o.details.Append(r, l)
	}
	o.hint = widget.NewLabel("")
	o.hint.Wrapping = fyne.TextWrapWord
	btn := widget.NewButtonWithIcon("Open Settings", theme.SettingsIcon(), openSettings)
	o.content = container.NewPadded(container.NewVBox(o.title, o.details, o.hint, container.NewHBox(btn)))
	return o
}

func (o *overview) show(c account.Credentials, err error) {
	p := c.Profile
	title := "Profile " + p.Name
	if c.Source == account.SourceEnv {
		title = "Credentials from CLOUDINARY_URL"
	}
	o.title.SetText(title)
	set := func(row, text string) { o.rows[row].SetText(text) }
	if p.Sandbox {
		set("Cloud", "the embedded sandbox, a local Cloudinary-compatible server")
		set("API key", "chosen by the sandbox")
		set("Signing", "signed with the sandbox's own secret")
		set("API base", "on this computer (127.0.0.1)")
	} else {
		set("Cloud", p.Cloud)
		set("API key", dash(p.APIKey))
		if p.Mode == account.Unsigned {
			set("Signing", "unsigned, with upload preset "+p.Preset)
		} else {
			set("Signing", "signed with "+algorithmName(p)+" (must match the account's setting)")
		}
		set("API base", p.APIBase)
	}
	secret := c.Where()
	if err != nil {
		secret = "unknown: " + err.Error()
	}
	set("Secret", capitalize(secret))
	var defaults []string
	if p.Folder != "" {
		defaults = append(defaults, "folder "+p.Folder)
	}
	if len(p.Tags) > 0 {
		defaults = append(defaults, "tags "+strings.Join(p.Tags, ", "))
	}
	defaults = append(defaults, fmt.Sprintf("%d uploads at once", p.Concurrency))
	set("Defaults", strings.Join(defaults, "; "))

	o.hint.Importance = widget.MediumImportance
	switch {
	case err != nil:
		o.hint.Importance = widget.DangerImportance
		o.hint.SetText("The keychain could not be read. " + err.Error())
	case p.Sandbox:
		o.hint.SetText("You are trying Cloudup on the built-in sandbox: nothing leaves this computer. Open Settings to connect your Cloudinary account.")
	case c.Source == account.SourceMissing:
		o.hint.Importance = widget.WarningImportance
		o.hint.SetText("No API secret is stored for this profile. Open Settings and enter it: it goes to the system keychain, never to a file.")
	case c.Source == account.SourceEnv:
		o.hint.SetText("CLOUDINARY_URL is set in the environment, so it is used instead of the default profile. It is never stored.")
	case p.Mode == account.Unsigned:
		o.hint.SetText("Ready. Uploads use the unsigned preset " + p.Preset + ": anyone who knows the cloud name and that preset can upload, so keep it restricted in the Cloudinary console.")
	default:
		o.hint.SetText("Ready. Requests are signed on this computer; the secret never leaves the keychain except to sign.")
	}
}

func (o *overview) problem(msg string) {
	o.title.SetText("Profiles unavailable")
	o.hint.Importance = widget.DangerImportance
	o.hint.SetText(msg)
}

func dash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
