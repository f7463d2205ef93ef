//go:build unix

package source

import (
	"fmt"
	"io/fs"
	"syscall"
)

// dirKey identifies a folder by device and inode, so two paths to it (a
// symlink) are recognised as one.
func dirKey(path string, fi fs.FileInfo) (string, error) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino), nil
	}
	return realPathKey(path)
}
