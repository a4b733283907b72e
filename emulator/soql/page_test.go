package soql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// TestRunPageIsAWindowOfRun: for every query and window, RunPage's rows are
// Run's rows cut to the window, and its TotalSize is Run's.
func TestRunPageIsAWindowOfRun(t *testing.T) {
	for _, heap := range []int{20_000, 2} {
		fullSortAbove = heap
		t.Run(fmt.Sprintf("full sort above %d", heap), testRunPageIsAWindowOfRun)
	}
	fullSortAbove = 20_000
}

func testRunPageIsAWindowOfRun(t *testing.T) {
	env := testEnv(t)
	queries := []string{
		"SELECT Name FROM Account",
		"SELECT Name, Industry FROM Account ORDER BY Name",
		"SELECT Name FROM Account ORDER BY AnnualRevenue DESC NULLS LAST, Name",
		"SELECT Name FROM Account WHERE Industry = 'Energy' ORDER BY Name",
		"SELECT Name FROM Account ORDER BY Name LIMIT 3",
		"SELECT Name FROM Account ORDER BY Name LIMIT 3 OFFSET 1",
		"SELECT Name FROM Account LIMIT 2 OFFSET 2",
		"SELECT Name FROM Account OFFSET 4",
		"SELECT Name FROM Account LIMIT 0",
		"SELECT LastName, Account.Name FROM Contact ORDER BY LastName",
		"SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name",
		"SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry",
		"SELECT COUNT() FROM Account",
		"SELECT Name FROM Account WHERE Name = 'Edge Communications'",
	}
	for _, query := range queries {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		all, err := q.Run(env)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for _, w := range [][2]int{{0, 1}, {0, 2}, {1, 2}, {2, 10}, {4, 1}, {0, 100}, {5, 5}, {99, 3}, {0, 0}} {
			t.Run(fmt.Sprintf("%s/%d+%d", query, w[0], w[1]), func(t *testing.T) {
				page, err := q.RunPage(env, w[0], w[1])
				if err != nil {
					t.Fatal(err)
				}
				want := &Result{Rows: all.Rows[min(w[0], len(all.Rows)):min(w[0]+w[1], len(all.Rows))], TotalSize: all.TotalSize, CountOnly: all.CountOnly}
				if got, want := render(page), render(want); got != want || page.TotalSize != all.TotalSize {
					t.Errorf("RunPage = %s (total %d)\nwant      %s (total %d)", got, page.TotalSize, want, all.TotalSize)
				}
			})
		}
	}
}

// TestRunCursorPagesAreRunsRows: every window of a RunCursor result —
// projected when asked, for a SELECT of the record's own fields, at once
// otherwise — holds Run's rows, even after the records change.
func TestRunCursorPagesAreRunsRows(t *testing.T) {
	// An org of its own: the test renames its records.
	fresh := func() Env {
		s, err := org.NewStore(clock.NewVirtual(testNow), org.Source{Name: "acme.yaml", Data: []byte(testOrg)})
		if err != nil {
			t.Fatal(err)
		}
		o := s.Orgs()[0]
		return Env{Schema: o.Schema, Data: o.Data, Now: testNow, Location: o.TimeZone}
	}
	for _, query := range []string{
		"SELECT Name FROM Account",
		"SELECT Id, Name, Industry FROM Account ORDER BY Name",
		"SELECT Name FROM Account WHERE Industry = 'Energy' ORDER BY Name LIMIT 3 OFFSET 1",
		"SELECT LastName, Account.Name FROM Contact ORDER BY LastName",
		"SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name",
		"SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry",
		"SELECT COUNT() FROM Account",
	} {
		t.Run(query, func(t *testing.T) {
			env := fresh()
			q, err := Parse(query)
			if err != nil {
				t.Fatal(err)
			}
			all, err := q.Run(env)
			if err != nil {
				t.Fatal(err)
			}
			cur, err := q.RunCursor(env)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Len() != len(all.Rows) || cur.TotalSize != all.TotalSize {
				t.Fatalf("Len %d TotalSize %d, want %d and %d", cur.Len(), cur.TotalSize, len(all.Rows), all.TotalSize)
			}
			// A later rename does not reach the cursor's pages.
			o := env.Schema.Object("Account")
			var ids []org.ID
			env.Data.Scan(o, false, func(r *org.Record) bool { ids = append(ids, r.ID); return true })
			for _, id := range ids {
				if _, errs := env.Data.Update(id, map[string]any{"Name": "Renamed " + id.Short()}, nil, env.Now); errs != nil {
					t.Fatal(errs)
				}
			}
			for _, w := range [][2]int{{0, 1}, {1, 3}, {0, 100}, {2, 2}, {50, 60}} {
				want := &Result{Rows: all.Rows[min(w[0], len(all.Rows)):min(w[1], len(all.Rows))], TotalSize: all.TotalSize, CountOnly: all.CountOnly}
				got := &Result{Rows: cur.Slice(w[0], w[1]), TotalSize: cur.TotalSize, CountOnly: cur.CountOnly}
				if g, wr := render(got), render(want); g != wr {
					t.Errorf("Slice(%d, %d) = %s\nwant          %s", w[0], w[1], g, wr)
				}
				each := &Result{TotalSize: cur.TotalSize, CountOnly: cur.CountOnly}
				cur.Each(w[0], w[1], func(r *Row) {
					each.Rows = append(each.Rows, &Row{Object: r.Object, ID: r.ID, Fields: slices.Clone(r.Fields)})
				})
				if g, wr := render(each), render(want); g != wr {
					t.Errorf("Each(%d, %d) = %s\nwant         %s", w[0], w[1], g, wr)
				}
			}
		})
	}
}

func TestRunPageReportsErrorsAsRun(t *testing.T) {
	env := testEnv(t)
	q, err := Parse("SELECT Nope__c FROM Account")
	if err != nil {
		t.Fatal(err)
	}
	_, runErr := q.Run(env)
	_, pageErr := q.RunPage(env, 0, 10)
	if runErr == nil || pageErr == nil || runErr.Error() != pageErr.Error() {
		t.Errorf("Run: %v; RunPage: %v", runErr, pageErr)
	}
}

// TestSelectRangeIsASortedWindow: whatever the input order, selectRange
// leaves in [lo, hi) what a full sort puts there.
func TestSelectRangeIsASortedWindow(t *testing.T) {
	less := func(a, b ranked) bool {
		if a.str != b.str {
			return a.str < b.str
		}
		return a.seq < b.seq
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(300)
		items := make([]ranked, n)
		for i := range items {
			// Few distinct keys, so ties are common; seq breaks them.
			items[i] = ranked{str: fmt.Sprint(rng.IntN(20)), seq: int32(i)}
		}
		switch trial % 3 {
		case 1:
			slices.SortFunc(items, func(a, b ranked) int { return cmpRanked(less, a, b) })
		case 2:
			slices.SortFunc(items, func(a, b ranked) int { return -cmpRanked(less, a, b) })
		}
		want := slices.Clone(items)
		slices.SortFunc(want, func(a, b ranked) int { return cmpRanked(less, a, b) })
		lo := rng.IntN(n + 1)
		hi := lo + rng.IntN(n-lo+1)
		selectRange(items, lo, hi, less)
		if !slices.Equal(items[lo:hi], want[lo:hi]) {
			t.Fatalf("n %d, [%d, %d): got %v, want %v", n, lo, hi, items[lo:hi], want[lo:hi])
		}
	}
}

func cmpRanked(less func(a, b ranked) bool, a, b ranked) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}
