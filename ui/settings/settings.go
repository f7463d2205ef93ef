// Package settings is the Settings dialog: the list of profiles (add, edit,
// switch, remove; the built-in Sandbox is always there and cannot be
// removed) and, for the selected one, its cloud name, API key, secret (a
// password field whose value goes to the keychain, with what the keychain
// holds shown under it), signing mode and algorithm, API base, upload
// defaults (folder, tags, preset, public_id template), uploads at once,
// limits and link format.
//
// It validates on the UI goroutine, runs keychain and file writes on tasks
// owned by a bridge.Tasks (a keychain call can block for seconds at an
// unlock prompt), and says in words what happened. It must not keep the
// secret after a save, write it anywhere but the keychain, or talk to
// Cloudinary.
package settings

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/signing"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
)

// Store is the profile store as the ui sees it (the window and this dialog
// share one); *account.Store is one.
type Store interface {
	List() ([]account.Profile, error)
	Get(name string) (account.Profile, error)
	Default() (account.Profile, error)
	DefaultName() (string, error)
	Put(p account.Profile) error
	SetDefault(name string) error
	Delete(name string) error
}

// Deps is what the dialog works with.
type Deps struct {
	Store    Store
	Keychain keychain.Keychain
	Tasks    *bridge.Tasks
	// Current names the profile the window works with ("" when it uses
	// CLOUDINARY_URL); nil means the store's default.
	Current func() string
	// OnSaved runs on the UI goroutine after a profile was saved. Saving
	// does not switch to it: Use does.
	OnSaved func(account.Profile)
	// OnSwitch runs on the UI goroutine when the user picks a profile to
	// work with (Use).
	OnSwitch func(name string)
	// OnRemoved runs on the UI goroutine after a profile was removed.
	OnRemoved func(name string)
	// AskTeam asks a team signing service who a token belongs to and what
	// its editor may do (off the UI goroutine); nil uses teamsign's client.
	AskTeam func(ctx context.Context, service string, token keychain.Secret) (*teamsign.WhoAmI, error)
	// Background, when set, is a second tab: watched folders and what
	// Cloudup does in the background (ui/watched). OnClosed hears the
	// dialog close.
	Background fyne.CanvasObject
	OnClosed   func()
}

// Words on the mode radio buttons.
const (
	ModeSigned   = "Signed: the secret stays on this computer"
	ModeUnsigned = "Unsigned: an upload preset, no secret"
	ModeTeam     = "Team: your team's signing service holds the secret"
)

// autoConcurrency is the "Uploads at once" choice that lets Cloudup adapt.
const autoConcurrency = "Automatic"

var (
	algorithmOptions  = []string{"SHA-1", "SHA-256"}
	concurrencyChoice = []string{autoConcurrency, "1", "2", "3", "4", "6", "8", "12", "16"}
	linkFormatOptions = []string{"URL", "Markdown", "HTML", "Responsive <img srcset>", "<picture>"}
)

// Form is the dialog's content. Its fields are exported to tests in this
// package only through the methods below.
type Form struct {
	deps Deps

	name, cloud, key, secret, preset, apiBase, folder, tags *dialogs.Entry
	signer                                                  *dialogs.Entry
	folderChoice                                            *dialogs.Select
	folderRow                                               *fyne.Container
	publicID, maxImage, maxVideo, maxRaw, formats, maxFiles *dialogs.Entry
	mode                                                    *widget.RadioGroup
	algorithm, concurrency, linkFormat                      *dialogs.Select
	secretState, unsignedWarning, status                    *widget.Label
	save                                                    *widget.Button

	form    *widget.Form
	content fyne.CanvasObject
	dialog  dialog.Dialog

	// editing is the stored profile this form was opened on ("" for a new
	// one); secretStored says whether the keychain holds its secret.
	editing      string
	secretStored bool
	kept         account.Profile // fields the form does not show
	// grant is what the team's service last said the edited team
	// profile's token allows (nil: not asked, or not a team profile).
	grant *teamsign.Grant
	// sandbox: the form edits the built-in Sandbox profile, whose
	// connection (cloud, key, secret, API base) the embedded sandbox
	// makes; only its defaults can be changed.
	sandbox bool
}

