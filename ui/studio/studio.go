// Package studio is where an editor tunes an effect chain on one asset
// before sharing it: a crop by aspect ratio with gravity and width, each
// effect's strength on a slider, f_auto,q_auto, and for videos a trim. The
// chain is shown as Cloudinary transformation text, editable by hand and
// read back into the controls when it is valid. The preview is debounced
// and a render that a newer one supersedes is cancelled, so dragging a
// slider never queues renders. Under the preview it says what readers will
// download (format, pixels, bytes, saving), and it copies the snippet a web
// page needs.
//
// It opens as a dialog from the preview ("Tune in studio…"). It never holds
// a secret: signed links come from Account.SignedURL. Widgets change only on
// the UI goroutine, through bridge.Tasks.
package studio

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/browser"
	"github.com/cloudup/cloudup/core/cloud"
	"github.com/cloudup/cloudup/core/delivered"
	"github.com/cloudup/cloudup/core/effects"
	"github.com/cloudup/cloudup/core/share"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// Account is what the studio needs of the current profile.
type Account interface {
	Thumb(ctx context.Context, url string) (image.Image, error)
	Delivery() effects.Delivery
	SignedURL(ctx context.Context, ref effects.Ref, transformation string) (string, error)
}

// NamedSaver is an Account that may save a chain on the cloud account as a
// named transformation (t_NAME), so links stay short and the team shares it.
type NamedSaver interface {
	CreateNamedTransformation(ctx context.Context, name, transformation string) error
}

// Profile is the studio's view of the profile's saved presets and link
// templates, and how to save a preset. Nil means none are kept.
type Profile struct {
	Presets   []account.StudioPreset
	Templates []account.LinkTemplate
	Default   account.LinkFormat
	// SavePreset stores a preset in the profile; it runs off the UI
	// goroutine.
	SavePreset func(ctx context.Context, p account.StudioPreset) error
}

// previewLimit keeps the drawn preview quick to fetch; links have no limit.
const previewLimit = "c_limit,w_800,h_800"

var aspectLabels = []string{"No crop", "1:1", "4:5", "16:9", "9:16", "Social card 1200×630", "Custom…"}

// View is the studio. Create it once per window with New.
type View struct {
	win   fyne.Window
	tasks *bridge.Tasks
	// Debounce is how long the controls must be still before a render
	// starts. Default 120 ms.
	Debounce time.Duration
	// HTTP fetches delivered responses for the readers' line; nil means
	// http.DefaultClient.
	HTTP *http.Client
	// OpenURL opens a link; nil means core/browser (xdg-open) or the app's.
	OpenURL func(*url.URL) error
	// OnMeasured, if set, is called on the UI goroutine with each readers'
	// line.
	OnMeasured func(line string)
	// OnRendered, if set, is called on the UI goroutine each time a
	// preview is drawn, with the transformation it shows.
	OnRendered func(transformation string)

	acct    Account
	profile Profile
	asset   cloud.Asset
	recipe  effects.Recipe
	// custom is transformation text the controls cannot show, used as is.
	custom string

	gen     int
	timer   *time.Timer
	cancel  context.CancelFunc
	renders int
	syncing bool // controls are being set from the text: no feedback loop

	image      *canvas.Image
	imageNote  *widget.Label
	readers    *widget.Label
	original   *widget.Label
	aspect     *widget.Select
	customAR   *widget.Entry
	gravity    *widget.RadioGroup
	width      *widget.Entry
	trimStart  *widget.Entry
	trimEnd    *widget.Entry
	trimRow    *fyne.Container
	checks     map[string]*widget.Check
	sliders    map[string]*widget.Slider
	levels     map[string]*widget.Label
	rows       map[string]*fyne.Container
	auto       *widget.Check
	text       *widget.Entry
	textNote   *widget.Label
	presets    *widget.Select
	presetName *widget.Entry
	inCloud    *widget.Check
	alt        *widget.Entry
	noAlt      *widget.Check
	signed     *widget.Check
	copyRow    *fyne.Container
	copyBtns   map[string]*widget.Button
	copyVideo  *widget.Button
	copyImage  []*widget.Button
	templates  *widget.Select
	status     *widget.Label
	content    fyne.CanvasObject
	dlg        *dialog.CustomDialog
}

