package bulk

import (
	"fmt"

	"github.com/sfemu/sfemu/emulator/org"
)

// insertBatchRows is how many rows of an insert job are stored together.
const insertBatchRows = 1000

// insertBatch holds an insert job's rows read but not yet stored: they are
// stored together by org.(*Data).InsertBatch, and their results written in
// order, as one insert per row would write them.
type insertBatch struct {
	cols  []column
	idCol int
	rows  [][]string       // the rows read, copied (the reader reuses its slice)
	strs  []string         // rows' backing, reused
	early [][]org.DMLError // per row: errors found before the insert, or nil
	maps  []map[string]any // the rows without early errors, by field name; reused
	used  int              // maps in use
	recs  []map[string]any // maps[:used], for InsertBatch
}

func newInsertBatch(cols []column, idCol int) *insertBatch {
	return &insertBatch{cols: cols, idCol: idCol}
}

// batchable reports whether an insert job's rows may be stored in batches:
// not when a relationship column names a parent of the job's own object,
// which an earlier row of the job may be.
func batchable(o *org.Object, cols []column) bool {
	for _, col := range cols {
		if col.key != nil && col.target == o {
			return false
		}
	}
	return true
}

func (b *insertBatch) full() bool { return len(b.rows) >= insertBatchRows }

// add takes one row, as applyRow's insert would read it.
func (b *insertBatch) add(s *Service, j *job, row []string) {
	start := len(b.strs)
	b.strs = append(b.strs, row...)
	row = b.strs[start:len(b.strs):len(b.strs)]
	b.rows = append(b.rows, row)
	if len(row) != len(b.cols) {
		b.early = append(b.early, []org.DMLError{{StatusCode: "INVALID_ROW", Message: fmt.Sprintf("The row has %d columns; the header has %d", len(row), len(b.cols))}})
		return
	}
	if b.used == len(b.maps) {
		b.maps = append(b.maps, make(map[string]any, len(b.cols)))
	}
	m := b.maps[b.used]
	clear(m)
	if err := s.rowFields(j, b.cols, row, -1, m); err != nil {
		b.early = append(b.early, []org.DMLError{*err})
		return
	}
	b.used++
	b.early = append(b.early, nil)
}

// flush stores the rows held and calls emit for each in order with its id,
// whether it was created, and its errors.
func (b *insertBatch) flush(s *Service, j *job, o *org.Object, emit func(id string, created bool, errs []org.DMLError, row []string)) {
	if len(b.rows) == 0 {
		return
	}
	b.recs = append(b.recs[:0], b.maps[:b.used]...)
	recs, errs := j.org.Data.InsertBatch(o, b.recs, j.user, s.store.Clock.Now(), org.DMLOptions{})
	k := 0
	for i, row := range b.rows {
		switch {
		case b.early[i] != nil:
			id := ""
			if b.early[i][0].StatusCode == "INVALID_ROW" && b.idCol >= 0 && b.idCol < len(row) {
				id = row[b.idCol]
			}
			emit(id, false, b.early[i], row)
			continue
		case errs[k] != nil:
			emit("", false, errs[k], row)
		default:
			emit(string(recs[k].ID), true, nil, row)
		}
		k++
	}
	clear(b.recs)
	b.rows, b.strs, b.early, b.recs, b.used = b.rows[:0], b.strs[:0], b.early[:0], b.recs[:0], 0
}
