package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// sandboxNotices are the embedded sandbox's notices already shown.
var sandboxNotices sync.Map

// noticeSandbox tells the user, once, when the embedded sandbox could not
// run on its usual port (*session.Sandbox has Notice). It sends a desktop
// notification, which is a synchronous D-Bus call: call it off the UI
// goroutine.
func noticeSandbox(sb Sandbox) {
	n, ok := sb.(interface{ Notice() string })
	if !ok {
		return
	}
	text := n.Notice()
	if text == "" {
		return
	}
	if _, shown := sandboxNotices.LoadOrStore(text, true); shown {
		return
	}
	if a := fyne.CurrentApp(); a != nil {
		a.SendNotification(fyne.NewNotification("Sandbox links moved", text))
	}
}
