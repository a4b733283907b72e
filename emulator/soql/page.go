package soql

import (
	"slices"
	"time"

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
	if env.Location == nil {
		env.Location = time.UTC
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	if env.Schema == nil && env.Data != nil {
		env.Schema = env.Data.Schema()
	}
	b := &binder{env: env, src: q.Text}
	p, err := b.bindQuery(q, nil)
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

// fullSortAbove is how many kept records make a full sort cheaper than the
// bounded heap (a page deep into a large result); a variable for tests.
var fullSortAbove = 20_000

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
	case end <= fullSortAbove:
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
		var all []ranked
		source(func(r *org.Record) bool {
			if match(r) {
				all = append(all, p.rank(r, len(all)))
			}
			return true
		})
		matches = len(all)
		slices.SortFunc(all, func(a, b ranked) int {
			if p.less(a, b) {
				return -1
			}
			if p.less(b, a) {
				return 1
			}
			return 0
		})
		for i := start; i < min(end, len(all)); i++ {
			out = append(out, all[i].r)
		}
	}
	total := max(matches-p.offset, 0)
	if p.limit >= 0 {
		total = min(total, p.limit)
	}
	return out, total
}
