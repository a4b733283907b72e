package org

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/internal/userfile"
)

// csvOrg is a fixture whose records come partly from CSV files: Accounts
// carry an external id and a restricted picklist, so relationship columns
// and errors have something to name.
const csvOrg = `org: {name: Acme}
users: [{username: admin@acme.example, profile: System Administrator}]
objects:
  Account:
    fields:
      Legacy_Id__c: {type: text, external_id: true}
      Tier__c: {type: picklist, values: [Gold, Silver], restricted: true, default: Gold}
`

// loadWithFiles loads fixture (named acme.yaml) with files beside it.
func loadWithFiles(t testing.TB, fixture string, files map[string]string) (*Store, error) {
	t.Helper()
	return NewStore(clock.Real{}, Source{Name: "acme.yaml", Data: []byte(fixture), ReadFile: func(rel string) ([]byte, error) {
		data, ok := files[rel]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: rel, Err: fs.ErrNotExist}
		}
		return []byte(data), nil
	}})
}

// records lists the org's records of object as name → field → value, for
// the fields asked.
func records(t *testing.T, s *Store, object string, fields ...string) []map[string]any {
	t.Helper()
	o := s.Orgs()[0]
	var out []map[string]any
	o.Data.Scan(o.Schema.Object(object), false, func(r *Record) bool {
		m := map[string]any{}
		for _, f := range fields {
			v := r.GetName(f)
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339)
			}
			m[f] = v
		}
		out = append(out, m)
		return true
	})
	return out
}

// idOf is the id of the record of object whose Name (LastName for a
// Contact) is name.
func idOf(t *testing.T, s *Store, object, field, name string) string {
	t.Helper()
	o := s.Orgs()[0]
	id := ""
	o.Data.Scan(o.Schema.Object(object), false, func(r *Record) bool {
		if r.GetName(field) == name {
			id = string(r.ID)
		}
		return true
	})
	if id == "" {
		t.Fatalf("no %s with %s %q", object, field, name)
	}
	return id
}

// TestCSVRecords: records: {Account: accounts.csv} loads the file as Bulk
// API 2.0 and Data Loader write it.
func TestCSVRecords(t *testing.T) {
	tests := []struct {
		name  string
		csv   string
		field string // the field compared, on the records in file order
		want  []any
	}{
		{"header names in any case", "NAME,industry\nEdge,Energy\nPyramid,Construction\n", "Industry", []any{"Energy", "Construction"}},
		{"an empty cell sets nothing, so the default stays", "Name,Tier__c\nEdge,\n", "Tier__c", []any{"Gold"}},
		{"#N/A sets null, over the default", "Name,Tier__c\nEdge,#N/A\n", "Tier__c", []any{nil}},
		{"quoted commas and quotes", "Name,Description\n\"Edge, Inc.\",\"say \"\"hi\"\"\"\n", "Name", []any{"Edge, Inc."}},
		{"a quoted newline stays in the value", "Name,Description\nEdge,\"line one\nline two\"\nPyramid,x\n", "Description", []any{"line one\nline two", "x"}},
		{"a byte order mark before the header", "\xef\xbb\xbfName,Industry\nEdge,Energy\n", "Industry", []any{"Energy"}},
		{"CRLF line endings (Data Loader on Windows)", "Name,Industry\r\nEdge,Energy\r\n", "Industry", []any{"Energy"}},
		{"a header with spaces around a name", "Name , Industry\nEdge,Energy\n", "Industry", []any{"Energy"}},
		{"an empty line is skipped", "Name\nEdge\n\nPyramid\n", "Name", []any{"Edge", "Pyramid"}},
		{"dateTimes as Bulk API takes them", "Name,CreatedDate\nA,2025-06-01T09:00:00Z\nB,2025-06-01T18:00:00.000+0900\nC,2025-06-01T09:00:00.000+09:00\n", "CreatedDate",
			[]any{"2025-06-01T09:00:00Z", "2025-06-01T09:00:00Z", "2025-06-01T00:00:00Z"}},
		{"numbers and checkboxes from text", "Name,NumberOfEmployees,AnnualRevenue\nEdge,12,1500000.5\n", "AnnualRevenue", []any{1500000.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadWithFiles(t, csvOrg+"records: {Account: accounts.csv}\n", map[string]string{"accounts.csv": tt.csv})
			if err != nil {
				t.Fatal(err)
			}
			var got []any
			for _, r := range records(t, s, "Account", tt.field) {
				got = append(got, r[tt.field])
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%s = %v, want %v", tt.field, got, tt.want)
			}
		})
	}
}

