package bulk

import (
	"encoding/base64"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestIngestInsertStory(t *testing.T) {
	e := newEnv(t, Config{})
	code, job := e.json("POST", "/jobs/ingest", `{"object":"account","operation":"insert","lineEnding":"LF"}`)
	if code != 200 {
		t.Fatalf("create: %d %v", code, job)
	}
	for k, want := range map[string]any{"state": "Open", "object": "Account", "operation": "insert", "concurrencyMode": "Parallel",
		"contentType": "CSV", "apiVersion": 66.0, "lineEnding": "LF", "columnDelimiter": "COMMA", "createdDate": "2026-03-02T10:00:00.000+0000"} {
		if job[k] != want {
			t.Errorf("%s = %v, want %v", k, job[k], want)
		}
	}
	id := job["id"].(string)
	if !strings.HasPrefix(id, "750") || len(id) != 18 {
		t.Errorf("id %q", id)
	}
	if job["contentUrl"] != "services/data/v66.0/jobs/ingest/"+id+"/batches" {
		t.Errorf("contentUrl %v", job["contentUrl"])
	}
	csv := "Name,Industry,AnnualRevenue\nAcme,Energy,100\n\"Quote \"\"Co\"\"\",,\n,Retail,5\n"
	if r := e.do("PUT", "/jobs/ingest/"+id+"/batches", "text/csv", csv); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/jobs/ingest/"+id+"/batches", "text/csv", csv); r.status != 400 || !strings.Contains(r.body, "INVALIDJOBSTATE") {
		t.Errorf("second upload: %d %s", r.status, r.body)
	}
	if code, _ := e.json("PATCH", "/jobs/ingest/"+id, `{"state":"UploadComplete"}`); code != 200 {
		t.Fatal("close", code)
	}
	if r := e.do("GET", "/jobs/ingest/"+id+"/successfulResults", "", ""); r.status != 400 {
		t.Errorf("results before processing: %d %s", r.status, r.body)
	}
	e.advance(time.Millisecond)
	if s := e.state("ingest", id)["state"]; s != "UploadComplete" {
		t.Fatalf("before the delay: %v", s)
	}
	e.advance(DefaultDelay)
	info := e.state("ingest", id)
	if info["state"] != "JobComplete" || info["numberRecordsProcessed"] != 3.0 || info["numberRecordsFailed"] != 1.0 || info["jobType"] != "V2Ingest" {
		t.Fatalf("after processing: %v", info)
	}
	ok := e.do("GET", "/jobs/ingest/"+id+"/successfulResults", "", "")
	lines := strings.Split(strings.TrimSuffix(ok.body, "\n"), "\n")
	if len(lines) != 3 || lines[0] != `"sf__Id","sf__Created",Name,Industry,AnnualRevenue` ||
		!strings.HasPrefix(lines[1], `"001`) || !strings.HasSuffix(lines[1], `","true","Acme","Energy","100"`) ||
		!strings.HasSuffix(lines[2], `","true","Quote ""Co""","",""`) {
		t.Errorf("successfulResults:\n%s", ok.body)
	}
	if ct := ok.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	bad := e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "")
	want := "\"sf__Id\",\"sf__Error\",Name,Industry,AnnualRevenue\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --\",\"\",\"Retail\",\"5\"\n"
	if bad.body != want {
		t.Errorf("failedResults:\n%s\nwant\n%s", bad.body, want)
	}
	un := e.do("GET", "/jobs/ingest/"+id+"/unprocessedrecords", "", "")
	if un.status != 200 || un.body != "Name,Industry,AnnualRevenue\n" {
		t.Errorf("unprocessedrecords: %d %q", un.status, un.body)
	}
	// The records are there, created by the job's user.
	id1 := strings.Trim(strings.Split(lines[1], ",")[0], `"`)
	rec := e.acme.Data.Get(mustID(t, id1))
	if rec == nil || rec.GetName("Name") != "Acme" || rec.GetName("AnnualRevenue") != 100.0 {
		t.Fatalf("record %s: %v", id1, rec)
	}
	if r := e.do("DELETE", "/jobs/ingest/"+id, "", ""); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/jobs/ingest/"+id, "", ""); r.status != 404 || !strings.Contains(r.body, "NOT_FOUND") {
		t.Errorf("deleted job: %d %s", r.status, r.body)
	}
}

