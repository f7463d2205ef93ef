//go:build unix

package camera

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// processAlive reports whether pid is a live (not zombie) process. Orphans
// killed with their group may linger as zombies until PID 1 reaps them,
// which still means they are gone.
func processAlive(pid int) bool {
	if runtime.GOOS == "linux" {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		// Format: pid (comm) state …; comm may contain spaces.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
	}
	return syscall.Kill(pid, 0) == nil
}