// TestCSVRecordsReferToEachOther: _ref and "@label" work across CSV files
// and YAML lists, in file order, and a relationship column finds its
// parent by external id as Bulk ingest does.
func TestCSVRecordsReferToEachOther(t *testing.T) {
	fixture := csvOrg + `records:
  Account: accounts.csv
  Contact:
    - {_ref: rose, LastName: Gonzalez, AccountId: "@edge"}
  Case: cases.csv
  Opportunity:
    - {Name: Renewal, StageName: Prospecting, CloseDate: 2026-01-31, AccountId: "@pyramid-acct"}
`
	files := map[string]string{
		"accounts.csv": "_ref,Name,ParentId,Legacy_Id__c\nedge,Edge Communications,,EDGE-1\npyramid-acct,Pyramid Construction,,\nchild,Pyramid Child,@pyramid-acct,\n",
		"cases.csv":    "Subject,ContactId,Account.Legacy_Id__c\nBilling,@rose,EDGE-1\nShipping,,\n",
	}
	s, err := loadWithFiles(t, fixture, files)
	if err != nil {
		t.Fatal(err)
	}
	edge := idOf(t, s, "Account", "Name", "Edge Communications")
	pyramid := idOf(t, s, "Account", "Name", "Pyramid Construction")
	rose := idOf(t, s, "Contact", "LastName", "Gonzalez")
	for _, c := range []struct {
		what, object, field, key, name, want string
	}{
		{"a YAML lookup to a CSV record", "Contact", "AccountId", "LastName", "Gonzalez", edge},
		{"a CSV lookup to a YAML record", "Case", "ContactId", "Subject", "Billing", rose},
		{"a relationship column by external id", "Case", "AccountId", "Subject", "Billing", edge},
		{"a lookup to a record of the same file", "Account", "ParentId", "Name", "Pyramid Child", pyramid},
		{"a YAML lookup to a CSV record after another file", "Opportunity", "AccountId", "Name", "Renewal", pyramid},
	} {
		got := ""
		for _, r := range records(t, s, c.object, c.key, c.field) {
			if r[c.key] == c.name {
				got = fmt.Sprint(r[c.field])
			}
		}
		if got != c.want {
			t.Errorf("%s: %s.%s = %q, want %q", c.what, c.object, c.field, got, c.want)
		}
	}
	if n := len(records(t, s, "Case", "Subject")); n != 2 {
		t.Errorf("%d cases, want 2 (a row with empty cells is a record)", n)
	}
}

