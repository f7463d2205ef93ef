// Package camera is the Camera dialog: pick a device, watch a live preview,
// Capture a still, Retake it or Use it. A used photo is written to the spool
// (core/source) as camera-YYYYMMDD-HHMMSS.jpg and handed to the account's
// queue function, which adds it with the current folder and tags.
//
// It owns the dialog and the preview goroutine, which opens the device,
// pulls frames (decoded by core/camera on its own goroutines), and hands
// the newest one to the UI goroutine at most DefaultFPS times a second. The
// device is released whenever the dialog closes. It must not upload or know
// about the engine: Use ends at the queue function.
package camera

import (
	"context"
	"errors"
	"image"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	corecam "github.com/cloudup/cloudup/core/camera"
	"github.com/cloudup/cloudup/core/source"
	"github.com/cloudup/cloudup/core/transfer"
	"github.com/cloudup/cloudup/ui/bridge"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// JPEGQuality keeps product detail at a modest size.
const JPEGQuality = 90

// Account is where the dialog's photos go.
type Account interface {
	// Camera lists and opens devices; nil means camera.NewAuto.
	Camera() corecam.Camera
	// SpoolDir is where photos are written before upload; "" means
	// source.SpoolDir (the data dir's spool).
	SpoolDir() string
	// Queue adds a spooled photo to the uploads. It is called on the UI
	// goroutine and must not block.
	Queue(item transfer.Item)
}

// AccountFrom is the adapter the queue (or the app) calls. cam may be nil
// (camera.NewAuto is made when the dialog opens); a *camera.Synthetic or a
// cameratest.StillCamera serves tests.
func AccountFrom(cam corecam.Camera, spoolDir string, queue func(transfer.Item)) Account {
	return account{cam: cam, dir: spoolDir, queue: queue}
}

type account struct {
	cam   corecam.Camera
	dir   string
	queue func(transfer.Item)
}

func (a account) Camera() corecam.Camera { return a.cam }
func (a account) SpoolDir() string       { return a.dir }
func (a account) Queue(item transfer.Item) {
	if a.queue != nil {
		a.queue(item)
	}
}

// View is the Camera dialog.
type View struct {
	win   fyne.Window
	tasks *bridge.Tasks
	now   func() time.Time

	acct    Account
	cam     corecam.Camera
	devices []corecam.Device

	picker  *dialogs.Select
	frame   *canvas.Image
	status  *widget.Label
	capture *widget.Button
	retake  *widget.Button
	use     *widget.Button
	closeB  *widget.Button
	content fyne.CanvasObject
	dlg     dialog.Dialog
	open    bool

	// The preview: gen identifies the current stream, so frames of one that
	// is being closed are dropped.
	gen         int
	stopPreview context.CancelFunc
	mu          sync.Mutex
	latest      image.Image // newest frame, set by the preview goroutine
	latestGen   int
	frozen      image.Image // the captured still, UI goroutine only
}

// New builds the dialog's widgets; nothing opens until Show.
func New(win fyne.Window, tasks *bridge.Tasks) *View {
	v := &View{win: win, tasks: tasks, now: time.Now}
	v.picker = dialogs.NewSelect(nil, v.pick)
	v.picker.PlaceHolder = "Looking for cameras…"
	v.frame = canvas.NewImageFromImage(nil)
	v.frame.FillMode = canvas.ImageFillContain
	v.frame.ScaleMode = canvas.ImageScaleFastest
	v.frame.SetMinSize(fyne.NewSize(480, 360))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.status.Alignment = fyne.TextAlignCenter
	v.capture = widget.NewButtonWithIcon("Capture", theme.MediaPhotoIcon(), v.Capture)
	v.capture.Importance = widget.HighImportance
	v.retake = widget.NewButtonWithIcon("Retake", theme.MediaReplayIcon(), v.Retake)
	v.use = widget.NewButtonWithIcon("Use photo", theme.ConfirmIcon(), v.UsePhoto)
	v.use.Importance = widget.HighImportance
	v.closeB = widget.NewButtonWithIcon("Close", theme.CancelIcon(), v.Close)
	top := container.NewBorder(nil, nil, widget.NewLabel("Camera"), nil, v.picker)
	stage := container.NewStack(bg, v.frame, container.NewCenter(v.status))
	buttons := container.NewBorder(nil, nil, v.closeB, container.NewHBox(v.retake, v.capture, v.use))
	v.content = container.NewBorder(top, container.NewPadded(buttons), nil, nil, stage)
	v.setState(stateIdle, "")
	return v
}

// Content is the dialog's body.
func (v *View) Content() fyne.CanvasObject { return v.content }

// SetAccount says where photos go; nil disables Use photo.
func (v *View) SetAccount(a Account) {
	v.acct = a
	v.cam = nil
	if a != nil {
		v.cam = a.Camera()
	}
}

type state int

const (
	stateIdle state = iota
	stateOpening
	stateLive
	stateCaptured
	stateFailed
)

func (v *View) setState(s state, msg string) {
	v.status.SetText(msg)
	if s == stateFailed {
		v.status.Importance = widget.DangerImportance
	} else {
		v.status.Importance = widget.MediumImportance
	}
	v.status.Refresh()
	enable(v.capture, s == stateLive)
	enable(v.use, s == stateCaptured && v.acct != nil)
	enable(v.retake, s == stateCaptured)
	show(v.capture, s != stateCaptured)
	show(v.retake, s == stateCaptured)
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func show(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// Status is the dialog's message line ("" while the preview runs).
func (v *View) Status() string { return v.status.Text }

// Show opens the dialog, lists the cameras and starts the first one's
// preview. Esc closes it.
func (v *View) Show() {
	if v.open {
		return
	}
	d := dialog.NewCustomWithoutButtons("Take a photo", v.content, v.win)
	d.Resize(fyne.NewSize(640, 560))
	// Shown through the window's stack, whose Esc closes it (release runs
	// however it closes).
	if !dialogs.For(v.win).Show(d) {
		return
	}
	v.open, v.dlg = true, d
	d.SetOnClosed(v.release)
	v.setState(stateOpening, "Looking for cameras…")
	cam := v.cam
	v.tasks.Go(func(ctx context.Context) func() {
		if cam == nil {
			cam = corecam.NewAuto()
		}
		devices, err := cam.Devices(ctx)
		var notes []string
		if a, ok := cam.(*corecam.Auto); ok {
			notes = a.Notes()
		}
		return func() { v.listed(cam, devices, notes, err) }
	})
}

func (v *View) listed(cam corecam.Camera, devices []corecam.Device, notes []string, err error) {
	if !v.open {
		return
	}
	v.cam = cam
	v.devices = devices
	if err != nil {
		v.picker.PlaceHolder = "No camera"
		v.picker.Refresh()
		v.setState(stateFailed, words.Say(err))
		return
	}
	if _, auto := cam.(*corecam.Auto); auto {
		// The synthetic test card is for tests and the CLI, not a camera
		// to offer people.
		devices = slices.DeleteFunc(devices, func(d corecam.Device) bool { return d.ID == corecam.SyntheticID })
		v.devices = devices
	}
	if len(devices) == 0 {
		v.picker.PlaceHolder = "No camera"
		v.picker.Refresh()
		// Which backends were missing (notes) is for the log, not a person.
		for _, n := range notes {
			fyne.LogError("camera", errors.New(n))
		}
		v.setState(stateFailed, words.Say(corecam.ErrNoCamera))
		return
	}
	names := make([]string, len(devices))
	for i, d := range devices {
		names[i] = d.Name
	}
	v.picker.PlaceHolder = "Choose a camera"
	v.picker.SetOptions(names)
	v.picker.SetSelected(names[0]) // calls pick
}

// pick starts the preview of the chosen device, closing the previous one.
func (v *View) pick(name string) {
	if !v.open {
		return
	}
	for _, d := range v.devices {
		if d.Name == name {
			v.startPreview(d)
			return
		}
	}
}

func (v *View) startPreview(d corecam.Device) {
	v.stopStream()
	v.frozen = nil
	v.gen++
	gen, cam := v.gen, v.cam
	ctx, cancel := context.WithCancel(context.Background())
	v.stopPreview = cancel
	v.frame.Image = nil
	v.frame.Refresh()
	v.setState(stateOpening, "Opening "+d.Name+"…")
	// A loop of the bridge: the app's shutdown cancels it and waits for it,
	// and so for the device's release.
	v.tasks.Loop(func(tctx context.Context) {
		stop := context.AfterFunc(tctx, cancel)
		defer stop()
		v.preview(ctx, gen, cam, d.ID)
	})
}

// preview owns one stream: it opens it, forwards frames until ctx ends, and
// closes it, releasing the device.
func (v *View) preview(ctx context.Context, gen int, cam corecam.Camera, id string) {
	stream, err := cam.Open(ctx, id)
	if err != nil {
		if ctx.Err() == nil {
			v.tasks.Do(func() {
				if gen == v.gen {
					v.setState(stateFailed, words.Say(err))
				}
			})
		}
		return
	}
	defer stream.Close()
	v.tasks.Do(func() {
		if gen == v.gen && v.frozen == nil {
			v.setState(stateLive, "")
		}
	})
	// Stream.Next keeps the camera's cadence; this bounds the UI updates
	// too, whatever rate a backend delivers.
	minGap := time.Second / corecam.DefaultFPS
	var last time.Time
	for {
		img, err := stream.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				v.tasks.Do(func() {
					if gen == v.gen {
						v.setState(stateFailed, "The camera stopped. "+words.Say(err))
					}
				})
			}
			return
		}
		v.mu.Lock()
		v.latest, v.latestGen = img, gen
		v.mu.Unlock()
		if wait := minGap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		v.tasks.Do(v.showLatest)
	}
}

// showLatest draws the newest frame unless a still is being shown.
func (v *View) showLatest() {
	v.mu.Lock()
	img, gen := v.latest, v.latestGen
	v.mu.Unlock()
	if img == nil || gen != v.gen || v.frozen != nil || !v.open {
		return
	}
	v.frame.Image = img
	v.frame.Refresh()
}

// Capture freezes the current frame.
func (v *View) Capture() {
	v.mu.Lock()
	img, gen := v.latest, v.latestGen
	v.mu.Unlock()
	if img == nil || gen != v.gen {
		return
	}
	v.frozen = img
	v.frame.Image = img
	v.frame.Refresh()
	v.setState(stateCaptured, "")
}

// Retake drops the still and goes back to the live preview.
func (v *View) Retake() {
	v.frozen = nil
	v.setState(stateLive, "")
	v.showLatest()
}

// UsePhoto encodes the still as JPEG, spools it off the UI goroutine,
// queues it and closes the dialog.
func (v *View) UsePhoto() {
	if v.frozen == nil || v.acct == nil {
		return
	}
	img, acct, taken := v.frozen, v.acct, v.now()
	v.setState(stateOpening, "Saving the photo…")
	enable(v.retake, false)
	v.tasks.Go(func(ctx context.Context) func() {
		item, err := spool(img, acct.SpoolDir(), taken)
		return func() {
			if err != nil {
				v.setState(stateCaptured, "The photo could not be saved: "+err.Error())
				v.status.Importance = widget.DangerImportance
				v.status.Refresh()
				return
			}
			acct.Queue(item)
			v.Close()
		}
	})
}

func spool(img image.Image, dir string, taken time.Time) (transfer.Item, error) {
	data, err := corecam.EncodeJPEG(img, JPEGQuality)
	if err != nil {
		return transfer.Item{}, err
	}
	if dir == "" {
		if dir, err = source.SpoolDir(); err != nil {
			return transfer.Item{}, err
		}
	}
	return source.Spool(dir, source.SpoolName("camera", taken, "jpg"), data)
}

// Close closes the dialog and releases the camera.
func (v *View) Close() {
	if v.dlg != nil && v.open {
		v.dlg.Hide() // calls release through SetOnClosed
	}
	v.release()
}

func (v *View) release() {
	if !v.open {
		return
	}
	v.open = false
	v.stopStream()
}

func (v *View) stopStream() {
	if v.stopPreview != nil {
		v.stopPreview()
		v.stopPreview = nil
	}
	v.gen++
}