func TestIngestUpdateUpsertDelete(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	acct := e.acme.Schema.Object("Account")
	var edge, burl string
	recs, _ := e.acme.Data.Lookup(acct, acct.Field("External_Key__c"), "EDGE-1", false)
	edge = string(recs[0].ID)
	dups, _ := e.acme.Data.Lookup(acct, acct.Field("External_Key__c"), "DUP", false)
	burl = string(dups[0].ID)

	id := e.ingest(`{"object":"Account","operation":"update"}`,
		"Id,Industry,Description\n"+edge+",Media,#N/A\n001xx000000BOGUS,Media,\n"+burl+",,Changed\n")
	e.advance(0)
	if info := e.state("ingest", id); info["numberRecordsFailed"] != 1.0 || info["state"] != "JobComplete" {
		t.Fatalf("update job: %v", info)
	}
	if got := e.acme.Data.Get(mustID(t, edge)).GetName("Industry"); got != "Media" {
		t.Errorf("edge Industry %v", got)
	}
	if got := e.acme.Data.Get(mustID(t, burl)).GetName("Industry"); got != "Apparel" {
		t.Errorf("an empty value changed Industry to %v", got)
	}
	failed := e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "").body
	if !strings.Contains(failed, `"001xx000000BOGUS","MALFORMED_ID:Account ID: id value of incorrect type: 001xx000000BOGUS:Id --"`) {
		t.Errorf("failedResults:\n%s", failed)
	}

	id = e.ingest(`{"object":"Account","operation":"upsert","externalIdFieldName":"External_Key__c"}`,
		"External_Key__c,Name\nEDGE-1,Edge Renamed\nNEW-1,Brand New\nDUP,Ambiguous\n")
	e.advance(0)
	ok := e.do("GET", "/jobs/ingest/"+id+"/successfulResults", "", "").body
	if !strings.Contains(ok, `"`+edge+`","false","EDGE-1","Edge Renamed"`) || !strings.Contains(ok, `","true","NEW-1","Brand New"`) {
		t.Errorf("upsert successfulResults:\n%s", ok)
	}
	failed = e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "").body
	if !strings.Contains(failed, "DUPLICATE_EXTERNAL_ID:") {
		t.Errorf("upsert failedResults:\n%s", failed)
	}

	id = e.ingest(`{"object":"Account","operation":"delete"}`, "Id\n"+edge+"\n")
	e.advance(0)
	if info := e.state("ingest", id); info["numberRecordsProcessed"] != 1.0 || info["numberRecordsFailed"] != 0.0 {
		t.Fatalf("delete job: %v", info)
	}
	if r := e.acme.Data.Get(mustID(t, edge)); r == nil || !r.Deleted() {
		t.Error("delete did not move the record to the recycle bin")
	}
	id = e.ingest(`{"object":"Account","operation":"hardDelete"}`, "Id\n"+burl+"\n")
	e.advance(0)
	if r := e.acme.Data.Get(mustID(t, burl)); r != nil {
		t.Error("hardDelete left the record")
	}
}

func TestIngestMalformedCSVFailsTheJob(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	for _, tc := range []struct{ spec, csv, want string }{
		{`{"object":"Account","operation":"insert"}`, "Name,Bogus__c\nA,B\n", "InvalidBatch : Field name not found : Bogus__c"},
		{`{"object":"Account","operation":"insert"}`, "Name\r\nA\r\n", "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"},
		{`{"object":"Account","operation":"insert","lineEnding":"CRLF"}`, "Name\nA\n", "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF"},
		{`{"object":"Account","operation":"insert"}`, "Name\n\"A\n", "ClientInputError : Unbalanced quotes"},
		{`{"object":"Account","operation":"upsert","externalIdFieldName":"Industry"}`, "Name\nA\n", "InvalidJob : Field name provided, Industry does not match an External ID"},
	} {
		id := e.ingest(tc.spec, tc.csv)
		e.advance(0)
		info := e.state("ingest", id)
		if info["state"] != "Failed" || !strings.HasPrefix(info["errorMessage"].(string), tc.want) {
			t.Errorf("%q: %v %v, want Failed %q", tc.csv, info["state"], info["errorMessage"], tc.want)
		}
	}
	// A row with the wrong number of columns fails alone.
	id := e.ingest(`{"object":"Account","operation":"insert","columnDelimiter":"PIPE"}`, "Name|Industry\nA|Energy\nB\n")
	e.advance(0)
	if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsFailed"] != 1.0 {
		t.Errorf("column count: %v", info)
	}
}

