//go:build !unix

package httplimit

// openFileLimit: no RLIMIT_NOFILE to read; 1024, a common default.
func openFileLimit() int { return 1024 }
