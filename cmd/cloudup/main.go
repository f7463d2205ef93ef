// Command cloudup is the desktop app. It stays thin: it parses flags and the
// files or URLs named on the command line (`cloudup a.jpg b.mp4`, as a file
// manager's Open With runs it), checks that there is a display, builds the
// core services (profile store, system keychain, embedded sandbox, session
// opener, thumbnail cache), hands them to package ui, runs the window, and
// stops everything when it closes. It is the only package that imports
// fyne.io/fyne/v2/app; everything else runs headless.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/cloudup/cloudup/assets"
	"github.com/cloudup/cloudup/core/account"
	coredesktop "github.com/cloudup/cloudup/core/desktop"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/core/library"
	"github.com/cloudup/cloudup/core/memlimit"
	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/session"
	"github.com/cloudup/cloudup/core/watch"
	"github.com/cloudup/cloudup/ui"
	"github.com/cloudup/cloudup/ui/queue"
	"github.com/cloudup/cloudup/ui/style"
)

// Identity, as in FyneApp.toml.
const (
	appID   = "io.cloudup.app"
	appName = "Cloudup"
	version = "0.1.0"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := flag.NewFlagSet("cloudup", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: cloudup [--version] [FILE|FOLDER|URL...]\nOpens the Cloudup window and queues the files, folders and URLs given. Profiles are shared with cloudup-cli; see cloudup-cli help.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	inputs, err := absInputs(fs.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: "+err.Error())
		return 2
	}
	if *showVersion {
		fmt.Println(appName, version)
		return 0
	}
	// GLFW panics without a display; say so in one line instead.
	releaseDisplay, problem := openDisplay()
	if problem != "" {
		fmt.Fprintln(os.Stderr, "cloudup: "+problem)
		return 2
	}
	defer releaseDisplay()
	keychain.DisableBusAutolaunch()
	// A large queue's garbage is collected before it doubles the app's size.
	memlimit.Apply(memlimit.Window)
	go memlimit.Follow(context.Background(), memlimit.Window, 5*time.Second)
	go trimCHeap(10 * time.Second)
	// Starting up (fonts parsed for every text style, the window built)
	// leaves about 20 MB of garbage that an idle window would hold until
	// Go's two-minute forced collection: hand it back once it is settled.
	time.AfterFunc(8*time.Second, debug.FreeOSMemory)

	// CLOUDINARY_URL carries the secret: read it once and take it out of
	// the environment, so xdg-open, the browser and any other child the app
	// starts never inherit it.
	cloudinaryURL := os.Getenv(account.EnvVar)
	os.Unsetenv(account.EnvVar)
	getenv := func(key string) string {
		if key == account.EnvVar {
			return cloudinaryURL
		}
		return os.Getenv(key)
	}

	store, err := account.DefaultStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: "+err.Error())
		return 2
	}
	// The window's size and place from last time, next to the profiles.
	configDir := filepath.Dir(store.Path())
	geometry, err := ui.LoadGeometry(configDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: the window's last size is not readable, using the default: "+err.Error())
	}
	keys := keychain.NewSystem()
	sandboxDir, err := session.SandboxDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: "+err.Error())
		return 2
	}
	embedded := session.NewSandbox(sandboxDir)
	defer embedded.Close()
	background, closeBackground := newBackground()
	defer closeBackground()
	thumbs, err := newThumbs()
	if err != nil {
		// The library still works without a disk cache: say so and go on.
		fmt.Fprintln(os.Stderr, "cloudup: thumbnails are kept in memory only: "+err.Error())
	}

	a := app.NewWithID(appID)
	icon := fyne.NewStaticResource("cloudup.png", assets.Icon)
	if a.Metadata().Name == "" {
		// A plain `go build` carries no packaged metadata, and FyneApp.toml
		// is not next to the binary: give Fyne the same facts.
		app.SetMetadata(fyne.AppMetadata{
			ID: appID, Name: appName, Version: version, Build: 1, Icon: icon,
			Migrations: map[string]bool{"fyneDo": true},
		})
	}
	a.SetIcon(icon)
	a.Settings().SetTheme(style.Theme())
	// Fyne starts its tray only if the menu is set before the app runs:
	// ask the desktop now (a D-Bus question, two seconds at most).
	trayCtx, trayDone := context.WithTimeout(context.Background(), 2*time.Second)
	hasTray, noTray := coredesktop.Tray(trayCtx)
	trayDone()
	if desk, ok := a.(desktop.App); ok && hasTray && background.Desktop != nil {
		background.Tray = desk
		// Fyne has no call for the tray icon's tooltip; its systray has.
		background.TrayTooltip = systray.SetTooltip
	} else {
		background.NoTray = noTray
	}
	win := ui.New(a, ui.Deps{
		Profiles: store, Keychain: keys, Icon: icon, Getenv: getenv,
		Open: func(ctx context.Context, creds account.Credentials) (ui.Session, error) {
			s, err := session.Open(ctx, creds, session.Options{})
			if err != nil {
				return nil, err // not a typed nil inside the interface
			}
			return s, nil
		},
		Sandbox:    embedded,
		Thumbs:     thumbs,
		Inputs:     inputs,
		Geometry:   geometry,
		Position:   windowPosition,
		Background: background,
		PickFiles:  queue.PortalPicker,
	})

	// SIGINT/SIGTERM end the app the same way its Quit shortcut does, so
	// background work is stopped and the exit code is 0.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	quit := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Add(1)
	go func() {
		defer watcher.Done()
		select {
		case <-ctx.Done():
			fyne.Do(win.Quit)
		case <-quit:
		}
	}()

	win.Window.ShowAndRun()

	close(quit)
	watcher.Wait()
	// Closing the window's sessions stops their engines: uploads in flight
	// stay in the journal and are offered for resume at the next start.
	win.Close()
	if err := ui.SaveGeometry(configDir, win.Geometry()); err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: the window's size was not kept: "+err.Error())
	}
	if err := embedded.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: stopping the embedded sandbox: "+err.Error())
	}
	// A keychain call stuck at an unlock prompt must not hold the exit.
	wait, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	keys.Wait(wait)
	return 0
}

