package org

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/clock"
)

// batchOrg is bookingOrg with a platform event.
var batchOrg = strings.Replace(bookingOrg, "objects:\n", `objects:
  Call_Ended__e:
    fields:
      Call_Id__c: {type: text, length: 64, required: true}
`, 1)

func batchStore(t *testing.T) *Org {
	t.Helper()
	s, err := NewStore(clock.NewVirtual(dataNow), Source{Name: "batch.yaml", Data: []byte(batchOrg)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Orgs()[0]
}

// stored is what a comparison looks at: every record of o with its values,
// and the ids each indexed field's lookup finds for each stored value.
// sameStored compares the records and lookups of obj in one (stored row by
// row) and bobj in batch (stored the other way, named how).
func sameStored(t *testing.T, how string, one *Org, obj *Object, batch *Org, bobj *Object) {
	t.Helper()
	wantRecs, wantLookups := stored(one, obj)
	gotRecs, gotLookups := stored(batch, bobj)
	if diff := cmp.Diff(wantRecs, gotRecs); diff != "" {
		t.Errorf("records (-one by one +%s):\n%s", how, diff)
	}
	if diff := cmp.Diff(wantLookups, gotLookups); diff != "" {
		t.Errorf("lookups (-one by one +%s):\n%s", how, diff)
	}
}

// storedRows counts the rows an insert stored (no errors).
func storedRows(errs [][]DMLError) int {
	n := 0
	for _, e := range errs {
		if e == nil {
			n++
		}
	}
	return n
}

func stored(o *Org, obj *Object) (recs [][]any, lookups map[string][]ID) {
	lookups = map[string][]ID{}
	o.Data.Scan(obj, true, func(r *Record) bool {
		recs = append(recs, append([]any{string(r.ID)}, fullValues(r)...))
		for _, f := range obj.Fields {
			if !(f.Indexed || f.ExternalID || f.Unique) || r.Get(f) == nil {
				continue
			}
			found, _ := o.Data.Lookup(obj, f, r.Get(f), true)
			key := fmt.Sprintf("%s=%v", f.Name, r.Get(f))
			lookups[key] = nil
			for _, fr := range found {
				lookups[key] = append(lookups[key], fr.ID)
			}
		}
		return true
	})
	return recs, lookups
}

func TestInsertBatchIsInsertOneByOne(t *testing.T) {
	// The n-th Account inserted gets the n-th id after the fixture's.
	probe := batchStore(t)
	nextAccount := func(n int) string {
		return string(MakeID(probe.Schema.Object("Account").KeyPrefix, uint64(1+n)))
	}
	long := strings.Repeat("x", 21)
	tests := []struct {
		object string
		rows   []map[string]any
	}{
		{"Lead", []map[string]any{
			{"LastName": "Ok 1", "Company": "A", "Region__c": "EMEA", "Legacy_Id__c": "L-1"},
			{"LastName": "No region", "Company": "A"},
			{"LastName": "Ok 2", "Company": "B", "Region__c": "APAC", "Rating__c": "Hot", "Legacy_Id__c": "l-1"},
			{"LastName": "Bad rating", "Company": "A", "Region__c": "EMEA", "Rating__c": "Cold"},
			{"LastName": "Too long", "Company": "A", "Region__c": "EMEA", "Legacy_Id__c": long},
			{"Id": "00Q000000000001", "LastName": "With id", "Company": "A", "Region__c": "EMEA"},
			{"LastName": "Two errors", "Company": "A", "Region__c": "EMEA", "Rating__c": "Cold", "Nope__c": 1, "Legacy_Id__c": long},
			{"LastName": "Ok 3", "Company": "C", "Region__c": "AMER", "Source_System__c": "Phone", "Legacy_Id__c": "L-3"},
			{"lastname": "Ok 4 lower-case names", "company": "C", "region__c": "AMER", "CreatedDate": "2020-01-01T00:00:00Z"},
		}},
		{"Account", []map[string]any{
			{"Name": "Parent"},
			{"Name": "Child of a record of this batch", "ParentId": nextAccount(1)},
			{"Name": "Child of nothing", "ParentId": "001000000009999"},
			{"Industry": "Energy"},
			{"Name": "Child of the first again", "ParentId": nextAccount(1), "AnnualRevenue": "12.5"},
			{"Name": "Bad number", "AnnualRevenue": "lots"},
		}},
		{"Call_Ended__e", []map[string]any{
			{"Call_Id__c": "c-1"},
			{},
			{"Call_Id__c": "c-2"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			one, batch := batchStore(t), batchStore(t)
			var savedOne, savedBatch []ID
			one.Data.OnSave(func(_, r *Record, _ *User) { savedOne = append(savedOne, r.ID) })
			batch.Data.OnSave(func(_, r *Record, _ *User) { savedBatch = append(savedBatch, r.ID) })
			obj := one.Schema.Object(tt.object)
			user := one.Users[0]
			var wantIDs []ID
			var wantErrs [][]DMLError
			for _, m := range tt.rows {
				r, errs := one.Data.Insert(obj, m, user, dataNow, DMLOptions{})
				var id ID
				if r != nil {
					id = r.ID
				}
				wantIDs, wantErrs = append(wantIDs, id), append(wantErrs, errs)
			}
			bobj := batch.Schema.Object(tt.object)
			recs, gotErrs := batch.Data.InsertBatch(bobj, tt.rows, batch.Users[0], dataNow, DMLOptions{})
			var gotIDs []ID
			for _, r := range recs {
				var id ID
				if r != nil {
					id = r.ID
				}
				gotIDs = append(gotIDs, id)
			}
			if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
				t.Errorf("ids (-one by one +batch):\n%s", diff)
			}
			if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
				t.Errorf("errors (-one by one +batch):\n%s", diff)
			}
			if diff := cmp.Diff(savedOne, savedBatch); diff != "" {
				t.Errorf("OnSave (-one by one +batch):\n%s", diff)
			}
			if obj.PlatformEvent {
				var want, got []map[string]any
				for _, ev := range one.Events().Events() {
					want = append(want, ev.Fields)
				}
				for _, ev := range batch.Events().Events() {
					got = append(got, ev.Fields)
				}
				if len(want) != 2 || cmp.Diff(want, got) != "" {
					t.Errorf("events: one by one %v, batch %v", want, got)
				}
				return
			}
			sameStored(t, "batch", one, obj, batch, bobj)
			if n := storedRows(gotErrs); n < 2 || n == len(tt.rows) {
				t.Errorf("%d of %d rows stored: the test wants successes and failures", n, len(tt.rows))
			}
		})
	}
}

// TestInsertBatchChunks stores more rows than one chunk, with failures
// across a chunk's edge, as Insert would.
func TestInsertBatchChunks(t *testing.T) {
	one, batch := batchStore(t), batchStore(t)
	rows := make([]map[string]any, 2*insertChunk+7)
	for i := range rows {
		rows[i] = map[string]any{"LastName": fmt.Sprintf("Lead %d", i), "Company": "C", "Region__c": "EMEA", "Legacy_Id__c": fmt.Sprintf("L-%d", i%50)}
		if i%insertChunk == insertChunk-1 || i%97 == 0 {
			delete(rows[i], "Region__c")
		}
	}
	obj := one.Schema.Object("Lead")
	var wantErrs [][]DMLError
	for _, m := range rows {
		_, errs := one.Data.Insert(obj, m, one.Users[0], dataNow, DMLOptions{})
		wantErrs = append(wantErrs, errs)
	}
	_, gotErrs := batch.Data.InsertBatch(batch.Schema.Object("Lead"), rows, batch.Users[0], dataNow, DMLOptions{})
	if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
		t.Errorf("errors (-one by one +batch):\n%s", diff)
	}
	sameStored(t, "batch", one, obj, batch, batch.Schema.Object("Lead"))
}

