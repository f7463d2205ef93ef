package settings

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/teamsign"
	"github.com/cloudup/cloudup/ui/words"
)

// secretLabel is the secret row's label; a team profile's row holds its
// token instead.
const (
	secretLabel  = "API secret"
	tokenLabel   = "Team token"
	serviceLabel = "Signing service"
)

// teamModeChanged shows what a team profile needs (the service's address,
// a token) and greys out what the service decides (cloud, key, algorithm,
// API base).
func (f *Form) teamModeChanged() {
	team := f.mode.Selected == ModeTeam && !f.sandbox
	// The service's row is there only for a team profile (a form cannot
	// hide a row's label), above the token, where the secret's row is
	// for the other profiles (so Tab still goes key → secret).
	items := f.form.Items[:0:0]
	for _, item := range f.form.Items {
		switch item.Text {
		case serviceLabel:
			continue
		case secretLabel, tokenLabel:
			item.Text = secretLabel
			if team {
				item.Text = tokenLabel
				items = append(items, widget.NewFormItem(serviceLabel, f.signer))
			}
		}
		items = append(items, item)
	}
	f.form.Items = items
	if f.sandbox {
		return
	}
	if team {
		f.secret.SetPlaceHolder("the token the account owner gave you (cup_…)")
		f.cloud.Disable()
		f.key.Disable()
		f.apiBase.Disable()
		f.cloud.SetPlaceHolder("told by the team's service")
		f.key.SetPlaceHolder("told by the team's service")
		// The folders to choose from, once the service said them.
		if len(f.folderChoice.Options) > 0 {
			f.folderChoice.Show()
		} else {
			f.folderChoice.Hide()
		}
	} else {
		f.secret.SetPlaceHolder("API secret")
		f.cloud.SetPlaceHolder("cloud name from the Cloudinary console")
		f.key.SetPlaceHolder("API key")
		f.cloud.Enable()
		f.key.Enable()
		f.apiBase.Enable()
		f.folderChoice.Hide()
	}
}

// askTeam asks the service who token belongs to (off the UI goroutine).
func (f *Form) askTeam(ctx context.Context, service string, token keychain.Secret) (*teamsign.WhoAmI, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if f.deps.AskTeam != nil {
		return f.deps.AskTeam(ctx, service, token)
	}
	c, err := teamsign.NewClient(service, teamsign.Token(token.Reveal()), nil)
	if err != nil {
		return nil, err
	}
	return c.WhoAmI(ctx)
}

// showGrant fills in what the service said: the account it signs for and
// the folders the editor may choose from.
func (f *Form) showGrant(who *teamsign.WhoAmI) {
	f.grant = &who.Grant
	f.cloud.SetText(who.Cloud)
	f.key.SetText(who.APIKey)
	if who.APIBase != account.DefaultAPIBase {
		f.apiBase.SetText(who.APIBase)
	}
	f.folderChoice.SetOptions(who.Grant.Folders)
	f.folderChoice.ClearSelected()
	f.folderChoice.Show()
	f.secretState.SetText("You are " + who.Editor + ": you may upload to " + folderWords(who.Grant.Folders) + ".")
}

func folderWords(folders []string) string {
	parts := make([]string, len(folders))
	for i, f := range folders {
		parts[i] = f + "/"
	}
	switch len(parts) {
	case 0:
		return "no folder"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// insideGrant reports whether folder is one of the grant's folders or
// below one ("" is the top level, which is not).
func insideGrant(g *teamsign.Grant, folder string) bool {
	folder = strings.Trim(folder, "/")
	for _, f := range g.Folders {
		if folder == f || strings.HasPrefix(folder, f+"/") {
			return true
		}
	}
	return false
}

// teamWords says what went wrong asking the service.
func teamWords(err error) string {
	return words.Error(err).Text
}

// saveTeam checks the token with the service, then stores it in the
// keychain and the profile (with the account the service signs for), all
// off the UI goroutine. A token the service refuses is not stored; a
// service that cannot be reached now does not stop the save.
func (f *Form) saveTeam(p account.Profile, token keychain.Secret) {
	keep := f.secretStored && f.editing == p.Name && f.kept.Mode == account.Team
	switch {
	case token.IsZero() && !keep:
		f.fail("Paste the token the account owner gave you. It is kept in " + where(f.deps.Keychain) + ", never in a file.")
		return
	case !token.IsZero() && (!strings.HasPrefix(token.Reveal(), "cup_") || strings.ContainsAny(token.Reveal(), " \t\n")):
		f.fail("That is not a team token (they start with cup_): paste the token the account owner gave you, not an API secret.")
		return
	}
	if f.grant != nil && p.Folder != "" && !insideGrant(f.grant, p.Folder) {
		f.fail("Default folder: you may upload to " + folderWords(f.grant.Folders) + " only; choose one of them.")
		return
	}
	f.save.Disable()
	f.setStatus("Checking the token with the team's signing service…", widget.MediumImportance)
	deps := f.deps
	f.deps.Tasks.Go(func(ctx context.Context) func() {
		check := token
		if check.IsZero() {
			stored, err := deps.Keychain.Get(ctx, p.SecretAccount())
			if err != nil {
				return func() { f.save.Enable(); f.fail(describeKeychainError(err)) }
			}
			check = stored
		}
		who, err := f.askTeam(ctx, p.Signer, check)
		var netErr *cloud.NetworkError
		note := ""
		switch {
		case errors.As(err, &netErr):
			note = " The service cannot be reached now; uploads start once it answers."
		case err != nil:
			return func() { f.save.Enable(); f.fail("The token was not saved. " + teamWords(err)) }
		default:
			p.Cloud, p.APIKey, p.APIBase = who.Cloud, who.APIKey, who.APIBase
			if p.Folder == "" || !insideGrant(&who.Grant, p.Folder) {
				p.Folder = who.Grant.Folders[0]
			}
			p = p.Normalized()
		}
		msg, err := storeTeam(ctx, deps, p, token)
		return func() {
			f.save.Enable()
			if err != nil {
				f.fail(err.Error())
				return
			}
			f.secret.SetText("")
			f.editing, f.kept, f.secretStored = p.Name, p, true
			f.folder.SetText(p.Folder)
			f.modeChanged()
			if who != nil {
				f.showGrant(who)
				msg += " You are " + who.Editor + " on cloud " + who.Cloud + "."
			}
			msg += note
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

// storeTeam stores the token (when a new one was given) and then the
// profile, keeping the default as store does.
func storeTeam(ctx context.Context, deps Deps, p account.Profile, token keychain.Secret) (string, error) {
	msg := "Profile saved; the token in " + where(deps.Keychain) + " is unchanged."
	if !token.IsZero() {
		if err := deps.Keychain.Set(ctx, p.SecretAccount(), token); err != nil {
			return "", errors.New(describeKeychainError(err))
		}
		msg = "Token saved in " + where(deps.Keychain) + "."
	}
	if err := put(deps.Store, p); err != nil {
		return "", err
	}
	return msg, nil
}
