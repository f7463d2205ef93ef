//go:build !unix

package sandbox

import "syscall"

func setReadBuffer(syscall.RawConn, int) error { return nil }
