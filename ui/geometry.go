package ui

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// GeometryFile is where the window's size and place are kept, in the
// config directory next to the profiles.
const GeometryFile = "window.json"

// Geometry is the window's size (in Fyne's units) and, where the platform
// says, its place on the screen.
type Geometry struct {
	Width  float32 `json:"width"`
	Height float32 `json:"height"`
	X      int     `json:"x,omitempty"`
	Y      int     `json:"y,omitempty"`
	// Placed says X and Y are known (not on Wayland, which keeps window
	// places to itself).
	Placed bool `json:"placed,omitempty"`
}

// LoadGeometry reads the geometry kept in dir; without one (a first start)
// it returns the zero Geometry and no error. Call it before the window
// opens: it reads a file.
func LoadGeometry(dir string) (Geometry, error) {
	data, err := os.ReadFile(filepath.Join(dir, GeometryFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Geometry{}, nil
	}
	if err != nil {
		return Geometry{}, err
	}
	var g Geometry
	if err := json.Unmarshal(data, &g); err != nil {
		return Geometry{}, err
	}
	if g.Width < minWidth || g.Height < minHeight || g.Width > 1e5 || g.Height > 1e5 {
		return Geometry{}, nil // damaged or absurd: the default size
	}
	return g, nil
}

// SaveGeometry keeps g in dir, for the next start. Call it after the run
// loop: it writes a file.
func SaveGeometry(dir string, g Geometry) error {
	if g.Width < minWidth || g.Height < minHeight {
		return nil
	}
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(dir, GeometryFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, GeometryFile))
}

// The smallest window a kept size may ask for; anything smaller is a
// window that was being minimised, not a size someone chose.
const (
	minWidth, minHeight = 480, 360
	defaultWidth        = 1100
	defaultHeight       = 720
)

// placeWindow gives the window its kept size and place, or the default
// size.
func (m *MainWindow) placeWindow(g Geometry) {
	if g.Width >= minWidth && g.Height >= minHeight {
		m.Window.Resize(fyne.NewSize(g.Width, g.Height))
	} else {
		m.Window.Resize(fyne.NewSize(defaultWidth, defaultHeight))
	}
	if d, ok := m.Window.(desktop.Window); ok && g.Placed {
		d.RequestPosition(g.X, g.Y)
	}
	m.geometry = g
}

// recordGeometry notes the window's size and place while it is still
// open (the window is gone by the time Close runs).
func (m *MainWindow) recordGeometry() {
	size := m.Window.Canvas().Size()
	g := Geometry{Width: size.Width, Height: size.Height}
	if m.deps.Position != nil {
		g.X, g.Y, g.Placed = m.deps.Position(m.Window)
	}
	m.geometry = g
}

// Geometry is the window's size and place as last seen before it closed
// (or as it opened, if it has not closed yet).
func (m *MainWindow) Geometry() Geometry { return m.geometry }

// Quit records where the window is and ends the app (the Quit menu item,
// Ctrl+Q, a termination signal).
func (m *MainWindow) Quit() {
	m.recordGeometry()
	m.app.Quit()
}
