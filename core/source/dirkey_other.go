//go:build !unix

package source

import "io/fs"

// dirKey identifies a folder by its path with every symlink resolved.
func dirKey(path string, fi fs.FileInfo) (string, error) { return realPathKey(path) }
