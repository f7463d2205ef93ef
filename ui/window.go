// Package ui builds Cloudup's main window from a few core services handed in
// through Deps: a header with the profile switcher, tabs for the views
// (today the account overview; the upload queue, library and preview land
// next to it) and the Settings dialog.
//
// It talks to core only through the interfaces in Deps, runs anything that
// may block (keychain, disk) on bridge.Tasks, and changes widgets only on
// the UI goroutine. It must not import fyne.io/fyne/v2/app: cmd/cloudup
// creates the app, so this package runs headless on fyne's test driver.
package ui

import (
	"context"
	"fmt"
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

	switcher *widget.Select
	summary  *widget.Label
	overview *overview

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
	m := &MainWindow{app: a, deps: deps, tasks: deps.Tasks, persist: true}
	m.Window = a.NewWindow(Title)
	if deps.Icon != nil {
		m.Window.SetIcon(deps.Icon)
	}

	m.switcher = widget.NewSelect(nil, m.switchTo)
	m.switcher.PlaceHolder = "Choose a profile"
	m.summary = widget.NewLabel("")
	m.summary.Truncation = fyne.TextTruncateEllipsis
	settingsBtn := widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), m.ShowSettings)

	var logo fyne.CanvasObject = layoutSpacer()
	if deps.Icon != nil {
		img := canvas.NewImageFromResource(deps.Icon)
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSquareSize(32))
		logo = img
	}
	left := container.NewHBox(logo, widget.NewLabelWithStyle("Profile", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), m.switcher)
	header := container.NewBorder(nil, nil, left, settingsBtn, m.summary)

	m.overview = newOverview(m.ShowSettings)
	m.Tabs = container.NewAppTabs(container.NewTabItemWithIcon("Account", theme.AccountIcon(), m.overview.content))

	m.Window.SetContent(container.NewBorder(container.NewVBox(container.NewPadded(header), widget.NewSeparator()), nil, nil, nil, m.Tabs))
	m.Window.Resize(fyne.NewSize(1000, 720))

	// Menu shortcuts work wherever the focus is; canvas shortcuts would be
	// swallowed by a focused text field.
	settingsItem := fyne.NewMenuItem("Settings…", m.ShowSettings)
	settingsItem.Icon = theme.SettingsIcon()
	settingsItem.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
	quitItem := fyne.NewMenuItem("Quit", a.Quit)
	quitItem.IsQuit = true
	quitItem.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault}
	m.Window.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("File", settingsItem, fyne.NewMenuItemSeparator(), quitItem)))
	m.Window.SetOnClosed(m.Close)

	m.Reload()
	return m
}

// AddTab adds a view after the existing ones.
func (m *MainWindow) AddTab(item *container.TabItem) { m.Tabs.Append(item) }

// Close stops background work and waits for it.
func (m *MainWindow) Close() { m.tasks.Close() }

// Tasks is the owner of the window's background work, for views added
// later.
func (m *MainWindow) Tasks() *bridge.Tasks { return m.tasks }

// Current is the credentials the window works with now, as last resolved.
// The secret is not kept: Secret is always empty here.
func (m *MainWindow) Current() account.Credentials { return m.resolved }

// Reload re-reads the profiles and picks the current one the way the CLI
// does: CLOUDINARY_URL when set, else the default profile.
func (m *MainWindow) Reload() {
	list, err := m.deps.Profiles.List()
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
		} else if def, err := m.deps.Profiles.Default(); err == nil {
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
	resolver := &account.Resolver{Store: m.deps.Profiles, Keychain: m.deps.Keychain, Getenv: m.deps.Getenv}
	profiles := m.deps.Profiles
	m.tasks.Go(func(ctx context.Context) func() {
		if persist {
			if err := profiles.SetDefault(name); err != nil {
				return func() { m.showProblem("Cannot switch profiles: " + err.Error()) }
			}
		}
		creds, err := resolver.Resolve(ctx, name)
		creds.Secret = "" // the window only says where the secret is
		return func() {
			if m.current != choice {
				return // the user moved on meanwhile
			}
			m.resolved = creds
			m.summary.SetText(summarize(creds, err))
			m.overview.show(creds, err)
		}
	})
}

func (m *MainWindow) showProblem(msg string) {
	m.summary.SetText(msg)
	m.overview.problem(msg)
}

// ShowSettings opens the Settings dialog on the current profile.
func (m *MainWindow) ShowSettings() { m.OpenSettings() }

// OpenSettings opens the Settings dialog and returns its form.
func (m *MainWindow) OpenSettings() *settings.Form {
	return settings.Show(m.Window, settings.Deps{
		Store: m.deps.Profiles, Keychain: m.deps.Keychain, Tasks: m.tasks,
		OnSaved: func(account.Profile) {
			// The saved profile is now the default, so Reload picks it
			// (unless CLOUDINARY_URL is set, which always wins).
			m.current = ""
			m.Reload()
		},
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
