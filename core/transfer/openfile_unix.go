//go:build unix

package transfer

import "syscall"

// openNonBlock keeps an open from waiting: a file swapped for a FIFO between
// the stat and the open would otherwise block until a writer appears.
const openNonBlock = syscall.O_NONBLOCK
