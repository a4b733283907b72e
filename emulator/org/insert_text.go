package org

import (
	"sort"
	"strings"
	"time"
)

// TextColumns are the columns of rows given as text, each resolved to a
// field once — a Bulk API CSV header — for InsertText.
type TextColumns struct {
	// Fields are the columns' fields, in column order; a nil field is a
	// column the rows do not set.
	Fields []*Field
	// Null is the text that sets a field to null (the Bulk API's "#N/A");
	// an empty text gives the field no value at all.
	Null string
}

// Map is a row as Insert takes it: each column with a value, by its field's
// name (of two columns of one field, the later one with a value wins), the
// Null text as nil.
func (c TextColumns) Map(row []string) map[string]any {
	m := make(map[string]any, len(c.Fields))
	for i, f := range c.Fields {
		if f == nil || i >= len(row) || row[i] == "" {
			continue
		}
		if c.Null != "" && row[i] == c.Null {
			m[f.Name] = nil
			continue
		}
		m[f.Name] = row[i]
	}
	return m
}

// InsertText inserts rows of text (len(cols.Fields) values each) as
// InsertBatch inserts their Maps — the same checks, errors in the same
// order, ids, values and hooks — without building a map per row: the
// columns are resolved and sorted once, and a column's value repeated from
// an earlier row is converted once and its boxed value shared (not for
// lookups, whose check depends on the records there are). The text it
// stores is copied into one string per call, so records keep nothing of
// the caller's buffers (a CSV upload) alive but their own values.
func (d *Data) InsertText(o *Object, cols TextColumns, rows [][]string, user *User, now time.Time, opt DMLOptions) ([]*Record, [][]DMLError) {
	if !batchable(d, o, len(rows), opt) {
		recs := make([]*Record, len(rows))
		errs := make([][]DMLError, len(rows))
		for i, row := range rows {
			recs[i], errs[i] = d.Insert(o, cols.Map(row), user, now, opt)
		}
		return recs, errs
	}
	tc := newTextChecker(o, cols, user, opt)
	rows = ownText(cols, rows)
	return d.insertChecked(o, len(rows), func(i int, values, defaults []any) []DMLError {
		return tc.check(d, rows[i], values, defaults)
	}, user, now, opt)
}

// textField is one field the columns set, with what checkInsert decides of
// it once per batch, and the last text converted for it.
type textField struct {
	insertField
	cols     []int // the columns of f, in order
	lastText string
}

// textChecker is checkInsert for rows of text.
type textChecker struct {
	o      *Object
	null   string
	fields []textField // by field name, as assign visits a map's keys
}

func newTextChecker(o *Object, cols TextColumns, user *User, opt DMLOptions) *textChecker {
	if opt.AllowSystemFields {
		user = nil // as assign
	}
	tc := &textChecker{o: o, null: cols.Null}
	byField := map[*Field]int{}
	for i, f := range cols.Fields {
		if f == nil {
			continue
		}
		k, ok := byField[f]
		if !ok {
			k = len(tc.fields)
			byField[f] = k
			tc.fields = append(tc.fields, textField{insertField: newInsertField(f.Name, f, user, opt)})
		}
		tc.fields[k].cols = append(tc.fields[k].cols, i)
	}
	sort.Slice(tc.fields, func(a, b int) bool { return tc.fields[a].f.Name < tc.fields[b].f.Name })
	return tc
}

// value is the field's text in the row: its last column with a value.
func (tf *textField) value(row []string) (string, bool) {
	for j := len(tf.cols) - 1; j >= 0; j-- {
		if c := tf.cols[j]; c < len(row) && row[c] != "" {
			return row[c], true
		}
	}
	return "", false
}

// check is checkInsert(o, Map(row), values, defaults, user, opt).
func (tc *textChecker) check(d *Data, row []string, values, defaults []any) []DMLError {
	for i := range tc.fields {
		if tf := &tc.fields[i]; tf.isID {
			if _, ok := tf.value(row); ok {
				return []DMLError{{StatusCode: "INVALID_FIELD", Message: "The Id field should not be specified in the sobject data.", Fields: []string{}}}
			}
		}
	}
	copy(values, defaults)
	var errs insertErrors
	for i := range tc.fields {
		tf := &tc.fields[i]
		s, ok := tf.value(row)
		if !ok || !tf.admit(tc.o, &errs) {
			continue
		}
		f := tf.f
		var v any
		var err *DMLError
		switch {
		case tc.null != "" && s == tc.null:
			v, err = d.convert(f, nil)
		case tf.cache && tf.haveLast && s == tf.lastText:
			v = tf.lastValue
		default:
			v, err = d.convertText(f, s)
			if err == nil && tf.cache {
				tf.haveLast, tf.lastText, tf.lastValue = true, s, v
			}
		}
		if err != nil {
			errs.errs = append(errs.errs, *err)
			continue
		}
		values[f.Index] = v
	}
	return errs.done(tc.o, values)
}

// keepsText reports whether convert stores a text value of f as the text
// itself (text, picklists, e-mail, phone, URL), rather than a number, date,
// boolean or id made from it.
func keepsText(f *Field) bool {
	switch f.Type {
	case TypeBoolean, TypeInt, TypeDouble, TypeCurrency, TypePercent, TypeDate, TypeDateTime, TypeReference, TypeID:
		return false
	}
	return true
}

// ownText is rows with the values InsertText may store as text copied into
// one string: a value repeated from the row before is copied once.
func ownText(cols TextColumns, rows [][]string) [][]string {
	var kept []int
	for i, f := range cols.Fields {
		if f != nil && keepsText(f) {
			kept = append(kept, i)
		}
	}
	if len(kept) == 0 {
		return rows
	}
	fresh := func(r, c int) bool { // a value to copy: set, and not the row before's
		if c >= len(rows[r]) {
			return false
		}
		v := rows[r][c]
		return v != "" && v != cols.Null && !(r > 0 && c < len(rows[r-1]) && rows[r-1][c] == v)
	}
	size, cells := 0, 0
	for r := range rows {
		cells += len(rows[r])
		for _, c := range kept {
			if fresh(r, c) {
				size += len(rows[r][c])
			}
		}
	}
	var sb strings.Builder
	sb.Grow(size)
	for r := range rows {
		for _, c := range kept {
			if fresh(r, c) {
				sb.WriteString(rows[r][c])
			}
		}
	}
	arena := sb.String()
	out := make([][]string, len(rows))
	backing := make([]string, 0, cells)
	at := 0
	for r, row := range rows {
		start := len(backing)
		backing = append(backing, row...)
		own := backing[start:len(backing):len(backing)]
		for _, c := range kept {
			switch {
			case fresh(r, c):
				own[c] = arena[at : at+len(row[c])]
				at += len(row[c])
			case c < len(own) && r > 0 && c < len(out[r-1]) && own[c] == out[r-1][c]:
				own[c] = out[r-1][c]
			}
		}
		out[r] = own
	}
	return out
}
