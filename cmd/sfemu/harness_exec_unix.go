//go:build unix

package main

import "syscall"

// execHarness replaces this process with the harness; it returns only
// when that fails.
func execHarness(path string, argv, env []string) (int, error) {
	return 0, syscall.Exec(path, argv, env)
}
