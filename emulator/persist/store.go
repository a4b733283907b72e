// Package persist keeps the emulator's state on disk for `sfemu serve
// --data-dir DIR`, so a restart, even after SIGKILL, loses no acknowledged
// write and no queued notification. It owns the on-disk format: the
// buckets, their keys, the encodings of their values (codec.go) and the
// format number in the meta bucket. The org, session and outbound code
// know nothing of it: they tell a Journal (org.Journal, outbound.Journal)
// what changed, at their points of change, and this package writes it.
//
// The store is go.etcd.io/bbolt: one file (DIR/sfemu.db), pure Go (the
// image is built FROM scratch with CGO_ENABLED=0), a copy-on-write B+tree
// whose commit either lands whole or not at all, so a process killed at
// any instant leaves the last committed state. SQLite through a pure-Go
// driver would do too, but is far larger and slower to build, and sfemu
// needs no SQL: it reads the state back once, at start-up.
//
// Writes are coalesced: a change is noted in memory (one map entry per
// key, the latest version winning) and written by Sync, which the
// emulator calls before every HTTP answer; concurrent Syncs share one
// bbolt transaction (group commit). A change is therefore on disk before
// any answer that could show it, and a request's writes, however many
// records, cost one transaction. Changes no answer acknowledges (Bulk API
// jobs running in the background, outbound deliveries, a session's
// renewal by use) are written by a background flush every FlushInterval.
package persist

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// FormatVersion numbers the on-disk format; a file of another number is
// refused, never read as this one.
const FormatVersion = 1

// FileName is the store's file inside the data dir.
const FileName = "sfemu.db"

// Buckets.
var (
	bucketMeta     = []byte("meta")
	bucketIDs      = []byte("ids")
	bucketRecords  = []byte("records")
	bucketSessions = []byte("sessions")
	bucketEnded    = []byte("sessions_ended")
	bucketLogins   = []byte("login_history")
	bucketQueue    = []byte("outbound_queue")
	bucketAttempts = []byte("outbound_attempts")
	// dataBuckets are emptied by a reset; meta is not.
	dataBuckets = [][]byte{bucketIDs, bucketRecords, bucketSessions, bucketEnded, bucketLogins, bucketQueue, bucketAttempts}
)

// Keys of the meta bucket.
var (
	metaFormat      = []byte("format")
	metaFingerprint = []byte("fixtures_fingerprint")
	metaClock       = []byte("virtual_clock")
	metaLoaded      = []byte("loaded_fixtures")
)

// Options configure a Store.
type Options struct {
	// Fsync makes every commit wait for the disk (bbolt's NoSync off): a
	// power loss or kernel crash then loses nothing acknowledged either.
	// Off by default: a killed process (SIGKILL, a crash, an OOM kill)
	// loses nothing without it, since the kernel's page cache outlives
	// the process, and each write answers in microseconds rather than
	// after a disk flush. Without it, a power loss may lose the last
	// writes or leave the file unreadable (then remove the dir).
	Fsync bool
	// FlushInterval is how often changes no answer acknowledged are
	// written (background work); 0 means 100ms.
	FlushInterval time.Duration
	// Fingerprint identifies the fixtures the state was made over (see
	// Fingerprint); Open refuses a dir made over others, unless Reset.
	Fingerprint string
	// Reset empties a dir made over other fixtures instead of refusing it
	// (`sfemu serve --data-dir-reset`).
	Reset bool
}

// lockTimeout is how long Open waits for another process's lock on the
// file: short, so a second `sfemu serve` on one dir fails at once.
const lockTimeout = 200 * time.Millisecond

// Store is an open data dir.
type Store struct {
	db   *bolt.DB
	path string
	opts Options

	// flushMu serialises flushes; pendMu guards pending, seq and gen.
	flushMu sync.Mutex
	pendMu  sync.Mutex
	pending map[pendingKey]any
	// seq counts acknowledged changes noted, durable those on disk.
	seq, durable uint64
	gen          uint64 // bumped by Reset: older journals' notes are dropped
	ids          *org.IDSequence
	virtual      *clock.Virtual
	// fresh reports that the dir held no state when opened (or was reset).
	fresh bool

	stop    chan struct{}
	stopped chan struct{}
	closed  bool
}

// ErrLocked is Open's error when another sfemu holds the dir.
var ErrLocked = errors.New("another sfemu holds the data dir")

