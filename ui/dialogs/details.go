package dialogs

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowDetails shows a failure in full: the sentence the window showed, then
// the technical details, with a button that copies both (for a support
// request). It returns the dialog, or nil when another one is open.
func ShowDetails(win fyne.Window, title, sentence, details string) dialog.Dialog {
	head := widget.NewLabel(sentence)
	head.Wrapping = fyne.TextWrapWord
	head.TextStyle.Bold = true
	body := widget.NewLabel(details)
	body.Wrapping = fyne.TextWrapBreak
	body.SizeName = theme.SizeNameCaptionText
	copied := widget.NewLabel("")
	copyBtn := widget.NewButtonWithIcon("Copy details", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(sentence + "\n" + details)
		copied.SetText("Copied.")
	})
	content := container.NewBorder(head, container.NewHBox(copyBtn, copied), nil, nil, container.NewVScroll(body))
	d := dialog.NewCustom("What went wrong: "+title, "Close", content, win)
	d.Resize(fyne.NewSize(560, 300))
	if !For(win).Show(d) {
		return nil
	}
	return d
}
