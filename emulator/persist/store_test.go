package persist

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
)

// loaded is a store of the default org, with its fingerprint.
func loaded(t *testing.T, clk clock.Clock) (*org.Store, string) {
	t.Helper()
	fp := NewFingerprint()
	st, err := org.NewStore(clk, fp.Wrap([]org.Source{fixtures.DefaultOrg()})...)
	if err != nil {
		t.Fatal(err)
	}
	return st, fp.Sum()
}

func open(t *testing.T, dir, fingerprint string) *Store {
	t.Helper()
	s, err := Open(dir, Options{Fingerprint: fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// records lists an object's live and deleted records' values by field name.
func records(st *org.Store, object string) map[org.ID]map[string]any {
	o := st.Orgs()[0]
	obj := o.Data.Schema().Object(object)
	out := map[org.ID]map[string]any{}
	o.Data.Scan(obj, true, func(r *org.Record) bool {
		m := map[string]any{}
		for _, f := range obj.Fields {
			if v := r.Get(f); v != nil && f.Components == nil {
				m[f.Name] = v
			}
		}
		out[r.ID] = m
		return true
	})
	return out
}

func TestKeptStateComesBackAfterReopening(t *testing.T) {
	dir := t.TempDir()
	virtual := clock.NewVirtual(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st, fp := loaded(t, virtual)
	s := open(t, dir, fp)
	j := s.Begin(st.IDs, virtual)
	j.KeepAll(st)
	st.SetJournal(j)
	o := st.Orgs()[0]
	admin := st.User("admin@sfemu.example")
	acct := o.Data.Schema().Object("Account")
	now := virtual.Now()

	created, errs := o.Data.Insert(acct, map[string]any{"Name": "Kept Ltd", "AnnualRevenue": 1.5e6}, admin, now, org.DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	if _, errs := o.Data.Update(created.ID, map[string]any{"Name": "Kept Ltd (renamed)"}, admin, now); errs != nil {
		t.Fatal(errs)
	}
	gone, _ := o.Data.Insert(acct, map[string]any{"Name": "Deleted Ltd"}, admin, now, org.DMLOptions{})
	if err := o.Data.Delete(gone.ID, admin, now); err != nil {
		t.Fatal(err)
	}
	tx := org.NewTx()
	rolled, _ := o.Data.Insert(acct, map[string]any{"Name": "Rolled back Ltd"}, admin, now, org.DMLOptions{Tx: tx})
	tx.Rollback()
	// A fixture's record erased outright stays erased after a restart.
	var fixtureAccount org.ID
	o.Data.Scan(acct, false, func(r *org.Record) bool { fixtureAccount = r.ID; return false })
	o.Data.Erase(fixtureAccount)
	session := st.Sessions.Open(admin, nil, 2*time.Hour, false)
	ended := st.Sessions.Open(st.User("sender@sfemu.example"), nil, 2*time.Hour, false)
	st.Sessions.Revoke(ended.Token, "revoked at /services/oauth2/revoke")
	o.LoginHistory().Add(org.LoginEvent{UserID: string(admin.ID), Username: admin.Username, Status: org.LoginInvalidPassword})
	virtual.Advance(time.Hour)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	wantRecords := records(st, "Account")
	wantLogins := o.LoginHistory().Events()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	virtual2 := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st2, _ := loaded(t, virtual2)
	s2 := open(t, dir, fp)
	defer s2.Close()
	if s2.Fresh() {
		t.Error("a store with state reports itself fresh")
	}
	if err := s2.Load(st2, virtual2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRecords, records(st2, "Account")); diff != "" {
		t.Errorf("Account records after reopening (-before +after):\n%s", diff)
	}
	if _, ok := records(st2, "Account")[rolled.ID]; ok {
		t.Error("a rolled-back insert came back")
	}
	if got := st2.Sessions.Use(session.Token); got == nil || got.User.Username != admin.Username {
		t.Errorf("the open session's token does not work after reopening: %v", got)
	}
	if why, ok := st2.Sessions.Why(ended.Token); !ok || !strings.Contains(why.Cause, "revoked") {
		t.Errorf("how the revoked session ended: %+v, %v", why, ok)
	}
	if diff := cmp.Diff(wantLogins, st2.Orgs()[0].LoginHistory().Events()); diff != "" {
		t.Errorf("Login History after reopening (-before +after):\n%s", diff)
	}
	if got := st2.IDs.Next(acct.KeyPrefix); got <= rolled.ID {
		t.Errorf("next Account id %s after reopening; want past the last one issued, %s", got, rolled.ID)
	}
	if want := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC); !virtual2.Now().Equal(want) {
		t.Errorf("virtual clock after reopening at %s, want %s", virtual2.Now(), want)
	}
	if _, ok := records(st2, "Account")[fixtureAccount]; ok || fixtureAccount == "" {
		t.Errorf("the erased fixture record %q came back", fixtureAccount)
	}
	s2.Close()
	// The rolled-back insert's erasure marker erases nothing at the next
	// start: loading removed it; the fixture record's stays.
	withBolt(t, dir, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRecords)
		if b.Get([]byte(recordKey(o, rolled.ID))) != nil {
			t.Error("the rolled-back insert's erasure marker is still kept")
		}
		if b.Get([]byte(recordKey(o, fixtureAccount))) == nil {
			t.Error("the erased fixture record's marker is gone: a restart would bring the record back")
		}
		return nil
	})
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name string
		// prepare makes dir's file what the case is about.
		prepare func(t *testing.T, dir string)
		want    string
	}{
		{"a file of another format", func(t *testing.T, dir string) {
			open(t, dir, "fp").Close()
			withBolt(t, dir, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaFormat, []byte("99")) })
		}, `is of format "99", this sfemu reads format 1`},
		{"a file that is not a database", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(strings.Repeat("not bbolt ", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not an sfemu data file, or is damaged"},
		{"another program's database", func(t *testing.T, dir string) {
			withBolt(t, dir, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("widgets")); return err })
		}, `it has buckets ["widgets"] and no meta`},
		{"state of other fixtures", func(t *testing.T, dir string) {
			open(t, dir, "other fixtures").Close()
		}, "holds the state of other fixtures than these"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.prepare(t, dir)
			s, err := Open(dir, Options{Fingerprint: "fp"})
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q; want it to name %s and say %q", err, dir, tt.want)
			}
		})
	}
}