// NewForm returns a form filled in from p. The CLOUDINARY_URL profile is
// not editable here, so it opens an empty form for a new profile; the
// Sandbox profile opens with only its defaults editable.
func NewForm(deps Deps, p account.Profile) *Form {
	f := &Form{deps: deps}
	f.name = dialogs.NewEntry()
	f.name.SetPlaceHolder("e.g. Work")
	f.cloud = dialogs.NewEntry()
	f.cloud.SetPlaceHolder("cloud name from the Cloudinary console")
	f.key = dialogs.NewEntry()
	f.key.SetPlaceHolder("API key")
	f.secret = dialogs.NewPasswordEntry()
	f.secret.SetPlaceHolder("API secret")
	f.secretState = widget.NewLabel("")
	f.secretState.Wrapping = fyne.TextWrapWord
	f.secretState.SizeName = theme.SizeNameCaptionText
	f.mode = dialogs.NewRadioGroup([]string{ModeSigned, ModeUnsigned, ModeTeam}, func(string) { f.modeChanged() })
	f.signer = dialogs.NewEntry()
	f.signer.SetPlaceHolder("the service's address, from the account owner (https://…)")
	f.mode.Required = true
	f.preset = dialogs.NewEntry()
	f.preset.SetPlaceHolder("upload preset (required for unsigned)")
	f.unsignedWarning = widget.NewLabel("Anyone who knows your cloud name and an unsigned preset can upload to your account.")
	f.unsignedWarning.Wrapping = fyne.TextWrapWord
	f.unsignedWarning.Importance = widget.WarningImportance
	f.unsignedWarning.SizeName = theme.SizeNameCaptionText
	f.algorithm = dialogs.NewSelect(algorithmOptions, nil)
	f.apiBase = dialogs.NewEntry()
	f.apiBase.SetPlaceHolder(account.DefaultAPIBase)
	f.folder = dialogs.NewEntry()
	f.folder.SetPlaceHolder("none")
	f.folderChoice = dialogs.NewSelect(nil, func(s string) {
		if s != "" {
			f.folder.SetText(s)
		}
	})
	f.folderChoice.PlaceHolder = "Your folders"
	f.folderRow = container.NewBorder(nil, nil, nil, f.folderChoice, f.folder)
	f.tags = dialogs.NewEntry()
	f.tags.SetPlaceHolder("comma-separated")
	f.publicID = dialogs.NewEntry()
	f.publicID.SetPlaceHolder("e.g. {name} or {name}-{md5:8}; empty: a random id")
	mb := func(what string) *dialogs.Entry {
		e := dialogs.NewEntry()
		e.SetPlaceHolder(what + ": any")
		return e
	}
	f.maxImage, f.maxVideo, f.maxRaw = mb("images"), mb("videos"), mb("others")
	f.formats = dialogs.NewEntry()
	f.formats.SetPlaceHolder("any, or e.g. jpg, png, mp4")
	f.maxFiles = dialogs.NewEntry()
	f.maxFiles.SetPlaceHolder("any")
	f.concurrency = dialogs.NewSelect(concurrencyChoice, nil)
	f.linkFormat = dialogs.NewSelect(linkFormatOptions, nil)
	f.status = widget.NewLabel("")
	f.status.Wrapping = fyne.TextWrapWord
	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), f.Save)
	// Enter in any field saves, as in most settings forms.
	for _, e := range []*dialogs.Entry{f.name, f.cloud, f.key, f.secret, f.signer, f.preset, f.apiBase, f.folder, f.tags,
		f.publicID, f.maxImage, f.maxVideo, f.maxRaw, f.formats, f.maxFiles} {
		e.OnSubmitted = func(string) { f.Save() }
	}
	f.save.Importance = widget.HighImportance

	form := widget.NewForm(
		widget.NewFormItem("Profile name", f.name),
		widget.NewFormItem("Cloud name", f.cloud),
		widget.NewFormItem("API key", f.key),
		widget.NewFormItem(secretLabel, container.NewVBox(f.secret, f.secretState)),
		widget.NewFormItem("Signing", f.mode),
		widget.NewFormItem("Upload preset", container.NewVBox(f.preset, f.unsignedWarning)),
		widget.NewFormItem("Signature algorithm", f.algorithm),
		widget.NewFormItem("API base URL", f.apiBase),
		widget.NewFormItem("Default folder", f.folderRow),
		widget.NewFormItem("Default tags", f.tags),
		widget.NewFormItem("Public ID", f.publicID),
		widget.NewFormItem("Uploads at once", f.concurrency),
		widget.NewFormItem("Largest files (MB)", container.NewGridWithColumns(3, f.maxImage, f.maxVideo, f.maxRaw)),
		widget.NewFormItem("Allowed formats", container.NewGridWithColumns(2, f.formats,
			container.NewBorder(nil, nil, widget.NewLabel("Files per batch"), nil, f.maxFiles))),
		widget.NewFormItem("Copy links as", f.linkFormat),
	)
	f.form = form
	// Room for three lines of status: a wrapped label in a border layout
	// is only given one line's height otherwise.
	statusRoom := canvas.NewRectangle(color.Transparent)
	line := fyne.MeasureText("Ag", theme.TextSize(), fyne.TextStyle{}).Height
	statusRoom.SetMinSize(fyne.NewSize(0, 3*line+4*theme.Padding()))
	f.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), container.NewStack(statusRoom, f.status)), nil, nil, container.NewVScroll(form))
	f.load(p)
	return f
}

