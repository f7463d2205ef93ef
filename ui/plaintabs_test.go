package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/transfer"
)

// plainUpload is a minimal Upload tab for tests that replace the real one:
// it hands inputs straight to the engine and says how many there are.
type plainUpload struct {
	sess  Session
	label *widget.Label
	box   fyne.CanvasObject
}

func newPlainUpload() *plainUpload {
	u := &plainUpload{label: widget.NewLabel("Drop files here.")}
	u.box = container.NewCenter(u.label)
	return u
}

func (u *plainUpload) content() fyne.CanvasObject { return u.box }
func (u *plainUpload) bind(s Session, why error) {
	u.sess = s
	if s == nil && why != nil {
		u.label.SetText("Nothing can be uploaded: " + why.Error())
		return
	}
	u.show()
}
func (u *plainUpload) show() {
	if u.sess == nil {
		return
	}
	b := u.sess.Engine().Snapshot().Batch
	if b.Total == 0 {
		u.label.SetText("Drop files here.")
		return
	}
	u.label.SetText(fmt.Sprintf("%d of %d uploaded", b.Done+b.Skipped, b.Total))
}
func (u *plainUpload) addFiles()       {}
func (u *plainUpload) addFolder()      {}
func (u *plainUpload) fromURL()        {}
func (u *plainUpload) paste()          {}
func (u *plainUpload) camera()         {}
func (u *plainUpload) deleteSelected() {}
func (u *plainUpload) offerResume(int) {}
func (u *plainUpload) addInputs(args []string) {
	if u.sess == nil {
		return
	}
	var items []transfer.Item
	for _, a := range args {
		if len(a) > 8 && (a[:7] == "http://" || a[:8] == "https://") {
			items = append(items, transfer.Item{URL: a})
		} else {
			items = append(items, transfer.Item{Path: a})
		}
	}
	u.sess.Engine().Add(items...)
	u.show()
}
func (u *plainUpload) drop(_ fyne.Position, uris []fyne.URI) {
	args := make([]string, 0, len(uris))
	for _, uri := range uris {
		args = append(args, uri.Path())
	}
	u.addInputs(args)
}

// plainLibrary is a minimal Library tab for tests that replace the real one.
type plainLibrary struct{ box fyne.CanvasObject }

func newPlainLibrary() *plainLibrary {
	return &plainLibrary{box: container.NewCenter(widget.NewLabel("The library is not available in this build."))}
}

func (l *plainLibrary) content() fyne.CanvasObject               { return l.box }
func (l *plainLibrary) bind(Session, account.Credentials, error) {}
func (l *plainLibrary) focusSearch()                             {}
func (l *plainLibrary) refresh()                                 {}
func (l *plainLibrary) closePreview() bool                       { return false }
