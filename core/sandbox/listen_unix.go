//go:build unix

package sandbox

import (
	"syscall"
)

// setReadBuffer sets a listening socket's receive buffer before it
// accepts, so the connections' first advertised window is small too.
func setReadBuffer(c syscall.RawConn, n int) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
	}); err != nil {
		return err
	}
	return serr
}
