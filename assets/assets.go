// Package assets holds the files Cloudup ships inside its binaries: the app
// icon and the sample media the embedded sandbox is seeded with.
package assets

import _ "embed"

// Icon is the application icon (512×512 PNG).
//
//go:embed icon.png
var Icon []byte
