package rest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

func q(soql string) string { return url.QueryEscape(soql) }

type page struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func (e *env) query(path string, headers ...string) (page, response) {
	e.t.Helper()
	got := e.do("GET", path, "", headers...)
	var p page
	if got.status == 200 {
		if err := json.Unmarshal([]byte(got.body), &p); err != nil {
			e.t.Fatalf("%s: %v", got.body, err)
		}
	}
	return p, got
}

// addAccounts creates n more Accounts in Acme, as an import would.
func addAccounts(t *testing.T, e *env, n int) {
	t.Helper()
	acct := e.acme.Schema.Object("Account")
	for i := 0; i < n; i++ {
		if _, errs := e.acme.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Bulk %05d", i)}, e.acme.Users[0], restNow, org.DMLOptions{}); errs != nil {
			t.Fatal(errs)
		}
	}
}

func TestQueryPagesThroughEveryRecord(t *testing.T) {
	e := newEnv(t)
	addAccounts(t, e, 2500)
	first, got := e.query("/services/data/v63.0/query/?q=" + q("SELECT Id, Name FROM Account"))
	if got.status != 200 || first.TotalSize != 2503 || first.Done || len(first.Records) != 2000 {
		t.Fatalf("first page: %d totalSize=%d done=%v records=%d", got.status, first.TotalSize, first.Done, len(first.Records))
	}
	if !strings.HasPrefix(first.NextRecordsURL, "/services/data/v63.0/query/01g") || !strings.HasSuffix(first.NextRecordsURL, "-2000") {
		t.Errorf("nextRecordsUrl %q should echo v63.0 and end -2000", first.NextRecordsURL)
	}
	if !strings.Contains(got.body, `"done":false,"nextRecordsUrl":`) {
		t.Errorf("key order: %.120s", got.body)
	}
	second, _ := e.query(first.NextRecordsURL)
	if !second.Done || second.NextRecordsURL != "" || len(second.Records) != 503 || second.TotalSize != 2503 {
		t.Errorf("second page: done=%v next=%q records=%d total=%d", second.Done, second.NextRecordsURL, len(second.Records), second.TotalSize)
	}
	seen := map[string]bool{}
	for _, r := range append(first.Records, second.Records...) {
		seen[r["Id"].(string)] = true
	}
	if len(seen) != 2503 {
		t.Errorf("%d distinct records over both pages, want 2503", len(seen))
	}
	if _, got := e.query(first.NextRecordsURL); got.status != 400 || !strings.Contains(got.body, "INVALID_QUERY_LOCATOR") {
		t.Errorf("a finished cursor is freed: %d %s", got.status, got.body)
	}
}

func TestBatchSizeHeader(t *testing.T) {
	e := newEnv(t)
	addAccounts(t, e, 600)
	for _, tt := range []struct {
		header string
		want   int
	}{{"batchSize=200", 200}, {"batchSize=250", 250}, {"batchSize=50", 200}, {"batchSize=5000", 603}} {
		p, _ := e.query("/services/data/v66.0/query?q="+q("SELECT Id FROM Account"), "Sforce-Query-Options", tt.header)
		if len(p.Records) != tt.want {
			t.Errorf("%s: %d records in the first page, want %d", tt.header, len(p.Records), tt.want)
		}
	}
}

func TestAbandonedCursorsAreFreedAfterIdleTime(t *testing.T) {
	e := newEnv(t)
	addAccounts(t, e, 300)
	for i := 0; i < 5; i++ {
		e.query("/services/data/v66.0/query?q="+q("SELECT Id FROM Account"), "Sforce-Query-Options", "batchSize=200")
	}
	if n := e.svc.cursors.Len(); n != 5 {
		t.Fatalf("%d open cursors, want 5", n)
	}
	e.clock.Advance(16 * time.Minute)
	// Any cursor activity sweeps; the session itself is still alive (2h).
	p, _ := e.query("/services/data/v66.0/query?q="+q("SELECT Id FROM Account"), "Sforce-Query-Options", "batchSize=200")
	if n := e.svc.cursors.Len(); n != 1 {
		t.Errorf("%d open cursors after 16 idle minutes and one new query, want 1", n)
	}
	if _, got := e.query(p.NextRecordsURL); got.status != 200 {
		t.Errorf("the fresh cursor: %d", got.status)
	}
}

func TestQueryShapes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, soql, golden string
	}{
		{"parent fields nest, a missing parent is null", "SELECT Name, Account.Name, Account.Industry FROM Contact ORDER BY LastName", "query_parent.json"},
		{"child subquery nests as a query result", "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account WHERE Name LIKE '%o%' ORDER BY Name", "query_children.json"},
		{"COUNT() has the count in totalSize", "SELECT COUNT() FROM Contact", "query_count.json"},
		{"aggregates are AggregateResult rows", "SELECT AccountId, COUNT(Id) n FROM Contact GROUP BY AccountId ORDER BY COUNT(Id) DESC", "query_aggregate.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do("GET", "/services/data/v66.0/query?q="+q(tt.soql), "")
			if got.status != 200 {
				t.Fatalf("%d %s", got.status, got.body)
			}
			golden(t, tt.golden, got.body)
		})
	}
}

