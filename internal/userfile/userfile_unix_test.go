//go:build unix

package userfile

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNamedPipeIsRefusedWithoutBlocking: opening a FIFO for reading waits
// for a writer; a fixture named as one must be refused at once instead.
func TestNamedPipeIsRefusedWithoutBlocking(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fixture.yaml")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Read(p, MaxYAML)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "fixture.yaml: a named pipe (FIFO), not a regular file") {
			t.Errorf("Read(FIFO) error = %v, want a named pipe refused", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Read(FIFO) still blocked after 2s: it opened the pipe and waits for a writer")
	}
}
