package source

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudup/cloudup/core/paths"
	"github.com/cloudup/cloudup/core/transfer"
)

// SpoolDir is where in-memory images are kept until uploaded: "spool" in the
// data dir, so they survive a restart and resume like any file.
func SpoolDir() (string, error) {
	dir, err := paths.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "spool"), nil
}

// Spool writes data (a clipboard image, a camera photo) to a new file in dir
// and returns the item that uploads it. name is what people see, e.g.
// "camera-20260517-080910.jpg". The file is written to a temporary name and
// renamed, so a crash never leaves half an image to be uploaded.
func Spool(dir, name string, data []byte) (transfer.Item, error) {
	if len(data) == 0 {
		return transfer.Item{}, errors.New("the image is empty: nothing to upload")
	}
	return SpoolFrom(dir, name, bytes.NewReader(data))
}

// SpoolFrom is Spool for a stream, copied without holding it in memory.
func SpoolFrom(dir, name string, r io.Reader) (transfer.Item, error) {
	name = safeName(name)
	if _, err := paths.Ensure(dir); err != nil {
		return transfer.Item{}, err
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	final := filepath.Join(dir, time.Now().Format("20060102-150405")+"-"+hex.EncodeToString(rnd[:])+"-"+name)
	tmp, err := os.CreateTemp(dir, ".spool-*")
	if err != nil {
		return transfer.Item{}, fmt.Errorf("cannot keep the image in %s: %w", dir, err)
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = errors.New("the image is empty: nothing to upload")
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return transfer.Item{}, fmt.Errorf("cannot keep the image in %s: %w", dir, err)
	}
	return transfer.Item{Path: final, Name: name, Spool: true}, nil
}

// SpoolName is a name for an image that has none: prefix-YYYYMMDD-HHMMSS.ext.
func SpoolName(prefix string, t time.Time, ext string) string {
	return fmt.Sprintf("%s-%s.%s", prefix, t.Format("20060102-150405"), strings.TrimPrefix(ext, "."))
}

// safeName keeps a display name usable as the tail of a file name.
func safeName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	if name == "" || name == "." || name == ".." {
		return "image"
	}
	if len(name) > 120 {
		name = name[len(name)-120:]
	}
	return name
}
