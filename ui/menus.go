package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
)

// installShortcuts binds the window's keys. Menu shortcuts work wherever
// the focus is (Fyne's GLFW driver tries the main menu first), so the
// ones that must never be lost live in the menu. Ctrl+V does not: a menu
// paste would steal pasting from every text field, so it is a canvas
// shortcut, which Fyne only runs when no text field has the focus. Delete
// and Esc carry no modifier, and the driver turns only modified keys into
// shortcuts, so they are handled as typed keys of the canvas.
func (m *MainWindow) installShortcuts() {
	ctrl := func(k fyne.KeyName) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	item := func(label string, icon fyne.Resource, action func(), sc fyne.Shortcut) *fyne.MenuItem {
		i := fyne.NewMenuItem(label, action)
		i.Icon, i.Shortcut = icon, sc
		return i
	}
	quitItem := item("Quit", nil, m.app.Quit, ctrl(fyne.KeyQ))
	quitItem.IsQuit = true
	file := fyne.NewMenu("File",
		item("Add files…", theme.FileIcon(), m.AddFiles, ctrl(fyne.KeyO)),
		item("Add folder…", theme.FolderIcon(), m.AddFolder, nil),
		item("From URL…", theme.ComputerIcon(), m.FromURL, nil),
		item("Camera…", theme.MediaPhotoIcon(), m.Camera, nil),
		item("Paste", theme.ContentPasteIcon(), m.Paste, nil),
		fyne.NewMenuItemSeparator(),
		item("Settings…", theme.SettingsIcon(), m.ShowSettings, ctrl(fyne.KeyComma)),
		fyne.NewMenuItemSeparator(),
		quitItem,
	)
	view := fyne.NewMenu("View",
		item("Upload", theme.UploadIcon(), func() { m.Tabs.Select(m.uploadItem) }, nil),
		item("Library", theme.GridIcon(), func() { m.Tabs.Select(m.libraryItem) }, ctrl(fyne.KeyL)),
		item("Search the library", theme.SearchIcon(), m.FocusSearch, ctrl(fyne.KeyF)),
		item("Refresh the library", theme.ViewRefreshIcon(), m.library.Refresh, ctrl(fyne.KeyR)),
	)
	m.Window.SetMainMenu(fyne.NewMainMenu(file, view))
	c := m.Window.Canvas()
	c.AddShortcut(&fyne.ShortcutPaste{}, func(fyne.Shortcut) { m.Paste() })
	c.SetOnTypedKey(m.typedKey)
}

// typedKey handles keys that reach the canvas (no widget has the focus).
func (m *MainWindow) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyEscape:
		m.library.ClosePreview()
	case fyne.KeyDelete:
		if m.Tabs.Selected() == m.uploadItem {
			m.upload.DeleteSelected()
		}
	}
}
