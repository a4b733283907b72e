package emulator_test

// BenchmarkPagedScan: a client paging through every Account over HTTP —
// GET /query, then each nextRecordsUrl — against sfemu and, side by side,
// against a bare net/http server that pages the same records from a slice
// with encoding/json: the floor a Go server doing only this reaches.
// docs/PERFORMANCE.md has the figures; nothing here asserts a time.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

const scanQuery = "SELECT Id, Name, Industry, AnnualRevenue, BillingCity FROM Account"

func BenchmarkPagedScan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		emu, token := scanEmulator(b, n)
		srv := httptest.NewServer(emu)
		b.Run(fmt.Sprintf("sfemu/%dk", n/1000), func(b *testing.B) {
			benchScan(b, srv.URL, token, n)
		})
		srv.Close()
		emu.Close()

		bare := httptest.NewServer(bareScanServer(n))
		b.Run(fmt.Sprintf("bare/%dk", n/1000), func(b *testing.B) {
			benchScan(b, bare.URL, "", n)
		})
		bare.Close()
	}
}

// scanEmulator is an emulator whose org holds n Accounts, and a session.
func scanEmulator(b *testing.B, n int) (*emulator.Emulator, string) {
	b.Helper()
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{benchFixture(false, 100)}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		f := scanFields(i)
		if _, err := emu.CreateRecord(ctx, "Bench", wire.CreateRecord{Object: "Account", Fields: map[string]any{
			"Name": f.Name, "Industry": f.Industry, "AnnualRevenue": f.AnnualRevenue, "BillingCity": f.BillingCity}}); err != nil {
			b.Fatal(err)
		}
	}
	store := emu.Store()
	return emu, store.Sessions.Open(store.User(benchUsername), nil, 24*time.Hour, false).Token
}

type scanRecord struct {
	Attributes    scanAttributes `json:"attributes"`
	ID            string         `json:"Id"`
	Name          string         `json:"Name"`
	Industry      string         `json:"Industry"`
	AnnualRevenue float64        `json:"AnnualRevenue"`
	BillingCity   string         `json:"BillingCity"`
}

type scanAttributes struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

func scanFields(i int) scanRecord {
	return scanRecord{Name: fmt.Sprintf("Account %06d", i), Industry: []string{"Energy", "Apparel", "Banking"}[i%3],
		AnnualRevenue: float64(i * 1000), BillingCity: "Springfield"}
}

// bareScanServer pages n records 2,000 at a time, as the query resource
// does, with nothing else: no parsing, no session, no journal.
func bareScanServer(n int) http.Handler {
	recs := make([]scanRecord, n)
	for i := range recs {
		recs[i] = scanFields(i)
		recs[i].ID = fmt.Sprintf("001xx%010dAAA", i)
		recs[i].Attributes = scanAttributes{Type: "Account", URL: "/services/data/v66.0/sobjects/Account/" + recs[i].ID}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		to := min(from+2000, n)
		page := struct {
			TotalSize int          `json:"totalSize"`
			Done      bool         `json:"done"`
			Next      string       `json:"nextRecordsUrl,omitempty"`
			Records   []scanRecord `json:"records"`
		}{TotalSize: n, Done: to == n, Records: recs[from:to]}
		if to < n {
			page.Next = "/bare?from=" + strconv.Itoa(to)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(page)
	})
}

// benchScan pages through every record b.N times and reports full scans
// and records a second.
func benchScan(b *testing.B, base, token string, n int) {
	// No Accept-Encoding: both servers send the same uncompressed JSON (sfemu
	// gzips, as Salesforce does, for a client that asks).
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	first := base + "/services/data/v66.0/query?q=" + url.QueryEscape(scanQuery)
	if token == "" {
		first = base + "/bare?from=0"
	}
	get := func(u string) (next string, records int) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct {
			Next    string            `json:"nextRecordsUrl"`
			Records []json.RawMessage `json:"records"`
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &page) != nil {
			b.Fatalf("GET %s: %d %.200s", u, resp.StatusCode, body)
		}
		return page.Next, len(page.Records)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		seen := 0
		for u := first; u != ""; {
			next, got := get(u)
			seen += got
			u = ""
			if next != "" {
				u = base + next
			}
		}
		if seen != n {
			b.Fatalf("%d records, want %d", seen, n)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scans/s")
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSeedOverHTTP: 100,000 Accounts created through POST
// /composite/sobjects, 200 a call, as a test suite seeds an org: records a
// second, and the live heap each record adds (the record, its indexes, its
// share of the API journal) once the garbage is collected.
func BenchmarkSeedOverHTTP(b *testing.B) {
	const calls, per = 500, 200
	bodies := make([]string, calls)
	for k := range bodies {
		var sb strings.Builder
		sb.WriteString(`{"records":[`)
		for i := range per {
			if i > 0 {
				sb.WriteByte(',')
			}
			f := scanFields(k*per + i)
			fmt.Fprintf(&sb, `{"attributes":{"type":"Account"},"Name":%q,"Industry":%q,"AnnualRevenue":%g,"BillingCity":%q}`, f.Name, f.Industry, f.AnnualRevenue, f.BillingCity)
		}
		sb.WriteString("]}")
		bodies[k] = sb.String()
	}
	var perRecord float64
	var cpu time.Duration // user and system time of the process (client and server) while timed
	for b.Loop() {
		b.StopTimer()
		emu, err := emulator.New(emulator.Options{Orgs: []org.Source{benchFixture(false, 100)}})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(emu)
		store := emu.Store()
		token := store.Sessions.Open(store.User(benchUsername), nil, 24*time.Hour, false).Token
		client := &http.Client{}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		cpuBefore := processCPU()
		b.StartTimer()
		for _, body := range bodies {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/services/data/v66.0/composite/sobjects", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || strings.Contains(string(out), `"success":false`) {
				b.Fatalf("%d %.300s", resp.StatusCode, out)
			}
		}
		b.StopTimer()
		cpu += processCPU() - cpuBefore
		runtime.GC()
		runtime.ReadMemStats(&ms)
		perRecord = float64(int64(ms.HeapAlloc)-int64(before)) / (calls * per)
		srv.Close()
		emu.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*calls*per)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(perRecord, "B/record")
	// CPU time a record costs, client and server together: on a shared
	// host it moves far less with the load than records/s does.
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N*calls*per), "cpu-µs/record")
	b.ReportMetric(0, "ns/op")
}