// Open opens (creating if need be) the store in dir: the dir 0700 and the
// file 0600, since it holds session tokens. A file that is not an sfemu
// store, of another format, corrupt, or made over other fixtures is a
// clear error naming its path.
func Open(dir string, opts Options) (*Store, error) {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 100 * time.Millisecond
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	db, err := openBolt(path, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, opts: opts, pending: map[pendingKey]any{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	if err := s.checkMeta(); err != nil {
		db.Close()
		return nil, err
	}
	go s.flushLoop()
	return s, nil
}

// openBolt opens the file, turning bbolt's errors (and any panic over a
// damaged file) into ones that say what to do.
func openBolt(path string, opts Options) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("data dir file %s is damaged (%v): remove it, or start with --data-dir-reset", path, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, NoSync: !opts.Fsync, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("data dir %s: %w: stop it, or give this one another --data-dir", filepath.Dir(path), ErrLocked)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("data dir file %s is not an sfemu data file, or is damaged (%v): remove it, or give another --data-dir", path, err)
	}
	return nil, fmt.Errorf("data dir file %s: %w", path, err)
}

// checkMeta creates the buckets of a new file, and checks an old one's
// format number and fixtures' fingerprint.
func (s *Store) checkMeta() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			if names := bucketNames(tx); len(names) > 0 {
				return fmt.Errorf("data dir file %s is not an sfemu data file (it has buckets %q and no meta): remove it, or give another --data-dir", s.path, names)
			}
			return s.initLocked(tx)
		}
		format := meta.Get(metaFormat)
		if n, err := strconv.Atoi(string(format)); err != nil || n != FormatVersion {
			return fmt.Errorf("data dir file %s is of format %q, this sfemu reads format %d: remove it (the state in it is lost), or use the sfemu that wrote it", s.path, format, FormatVersion)
		}
		if fp := meta.Get(metaFingerprint); !bytes.Equal(fp, []byte(s.opts.Fingerprint)) {
			if !s.opts.Reset {
				return fmt.Errorf("data dir %s holds the state of other fixtures than these (they changed since it was made): "+
					"remove the dir, or start with --data-dir-reset to empty it", filepath.Dir(s.path))
			}
			return s.initLocked(tx)
		}
		for _, b := range dataBuckets {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("data dir file %s lacks its %s bucket: remove it, or start with --data-dir-reset", s.path, b)
			}
		}
		s.fresh = true
		for _, b := range dataBuckets {
			if k, _ := tx.Bucket(b).Cursor().First(); k != nil {
				s.fresh = false
			}
		}
		return nil
	})
}

func bucketNames(tx *bolt.Tx) []string {
	var names []string
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, string(name))
		return nil
	})
	return names
}

// initLocked makes the file an empty store of this format over these
// fixtures.
func (s *Store) initLocked(tx *bolt.Tx) error {
	for _, b := range append([][]byte{bucketMeta}, dataBuckets...) {
		if tx.Bucket(b) != nil {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(metaFormat, []byte(strconv.Itoa(FormatVersion))); err != nil {
		return err
	}
	s.fresh = true
	return meta.Put(metaFingerprint, []byte(s.opts.Fingerprint))
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Fresh reports whether the store held no state when opened.
func (s *Store) Fresh() bool { return s.fresh }

// Sync returns once every acknowledged change noted before the call is
// on disk. Concurrent calls share a transaction.
func (s *Store) Sync() error {
	s.pendMu.Lock()
	target := s.seq
	done := s.durable >= target
	s.pendMu.Unlock()
	if done {
		return nil
	}
	return s.flush()
}

// flush writes every noted change in one transaction.
func (s *Store) flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.pendMu.Lock()
	if s.closed {
		s.pendMu.Unlock()
		return fmt.Errorf("data dir file %s: closed", s.path)
	}
	batch, upto, ids, virtual := s.pending, s.seq, s.ids, s.virtual
	if len(batch) == 0 {
		s.durable = upto
		s.pendMu.Unlock()
		return nil
	}
	s.pending = map[pendingKey]any{}
	s.pendMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := writeBatch(tx, batch); err != nil {
			return err
		}
		if ids != nil {
			b := tx.Bucket(bucketIDs)
			for p, n := range ids.Snapshot() {
				if err := b.Put([]byte(p), []byte(strconv.FormatUint(n, 10))); err != nil {
					return err
				}
			}
		}
		if virtual != nil {
			t, _ := virtual.Now().MarshalText()
			return tx.Bucket(bucketMeta).Put(metaClock, t)
		}
		return nil
	})
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if err != nil {
		// Put back what a newer note has not replaced, for the next try.
		for k, v := range batch {
			if _, newer := s.pending[k]; !newer {
				s.pending[k] = v
			}
		}
		return fmt.Errorf("data dir file %s: writing: %w", s.path, err)
	}
	s.durable = max(s.durable, upto)
	return nil
}

func (s *Store) flushLoop() {
	defer close(s.stopped)
	t := time.NewTicker(s.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.pendMu.Lock()
			n := len(s.pending)
			s.pendMu.Unlock()
			if n > 0 {
				_ = s.flush() // an error stays pending; the next answer's Sync reports it
			}
		}
	}
}

// Close writes what is noted and closes the file.
func (s *Store) Close() error {
	s.pendMu.Lock()
	if s.closed {
		s.pendMu.Unlock()
		return nil
	}
	s.pendMu.Unlock()
	close(s.stop)
	<-s.stopped
	err := s.flush()
	s.pendMu.Lock()
	s.closed = true
	s.pendMu.Unlock()
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	return errors.Join(err, s.db.Close())
}

// Reset empties the stored state (POST /_sfemu/reset, the console's
// Reset, a fixture load): notes of journals begun before it are dropped.
// loaded are the fixtures now loaded in place of the start-up ones (nil:
// the start-up ones again), kept so a restart loads them.
func (s *Store) Reset(loaded []byte) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.pendMu.Lock()
	s.gen++
	s.pending = map[pendingKey]any{}
	s.ids, s.virtual = nil, nil
	s.pendMu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range dataBuckets {
			if err := tx.DeleteBucket(b); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if loaded == nil {
			return meta.Delete(metaLoaded)
		}
		return meta.Put(metaLoaded, loaded)
	})
}

// LoadedFixtures are the fixtures a fixture load (POST /_sfemu/orgs) put
// in place of the start-up ones, as given to Reset; nil: none.
func (s *Store) LoadedFixtures() []byte {
	var out []byte
	_ = s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bucketMeta).Get(metaLoaded))
		return nil
	})
	return out
}
