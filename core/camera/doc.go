// Package camera turns a webcam into pictures for the upload flow: it lists
// cameras, streams a live preview at a steady rate, and takes a still once
// auto-exposure has settled. It owns the camera backends (native through
// pion/mediadevices when built with cgo, an ffmpeg subprocess, and a pure-Go
// synthetic test card for tests and demos) and chooses between them (Auto).
//
// It never imports Fyne and never touches the network: it returns
// image.Image values and JPEG bytes, and the caller decides where they go.
// Every call that waits on hardware blocks, so the UI calls it off its own
// goroutine. Child processes it starts get a minimal environment, so the
// secrets of this process never reach them.
package camera