// NewProfile empties the form for a profile that does not exist yet.
func (f *Form) NewProfile() { f.Edit(account.Profile{}) }

// Edit fills the form from p, forgetting what was typed.
func (f *Form) Edit(p account.Profile) {
	f.editing, f.secretStored, f.grant = "", false, nil
	f.secret.SetText("")
	f.setStatus("", widget.MediumImportance)
	f.load(p)
}

// Content is what goes in the dialog.
func (f *Form) Content() fyne.CanvasObject { return f.content }

// SaveButton is the Save button (for the dialog's button row).
func (f *Form) SaveButton() *widget.Button { return f.save }

// Status is the message under the form: a validation error, "Saving…",
// or what the save did.
func (f *Form) Status() string { return f.status.Text }

func (f *Form) load(p account.Profile) {
	f.sandbox = p.Sandbox
	switch {
	case p.Sandbox:
		f.editing = account.SandboxName
	case p.Name == account.EnvProfileName || p.Name == "":
		p = account.Profile{}.Normalized()
		p.APIBase = ""
	default:
		f.editing = p.Name
	}
	for _, w := range []fyne.Disableable{f.name, f.cloud, f.key, f.apiBase, f.mode} {
		if f.sandbox {
			w.Disable()
		} else {
			w.Enable()
		}
	}
	f.kept = p
	f.name.SetText(p.Name)
	f.cloud.SetText(p.Cloud)
	f.key.SetText(p.APIKey)
	f.apiBase.SetText("") // the placeholder says it: the default
	if p.APIBase != account.DefaultAPIBase {
		f.apiBase.SetText(p.APIBase)
	}
	if f.sandbox {
		// Said in the disabled fields, where the user looks for them.
		f.cloud.SetText("the embedded sandbox, on this computer")
		f.key.SetText("made by the sandbox")
		f.apiBase.SetText("a local address, chosen when it starts")
	}
	f.preset.SetText(p.Preset)
	f.signer.SetText(p.Signer)
	f.folder.SetText(p.Folder)
	f.tags.SetText(strings.Join(p.Tags, ", "))
	f.publicID.SetText(p.PublicIDTemplate)
	f.maxImage.SetText(megabytes(p.Limits.MaxImageBytes))
	f.maxVideo.SetText(megabytes(p.Limits.MaxVideoBytes))
	f.maxRaw.SetText(megabytes(p.Limits.MaxRawBytes))
	f.formats.SetText(strings.Join(p.Limits.AllowedFormats, ", "))
	f.maxFiles.SetText(count(p.Limits.MaxFiles))
	f.algorithm.SetSelected(algorithmOptions[0])
	if p.Algorithm == signing.SHA256 {
		f.algorithm.SetSelected(algorithmOptions[1])
	}
	f.concurrency.SetSelected(autoConcurrency)
	if p.Concurrency > 0 {
		f.concurrency.SetSelected(strconv.Itoa(p.Concurrency))
	}
	f.linkFormat.Options = linkFormatChoices(p.LinkTemplates)
	f.linkFormat.SetSelected(linkFormatLabel(p.LinkFormat))
	switch p.Mode {
	case account.Unsigned:
		f.mode.SetSelected(ModeUnsigned)
	case account.Team:
		f.mode.SetSelected(ModeTeam)
	default:
		f.mode.SetSelected(ModeSigned)
	}
	f.modeChanged()
	f.checkStoredSecret()
}

