package source

import (
	"strings"
)

// Filter decides which entries of a folder are media to upload: the
// include/exclude patterns (see Options), dot-names unless Hidden, and never
// a temporary file. Folder expansion and core/watch share it, so a dropped
// folder and a watched one take the same files.
type Filter struct {
	match  *matcher
	hidden bool
}

// NewFilter checks the patterns and returns the filter; a bad pattern is an
// error that names it.
func NewFilter(include, exclude []string, hidden bool) (*Filter, error) {
	m, err := newMatcher(include, exclude)
	if err != nil {
		return nil, err
	}
	return &Filter{match: m, hidden: hidden}, nil
}

// Skip is why an entry is left out, by its path below the folder (with "/")
// and its name: "" keeps it.
func (f *Filter) Skip(rel, name string, isDir bool) Skipped {
	switch {
	case !f.hidden && IsHidden(name):
		return SkippedHidden
	case !isDir && IsTemporary(name):
		return SkippedTemporary
	case f.match.excluded(rel, name):
		return SkippedExcluded
	case !isDir && !f.match.included(rel, name):
		return SkippedExcluded
	}
	return ""
}

// Skipped says why Filter.Skip left an entry out.
type Skipped string

const (
	SkippedHidden    Skipped = "hidden"
	SkippedTemporary Skipped = "temporary"
	SkippedExcluded  Skipped = "excluded"
)

// IsHidden reports a dot-name (Windows' hidden attribute is not looked at:
// media folders rarely use it, and reading it costs a call per file).
func IsHidden(name string) bool { return strings.HasPrefix(name, ".") }

// temporarySuffixes end the names programs give a file while they write it
// (and rename or delete when done): browsers' and download managers'
// partial downloads, editors' and office suites' temporary and swap files.
var temporarySuffixes = []string{
	".part", ".partial", ".crdownload", ".download", ".opdownload", ".filepart", ".!ut", ".!qb",
	".tmp", ".temp", ".swp", ".swx", ".bak", "~",
}

// systemFiles are folder metadata operating systems drop next to media.
var systemFiles = map[string]bool{"thumbs.db": true, "desktop.ini": true, "ehthumbs.db": true, "icon\r": true}

// IsTemporary reports a name that is a file being written or a system's
// folder metadata, never a finished photo or video: "clip.mp4.part",
// "a.jpg.crdownload", "~$report.docx", "scan.tmp", "Thumbs.db", "a.jpg~".
func IsTemporary(name string) bool {
	lower := strings.ToLower(name)
	if systemFiles[lower] || strings.HasPrefix(name, "~$") || strings.HasPrefix(lower, ".~lock.") {
		return true
	}
	for _, s := range temporarySuffixes {
		if strings.HasSuffix(lower, s) {
			return true
		}
	}
	return false
}