func TestJobRequestErrors(t *testing.T) {
	e := newEnv(t, Config{MaxUploadBytes: 64})
	for _, tc := range []struct{ body, code string }{
		{`{"object":"Nope__c","operation":"insert"}`, "INVALIDENTITY"},
		{`{"object":"Account","operation":"merge"}`, "INVALIDJOB"},
		{`{"object":"Account","operation":"upsert"}`, "INVALIDJOB"},
		{`{"object":"Account","operation":"insert","columnDelimiter":"SPACE"}`, "INVALIDJOB"},
		{`{"object":"Account","operation":"insert","lineEnding":"CR"}`, "INVALIDJOB"},
		{`{"object":`, "JSON_PARSER_ERROR"},
	} {
		r := e.do("POST", "/jobs/ingest", "application/json", tc.body)
		if r.status != 400 || !strings.Contains(r.body, `"errorCode":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s, want %s", tc.body, r.status, r.body, tc.code)
		}
	}
	_, job := e.json("POST", "/jobs/ingest", `{"object":"Account","operation":"insert"}`)
	id := job["id"].(string)
	r := e.do("PUT", "/jobs/ingest/"+id+"/batches", "text/csv", "Name\n"+strings.Repeat("x", 100)+"\n")
	if r.status != 413 || !strings.Contains(r.body, "EXCEEDED_MAX_SIZE_REQUEST") {
		t.Errorf("too large: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/jobs/ingest/750xx0000000000AAA", "", ""); r.status != 404 {
		t.Errorf("unknown job: %d", r.status)
	}
	if r := e.do("POST", "/jobs/ingest/"+id, "application/json", "{}"); r.status != 405 {
		t.Errorf("POST on a job: %d %s", r.status, r.body)
	}
	if r := e.do("DELETE", "/jobs/ingest/"+id, "", ""); r.status != 400 {
		t.Errorf("delete an open job: %d %s", r.status, r.body)
	}
	// Abort an open job; aborting again is refused.
	if code, m := e.json("PATCH", "/jobs/ingest/"+id, `{"state":"Aborted"}`); code != 200 || m["state"] != "Aborted" {
		t.Errorf("abort: %d %v", code, m)
	}
	if r := e.do("PATCH", "/jobs/ingest/"+id, "application/json", `{"state":"Aborted"}`); r.status != 400 || !strings.Contains(r.body, "INVALIDJOBSTATE") {
		t.Errorf("abort twice: %d %s", r.status, r.body)
	}
}

func TestAbortBeforeProcessingLeavesRecordsUnprocessed(t *testing.T) {
	e := newEnv(t, Config{})
	id := e.ingest(`{"object":"Account","operation":"insert"}`, "Name\nA\nB\n")
	if code, _ := e.json("PATCH", "/jobs/ingest/"+id, `{"state":"Aborted"}`); code != 200 {
		t.Fatal(code)
	}
	e.advance(time.Hour)
	info := e.state("ingest", id)
	if info["state"] != "Aborted" || info["numberRecordsProcessed"] != 0.0 {
		t.Fatalf("aborted job: %v", info)
	}
	if un := e.do("GET", "/jobs/ingest/"+id+"/unprocessedrecords", "", "").body; un != "Name\nA\nB\n" {
		t.Errorf("unprocessedrecords %q", un)
	}
}

func TestListJobs(t *testing.T) {
	e := newEnv(t, Config{})
	for range 3 {
		e.json("POST", "/jobs/ingest", `{"object":"Account","operation":"insert"}`)
	}
	e.json("POST", "/jobs/query", `{"operation":"query","query":"SELECT Id FROM Account"}`)
	code, list := e.json("GET", "/jobs/ingest", "")
	if code != 200 || list["done"] != true || len(list["records"].([]any)) != 3 || list["nextRecordsUrl"] != nil {
		t.Fatalf("list: %d %v", code, list)
	}
	if rec := list["records"].([]any)[0].(map[string]any); rec["jobType"] != "V2Ingest" {
		t.Errorf("listed job %v", rec)
	}
	_, list = e.json("GET", "/jobs/ingest?isPkChunkingEnabled=true", "")
	if len(list["records"].([]any)) != 0 {
		t.Errorf("pk chunking filter: %v", list)
	}
	_, list = e.json("GET", "/jobs/query", "")
	if len(list["records"].([]any)) != 1 {
		t.Errorf("query jobs: %v", list)
	}
}

func TestQueryJobStory(t *testing.T) {
	e := newEnv(t, Config{})
	code, job := e.json("POST", "/jobs/query", `{"operation":"query","query":"SELECT Id, Name, AnnualRevenue, Owner.Name FROM Account ORDER BY Name"}`)
	if code != 200 || job["state"] != "UploadComplete" || job["object"] != "Account" || job["operation"] != "query" {
		t.Fatalf("create: %d %v", code, job)
	}
	id := job["id"].(string)
	if r := e.do("GET", "/jobs/query/"+id+"/results", "", ""); r.status != 400 {
		t.Errorf("results before processing: %d", r.status)
	}
	e.advance(DefaultDelay)
	info := e.state("query", id)
	if info["state"] != "JobComplete" || info["numberRecordsProcessed"] != 3.0 || info["jobType"] != "V2Query" {
		t.Fatalf("info %v", info)
	}
	r := e.do("GET", "/jobs/query/"+id+"/results?maxRecords=2", "", "")
	lines := strings.Split(strings.TrimSuffix(r.body, "\n"), "\n")
	if r.status != 200 || len(lines) != 3 || lines[0] != `"Id","Name","AnnualRevenue","Owner.Name"` ||
		!strings.HasSuffix(lines[1], `"Burlington Textiles",,"Send User"`) || !strings.HasSuffix(lines[2], `"Edge Communications","1.39E8","Send User"`) {
		t.Errorf("page 1: %d\n%s", r.status, r.body)
	}
	loc := r.header.Get("Sforce-Locator")
	if loc != base64.RawStdEncoding.EncodeToString([]byte("2")) || r.header.Get("Sforce-NumberOfRecords") != "2" {
		t.Errorf("headers %v", r.header)
	}
	r = e.do("GET", "/jobs/query/"+id+"/results/?locator="+loc+"&maxRecords=2", "", "")
	if r.header.Get("Sforce-Locator") != "null" || r.header.Get("Sforce-NumberOfRecords") != "1" || !strings.Contains(r.body, "Pyramid") {
		t.Errorf("page 2: %v\n%s", r.header, r.body)
	}
	if r := e.do("GET", "/jobs/query/"+id+"/results?locator=bogus!", "", ""); r.status != 400 {
		t.Errorf("bad locator: %d", r.status)
	}
}

func TestQueryJobBadSOQLFails(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	_, job := e.json("POST", "/jobs/query", `{"operation":"query","query":"SELECT Bogus__c FROM Account"}`)
	e.advance(0)
	info := e.state("query", job["id"].(string))
	msg, _ := info["errorMessage"].(string)
	if info["state"] != "Failed" || !strings.HasPrefix(msg, "INVALID_FIELD: ") || !strings.Contains(msg, "No such column 'Bogus__c'") {
		t.Errorf("bad SOQL: %v", info)
	}
	// queryAll sees deleted records; aggregates are refused.
	acct := e.acme.Schema.Object("Account")
	recs, _ := e.acme.Data.Lookup(acct, acct.Field("External_Key__c"), "EDGE-1", false)
	e.acme.Data.Delete(recs[0].ID, nil, testNow)
	_, job = e.json("POST", "/jobs/query", `{"operation":"queryAll","query":"SELECT Id, IsDeleted FROM Account"}`)
	e.advance(0)
	if info := e.state("query", job["id"].(string)); info["numberRecordsProcessed"] != 3.0 {
		t.Errorf("queryAll: %v", info)
	}
	_, job = e.json("POST", "/jobs/query", `{"operation":"query","query":"SELECT COUNT() FROM Account"}`)
	e.advance(0)
	if info := e.state("query", job["id"].(string)); info["state"] != "Failed" {
		t.Errorf("aggregate: %v", info)
	}
}

func TestIngestRelationshipColumns(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	id := e.ingest(`{"object":"Contact","operation":"insert"}`,
		"LastName,Account.External_Key__c\nRogers,EDGE-1\nNobody,MISSING\nTwice,DUP\n")
	e.advance(0)
	if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsFailed"] != 2.0 {
		t.Fatalf("job: %v", info)
	}
	ok := e.do("GET", "/jobs/ingest/"+id+"/successfulResults", "", "").body
	lines := strings.Split(strings.TrimSpace(ok), "\n")
	if len(lines) != 2 || lines[0] != `"sf__Id","sf__Created",LastName,Account.External_Key__c` {
		t.Fatalf("successfulResults:\n%s", ok)
	}
	contact := e.acme.Data.Get(mustID(t, strings.Trim(strings.Split(lines[1], ",")[0], `"`)))
	acct := e.acme.Schema.Object("Account")
	edge, _ := e.acme.Data.Lookup(acct, acct.Field("External_Key__c"), "EDGE-1", false)
	if contact.GetName("AccountId") != string(edge[0].ID) {
		t.Errorf("AccountId %v, want %s", contact.GetName("AccountId"), edge[0].ID)
	}
	failed := e.do("GET", "/jobs/ingest/"+id+"/failedResults", "", "").body
	if !strings.Contains(failed, `"INVALID_FIELD:Foreign key external ID: MISSING not found for field External_Key__c in entity Account:--"`) ||
		!strings.Contains(failed, "More than 1 record found for External ID field External_Key__c: DUP") {
		t.Errorf("failedResults:\n%s", failed)
	}
	// A relationship through a field that is no external id is an unknown field.
	id = e.ingest(`{"object":"Contact","operation":"insert"}`, "LastName,Account.Industry\nX,Energy\n")
	e.advance(0)
	if info := e.state("ingest", id); info["errorMessage"] != "InvalidBatch : Field name not found : Account.Industry" {
		t.Errorf("non-external key: %v", info)
	}
}

// TestDeletedJobsAreFreed: a deleted job, its upload and its results are
// garbage once the answer is sent — whether it was the first, a middle or
// the last job held.
func TestDeletedJobsAreFreed(t *testing.T) {
	e := newEnv(t, Config{Delay: -1})
	var ids []string
	for range 3 {
		ids = append(ids, e.ingest(`{"object":"Account","operation":"insert"}`, "Name\nA\nB\n"))
	}
	e.sched.Wait()
	freed := make(chan string, len(ids))
	for _, id := range ids {
		e.svc.mu.Lock()
		j := e.svc.jobs[id]
		e.svc.mu.Unlock()
		runtime.AddCleanup(j, func(id string) { freed <- id }, id)
	}
	for _, i := range []int{1, 0, 2} {
		if r := e.do("DELETE", "/jobs/ingest/"+ids[i], "", ""); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
	}
	got := map[string]bool{}
	for deadline := time.Now().Add(5 * time.Second); len(got) < len(ids) && time.Now().Before(deadline); {
		runtime.GC()
		select {
		case id := <-freed:
			got[id] = true
		case <-time.After(10 * time.Millisecond):
		}
	}
	if len(got) != len(ids) {
		t.Errorf("%d of %d deleted jobs freed: something still holds them", len(got), len(ids))
	}
}
