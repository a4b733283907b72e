// Package userfile reads the files a person names to sfemu — org fixtures,
// scenarios, receiver profiles, metadata files, JUnit reports,
// certificates and keys — so that a wrong name costs an error, not the
// process. A path to a device (certificate: /dev/zero), a named pipe or a
// directory is refused before it is opened, since reading one never ends
// or blocks; a file longer than its limit is refused after limit+1 bytes,
// so memory stays bounded whatever the file holds.
//
// It owns only how those files are read, not what they mean: the YAML
// budget (aliases, nesting) is internal/safeyaml's.
package userfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits by kind of file. They are generous: a real file of the kind is a
// small fraction of its limit, and anything larger is a mistake (the wrong
// file named) or hostile.
const (
	// MaxYAML is the most sfemu reads of a YAML document it is named (an
	// org fixture, a scenario, a receiver profile): the YAML library holds
	// some 75 bytes of heap per byte while parsing, so 32 MiB — about
	// 300,000 records — is the largest worth parsing; larger record sets
	// belong in CSV.
	MaxYAML = 32 << 20
	// MaxData is the most sfemu reads of another data file it is named: a
	// metadata file (XML, JSON), a CSV file of records, a JUnit report.
	MaxData = 64 << 20
	// MaxPEM is the most sfemu reads of a certificate or key file (PEM):
	// an RSA 4096 certificate is under 2 KiB and a chain of a dozen under
	// 32 KiB, so 1 MiB is only ever reached by naming the wrong file.
	MaxPEM = 1 << 20
)

// ErrNotRegular is what reading a directory, device, named pipe or socket
// gives (errors.Is); the *fs.PathError around it names the path and the
// kind of file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is what reading a file over its limit gives (errors.Is).
var ErrTooLarge = errors.New("file too large")

// notRegularError says what the file is instead of a regular file.
type notRegularError struct{ kind string }

func (e *notRegularError) Error() string {
	return e.kind + ", not a regular file: sfemu reads only regular files"
}
func (e *notRegularError) Is(target error) bool { return target == ErrNotRegular }

// tooLargeError says what the limit is.
type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("larger than %s, the most sfemu reads of such a file", Size(e.max))
}
func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Read reads the regular file at path, at most max bytes of it. Errors are
// *fs.PathError naming the path: the open error itself, ErrNotRegular
// (with what the file is instead) or ErrTooLarge (with the limit).
func Read(path string, max int64) ([]byte, error) {
	// Stat before opening: opening a named pipe for reading blocks until a
	// writer comes, and a device never ends.
	info, err := os.Stat(path)
	if err != nil {
		// Said as opening would say it: "open x.key: no such file or directory".
		var pe *fs.PathError
		if errors.As(err, &pe) {
			pe.Op = "open"
		}
		return nil, err
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The path may have been replaced between Stat and Open; what was
	// opened is what counts.
	if info, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	if info.Size() > max {
		return nil, &fs.PathError{Op: "read", Path: path, Err: &tooLargeError{max}}
	}
	// The size can grow while reading (a log being written): read one byte
	// more than the limit to tell.
	buf := make([]byte, 0, min(info.Size(), max)+1)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, &fs.PathError{Op: "read", Path: path, Err: &tooLargeError{max}}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow as io.ReadAll does
		}
	}
}

func checkRegular(path string, info fs.FileInfo) error {
	m := info.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "a special file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeCharDevice != 0:
		kind = "a character device"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return &fs.PathError{Op: "read", Path: path, Err: &notRegularError{kind}}
}

// Size is a byte count as a person reads it: 64 MiB, 1 MiB, 512 KiB, 12 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