// absInputs makes the file arguments absolute (the window may resolve them
// after the working directory matters no more) and leaves URLs alone. A
// path that does not exist is reported by the queue, row by row, so one
// bad name does not stop the others.
func absInputs(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("flags go before the files: %q (see cloudup -h)", a)
		}
		if strings.Contains(a, "://") || filepath.IsAbs(a) {
			out = append(out, a)
			continue
		}
		abs, err := filepath.Abs(a)
		if err != nil {
			return nil, fmt.Errorf("cannot resolve %q: %w", a, err)
		}
		out = append(out, abs)
	}
	return out, nil
}

// newBackground opens what watched folders and the tray need: the desktop
// settings beside the profiles and the watched folders' state in the data
// dir. Without them the window works as before, and says why.
func newBackground() (ui.BackgroundDeps, func()) {
	var d ui.BackgroundDeps
	store, err := coredesktop.DefaultStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: watched folders are off: "+err.Error())
		return ui.BackgroundDeps{}, func() {}
	}
	d.Desktop = store
	path, err := watch.DefaultStatePath()
	if err == nil {
		d.WatchState, err = watch.OpenState(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: watched folders are off: "+err.Error())
		return d, func() {}
	}
	return d, func() { d.WatchState.Close() }
}

// newThumbs is the library's thumbnail cache, on disk under the cache dir.
func newThumbs() (*library.Thumbs, error) {
	cfg := library.ThumbsConfig{}
	cache, err := paths.CacheDir()
	if err == nil {
		cfg.Dir = filepath.Join(cache, "thumbs")
	}
	t, terr := library.NewThumbs(cfg)
	if terr != nil {
		cfg.Dir = ""
		t, _ = library.NewThumbs(cfg)
		return t, terr
	}
	return t, err
}