func withBolt(t *testing.T, dir string, f func(*bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(f); err != nil {
		t.Fatal(err)
	}
}

func TestResetOptionEmptiesStateOfOtherFixtures(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, "old")
	j := s.Begin(nil, nil)
	j.ForgetNotification(1)
	j.note(bucketSessions, "token", keptSession{Username: "x"}, true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{Fingerprint: "new", Reset: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Fresh() {
		t.Error("the reset store still holds state")
	}
}

func TestSecondOpenOfOneDirFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, "fp")
	defer s.Close()
	start := time.Now()
	_, err := Open(dir, Options{Fingerprint: "fp"})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another sfemu holds the data dir") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open: %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the second Open waited %s for the lock", waited)
	}
}

func TestFilePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	open(t, dir, "fp").Close()
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s has mode %o; want at most %o (it holds session tokens)", path, got, want)
		}
	}
}

func TestRecordCodecRoundTrip(t *testing.T) {
	st, _ := loaded(t, clock.Real{})
	o := st.Orgs()[0]
	acct := o.Data.Schema().Object("Account")
	r, errs := o.Data.Insert(acct, map[string]any{"Name": "Ünïcode Ltd", "AnnualRevenue": -0.25, "NumberOfEmployees": 12.0}, st.User("admin@sfemu.example"), time.Now(), org.DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	b, err := encodeRecord(r, acct.Name, r.Slot())
	if err != nil {
		t.Fatal(err)
	}
	kr, err := decodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, f := range kr.Fields {
		got[f.Name] = f.Value
	}
	want := records(st, "Account")[r.ID]
	if diff := cmp.Diff(want, got); diff != "" || kr.Object != "Account" || kr.Slot != r.Slot() {
		t.Errorf("decoded %s slot %d (-want +got):\n%s", kr.Object, kr.Slot, diff)
	}
	for n := range b {
		if _, err := decodeRecord(b[:n]); err == nil {
			t.Errorf("a record cut to %d of its %d bytes decoded", n, len(b))
		}
	}
}
