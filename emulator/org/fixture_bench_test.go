package org

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

// fixtureBenchRecords is how many Accounts the fixture-loading benchmarks
// load: issue 15's 100,000-record fixture.
const fixtureBenchRecords = 100_000

const fixtureBenchHead = "org: {name: Bench}\nusers: [{username: u@bench.example, profile: System Administrator}]\n"

// benchAccount is the i-th Account's six fields, as text.
func benchAccount(i int) []string {
	return []string{fmt.Sprintf("Account %06d", i), "Energy", "Customer - Direct", "(512) 757-6000", "Austin", fmt.Sprint(i * 1000)}
}

var benchAccountFields = []string{"Name", "Industry", "Type", "Phone", "BillingCity", "AnnualRevenue"}

// BenchmarkFixtureLoadYAML100k loads a fixture of 100,000 Accounts of six
// fields written as YAML, from its bytes to the org ready to answer, and
// reports records/s and ms-to-ready (issue 15: ≥ 250k records/s, ready in
// ≤ 0.4 s).
func BenchmarkFixtureLoadYAML100k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(fixtureBenchHead + "records:\n  Account:\n")
	for i := range fixtureBenchRecords {
		v := benchAccount(i)
		fmt.Fprintf(&sb, "    - {Name: %s, Industry: %s, Type: %s, Phone: \"%s\", BillingCity: %s, AnnualRevenue: %s}\n", v[0], v[1], v[2], v[3], v[4], v[5])
	}
	benchFixtureLoad(b, Source{Name: "bench.yaml", Data: []byte(sb.String())})
}

// BenchmarkFixtureLoadCSV100k is the same records from a CSV file
// (records: {Account: accounts.csv}).
func BenchmarkFixtureLoadCSV100k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(strings.Join(benchAccountFields, ",") + "\n")
	for i := range fixtureBenchRecords {
		v := benchAccount(i)
		fmt.Fprintf(&sb, "%s,%s,%s,%s,%s,%s\n", v[0], v[1], v[2], v[3], v[4], v[5])
	}
	csv := []byte(sb.String())
	benchFixtureLoad(b, Source{Name: "bench.yaml", Data: []byte(fixtureBenchHead + "records: {Account: accounts.csv}\n"),
		ReadFile: func(string) ([]byte, error) { return csv, nil }})
}

func benchFixtureLoad(b *testing.B, src Source) {
	b.ReportAllocs()
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		s, err := NewStore(clock.NewVirtual(dataNow), src)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		o := s.Orgs()[0]
		if n := o.Data.Count(o.Schema.Object("Account")); n != fixtureBenchRecords {
			b.Fatalf("%d Accounts, want %d", n, fixtureBenchRecords)
		}
	}
	per := total / time.Duration(b.N)
	b.ReportMetric(fixtureBenchRecords/per.Seconds(), "records/s")
	b.ReportMetric(float64(per.Microseconds())/1000, "ms-to-ready")
	b.ReportMetric(0, "ns/op")
}
