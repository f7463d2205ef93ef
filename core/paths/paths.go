// Package paths says where Cloudup keeps things on the user's machine: profiles
// in the config dir, the journal, history and sandbox data in the data dir,
// thumbnails in the cache dir. Environment overrides exist for tests and for
// people who keep several setups apart. It never stores a secret.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

const appDir = "cloudup"

// ConfigDir is where profiles live: $CLOUDUP_CONFIG_DIR, else
// os.UserConfigDir()/cloudup.
func ConfigDir() (string, error) {
	if d := os.Getenv("CLOUDUP_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a config directory (%v): set CLOUDUP_CONFIG_DIR", err)
	}
	return filepath.Join(base, appDir), nil
}

// DataDir holds the upload journal and history and the embedded sandbox's
// files: $CLOUDUP_DATA_DIR, else the platform's per-user data directory.
func DataDir() (string, error) {
	if d := os.Getenv("CLOUDUP_DATA_DIR"); d != "" {
		return d, nil
	}
	base, err := userDataDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a data directory (%v): set CLOUDUP_DATA_DIR", err)
	}
	return filepath.Join(base, appDir), nil
}

// CacheDir holds disposable things (thumbnails): <DataDir>/cache when
// CLOUDUP_DATA_DIR is set, so tests stay inside one folder; else the user
// cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv("CLOUDUP_DATA_DIR"); d != "" {
		return filepath.Join(d, "cache"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a cache directory (%v): set CLOUDUP_DATA_DIR", err)
	}
	return filepath.Join(base, appDir), nil
}

func userDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not set")
	case "darwin", "ios":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support"), nil
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return d, nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "share"), nil
	}
}

// Ensure creates dir (and parents) private to the user, and makes dir
// private (0700) when it already existed with wider permissions: a data
// folder named by CLOUDUP_DATA_DIR or --dir may have been made readable by
// everyone. A shared folder with the sticky bit (/tmp) is left as it is:
// what Cloudup keeps there is private file by file.
func Ensure(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if runtime.GOOS == "windows" {
		return dir, nil // permissions there come from the user's profile folder
	}
	info, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("cannot use %s: %w", dir, err)
	}
	if info.Mode()&os.ModeSticky != 0 || info.Mode().Perm()&0o077 == 0 {
		return dir, nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("cannot make %s private to you (%v): choose a folder of your own", dir, err)
	}
	return dir, nil
}

// PrivateFile makes an existing file readable and writable by the user
// alone (0600); a missing file is no error.
func PrivateFile(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("cannot make %s private to you: %w", path, err)
	}
	return nil
}

// WriteAtomic replaces dir/name with data, readable by the user alone, so
// that a crash at any moment leaves either the old file or the new one,
// never a mix.
func WriteAtomic(dir, name string, data []byte) error {
	if _, err := Ensure(dir); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable. Windows cannot open a directory for
// syncing, and its rename is already durable enough for small files.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
