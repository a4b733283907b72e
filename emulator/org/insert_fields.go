package org

import (
	"slices"
	"strings"
	"time"
)

// insertField is what a batch insert decides once per batch of one field a
// client names — InsertText's columns and InsertFields' keys alike — with
// the last value converted for it.
type insertField struct {
	name     string // as the client named it: an unknown field's error says it
	f        *Field // nil: no such field
	readable bool
	writable bool
	isID     bool // the Id field, which an insert may not set
	// cache: the conversion depends on nothing but the value (not a lookup,
	// whose check depends on the records there are), so the last value
	// converted may be reused.
	cache     bool
	haveLast  bool
	lastValue any
}

// newInsertField decides of f (nil: the name is no field of the object) as
// assign does for a create by user under opt.
func newInsertField(name string, f *Field, user *User, opt DMLOptions) insertField {
	if opt.AllowSystemFields {
		user = nil // as assign
	}
	c := insertField{name: name, f: f, isID: strings.EqualFold(name, "Id")}
	if f != nil {
		c.readable = user.CanRead(f)
		c.writable = (f.Createable || opt.AllowSystemFields) && user.CanEdit(f)
		c.cache = f.Type != TypeReference && f.Type != TypeID
	}
	return c
}

// insertErrors gather one row's errors in assign's order.
type insertErrors struct {
	errs        []DMLError
	notWritable []string
}

// admit reports whether a value may be written to the field of o, noting
// why not in e as assign does.
func (c *insertField) admit(o *Object, e *insertErrors) bool {
	if !c.readable {
		e.errs = append(e.errs, noSuchColumn(o, c.name))
		return false
	}
	if !c.writable {
		e.notWritable = append(e.notWritable, c.f.Name)
		return false
	}
	return true
}

// done is the row's errors, or the required fields it leaves missing.
func (e *insertErrors) done(o *Object, values []any) []DMLError {
	if len(e.notWritable) > 0 {
		e.errs = append(e.errs, notWritableError(e.notWritable, true))
	}
	if len(e.errs) > 0 {
		return e.errs
	}
	return requiredMissing(o, values)
}

// FieldValue is one field of a record as a client sent it in JSON: its name
// as written and its value as encoding/json decodes it into an any (a
// string, float64, bool or nil; a json.Number for a number float64 cannot
// hold). Objects and arrays are not field values.
type FieldValue struct {
	Name  string
	Value any
}

// FieldsMap is a record's fields as Insert takes them.
func FieldsMap(fields []FieldValue) map[string]any {
	m := make(map[string]any, len(fields))
	for _, fv := range fields {
		m[fv.Name] = fv.Value
	}
	return m
}

// InsertFields inserts records given as their fields (each name once per
// record) as InsertBatch inserts their FieldsMaps — the same checks, errors
// in the same order, ids, values and hooks — without a map per record: each
// distinct name is resolved to its field, and its permissions judged, once
// per call, and a record naming the fields the one before named, in the
// same order, reuses that record's resolution and sorting. A field's value
// equal to the one converted before is converted once (not for lookups).
// REST's sObject Collections create decodes its bodies into these.
func (d *Data) InsertFields(o *Object, rows [][]FieldValue, user *User, now time.Time, opt DMLOptions) ([]*Record, [][]DMLError) {
	if !batchable(d, o, len(rows), opt) {
		recs := make([]*Record, len(rows))
		errs := make([][]DMLError, len(rows))
		for i, row := range rows {
			recs[i], errs[i] = d.Insert(o, FieldsMap(row), user, now, opt)
		}
		return recs, errs
	}
	fc := &fieldsChecker{o: o, user: user, opt: opt, byName: map[string]int{}}
	return d.insertChecked(o, len(rows), func(i int, values, defaults []any) []DMLError {
		return fc.check(d, rows[i], values, defaults)
	}, user, now, opt)
}

// fieldsChecker is checkInsert for records given as FieldValues.
type fieldsChecker struct {
	o      *Object
	user   *User
	opt    DMLOptions
	fields []fieldsField
	byName map[string]int // name → index in fields
	// The names of the last record, and for each of its fields in assign's
	// order (the names sorted) its position in the record and its field.
	names []string
	order []namedField
	hasID bool
}

// fieldsField is an insertField with the last JSON value converted.
type fieldsField struct {
	insertField
	lastRaw any
}

type namedField struct {
	at    int // in the record
	field int // in fields
}

// resolve sets order for a record naming other fields than the last.
func (fc *fieldsChecker) resolve(row []FieldValue) {
	if len(row) == len(fc.names) {
		same := true
		for i := range row {
			if row[i].Name != fc.names[i] {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	fc.names, fc.order, fc.hasID = fc.names[:0], fc.order[:0], false
	for at, fv := range row {
		fc.names = append(fc.names, fv.Name)
		if fv.Name == "attributes" {
			continue // as assign: the record's type, not a field
		}
		k, ok := fc.byName[fv.Name]
		if !ok {
			k = len(fc.fields)
			fc.byName[fv.Name] = k
			fc.fields = append(fc.fields, fieldsField{insertField: newInsertField(fv.Name, fc.o.Field(fv.Name), fc.user, fc.opt)})
		}
		fc.hasID = fc.hasID || fc.fields[k].isID
		fc.order = append(fc.order, namedField{at: at, field: k})
	}
	slices.SortFunc(fc.order, func(a, b namedField) int { return strings.Compare(row[a.at].Name, row[b.at].Name) })
}

// check is checkInsert(o, FieldsMap(row), values, defaults, user, opt).
func (fc *fieldsChecker) check(d *Data, row []FieldValue, values, defaults []any) []DMLError {
	fc.resolve(row)
	if fc.hasID {
		return []DMLError{{StatusCode: "INVALID_FIELD", Message: "The Id field should not be specified in the sobject data.", Fields: []string{}}}
	}
	copy(values, defaults)
	var errs insertErrors
	for _, nf := range fc.order {
		c := &fc.fields[nf.field]
		if !c.admit(fc.o, &errs) {
			continue
		}
		raw := row[nf.at].Value
		var v any
		var err *DMLError
		if c.cache && c.haveLast && scalar(raw) && raw == c.lastRaw {
			v = c.lastValue
		} else {
			v, err = d.convert(c.f, raw)
			if err == nil && c.cache && scalar(raw) {
				c.haveLast, c.lastRaw, c.lastValue = true, raw, v
			}
		}
		if err != nil {
			errs.errs = append(errs.errs, *err)
			continue
		}
		values[c.f.Index] = v
	}
	return errs.done(fc.o, values)
}

// scalar reports whether v is a value == may compare (a map or slice would
// panic), as the cache of the last value converted needs.
func scalar(v any) bool {
	switch v.(type) {
	case nil, string, float64, bool:
		return true
	}
	return false
}
