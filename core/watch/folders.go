package watch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cloudup/cloudup/core/account"
	"github.com/cloudup/cloudup/core/source"
	"github.com/cloudup/cloudup/core/transfer"
)

// Folder is one watched folder as people set it up: where, for which
// profile, and what its uploads get. Empty Folder, Tags and
// PublicIDTemplate take the profile's defaults.
type Folder struct {
	ID               string   `json:"id"`
	Dir              string   `json:"dir"`
	Profile          string   `json:"profile"`
	Folder           string   `json:"folder,omitempty"`
	Tags             []string `json:"tags,omitempty"`
	PublicIDTemplate string   `json:"public_id_template,omitempty"`
	Enabled          bool     `json:"enabled"`
	Subfolders       bool     `json:"subfolders,omitempty"`
	// Existing uploads what is already in the folder the first time it is
	// watched (otherwise only what arrives from then on).
	Existing bool     `json:"existing,omitempty"`
	Include  []string `json:"include,omitempty"`
	Exclude  []string `json:"exclude,omitempty"`
}

// NewFolderID names a new watched folder.
func NewFolderID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Validate says what is wrong with a folder's setup, in words for the
// Settings form.
func (f Folder) Validate() error {
	switch {
	case strings.TrimSpace(f.Dir) == "":
		return errors.New("choose the folder to watch")
	case !filepath.IsAbs(f.Dir):
		return fmt.Errorf("%q is not a full path: choose the folder with the button", f.Dir)
	case strings.TrimSpace(f.Profile) == "":
		return errors.New("choose the profile its files go to")
	}
	if f.PublicIDTemplate != "" {
		if _, err := transfer.ParseTemplate(f.PublicIDTemplate); err != nil {
			return fmt.Errorf("public ID template: %w", err)
		}
	}
	if _, err := source.NewFilter(f.Include, f.Exclude, false); err != nil {
		return err
	}
	return nil
}

// Normalized tidies what people typed: a clean path, the folder without
// slashes around it, clean tags.
func (f Folder) Normalized() Folder {
	if f.Dir = strings.TrimSpace(f.Dir); f.Dir != "" {
		f.Dir = filepath.Clean(f.Dir)
	}
	f.Folder = strings.Trim(strings.TrimSpace(f.Folder), "/")
	f.Tags = account.CleanTags(f.Tags)
	f.PublicIDTemplate = strings.TrimSpace(f.PublicIDTemplate)
	return f
}

// Options are the upload options of its files: the profile's defaults
// (session.UploadOptions) with this folder's choices on top.
func (f Folder) Options(profileDefaults transfer.Options) transfer.Options {
	o := profileDefaults
	o.Tags = slices.Clone(o.Tags)
	if f.Folder != "" {
		o.Folder = f.Folder
	}
	if len(f.Tags) > 0 {
		o.Tags = slices.Clone(f.Tags)
	}
	if f.PublicIDTemplate != "" {
		o.PublicIDTemplate = f.PublicIDTemplate
	}
	return o
}

// Config is the watcher setup of the folder.
func (f Folder) Config() Config {
	return Config{Dir: f.Dir, Subfolders: f.Subfolders, Include: slices.Clone(f.Include), Exclude: slices.Clone(f.Exclude)}
}

// same reports whether two setups watch alike (a running feed keeps going
// when only something else changed, like Enabled).
func (f Folder) same(g Folder) bool {
	return f.Dir == g.Dir && f.Profile == g.Profile && f.Folder == g.Folder && slices.Equal(f.Tags, g.Tags) &&
		f.PublicIDTemplate == g.PublicIDTemplate && f.Subfolders == g.Subfolders && f.Existing == g.Existing &&
		slices.Equal(f.Include, g.Include) && slices.Equal(f.Exclude, g.Exclude)
}
