package settings

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/ui/dialogs"
)

const (
	// usingSandboxWords opens Settings while the Sandbox is in use, on a
	// form for the user's own account.
	usingSandboxWords = "You are using the built-in Sandbox: uploads stay on this computer. Fill in the form to add your Cloudinary account, or pick Sandbox in the list to change its defaults."
	// sandboxWords goes with the Sandbox's own form.
	sandboxWords = "The built-in Sandbox: uploads stay on this computer, and its key and secret are made for you. Its defaults below can be changed."
)

// Panel is the whole Settings content: the list of profiles (the built-in
// Sandbox always among them) with New, Use and Remove, next to the form of
// the one selected.
type Panel struct {
	deps   Deps
	parent fyne.Window // for the confirmation; nil in tests

	form     *Form
	list     *dialogs.List
	profiles []account.Profile
	def      string // the default profile's name
	selected string

	use, remove *widget.Button
	content     fyne.CanvasObject
	tabs        *container.AppTabs // with a background tab (Show)
}

// ShowBackground brings the background tab forward, when there is one.
func (pl *Panel) ShowBackground() {
	if pl.tabs != nil {
		pl.tabs.SelectIndex(1)
	}
}

// NewPanel returns the Settings content opened on p. The profile list is
// read off the UI goroutine.
func NewPanel(parent fyne.Window, deps Deps, p account.Profile) *Panel {
	pl := &Panel{deps: deps, parent: parent}
	formDeps := deps
	formDeps.OnSaved = func(saved account.Profile) {
		pl.selected = saved.Name
		pl.Reload()
		if deps.OnSaved != nil {
			deps.OnSaved(saved)
		}
	}
	onSandbox := p.Sandbox
	if onSandbox {
		// A first run is on the Sandbox: open on a form for a new account.
		p = account.Profile{}
	}
	pl.form = NewForm(formDeps, p)
	pl.selected = p.Name
	if onSandbox {
		pl.form.setStatus(usingSandboxWords, widget.MediumImportance)
	}

	pl.list = dialogs.NewList(
		func() int { return len(pl.profiles) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("profile name (default)")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(pl.label(pl.profiles[i]))
		},
	)
	pl.list.OnSelected = func(i widget.ListItemID) { pl.Select(pl.profiles[i].Name) }

	newBtn := widget.NewButtonWithIcon("New", theme.ContentAddIcon(), pl.New)
	pl.use = widget.NewButtonWithIcon("Use", theme.ConfirmIcon(), pl.Use)
	pl.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), pl.AskRemove)
	pl.use.Disable()
	pl.remove.Disable()

	title := widget.NewLabelWithStyle("Profiles", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	side := container.NewBorder(title, container.NewGridWithColumns(1, newBtn, pl.use, pl.remove), nil, nil, pl.list)
	split := container.NewHSplit(side, pl.form.Content())
	split.SetOffset(0.26)
	pl.content = split
	pl.Reload()
	return pl
}

// Content is what goes in the dialog.
func (pl *Panel) Content() fyne.CanvasObject { return pl.content }

// Form is the form of the selected profile.
func (pl *Panel) Form() *Form { return pl.form }

// Names are the profiles listed, in order.
func (pl *Panel) Names() []string {
	names := make([]string, len(pl.profiles))
	for i, p := range pl.profiles {
		names[i] = pl.label(p)
	}
	return names
}

func (pl *Panel) label(p account.Profile) string {
	if p.Name == pl.def {
		return p.Name + " (in use)"
	}
	return p.Name
}

// Reload reads the profiles again, off the UI goroutine.
func (pl *Panel) Reload() {
	store := pl.deps.Store
	pl.deps.Tasks.Go(func(context.Context) func() {
		list, err := store.List()
		def, derr := store.Default()
		return func() {
			if err != nil {
				pl.form.fail("Cannot read the profiles: " + err.Error())
				return
			}
			pl.profiles = list
			pl.def = ""
			if derr == nil {
				pl.def = def.Name
			}
			if pl.deps.Current != nil {
				pl.def = pl.deps.Current() // the window's choice is the one in use
			}
			pl.list.Refresh()
			pl.showSelection()
		}
	})
}

