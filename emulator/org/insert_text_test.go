package org

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/clock"
)

// textOrg is batchOrg with field-level security on the Lead: a hidden
// field and a read-only one for the Standard User.
var textOrg = strings.Replace(strings.Replace(batchOrg, "users:\n", `profiles:
  - name: Standard User
    field_permissions: {Lead.Secret__c: none, Lead.Score__c: read}
users:
`, 1), "      Legacy_Id__c:", `      Secret__c: {type: text}
      Score__c: {type: number}
      Legacy_Id__c:`, 1)

func textStore(t *testing.T) *Org {
	t.Helper()
	s, err := NewStore(clock.NewVirtual(dataNow), Source{Name: "text.yaml", Data: []byte(textOrg)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Orgs()[0]
}

// TestInsertTextIsInsertOneByOne: rows of text go in as Insert takes their
// maps, one by one — ids, errors and their order, values, lookups, hooks —
// with empty values, nulls, a column set twice, a column not used, values
// repeated from row to row (converted once), references to records of the
// same batch, and fields the user may not see or change.
func TestInsertTextIsInsertOneByOne(t *testing.T) {
	probe := textStore(t)
	nextAccount := func(n int) string {
		return string(MakeID(probe.Schema.Object("Account").KeyPrefix, uint64(1+n)))
	}
	long := strings.Repeat("x", 21)
	tests := []struct {
		object string
		header []string // "" is a column not used
		rows   [][]string
	}{
		{"Lead", []string{"LastName", "Company", "Region__c", "Rating__c", "Legacy_Id__c", "", "Source_System__c", "Region__c"}, [][]string{
			{"Ok 1", "A", "EMEA", "Hot", "L-1", "ignored", "", ""},
			{"Ok 2", "A", "EMEA", "Hot", "l-2", "", "Phone", ""},
			{"Repeated bad rating", "A", "EMEA", "Cold", "L-3", "", "", ""},
			{"Repeated bad rating again", "A", "EMEA", "Cold", "L-4", "", "", ""},
			{"No region", "A", "", "", "", "", "", ""},
			{"Region from the second column", "A", "", "", "", "", "", "APAC"},
			{"The later column wins", "A", "EMEA", "", "", "", "", "AMER"},
			{"Null region", "A", "#N/A", "", "", "", "", ""},
			{"Null rating", "A", "EMEA", "#N/A", long, "", "", ""},
			{"Bad picklist", "A", "EMEA", "Warm", "", "", "Fax", ""},
			{"Short row", "A"},
			{"", "", "", "", "", "", "", ""},
		}},
		{"Lead", []string{"LastName", "Company", "Region__c", "Id"}, [][]string{
			{"Ok", "A", "EMEA", ""},
			{"With an id", "A", "EMEA", "00Q000000000001"},
			{"With a null id", "A", "EMEA", "#N/A"},
		}},
		{"Lead", []string{"LastName", "Company", "Region__c", "Secret__c", "Score__c", "CreatedDate"}, [][]string{
			{"Ok", "A", "EMEA", "", "", ""},
			{"Hidden field", "A", "EMEA", "s", "", ""},
			{"Read-only fields", "A", "EMEA", "", "12", "2020-01-01T00:00:00Z"},
			{"All of them", "A", "", "s", "12", "2020-01-01T00:00:00Z"},
			{"Ok again", "B", "APAC", "", "", ""},
		}},
		{"Account", []string{"Name", "ParentId", "AnnualRevenue", "NumberOfEmployees", "Industry"}, [][]string{
			{"Parent", "", "1e3", "10", "Energy"},
			{"Child of a record of this batch", nextAccount(1), "1e3", "10", "Energy"},
			{"Child of nothing", "001000000009999", "", "", "Energy"},
			{"", "", "5", "", "Energy"},
			{"Child of the first again", nextAccount(1), " 12.5 ", "10.7", ""},
			{"Bad number", "", "lots", "", ""},
			{"Bad number again", "", "lots", "", ""},
			{"Not a number", "", "NaN", "", ""},
			{"Bad id", "not-an-id", "", "", ""},
		}},
		{"Call_Ended__e", []string{"Call_Id__c"}, [][]string{{"c-1"}, {""}, {"c-2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.object+"/"+strings.Join(tt.header, ","), func(t *testing.T) {
			one, batch := textStore(t), textStore(t)
			var savedOne, savedBatch []ID
			one.Data.OnSave(func(_, r *Record, _ *User) { savedOne = append(savedOne, r.ID) })
			batch.Data.OnSave(func(_, r *Record, _ *User) { savedBatch = append(savedBatch, r.ID) })
			columns := func(o *Org) TextColumns {
				obj := o.Schema.Object(tt.object)
				c := TextColumns{Null: "#N/A"}
				for _, h := range tt.header {
					f := obj.Field(h)
					if h != "" && f == nil {
						t.Fatalf("no field %s", h)
					}
					c.Fields = append(c.Fields, f)
				}
				return c
			}
			obj, cols := one.Schema.Object(tt.object), columns(one)
			user := one.Users[0]
			var wantIDs []ID
			var wantErrs [][]DMLError
			for _, row := range tt.rows {
				r, errs := one.Data.Insert(obj, cols.Map(row), user, dataNow, DMLOptions{})
				var id ID
				if r != nil {
					id = r.ID
				}
				wantIDs, wantErrs = append(wantIDs, id), append(wantErrs, errs)
			}
			bobj := batch.Schema.Object(tt.object)
			recs, gotErrs := batch.Data.InsertText(bobj, columns(batch), tt.rows, batch.Users[0], dataNow, DMLOptions{})
			var gotIDs []ID
			for _, r := range recs {
				var id ID
				if r != nil {
					id = r.ID
				}
				gotIDs = append(gotIDs, id)
			}
			if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
				t.Errorf("ids (-one by one +text):\n%s", diff)
			}
			if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
				t.Errorf("errors (-one by one +text):\n%s", diff)
			}
			if diff := cmp.Diff(savedOne, savedBatch); diff != "" {
				t.Errorf("OnSave (-one by one +text):\n%s", diff)
			}
			sameStored(t, "text", one, obj, batch, bobj)
			if n := storedRows(gotErrs); n < 1 || n == len(tt.rows) {
				t.Errorf("%d of %d rows stored: the test wants successes and failures", n, len(tt.rows))
			}
		})
	}
}

// TestInsertTextChunks stores more rows than one chunk, with failures and
// repeated values across a chunk's edge, as Insert would.
func TestInsertTextChunks(t *testing.T) {
	one, batch := textStore(t), textStore(t)
	rows := make([][]string, 2*insertChunk+7)
	for i := range rows {
		rating := "Hot"
		if i%15 == 14 {
			rating = "Cold" // not a value of the restricted picklist
		}
		rows[i] = []string{fmt.Sprintf("Lead %d", i), "C", "EMEA", fmt.Sprintf("L-%d", i%50), rating}
		if i%insertChunk == insertChunk-1 || i%97 == 0 {
			rows[i][2] = ""
		}
	}
	obj := one.Schema.Object("Lead")
	cols := TextColumns{Fields: []*Field{obj.Field("LastName"), obj.Field("Company"), obj.Field("Region__c"), obj.Field("Legacy_Id__c"), obj.Field("Rating__c")}, Null: "#N/A"}
	var wantErrs [][]DMLError
	for _, row := range rows {
		_, errs := one.Data.Insert(obj, cols.Map(row), one.Users[0], dataNow, DMLOptions{})
		wantErrs = append(wantErrs, errs)
	}
	bobj := batch.Schema.Object("Lead")
	bcols := TextColumns{Fields: []*Field{bobj.Field("LastName"), bobj.Field("Company"), bobj.Field("Region__c"), bobj.Field("Legacy_Id__c"), bobj.Field("Rating__c")}, Null: "#N/A"}
	_, gotErrs := batch.Data.InsertText(bobj, bcols, rows, batch.Users[0], dataNow, DMLOptions{})
	if diff := cmp.Diff(wantErrs, gotErrs); diff != "" {
		t.Errorf("errors (-one by one +text):\n%s", diff)
	}
	sameStored(t, "text", one, obj, batch, bobj)
}

// TestConvertTextIsConvert: a text value converts as convert converts it
// as a JSON string, errors included.
func TestConvertTextIsConvert(t *testing.T) {
	o := textStore(t)
	lead := o.Schema.Object("Lead")
	acct := o.Schema.Object("Account")
	fields := []*Field{lead.Field("Score__c"), acct.Field("AnnualRevenue"), acct.Field("NumberOfEmployees"), lead.Field("Rating__c"),
		lead.Field("Email"), lead.Field("Legacy_Id__c"), acct.Field("ParentId"), lead.Field("CreatedDate"), lead.Field("DoNotCall")}
	for _, f := range fields {
		for _, s := range []string{"12", " 12.75 ", "-0", "1e400", "NaN", "Inf", "lots", "", "Hot", "a@b.example", "not an address",
			"2026-03-02", "2026-03-02T10:00:00Z", "true", "FALSE", strings.Repeat("y", 30), "001000000009999"} {
			want, wantErr := o.Data.convert(f, s)
			got, gotErr := o.Data.convertText(f, s)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %q: value (-convert +convertText):\n%s", f.Name, s, diff)
			}
			if diff := cmp.Diff(wantErr, gotErr); diff != "" {
				t.Errorf("%s %q: error (-convert +convertText):\n%s", f.Name, s, diff)
			}
		}
	}
}

// TestInsertTextKeepsNoCallerString: what InsertText stores as text is its
// own copy, so a record does not keep the caller's buffer (a whole CSV
// upload) alive; a value repeated from row to row is one copy.
func TestInsertTextKeepsNoCallerString(t *testing.T) {
	o := textStore(t)
	lead := o.Schema.Object("Lead")
	upload := "Ada,Acme,EMEA\nGrace,Acme,EMEA\n"
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(upload), "\n") {
		rows = append(rows, strings.Split(line, ","))
	}
	cols := TextColumns{Fields: []*Field{lead.Field("LastName"), lead.Field("Company"), lead.Field("Region__c")}}
	recs, errs := o.Data.InsertText(lead, cols, rows, o.Users[0], dataNow, DMLOptions{})
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	within := func(s string) bool {
		p, base := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(upload)))
		return p >= base && p < base+uintptr(len(upload))
	}
	for _, r := range recs {
		for _, name := range []string{"LastName", "Company", "Region__c"} {
			if s := r.GetName(name).(string); within(s) {
				t.Errorf("%s %q is the caller's string", name, s)
			}
		}
	}
	a, b := recs[0].GetName("Company").(string), recs[1].GetName("Company").(string)
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("a value repeated from the row before is copied twice")
	}
}