// New builds the studio's widgets; nothing is shown until Show.
func New(win fyne.Window, tasks *bridge.Tasks) *View {
	v := &View{win: win, tasks: tasks, Debounce: 80 * time.Millisecond,
		checks: map[string]*widget.Check{}, sliders: map[string]*widget.Slider{}, levels: map[string]*widget.Label{}, rows: map[string]*fyne.Container{}}
	v.image = canvas.NewImageFromImage(nil)
	v.image.FillMode = canvas.ImageFillContain
	v.image.ScaleMode = canvas.ImageScaleSmooth
	v.image.SetMinSize(fyne.NewSize(420, 320))
	v.imageNote = widget.NewLabel("")
	v.imageNote.Alignment = fyne.TextAlignCenter
	v.readers = widget.NewLabel("")
	v.readers.Wrapping = fyne.TextWrapWord
	v.original = widget.NewLabel("")
	v.original.Wrapping = fyne.TextWrapWord

	v.aspect = widget.NewSelect(aspectLabels, func(sel string) {
		if sel == "Custom…" {
			v.customAR.Enable()
		} else {
			v.customAR.Disable()
		}
		v.controlsChanged()
	})
	v.customAR = widget.NewEntry()
	v.customAR.SetPlaceHolder("e.g. 3:2")
	v.customAR.Disable()
	v.customAR.OnChanged = func(string) { v.controlsChanged() }
	v.gravity = widget.NewRadioGroup([]string{"auto", "faces", "center"}, func(string) { v.controlsChanged() })
	v.gravity.Horizontal = true
	v.width = widget.NewEntry()
	v.width.SetPlaceHolder("keep")
	v.width.OnChanged = func(string) { v.controlsChanged() }
	v.trimStart, v.trimEnd = widget.NewEntry(), widget.NewEntry()
	v.trimStart.SetPlaceHolder("start s")
	v.trimEnd.SetPlaceHolder("end s")
	v.trimStart.OnChanged = func(string) { v.controlsChanged() }
	v.trimEnd.OnChanged = func(string) { v.controlsChanged() }
	v.trimRow = container.NewGridWithColumns(3, widget.NewLabel("Trim"), v.trimStart, v.trimEnd)

	controls := container.NewVBox(
		widget.NewLabelWithStyle("Crop", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, v.aspect, v.customAR),
		v.gravity,
		container.NewBorder(nil, nil, widget.NewLabel("Width px"), nil, v.width),
		v.trimRow,
		widget.NewLabelWithStyle("Effects", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
	)
	for _, t := range effects.Tunables {
		name := t.Name
		c := widget.NewCheck(t.Label, func(bool) { v.controlsChanged() })
		v.checks[name] = c
		if !t.HasLevel {
			v.rows[name] = container.NewHBox(c)
			controls.Add(v.rows[name])
			continue
		}
		s := widget.NewSlider(float64(t.Min), float64(t.Max))
		s.Step = 1
		s.SetValue(float64(t.Default))
		lvl := widget.NewLabel(strconv.Itoa(t.Default))
		s.OnChanged = func(f float64) {
			lvl.SetText(strconv.Itoa(int(f)))
			if !v.syncing && !c.Checked {
				v.syncing = true
				c.SetChecked(true) // moving a slider turns its effect on
				v.syncing = false
			}
			v.controlsChanged()
		}
		v.sliders[name], v.levels[name] = s, lvl
		v.rows[name] = container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSize(110, c.MinSize().Height), c), container.NewGridWrap(fyne.NewSize(48, lvl.MinSize().Height), lvl), s)
		controls.Add(v.rows[name])
	}
	v.auto = widget.NewCheck("Auto format + quality (f_auto,q_auto)", func(bool) { v.controlsChanged() })
	controls.Add(v.auto)

	v.text = widget.NewEntry()
	v.text.OnChanged = v.textChanged
	v.textNote = widget.NewLabel("")
	v.textNote.Wrapping = fyne.TextWrapWord

	v.presets = widget.NewSelect(nil, v.pickPreset)
	v.presets.PlaceHolder = "Presets"
	v.presetName = widget.NewEntry()
	v.presetName.SetPlaceHolder("Name for this chain")
	save := widget.NewButtonWithIcon("Save preset", theme.DocumentSaveIcon(), v.SavePreset)
	v.inCloud = widget.NewCheck("Also in Cloudinary (t_…)", nil)

	v.alt = widget.NewEntry()
	v.alt.SetPlaceHolder("What the image shows, for people who cannot see it")
	v.noAlt = widget.NewCheck("No alt text", nil)
	v.signed = widget.NewCheck("Signed links", func(bool) { v.schedule() })
	v.copyBtns = map[string]*widget.Button{}
	mk := func(label, format string) *widget.Button {
		b := widget.NewButton(label, func() { v.Copy(format) })
		v.copyBtns[format] = b
		return b
	}
	v.copyImage = []*widget.Button{mk("<img>", share.SnippetHTML), mk("srcset", share.SnippetSrcset), mk("<picture>", share.SnippetPicture)}
	v.copyVideo = mk("<video>", share.SnippetVideo)
	v.templates = widget.NewSelect(nil, func(name string) {
		if name != "" {
			v.Copy(share.TemplateFormat(name))
		}
	})
	v.templates.PlaceHolder = "Template…"
	openBtn := widget.NewButtonWithIcon("Open", theme.MediaPlayIcon(), v.Open)
	v.copyRow = container.NewHBox(widget.NewLabel("Copy"), mk("URL", share.SnippetURL), mk("Markdown", share.SnippetMarkdown))
	for _, b := range v.copyImage {
		v.copyRow.Add(b)
	}
	v.copyRow.Add(v.copyVideo)
	v.copyRow.Add(v.templates)
	v.copyRow.Add(openBtn)
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButtonWithIcon("Close", theme.CancelIcon(), v.Close)

	right := container.NewBorder(nil, container.NewVBox(v.imageNote, v.readers, v.original), nil, nil, v.image)
	left := container.NewVScroll(controls)
	left.SetMinSize(fyne.NewSize(360, 300))
	bottom := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Chain"), nil, v.text),
		v.textNote,
		container.NewBorder(nil, nil, v.presets, container.NewHBox(v.inCloud, save), v.presetName),
		container.NewBorder(nil, nil, widget.NewLabel("Alt text"), container.NewHBox(v.noAlt, v.signed), v.alt),
		container.NewBorder(nil, nil, nil, closeBtn, v.copyRow),
		v.status,
	)
	v.content = container.NewBorder(nil, bottom, left, nil, right)
	return v
}

