package bulk

import (
	"fmt"

	"github.com/sfemu/sfemu/emulator/org"
)

// insertBatchRows is how many rows of an insert job are stored together.
const insertBatchRows = 1000

// insertBatch holds the rows of a job to be inserted, read but not yet
// stored: they are stored together by org.(*Data).InsertText, column by
// column as the header names them, and their results written in order, as
// one insert per row (applyRow) would write them. An insert job's rows all
// go through it; an upsert job's rows whose external id matches no record
// (and no row held) do, the others wait for the batch to be stored and go
// through applyRow.
type insertBatch struct {
	cols   []org.Column
	text   org.TextColumns // the columns an insert sets: upsert leaves Id out
	idCol  int
	upsert *org.Field // the upsert's external id field, extCol its column
	extCol int
	keys   map[string]bool // the external ids of the rows held (upsert)
	rels   bool            // some column is a relationship, whose value InsertText gets as the parent's id
	rows   [][]string      // the rows read, copied (the reader reuses its slice)
	strs   []string        // the backing of rows and ok, reused
	early  [][]org.DMLError
	ok     [][]string // what InsertText gets: the rows without early errors, with parents' ids
}

func newInsertBatch(cols []org.Column, idCol int, upsert *org.Field, extCol int) *insertBatch {
	b := &insertBatch{cols: cols, idCol: idCol, upsert: upsert, extCol: extCol, text: org.TextColumns{Null: nullValue},
		rows: make([][]string, 0, insertBatchRows), ok: make([][]string, 0, insertBatchRows),
		early: make([][]org.DMLError, 0, insertBatchRows), strs: make([]string, 0, insertBatchRows*len(cols))}
	for i, col := range cols {
		f := col.Field
		if upsert != nil && i == idCol {
			f = nil // an upsert that inserts leaves the Id column out
		}
		b.text.Fields = append(b.text.Fields, f)
		if col.Key != nil {
			b.rels = true
		}
	}
	if upsert != nil {
		b.keys = map[string]bool{}
	}
	return b
}

// batchable reports whether a job's rows may be stored in batches: an
// insert or an upsert by a field other than Id, and no relationship column
// naming a parent of the job's own object, which an earlier row of the job
// may be.
func batchable(operation string, o *org.Object, cols []org.Column, extField *org.Field) bool {
	switch {
	case operation == "upsert" && extField.Name == "Id":
		return false
	case operation != "insert" && operation != "upsert":
		return false
	}
	for _, col := range cols {
		if col.Key != nil && col.Target == o {
			return false
		}
	}
	return true
}

func (b *insertBatch) full() bool { return len(b.rows) >= insertBatchRows }

// take holds one row, as applyRow would insert it; false is a row of an
// upsert that does not insert a record (it matches one, or a row held, or
// has no external id), which the caller runs through applyRow once the
// batch is stored.
func (b *insertBatch) take(s *Service, j *job, o *org.Object, row []string) bool {
	if b.upsert != nil && len(row) == len(b.cols) {
		value := row[b.extCol]
		if value == "" || value == nullValue {
			return false
		}
		key, ok := org.IndexKey(b.upsert, value)
		if !ok || b.keys[key] {
			return false
		}
		if recs, _ := j.org.Data.Lookup(o, b.upsert, value, false); len(recs) > 0 {
			return false
		}
		b.keys[key] = true
	}
	start := len(b.strs)
	b.strs = append(b.strs, row...)
	row = b.strs[start:len(b.strs):len(b.strs)]
	b.rows = append(b.rows, row)
	if len(row) != len(b.cols) {
		b.early = append(b.early, []org.DMLError{{StatusCode: "INVALID_ROW", Message: fmt.Sprintf("The row has %d columns; the header has %d", len(row), len(b.cols))}})
		return true
	}
	vals := row
	if b.rels {
		start = len(b.strs)
		b.strs = append(b.strs, row...)
		vals = b.strs[start:len(b.strs):len(b.strs)]
		if err := s.parentIDs(j, b.cols, vals); err != nil {
			b.early = append(b.early, []org.DMLError{*err})
			return true
		}
	}
	b.ok = append(b.ok, vals)
	b.early = append(b.early, nil)
	return true
}

// flush stores the rows held and calls emit for each in order with its id,
// whether it was created, and its errors.
func (b *insertBatch) flush(s *Service, j *job, o *org.Object, emit func(id string, created bool, errs []org.DMLError, row []string)) {
	if len(b.rows) == 0 {
		return
	}
	recs, errs := j.org.Data.InsertText(o, b.text, b.ok, j.user, s.store.Clock.Now(), org.DMLOptions{})
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
	clear(b.keys)
	b.rows, b.strs, b.early, b.ok = b.rows[:0], b.strs[:0], b.early[:0], b.ok[:0]
}