func TestAUserHoldsAtMostTenCursors(t *testing.T) {
	e := newEnv(t)
	addAccounts(t, e, 300)
	var first string
	for i := 0; i < 11; i++ {
		p, _ := e.query("/services/data/v66.0/query?q="+q("SELECT Id FROM Account"), "Sforce-Query-Options", "batchSize=200")
		if i == 0 {
			first = p.NextRecordsURL
		}
	}
	if n := e.svc.cursors.Len(); n != 10 {
		t.Errorf("%d cursors open, want 10", n)
	}
	if _, got := e.query(first); got.status != 400 {
		t.Errorf("the oldest cursor should have been released: %d", got.status)
	}
}

func TestQueryAllSeesDeletedRecords(t *testing.T) {
	e := newEnv(t)
	id := acmeRecordID(e, "Contact", "LastName", "Orphan")
	e.do("DELETE", "/services/data/v66.0/sobjects/Contact/"+id, "")
	live, _ := e.query("/services/data/v66.0/query?q=" + q("SELECT Id FROM Contact"))
	all, _ := e.query("/services/data/v66.0/queryAll?q=" + q("SELECT Id, IsDeleted FROM Contact"))
	if live.TotalSize != 3 || all.TotalSize != 4 {
		t.Errorf("query sees %d, queryAll %d; want 3 and 4", live.TotalSize, all.TotalSize)
	}
}

func TestSOQLErrorBodies(t *testing.T) {
	e := newEnv(t)
	got := e.do("GET", "/services/data/v66.0/query?q="+q("SELECT Id, Nmae FROM Account"), "")
	var errs []struct{ Message, ErrorCode string }
	json.Unmarshal([]byte(got.body), &errs)
	if got.status != 400 || len(errs) != 1 || errs[0].ErrorCode != "INVALID_FIELD" ||
		!strings.Contains(errs[0].Message, "ERROR at Row:1:Column:12") || !strings.Contains(errs[0].Message, "No such column 'Nmae' on entity 'Account'") {
		t.Errorf("%d %s", got.status, got.body)
	}
	got = e.do("GET", "/services/data/v66.0/query?q="+q("SELECT Id FROM Acount"), "")
	if !strings.Contains(got.body, `"errorCode":"INVALID_TYPE"`) {
		t.Errorf("unknown object: %s", got.body)
	}
	got = e.do("GET", "/services/data/v66.0/query?q="+q("SELECT Id FROM Account WHERE"), "")
	if !strings.Contains(got.body, `"errorCode":"MALFORMED_QUERY"`) {
		t.Errorf("syntax: %s", got.body)
	}
}

func TestColumnsForTheSalesforceCLI(t *testing.T) {
	e := newEnv(t)
	got := e.do("GET", "/services/data/v66.0/query?q="+q("SELECT Id, Name, Account.Name FROM Contact")+"&columns=true", "")
	if got.status != 200 || !strings.Contains(got.body, `"columnMetadata":[`) || !strings.Contains(got.body, `"columnName":"Name"`) {
		t.Errorf("%d %s", got.status, got.body)
	}
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, sosl string
		want       []string // types of the records found, in order
	}{
		{"by e-mail in e-mail fields", "FIND {rose@edge.example} IN EMAIL FIELDS RETURNING Lead(Id, Email), Contact(Id, Email)", []string{"Contact"}},
		{"a lead and a contact by e-mail", "FIND {bertha@fcof.example} IN EMAIL FIELDS RETURNING Lead(Id,Email), Contact(Id)", []string{"Lead"}},
		{"wildcard on names", "FIND {Edg*} IN NAME FIELDS RETURNING Account(Name)", []string{"Account"}},
		{"WHERE and LIMIT inside RETURNING", "FIND {edge} RETURNING Contact(LastName WHERE FirstName = 'Sean' LIMIT 5)", []string{"Contact"}},
		{"nothing found", "FIND {nobody@nowhere.example} IN EMAIL FIELDS RETURNING Lead(Id), Contact(Id)", nil},
	}
	for _, tt := range tests {
		got := e.do("GET", "/services/data/v66.0/search?q="+q(tt.sosl), "")
		var res struct {
			SearchRecords []struct {
				Attributes struct{ Type string } `json:"attributes"`
			} `json:"searchRecords"`
		}
		if err := json.Unmarshal([]byte(got.body), &res); err != nil || got.status != 200 {
			t.Errorf("%s: %d %s", tt.name, got.status, got.body)
			continue
		}
		var types []string
		for _, r := range res.SearchRecords {
			types = append(types, r.Attributes.Type)
		}
		if strings.Join(types, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: found %v, want %v (%s)", tt.name, types, tt.want, got.body)
		}
	}
	if got := e.do("GET", "/services/data/v66.0/search?q="+q("FIND edge"), ""); got.status != 400 || !strings.Contains(got.body, "MALFORMED_SEARCH") {
		t.Errorf("term without braces: %d %s", got.status, got.body)
	}
}
