// Package preview is the large view of one library asset: the original and
// a one-click effect preset side by side, the share link of exactly what the
// preset shows (optionally signed), copy as URL / Markdown / HTML, open in
// the browser, details, and delete from the cloud after a confirmation.
//
// It follows the views contract (New, Content, SetAccount, AccountFrom) and
// adds Show(asset) and Close(), which the library grid and the window's Esc
// shortcut call; it opens as a dialog over the window. It never holds the API
// secret: signed links come from Account.SignedURL. Downloads and deletes
// run on bridge.Tasks; widgets change only on the UI goroutine. It must not
// import fyne.io/fyne/v2/app.
package preview

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/browser"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// Account is what the preview needs of the current profile.
type Account interface {
	// Thumb downloads (or finds in the cache) the image at a delivery URL;
	// library.ErrProcessing while the server answers 423.
	Thumb(ctx context.Context, url string) (image.Image, error)
	// Delivery says where the account's assets are delivered from.
	Delivery() effects.Delivery
	// SignedURL is the signed delivery URL of ref with transformation; the
	// secret stays with the account. effects.ErrSecretNeeded when there is
	// none.
	SignedURL(ctx context.Context, ref effects.Ref, transformation string) (string, error)
	// Destroy deletes the asset from the cloud.
	Destroy(ctx context.Context, ref cloud.Ref) error
	// LinkFormat is the profile's default for the first Copy button.
	LinkFormat() effects.LinkFormat
}

// displayLimit keeps the images drawn in the preview small enough to fetch
// quickly: the share link has no such limit.
const displayLimit = "c_limit,w_800,h_800"

// View is the preview. Create it once per window with New.
type View struct {
	win   fyne.Window
	tasks *bridge.Tasks

	// OnDeleted is called on the UI goroutine after an asset was deleted from
	// the cloud, so the grid can drop its cell.
	OnDeleted func(cloud.Asset)
	// OnChanged is called on the UI goroutine after an edit was saved
	// (names, tags, context, a rename or a move).
	OnChanged func(before, after cloud.Asset)
	// OpenURL opens a link in the browser; nil means xdg-open through
	// core/browser on Linux and the BSDs, the app's OpenURL elsewhere.
	OpenURL func(*url.URL) error
	// OnStudio, when set, adds "Tune in studio…", which calls it with the
	// asset and the transformation shown.
	OnStudio func(a cloud.Asset, transformation string)
	// PollInterval is how long to wait between tries while the server is
	// still making an image (423). Default 1 s.
	PollInterval time.Duration

	acct   Account
	asset  cloud.Asset
	preset effects.Preset
	// gen numbers what is shown; a download that finishes after the user
	// moved on (another preset, another asset, closed) is dropped.
	gen int
	// stopApply cancels the current Apply's download, which may be a 423
	// poll that would otherwise go on asking every PollInterval until the
	// server finishes. Apply, Close and SetAccount call it.
	stopApply context.CancelFunc
	// link is the share link of what the preset side shows.
	link string

	original, shown         *canvas.Image
	originalNote, shownNote *widget.Label
	shownTitle              *widget.Label
	presetButtons           map[string]*widget.Button
	presets                 *fyne.Container
	signed                  *dialogs.Check
	linkLabel               *widget.Label
	copyURL, copyMD, copyHT *widget.Button
	open, remove            *widget.Button
	studioBtn               *widget.Button
	details                 *widget.Label
	status                  *widget.Label
	content                 fyne.CanvasObject
	dlg                     *dialog.CustomDialog
	dlgTitle                string // what dlg says at its top
	holders                 map[*canvas.Image]*fyne.Container
	confirm                 *dialog.ConfirmDialog
	fallback                dialog.Dialog
	edit                    *widget.Button
	editing                 *editForm
}

