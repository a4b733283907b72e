package persist

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/wire"
)

// Load puts the kept state on top of a store freshly loaded from the same
// fixtures: record versions (and erasures), id sequences, sessions and how
// the latest ended, Login History, and the virtual clock's time (a clock
// kept on: queued retries are scheduled on it, and sessions' use times
// are its). virtual is nil on the real clock. A value that does not
// decode is an error naming the file, bucket and key.
func (s *Store) Load(st *org.Store, virtual *clock.Virtual) error {
	var spent [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if virtual != nil {
			if raw := tx.Bucket(bucketMeta).Get(metaClock); raw != nil {
				var t time.Time
				if err := t.UnmarshalText(raw); err != nil {
					return s.badValue(bucketMeta, metaClock, err)
				}
				virtual.Restart(t)
			}
		}
		last := map[string]uint64{}
		if err := tx.Bucket(bucketIDs).ForEach(func(k, v []byte) error {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return s.badValue(bucketIDs, k, err)
			}
			last[string(k)] = n
			return nil
		}); err != nil {
			return err
		}
		st.IDs.Continue(last)
		var err error
		if spent, err = s.loadRecords(tx, st); err != nil {
			return err
		}
		if err := s.loadLogins(tx, st); err != nil {
			return err
		}
		return s.loadSessions(tx, st)
	})
	if err != nil {
		return err
	}
	return s.compactErased(spent)
}

func (s *Store) badValue(bucket, key []byte, err error) error {
	return fmt.Errorf("data dir file %s: bucket %s key %q: %w (remove the dir, or start with --data-dir-reset)", s.path, bucket, key, err)
}

// compactErased removes the erasure markers that erase nothing: those of
// records made after a start and erased since (a rolled-back create). A
// marker is only needed for a fixture's record, which each start loads
// again; the others would pile up, one per rolled-back create, for ever.
func (s *Store) compactErased(keys [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadRecords puts the kept record versions back; spent are the keys of
// erasure markers for records the fixtures do not have.
func (s *Store) loadRecords(tx *bolt.Tx, st *org.Store) (spent [][]byte, err error) {
	err = tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
		if len(k) <= 15 {
			return s.badValue(bucketRecords, k, fmt.Errorf("not an org id and a record id"))
		}
		o := st.Org(string(k[:15]))
		if o == nil {
			return s.badValue(bucketRecords, k, fmt.Errorf("no org %s is loaded", k[:15]))
		}
		id := org.ID(k[15:])
		kr, err := decodeRecord(v)
		if err != nil {
			return s.badValue(bucketRecords, k, err)
		}
		if kr.Erased {
			if o.Data.Get(id) == nil {
				spent = append(spent, append([]byte(nil), k...))
				return nil
			}
			o.Data.ReloadErased(id)
			return nil
		}
		obj := o.Data.Schema().Object(kr.Object)
		if obj == nil {
			return s.badValue(bucketRecords, k, fmt.Errorf("org %s has no object %s", o.Name, kr.Object))
		}
		values := make([]any, len(obj.Fields))
		for _, f := range kr.Fields {
			field := obj.Field(f.Name)
			if field == nil || field.Index >= len(values) {
				return s.badValue(bucketRecords, k, fmt.Errorf("%s has no field %s", obj.Name, f.Name))
			}
			values[field.Index] = f.Value
		}
		if err := o.Data.Reload(obj, id, kr.Slot, values); err != nil {
			return s.badValue(bucketRecords, k, err)
		}
		return nil
	})
	return spent, err
}

func (s *Store) loadLogins(tx *bolt.Tx, st *org.Store) error {
	rows := map[*org.Org][]org.LoginEvent{}
	last := map[*org.Org]uint64{}
	err := tx.Bucket(bucketLogins).ForEach(func(k, v []byte) error {
		if len(k) != 15+8 {
			return s.badValue(bucketLogins, k, fmt.Errorf("not an org id and a row number"))
		}
		o := st.Org(string(k[:15]))
		if o == nil {
			return s.badValue(bucketLogins, k, fmt.Errorf("no org %s is loaded", k[:15]))
		}
		e, err := decodeJSON[wire.LoginEvent](v, "Login History row")
		if err != nil {
			return s.badValue(bucketLogins, k, err)
		}
		rows[o] = append(rows[o], e)
		last[o] = max(last[o], binary.BigEndian.Uint64(k[15:]))
		return nil
	})
	if err != nil {
		return err
	}
	for o, r := range rows {
		o.LoginHistory().Reload(r, last[o])
	}
	return nil
}

