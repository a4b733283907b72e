package bulk

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/org"
)

// TestIngestParentsInTheSameJob: a row may name a row above it as its
// parent, as each row is inserted before the next is read.
func TestIngestParentsInTheSameJob(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	id := e.ingest(`{"object":"Account","operation":"insert"}`,
		"Name,External_Key__c,Parent.External_Key__c\nTop,TOP-1,\nChild,CHILD-1,TOP-1\n")
	e.advance(0)
	if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsFailed"] != 0.0 {
		t.Fatalf("job: %v\n%s", info, e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "").body)
	}
	acct := e.acme.Schema.Object("Account")
	top, _ := e.acme.Data.Lookup(acct, acct.Field("External_Key__c"), "TOP-1", false)
	child, _ := e.acme.Data.Lookup(acct, acct.Field("External_Key__c"), "CHILD-1", false)
	if len(top) != 1 || len(child) != 1 || child[0].GetName("ParentId") != string(top[0].ID) {
		t.Errorf("top %v, child %v", top, child)
	}
}

// TestIngestInsertAcrossBatches: a job longer than a batch keeps its rows'
// order, ids and failures in both results files.
func TestIngestInsertAcrossBatches(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	const n = 2*insertBatchRows + 3
	var sb strings.Builder
	sb.WriteString("Name,Industry\n")
	wantFailed := 0
	for i := range n {
		switch {
		case i%insertBatchRows == insertBatchRows-1, i == 5:
			fmt.Fprintf(&sb, ",Energy\n") // Name missing
			wantFailed++
		case i == 7:
			fmt.Fprintf(&sb, "Short row\n")
			wantFailed++
		default:
			fmt.Fprintf(&sb, "Account %d,Energy\n", i)
		}
	}
	id := e.ingest(`{"object":"Account","operation":"insert"}`, sb.String())
	e.advance(0)
	if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsProcessed"] != float64(n) || info["numberRecordsFailed"] != float64(wantFailed) {
		t.Fatalf("job: %v", info)
	}
	ok := strings.Split(strings.TrimSpace(e.do("GET", "/jobs/ingest/"+id+"/successfulResults", "", "").body), "\n")[1:]
	if len(ok) != n-wantFailed {
		t.Fatalf("%d successes, want %d", len(ok), n-wantFailed)
	}
	prev := ""
	for k, line := range ok {
		fields := strings.Split(line, ",")
		rec := e.acme.Data.Get(mustID(t, strings.Trim(fields[0], `"`)))
		if rec == nil || `"`+rec.GetName("Name").(string)+`"` != fields[2] || fields[1] != `"true"` {
			t.Fatalf("success %d: %s, record %v", k, line, rec)
		}
		if fields[0] <= prev {
			t.Fatalf("success %d: id %s after %s", k, fields[0], prev)
		}
		prev = fields[0]
	}
	failed := e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "").body
	if got := strings.Count(failed, "REQUIRED_FIELD_MISSING"); got != wantFailed-1 || !strings.Contains(failed, "INVALID_ROW") {
		t.Errorf("failedResults:\n%s", failed)
	}
}

// TestBatchedIngestIsRowByRow runs the same jobs through insert batches and
// row by row (applyRow) in two environments and compares what a client and
// the org see: the results files, the job's counts and every record. The
// upserts mix inserts, updates of records there were, of records an earlier
// row inserted and of duplicates, rows without an external id and broken
// rows.
func TestBatchedIngestIsRowByRow(t *testing.T) {
	var upserts strings.Builder
	upserts.WriteString("External_Key__c,Name,Industry,AnnualRevenue\n")
	for i := range 2*insertBatchRows + 5 {
		switch {
		case i == 3:
			upserts.WriteString("EDGE-1,Edge again,Energy,1\n") // a fixture record: update
		case i == 4:
			upserts.WriteString("dup,Twice,Energy,2\n") // two fixture records
		case i == 5, i == insertBatchRows+1:
			upserts.WriteString(",No key,Energy,3\n")
		case i == 6:
			upserts.WriteString("#N/A,Null key,Energy,3\n")
		case i == 7:
			upserts.WriteString("K-1,Short row\n")
		case i%10 == 9:
			fmt.Fprintf(&upserts, "k-%d,Updated by a later row,Apparel,%d\n", i-5, i) // a row above inserted it
		case i%13 == 12:
			fmt.Fprintf(&upserts, "K-%d,,Energy,%d\n", i, i) // Name missing
		case i%17 == 16:
			fmt.Fprintf(&upserts, "K-%d,Bad revenue,Energy,lots\n", i)
		default:
			fmt.Fprintf(&upserts, "K-%d,Account %d,Energy,%d\n", i, i, i)
		}
	}
	jobs := []struct{ name, spec, csv string }{
		{"upsert", `{"object":"Account","operation":"upsert","externalIdFieldName":"External_Key__c"}`, upserts.String()},
		{"upsert with an Id column", `{"object":"Account","operation":"upsert","externalIdFieldName":"External_Key__c"}`,
			"Id,External_Key__c,Name\n001000000000001,N-1,Given an id\n,N-2,Without\n,N-3,\n"},
		{"insert with relationship columns", `{"object":"Contact","operation":"insert"}`,
			"LastName,Account.External_Key__c,Email\nRose,EDGE-1,rose@edge.example\nNo parent,NOPE,\nTwo parents,DUP,\nNull parent,#N/A,\n,EDGE-1,\nSean,edge-1,not an address\nJack,,jack@x.example\n"},
		{"insert with an Id column", `{"object":"Account","operation":"insert"}`, "Name,Id\nA,\nB,001000000000001\nC,#N/A\n"},
	}
	for _, tt := range jobs {
		t.Run(tt.name, func(t *testing.T) {
			batched, rowByRow := newEnv(t, Config{Delay: -1}), newEnv(t, Config{Delay: -1})
			rowByRow.svc.rowByRow = true
			type seen struct {
				info             map[string]any
				success, failure string
				records          [][]any
			}
			run := func(e *env) seen {
				id := e.ingest(tt.spec, tt.csv)
				e.advance(0)
				info := e.state("ingest", id)
				for _, k := range []string{"id", "createdDate", "systemModstamp", "contentUrl", "totalProcessingTime", "apiActiveProcessingTime"} {
					delete(info, k)
				}
				var recs [][]any
				for _, name := range []string{"Account", "Contact"} {
					e.acme.Data.Scan(e.acme.Schema.Object(name), true, func(r *org.Record) bool {
						recs = append(recs, append([]any{string(r.ID)}, r.Values...))
						return true
					})
				}
				return seen{info, e.do("GET", "/jobs/ingest/"+id+"/successfulResults", "", "").body,
					e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "").body, recs}
			}
			want, got := run(rowByRow), run(batched)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(seen{})); diff != "" {
				t.Errorf("(-row by row +batched):\n%s", diff)
			}
			if want.info["numberRecordsFailed"] == 0.0 || !strings.Contains(want.success, `"true"`) {
				t.Errorf("the job wants successes and failures: %v\n%s", want.info, want.failure)
			}
		})
	}
}