// New builds the preview's widgets; nothing is shown until Show.
func New(win fyne.Window, tasks *bridge.Tasks) *View {
	v := &View{win: win, tasks: tasks, PollInterval: time.Second, presetButtons: map[string]*widget.Button{}}
	newImage := func() *canvas.Image {
		img := canvas.NewImageFromImage(nil)
		img.FillMode = canvas.ImageFillContain
		img.ScaleMode = canvas.ImageScaleSmooth
		return img
	}
	v.original, v.shown = newImage(), newImage()
	v.originalNote, v.shownNote = widget.NewLabel(""), widget.NewLabel("")
	v.originalNote.Alignment, v.shownNote.Alignment = fyne.TextAlignCenter, fyne.TextAlignCenter
	v.shownNote.Wrapping, v.originalNote.Wrapping = fyne.TextWrapWord, fyne.TextWrapWord
	v.shownTitle = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})

	// Every preset in sight, wrapped onto as many rows as the width needs
	// (a scrolled bar hid the last ones and kept its place between
	// previews).
	var presets []fyne.CanvasObject
	for _, p := range effects.Presets {
		b := widget.NewButton(p.Label, func() { v.Apply(p.Name) })
		v.presetButtons[p.Name] = b
		presets = append(presets, b)
	}
	v.presets = container.New(layout.NewRowWrapLayout(), presets...)

	v.signed = dialogs.NewCheck("Signed link", func(bool) { v.updateLink() })
	v.linkLabel = widget.NewLabel("")
	v.linkLabel.Truncation = fyne.TextTruncateEllipsis
	v.copyURL = widget.NewButtonWithIcon("Copy URL", theme.ContentCopyIcon(), func() { v.Copy(effects.LinkURL) })
	v.copyMD = widget.NewButton("Copy Markdown", func() { v.Copy(effects.LinkMarkdown) })
	v.copyHT = widget.NewButton("Copy HTML", func() { v.Copy(effects.LinkHTML) })
	v.open = widget.NewButtonWithIcon("Open in browser", theme.ComputerIcon(), v.OpenInBrowser)
	v.remove = widget.NewButtonWithIcon("Delete…", theme.DeleteIcon(), v.AskDelete)
	v.remove.Importance = widget.DangerImportance
	v.edit = widget.NewButtonWithIcon("Edit…", theme.DocumentCreateIcon(), v.AskEdit)
	v.details = widget.NewLabel("")
	v.details.Wrapping = fyne.TextWrapWord
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButtonWithIcon("Close", theme.CancelIcon(), v.Close)

	sides := container.NewGridWithColumns(2,
		container.NewBorder(widget.NewLabelWithStyle("Original", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), v.originalNote, nil, nil, v.noLarger(v.original)),
		container.NewBorder(v.shownTitle, v.shownNote, nil, nil, v.noLarger(v.shown)),
	)
	linkRow := container.NewBorder(nil, nil, widget.NewLabel("Link:"), v.signed, v.linkLabel)
	v.studioBtn = widget.NewButtonWithIcon("Tune in studio…", theme.ColorPaletteIcon(), func() {
		if v.OnStudio != nil && v.asset.ResourceType != "raw" {
			v.OnStudio(v.asset, v.preset.Transformation)
		}
	})
	buttons := container.NewHBox(v.copyURL, v.copyMD, v.copyHT, v.open, v.studioBtn, layoutSpacer(), v.edit, v.remove, closeBtn)
	bottom := container.NewVBox(linkRow, buttons, v.details, v.status)
	v.content = container.NewBorder(v.presets, bottom, nil, nil, sides)
	return v
}

func layoutSpacer() fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(24, 1))
	return r
}

// Content is the preview's body (the dialog Show opens holds it).
func (v *View) Content() fyne.CanvasObject { return v.content }

// SetAccount switches profiles; an open preview closes (its asset belongs
// to the old account).
func (v *View) SetAccount(a Account) {
	v.Close()
	v.acct = a
}

// Visible reports whether the preview is open.
func (v *View) Visible() bool { return v.dlg != nil }

// Asset is the asset shown.
func (v *View) Asset() cloud.Asset { return v.asset }

// Link is the share link of what the preset side shows ("" when closed).
func (v *View) Link() string { return v.link }

// Shown is the image drawn on the preset side (nil while loading).
func (v *View) Shown() image.Image { return v.shown.Image }

// Status is the sentence under the buttons (errors, "Copied…").
func (v *View) Status() string { return v.status.Text }

