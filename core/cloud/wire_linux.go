package cloud

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ackedBytes reads TCP_INFO's bytes_acked: what the peer's TCP has
// acknowledged on this connection.
func ackedBytes(c net.Conn) (int64, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var info *unix.TCPInfo
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		info, gerr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || gerr != nil {
		return 0, false
	}
	return int64(info.Bytes_acked), true
}
