package org

import (
	"slices"
	"sync"
	"time"
)

// Tx is one all-or-none unit of writes: a composite call with allOrNone, an
// sObject Collections or Tree request, a SOAP call with AllOrNoneHeader.
//
// Salesforce runs workflow rules, flows and the outbound messages they queue
// inside the transaction that saved the record (Apex Developer Guide,
// "Triggers and Order of Execution": workflow rules run before the commit,
// and a failure rolls the whole transaction back), so a rolled-back save
// leaves no message behind. org.Data writes at once, so a Tx keeps the two
// things a rollback must take back: how to undo each write (erase a created
// record, put back the version an update or
// delete replaced) and the OnSave hooks each save would have run. Commit
// runs the hooks, in save order; Rollback undoes the writes, newest first,
// and drops the hooks.
//
// A Tx begun inside another (Begin on a non-nil Tx: a Collections request
// inside an allOrNone composite call) hands its work to the outer one on
// Commit, so the outer rollback still takes it back. A nil *Tx is no
// transaction: every write commits, and runs its hooks, as it happens.
type Tx struct {
	parent *Tx

	mu    sync.Mutex
	undo  []func(into *Tx)
	saves []pendingSave
	// touched are the records written, for the journal to keep at the
	// top-level commit (Data.keptLocked); only when the org has one.
	touched map[*Data][]ID
	done    bool

	// locked are the records a top-level transaction holds (rowlock.go);
	// released is closed when it ends, waking the writes waiting for them.
	locked      map[*Data][]ID
	released    chan struct{}
	releaseOnce sync.Once
}

// pendingSave is one OnSave run held back until commit.
type pendingSave struct {
	d             *Data
	before, after *Record
	by            *User
}

// NewTx begins a top-level transaction.
func NewTx() *Tx { return &Tx{released: make(chan struct{})} }

// Begin begins a transaction inside t; on a nil t, a top-level one.
func (t *Tx) Begin() *Tx {
	if t == nil {
		return NewTx()
	}
	return &Tx{parent: t}
}

// Commit makes the writes final: inside another transaction it hands them
// to it; at the top it runs the held OnSave hooks in the order of the saves.
// A Tx commits or rolls back once; later calls, and calls on a nil Tx, do
// nothing.
func (t *Tx) Commit() {
	undo, saves, touched, ok := t.finish()
	if !ok {
		return
	}
	if t.parent != nil {
		t.parent.mu.Lock()
		t.parent.undo = append(t.parent.undo, undo...)
		t.parent.saves = append(t.parent.saves, saves...)
		for d, ids := range touched {
			if t.parent.touched == nil {
				t.parent.touched = map[*Data][]ID{}
			}
			t.parent.touched[d] = append(t.parent.touched[d], ids...)
		}
		t.parent.mu.Unlock()
		return
	}
	for d, ids := range touched {
		d.keepTouched(ids)
	}
	// The records are free before the hooks run: a rule's field update
	// writes the record it fired for.
	t.unlock()
	for _, s := range saves {
		s.d.saved(s.before, s.after, s.by)
	}
}

// Rollback undoes every write, newest first, and drops the held hooks:
// no rule fires and no message is queued for a save that did not commit.
//
// The undoing is itself a write of the enclosing transaction, if any: a
// journal keeps it when that one commits.
func (t *Tx) Rollback() {
	undo, _, _, ok := t.finish()
	if !ok {
		return
	}
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i](t.parent)
	}
	if t.parent == nil {
		t.unlock()
	}
}

func (t *Tx) finish() ([]func(into *Tx), []pendingSave, map[*Data][]ID, bool) {
	if t == nil {
		return nil, nil, nil, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, nil, nil, false
	}
	t.done = true
	undo, saves, touched := t.undo, t.saves, t.touched
	t.undo, t.saves, t.touched = nil, nil, nil
	return undo, saves, touched, true
}

// touch notes a record written inside t, under the data lock.
func (t *Tx) touch(d *Data, id ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		// Written after the end (a caller's bug): keep it at once.
		d.journal.Record(d.org, id, d.byID[id])
		return
	}
	if t.touched == nil {
		t.touched = map[*Data][]ID{}
	}
	t.touched[d] = append(t.touched[d], id)
}

// wrote records a write's undo and its OnSave run; with no transaction the
// hooks run at once.
func (t *Tx) wrote(d *Data, undo func(into *Tx), before, after *Record, by *User) {
	if t == nil {
		if after != nil {
			d.saved(before, after, by)
		}
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if undo != nil {
		t.undo = append(t.undo, undo)
	}
	if after != nil {
		t.saves = append(t.saves, pendingSave{d: d, before: before, after: after, by: by})
	}
}

// created is wrote for records a batch created, in order (records[k] each):
// one undo erases them all, newest first, as their undos one by one would.
func (t *Tx) created(d *Data, records []Record, by *User) {
	if t == nil {
		for k := range records {
			d.saved(nil, &records[k], by)
		}
		return
	}
	ids := make([]ID, len(records))
	for k := range records {
		ids[k] = records[k].ID
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.undo = append(t.undo, func(into *Tx) {
		for k := len(ids) - 1; k >= 0; k-- {
			d.erase(into, ids[k])
		}
	})
	t.saves = slices.Grow(t.saves, len(records))
	for k := range records {
		t.saves = append(t.saves, pendingSave{d: d, after: &records[k], by: by})
	}
}

// UpdateIn is Update inside tx (nil: no transaction).
func (d *Data) UpdateIn(tx *Tx, id ID, fields map[string]any, user *User, now time.Time) (*Record, []DMLError) {
	return d.update(tx, id, fields, user, now)
}

// DeleteIn is Delete inside tx (nil: no transaction).
func (d *Data) DeleteIn(tx *Tx, id ID, user *User, now time.Time) *DMLError {
	prev, err := d.delete(tx, id, user, now)
	if err == nil {
		tx.wrote(d, func(into *Tx) { d.restore(into, prev) }, nil, nil, user)
	}
	return err
}

// UndeleteIn is Undelete inside tx (nil: no transaction).
func (d *Data) UndeleteIn(tx *Tx, id ID, user *User, now time.Time) *DMLError {
	prev, err := d.undelete(tx, id, user, now)
	if err == nil {
		tx.wrote(d, func(into *Tx) { d.restore(into, prev) }, nil, nil, user)
	}
	return err
}
