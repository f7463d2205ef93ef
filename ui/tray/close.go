package tray

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/ui/dialogs"
)

// Choice is what closing the window does.
type Choice int

const (
	Quit Choice = iota // quit the app; unfinished uploads resume next time
	Hide               // hide the window; the tray icon stays and work goes on
	Ask                // ask which
)

// Work is what would stop if Cloudup quit now.
type Work struct {
	Uploads  int // running or waiting
	Watching int // folders watched
}

// Words says it: "2 uploads are running and 1 folder is watched".
func (w Work) Words() string {
	var parts []string
	switch w.Uploads {
	case 0:
	case 1:
		parts = append(parts, "1 upload is not finished")
	default:
		parts = append(parts, fmt.Sprintf("%d uploads are not finished", w.Uploads))
	}
	switch w.Watching {
	case 0:
	case 1:
		parts = append(parts, "1 folder is watched")
	default:
		parts = append(parts, fmt.Sprintf("%d folders are watched", w.Watching))
	}
	return strings.Join(parts, " and ")
}

// OnClose decides what closing the window does. Without a tray it quits as
// it always did (unfinished uploads resume next time), and so it does when
// nothing goes on; otherwise as the person chose once, or by asking.
func OnClose(hasTray bool, w Work, setting coredesktop.OnClose) Choice {
	switch {
	case !hasTray || w.Uploads+w.Watching == 0:
		return Quit
	case setting == coredesktop.KeepInTray:
		return Hide
	case setting == coredesktop.QuitOnClose:
		return Quit
	}
	return Ask
}

// QuitWords is what quitting with uploads unfinished does, said before it
// is done (Ctrl+Q, the tray's Quit).
func QuitWords(uploads int) string {
	if uploads == 1 {
		return "Cloudup quits: 1 upload stops now and continues when Cloudup starts again."
	}
	return fmt.Sprintf("Cloudup quits: %d uploads stop now and continue when Cloudup starts again.", uploads)
}

// CloseDialog is the question asked when the window closes while work goes
// on. Its fields are for tests.
type CloseDialog struct {
	Dialog   dialog.Dialog
	Keep     *widget.Button
	Quit     *widget.Button
	Remember *dialogs.Check
}

// NewCloseDialog builds the question (show it with the window's dialog
// stack). answer gets Hide or Quit and whether to remember; closing the
// dialog otherwise (Esc) keeps the window open and answers nothing.
func NewCloseDialog(win fyne.Window, w Work, answer func(c Choice, remember bool)) *CloseDialog {
	cd := &CloseDialog{Remember: dialogs.NewCheck("Do this every time (Settings can change it)", nil)}
	text := widget.NewLabel(upperFirst(w.Words()) + ". Cloudup can keep working from its icon in the tray, or quit now: unfinished uploads then continue when it starts again.")
	text.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	cd.Keep = widget.NewButtonWithIcon("Keep working in the tray", theme.VisibilityOffIcon(), func() {
		d.Hide()
		answer(Hide, cd.Remember.Checked)
	})
	cd.Keep.Importance = widget.HighImportance
	cd.Quit = widget.NewButtonWithIcon("Quit", theme.LogoutIcon(), func() {
		d.Hide()
		answer(Quit, cd.Remember.Checked)
	})
	buttons := container.NewHBox(layout.NewSpacer(), cd.Quit, cd.Keep)
	body := container.NewVBox(text, cd.Remember)
	d = dialog.NewCustomWithoutButtons("Close the window?", container.NewBorder(nil, buttons, nil, nil, body), win)
	d.Resize(fyne.NewSize(480, 0))
	cd.Dialog = d
	return cd
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