// TestBatchKeysAreIndexKeys: the keys a batch is indexed by are IndexKey's,
// for runs of equal values, texts with and without upper-case letters,
// non-ASCII text, empty and missing values, and ids.
func TestBatchKeysAreIndexKeys(t *testing.T) {
	o := batchStore(t)
	lead := o.Schema.Object("Lead")
	values := []any{"L-1", "L-1", "l-1", "", "", "ÄB-1", "ÄB-1", nil, "L-1", "x", "Mixed Case", "Mixed Case", "Mixed Case", nil, "Mixed Case"}
	for _, f := range []*Field{lead.Field("Legacy_Id__c"), lead.Field("OwnerId")} {
		records := make([]Record, len(values))
		for j, v := range values {
			if f.Type == TypeReference && v != nil {
				v = string(o.Users[0].ID)
				if j%3 == 0 {
					v = o.Users[0].ID.Short()
				}
			}
			vals := make([]any, len(lead.Fields))
			vals[f.Index] = v
			records[j] = Record{ID: MakeID(lead.KeyPrefix, uint64(j+1)), Object: lead, Values: vals}
		}
		keys, has := make([]string, len(records)), make([]bool, len(records))
		batchKeys(f, records, keys, has)
		for j := range records {
			want, ok := IndexKey(f, records[j].Get(f))
			if keys[j] != want || has[j] != ok {
				t.Errorf("%s %d (%v): key %q %v, want %q %v", f.Name, j, records[j].Get(f), keys[j], has[j], want, ok)
			}
		}
	}
}
