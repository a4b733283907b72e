package org

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// insertChunk is how many records InsertBatch stores under one hold of the
// data lock: readers wait at most one chunk.
const insertChunk = 1000

// InsertBatch inserts rows as calling Insert on each in turn would: the same
// checks, errors, ids, defaults, audit and derived fields, indexes and
// OnSave hooks, with results in the order of rows (recs[i] is nil where
// errs[i] is not). It is the bulk path: rows are checked outside the lock,
// then stored a chunk at a time under one lock, with the table and its
// indexes grown once and the records and their values allocated together.
//
// One difference from a loop of Insert: the OnSave hooks of a chunk run
// after the whole chunk is stored (still in order, still outside the
// lock), so a hook sees the chunk's later records already there. A row
// whose reference fails the check is checked again after the rows before
// it are stored, so a reference to a record of the same batch is accepted
// as Insert would accept it. Platform event objects (published, not
// stored) and objects the caller may not create go row by row through
// Insert, and so do rows a lead assignment rule runs on. The maps are read,
// not kept.
func (d *Data) InsertBatch(o *Object, rows []map[string]any, user *User, now time.Time, opt DMLOptions) ([]*Record, [][]DMLError) {
	if !batchable(d, o, len(rows), opt) {
		recs := make([]*Record, len(rows))
		errs := make([][]DMLError, len(rows))
		for i, m := range rows {
			recs[i], errs[i] = d.Insert(o, m, user, now, opt)
		}
		return recs, errs
	}
	return d.insertChecked(o, len(rows), func(i int, values, defaults []any) []DMLError {
		return d.checkInsert(o, rows[i], values, defaults, user, opt)
	}, user, now, opt)
}

// insertChecked is InsertBatch's storing of n rows that check writes into
// values (len(o.Fields), all nil; defaults are the values every record
// starts from): checked outside the lock, stored a chunk at a time.
func (d *Data) insertChecked(o *Object, n int, check func(i int, values, defaults []any) []DMLError, user *User, now time.Time, opt DMLOptions) ([]*Record, [][]DMLError) {
	recs := make([]*Record, n)
	errs := make([][]DMLError, n)
	nf := len(o.Fields)
	var defaults []any // the values every record starts from
	for _, f := range o.Fields {
		if f.DefaultedOnCreate && f.Default != nil {
			if defaults == nil {
				defaults = make([]any, nf)
			}
			defaults[f.Index] = f.Default
		}
	}
	// One slab of full-width values per chunk, reused by the next chunk
	// and the next batch.
	chunk := min(n, insertChunk)
	slab := getSlab(chunk * nf)
	defer putSlab(slab)
	pending := make([]int, 0, chunk) // rows checked and waiting to be stored
	values := make([][]any, n)
	used := 0
	stamp := newAudit(user, now) // one boxed time and user id for the batch
	flush := func() {
		d.storeBatch(o, pending, values, recs, stamp, user, opt)
		pending = pending[:0]
		clear(slab[:used])
		used = 0
	}
	for i := range n {
		if len(pending) == chunk {
			flush()
		}
		v := slab[used : used+nf : used+nf]
		rowErrs := check(i, v, defaults)
		if len(rowErrs) > 0 && len(pending) > 0 && hasErrorCode(rowErrs, "INVALID_CROSS_REFERENCE_KEY") {
			// It may name a record of this batch not yet stored.
			flush()
			v = slab[0:nf:nf]
			clear(v)
			rowErrs = check(i, v, defaults)
		}
		if len(rowErrs) > 0 {
			errs[i] = rowErrs
			clear(v)
			continue
		}
		values[i] = v
		pending = append(pending, i)
		used += nf
	}
	if len(pending) > 0 {
		flush()
	}
	return recs, errs
}

// checkInsert is Insert's checks of one row, writing its values into
// values (len(o.Fields), all nil).
func (d *Data) checkInsert(o *Object, fields map[string]any, values, defaults []any, user *User, opt DMLOptions) []DMLError {
	if _, hasID := lookupKey(fields, "Id"); hasID {
		return []DMLError{{StatusCode: "INVALID_FIELD", Message: "The Id field should not be specified in the sobject data.", Fields: []string{}}}
	}
	copy(values, defaults)
	if errs := d.assign(o, values, fields, true, opt, user); len(errs) > 0 {
		return errs
	}
	return requiredMissing(o, values)
}

// batchable reports whether n rows of o may be stored together: not
// platform events (published, not stored), views of another version's data,
// objects the caller may not create, Leads an assignment rule runs on, or a
// single row. An assignment asked for any other object is none
// (runAssignment): the REST API asks for the active rule on every create
// without the header.
func batchable(d *Data, o *Object, n int, opt DMLOptions) bool {
	return !o.PlatformEvent && d.base == nil && n >= 2 && (o.Createable || opt.AllowSystemFields) &&
		(opt.Assignment == (Assignment{}) || o.Name != "Lead")
}

func hasErrorCode(errs []DMLError, code string) bool {
	for _, e := range errs {
		if e.StatusCode == code {
			return true
		}
	}
	return false
}