// Content is the studio's body.
func (v *View) Content() fyne.CanvasObject { return v.content }

// SetAccount switches profiles; an open studio closes.
func (v *View) SetAccount(a Account, p Profile) {
	v.Close()
	v.acct, v.profile = a, p
}

// SetProfile updates the saved presets and templates.
func (v *View) SetProfile(p Profile) { v.profile = p; v.fillPresets() }

// Renders is how many previews were started since Show.
func (v *View) Renders() int { return v.renders }

// Recipe is what the controls say.
func (v *View) Recipe() effects.Recipe { return v.recipe }

// Transformation is the chain the links and preview use.
func (v *View) Transformation() string {
	if v.custom != "" {
		return v.custom
	}
	return v.recipe.Format()
}

// Status is the sentence at the bottom.
func (v *View) Status() string { return v.status.Text }

// Readers is the line that says what readers download.
func (v *View) Readers() string { return v.readers.Text }

// Shown is the preview image (nil while loading).
func (v *View) Shown() image.Image { return v.image.Image }

// Visible reports whether the studio is open.
func (v *View) Visible() bool { return v.dlg != nil }

func (v *View) isVideo() bool { return v.asset.ResourceType == "video" }

// Show opens the studio on a, starting from transformation (may be "").
func (v *View) Show(a cloud.Asset, transformation string) {
	if v.acct == nil {
		return
	}
	v.asset = a
	v.status.SetText("")
	v.alt.SetText(share.AltFrom(a.Context))
	v.noAlt.SetChecked(false)
	v.renders = 0
	video := v.isVideo()
	for _, t := range effects.Tunables {
		if video && !t.Video {
			v.rows[t.Name].Hide() // image-only effects are not offered for video
		} else {
			v.rows[t.Name].Show()
		}
	}
	if video {
		v.trimRow.Show()
		v.copyVideo.Show()
		for _, b := range v.copyImage {
			b.Hide()
		}
	} else {
		v.trimRow.Hide()
		v.copyVideo.Hide()
		for _, b := range v.copyImage {
			b.Show()
		}
	}
	if _, ok := v.acct.(NamedSaver); ok {
		v.inCloud.Show()
	} else {
		v.inCloud.Hide()
	}
	v.inCloud.SetChecked(false)
	v.fillPresets()
	def := string(v.profile.Default)
	if video && (def == share.SnippetHTML || def == share.SnippetSrcset || def == share.SnippetPicture) {
		def = share.SnippetVideo
	}
	for f, b := range v.copyBtns {
		// The profile's default format stands out.
		b.Importance = widget.MediumImportance
		if f == def {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
	v.text.SetText(transformation) // sets the controls through textChanged
	if transformation == "" {
		v.textChanged("")
	}
	v.probeOriginal()
	if v.dlg == nil {
		d := dialog.NewCustomWithoutButtons("Studio: "+displayName(a), v.content, v.win)
		size := v.win.Canvas().Size()
		d.Resize(fyne.NewSize(max(size.Width*0.95, 900), max(size.Height*0.95, 640)))
		if !dialogs.For(v.win).Show(d) {
			return
		}
		v.dlg = d
		d.SetOnClosed(func() {
			if v.dlg == d {
				v.dlg = nil
				v.stop()
			}
		})
	}
}

// Close hides the studio and cancels its work.
func (v *View) Close() {
	if v.dlg != nil {
		d := v.dlg
		v.dlg = nil
		d.Hide()
	}
	v.stop()
}

func (v *View) stop() {
	v.gen++
	if v.timer != nil {
		v.timer.Stop()
		v.timer = nil
	}
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
}

func displayName(a cloud.Asset) string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.PublicID[strings.LastIndex(a.PublicID, "/")+1:]
}

func (v *View) fillPresets() {
	var names []string
	for _, p := range effects.Presets {
		if p.Transformation == "" || (v.isVideo() && !videoPreset(p)) {
			continue
		}
		names = append(names, p.Label)
	}
	for _, p := range v.profile.Presets {
		names = append(names, "★ "+p.Name)
	}
	v.presets.Options = names
	v.presets.ClearSelected()
	var tpl []string
	for _, t := range v.profile.Templates {
		tpl = append(tpl, t.Name)
	}
	v.templates.Options = tpl
	if len(tpl) == 0 {
		v.templates.Hide()
	} else {
		v.templates.Show()
	}
}

// videoPreset says whether a built-in preset makes sense for a video.
func videoPreset(p effects.Preset) bool { return p.ForVideo() }

func (v *View) pickPreset(label string) {
	if label == "" {
		return
	}
	tr := ""
	for _, p := range effects.Presets {
		if p.Label == label {
			tr = p.Transformation
		}
	}
	note := ""
	for _, p := range v.profile.Presets {
		if "★ "+p.Name == label {
			tr = p.Transformation
			v.presetName.SetText(p.Name)
			if p.Named != "" {
				// Links name the shared transformation; it stays short.
				tr = "t_" + p.Named
				note = "Links use the named transformation t_" + p.Named + " (" + p.Transformation + "); pick the chain's parts to tune it."
			}
		}
	}
	v.text.SetText(tr)
	if note != "" {
		v.textNote.SetText(note)
	}
}

// controlsChanged reads the controls into the recipe and the text.
func (v *View) controlsChanged() {
	if v.syncing {
		return
	}
	r, err := v.readControls()
	if err != nil {
		v.textNote.SetText(err.Error())
		return
	}
	v.recipe, v.custom = r, ""
	v.syncing = true
	v.text.SetText(r.Format())
	v.syncing = false
	v.textNote.SetText("")
	v.schedule()
}

func (v *View) readControls() (effects.Recipe, error) {
	var r effects.Recipe
	switch sel := v.aspect.Selected; sel {
	case "", "No crop":
	case "Social card 1200×630":
		r.Aspect = effects.CardAspect
	case "Custom…":
		r.Aspect = strings.TrimSpace(v.customAR.Text)
		if r.Aspect == "" {
			return r, errors.New("type the custom aspect ratio as W:H, e.g. 3:2")
		}
	default:
		r.Aspect = sel
	}
	if r.Aspect != "" {
		r.Gravity = v.gravity.Selected
		if r.Gravity == "" {
			r.Gravity = "auto"
		}
	}
	if w := strings.TrimSpace(v.width.Text); w != "" {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > 10000 {
			return r, errors.New("type the width in pixels (1 to 10000), or leave it empty to keep it")
		}
		r.Width = n
	}
	if v.isVideo() {
		var err error
		if r.Start, err = secondsField(v.trimStart.Text, "start"); err != nil {
			return r, err
		}
		if r.End, err = secondsField(v.trimEnd.Text, "end"); err != nil {
			return r, err
		}
	}
	for _, t := range effects.Tunables {
		if !v.checks[t.Name].Checked || (v.isVideo() && !t.Video) {
			continue
		}
		lvl := 0
		if t.HasLevel {
			lvl = t.Clamp(int(v.sliders[t.Name].Value))
		}
		r.Effects = append(r.Effects, effects.Step{Name: t.Name, Level: lvl})
	}
	r.Auto = v.auto.Checked
	// What the text would say must read back the same.
	back, err := effects.ParseRecipe(r.Format())
	if err != nil {
		return r, errors.New(strings.TrimPrefix(err.Error(), effects.ErrNotRecipe.Error()+": "))
	}
	return back, nil
}

func secondsField(s, which string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("type the trim %s in seconds, e.g. 2.5", which)
	}
	return f, nil
}

