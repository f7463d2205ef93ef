//go:build unix

package camera

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// startInOwnGroup puts the child in a new process group, so killGroup also
// reaches anything it started (a wrapper script's real ffmpeg, say).
func startInOwnGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// killGroup sends SIGKILL to the child's process group. ffmpeg holds no
// state worth a graceful stop here: the kernel releases the camera when the
// process dies.
func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone
	}
	return err
}
