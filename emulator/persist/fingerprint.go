package persist

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync"

	"github.com/sfemu/sfemu/emulator/org"
)

// Fingerprint identifies fixtures by what loading them read: each
// source's name and text and, in the order they were read, the files it
// named. State kept over one set of fixtures is refused over another (a
// record kept for a field the fixture no longer has, a queued message the
// fixture no longer defines): Options.Fingerprint.
type Fingerprint struct {
	mu sync.Mutex
	h  hash.Hash
}

// NewFingerprint starts a fingerprint.
func NewFingerprint() *Fingerprint { return &Fingerprint{h: sha256.New()} }

// Wrap returns sources whose text, and every file they read, go into the
// fingerprint as they are loaded.
func (f *Fingerprint) Wrap(sources []org.Source) []org.Source {
	out := make([]org.Source, len(sources))
	for i, src := range sources {
		f.add("source", []byte(src.Name))
		f.add("text", src.Data)
		read := src.ReadFile
		if read != nil {
			src.ReadFile = func(rel string) ([]byte, error) {
				b, err := read(rel)
				if err == nil {
					f.add("file "+rel, b)
				}
				return b, err
			}
		}
		out[i] = src
	}
	return out
}

func (f *Fingerprint) add(what string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n [8]byte
	for _, part := range [][]byte{[]byte(what), b} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		f.h.Write(n[:])
		f.h.Write(part)
	}
}

// Sum is the fingerprint so far, in hex.
func (f *Fingerprint) Sum() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return hex.EncodeToString(f.h.Sum(nil))
}
