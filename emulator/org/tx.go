package org

import (
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
	undo  []func()
	saves []pendingSave
	done  bool
}

// pendingSave is one OnSave run held back until commit.
type pendingSave struct {
	d             *Data
	before, after *Record
	by            *User
}

// NewTx begins a top-level transaction.
func NewTx() *Tx { return &Tx{} }

// Begin begins a transaction inside t; on a nil t, a top-level one.
func (t *Tx) Begin() *Tx { return &Tx{parent: t} }

// Commit makes the writes final: inside another transaction it hands them
// to it; at the top it runs the held OnSave hooks in the order of the saves.
// A Tx commits or rolls back once; later calls, and calls on a nil Tx, do
// nothing.
func (t *Tx) Commit() {
	undo, saves, ok := t.finish()
	if !ok {
		return
	}
	if t.parent != nil {
		t.parent.mu.Lock()
		t.parent.undo = append(t.parent.undo, undo...)
		t.parent.saves = append(t.parent.saves, saves...)
		t.parent.mu.Unlock()
		return
	}
	for _, s := range saves {
		s.d.saved(s.before, s.after, s.by)
	}
}

// Rollback undoes every write, newest first, and drops the held hooks:
// no rule fires and no message is queued for a save that did not commit.
func (t *Tx) Rollback() {
	undo, _, ok := t.finish()
	if !ok {
		return
	}
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
}

func (t *Tx) finish() ([]func(), []pendingSave, bool) {
	if t == nil {
		return nil, nil, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return nil, nil, false
	}
	t.done = true
	undo, saves := t.undo, t.saves
	t.undo, t.saves = nil, nil
	return undo, saves, true
}

// wrote records a write's undo and its OnSave run; with no transaction the
// hooks run at once.
func (t *Tx) wrote(d *Data, undo func(), before, after *Record, by *User) {
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

// UpdateIn is Update inside tx (nil: no transaction).
func (d *Data) UpdateIn(tx *Tx, id ID, fields map[string]any, user *User, now time.Time) (*Record, []DMLError) {
	return d.update(tx, id, fields, user, now)
}

// DeleteIn is Delete inside tx (nil: no transaction).
func (d *Data) DeleteIn(tx *Tx, id ID, user *User, now time.Time) *DMLError {
	prev, err := d.delete(id, user, now)
	if err == nil {
		tx.wrote(d, func() { d.Restore(prev) }, nil, nil, user)
	}
	return err
}

// UndeleteIn is Undelete inside tx (nil: no transaction).
func (d *Data) UndeleteIn(tx *Tx, id ID, user *User, now time.Time) *DMLError {
	prev, err := d.undelete(id, user, now)
	if err == nil {
		tx.wrote(d, func() { d.Restore(prev) }, nil, nil, user)
	}
	return err
}
