package persist

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
)

// Journal notes one loaded state's changes for its Store: it is the
// org.Journal of the org store and the outbound.Journal of the dispatcher.
// A reset begins another; the old one's notes (an old dispatcher closing,
// a request still running over the old orgs) are then dropped.
type Journal struct {
	s   *Store
	gen uint64
}

var (
	_ org.Journal      = (*Journal)(nil)
	_ outbound.Journal = (*Journal)(nil)
)

// Begin returns the journal of a freshly loaded state: its id sequences
// and virtual clock (nil on the real clock) are written with every flush.
func (s *Store) Begin(ids *org.IDSequence, virtual *clock.Virtual) *Journal {
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	s.ids, s.virtual = ids, virtual
	return &Journal{s: s, gen: s.gen}
}

// KeepAll notes every record of st, for a store that holds none yet: a
// restart then brings back the fixtures' records exactly as they were
// first loaded (their audit dates were stamped at that load).
func (j *Journal) KeepAll(st *org.Store) {
	for _, o := range st.Orgs() {
		o.Data.EachStored(func(r *org.Record) { j.Record(o, r.ID, r) })
	}
}

// pendingKey is one stored key in one bucket.
type pendingKey struct {
	bucket string
	key    string
}

// deletion is a pending key's removal.
type deletion struct{}

// recordNote is a record version to write (r nil: erased).
type recordNote struct{ r *org.Record }

// note records the latest value of a key; acknowledged changes are what
// Sync waits for.
func (j *Journal) note(bucket []byte, key string, v any, acknowledged bool) {
	s := j.s
	s.pendMu.Lock()
	defer s.pendMu.Unlock()
	if j.gen != s.gen || s.closed {
		return
	}
	s.pending[pendingKey{string(bucket), key}] = v
	if acknowledged {
		s.seq++
	}
}

func recordKey(o *org.Org, id org.ID) string { return o.ID.Short() + string(id) }

func seqKey(prefix string, n uint64) string {
	return string(binary.BigEndian.AppendUint64([]byte(prefix), n))
}

// Record implements org.Journal.
func (j *Journal) Record(o *org.Org, id org.ID, r *org.Record) {
	j.note(bucketRecords, recordKey(o, id), recordNote{r}, true)
}

// LoginEvent implements org.Journal.
func (j *Journal) LoginEvent(o *org.Org, seq uint64, e org.LoginEvent, dropped uint64) {
	if dropped > 0 {
		j.note(bucketLogins, seqKey(o.ID.Short(), dropped), deletion{}, true)
	}
	j.note(bucketLogins, seqKey(o.ID.Short(), seq), e, true)
}

// SessionOpened implements org.Journal.
func (j *Journal) SessionOpened(s org.SavedSession, renewed bool) {
	j.note(bucketSessions, s.Token, keptSession{ID: s.ID, Username: s.Username, ConsumerKey: s.ConsumerKey, Created: s.Created, Timeout: s.Timeout, LastUsed: s.LastUsed}, !renewed)
}

// SessionEnded implements org.Journal.
func (j *Journal) SessionEnded(token string, e org.Ended, order uint64, forgotten string) {
	j.note(bucketSessions, token, deletion{}, true)
	j.note(bucketEnded, token, keptEnded{Order: order, Ended: e}, true)
	if forgotten != "" {
		j.note(bucketEnded, forgotten, deletion{}, true)
	}
}

// Notification implements outbound.Journal.
func (j *Journal) Notification(n outbound.KeptNotification) {
	m := n.Message
	j.note(bucketQueue, seqKey("", n.Seq), keptNotification{Seq: n.Seq, ID: string(n.ID), OrgID: string(m.Org.ID), MessageID: string(m.ID),
		RecordID: string(n.RecordID), Endpoint: n.Endpoint, QueuedAt: n.QueuedAt, Attempts: n.Attempts, NextAttempt: n.NextAttempt,
		LastFailure: n.LastFailure, LastAttempt: n.LastAttempt, DroppedAt: n.DroppedAt, State: n.State, DuplicateOf: string(n.DuplicateOf),
		DueNow: n.DueNow}, true)
}

// ForgetNotification implements outbound.Journal.
func (j *Journal) ForgetNotification(seq uint64) {
	j.note(bucketQueue, seqKey("", seq), deletion{}, true)
}

// Attempt implements outbound.Journal.
func (j *Journal) Attempt(a outbound.Attempt, forgotten int64) {
	if forgotten > 0 {
		j.note(bucketAttempts, seqKey("", uint64(forgotten)), deletion{}, true)
	}
	j.note(bucketAttempts, seqKey("", uint64(a.ID)), a, true)
}

// writeBatch writes noted values in a transaction.
func writeBatch(tx *bolt.Tx, batch map[pendingKey]any) error {
	buckets := map[string]*bolt.Bucket{}
	for k, v := range batch {
		b := buckets[k.bucket]
		if b == nil {
			if b = tx.Bucket([]byte(k.bucket)); b == nil {
				return fmt.Errorf("no %s bucket", k.bucket)
			}
			buckets[k.bucket] = b
		}
		var val []byte
		var err error
		switch x := v.(type) {
		case deletion:
			if err := b.Delete([]byte(k.key)); err != nil {
				return err
			}
			continue
		case recordNote:
			if x.r == nil {
				val, err = encodeRecord(nil, "", 0)
			} else {
				val, err = encodeRecord(x.r, x.r.Object.Name, x.r.Slot())
			}
		default:
			val, err = json.Marshal(v)
		}
		if err != nil {
			return err
		}
		if err := b.Put([]byte(k.key), val); err != nil {
			return err
		}
	}
	return nil
}
