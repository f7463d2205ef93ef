// Package desktop keeps what Cloudup does while it lives beside other
// programs: the watched folders, whether finished uploads' links go to the
// clipboard, and what closing the window does while work goes on. They
// live in desktop.json in the config dir, next to the profiles, and hold no
// secret. It also asks the session whether there is a status area (tray)
// to put an icon in (tray_*.go).
//
// It must not import Fyne: the window reads and writes these settings and
// draws the tray.
package desktop

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/watch"
)

// FileName is the settings file inside the config dir.
const FileName = "desktop.json"

// OnClose is what closing the window does while uploads run or folders
// are watched.
type OnClose string

const (
	AskOnClose  OnClose = ""     // ask each time
	KeepInTray  OnClose = "tray" // hide the window; the tray icon stays
	QuitOnClose OnClose = "quit" // quit; unfinished uploads resume next time
)

// Settings are the desktop settings.
type Settings struct {
	Watched []watch.Folder `json:"watched"`
	// CopyLinks puts a finished batch's links on the clipboard (in the
	// profile's link format, one per line) and says so in a notification.
	CopyLinks bool    `json:"copy_links,omitempty"`
	OnClose   OnClose `json:"on_close,omitempty"`
}

// Folder is the watched folder with id.
func (s Settings) Folder(id string) (watch.Folder, bool) {
	for _, f := range s.Watched {
		if f.ID == id {
			return f, true
		}
	}
	return watch.Folder{}, false
}

// Store reads and writes desktop.json. Its methods are safe for concurrent
// use; they touch the disk, so the window calls them off its UI goroutine.
type Store struct {
	dir string
	mu  sync.Mutex
}

// NewStore keeps the settings in dir.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// DefaultStore is the store in the config dir ($CLOUDUP_CONFIG_DIR).
func DefaultStore() (*Store, error) {
	dir, err := paths.ConfigDir()
	if err != nil {
		return nil, err
	}
	return NewStore(dir), nil
}

// Path is where the settings live.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

type file struct {
	Version int `json:"version"`
	Settings
}

// Load reads the settings; a missing file is the defaults.
func (s *Store) Load() (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load()
}

func (s *Store) load() (Settings, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("cannot read %s: %w", s.Path(), err)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return Settings{}, fmt.Errorf("%s is damaged (%v): fix it or move it aside; watched folders start empty then", s.Path(), err)
	}
	if f.Version > 1 {
		return Settings{}, fmt.Errorf("%s was written by a newer Cloudup: update Cloudup", s.Path())
	}
	return f.Settings, nil
}

// Update changes the settings in one read-modify-write.
func (s *Store) Update(change func(*Settings) error) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.load()
	if err != nil {
		return cur, err
	}
	if err := change(&cur); err != nil {
		return cur, err
	}
	for i, f := range cur.Watched {
		f = f.Normalized()
		if err := f.Validate(); err != nil {
			return cur, fmt.Errorf("watched folder %s: %w", f.Dir, err)
		}
		if f.ID == "" {
			f.ID = watch.NewFolderID()
		}
		cur.Watched[i] = f
	}
	if cur.Watched == nil {
		cur.Watched = []watch.Folder{}
	}
	data, err := json.MarshalIndent(file{Version: 1, Settings: cur}, "", "  ")
	if err != nil {
		return cur, err
	}
	if err := paths.WriteAtomic(s.dir, FileName, append(data, '\n')); err != nil {
		return cur, fmt.Errorf("cannot save the desktop settings: %w", err)
	}
	return cur, nil
}

// PutFolder adds a watched folder, or replaces the one with its ID, and
// returns it as stored (with an ID).
func (s *Store) PutFolder(f watch.Folder) (watch.Folder, error) {
	if f.ID == "" {
		f.ID = watch.NewFolderID()
	}
	_, err := s.Update(func(set *Settings) error {
		for i := range set.Watched {
			if set.Watched[i].ID == f.ID {
				set.Watched[i] = f
				return nil
			}
		}
		for _, g := range set.Watched {
			if g.Dir == filepath.Clean(f.Dir) && g.Profile == f.Profile {
				return fmt.Errorf("%s is already watched for profile %s", g.Dir, g.Profile)
			}
		}
		set.Watched = append(set.Watched, f)
		return nil
	})
	return f.Normalized(), err
}

// DeleteFolder removes a watched folder.
func (s *Store) DeleteFolder(id string) error {
	_, err := s.Update(func(set *Settings) error {
		for i := range set.Watched {
			if set.Watched[i].ID == id {
				set.Watched = append(set.Watched[:i], set.Watched[i+1:]...)
				return nil
			}
		}
		return nil
	})
	return err
}