// storeBatch stores the checked rows idx (values[i] each) under one lock,
// sets recs[i], then runs the OnSave hooks in order.
func (d *Data) storeBatch(o *Object, idx []int, values [][]any, recs []*Record, stamp audit, user *User, opt DMLOptions) {
	if len(idx) == 0 {
		return
	}
	records := make([]Record, len(idx))
	d.mu.Lock()
	ids := d.ids.NextN(o.KeyPrefix, len(idx))
	t := d.tableFor(o)
	t.rows = slices.Grow(t.rows, len(idx))
	total := 0
	for k, i := range idx {
		v := values[i]
		d.stampWithLocked(o, v, ids[k], stamp, true, opt)
		n := len(v)
		for n > 0 && v[n-1] == nil {
			n--
		}
		values[i] = v[:n]
		total += n
	}
	// The stored values of the chunk, compacted, in one allocation.
	stored := make([]any, 0, total)
	for k, i := range idx {
		start := len(stored)
		stored = append(stored, values[i]...)
		r := &records[k]
		*r = Record{ID: ids[k], Object: o, Values: stored[start:len(stored):len(stored)], slot: len(t.rows)}
		t.rows = append(t.rows, r)
		d.byID[r.ID] = r
		recs[i] = r
		values[i] = nil
	}
	t.indexBatch(records)
	for _, i := range idx {
		d.keptLocked(opt.Tx, recs[i].ID)
	}
	d.mu.Unlock()
	opt.Tx.created(d, records, user)
}

// indexBatch adds new records to the table's indexes: a key met for the
// first time gets a one-id slice cut from one allocation per index, and a
// run of records with one key (a batch mostly shares its owner) is looked
// up and stored in the index once.
func (t *table) indexBatch(records []Record) {
	if len(records) == 0 {
		return
	}
	o := records[0].Object
	keys := make([]string, len(records))
	has := make([]bool, len(records))
	for fi, idx := range t.indexes {
		f := o.Fields[fi]
		batchKeys(f, records, keys, has)
		var ids []ID // cut from for keys met for the first time
		k := 0
		var runKey string
		inRun := false
		var run []ID
		for j := range records {
			if !has[j] {
				continue
			}
			r, key := &records[j], keys[j]
			if inRun && key == runKey {
				run = append(run, r.ID)
				continue
			}
			if inRun {
				idx[runKey] = run
			}
			runKey, inRun = key, true
			if cur, found := idx[key]; found {
				run = append(cur, r.ID)
				continue
			}
			if k == len(ids) {
				ids, k = make([]ID, len(records)-j), 0
			}
			ids[k] = r.ID
			run = ids[k : k+1 : k+1]
			k++
		}
		if inRun {
			idx[runKey] = run
		}
	}
}

// batchKeys sets keys[j] to IndexKey(f, records[j].Get(f)) and has[j] to
// whether there is one, for a batch: the key of a value equal to the one
// before is reused, and text lower-cased into one string for the batch
// (text with no upper-case letter is its own key) — no allocation per
// record.
func batchKeys(f *Field, records []Record, keys []string, has []bool) {
	text := f.Type != TypeID && f.Type != TypeReference
	var lower strings.Builder // the lower-cased texts, one after the other
	var ends []int32          // where record j's lower-cased text ends in lower; -1: the record before's
	var last, lastKey string  // the last text value, and its key ("" while it is in lower)
	haveLast := false
	for j := range records {
		r := &records[j]
		keys[j], has[j] = "", false
		v := r.Get(f)
		sv, isText := v.(string)
		switch {
		case f.Type == TypeID && f.Name == "Id":
			keys[j], has[j] = r.ID.Short(), true // IndexKey's answer for the id InsertBatch set
			continue
		case isText && haveLast && sv == last:
			keys[j], has[j] = lastKey, true
			if lastKey == "" && text && sv != "" {
				ends[j] = -1
			}
			continue
		case isText && text && asciiNoUpper(sv):
			keys[j], has[j] = sv, true
		case isText && text && isASCII(sv):
			if ends == nil {
				ends = make([]int32, len(records))
				size := 0
				for _, rec := range records[j:] {
					if s, ok := rec.Get(f).(string); ok {
						size += len(s)
					}
				}
				lower.Grow(size)
			}
			for i := 0; i < len(sv); i++ {
				c := sv[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				lower.WriteByte(c)
			}
			ends[j], has[j] = int32(lower.Len()), true
		default:
			key, ok := IndexKey(f, v)
			if !ok {
				continue
			}
			keys[j], has[j] = key, true
		}
		if isText {
			last, lastKey, haveLast = sv, keys[j], true
		}
	}
	if ends == nil {
		return
	}
	all := lower.String()
	at, prev := 0, ""
	for j, end := range ends {
		switch {
		case end > 0:
			keys[j], prev, at = all[at:end], all[at:end], int(end)
		case end < 0:
			keys[j] = prev
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiNoUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// slabs are InsertBatch's scratch values, all nil when put back.
var slabs sync.Pool

func getSlab(n int) []any {
	if p, _ := slabs.Get().(*[]any); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]any, n)
}

func putSlab(s []any) {
	clear(s)
	slabs.Put(&s)
}

// reserve makes room for n more records of o before a load that knows
// about how many it brings (a fixture's CSV file): the id map, the table
// and the indexes of the text fields given are grown once instead of
// doubling their way there, which a 100,000-record load spent a fifth of
// its time on. A map is only regrown while it is small against n, so a
// wrong guess costs at most one copy.
func (d *Data) reserve(o *Object, n int, fields []*Field) {
	if n < 2*insertChunk || d.base != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.byID) < n {
		grown := make(map[ID]*Record, len(d.byID)+n)
		maps.Copy(grown, d.byID)
		d.byID = grown
	}
	t := d.tableFor(o)
	t.rows = slices.Grow(t.rows, n)
	for _, f := range fields {
		if f == nil || !f.Type.IsText() {
			continue
		}
		if idx, ok := t.indexes[f.Index]; ok && len(idx) < n {
			grown := make(map[string][]ID, len(idx)+n)
			maps.Copy(grown, idx)
			t.indexes[f.Index] = grown
		}
	}
}
