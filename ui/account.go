package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/ui/words"
)

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
		switch {
		case p.IsTeam():
			parts = append(parts, "signed by the team's signing service")
		case p.Mode == account.Unsigned:
			parts = append(parts, "unsigned, preset "+p.Preset)
		default:
			parts = append(parts, "signed "+algorithmName(p))
		}
	}
	switch {
	case err != nil:
		parts = append(parts, "keychain unavailable")
	case c.Source == account.SourceKeychain && p.IsTeam():
		parts = append(parts, "token in the system keychain")
	case c.Source == account.SourceKeychain:
		parts = append(parts, "secret in the system keychain")
	case c.Source == account.SourceMissing && p.IsTeam():
		parts = append(parts, "no team token stored")
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

// overview is the Account tab: the current profile in words, and what to do
// when something is missing.
type overview struct {
	title   *widget.Label
	details *widget.Form
	// teamItems say who a team profile's editor is and what they may do;
	// they are in details only for a team profile (a form cannot hide a
	// row's label).
	teamItems []*widget.FormItem
	rows      map[string]*widget.Label
	hint      *widget.Label
	content   fyne.CanvasObject
}

var overviewRows = []string{"Cloud", "API key", "Signing", "API base", "Secret", "Defaults", "Last contact"}

// teamRows are shown, under the others, only for a team profile.
var teamRows = []string{"You are", "You may"}

// errAsking stands for "the service has not answered yet".
var errAsking = errors.New("asking the team's signing service…")

func newOverview(openSettings func()) *overview {
	o := &overview{rows: map[string]*widget.Label{}}
	o.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	o.title.SizeName = theme.SizeNameSubHeadingText
	o.details = widget.NewForm()
	for _, r := range append(append([]string(nil), overviewRows...), teamRows...) {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		o.rows[r] = l
		item := widget.NewFormItem(r, l)
		if slices.Contains(teamRows, r) {
			o.teamItems = append(o.teamItems, item)
		} else {
			o.details.AppendItem(item)
		}
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
		switch {
		case p.IsTeam():
			set("Signing", "signed by the team's signing service at "+p.Signer)
		case p.Mode == account.Unsigned:
			set("Signing", "unsigned, with upload preset "+p.Preset)
		default:
			set("Signing", "signed with "+algorithmName(p)+" (must match the account's setting)")
		}
		set("API base", p.APIBase)
	}
	secret := c.Where()
	if err != nil {
		secret = "unknown: " + words.Error(err).Text
	}
	set("Secret", capitalize(secret))
	var defaults []string
	if p.Folder != "" {
		defaults = append(defaults, "folder "+p.Folder)
	}
	if len(p.Tags) > 0 {
		defaults = append(defaults, "tags "+strings.Join(p.Tags, ", "))
	}
	if p.Concurrency > 0 {
		defaults = append(defaults, fmt.Sprintf("%d uploads at once", p.Concurrency))
	} else {
		defaults = append(defaults, "uploads at once chosen automatically")
	}
	set("Defaults", strings.Join(defaults, "; "))

	o.hint.Importance = widget.MediumImportance
	switch {
	case err != nil:
		o.hint.Importance = widget.DangerImportance
		o.hint.SetText(words.Error(err).Text)
	case p.Sandbox:
		o.hint.SetText("You are trying Cloudup on the built-in sandbox: nothing leaves this computer. Open Settings to connect your Cloudinary account.")
	case c.Source == account.SourceMissing && p.IsTeam():
		o.hint.Importance = widget.WarningImportance
		o.hint.SetText("No team token is stored for this profile. Open Settings and paste the token the account owner gave you: it goes to the system keychain, never to a file.")
	case c.Source == account.SourceMissing:
		o.hint.Importance = widget.WarningImportance
		o.hint.SetText("No API secret is stored for this profile. Open Settings and enter it: it goes to the system keychain, never to a file.")
	case p.IsTeam():
		o.hint.SetText("Your team's signing service holds the API secret and signs what your access allows; your files go straight to Cloudinary.")
	case c.Source == account.SourceEnv:
		o.hint.SetText("CLOUDINARY_URL is set in the environment, so it is used instead of the default profile. It is never stored.")
	case p.Mode == account.Unsigned:
		o.hint.SetText("Uploads use the unsigned preset " + p.Preset + ": anyone who knows the cloud name and that preset can upload, so keep it restricted in the Cloudinary console.")
	default:
		o.hint.SetText("Requests are signed on this computer; the secret never leaves the keychain except to sign.")
	}
	// A new profile has not been in touch yet; say so rather than "ready".
	o.rows["Last contact"].Importance = widget.MediumImportance
	o.rows["Last contact"].SetText("none yet: the Library and uploads report here")
}

// team shows who a team profile's token belongs to and what the editor may
// do, as the service said (who nil and err nil: not a team profile, the
// rows go; err errAsking: still asking).
func (o *overview) team(who *teamsign.WhoAmI, err error) {
	o.details.Items = o.details.Items[:len(overviewRows)]
	if who != nil || err != nil {
		o.details.Items = append(o.details.Items, o.teamItems...)
	}
	o.details.Refresh()
	if who == nil && err == nil {
		return
	}
	you, may := o.rows["You are"], o.rows["You may"]
	you.Importance, may.Importance = widget.MediumImportance, widget.MediumImportance
	switch {
	case who != nil:
		you.SetText(who.Editor + ", on cloud " + who.Cloud)
		may.SetText(grantWords(who.Grant))
	case errors.Is(err, errAsking):
		you.SetText("asking the team's signing service…")
		may.SetText("")
	case err != nil:
		you.Importance = widget.DangerImportance
		you.SetText(words.Error(err).Text)
		may.SetText("")
	}
}

// grantWords says what a grant allows, for an editor.
func grantWords(g teamsign.Grant) string {
	folders := make([]string, len(g.Folders))
	for i, f := range g.Folders {
		folders[i] = f + "/"
	}
	s := "upload to " + humanList(folders)
	if len(g.Types) > 0 {
		s += " (" + humanList(g.Types) + " only)"
	}
	if len(g.Formats) > 0 {
		s += "; formats " + strings.Join(g.Formats, ", ")
	}
	switch {
	case g.CanEdit && g.CanDelete:
		s += "; rename, retag and delete there"
	case g.CanEdit:
		s += "; rename and retag there, not delete"
	case g.CanDelete:
		s += "; delete there, not rename or retag"
	default:
		s += "; not rename, retag or delete"
	}
	if !g.ExpiresAt.IsZero() {
		s += "; until " + g.ExpiresAt.Local().Format("2 Jan 2006")
	}
	return s + "."
}

func humanList(parts []string) string {
	switch len(parts) {
	case 0:
		return "nowhere"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// contact records the last exchange with the account: what went through,
// or why it did not. The tab reports what was last seen, not a promise.
func (o *overview) contact(at time.Time, what string, err error) {
	l := o.rows["Last contact"]
	if err != nil {
		l.Importance = widget.DangerImportance
		l.SetText(at.Format("15:04") + " — " + words.Error(err).Text)
		return
	}
	l.Importance = widget.SuccessImportance
	l.SetText(at.Format("15:04") + " — " + what)
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

// sawLibrary hears how a Library page load went.
func (m *MainWindow) sawLibrary(n int, err error) {
	if err != nil && !words.Unreachable(err) && !words.Refused(err) {
		return // not about the connection or the account
	}
	m.overview.contact(m.now(), fmt.Sprintf("the Library loaded %s", plural(n, "asset", "assets")), err)
}

// sawUpload hears an upload finish or fail.
func (m *MainWindow) sawUpload(name string, err error) {
	if err != nil && !words.Unreachable(err) && !words.Refused(err) {
		return // about the file, not the account
	}
	m.overview.contact(m.now(), "uploaded "+name, err)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
