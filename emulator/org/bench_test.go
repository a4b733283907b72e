package org

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

// BenchmarkStoreAccounts100k measures what a stored record costs: 100,000
// Accounts with ten fields set, as an import would create them, under the
// full standard schema (every Account field of standard_schema.txt). It
// reports heap bytes per record (target: under 1 KiB), inserts per second
// and the number of Account fields the schema has.
func BenchmarkStoreAccounts100k(b *testing.B) { benchStoreAccounts(b, nil) }

// BenchmarkStoreAccountsWide100k is the same with five more fields set,
// among them the rarely set ones at the end of the Account's field list
// that a contact-centre integration reads (Sic, SicDesc, Jigsaw).
func BenchmarkStoreAccountsWide100k(b *testing.B) {
	benchStoreAccounts(b, map[string]any{"Sic": "7372", "SicDesc": "Prepackaged Software", "Jigsaw": "123456",
		"TickerSymbol": "EDGE", "Ownership": "Public"})
}

func benchStoreAccounts(b *testing.B, extra map[string]any) {
	const n = 100_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := NewStore(clock.NewVirtual(dataNow), Source{Name: "bench.yaml", Data: []byte("org: {name: Bench}\nusers: [{username: u@bench.example, profile: Standard User}]\n")})
		if err != nil {
			b.Fatal(err)
		}
		o := s.Orgs()[0]
		acct := o.Schema.Object("Account")
		record := func(j int) map[string]any {
			m := map[string]any{
				"Name": fmt.Sprintf("Account %06d", j), "Industry": "Energy", "Type": "Customer - Direct",
				"Phone": "(512) 757-6000", "BillingCity": "Austin", "BillingCountry": "USA",
				"AnnualRevenue": float64(j * 1000), "NumberOfEmployees": float64(j % 5000),
				"Website": "https://example.com", "AccountNumber": fmt.Sprintf("CD%06d", j),
			}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		start := time.Now()
		for j := 0; j < n; j++ {
			if _, errs := o.Data.Insert(acct, record(j), o.Users[0], dataNow, DMLOptions{}); errs != nil {
				b.Fatal(errs)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/record")
		b.ReportMetric(n/elapsed.Seconds(), "inserts/s")
		b.ReportMetric(float64(len(acct.Fields)), "fields")
		runtime.KeepAlive(o)
	}
}