// Show opens the preview of a with the Original preset.
func (v *View) Show(a cloud.Asset) {
	if v.acct == nil {
		return
	}
	v.asset = a
	v.status.SetText("")
	if _, ok := v.acct.(Editor); ok {
		v.edit.Show()
	} else {
		v.edit.Hide()
	}
	v.signed.SetChecked(false)
	v.details.SetText(detailsOf(a))
	for _, p := range effects.Presets {
		// Background removal and other image-only presets are not offered
		// for a video.
		if a.ResourceType == "video" && !p.ForVideo() {
			v.presetButtons[p.Name].Hide()
		} else {
			v.presetButtons[p.Name].Show()
		}
	}
	if v.OnStudio == nil || a.ResourceType == "raw" {
		v.studioBtn.Hide()
	} else {
		v.studioBtn.Show()
	}
	def := v.acct.LinkFormat()
	for f, b := range map[effects.LinkFormat]*widget.Button{effects.LinkURL: v.copyURL, effects.LinkMarkdown: v.copyMD, effects.LinkHTML: v.copyHT} {
		b.Importance = widget.MediumImportance
		if f == def || (def == "" && f == effects.LinkURL) {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
	v.original.Image, v.shown.Image = nil, nil
	v.Apply("original")
	v.loadOriginal()
	renamed := v.dlg != nil && v.dlgTitle != altText(a)
	if renamed {
		// Fyne's dialogs have no title setter, so the preview opens again
		// under its new name (the old one closes quietly: it is no longer
		// v.dlg when its OnClosed runs).
		old := v.dlg
		v.dlg = nil
		old.Hide()
	}
	if v.dlg == nil {
		// Its display name: what people named the file (a public_id may be
		// Cloudinary's random letters).
		v.dlgTitle = altText(a)
		d := dialog.NewCustomWithoutButtons(v.dlgTitle, v.content, v.win)
		size := v.win.Canvas().Size()
		d.Resize(fyne.NewSize(max(size.Width*0.92, 760), max(size.Height*0.92, 600)))
		switch {
		case renamed:
			dialogs.For(v.win).ShowOver(d) // in its own place, whatever else is open
		case !dialogs.For(v.win).Show(d):
			return
		}
		v.dlg = d
		d.SetOnClosed(func() {
			if v.dlg == d {
				v.dlg = nil
				v.gen++
				v.cancelApply()
			}
		})
	}
}

// Close hides the preview (Esc). It is safe to call when it is closed.
func (v *View) Close() {
	if v.confirm != nil {
		v.confirm.Hide()
		v.confirm = nil
	}
	if v.fallback != nil {
		v.fallback.Hide()
		v.fallback = nil
	}
	if v.dlg != nil {
		d := v.dlg
		v.dlg = nil
		d.Hide()
	}
	v.gen++
	v.cancelApply()
	v.link = ""
}

// cancelApply stops the current Apply's download or poll, if any.
func (v *View) cancelApply() {
	if v.stopApply != nil {
		v.stopApply()
		v.stopApply = nil
	}
}

func (v *View) ref() effects.Ref {
	return effects.Ref{PublicID: v.asset.PublicID, ResourceType: v.asset.ResourceType, Type: v.asset.Type, Version: v.asset.Version}
}

func (v *View) isVideo() bool { return v.asset.ResourceType == "video" }

// displayURL is what the preview downloads to draw transformation: a
// size-limited still (a poster frame for videos).
func (v *View) displayURL(transformation string) (string, error) {
	d := v.acct.Delivery()
	ref := v.ref()
	if v.isVideo() {
		return d.Poster(ref, effects.Chain(transformation, displayLimit))
	}
	if v.asset.ResourceType == "raw" {
		return "", errors.New("this file is not an image or a video, so there is nothing to preview; use Open in browser")
	}
	ref.Format = "jpg"
	if transformation != "" {
		// f_auto and friends pick the format themselves.
		ref.Format = ""
	}
	return d.URL(ref, effects.Chain(transformation, displayLimit), "", false)
}

// Apply shows the preset called name next to the original and makes the
// link point at it.
func (v *View) Apply(name string) {
	if v.acct == nil {
		return
	}
	p, err := effects.Lookup(name)
	if err != nil {
		v.status.SetText(err.Error())
		return
	}
	v.cancelApply() // one poll at a time, however often the buttons are clicked
	v.preset = p
	v.status.SetText("") // "Copied the … link" was about the previous preset
	for n, b := range v.presetButtons {
		if n == p.Name {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	v.shownTitle.SetText(p.Label)
	v.updateLink()
	v.gen++
	gen := v.gen
	target, err := v.displayURL(p.Transformation)
	if err != nil {
		v.shown.Image = nil
		v.shown.Refresh()
		v.shownNote.SetText(err.Error())
		return
	}
	if img, ok := cachedOf(v.acct, target); ok {
		v.setImage(v.shown, v.shownNote, img)
		return
	}
	// The last preset's picture under this one's heading would say it is
	// this one: the pane stays empty until it arrives.
	v.shown.Image = nil
	v.shown.Refresh()
	if p.Slow {
		v.shownNote.SetText("Working… " + p.Label + " takes a few seconds on the server.")
	} else {
		v.shownNote.SetText("Loading…")
	}
	acct, interval := v.acct, v.PollInterval
	ctx, cancel := context.WithCancel(context.Background())
	v.stopApply = cancel
	v.tasks.Go(func(tctx context.Context) func() {
		defer cancel()
		stop := context.AfterFunc(tctx, cancel)
		defer stop()
		img, err := poll(ctx, acct, target, interval)
		return func() {
			if gen != v.gen {
				return
			}
			if err != nil {
				v.shown.Image = nil
				v.shown.Refresh()
				v.shownNote.SetText(imageError(err))
				return
			}
			v.setImage(v.shown, v.shownNote, img)
		}
	})
}

func (v *View) loadOriginal() {
	target, err := v.displayURL("")
	if err != nil {
		v.originalNote.SetText(err.Error())
		return
	}
	if img, ok := cachedOf(v.acct, target); ok {
		v.setImage(v.original, v.originalNote, img)
		return
	}
	v.originalNote.SetText("Loading…")
	acct, asset := v.acct, v.asset
	v.tasks.Go(func(ctx context.Context) func() {
		img, err := acct.Thumb(ctx, target)
		return func() {
			if v.asset.PublicID != asset.PublicID || v.acct != acct {
				return
			}
			if err != nil {
				v.originalNote.SetText(imageError(err))
				return
			}
			v.setImage(v.original, v.originalNote, img)
		}
	})
}

// cachedOf asks the account for an image already in memory, when it can say.
func cachedOf(a Account, url string) (image.Image, bool) {
	if c, ok := a.(interface {
		CachedThumb(string) (image.Image, bool)
	}); ok {
		return c.CachedThumb(url)
	}
	return nil, false
}

// poll downloads url, asking again every interval while the server is still
// making it (423), until ctx ends.
func poll(ctx context.Context, a Account, url string, interval time.Duration) (image.Image, error) {
	for {
		img, err := a.Thumb(ctx, url)
		if !errors.Is(err, library.ErrProcessing) {
			return img, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

func (v *View) setImage(c *canvas.Image, note *widget.Label, img image.Image) {
	c.Image = img
	c.Refresh()
	if p, ok := v.holders[c]; ok {
		p.Refresh() // place it at its new size
	}
	b := img.Bounds()
	size := fmt.Sprintf("%d × %d px", b.Dx(), b.Dy())
	if drawnSmaller(img, c.Size(), v.win.Canvas().Scale()) {
		note.SetText(size + ", scaled down to fit")
	} else {
		note.SetText(size + ", actual size")
	}
}

// noLarger holds an image: at its own pixel size, or scaled down to fit,
// never enlarged (a 150 px thumbnail drawn at 280 px would not be what
// the link gives).
func (v *View) noLarger(img *canvas.Image) *fyne.Container {
	c := container.New(&noUpscale{img: img, scale: v.win.Canvas().Scale}, img)
	if v.holders == nil {
		v.holders = map[*canvas.Image]*fyne.Container{}
	}
	v.holders[img] = c
	return c
}

// noUpscale lays out one image at its natural size (in the canvas's
// units), or smaller, keeping its shape, centred in the space given.
type noUpscale struct {
	img   *canvas.Image
	scale func() float32
}

// minArea keeps the preview a usable size while nothing is loaded.
var minArea = fyne.NewSize(360, 270)

func (l *noUpscale) MinSize([]fyne.CanvasObject) fyne.Size { return minArea }

func (l *noUpscale) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	w, h := size.Width, size.Height
	if l.img.Image != nil {
		b := l.img.Image.Bounds()
		nw, nh := float32(b.Dx())/l.scale(), float32(b.Dy())/l.scale()
		if nw > 0 && nh > 0 {
			f := min(1, w/nw, h/nh)
			w, h = nw*f, nh*f
		}
	}
	l.img.Resize(fyne.NewSize(w, h))
	l.img.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
}

// drawnSmaller reports whether img, laid out in drawn on a canvas of
// scale, shows fewer pixels than it has.
func drawnSmaller(img image.Image, drawn fyne.Size, scale float32) bool {
	b := img.Bounds()
	return drawn.Width*scale < float32(b.Dx())-0.5 || drawn.Height*scale < float32(b.Dy())-0.5
}

func imageError(err error) string {
	return "This image did not load. " + words.Error(err).Text
}

// updateLink recomputes the share link of the preset side: plain on the UI
// goroutine (no I/O), signed through the account on a task.
func (v *View) updateLink() {
	if v.acct == nil || v.asset.PublicID == "" {
		return
	}
	ref := v.ref()
	tr := v.preset.Transformation
	if !v.signed.Checked {
		link, err := v.acct.Delivery().URL(ref, tr, "", false)
		v.setLink(link, err)
		return
	}
	v.linkLabel.SetText("Signing…")
	acct := v.acct
	v.tasks.Go(func(ctx context.Context) func() {
		link, err := acct.SignedURL(ctx, ref, tr)
		return func() {
			if v.acct != acct || v.ref() != ref || v.preset.Transformation != tr || !v.signed.Checked {
				return
			}
			if err != nil {
				v.signed.SetChecked(false) // shows the unsigned link again
				v.status.SetText("No signed link. " + words.Error(err).Text)
				return
			}
			v.setLink(link, nil)
		}
	})
}

func (v *View) setLink(link string, err error) {
	if err != nil {
		v.link = ""
		v.linkLabel.SetText("")
		v.status.SetText("No link. " + words.Error(err).Text)
		return
	}
	v.link = link
	v.linkLabel.SetText(link)
}

// Copy puts the link of what is shown on the clipboard in format.
func (v *View) Copy(format effects.LinkFormat) {
	if v.link == "" {
		return
	}
	alt := strings.TrimSpace(v.asset.Context["alt"]) // the asset's own alt text first
	if alt == "" {
		alt = altText(v.asset)
	}
	text := effects.Link(format, v.link, v.asset.ResourceType, alt)
	fyne.CurrentApp().Clipboard().SetContent(text)
	names := map[effects.LinkFormat]string{effects.LinkURL: "URL", effects.LinkMarkdown: "Markdown", effects.LinkHTML: "HTML"}
	v.status.SetText("Copied the " + v.preset.Label + " link as " + names[format] + ".")
}

// altText is the asset's name (display name, else file name, else the
// public_id's last part): the preview's title and a link's alt text unless
// the asset has its own.
func altText(a cloud.Asset) string {
	return a.Name()
}

// OpenInBrowser opens the link of what is shown (the video itself for a
// video). When the system cannot, the link is shown with a Copy button.
//
// The opening runs on a task: on Linux core/browser runs xdg-open and waits
// for its answer; elsewhere Fyne's OpenURL waits for open (macOS) or makes
// a D-Bus call (Flatpak). None of that belongs on the UI goroutine.
func (v *View) OpenInBrowser() {
	if v.link == "" {
		return
	}
	link := v.link
	u, err := url.Parse(link)
	if err != nil {
		v.showOpenFailed(link, err)
		return
	}
	open := v.OpenURL
	v.status.SetText("Opening the browser…")
	v.tasks.Go(func(ctx context.Context) func() {
		var err error
		if open != nil {
			err = open(u)
		} else {
			// xdg-open is waited for: its failure is heard and shown.
			err = browser.OpenOr(ctx, link, fyne.CurrentApp().OpenURL)
		}
		return func() {
			if v.dlg == nil || v.link != link {
				return // closed, or showing something else by now
			}
			if err != nil {
				v.showOpenFailed(link, err)
				return
			}
			v.status.SetText("Opened in the browser.")
		}
	})
}

// showOpenFailed shows link with a Copy button after the browser could not
// be opened.
func (v *View) showOpenFailed(link string, err error) {
	v.status.SetText("")
	text := widget.NewLabel(link)
	text.Wrapping = fyne.TextWrapBreak
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(link)
		v.status.SetText("Copied the link.")
		if v.fallback != nil {
			v.fallback.Hide()
			v.fallback = nil
		}
	})
	// The reason (xdg-open's words, an install hint) is for the log, not
	// for an editor: what helps is the link.
	fyne.LogError("opening the browser", err)
	body := container.NewVBox(widget.NewLabel("No web browser opened. Copy the link and paste it into one:"), text)
	d := dialog.NewCustom("Open in browser", "Close", container.NewBorder(nil, copyBtn, nil, nil, body), v.win)
	d.Resize(fyne.NewSize(560, 220))
	if v.fallback != nil {
		v.fallback.Hide()
	}
	v.fallback = d
	dialogs.For(v.win).ShowOver(d)
}

// AskDelete asks for confirmation, then deletes the asset from the cloud.
func (v *View) AskDelete() {
	if v.acct == nil || v.asset.PublicID == "" {
		return
	}
	if g, ok := v.acct.(interface{ MayDelete() (bool, string) }); ok {
		if may, why := g.MayDelete(); !may {
			v.status.SetText(why)
			return
		}
	}
	a := v.asset
	msg := fmt.Sprintf("Delete “%s” (%s) from the cloud?\nIts links stop working (CDN copies are invalidated). This cannot be undone.", a.Name(), a.PublicID)
	v.confirm = dialog.NewConfirm("Delete from the cloud", msg, func(ok bool) {
		v.confirm = nil
		if ok {
			v.deleteNow(a)
		}
	}, v.win)
	v.confirm.SetConfirmText("Delete")
	v.confirm.SetDismissText("Keep it")
	v.confirm.SetConfirmImportance(widget.DangerImportance)
	dialogs.For(v.win).ShowOver(v.confirm)
}

// ConfirmDelete answers the open confirmation as the user would; the tests
// and keyboard handlers use it.
func (v *View) ConfirmDelete(yes bool) {
	if v.confirm == nil {
		return
	}
	d := v.confirm
	v.confirm = nil
	d.Hide()
	if yes {
		v.deleteNow(v.asset)
	}
}

func (v *View) deleteNow(a cloud.Asset) {
	acct := v.acct
	v.remove.Disable()
	v.status.SetText("Deleting “" + a.Name() + "”…")
	ref := cloud.Ref{PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type}
	v.tasks.Go(func(ctx context.Context) func() {
		err := acct.Destroy(ctx, ref)
		return func() {
			v.remove.Enable()
			if err != nil && !errors.Is(err, cloud.ErrNotFound) {
				v.status.SetText("Not deleted. " + words.Error(err).Text)
				return
			}
			if v.asset.PublicID == a.PublicID {
				v.Close()
			}
			if v.OnDeleted != nil {
				v.OnDeleted(a)
			}
		}
	})
}

// detailsOf is the details line: what, how big, tags, when.
func detailsOf(a cloud.Asset) string {
	var parts []string
	parts = append(parts, a.Name())
	if a.PublicID != a.Name() { // a name taken from the id says it once
		parts = append(parts, a.PublicID)
	}
	kind := a.ResourceType
	if a.Format != "" {
		kind = strings.ToUpper(a.Format) + " " + kind
	}
	parts = append(parts, strings.TrimSpace(kind))
	if a.Width > 0 && a.Height > 0 {
		parts = append(parts, fmt.Sprintf("%d × %d", a.Width, a.Height))
	}
	if a.Duration > 0 {
		parts = append(parts, (time.Duration(a.Duration * float64(time.Second))).Round(time.Second).String())
	}
	if a.Bytes > 0 {
		parts = append(parts, transfer.HumanBytes(a.Bytes))
	}
	line := strings.Join(parts, " · ")
	if f := a.FolderPath(); f != "" {
		line += "\nFolder: " + f
	}
	if len(a.Tags) > 0 {
		line += "\nTags: " + strings.Join(a.Tags, ", ")
	}
	if alt := a.Context["alt"]; alt != "" {
		line += "\nAlt text: " + alt
	}
	if c := a.Context["caption"]; c != "" {
		line += "\nCaption: " + c
	}
	if !a.CreatedAt.IsZero() {
		line += "\nCreated " + a.CreatedAt.Local().Format("2 Jan 2006 15:04")
	}
	return line
}
