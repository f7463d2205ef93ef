package cloud

import (
	"path"
	"strings"
)

// Name is what a person calls the asset: its display_name, else the name of
// the file it was uploaded from, else the last part of its public_id.
// Cloudinary fills display_name with the public_id's last part when none was
// given; that is no one's name, so the file's name wins over it.
func (a *Asset) Name() string {
	last := path.Base(a.PublicID)
	if n := strings.TrimSpace(a.DisplayName); n != "" && (n != last || a.OriginalFilename == "") {
		return n
	}
	if n := strings.TrimSpace(a.OriginalFilename); n != "" {
		if a.Format != "" && path.Ext(n) == "" {
			return n + "." + a.Format
		}
		return n
	}
	return last
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