// checkStoredSecret asks the keychain (off the UI goroutine) whether the
// profile being edited has a secret, and says so under the secret field.
func (f *Form) checkStoredSecret() {
	if f.editing == "" || f.sandbox || f.mode.Selected == ModeUnsigned {
		return
	}
	mode := f.mode.Selected
	f.secretState.SetText("Checking " + where(f.deps.Keychain) + "…")
	acct := account.Profile{Name: f.editing}.SecretAccount()
	f.deps.Tasks.Go(func(ctx context.Context) func() {
		token, err := f.deps.Keychain.Get(ctx, acct)
		var who *teamsign.WhoAmI
		var whoErr error
		if err == nil && mode == ModeTeam {
			// What the token allows, for the folder choice.
			who, whoErr = f.askTeam(ctx, f.kept.Signer, token)
		}
		return func() {
			f.secretStored = err == nil
			if who != nil && f.mode.Selected == mode {
				f.showGrant(who)
				return
			} else if whoErr != nil {
				f.secretState.SetText(teamWords(whoErr))
				return
			}
			switch {
			case f.mode.Selected != mode:
			case err == nil || errors.Is(err, keychain.ErrNotFound):
				f.secretState.SetText(f.secretWords())
			default:
				f.secretState.SetText(describeKeychainError(err))
			}
		}
	})
}

func (f *Form) modeChanged() {
	f.teamModeChanged()
	switch {
	case f.sandbox:
		f.secret.Disable()
		f.algorithm.Disable()
		f.unsignedWarning.Hide()
		f.secretState.SetText("The sandbox makes its own key and secret: nothing to enter.")
	case f.mode.Selected == ModeTeam:
		f.secret.Enable()
		f.algorithm.Disable()
		f.unsignedWarning.Hide()
		f.secretState.SetText(f.secretWords())
	case f.mode.Selected == ModeUnsigned:
		f.secret.Disable()
		f.algorithm.Disable()
		f.unsignedWarning.Show()
		f.secretState.SetText("Unsigned profiles have no secret.")
	default:
		f.secret.Enable()
		f.algorithm.Enable()
		f.unsignedWarning.Hide()
		f.secretState.SetText(f.secretWords())
	}
	if f.form != nil {
		f.form.Refresh() // the warning changes the row's height
	}
}

// secretWords says what is known about the stored secret.
func (f *Form) secretWords() string {
	what := "secret"
	if f.mode.Selected == ModeTeam {
		what = "token"
	}
	if f.secretStored {
		return "A " + what + " is stored in " + where(f.deps.Keychain) + ". Leave the field empty to keep it."
	}
	if f.editing == "" {
		return "Stored in " + where(f.deps.Keychain) + ", never in a file."
	}
	if what == "token" {
		return "No token stored yet: paste the one the account owner gave you."
	}
	return "No secret stored yet: enter it to sign uploads."
}

