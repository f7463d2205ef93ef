// Command cloudup is the desktop app. It stays thin: it parses flags, checks
// that there is a display, builds the core services (profile store, system
// keychain), hands them to package ui, and runs the window. It is the only
// package that imports fyne.io/fyne/v2/app; everything else runs headless.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/cloudup/cloudup/assets"
	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/keychain"
	"github.com/cloudup/cloudup/ui"
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
		fmt.Fprintln(fs.Output(), "usage: cloudup [--version]\nOpens the Cloudup window. Profiles are shared with cloudup-cli; see cloudup-cli help.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "cloudup: unexpected argument %q (see cloudup -h)\n", fs.Arg(0))
		return 2
	}
	if *showVersion {
		fmt.Println(appName, version)
		return 0
	}
	// GLFW panics without a display; say so in one line instead.
	if problem := displayProblem(); problem != "" {
		fmt.Fprintln(os.Stderr, "cloudup: "+problem)
		return 2
	}
	keychain.DisableBusAutolaunch()

	store, err := account.DefaultStore()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudup: "+err.Error())
		return 2
	}
	keys := keychain.NewSystem()

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
	win := ui.New(a, ui.Deps{Profiles: store, Keychain: keys, Icon: icon})

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
			fyne.Do(a.Quit)
		case <-quit:
		}
	}()

	win.Window.ShowAndRun()

	close(quit)
	watcher.Wait()
	win.Close()
	// A keychain call stuck at an unlock prompt must not hold the exit.
	wait, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	keys.Wait(wait)
	return 0
}
