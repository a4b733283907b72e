//go:build unix

package httplimit

import "syscall"

// openFileLimit is the soft RLIMIT_NOFILE: how many files the process may
// have open.
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 1024
	}
	return int(min(rl.Cur, 1<<20))
}
