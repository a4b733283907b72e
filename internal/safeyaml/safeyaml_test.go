package safeyaml

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// billionLaughs is the classic alias bomb: nine anchors, each a list of
// nine aliases of the one before, 9^9 strings once expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("lol0: &lol0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n")
	for i := 1; i < 9; i++ {
		p := fmt.Sprintf("*lol%d", i-1)
		fmt.Fprintf(&b, "lol%d: &lol%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 9), ", "))
	}
	return b.String()
}

// mergeChain doubles with every link: each mapping merges the one before
// twice.
func mergeChain(links int) string {
	var b strings.Builder
	b.WriteString("m0: &m0 {k0: v}\n")
	for i := 1; i < links; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {<<: [*m%d, *m%d], k%d: v}\n", i, i, i-1, i-1, i)
	}
	return b.String()
}

// aliasStairs nests one level deeper with each anchor: few bytes, deep
// once expanded.
func aliasStairs(n int) string {
	var b strings.Builder
	b.WriteString("s0: &s0 [x]\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "s%d: &s%d [*s%d]\n", i, i, i-1)
	}
	return b.String()
}

// records is a fixture-like document of n records sharing defaults
// through a merge key.
func records(n int, merge bool) string {
	var b strings.Builder
	b.WriteString("org: {name: Bench}\n")
	if merge {
		b.WriteString("defaults: &defaults {Industry: Energy, Type: Customer - Direct, BillingCountry: USA}\n")
	}
	b.WriteString("records:\n  Account:\n")
	for i := range n {
		if merge {
			fmt.Fprintf(&b, "    - {<<: *defaults, Name: Account %06d, AccountNumber: CD%06d}\n", i, i)
		} else {
			fmt.Fprintf(&b, "    - {Name: Account %06d, Industry: Energy, Phone: (512) 757-6000, BillingCity: Austin, AccountNumber: CD%06d}\n", i, i)
		}
	}
	return b.String()
}

// measure runs f and reports how long it took and how many bytes it
// allocated in all (an upper bound on how much the heap grew).
func measure(f func()) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return elapsed, after.TotalAlloc - before.TotalAlloc
}

// TestBombsAreRefused: each row is a finding of issue 15 or its kin — a
// small document that would cost gigabytes or minutes to expand. Each is
// refused within 10 s even under -race on a busy machine (the slowest,
// lexing 500 KB, takes 0.3 s without it), at the line and column of the part that goes
// over budget, having allocated under 128 MB: the YAML library's lexer
// costs up to 300 bytes a byte of bracket-only text (100 MB for the
// 500 KB of nested flow mappings) before any check can look at tokens;
// the others stay under 30 MB.
func TestBombsAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantMsg string // the error is name.yaml:LINE:COL: wantMsg…
		noLine  bool   // the document as a whole is refused
	}{
		{"billion laughs: nine anchors of nine aliases", billionLaughs(),
			"alias *lol5 expands the document by more than 1000000 nodes (YAML bomb?)", false},
		{"a chain of << merge keys, each merging the one before twice", mergeChain(40),
			"merge key <<: *m15 expands the document by more than 1000000 nodes (YAML bomb?)", false},
		{"one 1 MiB scalar aliased 40 times", "a: &a " + strings.Repeat("x", 1<<20) + "\nb: [" + strings.TrimSuffix(strings.Repeat("*a, ", 40), ", ") + "]\n",
			"alias *a expands the document by more than 32 MiB of text (YAML bomb?)", false},
		{"100,000 nested flow sequences", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n",
			"nesting deeper than 200 levels", false},
		{"100,000 nested flow mappings", strings.Repeat("{a: ", 100_000) + "x" + strings.Repeat("}", 100_000) + "\n",
			"nesting deeper than 200 levels", false},
		{"100,000 nested block sequences on one line", strings.Repeat("- ", 100_000) + "x\n",
			"nesting deeper than 200 levels", false},
		{"300 nested block mappings", func() string {
			var b strings.Builder
			for i := range 300 {
				fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
			}
			return b.String()
		}(), "nesting deeper than 200 levels", false},
		{"aliases that each nest one level deeper", aliasStairs(300),
			"alias *s198 nests the document deeper than 200 levels", false},
		{"a scalar of 33 MiB", "a: " + strings.Repeat("x", 33<<20) + "\n",
			"the document is 34603012 bytes, more than the 32 MiB sfemu reads", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.doc)
			var err error
			elapsed, allocated := measure(func() {
				var v any
				err = Unmarshal("bomb.yaml", data, &v)
			})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Unmarshal error = %v (%T), want an *Error", err, err)
			}
			if !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("error %q, want %q", err, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "bomb.yaml:") || (!tt.noLine && (e.Line == 0 || e.Column == 0)) {
				t.Errorf("error %q does not name file:line:column", err)
			}
			if elapsed > 10*time.Second {
				t.Errorf("refusing took %v, want under 10 s", elapsed)
			}
			if allocated > 128<<20 {
				t.Errorf("refusing allocated %d MB, want under 128 MB", allocated>>20)
			}
			t.Logf("%d bytes refused in %v, %.1f MB allocated: %v", len(data), elapsed, float64(allocated)/(1<<20), err)
		})
	}
}

