package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"github.com/cloudup/cloudup/ui/dialogs"
)

// selectAllInLibrary selects every loaded asset when the Library shows (a
// focused text field takes Ctrl+A for its own text first).
func (m *MainWindow) selectAllInLibrary() {
	if m.Tabs.Selected() == m.libraryItem {
		m.library.SelectAll()
	}
}

// installShortcuts binds the window's keys. Menu shortcuts work wherever
// the focus is (Fyne's GLFW driver tries the main menu first), so the
// ones that must never be lost live in the menu. Ctrl+V does not: a menu
// paste would steal pasting from every text field, so it is a canvas
// shortcut, which Fyne only runs when no text field has the focus. Delete
// and Esc carry no modifier, and the driver turns only modified keys into
// shortcuts, so they are handled as typed keys of the canvas.
func (m *MainWindow) installShortcuts() {
	ctrl := func(k fyne.KeyName) *desktop.CustomShortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}
	}
	item := func(label string, icon fyne.Resource, action func(), sc *desktop.CustomShortcut) *fyne.MenuItem {
		i := fyne.NewMenuItem(label, m.unlessDialog(action))
		i.Icon = icon
		if sc != nil {
			i.Label, i.Shortcut = menuShortcut(label, sc)
		}
		return i
	}
	quitItem := fyne.NewMenuItem("Quit", m.requestQuit)
	quitItem.Label, quitItem.Shortcut = menuShortcut("Quit", ctrl(fyne.KeyQ))
	quitItem.IsQuit = true
	file := fyne.NewMenu("File",
		item("Add files…", theme.FileIcon(), m.AddFiles, ctrl(fyne.KeyO)),
		item("Add folder…", theme.FolderIcon(), m.AddFolder, nil),
		item("From URL…", theme.ComputerIcon(), m.FromURL, nil),
		item("Camera…", theme.MediaPhotoIcon(), m.Camera, nil),
		item("Paste", theme.ContentPasteIcon(), m.Paste, nil),
		item("Details for the next files…", theme.DocumentCreateIcon(), m.ShowDetails, ctrl(fyne.KeyD)),
		fyne.NewMenuItemSeparator(),
		item("Settings…", theme.SettingsIcon(), m.ShowSettings, ctrl(fyne.KeyComma)),
		fyne.NewMenuItemSeparator(),
		item("Close window", nil, m.RequestClose, ctrl(fyne.KeyW)),
		quitItem,
	)
	view := fyne.NewMenu("View",
		item("Upload", theme.UploadIcon(), func() { m.Tabs.Select(m.uploadItem) }, nil),
		item("Library", theme.GridIcon(), func() { m.Tabs.Select(m.libraryItem) }, ctrl(fyne.KeyL)),
		item("Search the library", theme.SearchIcon(), m.FocusSearch, ctrl(fyne.KeyF)),
		item("Refresh the library", theme.ViewRefreshIcon(), m.library.Refresh, ctrl(fyne.KeyR)),
		item("Select all in the library", theme.CheckButtonCheckedIcon(), m.selectAllInLibrary, ctrl(fyne.KeyA)),
		fyne.NewMenuItemSeparator(),
		m.compactMenuItem(),
	)
	m.Window.SetMainMenu(fyne.NewMainMenu(file, view))
	c := m.Window.Canvas()
	paste := m.unlessDialog(m.Paste)
	c.AddShortcut(&fyne.ShortcutPaste{}, func(fyne.Shortcut) { paste() })
	// The drivers turn Ctrl+A into ShortcutSelectAll, not the menu's key.
	selectAll := m.unlessDialog(m.selectAllInLibrary)
	c.AddShortcut(&fyne.ShortcutSelectAll{}, func(fyne.Shortcut) { selectAll() })
	// Esc closes the dialog on top first (dialogs.HandleKeys), also when
	// it arrives from a field inside it.
	dialogs.HandleKeys(m.Window, m.typedKey)
}

// unlessDialog wraps a window action so that it does nothing while a
// dialog is open: a shortcut must not open a second dialog over the
// first, nor act on the view hidden behind it.
func (m *MainWindow) unlessDialog(action func()) func() {
	return func() {
		if dialogs.For(m.Window).Len() == 0 {
			action()
		}
	}
}

// typedKey handles keys that reach the canvas (no widget has the focus)
// and no dialog took.
func (m *MainWindow) typedKey(ev *fyne.KeyEvent) {
	if dialogs.For(m.Window).Len() > 0 {
		return // the keys belong to the dialog, not to the view behind it
	}
	if ev.Name == fyne.KeyDelete && m.Tabs.Selected() == m.uploadItem {
		m.upload.DeleteSelected()
	}
}

// compactMenuItem switches the queue between comfortable and compact rows
// (the footer's check does the same).
func (m *MainWindow) compactMenuItem() *fyne.MenuItem {
	m.compactItem = fyne.NewMenuItem("Compact queue rows", func() { m.upload.SetCompact(!m.upload.Compact()) })
	m.compactItem.Checked = m.upload.Compact()
	return m.compactItem
}

// keyName is a menu item's shortcut when Fyne draws the menu itself: it
// matches the key by name (as the driver does) but is not a
// KeyboardShortcut, so Fyne does not draw its hint at a fifth of the text's
// opacity (about 1.6:1, below WCAG AA); the label says the keys instead.
type keyName string

func (k keyName) ShortcutName() string { return string(k) }

// keysWords writes a shortcut the way the menu shows it: "Ctrl+L".
func keysWords(sc *desktop.CustomShortcut) string {
	key := string(sc.KeyName)
	if sc.KeyName == fyne.KeyComma {
		key = ","
	}
	return "Ctrl+" + key
}
