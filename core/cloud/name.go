package cloud

import (
	"path"
	"strings"
)

// Name is what a person calls the asset: its display_name, else the name of
// the file it was uploaded from, else the last part of its public_id.
func (a *Asset) Name() string {
	if n := strings.TrimSpace(a.DisplayName); n != "" {
		return n
	}
	if n := strings.TrimSpace(a.OriginalFilename); n != "" {
		if a.Format != "" && path.Ext(n) == "" {
			return n + "." + a.Format
		}
		return n
	}
	return path.Base(a.PublicID)
}

// FolderPath is the folder the asset shows in: asset_folder on
// dynamic-folder accounts, else the public_id's folder.
func (a *Asset) FolderPath() string {
	if a.AssetFolder != "" {
		return a.AssetFolder
	}
	if a.Folder != "" {
		return a.Folder
	}
	if d := path.Dir(a.PublicID); d != "." {
		return d
	}
	return ""
}
