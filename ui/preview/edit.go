package preview

import (
	"context"
	"errors"
	"maps"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// Editor changes an asset through Cloudinary's own calls (Admin API update,
// rename). Accounts without it show no Edit button.
type Editor interface {
	Update(ctx context.Context, ref cloud.Ref, up cloud.Update) (*cloud.Asset, error)
	Rename(ctx context.Context, ref cloud.Ref, to string) (*cloud.Asset, error)
}

// Update changes names, folder, tags and context (Admin API).
func (a *Adapter) Update(ctx context.Context, ref cloud.Ref, up cloud.Update) (*cloud.Asset, error) {
	return a.Client.Update(ctx, ref, up)
}

// Rename gives the asset a new public_id; one that is taken is refused.
func (a *Adapter) Rename(ctx context.Context, ref cloud.Ref, to string) (*cloud.Asset, error) {
	return a.Client.Rename(ctx, ref, to, false)
}

// Edit is what the Edit dialog sets.
type Edit struct {
	DisplayName string
	Tags        []string
	Alt         string
	Caption     string
	PublicID    string // a new one renames (the link changes)
	Folder      string // asset folder: where it shows in the Media Library
}

// editOf is the asset's current values.
func editOf(a cloud.Asset) Edit {
	return Edit{DisplayName: a.Name(), Tags: a.Tags, Alt: a.Context["alt"], Caption: a.Context["caption"], PublicID: a.PublicID, Folder: a.FolderPath()}
}

type editForm struct {
	name, tags, alt, caption, publicID, folder *dialogs.Entry
	dialog                                     *dialog.FormDialog
}

func (f *editForm) values() Edit {
	return Edit{DisplayName: strings.TrimSpace(f.name.Text), Tags: account.ParseTags(f.tags.Text), Alt: strings.TrimSpace(f.alt.Text),
		Caption: strings.TrimSpace(f.caption.Text), PublicID: strings.Trim(strings.TrimSpace(f.publicID.Text), "/"), Folder: strings.Trim(strings.TrimSpace(f.folder.Text), "/")}
}

// AskEdit opens the Edit dialog over the preview: display name, tags, alt
// text, caption, public_id (rename) and folder (move).
func (v *View) AskEdit() {
	if v.acct == nil || v.asset.PublicID == "" {
		return
	}
	if _, ok := v.acct.(Editor); !ok {
		return
	}
	cur := editOf(v.asset)
	entry := func(text, hint string) *dialogs.Entry {
		e := dialogs.NewEntry()
		e.SetText(text)
		e.SetPlaceHolder(hint)
		return e
	}
	f := &editForm{
		name:     entry(cur.DisplayName, "the name people see in the Media Library"),
		tags:     entry(strings.Join(cur.Tags, ", "), "comma-separated"),
		alt:      entry(cur.Alt, "what the image shows, for people who cannot see it"),
		caption:  entry(cur.Caption, ""),
		publicID: entry(cur.PublicID, "changing it changes the link"),
		folder:   entry(cur.Folder, "the root"),
	}
	f.dialog = dialog.NewForm("Edit “"+v.asset.Name()+"”", "Save", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Display name", f.name),
		widget.NewFormItem("Tags", f.tags),
		widget.NewFormItem("Alt text", f.alt),
		widget.NewFormItem("Caption", f.caption),
		widget.NewFormItem("Public ID", f.publicID),
		widget.NewFormItem("Folder", f.folder),
	}, func(ok bool) {
		if v.editing == f {
			v.editing = nil
		}
		if ok {
			v.SaveEdit(f.values())
		}
	}, v.win)
	f.dialog.Resize(fyne.NewSize(560, 0))
	v.editing = f
	dialogs.For(v.win).ShowOver(f.dialog)
}

// SaveEdit applies e to the asset shown: a rename first (so the rest goes to
// the new public_id), then one Admin API update; the preview then shows the
// asset as the account answered, with its new link.
func (v *View) SaveEdit(e Edit) {
	if v.acct == nil || v.asset.PublicID == "" {
		return
	}
	ed, ok := v.acct.(Editor)
	if !ok {
		return
	}
	before := v.asset
	cur := editOf(before)
	acct := v.acct
	v.status.SetText("Saving “" + before.Name() + "”…")
	v.tasks.Go(func(ctx context.Context) func() {
		ref := cloud.Ref{PublicID: before.PublicID, ResourceType: before.ResourceType, Type: before.Type}
		var err error
		now := &before
		if e.PublicID != "" && e.PublicID != cur.PublicID {
			if now, err = ed.Rename(ctx, ref, e.PublicID); err != nil {
				return v.editFailed(acct, before, "Not renamed. ", err)
			}
			ref.PublicID = now.PublicID
		}
		var up cloud.Update
		changed := false
		if e.DisplayName != cur.DisplayName {
			up.DisplayName, changed = &e.DisplayName, true
		}
		if strings.Join(e.Tags, ",") != strings.Join(cur.Tags, ",") {
			tags := e.Tags
			up.Tags, changed = &tags, true
		}
		if e.Alt != cur.Alt || e.Caption != cur.Caption {
			c := maps.Clone(before.Context)
			if c == nil {
				c = map[string]string{}
			}
			c["alt"], c["caption"] = e.Alt, e.Caption
			for k, val := range c {
				if val == "" {
					delete(c, k)
				}
			}
			up.Context, changed = c, true
		}
		if e.Folder != cur.Folder {
			up.AssetFolder, changed = &e.Folder, true
		}
		if changed {
			after, err := ed.Update(ctx, ref, up)
			if err != nil {
				return v.editFailed(acct, *now, "Not saved. ", err)
			}
			now = after
		}
		final := *now
		return func() {
			if v.acct != acct {
				return
			}
			if v.asset.PublicID == before.PublicID && v.Visible() {
				v.Show(final)
				v.status.SetText("Saved. The link is " + v.Link())
				// The details grew lines: lay the preview out again.
				v.content.Refresh()
			}
			if v.OnChanged != nil {
				v.OnChanged(before, final)
			}
		}
	})
}

func (v *View) editFailed(acct Account, now cloud.Asset, what string, err error) func() {
	return func() {
		if v.acct != acct {
			return
		}
		msg := what + words.Error(err).Text
		var req *cloud.RequestError
		switch {
		case errors.Is(err, cloud.ErrNotFound):
			msg = what + "The asset is no longer in the account."
		case errors.As(err, &req) && strings.Contains(strings.ToLower(req.Message), "already exists"):
			msg = what + "Another asset already has that public ID: choose another one."
		case errors.As(err, &req) && req.Message != "":
			msg = what + "Cloudinary said: " + req.Message
		}
		v.status.SetText(msg)
		v.content.Refresh()
	}
}

// EditForm is what the open Edit dialog holds (nil when none is open).
func (v *View) EditForm() *Edit {
	if v.editing == nil {
		return nil
	}
	e := v.editing.values()
	return &e
}
