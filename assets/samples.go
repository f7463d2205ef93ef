package assets

import "embed"

// Samples holds the demo photos the sandbox is seeded with, as
// samples/NAME.jpg: JPEGs of 1280×853, each well under 300 KB, drawn by a
// program (landscapes, a city at night and a studio still life on a plain
// backdrop, which suits background removal).
//
//go:embed samples/*.jpg
var Samples embed.FS
