package org

import (
	"sync"
	"testing"
	"time"
)

// recordJournal keeps the last version of each record a journal is told
// of, as the data dir would.
type recordJournal struct {
	mu   sync.Mutex
	last map[ID]*Record
}

func (j *recordJournal) Record(_ *Org, id ID, r *Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.last == nil {
		j.last = map[ID]*Record{}
	}
	j.last[id] = r
}
func (j *recordJournal) LoginEvent(*Org, uint64, LoginEvent, uint64) {}
func (j *recordJournal) SessionOpened(SavedSession, bool)            {}
func (j *recordJournal) SessionEnded(string, Ended, uint64, string)  {}
func (j *recordJournal) version(id ID) *Record                       { j.mu.Lock(); defer j.mu.Unlock(); return j.last[id] }

// TestRowLocksOrderWritesAroundOpenTransactions: a record written inside a
// transaction is locked to it until it ends; another write of the record
// waits, then lands on what the transaction left (its commit, or the
// version its rollback put back), and is never undone by that rollback; a
// write that waits too long fails with UNABLE_TO_LOCK_ROW; the data dir's
// journal only ever sees committed versions.
func TestRowLocksOrderWritesAroundOpenTransactions(t *testing.T) {
	cases := []struct {
		name string
		// end ends the transaction holding the record (nil: never, within the wait).
		end                 func(*Tx)
		wantName, wantPhone string
		wantCode            string
		inTx                bool // the waiting write is itself inside a transaction
	}{
		{name: "a write waits for the commit and lands on the committed version", end: (*Tx).Commit, wantName: "Held", wantPhone: "555"},
		{name: "a write waits for the rollback and is not undone by it", end: (*Tx).Rollback, wantName: "Acme", wantPhone: "555"},
		{name: "a write in another transaction waits the same way", end: (*Tx).Rollback, wantName: "Acme", wantPhone: "555", inTx: true},
		{name: "a write that waits past the lock wait fails with UNABLE_TO_LOCK_ROW", wantName: "Acme", wantCode: "UNABLE_TO_LOCK_ROW"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, o := bookingStore(t)
			j := &recordJournal{}
			s.SetJournal(j)
			o.Data.SetRowLockWait(200 * time.Millisecond)
			user := s.User("sender@booking.example")
			acct := o.Schema.Object("Account")
			rec, errs := o.Data.Insert(acct, map[string]any{"Name": "Acme"}, user, dataNow, DMLOptions{})
			if errs != nil {
				t.Fatal(errs)
			}

			holder := NewTx()
			if _, errs := o.Data.UpdateIn(holder, rec.ID, map[string]any{"Name": "Held"}, user, dataNow); errs != nil {
				t.Fatal(errs)
			}
			// The holder writes its record again without waiting for itself.
			if _, errs := o.Data.UpdateIn(holder.Begin(), rec.ID, map[string]any{"Name": "Held"}, user, dataNow); errs != nil {
				t.Fatalf("the holder's second write: %v", errs)
			}
			if v := j.version(rec.ID); v == nil || v.GetName("Name") != "Acme" {
				t.Fatalf("the journal saw an uncommitted version: %v", v.GetName("Name"))
			}

			done := make(chan []DMLError, 1)
			var waiter *Tx
			if tc.inTx {
				waiter = NewTx()
			}
			go func() {
				_, errs := o.Data.UpdateIn(waiter, rec.ID, map[string]any{"Phone": "555"}, user, dataNow)
				done <- errs
			}()
			select {
			case errs := <-done:
				if tc.end != nil {
					t.Fatalf("the write did not wait for the transaction holding the record: %v", errs)
				}
			case <-time.After(50 * time.Millisecond):
			}
			var errs2 []DMLError
			if tc.end != nil {
				tc.end(holder)
				errs2 = <-done
				waiter.Commit()
			} else {
				select {
				case errs2 = <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("the write waited past the lock wait")
				}
				holder.Rollback()
			}
			if tc.wantCode != "" {
				if len(errs2) != 1 || errs2[0].StatusCode != tc.wantCode || errs2[0].Message != "unable to obtain exclusive access to this record or 1 records: "+string(rec.ID) {
					t.Fatalf("errors %+v, want %s", errs2, tc.wantCode)
				}
			} else if errs2 != nil {
				t.Fatalf("the waiting write failed: %v", errs2)
			}
			got := o.Data.Get(rec.ID)
			phone, _ := got.GetName("Phone").(string)
			if got.GetName("Name") != tc.wantName || phone != tc.wantPhone {
				t.Errorf("record: Name %v, Phone %q; want %s, %q", got.GetName("Name"), phone, tc.wantName, tc.wantPhone)
			}
			if v := j.version(rec.ID); v != got {
				t.Errorf("the journal's last version (Name %v) is not the stored one (Name %v)", v.GetName("Name"), got.GetName("Name"))
			}
			// Nothing is left locked: a plain write goes through at once.
			if _, errs := o.Data.Update(rec.ID, map[string]any{"Phone": "556"}, user, dataNow); errs != nil {
				t.Errorf("a write after both ended: %v", errs)
			}
		})
	}
}
