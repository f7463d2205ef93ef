package watch

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openForWriting asks the kernel whether any process has the file open for
// writing: a read lease (fcntl F_SETLEASE, F_RDLCK) is refused with EAGAIN
// exactly then. It is taken and given back at once. known is false where
// leases are not possible: a file owned by another user (without
// CAP_LEASE), file systems without leases (NFS, many FUSE mounts), or leases
// switched off (fs.leases-enable = 0).
func openForWriting(path string) (writing, known bool) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		// O_NOATIME is only for the file's owner.
		f, err = os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	}
	if err != nil {
		return false, false
	}
	defer f.Close()
	fd := int(f.Fd())
	switch _, err := unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK); {
	case err == nil:
		unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK)
		return false, true
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EBUSY):
		return true, true
	}
	return false, false
}
