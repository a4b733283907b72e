package main

// `sfemu run` and `sfemu merge-junit` are another binary, sfemu-harness.
// The scenario harness links go-cmp and testcontainers-go, and their
// package initialisation runs in every process that links them, whatever
// the command: testcontainers-go's lists every process on the machine
// (≈ 9 ms here), go-cmp compiles Unicode regular expressions. In one
// binary that made each `sfemu serve` start 3–4× a hello-world server;
// apart, serve starts within 2× (docs/PERFORMANCE.md, "Cold start"), and
// the one command a user types stays `sfemu`, as git and docker run their
// subcommands' binaries.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/sfemu/sfemu/internal/buildinfo"
)

// harnessName is the harness binary's name, beside sfemu or on $PATH.
const harnessName = "sfemu-harness"

// runHarness hands cmd and its arguments to sfemu-harness; on Unix the
// harness takes this process's place (its exit status, signals, terminal).
func runHarness(cmd string, args []string, stderr io.Writer) int {
	path, err := findHarness()
	if err != nil {
		fmt.Fprintf(stderr, "sfemu %s: %v\n", cmd, err)
		return 1
	}
	env := append(os.Environ(), buildinfo.CallerEnv+"="+buildinfo.Stamp())
	code, err := execHarness(path, append([]string{harnessName, cmd}, args...), env)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu %s: %s: %v\n", cmd, path, err)
		return 1
	}
	return code
}

// findHarness looks beside this executable first (make build and go
// install put both there), then on $PATH.
func findHarness() (string, error) {
	name := harnessName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	self, err := os.Executable()
	if err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		beside := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() {
			return beside, nil
		}
	}
	if path, err := exec.LookPath(harnessName); err == nil {
		return path, nil
	}
	where := "beside sfemu"
	if self != "" {
		where += " (" + filepath.Dir(self) + ")"
	}
	return "", errors.New("the scenario harness is its own binary, " + harnessName + ", so that sfemu serve starts without it; " +
		"it is not " + where + " nor on $PATH: build both with make build (bin/), or go install github.com/sfemu/sfemu/cmd/...@" + installVersion())
}

// installVersion is what go install should fetch to match this sfemu.
func installVersion() string {
	if v := buildinfo.Version(); v != "devel" {
		return v
	}
	return "latest"
}
