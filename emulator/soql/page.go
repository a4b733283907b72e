package soql

import (
	"slices"
	"sync"

	"github.com/sfemu/sfemu/emulator/org"
)

// RunPage is Run for one page of the query's rows, for a caller that shows
// them a page at a time (the console): TotalSize counts every row the query
// returns, as Run's does, and Rows holds rows [offset, offset+limit) of
// them. Only those rows are projected, and with ORDER BY only the first
// offset+limit are kept while ordering, so a page of a 100,000-row query
// costs the scan, not 100,000 rows. The query's own OFFSET and LIMIT apply
// first. COUNT() is answered as Run answers it; aggregate rows are cut
// after grouping.
func (q *Query) RunPage(env Env, offset, limit int) (*Result, error) {
	p, err := q.bind(env)
	if err != nil {
		return nil, err
	}
	offset, limit = max(offset, 0), max(limit, 0)
	if p.countOnly || p.agg != nil {
		res := p.result()
		from := min(offset, len(res.Rows))
		res.Rows = res.Rows[from:min(from+limit, len(res.Rows))]
		return res, nil
	}
	recs, total := p.selectPage(p.candidates, offset, limit)
	return &Result{Object: p.obj, Columns: p.cols, Rows: p.rows(recs), TotalSize: total}, nil
}

// fullSortAbove is how many kept records make selecting the page among all
// matches (selectRange) cheaper than the bounded heap: a page deep into a
// large answer. A variable for tests.
var fullSortAbove = 2_000

// selectPage is selectRecords for rows [offset, offset+limit) of the
// query's answer, and the number of rows in the whole answer.
func (p *queryPlan) selectPage(source func(func(*org.Record) bool), offset, limit int) ([]*org.Record, int) {
	// Positions among the matches, the query's own OFFSET included.
	start := p.offset + offset
	end := start + limit
	if p.limit >= 0 {
		end = min(end, p.offset+p.limit)
	}
	matches := 0
	var out []*org.Record
	match := func(r *org.Record) bool { return p.where == nil || p.where(r) }
	switch {
	case len(p.order) == 0:
		source(func(r *org.Record) bool {
			if match(r) {
				if matches >= start && matches < end {
					out = append(out, r)
				}
				matches++
				// With a LIMIT of its own the rest of the scan adds nothing.
				if p.limit >= 0 && matches >= p.offset+p.limit {
					return false
				}
			}
			return true
		})
	case end <= start:
		source(func(r *org.Record) bool {
			if match(r) {
				matches++
			}
			return true
		})
	case end <= fullSortAbove || start == 0 && end <= 2*fullSortAbove:
		h := &topK{less: p.less, k: end}
		source(func(r *org.Record) bool {
			if match(r) {
				h.offer(p.rank(r, matches))
				matches++
			}
			return true
		})
		if sorted := h.sorted(); start < len(sorted) {
			out = sorted[start:]
		}
	default:
		// Sized once (grown by append, a quarter at a time at this size, it
		// would allocate five times over) and reused: a fresh 3 MB slice a
		// page made the runtime return and fault its pages back each time
		// (a quarter of a deep page's CPU).
		all := borrowRanked(p)
		defer returnRanked(all)
		source(func(r *org.Record) bool {
			if match(r) {
				*all = append(*all, p.rank(r, len(*all)))
			}
			return true
		})
		matches = len(*all)
		if start < matches {
			end = min(end, matches)
			selectRange(*all, start, end, p.less)
			for _, x := range (*all)[start:end] {
				out = append(out, x.r)
			}
		}
	}
	total := max(matches-p.offset, 0)
	if p.limit >= 0 {
		total = min(total, p.limit)
	}
	return out, total
}

// rankedBuffers are the slices a deep page collects its matches in.
var rankedBuffers sync.Pool

func borrowRanked(p *queryPlan) *[]ranked {
	n := 0
	if p.index == nil && p.data != nil {
		n = p.data.Count(p.obj)
	}
	if b, _ := rankedBuffers.Get().(*[]ranked); b != nil && cap(*b) >= n {
		*b = (*b)[:0]
		return b
	}
	b := make([]ranked, 0, n)
	return &b
}

// returnRanked keeps a buffer for the next deep page, its records let go.
func returnRanked(b *[]ranked) {
	clear(*b)
	rankedBuffers.Put(b)
}

// selectRange reorders items so that items[lo:hi] hold, in order, what a
// full sort would put there: two quickselects and a sort of the window, so
// a page deep into 100,000 records costs a few passes, not a sort of them
// all. less must be a strict total order (ranked items carry their scan
// position, which breaks every tie).
func selectRange(items []ranked, lo, hi int, less func(a, b ranked) bool) {
	nthElement(items, lo, less)
	nthElement(items[lo:], hi-lo, less)
	slices.SortFunc(items[lo:hi], func(a, b ranked) int {
		if less(a, b) {
			return -1
		}
		return 1
	})
}

// nthElement partially orders items so that items[k] is what a full sort
// would put there, everything before it less and everything after it not
// (Hoare's selection, with a median-of-three pivot). k == len(items) is a
// no-op.
func nthElement(items []ranked, k int, less func(a, b ranked) bool) {
	lo, hi := 0, len(items)-1
	for lo < hi && k <= hi {
		// Median of three as the pivot, moved to lo.
		mid := lo + (hi-lo)/2
		if less(items[mid], items[lo]) {
			items[mid], items[lo] = items[lo], items[mid]
		}
		if less(items[hi], items[lo]) {
			items[hi], items[lo] = items[lo], items[hi]
		}
		if less(items[hi], items[mid]) {
			items[hi], items[mid] = items[mid], items[hi]
		}
		items[lo], items[mid] = items[mid], items[lo]
		pivot := items[lo]
		i, j := lo+1, hi
		for {
			for i <= j && less(items[i], pivot) {
				i++
			}
			for i <= j && less(pivot, items[j]) {
				j--
			}
			if i >= j {
				break
			}
			items[i], items[j] = items[j], items[i]
			i++
			j--
		}
		items[lo], items[j] = items[j], items[lo]
		switch {
		case j == k:
			return
		case k < j:
			hi = j - 1
		default:
			lo = j + 1
		}
	}
}
