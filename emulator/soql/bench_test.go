package soql

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

const benchAccounts = 100_000

var (
	benchOnce sync.Once
	benchE    Env
	benchRecs []*org.Record
)

// benchEnv loads 100,000 Accounts with about ten fields each, last modified
// over the past two years.
func benchEnv(b *testing.B) (Env, []*org.Record) {
	b.Helper()
	benchOnce.Do(func() {
		s, err := org.NewStore(clock.NewVirtual(testNow), org.Source{Name: "bench.yaml", Data: []byte("org: {name: Bench}\nusers:\n  - {username: admin@bench.example, profile: System Administrator}\n")})
		if err != nil {
			b.Fatal(err)
		}
		o := s.Orgs()[0]
		acct := o.Schema.Object("Account")
		words := []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliet", "Kilo", "Lima"}
		industries := []string{"Energy", "Banking", "Retail", "Media", "Apparel", "Technology"}
		for i := 0; i < benchAccounts; i++ {
			mod := testNow.Add(-time.Duration(i%730) * 24 * time.Hour)
			_, errs := o.Data.Insert(acct, map[string]any{
				"Name":              fmt.Sprintf("%s %s %06d", words[i%len(words)], words[(i/7)%len(words)], (i*7919)%benchAccounts),
				"Industry":          industries[i%len(industries)],
				"AnnualRevenue":     float64(i % 1000 * 1000),
				"NumberOfEmployees": float64(i % 500),
				"Phone":             "+1 555 0100",
				"Website":           "https://example.com",
				"BillingCity":       "Springfield",
				"BillingCountry":    "US",
				"Rating":            "Warm",
				"CreatedDate":       mod.Format(time.RFC3339),
				"LastModifiedDate":  mod.Format(time.RFC3339),
			}, nil, testNow, org.DMLOptions{AllowSystemFields: true})
			if len(errs) > 0 {
				b.Fatal(errs)
			}
		}
		benchE = Env{Schema: o.Schema, Data: o.Data, Now: testNow, Location: time.UTC}
		o.Data.Scan(acct, false, func(r *org.Record) bool { benchRecs = append(benchRecs, r); return true })
	})
	return benchE, benchRecs
}

func report(b *testing.B, records int) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func benchQuery(b *testing.B, query string, wantRows int) {
	env, _ := benchEnv(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		q, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		res, err := q.Run(env)
		if err != nil {
			b.Fatal(err)
		}
		if wantRows >= 0 && len(res.Rows) != wantRows {
			b.Fatalf("%d rows, want %d", len(res.Rows), wantRows)
		}
	}
}

// BenchmarkQuery100k runs each query next to a bare Go loop doing the same
// work over the same []*org.Record: the floor.
func BenchmarkQuery100k(b *testing.B) {
	env, recs := benchEnv(b)
	acct := env.Schema.Object("Account")
	name, lmd, industry, revenue := acct.Field("Name"), acct.Field("LastModifiedDate"), acct.Field("Industry"), acct.Field("AnnualRevenue")
	target := recs[54321].Values[name.Index].(string)

	b.Run("IndexedNameEquals", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE Name = '"+target+"'", 1)
		report(b, 1)
	})
	b.Run("IndexedIdEquals", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE Id = '"+string(recs[54321].ID)+"'", 1)
		report(b, 1)
	})

	cutoff := time.Date(testNow.Year(), testNow.Month(), testNow.Day()-365, 0, 0, 0, 0, time.UTC) // LAST_N_DAYS:365 in UTC
	b.Run("LastNDaysOrderByLimit", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE LastModifiedDate = LAST_N_DAYS:365 ORDER BY Name LIMIT 2000", 2000)
		report(b, benchAccounts)
	})
	b.Run("LastNDaysOrderByLimit/BareLoop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var hits []*org.Record
			for _, r := range recs {
				if t, ok := r.Values[lmd.Index].(time.Time); ok && !t.Before(cutoff) {
					hits = append(hits, r)
				}
			}
			slices.SortFunc(hits, func(x, y *org.Record) int {
				return compareFold(x.Values[name.Index].(string), y.Values[name.Index].(string))
			})
			if len(hits) > 2000 {
				hits = hits[:2000]
			}
			if len(hits) != 2000 {
				b.Fatal(len(hits))
			}
		}
		report(b, benchAccounts)
	})

	b.Run("LikeScan", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE Name LIKE '%xtro%'", -1)
		report(b, benchAccounts)
	})
	b.Run("LikeScan/BareLoop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, r := range recs {
				if s, ok := r.Values[name.Index].(string); ok && strings.Contains(strings.ToLower(s), "xtro") {
					n++
				}
			}
			if n == 0 {
				b.Fatal("no match")
			}
		}
		report(b, benchAccounts)
	})

	b.Run("GroupBy", func(b *testing.B) {
		benchQuery(b, "SELECT Industry, COUNT(Id), SUM(AnnualRevenue) FROM Account GROUP BY Industry", 6)
		report(b, benchAccounts)
	})
	b.Run("GroupBy/BareLoop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			type agg struct {
				n   int
				sum float64
			}
			groups := map[string]*agg{}
			for _, r := range recs {
				k, _ := r.Values[industry.Index].(string)
				g := groups[k]
				if g == nil {
					g = &agg{}
					groups[k] = g
				}
				g.n++
				if f, ok := r.Values[revenue.Index].(float64); ok {
					g.sum += f
				}
			}
			if len(groups) != 6 {
				b.Fatal(len(groups))
			}
		}
		report(b, benchAccounts)
	})
}
