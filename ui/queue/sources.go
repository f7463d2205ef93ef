package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/clipboard"
	"github.com/cloudup/cloudup/core/portal"
	"github.com/cloudup/cloudup/core/source"
	"github.com/cloudup/cloudup/core/transfer"
	camview "github.com/cloudup/cloudup/ui/camera"
	"github.com/cloudup/cloudup/ui/dialogs"
	"github.com/cloudup/cloudup/ui/words"
)

// HandleDrop queues what was dropped on the window. It returns at once,
// even for 10,000 files: folders are expanded on a background goroutine and
// rows appear in batches as they are found.
func (v *View) HandleDrop(_ fyne.Position, uris []fyne.URI) {
	v.SetDropHighlight(false)
	args := make([]string, 0, len(uris))
	for _, u := range uris {
		if u == nil {
			continue
		}
		if u.Scheme() == "file" {
			args = append(args, u.Path())
		} else {
			args = append(args, u.String())
		}
	}
	v.addArgs(args)
}

// AddInputs queues files, folders and URLs named on the command line (or by
// a file manager's Open With). Given before an account is attached, they
// wait for it.
func (v *View) AddInputs(args []string) { v.addArgs(args) }

func (v *View) addArgs(args []string) {
	if len(args) == 0 {
		return
	}
	if v.acct == nil {
		v.waiting = append(v.waiting, args...)
		v.showNotice(plural(len(v.waiting), "file waits", "files wait")+" to be queued. "+v.why, false)
		return
	}
	eng, opts := v.acct.Engine(), v.options(len(args) == 1)
	v.expand(func(ctx context.Context, o source.Options) (*source.Expansion, error) {
		return source.ExpandStrings(ctx, args, o)
	}, eng, opts)
}

// expand runs an expansion off the UI goroutine, handing each batch to the
// engine as it is found, and reports what was skipped when it ends. A
// profile switch stops the walk, and no batch found after it reaches the
// old engine.
func (v *View) expand(start func(context.Context, source.Options) (*source.Expansion, error), eng Engine, opts *transfer.Options) {
	gen, acctCtx := v.gen, v.acctCtx
	v.goAccountWork(func(ctx context.Context) func() {
		var problems []source.Problem
		x, err := start(ctx, source.Options{ItemOptions: opts, OnBatch: func(b source.Batch) {
			v.addIfCurrent(acctCtx, eng, b.Items)
			problems = append(problems, b.Problems...)
		}})
		if err != nil {
			return func() { v.showNotice("Nothing was added: "+err.Error(), true) }
		}
		sum, err := x.Wait()
		if err != nil && ctx.Err() != nil {
			return nil
		}
		return func() {
			if gen == v.gen {
				v.reportExpansion(sum, problems, err)
			}
		}
	})
}

func (v *View) reportExpansion(sum source.Summary, problems []source.Problem, err error) {
	switch {
	case err != nil:
		v.showNotice("Adding stopped: "+err.Error(), true)
	case len(problems) == 1:
		v.showNotice("Skipped "+problems[0].Error(), true)
	case len(problems) > 1:
		v.showNotice(fmt.Sprintf("Skipped %d: %s (and %d more)", len(problems), problems[0].Error(), len(problems)-1), true)
	case sum.Items == 0 && sum.Hidden+sum.Excluded > 0:
		v.showNotice(fmt.Sprintf("Nothing to upload: only hidden or excluded files (%d).", sum.Hidden+sum.Excluded), false)
	case sum.Items == 0:
		v.showNotice("Nothing to upload there: the folders are empty.", false)
	}
}

// AddFiles opens a file picker (Ctrl+O): the desktop's own chooser through
// PickFiles (several files at once) where it answers, else Fyne's dialog,
// which picks one file (Add folder and drag and drop take many).
func (v *View) AddFiles() {
	if v.PickFiles == nil {
		v.addFilesDialog()
		return
	}
	pick := v.PickFiles
	v.tasks.Go(func(ctx context.Context) func() {
		paths, err := pick(ctx)
		return func() {
			switch {
			case errors.Is(err, portal.ErrNoPortal):
				v.addFilesDialog()
			case errors.Is(err, portal.ErrCanceled), errors.Is(err, context.Canceled):
			case err != nil:
				v.showNotice("The file chooser failed: "+err.Error()+" — drop the files on the window instead.", true)
			default:
				v.addArgs(paths)
			}
		}
	})
}

// PortalPicker asks the XDG desktop portal's file chooser for files; with
// no portal on the session bus it is portal.ErrNoPortal.
func PortalPicker(ctx context.Context) ([]string, error) {
	c, err := portal.Connect()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if !c.Available(ctx) {
		return nil, portal.ErrNoPortal
	}
	return c.OpenFiles(ctx, portal.Options{Title: "Choose files to upload", AcceptLabel: "Upload", Multiple: true})
}