// profile builds the profile the fields describe and checks it.
func (f *Form) profile() (account.Profile, error) {
	p := f.kept
	p.Name = strings.TrimSpace(f.name.Text)
	p.Cloud = strings.TrimSpace(f.cloud.Text)
	p.APIKey = strings.TrimSpace(f.key.Text)
	p.APIBase = strings.TrimSpace(f.apiBase.Text)
	p.Preset = strings.TrimSpace(f.preset.Text)
	p.Folder = f.folder.Text
	p.Tags = account.ParseTags(f.tags.Text)
	p.Mode = account.Signed
	p.Signer = ""
	switch f.mode.Selected {
	case ModeUnsigned:
		p.Mode = account.Unsigned
	case ModeTeam:
		p.Mode, p.Signer = account.Team, strings.TrimSpace(f.signer.Text)
		// Cloud, key and API base are what the service says; they are
		// filled in when it answers.
		p.Cloud, p.APIKey, p.APIBase = f.kept.Cloud, f.kept.APIKey, f.kept.APIBase
		if f.kept.Signer != p.Signer {
			p.Cloud, p.APIKey, p.APIBase = "", "", ""
		}
	}
	p.Algorithm = signing.SHA1
	if f.algorithm.Selected == "SHA-256" {
		p.Algorithm = signing.SHA256
	}
	p.PublicIDTemplate = strings.TrimSpace(f.publicID.Text)
	if _, err := transfer.ParseTemplate(p.PublicIDTemplate); err != nil {
		return p, &account.InvalidProfileError{Field: "public_id_template", Reason: err.Error()}
	}
	var err error
	for _, l := range []struct {
		field string
		entry *dialogs.Entry
		dst   *int64
	}{{"max_image", f.maxImage, &p.Limits.MaxImageBytes}, {"max_video", f.maxVideo, &p.Limits.MaxVideoBytes}, {"max_raw", f.maxRaw, &p.Limits.MaxRawBytes}} {
		if *l.dst, err = parseMegabytes(l.entry.Text); err != nil {
			return p, &account.InvalidProfileError{Field: l.field, Reason: err.Error()}
		}
	}
	p.Limits.AllowedFormats = parseFormats(f.formats.Text)
	if p.Limits.MaxFiles, err = parseCount(f.maxFiles.Text); err != nil {
		return p, &account.InvalidProfileError{Field: "max_files", Reason: err.Error()}
	}
	p.Concurrency, _ = strconv.Atoi(f.concurrency.Selected) // automatic: 0
	p.LinkFormat = linkFormatOf(f.linkFormat.Selected)
	p.Sandbox = false
	if f.sandbox {
		// Only the defaults come from the form; the connection is the
		// embedded sandbox's.
		p.Name, p.Cloud, p.APIKey, p.APIBase = account.SandboxName, "", "", ""
		p.Mode, p.Algorithm, p.Sandbox = account.Signed, f.kept.Algorithm, true
	}
	p = p.Normalized()
	if p.IsTeam() && p.Cloud == "" {
		p.APIBase = "" // learnt from the service
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// Save checks the fields and, when they are right, stores the secret in the
// keychain and then the profile, both off the UI goroutine. The outcome is
// shown in words under the form.
func (f *Form) Save() {
	if f.save.Disabled() {
		return // a save is already running
	}
	p, err := f.profile()
	if err != nil {
		f.fail(describeProfileError(err))
		return
	}
	secret := keychain.Secret(strings.TrimSpace(f.secret.Text))
	if p.IsTeam() {
		f.saveTeam(p, secret)
		return
	}
	secret = keychain.Secret(f.secret.Text)
	if p.Mode == account.Signed && !p.Sandbox {
		// A token stored for a team profile is no secret: switching the
		// profile to signed asks for one.
		keep := f.secretStored && f.editing == p.Name && f.kept.Mode == p.Mode
		if secret.IsZero() && !keep {
			f.fail("Enter the API secret (Cloudinary console > Settings > API Keys). It is kept in " + where(f.deps.Keychain) + ", never in a file.")
			return
		}
		if !secret.IsZero() {
			if err := account.CheckSecret(secret, p.APIKey); err != nil {
				f.fail(describeProfileError(err))
				return
			}
		}
	}
	hadSecret := f.secretStored && f.editing == p.Name
	f.save.Disable()
	f.setStatus("Saving…", widget.MediumImportance)
	deps := f.deps
	deps.Tasks.Go(func(ctx context.Context) func() {
		msg, err := store(ctx, deps, p, secret, hadSecret)
		return func() {
			f.save.Enable()
			if err != nil {
				f.fail(err.Error())
				return
			}
			f.secret.SetText("")
			f.editing = p.Name
			f.kept = p
			f.secretStored = p.Mode != account.Unsigned
			f.modeChanged()
			if deps.Current != nil && deps.Current() != p.Name {
				msg += " Click Use to upload with " + p.Name + "."
			}
			f.setStatus(msg, widget.SuccessImportance)
			if deps.OnSaved != nil {
				deps.OnSaved(p)
			}
		}
	})
}

// store runs off the UI goroutine: the secret first, so a profile is never
// saved that points at a secret the keychain refused.
func store(ctx context.Context, deps Deps, p account.Profile, secret keychain.Secret, hadSecret bool) (string, error) {
	var msg string
	switch {
	case p.Sandbox:
		msg = "Sandbox defaults saved."
	case p.Mode == account.Signed && !secret.IsZero():
		if err := deps.Keychain.Set(ctx, p.SecretAccount(), secret); err != nil {
			return "", errors.New(describeKeychainError(err))
		}
		msg = "Secret saved in " + where(deps.Keychain) + "."
	case p.Mode == account.Signed:
		msg = "Profile saved; the secret in " + where(deps.Keychain) + " is unchanged."
	default:
		msg = "Profile saved. Unsigned uploads need no secret."
	}
	if err := put(deps.Store, p); err != nil {
		return "", err
	}
	if p.Mode == account.Unsigned && hadSecret {
		if err := deps.Keychain.Delete(ctx, p.SecretAccount()); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			msg += " The old secret could not be removed: " + describeKeychainError(err)
		} else {
			msg += " Its old secret was removed from " + where(deps.Keychain) + "."
		}
	}
	return msg, nil
}

// put saves p. The store makes the first profile saved its default; the
// default stays the profile in use (the CLI and the next start follow it).
func put(st Store, p account.Profile) error {
	before, _ := st.DefaultName()
	if err := st.Put(p); err != nil {
		return fmt.Errorf("The profile was not saved: %v", err)
	}
	if after, err := st.DefaultName(); err == nil && after != before && before != "" {
		if err := st.SetDefault(before); err != nil {
			return fmt.Errorf("The profile was saved, but the one in use could not stay the default: %v", err)
		}
	}
	return nil
}

func (f *Form) fail(msg string) { f.setStatus(msg, widget.DangerImportance) }

func (f *Form) setStatus(msg string, importance widget.Importance) {
	f.status.Importance = importance
	f.status.SetText(msg)
}

// where names the keychain in a sentence.
func where(k keychain.Keychain) string {
	switch k.(type) {
	case *keychain.System:
		return "the system keychain"
	case *keychain.Memory:
		return "memory for this session only"
	}
	return "the keychain"
}

var fieldNames = map[string]string{
	"name": "Profile name", "cloud": "Cloud name", "api_key": "API key", "api_base": "API base URL",
	"preset": "Upload preset", "folder": "Default folder", "tags": "Default tags", "secret": "API secret",
	"concurrency": "Uploads at once", "algorithm": "Signature algorithm", "mode": "Signing", "link_format": "Copy links as",
	"public_id_template": "Public ID", "signer": "Signing service", "max_image": "Largest image", "max_video": "Largest video", "max_raw": "Largest other file",
	"max_files": "Files per batch",
}

// megabytes shows a byte limit in MB ("" for none).
func megabytes(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64)
}

