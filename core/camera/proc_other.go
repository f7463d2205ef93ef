//go:build !unix && !windows

package camera

import (
	"errors"
	"os"
	"os/exec"
)

func startInOwnGroup(*exec.Cmd) {}

func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
