//go:build !unix

package transfer

// processAlive cannot check cheaply here; the heartbeat's age decides alone.
func processAlive(pid int) bool { return pid > 0 }