// addFilesDialog is Fyne's file dialog, one file at a time.
//
// Fyne quirk: the dialog opens the chosen file (storage.Reader) on the UI
// goroutine before calling back, and 2.8 has no callback that only gives
// the URI (NewFileOpen takes a URIReadCloser; only folders come as a bare
// ListableURI). So a file on a slow network mount can stall the window for
// that one open. The callback itself only takes the path and closes the
// file; the engine reads it later, off the UI goroutine.
func (v *View) addFilesDialog() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			v.showNotice("Cannot open the file: "+err.Error(), true)
			return
		}
		if rc == nil {
			return // canceled
		}
		path := rc.URI().Path()
		rc.Close()
		v.addArgs([]string{path})
	}, v.win)
	d.SetConfirmText("Upload")
	d.SetTitleText("Choose a file to upload")
	dialogs.For(v.win).Show(d)
}

// AddFolder opens a folder picker; everything under the folder is queued.
func (v *View) AddFolder() {
	d := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil {
			v.showNotice("Cannot open the folder: "+err.Error(), true)
			return
		}
		if dir == nil {
			return
		}
		v.addArgs([]string{dir.Path()})
	}, v.win)
	d.SetConfirmText("Upload")
	d.SetTitleText("Choose a folder to upload")
	dialogs.For(v.win).Show(d)
}

// urlForm is the From URL dialog, kept for tests.
type urlForm struct {
	entry  *dialogs.Entry
	dialog *dialog.FormDialog
}

// FromURL opens a dialog taking several URLs, one per line; Cloudinary
// fetches them itself.
func (v *View) FromURL() { v.fromURL() }

func (v *View) fromURL() *urlForm {
	f := &urlForm{entry: dialogs.NewMultiLineEntry()}
	f.entry.SetPlaceHolder("https://example.com/photo.jpg\nhttps://example.com/clip.mp4")
	f.entry.SetMinRowsVisible(6)
	f.entry.Validator = func(s string) error { _, err := parseURLs(s); return err }
	// Fyne keeps no error while the field has the focus (so as not to nag
	// while typing), and so kept the ✓ of the first line next to a wrong
	// second one. Keep every verdict; the ✗ still waits for the focus to go.
	f.entry.AlwaysShowValidationError = true
	item := widget.NewFormItem("URLs", f.entry)
	item.HintText = "One per line. Cloudinary downloads them itself."
	f.dialog = dialog.NewForm("Upload from URLs", "Upload", "Cancel", []*widget.FormItem{item}, func(ok bool) {
		if !ok {
			return
		}
		urls, err := parseURLs(f.entry.Text)
		if err != nil {
			v.showNotice(err.Error(), true)
			return
		}
		v.addURLs(urls)
	}, v.win)
	f.dialog.Resize(fyne.NewSize(560, 320))
	if !dialogs.For(v.win).Show(f.dialog) {
		return nil
	}
	v.win.Canvas().Focus(f.entry)
	return f
}

// parseURLs checks the dialog's text line by line; the first bad line is
// named with what a URL must look like.
func parseURLs(text string) ([]string, error) {
	var urls []string
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, err := source.ParseInput(line)
		if errors.Is(err, source.ErrCloudinaryURL) {
			return nil, fmt.Errorf("Line %d: %w", n+1, err) // quoting it would show the API secret
		}
		if err != nil || in.Kind != source.RemoteURL {
			return nil, fmt.Errorf("Line %d is not a web address: %q. Start it with https:// (or http://, ftp://, s3://, gs://)", n+1, clip(source.Redact(line), 60))
		}
		urls = append(urls, in.URL)
	}
	if len(urls) == 0 {
		return nil, errors.New("Enter at least one URL, one per line")
	}
	return urls, nil
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func (v *View) addURLs(urls []string) {
	if v.acct == nil {
		v.addArgs(urls)
		return
	}
	opts := v.options(false)
	items := make([]transfer.Item, len(urls))
	for i, u := range urls {
		items[i] = transfer.Item{URL: u, Options: opts}
	}
	v.acct.Engine().Add(items...)
}