// TestCSVRecordErrorsNamePlace: each mistake is reported at the CSV file's
// line and column (the column's number in the header), or at the fixture
// line that names the file.
func TestCSVRecordErrorsNamePlace(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want string
	}{
		{"restricted picklist", "Name,Tier__c\nEdge,Gold\nPyramid,Platinum\n", `accounts.csv:3:2: Tier: bad value for restricted picklist field: Platinum (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)`},
		{"unknown column", "Name,Bogus\nEdge,x\n", `accounts.csv:1:2: unknown column "Bogus": Account has no such field`},
		{"relationship by a field that is no external id", "Name,Parent.Name\nEdge,x\n", `accounts.csv:1:2: unknown column "Parent.Name"`},
		{"required field missing", "Name,Industry\n,Energy\n", `accounts.csv:2:1: Required fields are missing: [Name] (REQUIRED_FIELD_MISSING)`},
		{"a number that is none", "Name,NumberOfEmployees\nEdge,many\n", `accounts.csv:2:2: Cannot deserialize instance of double from VALUE_STRING value many`},
		{"a label no record has", "Name,ParentId\nEdge,@nope\n", `accounts.csv:2:2: ParentId: @nope names no record above`},
		{"a parent by external id not found", "Name,Parent.Legacy_Id__c\nEdge,X-9\n", `accounts.csv:2:2: Parent.Legacy_Id__c: Foreign key external ID: X-9 not found for field Legacy_Id__c in entity Account (INVALID_FIELD)`},
		{"a label used twice", "_ref,Name\na,Edge\na,Pyramid\n", `accounts.csv:3:1: _ref "a" is used twice`},
		{"a row of the wrong width", "Name,Industry\nEdge\n", `accounts.csv:2: the row has 1 columns, the header 2`},
		{"a quote never closed", "Name,Description\nEdge,\"open\n", `accounts.csv:2: Unbalanced quotes: the quoted field starting on line 2 is never closed`},
		{"mixed line endings", "Name\r\nEdge\nPyramid\r\n", `accounts.csv:2: this line ends in LF, the header row in CRLF`},
		{"an Id column", "Id,Name\n001000000000001,Edge\n", `accounts.csv:2: The Id field should not be specified in the sobject data. (INVALID_FIELD)`},
		{"an empty file", "", `accounts.csv:1: no header row`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWithFiles(t, csvOrg+"records: {Account: accounts.csv}\n", map[string]string{"accounts.csv": tt.csv})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("a missing file is reported at the fixture line naming it", func(t *testing.T) {
		_, err := loadWithFiles(t, csvOrg+"records:\n  Account: missing.csv\n", nil)
		want := `acme.yaml:9:12: records.Account: CSV file "missing.csv" is unreadable: file does not exist`
		if err == nil || err.Error() != want {
			t.Errorf("error %v\nwant %s", err, want)
		}
	})
	t.Run("a fixture without a directory cannot name a file", func(t *testing.T) {
		_, err := NewStore(clock.Real{}, Source{Name: "inline.yaml", Data: []byte(csvOrg + "records: {Account: accounts.csv}\n")})
		if err == nil || !strings.Contains(err.Error(), `inline.yaml:8:`) || !strings.Contains(err.Error(), "this fixture has no directory") {
			t.Errorf("error %v", err)
		}
	})
}

// TestCSVRecordFilesOnDisk: a fixture file's CSV file is read relative to
// it, named by its path in errors, and only if it is a regular file within
// the size cap (internal/userfile).
func TestCSVRecordFilesOnDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	load := func(records string) error {
		t.Helper()
		src, err := FileSource(write("acme.yaml", csvOrg+"records: {Account: "+records+"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = NewStore(clock.Real{}, src)
		return err
	}
	write("accounts.csv", "Name,Tier__c\nEdge,Bronze\n")
	if err := load("accounts.csv"); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir, "accounts.csv")+":2:2: ") {
		t.Errorf("error %v: want it to name %s:2:2", err, filepath.Join(dir, "accounts.csv"))
	}
	if err := load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	// A file one byte over the cap is refused by its size, before it is
	// read: the test writes nothing (a sparse file) and reads nothing.
	f, err := os.Create(filepath.Join(dir, "huge.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(userfile.MaxData + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := load("huge.csv"); err == nil || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("huge.csv: %v", err)
	}
}

// FuzzFixtureCSV: whatever a CSV file of records holds, loading it ends in
// an org or an error naming the file (or the fixture), never a panic.
func FuzzFixtureCSV(f *testing.F) {
	for _, s := range []string{
		"Name,Industry\nEdge,Energy\n", "_ref,Name,ParentId\na,A,\nb,B,@a\n", "Name,Parent.Legacy_Id__c\nX,Y\n",
		"\xef\xbb\xbfName\r\n\"a,b\"\r\n", "Name,Description\n\"open", "Name,Tier__c\nA,#N/A\n", "", ",,\n,,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := loadWithFiles(t, csvOrg+"records: {Account: accounts.csv}\n", map[string]string{"accounts.csv": string(data)})
		if err != nil && !strings.HasPrefix(err.Error(), "accounts.csv") && !strings.HasPrefix(err.Error(), "acme.yaml") {
			t.Fatalf("error names neither file: %v", err)
		}
	})
}