func count(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// parseMegabytes reads "25" or "2.5" (MB) as bytes; empty is no limit.
func parseMegabytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil || v < 0 || v > 1e7 {
		return 0, errors.New("enter a number of megabytes, e.g. 25, or leave it empty for no limit")
	}
	return int64(v * 1e6), nil
}

// parseCount reads a whole number of files; empty is no limit.
func parseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("enter a whole number of files, or leave it empty for no limit")
	}
	return n, nil
}

// parseFormats reads "JPG, .png webp" as [jpg png webp].
func parseFormats(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		f = strings.ToLower(strings.TrimPrefix(f, "."))
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func describeProfileError(err error) string {
	var bad *account.InvalidProfileError
	if errors.As(err, &bad) {
		if label, ok := fieldNames[bad.Field]; ok {
			return label + ": " + bad.Reason + "."
		}
	}
	return err.Error()
}

// describeKeychainError turns a keychain failure into two sentences: what
// happened, and what to do.
func describeKeychainError(err error) string {
	var kerr *keychain.Error
	if !errors.As(err, &kerr) {
		return "The secret was not saved: " + err.Error()
	}
	msg := fmt.Sprintf("The %s could not %s the secret: %s.", kerr.Backend, kerr.Op, kerr.Reason)
	if kerr.Fix != "" {
		msg += " " + capitalize(kerr.Fix) + "."
	}
	return msg
}

func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// Show opens the Settings dialog over parent, on profile p, and returns
// its panel; nil when another dialog is open (it is not stacked on it).
func Show(parent fyne.Window, deps Deps, p account.Profile) *Panel {
	pl := NewPanel(parent, deps, p)
	f := pl.Form()
	content := pl.Content()
	if deps.Background != nil {
		tabs := container.NewAppTabs(
			container.NewTabItemWithIcon("Profiles", theme.AccountIcon(), content),
			container.NewTabItemWithIcon("Watched folders and tray", theme.FolderOpenIcon(), container.NewVScroll(deps.Background)))
		// The background tab saves as it changes: Save is the profiles'.
		tabs.OnSelected = func(t *container.TabItem) {
			if t == tabs.Items[0] {
				f.SaveButton().Show()
			} else {
				f.SaveButton().Hide()
			}
		}
		pl.tabs, content = tabs, tabs
	}
	d := dialog.NewCustomWithoutButtons("Settings", content, parent)
	if deps.OnClosed != nil {
		d.SetOnClosed(deps.OnClosed)
	}
	closeBtn := widget.NewButtonWithIcon("Close", theme.CancelIcon(), d.Hide)
	d.SetButtons([]fyne.CanvasObject{closeBtn, f.SaveButton()})
	size := parent.Canvas().Size()
	d.Resize(fyne.NewSize(min(940, size.Width*0.95), min(820, size.Height*0.95)))
	if !dialogs.For(parent).Show(d) {
		return nil // another dialog is open: it stays on top, alone
	}
	f.dialog = d
	// Typing starts in the form, not in the profile list: the name of a new
	// profile, or the secret of one being edited.
	if f.editing == "" {
		parent.Canvas().Focus(f.name)
	} else if !f.secret.Disabled() {
		parent.Canvas().Focus(f.secret)
	}
	return pl
}

// Hide closes the dialog the form is shown in, if any.
func (f *Form) Hide() {
	if f.dialog != nil {
		f.dialog.Hide()
	}
}

// Link formats as the select shows them; a profile's templates follow the
// built-in formats as "Template: NAME".
var linkFormatLabels = map[account.LinkFormat]string{
	account.LinkURL: "URL", account.LinkMarkdown: "Markdown", account.LinkHTML: "HTML",
	account.LinkSrcset: "Responsive <img srcset>", account.LinkPicture: "<picture>",
}

const templateLabel = "Template: "

func linkFormatChoices(templates []account.LinkTemplate) []string {
	out := append([]string(nil), linkFormatOptions...)
	for _, t := range templates {
		out = append(out, templateLabel+t.Name)
	}
	return out
}

func linkFormatLabel(f account.LinkFormat) string {
	if name, ok := strings.CutPrefix(string(f), account.LinkTemplatePrefix); ok {
		return templateLabel + name
	}
	return linkFormatLabels[f]
}

func linkFormatOf(label string) account.LinkFormat {
	if name, ok := strings.CutPrefix(label, templateLabel); ok {
		return account.LinkFormat(account.LinkTemplatePrefix + name)
	}
	for f, l := range linkFormatLabels {
		if l == label {
			return f
		}
	}
	return ""
}