// TestDocumentsWithinBudgetDecodeAsBefore: what real fixtures do with
// anchors and merge keys still works, and decodes to what the library
// decodes on its own.
func TestDocumentsWithinBudgetDecodeAsBefore(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"shared defaults merged into 1,000 records", records(1000, true)},
		{"an anchor aliased a few times", "a: &x {k: v}\nb: *x\nc: [*x, *x]\n"},
		{"a merge key with a list of anchors", "a: &a {x: 1}\nb: &b {y: 2}\nc: {<<: [*a, *b], z: 3}\n"},
		{"nesting 200 levels deep, the limit", strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n"},
		{"block nesting a dozen levels deep", "a:\n  b:\n    - c:\n        - - d: [e, {f: g}]\n"},
		{"a sequence at its key's column", "a:\n- x\n- y\nb:\n- z\n"},
		{"several documents", "a: 1\n---\nb: 2\n"},
		{"an empty document", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, want any
			if err := Unmarshal("ok.yaml", []byte(tt.doc), &got); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if err := yaml.Unmarshal([]byte(tt.doc), &want); err != nil {
				t.Fatalf("yaml.Unmarshal: %v", err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Unmarshal = %.200v, the library alone %.200v", got, want)
			}
		})
	}
}

// TestLimitsAreSettings: a caller can set a smaller budget; zero fields
// keep the defaults.
func TestLimitsAreSettings(t *testing.T) {
	doc := []byte("a: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n")
	if _, err := (Limits{}).Parse("x.yaml", doc); err != nil {
		t.Fatalf("zero Limits (the defaults): %v", err)
	}
	_, err := Limits{MaxExpansion: 10}.Parse("x.yaml", doc)
	if err == nil || err.Error() != "x.yaml:2:13: alias *a expands the document by more than 10 nodes (YAML bomb?)" {
		t.Errorf("MaxExpansion 10: %v", err)
	}
	if _, err := (Limits{MaxDepth: 1}).Parse("x.yaml", []byte("a: [1]\n")); err == nil || !strings.Contains(err.Error(), "x.yaml:1:4: nesting deeper than 1 levels") {
		t.Errorf("MaxDepth 1: %v", err)
	}
	if _, err := (Limits{MaxBytes: 4}).Parse("x.yaml", []byte("a: 12\n")); err == nil || err.Error() != "x.yaml: the document is 6 bytes, more than the 4 bytes sfemu reads" {
		t.Errorf("MaxBytes 4: %v", err)
	}
}

// TestSyntaxErrorsAreTheLibrarys: a document that is not YAML gets the
// parser's own error, with its position, as before.
func TestSyntaxErrorsAreTheLibrarys(t *testing.T) {
	_, err := Parse("bad.yaml", []byte("a: [\n"))
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		t.Errorf("Parse error = %v (%T), want the library's yaml.Error", err, err)
	}
}

// BenchmarkCheck100kRecords measures what the budget check adds to
// reading a 100,000-record fixture: "check" is the walk over the parsed
// tree alone, "parse" the library's lexing and parsing with the token
// depth check, in µs a record.
func BenchmarkCheck100kRecords(b *testing.B) {
	data := []byte(records(100_000, false))
	file, err := Parse("big.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := Parse("big.yaml", data); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100_000, "µs/record")
	})
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			c := &checker{name: "big.yaml", lim: Default, anchors: map[string]weight{}}
			for _, doc := range file.Docs {
				c.walk(doc.Body, 0, false)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/100_000, "µs/record")
	})
}
