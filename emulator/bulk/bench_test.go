package bulk

import (
	"fmt"
	"runtime"
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
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
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
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*perJob), "allocs/record")
}

// BenchmarkIngestUpsert runs upsert jobs of 10,000 Accounts by an external
// id, every one new (so inserted), stored in batches and, for comparison,
// row by row.
func BenchmarkIngestUpsert(b *testing.B) {
	const perJob = 10000
	for _, mode := range []string{"batched", "row-by-row"} {
		b.Run(mode, func(b *testing.B) {
			e := newEnv(b, Config{Delay: -1})
			e.svc.rowByRow = mode == "row-by-row"
			runtime.GC() // the collector paced from this mode's heap, not the one before's
			b.ReportAllocs()
			start := time.Now()
			for n := range b.N {
				var sb strings.Builder
				sb.WriteString("External_Key__c,Name,Industry,AnnualRevenue\n")
				for i := range perJob {
					fmt.Fprintf(&sb, "K-%d-%d,Account %d,Energy,%d\n", n, i, i, i*10)
				}
				id := e.ingest(`{"object":"Account","operation":"upsert","externalIdFieldName":"External_Key__c"}`, sb.String())
				e.sched.Wait()
				if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsFailed"] != 0.0 {
					b.Fatalf("job: %v", info)
				}
			}
			b.ReportMetric(float64(b.N*perJob)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkIngestStored100k is what a record stored by Bulk ingest costs:
// one 100,000-record insert job of ten fields (as
// BenchmarkStoreAccounts100k in emulator/org stores them one by one), the
// job deleted afterwards; heap bytes per record (target: under 1 KiB).
func BenchmarkIngestStored100k(b *testing.B) {
	const n = 100_000
	var sb strings.Builder
	sb.WriteString("Name,Industry,Type,Phone,BillingCity,BillingCountry,AnnualRevenue,NumberOfEmployees,Website,AccountNumber\n")
	for j := range n {
		fmt.Fprintf(&sb, "Account %06d,Energy,Customer - Direct,(512) 757-6000,Austin,USA,%d,%d,https://example.com,CD%06d\n", j, j*1000, j%5000, j)
	}
	csv := sb.String()
	for range b.N {
		b.StopTimer()
		e := newEnv(b, Config{Delay: -1})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		start := time.Now()
		id := e.ingest(`{"object":"Account","operation":"insert"}`, csv)
		e.sched.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		if info := e.state("ingest", id); info["state"] != "JobComplete" || info["numberRecordsFailed"] != 0.0 {
			b.Fatalf("job: %v", info)
		}
		if r := e.do("DELETE", "/jobs/ingest/"+id, "", ""); r.status != 204 {
			b.Fatalf("delete: %d %s", r.status, r.body)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "B/record")
		b.ReportMetric(n/elapsed.Seconds(), "records/s")
		runtime.KeepAlive(e)
	}
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
