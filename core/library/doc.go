// Package library is the read side of an account for the gallery: it pages
// through the Search API newest first, and fetches and caches the delivered
// thumbnails and previews (memory, then disk, then network). It performs
// network and disk I/O and blocks, so views call it off the UI goroutine; it
// never imports Fyne and returns plain image.Image values.
package library
