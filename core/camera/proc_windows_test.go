//go:build windows

package camera

import "os"

// processAlive reports whether pid names a process Windows can still open.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