// textChanged reads hand-typed transformation text back into the controls
// when the studio can show it; otherwise the text is used as written.
func (v *View) textChanged(text string) {
	if v.syncing {
		return
	}
	r, err := effects.ParseRecipe(text)
	if err != nil {
		v.custom = strings.TrimSpace(text)
		v.textNote.SetText("The controls cannot show this chain (" + strings.TrimPrefix(err.Error(), effects.ErrNotRecipe.Error()+": ") + "); the preview uses it as written.")
		v.schedule()
		return
	}
	if v.isVideo() {
		if err := r.ForVideo(); err != nil {
			v.textNote.SetText(err.Error())
			return
		}
	}
	v.recipe, v.custom = r, ""
	v.textNote.SetText("")
	v.setControls(r)
	v.schedule()
}

func (v *View) setControls(r effects.Recipe) {
	v.syncing = true
	defer func() { v.syncing = false }()
	switch {
	case r.Aspect == "":
		v.aspect.SetSelected("No crop")
	case r.Aspect == effects.CardAspect:
		v.aspect.SetSelected("Social card 1200×630")
	default:
		known := false
		for _, a := range effects.Aspects {
			known = known || a == r.Aspect
		}
		if known {
			v.aspect.SetSelected(r.Aspect)
		} else {
			v.aspect.SetSelected("Custom…")
			v.customAR.SetText(r.Aspect)
		}
	}
	g := r.Gravity
	if g == "" {
		g = "auto"
	}
	v.gravity.SetSelected(g)
	v.width.SetText("")
	if r.Width > 0 {
		v.width.SetText(strconv.Itoa(r.Width))
	}
	v.trimStart.SetText(seconds(r.Start))
	v.trimEnd.SetText(seconds(r.End))
	for _, t := range effects.Tunables {
		lvl, on := r.Level(t.Name)
		v.checks[t.Name].SetChecked(on)
		if t.HasLevel {
			if !on {
				lvl = t.Default
			}
			v.sliders[t.Name].SetValue(float64(lvl))
			v.levels[t.Name].SetText(strconv.Itoa(lvl))
		}
	}
	v.auto.SetChecked(r.Auto)
}

