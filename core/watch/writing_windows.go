package watch

import (
	"errors"

	"golang.org/x/sys/windows"
)

// openForWriting opens the file sharing reads only: Windows refuses that
// with a sharing violation while another process has it open for writing.
// known is false when the open fails for any other reason.
func openForWriting(path string) (writing, known bool) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false, false
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err == nil {
		windows.CloseHandle(h)
		return false, true
	}
	if errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
		return true, true
	}
	return false, false
}