func (s *Store) loadSessions(tx *bolt.Tx, st *org.Store) error {
	var open []org.SavedSession
	err := tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
		ks, err := decodeJSON[keptSession](v, "session")
		if err != nil {
			return s.badValue(bucketSessions, []byte("(a token)"), err)
		}
		open = append(open, org.SavedSession{ID: ks.ID, Token: string(k), Username: ks.Username, ConsumerKey: ks.ConsumerKey,
			Created: ks.Created, Timeout: ks.Timeout, LastUsed: ks.LastUsed})
		return nil
	})
	if err != nil {
		return err
	}
	var ended []org.EndedSession
	err = tx.Bucket(bucketEnded).ForEach(func(k, v []byte) error {
		ke, err := decodeJSON[keptEnded](v, "ended session")
		if err != nil {
			return s.badValue(bucketEnded, []byte("(a token)"), err)
		}
		ended = append(ended, org.EndedSession{Token: string(k), Ended: ke.Ended, Order: ke.Order})
		return nil
	})
	if err != nil {
		return err
	}
	st.Sessions.Reload(st, open, ended)
	return nil
}

// LoadQueue reads back the outbound queue and the attempt journal, for
// outbound.Dispatcher.Reload; each notification's message is found again
// in st by org and ActionId.
func (s *Store) LoadQueue(st *org.Store) ([]outbound.KeptNotification, []outbound.Attempt, error) {
	var kept []outbound.KeptNotification
	var attempts []outbound.Attempt
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketQueue).ForEach(func(k, v []byte) error {
			kn, err := decodeJSON[keptNotification](v, "outbound notification")
			if err != nil {
				return s.badValue(bucketQueue, k, err)
			}
			switch {
			case len(k) != 8 || kn.Seq == 0 || binary.BigEndian.Uint64(k) != kn.Seq:
				return s.badValue(bucketQueue, k, fmt.Errorf("queue number %d under another key", kn.Seq))
			case kn.State != outbound.Pending && kn.State != outbound.InFlight && kn.State != outbound.Delivered && kn.State != outbound.Dropped:
				return s.badValue(bucketQueue, k, fmt.Errorf("state %q is none of Pending, InFlight, Delivered, Dropped", kn.State))
			}
			m := findMessage(st, kn.OrgID, kn.MessageID)
			if m == nil {
				return s.badValue(bucketQueue, k, fmt.Errorf("no outbound message %s in org %s is loaded", kn.MessageID, kn.OrgID))
			}
			kept = append(kept, outbound.KeptNotification{Seq: kn.Seq, DueNow: kn.DueNow, Item: outbound.Item{
				ID: org.ID(kn.ID), Message: m, RecordID: org.ID(kn.RecordID), Endpoint: kn.Endpoint, QueuedAt: kn.QueuedAt,
				Attempts: kn.Attempts, NextAttempt: kn.NextAttempt, LastFailure: kn.LastFailure, LastAttempt: kn.LastAttempt,
				DroppedAt: kn.DroppedAt, State: kn.State, DuplicateOf: org.ID(kn.DuplicateOf)}})
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketAttempts).ForEach(func(k, v []byte) error {
			a, err := decodeJSON[outbound.Attempt](v, "delivery attempt")
			if err != nil {
				return s.badValue(bucketAttempts, k, err)
			}
			attempts = append(attempts, a)
			return nil
		})
	})
	return kept, attempts, err
}

func findMessage(st *org.Store, orgID, messageID string) *org.OutboundMessage {
	o := st.Org(orgID)
	if o == nil {
		return nil
	}
	for _, m := range o.OutboundMessages {
		if string(m.ID) == messageID {
			return m
		}
	}
	return nil
}
