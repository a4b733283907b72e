package org

import (
	"reflect"
	"testing"
)

// TestTransactionsRunHooksOnlyOnCommit: a save's OnSave hooks (the rules
// behind outbound messages) wait for its transaction; a rollback erases the
// writes and drops the hooks; a nested transaction's commit hands its work to
// the outer one; no transaction runs them at once.
func TestTransactionsRunHooksOnlyOnCommit(t *testing.T) {
	s, o := bookingStore(t)
	user := s.User("sender@booking.example")
	acct := o.Schema.Object("Account")
	var fired []string
	o.Data.OnSave(func(_, after *Record, _ *User) { fired = append(fired, after.GetName("Name").(string)) })
	now := dataNow
	insert := func(tx *Tx, name string) *Record {
		t.Helper()
		r, errs := o.Data.Insert(acct, map[string]any{"Name": name}, user, now, DMLOptions{Tx: tx})
		if errs != nil {
			t.Fatal(errs)
		}
		return r
	}

	outer := NewTx()
	a := insert(outer, "A")
	inner := outer.Begin()
	b := insert(inner, "B")
	if _, errs := o.Data.UpdateIn(inner, a.ID, map[string]any{"Name": "A2"}, user, now); errs != nil {
		t.Fatal(errs)
	}
	inner.Commit()
	if len(fired) != 0 {
		t.Fatalf("hooks ran before the outer commit: %v", fired)
	}
	outer.Rollback()
	if len(fired) != 0 || o.Data.Get(a.ID) != nil || o.Data.Get(b.ID) != nil {
		t.Fatalf("after rollback: fired %v, A %v, B %v", fired, o.Data.Get(a.ID), o.Data.Get(b.ID))
	}

	tx := NewTx()
	c := insert(tx, "C")
	if _, errs := o.Data.UpdateIn(tx, c.ID, map[string]any{"Name": "C2"}, user, now); errs != nil {
		t.Fatal(errs)
	}
	tx.Commit()
	tx.Commit() // a second commit does nothing
	if !reflect.DeepEqual(fired, []string{"C", "C2"}) {
		t.Fatalf("committed hooks: %v, want [C C2] in save order", fired)
	}

	fired = nil
	insert(nil, "D")
	if !reflect.DeepEqual(fired, []string{"D"}) {
		t.Fatalf("without a transaction: %v, want [D] at once", fired)
	}

	tx = NewTx()
	if err := o.Data.DeleteIn(tx, c.ID, user, now); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if r := o.Data.Get(c.ID); r == nil || r.Deleted() || r.GetName("Name") != "C2" {
		t.Fatalf("a rolled-back delete left %v", r)
	}
}
