//go:build windows

package camera

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// createNoWindow keeps a console window from flashing up when the desktop
// app (a GUI-subsystem program) starts ffmpeg, a console program.
const createNoWindow = 0x08000000

// startInOwnGroup hides the child's console. Windows has no process groups
// in the POSIX sense; ffmpeg starts no children of its own there.
func startInOwnGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.HideWindow = true
	cmd.SysProcAttr.CreationFlags |= createNoWindow
}

// killGroup terminates the child.
func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	err := p.Kill()
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}
