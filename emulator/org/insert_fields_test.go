package org

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInsertFieldsIsInsertOneByOne: records given as their JSON fields go
// in as Insert takes their maps, one by one — ids, errors and their order,
// values, lookups, hooks — with keys in another order from record to record,
// a field named in two cases, values repeated (converted once), a number
// past float64, nulls, an Id, unknown and read-only fields, and a
// reference to a record of the same call; and a rolled-back Tx takes the
// whole batch back, its hooks unrun.
func TestInsertFieldsIsInsertOneByOne(t *testing.T) {
	probe := batchStore(t)
	nextAccount := string(MakeID(probe.Schema.Object("Account").KeyPrefix, 2))
	fv := func(kv ...any) []FieldValue {
		var out []FieldValue
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, FieldValue{Name: kv[i].(string), Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		object string
		rows   [][]FieldValue
	}{
		{"Lead", [][]FieldValue{
			fv("LastName", "Ok 1", "Company", "A", "Region__c", "EMEA", "Rating__c", "Hot"),
			fv("LastName", "Ok 2", "Company", "A", "Region__c", "EMEA", "Rating__c", "Hot"),
			fv("Company", "A", "LastName", "Other order", "Region__c", "EMEA"),
			fv("LastName", "Bad rating", "Company", "A", "Region__c", "EMEA", "Rating__c", "Cold"),
			fv("LastName", "Bad rating again", "Company", "A", "Region__c", "EMEA", "Rating__c", "Cold"),
			fv("LastName", "No region", "Company", "A", "Region__c", nil),
			fv("LastName", "With a null id", "Company", "A", "Region__c", "EMEA", "ID", nil),
			fv("LastName", "Errors in name order", "Zed", 1.0, "Company", "A", "CreatedDate", "2020-01-01T00:00:00Z", "Alpha", true, "Region__c", "EMEA"),
			fv("lastname", "lower", "LastName", "Upper", "Company", "A", "Region__c", "EMEA"),
			fv("LastName", "Ok 3", "Company", "A", "Region__c", "EMEA", "Legacy_Id__c", 12.5),
		}},
		{"Account", [][]FieldValue{
			fv("Name", "Parent", "AnnualRevenue", 10.0),
			fv("Name", "Child of a record of this call", "ParentId", nextAccount, "AnnualRevenue", 10.0),
			fv("Name", "Too big a number", "AnnualRevenue", json.Number("1e400")),
			fv("Name", "Text as a number", "AnnualRevenue", " 12.5 "),
			fv("Name", "Child of nothing", "ParentId", "001000000009999"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.object, func(t *testing.T) {
			one, batch := batchStore(t), batchStore(t)
			var savedOne, savedBatch []ID
			one.Data.OnSave(func(_, r *Record, _ *User) { savedOne = append(savedOne, r.ID) })
			batch.Data.OnSave(func(_, r *Record, _ *User) { savedBatch = append(savedBatch, r.ID) })
			obj, bobj := one.Schema.Object(tt.object), batch.Schema.Object(tt.object)
			var wantIDs, gotIDs []ID
			var wantErrs [][]DMLError
			for _, row := range tt.rows {
				r, errs := one.Data.Insert(obj, FieldsMap(row), one.Users[0], dataNow, DMLOptions{})
				wantIDs, wantErrs = append(wantIDs, recordID(r)), append(wantErrs, errs)
			}
			recs, gotErrs := batch.Data.InsertFields(bobj, tt.rows, batch.Users[0], dataNow, DMLOptions{})
			for _, r := range recs {
				gotIDs = append(gotIDs, recordID(r))
			}
			if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
				t.Errorf("ids (-one by one +fields):\n%s", diff)
			}
			if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
				t.Errorf("errors (-one by one +fields):\n%s", diff)
			}
			if diff := cmp.Diff(savedOne, savedBatch); diff != "" {
				t.Errorf("OnSave (-one by one +fields):\n%s", diff)
			}
			sameStored(t, "fields", one, obj, batch, bobj)
			if n := storedRows(gotErrs); n < 2 || n == len(tt.rows) {
				t.Errorf("%d of %d rows stored: the test wants successes and failures", n, len(tt.rows))
			}

			before := batch.Data.Count(bobj)
			saved := len(savedBatch)
			tx := NewTx()
			recs, _ = batch.Data.InsertFields(bobj, tt.rows, batch.Users[0], dataNow, DMLOptions{Tx: tx})
			if batch.Data.Count(bobj) == before || len(savedBatch) != saved {
				t.Fatalf("inside the Tx: %d records (before %d), %d hooks run (want %d)", batch.Data.Count(bobj), before, len(savedBatch), saved)
			}
			tx.Rollback()
			for _, r := range recs {
				if r != nil && batch.Data.Get(r.ID) != nil {
					t.Errorf("%s is still there after the rollback", r.ID)
				}
			}
			if batch.Data.Count(bobj) != before || len(savedBatch) != saved {
				t.Errorf("after the rollback: %d records (want %d), %d hooks run (want %d)", batch.Data.Count(bobj), before, len(savedBatch), saved)
			}
		})
	}
}

func recordID(r *Record) ID {
	if r == nil {
		return ""
	}
	return r.ID
}
