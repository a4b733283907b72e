//go:build !unix

package main

import (
	"errors"
	"os"
	"os/exec"
)

// execHarness runs the harness as a child with this process's standard
// streams and returns its exit status (no exec(2) here).
func execHarness(path string, argv, env []string) (int, error) {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}
