package ui

import (
	"fyne.io/fyne/v2"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/effects"
	corelibrary "github.com/cloudup/cloudup/core/library"
	uilibrary "github.com/cloudup/cloudup/ui/library"
	"github.com/cloudup/cloudup/ui/queue"
)

// uploadTab is the Upload tab as the window drives it: the header buttons,
// shortcuts, drops and command-line inputs all end here.
type uploadTab interface {
	content() fyne.CanvasObject
	// bind hands the tab the current session; s is nil when there is none
	// and why then says what is missing.
	bind(s Session, why error)
	addFiles()
	addFolder()
	fromURL()
	paste()
	camera()
	deleteSelected()
	addInputs(args []string)
	drop(pos fyne.Position, uris []fyne.URI)
	offerResume(n int)
}

// libraryTab is the Library tab (with the preview it opens).
type libraryTab interface {
	content() fyne.CanvasObject
	bind(s Session, creds account.Credentials, why error)
	focusSearch()
	refresh()
	// closePreview closes an open preview; false when none was open.
	closePreview() bool
}

// newViews builds the Upload and Library tabs.
func newViews(m *MainWindow) (uploadTab, libraryTab) {
	lib := &libraryView{v: uilibrary.New(m.Window, m.tasks), thumbs: m.deps.Thumbs}
	return &queueTab{v: queue.New(m.Window, m.tasks)}, lib
}

// libraryView is the Library tab: ui/library's grid and the preview it
// opens.
type libraryView struct {
	v      *uilibrary.View
	thumbs *corelibrary.Thumbs
}

func (l *libraryView) content() fyne.CanvasObject { return l.v.Content() }
func (l *libraryView) bind(s Session, creds account.Credentials, why error) {
	if s == nil {
		l.v.SetAccount(nil)
		return
	}
	p := s.Profile()
	delivery, err := effects.DeliveryFor(p.Cloud, p.APIBase)
	if err != nil {
		l.v.SetAccount(nil)
		return
	}
	if l.thumbs == nil {
		// No shared cache was handed in: keep thumbnails in memory.
		if l.thumbs, err = corelibrary.NewThumbs(corelibrary.ThumbsConfig{}); err != nil {
			l.v.SetAccount(nil)
			return
		}
	}
	format, err := effects.ParseLinkFormat(string(p.LinkFormat))
	if err != nil {
		format = effects.LinkURL
	}
	l.v.SetAccount(uilibrary.AccountFrom(s.Client(), l.thumbs, delivery, creds.Secret, format))
}
func (l *libraryView) focusSearch()       { l.v.FocusSearch() }
func (l *libraryView) refresh()           { l.v.Refresh() }
func (l *libraryView) closePreview() bool { return l.v.ClosePreview() }

// queueTab is the Upload tab: ui/queue's view.
type queueTab struct{ v *queue.View }

func (q *queueTab) content() fyne.CanvasObject { return q.v.Content() }
func (q *queueTab) bind(s Session, why error) {
	if s == nil {
		q.v.SetUnavailable(why)
		return
	}
	// nil options: the engine's defaults, which the session took from the
	// profile (folder, tags, preset, public_id template).
	q.v.SetAccount(queue.AccountFrom(s.Engine(), nil))
}
func (q *queueTab) addFiles()                               { q.v.AddFiles() }
func (q *queueTab) addFolder()                              { q.v.AddFolder() }
func (q *queueTab) fromURL()                                { q.v.FromURL() }
func (q *queueTab) paste()                                  { q.v.Paste() }
func (q *queueTab) camera()                                 { q.v.Camera() }
func (q *queueTab) deleteSelected()                         { q.v.DeleteSelected() }
func (q *queueTab) addInputs(args []string)                 { q.v.AddInputs(args) }
func (q *queueTab) drop(pos fyne.Position, uris []fyne.URI) { q.v.HandleDrop(pos, uris) }
func (q *queueTab) offerResume(n int)                       { q.v.OfferResume(n) }