func seconds(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func (v *View) ref() effects.Ref {
	return effects.Ref{PublicID: v.asset.PublicID, ResourceType: v.asset.ResourceType, Type: v.asset.Type, Version: v.asset.Version}
}

// displayURL is the size-limited still the preview draws (a video's frame).
func (v *View) displayURL(tr string) (string, error) {
	d := v.acct.Delivery()
	ref := v.ref()
	if v.isVideo() {
		return d.Poster(ref, effects.Chain(tr, previewLimit))
	}
	return d.URL(ref, effects.Chain(tr, previewLimit), "", false)
}

// linker makes share links of the asset, signed when the box is ticked; it
// is read on the UI goroutine and may then run on any.
func (v *View) linker() share.Linker {
	acct, base, signed := v.acct, v.ref(), v.signed.Checked
	return func(ctx context.Context, tr, ext string) (string, error) {
		ref := base
		ref.Format = ext
		if signed {
			return acct.SignedURL(ctx, ref, tr)
		}
		return acct.Delivery().URL(ref, tr, "", false)
	}
}

// schedule asks for a preview of what the controls say once they have been
// still for Debounce; a render already running is cancelled at once.
func (v *View) schedule() {
	if v.acct == nil || v.asset.PublicID == "" {
		return
	}
	v.gen++
	gen := v.gen
	if v.cancel != nil {
		v.cancel()
		v.cancel = nil
	}
	if v.timer != nil {
		v.timer.Stop()
	}
	v.imageNote.SetText("Rendering…")
	v.timer = time.AfterFunc(v.Debounce, func() {
		v.tasks.Do(func() {
			if gen == v.gen {
				v.render(gen)
			}
		})
	})
}

// render fetches the preview of the current chain, then what readers get.
func (v *View) render(gen int) {
	tr := v.Transformation()
	target, err := v.displayURL(tr)
	if err != nil {
		v.imageNote.SetText("No preview. " + words.Say(err))
		return
	}
	v.renders++
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	acct := v.acct
	v.tasks.Go(func(tctx context.Context) func() {
		stop := context.AfterFunc(tctx, cancel)
		defer stop()
		img, err := acct.Thumb(ctx, target)
		return func() {
			if gen != v.gen || ctx.Err() != nil {
				return // superseded
			}
			if err != nil {
				v.cancel = nil
				cancel()
				v.imageNote.SetText("No preview. " + words.Say(err))
				return
			}
			v.image.Image = img
			v.image.Refresh()
			v.imageNote.SetText("")
			if v.OnRendered != nil {
				v.OnRendered(tr)
			}
			v.measure(ctx, cancel, gen, tr)
		}
	})
}

// measure says what readers download for tr, once its preview is drawn:
// the full delivery is slower to make than the preview.
func (v *View) measure(ctx context.Context, cancel context.CancelFunc, gen int, tr string) {
	v.readers.SetText("Measuring what readers download…")
	client, link, original := v.HTTP, v.linker(), v.asset.Bytes
	v.tasks.Go(func(tctx context.Context) func() {
		stop := context.AfterFunc(tctx, cancel)
		defer stop()
		var line string
		if u, err := link(ctx, tr, ""); err != nil {
			line = "Cannot tell what readers download: " + words.Say(err)
		} else if res, err := delivered.Probe(ctx, client, u); err != nil {
			line = "Cannot tell what readers download: " + err.Error()
		} else {
			line = "Readers download: " + res.Describe(original)
		}
		return func() {
			if gen != v.gen || ctx.Err() != nil {
				return
			}
			v.cancel = nil
			cancel()
			v.readers.SetText(line)
			if v.OnMeasured != nil {
				v.OnMeasured(line)
			}
		}
	})
}

// probeOriginal says what the original delivers, once per Show.
func (v *View) probeOriginal() {
	v.original.SetText("")
	a := v.asset
	d := v.acct.Delivery()
	client := v.HTTP
	v.tasks.Go(func(ctx context.Context) func() {
		u, err := d.URL(effects.Ref{PublicID: a.PublicID, ResourceType: a.ResourceType, Type: a.Type, Version: a.Version}, "", "", false)
		if err != nil {
			return nil
		}
		res, err := delivered.Probe(ctx, client, u)
		return func() {
			if v.asset.PublicID != a.PublicID {
				return
			}
			if err != nil {
				v.original.SetText("Original: " + delivered.Size(a.Bytes))
				return
			}
			if res.Width == 0 && a.Width > 0 {
				// A video whose index is at its end: the upload said its size.
				res.Width, res.Height = a.Width, a.Height
			}
			v.original.SetText("Original: " + res.Describe(0))
		}
	})
}

// subject is what a snippet is for: the delivered size of the chain.
func (v *View) subject() share.Subject {
	w, h := v.asset.Width, v.asset.Height
	if v.custom == "" {
		w, h = v.recipe.OutputSize(w, h)
	}
	return share.Subject{PublicID: v.asset.PublicID, ResourceType: v.asset.ResourceType, Width: w, Height: h,
		Transformation: v.Transformation(), Name: displayName(v.asset), Alt: strings.TrimSpace(v.alt.Text), NoAlt: v.noAlt.Checked}
}

// Copy puts the snippet in format on the clipboard.
func (v *View) Copy(format string) {
	if v.acct == nil {
		return
	}
	s := v.subject()
	var tpl []share.Template
	for _, t := range v.profile.Templates {
		tpl = append(tpl, share.Template{Name: t.Name, Text: t.Text})
	}
	v.status.SetText("Making the snippet…")
	link := v.linker()
	v.tasks.Go(func(ctx context.Context) func() {
		text, err := share.Snippet(ctx, format, s, tpl, link)
		return func() {
			v.templates.ClearSelected()
			if err != nil {
				if errors.Is(err, share.ErrNoAlt) {
					v.win.Canvas().Focus(v.alt)
				}
				v.status.SetText("Not copied: " + words.Say(err))
				return
			}
			fyne.CurrentApp().Clipboard().SetContent(text)
			v.status.SetText("Copied as " + formatLabel(format) + ".")
		}
	})
}

func formatLabel(f string) string {
	if name, ok := strings.CutPrefix(f, "template:"); ok {
		return "the template " + name
	}
	return map[string]string{share.SnippetURL: "a URL", share.SnippetMarkdown: "Markdown", share.SnippetHTML: "an <img>",
		share.SnippetSrcset: "a responsive <img srcset>", share.SnippetPicture: "a <picture>", share.SnippetVideo: "a <video>"}[f]
}

// SavePreset keeps the chain under the typed name in the profile.
func (v *View) SavePreset() {
	name := strings.TrimSpace(v.presetName.Text)
	if name == "" {
		v.status.SetText("Type a name for the preset, then save.")
		v.win.Canvas().Focus(v.presetName)
		return
	}
	tr := v.Transformation()
	if tr == "" {
		v.status.SetText("Nothing to save: tune an effect first.")
		return
	}
	if v.profile.SavePreset == nil {
		v.status.SetText("This profile cannot keep presets.")
		return
	}
	p := account.StudioPreset{Name: name, Transformation: tr}
	save := v.profile.SavePreset
	var saver NamedSaver
	if v.inCloud.Visible() && v.inCloud.Checked {
		saver, _ = v.acct.(NamedSaver)
		p.Named = NamedFor(name)
	}
	v.status.SetText("Saving…")
	v.tasks.Go(func(ctx context.Context) func() {
		var err error
		if saver != nil {
			if err = saver.CreateNamedTransformation(ctx, p.Named, p.Transformation); err != nil {
				return func() {
					v.status.SetText("Not saved in Cloudinary as t_" + p.Named + ": " + words.Say(err))
				}
			}
		}
		err = save(ctx, p)
		return func() {
			if err != nil {
				v.status.SetText("Not saved: " + words.Say(err))
				return
			}
			replaced := false
			for i, old := range v.profile.Presets {
				if strings.EqualFold(old.Name, name) {
					v.profile.Presets[i], replaced = p, true
				}
			}
			if !replaced {
				v.profile.Presets = append(v.profile.Presets, p)
			}
			v.fillPresets()
			if p.Named != "" {
				v.status.SetText("Saved the preset " + name + ", and in Cloudinary as t_" + p.Named + " for the whole team.")
				return
			}
			v.status.SetText("Saved the preset " + name + "; it is next to the built-in ones.")
		}
	})
}

// Open opens the link of the chain in the system's browser (which plays a
// video in its own player). Opening waits for xdg-open or a D-Bus call, so
// it runs on a task.
func (v *View) Open() {
	tr, link := v.Transformation(), v.linker()
	open := v.OpenURL
	v.status.SetText("Opening…")
	v.tasks.Go(func(ctx context.Context) func() {
		l, err := link(ctx, tr, "")
		switch {
		case err != nil:
		case open != nil:
			var u *url.URL
			if u, err = url.Parse(l); err == nil {
				err = open(u)
			}
		default:
			err = browser.OpenOr(ctx, l, fyne.CurrentApp().OpenURL)
		}
		return func() {
			if err != nil {
				v.status.SetText("Cannot open the link: " + words.Say(err))
				return
			}
			v.status.SetText("")
		}
	})
}

// NamedFor is the named-transformation name of a preset's name: lower
// case, spaces and other characters as '_' ("Warm card" → warm_card).
func NamedFor(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_-")
	if out == "" {
		out = "preset"
	}
	if len(out) > 100 {
		out = out[:100]
	}
	return out
}
