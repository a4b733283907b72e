package org

import (
	"time"
)

// Row locks: a record written inside a transaction stays locked to that
// transaction until it commits or rolls back, and any other write of the
// record waits for it — Salesforce's record locking ("Unable to lock row -
// Record currently unavailable errors", Salesforce Help knowledge article
// 000229525: "a given transaction can only wait a maximum of 10 seconds for
// a lock to be released, otherwise it will time out" with
// UNABLE_TO_LOCK_ROW).
//
// Without them, a write landing on a record that an open all-or-none
// request had written was undone by that request's rollback (which put
// back the version it had replaced), and a commit of one request could
// write another's uncommitted version to the data dir.
//
// Records a transaction creates are not locked: no one else can name them
// before the request that creates them answers.

// DefaultRowLockWait is how long a write waits for a record another
// transaction holds before failing with UNABLE_TO_LOCK_ROW: Salesforce's
// 10 seconds.
const DefaultRowLockWait = 10 * time.Second

// SetRowLockWait changes how long a write waits for a locked record (0:
// DefaultRowLockWait), for tests that want the failure sooner.
func (d *Data) SetRowLockWait(wait time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lockWait = wait
}

// awaitRowLocked is called, under the data lock, before a write of id
// inside tx (nil: none): it waits while another transaction holds the
// record — releasing the data lock meanwhile, so the caller must read the
// record afresh after it — and then, inside a transaction, locks the record
// to it until it ends.
func (d *Data) awaitRowLocked(tx *Tx, id ID) *DMLError {
	root := tx.root()
	var timer *time.Timer
	for {
		owner := d.locks[id]
		if owner == nil || owner == root {
			break
		}
		if timer == nil {
			wait := d.lockWait
			if wait <= 0 {
				wait = DefaultRowLockWait
			}
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		d.mu.Unlock()
		select {
		case <-owner.released:
			d.mu.Lock()
		case <-timer.C:
			d.mu.Lock()
			if d.locks[id] != owner {
				continue
			}
			return &DMLError{StatusCode: "UNABLE_TO_LOCK_ROW", Message: "unable to obtain exclusive access to this record or 1 records: " + string(id), Fields: []string{}}
		}
	}
	if root == nil || d.locks[id] == root {
		return nil
	}
	if d.locks == nil {
		d.locks = map[ID]*Tx{}
	}
	d.locks[id] = root
	root.holds(d, id)
	return nil
}

// root is the top-level transaction t belongs to (nil: none).
func (t *Tx) root() *Tx {
	for t != nil && t.parent != nil {
		t = t.parent
	}
	return t
}

// holds notes a record locked to the top-level transaction t.
func (t *Tx) holds(d *Data, id ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.locked == nil {
		t.locked = map[*Data][]ID{}
	}
	t.locked[d] = append(t.locked[d], id)
}

// unlock releases the records the top-level transaction t locked, and wakes
// the writes waiting for them.
func (t *Tx) unlock() {
	t.mu.Lock()
	locked := t.locked
	t.locked = nil
	t.mu.Unlock()
	for d, ids := range locked {
		d.mu.Lock()
		for _, id := range ids {
			if d.locks[id] == t {
				delete(d.locks, id)
			}
		}
		d.mu.Unlock()
	}
	if t.released != nil {
		t.releaseOnce.Do(func() { close(t.released) })
	}
}
