package soql

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

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
	// likeMatches is how many names contain "xtro" (Foxtrot) in any case.
	likeMatches := 0
	for _, r := range recs {
		if strings.Contains(strings.ToLower(r.Values[name.Index].(string)), "xtro") {
			likeMatches++
		}
	}

	b.Run("IndexedNameEquals", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE Name = '"+target+"'", 1)
		report(b, 1)
	})
	b.Run("IndexedIdEquals", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE Id = '"+string(recs[54321].ID)+"'", 1)
		report(b, 1)
	})

	// LAST_N_DAYS:365 in UTC: [midnight 365 days ago, midnight tomorrow).
	from := time.Date(testNow.Year(), testNow.Month(), testNow.Day()-365, 0, 0, 0, 0, time.UTC)
	to := time.Date(testNow.Year(), testNow.Month(), testNow.Day()+1, 0, 0, 0, 0, time.UTC)
	b.Run("LastNDaysOrderByLimit", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE LastModifiedDate = LAST_N_DAYS:365 ORDER BY Name LIMIT 2000", 2000)
		report(b, benchAccounts)
	})
	b.Run("LastNDaysOrderByLimit/BareLoop", func(b *testing.B) {
		// The floor keeps only the best 2000 names in a bounded max-heap
		// (most matches are rejected by one comparison with its root) and
		// sorts those 2000 at the end, as the issue asks of the engine.
		const limit = 2000
		b.ReportAllocs()
		for b.Loop() {
			top := bareTopK{k: limit, items: make([]bareHit, 0, limit)}
			for _, r := range recs {
				if t, ok := r.Values[lmd.Index].(time.Time); ok && !t.Before(from) && t.Before(to) {
					s, _ := r.Values[name.Index].(string)
					top.offer(s, r)
				}
			}
			hits := top.sorted()
			if len(hits) != limit {
				b.Fatal(len(hits))
			}
		}
		report(b, benchAccounts)
	})

	b.Run("LikeScan", func(b *testing.B) {
		benchQuery(b, "SELECT Id, Name FROM Account WHERE Name LIKE '%xtro%'", likeMatches)
		report(b, benchAccounts)
	})
	b.Run("LikeScan/BareLoop", func(b *testing.B) {
		// The floor: a non-allocating ASCII case-insensitive substring test
		// with a folding fallback for non-ASCII names, collecting the hits.
		b.ReportAllocs()
		for b.Loop() {
			hits := make([]*org.Record, 0, likeMatches)
			for _, r := range recs {
				if s, ok := r.Values[name.Index].(string); ok && bareContainsFold(s, "xtro") {
					hits = append(hits, r)
				}
			}
			if len(hits) != likeMatches {
				b.Fatal(len(hits))
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
			// SOQL groups text case-insensitively: merge the raw keys by
			// their folded form (6 keys here, outside the per-record path).
			folded := map[string]agg{}
			for k, g := range groups {
				f := folded[strings.ToLower(k)]
				f.n += g.n
				f.sum += g.sum
				folded[strings.ToLower(k)] = f
			}
			if len(folded) != 6 {
				b.Fatal(len(folded))
			}
		}
		report(b, benchAccounts)
	})
}

// bareContainsFold reports whether s contains the lower-case ASCII needle
// ignoring case, as SOQL's LIKE '%needle%' does. ASCII names take a
// byte loop that does not allocate; a name with any non-ASCII byte is
// compared rune by rune with Unicode simple folding.
func bareContainsFold(s, needle string) bool {
	first := needle[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper -= 'a' - 'A'
	}
	last := len(s) - len(needle)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return runeContainsFold(s, needle)
		}
		if i > last || (c != first && c != upper) {
			continue
		}
		j := 1
		for ; j < len(needle); j++ {
			d := s[i+j]
			if 'A' <= d && d <= 'Z' {
				d += 'a' - 'A'
			}
			if d != needle[j] {
				break
			}
		}
		if j == len(needle) {
			return true
		}
	}
	return false
}

func runeContainsFold(s, needle string) bool {
	for i := range s {
		rest, n := s[i:], needle
		for len(n) > 0 && len(rest) > 0 {
			r, size := utf8.DecodeRuneInString(rest)
			if unicode.ToLower(r) != rune(n[0]) {
				break
			}
			rest, n = rest[size:], n[1:]
		}
		if len(n) == 0 {
			return true
		}
	}
	return false
}

type bareHit struct {
	name string
	r    *org.Record
}

// bareTopK keeps the k smallest names (case-insensitive) in a max-heap.
type bareTopK struct {
	k     int
	items []bareHit
}

func (h *bareTopK) offer(name string, r *org.Record) {
	items := h.items
	if len(items) < h.k {
		items = append(items, bareHit{name, r})
		for i := len(items) - 1; i > 0; {
			parent := (i - 1) / 2
			if compareFold(items[parent].name, items[i].name) >= 0 {
				break
			}
			items[parent], items[i] = items[i], items[parent]
			i = parent
		}
		h.items = items
		return
	}
	if compareFold(name, items[0].name) >= 0 {
		return
	}
	items[0] = bareHit{name, r}
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(items) {
			return
		}
		worst := l
		if l+1 < len(items) && compareFold(items[l].name, items[l+1].name) < 0 {
			worst = l + 1
		}
		if compareFold(items[i].name, items[worst].name) >= 0 {
			return
		}
		items[i], items[worst] = items[worst], items[i]
		i = worst
	}
}

func (h *bareTopK) sorted() []*org.Record {
	slices.SortFunc(h.items, func(a, b bareHit) int { return compareFold(a.name, b.name) })
	out := make([]*org.Record, len(h.items))
	for i, x := range h.items {
		out[i] = x.r
	}
	return out
}