// Paste queues what the clipboard holds (Ctrl+V): URLs and file paths, one
// per line, or file:// URIs as file managers copy them; and when there is
// no such text, the picture an image viewer, browser or screenshot tool
// copied (core/clipboard asks for it: Fyne 2.8's Clipboard is text only).
func (v *View) Paste() {
	a := fyne.CurrentApp()
	if a == nil || a.Clipboard() == nil {
		return
	}
	text := a.Clipboard().Content()
	if strings.TrimSpace(text) == "" {
		v.pasteImage("The clipboard holds no text or picture. Copy files, file paths, URLs or an image, then paste.")
		return
	}
	inputs, problems := source.ParseText(text)
	if len(inputs) == 0 {
		// A browser's "Copy image" offers the picture next to some text.
		v.pasteImage("Nothing to upload in the clipboard: " + problemsWords(problems))
		return
	}
	if v.acct == nil {
		raw := make([]string, len(inputs))
		for i, in := range inputs {
			raw[i] = in.Raw
		}
		v.addArgs(raw)
		return
	}
	eng, opts := v.acct.Engine(), v.options(false)
	v.expand(func(ctx context.Context, o source.Options) (*source.Expansion, error) {
		return source.Expand(ctx, inputs, o)
	}, eng, opts)
	if len(problems) > 0 {
		v.showNotice("Some pasted lines were skipped: "+problemsWords(problems), true)
	}
}

// pasteImage reads a picture from the clipboard off the UI goroutine,
// keeps it in the spool and queues it as clipboard-YYYYMMDD-HHMMSS.EXT for
// the account current when it arrives. noImage is said when there is none.
func (v *View) pasteImage(noImage string) {
	if v.acct == nil {
		v.showNotice(v.why, true)
		return
	}
	read := v.readClipboardImage
	if read == nil {
		read = clipboard.ReadImage
	}
	gen := v.gen
	v.tasks.Go(func(ctx context.Context) func() {
		img, err := read(ctx)
		if errors.Is(err, clipboard.ErrNoImage) {
			return func() { v.showNotice(noImage, false) }
		}
		if errors.Is(err, clipboard.ErrUnsupported) {
			return func() { v.showNotice(noImage+" ("+err.Error()+")", false) }
		}
		var item transfer.Item
		if err == nil {
			var dir string
			if dir, err = source.SpoolDir(); err == nil {
				item, err = source.Spool(dir, source.SpoolName("clipboard", time.Now(), img.Ext), img.Data)
			}
		}
		return func() {
			switch {
			case err != nil:
				v.showNotice("The pasted picture was not queued: "+words.Error(err).Text, true)
			case v.acct == nil || v.gen != gen:
				v.showNotice("The pasted picture was kept in "+item.Path+" but not queued: the profile changed meanwhile. Drop that file to upload it.", true)
			default:
				item.Options = v.options(true)
				v.acct.Engine().Add(item)
			}
		}
	})
}

func problemsWords(problems []source.Problem) string {
	if len(problems) == 0 {
		return "no file paths or URLs found"
	}
	s := problems[0].Error()
	if len(problems) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(problems)-1)
	}
	return s
}

// OfferResume says which uploads a previous run left unfinished (names,
// in order) and offers to continue them. Once resumed they are rows of
// the queue, which say the rest.
func (v *View) OfferResume(names []string) {
	if len(names) == 0 || v.acct == nil {
		return
	}
	eng, gen := v.acct.Engine(), v.gen
	resume := widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), nil)
	resume.Importance = widget.HighImportance
	resume.OnTapped = func() {
		if gen != v.gen {
			return // the notice outlived its account
		}
		v.showNotice("Resuming "+namesWords(names)+"…", false)
		v.goAccountWork(func(ctx context.Context) func() {
			ids, err := eng.ResumeUnfinished(ctx)
			return func() {
				if gen != v.gen {
					return
				}
				switch {
				case err != nil:
					v.showNotice("Could not resume: "+words.Error(err).Text, true)
				case len(ids) == 0:
					v.showNotice("Nothing left to resume: another Cloudup took them over.", false)
				default:
					v.showNotice("", false) // the rows are there now
				}
			}
		})
	}
	v.showNotice(namesWords(names)+" did not finish uploading last time.", false, resume)
}

// namesWords names up to two files and counts the rest: "a.jpg, b.jpg and
// 3 more".
func namesWords(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return names[0] + ", " + names[1] + " and " + plural(len(names)-2, "more", "more")
}

// Camera opens the Camera dialog; a photo taken there is queued with the
// current folder and tags.
func (v *View) Camera() { v.openCamera() }

func (v *View) openCamera() *camview.View {
	if v.acct == nil {
		v.showNotice(v.why, true)
		return nil
	}
	cv := camview.New(v.win, v.tasks)
	// Use photo runs this on the UI goroutine: the photo goes to the
	// profile current when it is used, not the one the dialog opened with.
	cv.SetAccount(camview.AccountFrom(v.cam, "", func(item transfer.Item) {
		if v.acct == nil {
			v.showNotice("The photo was kept in "+item.Path+" but not queued: "+v.why, true)
			return
		}
		item.Options = v.options(true)
		v.acct.Engine().Add(item)
	}))
	cv.Show()
	return cv
}
