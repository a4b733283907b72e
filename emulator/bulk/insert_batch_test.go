package bulk

import (
	"fmt"
	"strings"
	"testing"
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