// showSelection highlights the selected profile and sets the buttons.
func (pl *Panel) showSelection() {
	found := false
	for i, p := range pl.profiles {
		if p.Name == pl.selected {
			found = true
			pl.list.Select(i) // OnSelected → Select, which sees nothing changed
			break
		}
	}
	if !found {
		pl.list.UnselectAll()
	}
	if found && pl.selected != pl.def {
		pl.use.Enable()
	} else {
		pl.use.Disable()
	}
	if found && pl.selected != account.SandboxName {
		pl.remove.Enable()
	} else {
		pl.remove.Disable()
	}
}

// Select shows the named profile in the form.
func (pl *Panel) Select(name string) {
	if name == pl.selected && name == pl.form.editing {
		pl.showSelection()
		return
	}
	for _, p := range pl.profiles {
		if p.Name != name {
			continue
		}
		pl.selected = name
		pl.form.Edit(p)
		if p.Sandbox {
			pl.form.setStatus(sandboxWords, widget.MediumImportance)
		}
		pl.showSelection()
		return
	}
}

// New empties the form for a new profile.
func (pl *Panel) New() {
	pl.selected = ""
	pl.form.NewProfile()
	pl.showSelection()
}

// Use makes the selected profile the one the window works with.
func (pl *Panel) Use() {
	name := pl.selected
	if name == "" {
		return
	}
	if pl.deps.OnSwitch != nil {
		pl.deps.OnSwitch(name)
	}
	store := pl.deps.Store
	pl.deps.Tasks.Go(func(context.Context) func() {
		err := store.SetDefault(name)
		return func() {
			if err != nil {
				pl.form.fail("Cannot switch to " + name + ": " + err.Error())
				return
			}
			pl.form.setStatus("Now using "+name+".", widget.SuccessImportance)
			pl.Reload()
		}
	})
}

// AskRemove asks before removing the selected profile (the Remove button).
func (pl *Panel) AskRemove() {
	name := pl.selected
	if name == "" || name == account.SandboxName {
		return
	}
	if pl.parent == nil {
		pl.Remove(name)
		return
	}
	d := dialog.NewConfirm("Remove "+name+"?",
		fmt.Sprintf("The profile %q and its secret in %s are removed. Your files on Cloudinary are not touched.", name, where(pl.deps.Keychain)),
		func(ok bool) {
			if ok {
				pl.Remove(name)
			}
		}, pl.parent)
	d.SetConfirmText("Remove")
	d.SetDismissText("Keep it")
	dialogs.For(pl.parent).ShowOver(d)
}

// Remove deletes a profile and its secret, off the UI goroutine. The
// Sandbox profile cannot be removed.
func (pl *Panel) Remove(name string) {
	if name == account.SandboxName {
		pl.form.fail(account.ErrReserved.Error() + ".")
		return
	}
	deps := pl.deps
	pl.remove.Disable()
	deps.Tasks.Go(func(ctx context.Context) func() {
		err := deps.Store.Delete(name)
		msg := "Removed " + name + "."
		if err == nil {
			kerr := deps.Keychain.Delete(ctx, account.Profile{Name: name}.SecretAccount())
			switch {
			case kerr == nil:
				msg += " Its secret was removed from " + where(deps.Keychain) + "."
			case !errors.Is(kerr, keychain.ErrNotFound):
				msg += " Its secret could not be removed: " + describeKeychainError(kerr)
			}
		}
		return func() {
			if err != nil {
				pl.form.fail("Cannot remove " + name + ": " + err.Error())
				pl.showSelection()
				return
			}
			pl.selected = ""
			pl.form.NewProfile()
			pl.form.setStatus(msg, widget.SuccessImportance)
			pl.Reload()
			if deps.OnRemoved != nil {
				deps.OnRemoved(name)
			}
		}
	})
}
