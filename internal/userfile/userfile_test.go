package userfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRead: each row is a file a person may name by mistake (or on
// purpose) where sfemu reads a fixture, a certificate or a key.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small.yaml", 100)
	atLimit := write("at-limit.crt", 4096)
	overLimit := write("over-limit.crt", 4097)
	link := filepath.Join(dir, "zero-link.crt")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantLen int
		wantIs  error
		wantMsg string
	}{
		{"a regular file is read whole", small, 100, nil, ""},
		{"a file exactly at the limit is read", atLimit, 4096, nil, ""},
		{"a file one byte over the limit is refused, naming the limit", overLimit, 0, ErrTooLarge, "over-limit.crt: larger than 4 KiB, the most sfemu reads of such a file"},
		{"/dev/zero is refused before it is read (it never ends)", "/dev/zero", 0, ErrNotRegular, "/dev/zero: a character device, not a regular file"},
		{"a symbolic link to /dev/zero is refused too", link, 0, ErrNotRegular, "zero-link.crt: a character device"},
		{"a directory is refused, named as one", dir, 0, ErrNotRegular, ": a directory, not a regular file"},
		{"a missing file is the usual not-exist error", filepath.Join(dir, "missing.yaml"), 0, fs.ErrNotExist, "missing.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path == "/dev/zero" {
				if _, err := os.Stat("/dev/zero"); err != nil {
					t.Skip("no /dev/zero here")
				}
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			data, err := Read(tt.path, 4096)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if tt.wantIs == nil {
				if err != nil || len(data) != tt.wantLen {
					t.Fatalf("Read = %d bytes, %v; want %d bytes", len(data), err, tt.wantLen)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("Read error = %v, want %v", err, tt.wantIs)
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Path != tt.path {
				t.Errorf("error %v does not name the path %s", err, tt.path)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantMsg)
			}
			if elapsed > time.Second {
				t.Errorf("refusing took %v, want well under a second", elapsed)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Errorf("refusing allocated %d bytes, want under 1 MiB", grew)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{64 << 20: "64 MiB", 1 << 20: "1 MiB", 512 << 10: "512 KiB", 12: "12 bytes", 1500: "1500 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
