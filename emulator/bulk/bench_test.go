package bulk

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkIngest uploads and processes insert jobs of 10,000 Accounts
// through HTTP: records/s counts upload, processing and the results CSVs.
func BenchmarkIngest(b *testing.B) {
	const perJob = 10000
	e := newEnv(b, Config{Delay: -1})
	var sb strings.Builder
	sb.WriteString("Name,Industry,AnnualRevenue,Description\n")
	for i := range perJob {
		fmt.Fprintf(&sb, "Account %d,Energy,%d,\"A description, with a comma\"\n", i, i*10)
	}
	csv := sb.String()
	b.SetBytes(int64(len(csv)))
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		id := e.ingest(`{"object":"Account","operation":"insert"}`, csv)
		e.sched.Wait()
		if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsFailed"] != 0.0 {
			b.Fatalf("job: %v", info)
		}
	}
	b.ReportMetric(float64(b.N*perJob)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkQueryResults fetches a 100,000-record query job's results CSV.
func BenchmarkQueryResults(b *testing.B) {
	const n = 100000
	e, job := completedQueryJob(b, n)
	id := job["id"].(string)
	if info := e.state("query", id); info["state"] != "JobComplete" {
		b.Fatalf("job: %v", info)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		r := e.do("GET", "/jobs/query/"+id+"/results?maxRecords=200000", "", "")
		if r.status != 200 || r.header.Get("Sforce-NumberOfRecords") != fmt.Sprint(n+3) {
			b.Fatalf("results: %d %v", r.status, r.header)
		}
	}
	b.ReportMetric(float64(b.N*(n+3))/time.Since(start).Seconds(), "records/s")
}

// BenchmarkQueryResultsCSV renders a 100,000-record page of results CSV,
// without HTTP: the query engine's rows to Bulk API CSV.
func BenchmarkQueryResultsCSV(b *testing.B) {
	const n = 100000
	e, job := completedQueryJob(b, n)
	e.svc.mu.Lock()
	j := e.svc.jobs[job["id"].(string)]
	e.svc.mu.Unlock()
	res := j.result
	b.ResetTimer()
	start := time.Now()
	var size int
	for range b.N {
		size = len(appendCSV(nil, j, res, res.Rows))
	}
	b.ReportMetric(float64(b.N*len(res.Rows))/time.Since(start).Seconds(), "records/s")
	b.SetBytes(int64(size))
}

// completedQueryJob is an environment with n more Accounts and a finished
// query job over every Account (n plus the fixture's), for the results benchmarks.
func completedQueryJob(b *testing.B, n int) (*env, map[string]any) {
	b.Helper()
	e := newEnv(b, Config{Delay: -1})
	acct := e.acme.Schema.Object("Account")
	user := e.acme.Users[0]
	for i := range n {
		if _, errs := e.acme.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Account %d", i), "Industry": "Energy", "AnnualRevenue": float64(i)}, user, testNow, dmlOpts); errs != nil {
			b.Fatal(errs)
		}
	}
	_, job := e.json("POST", "/jobs/query", `{"operation":"query","query":"SELECT Id, Name, Industry, AnnualRevenue, CreatedDate, Owner.Name FROM Account"}`)
	e.sched.Wait()
	return e, job
}
