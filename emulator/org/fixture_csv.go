package org

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/bulkcsv"
)

// A fixture's records may come from CSV files as Data Loader and Bulk API
// 2.0 exports write them (`records: {Account: accounts.csv}`): read with
// the Bulk API's own CSV reader (emulator/internal/bulkcsv), headers
// resolved as a Bulk ingest job resolves them (Schema.ResolveColumn, so
// Account.External_Id__c names a parent by its external id), and stored
// through InsertText, the Bulk insert path, a chunk under one lock. What
// a fixture adds to Bulk's CSV: a `_ref` column labels a record, and
// "@label" in a lookup column names a record labelled before, in a CSV
// file or in the YAML, so the two forms can refer to each other.

// csvNull sets a field to null in a CSV file of records, as in Bulk API
// CSV (emulator/bulk's nullValue); an empty cell sets nothing.
const csvNull = "#N/A"

// csvFixtureChunk is how many rows of a CSV file are held before they are
// stored: a row that names a label of a held row stores them first.
const csvFixtureChunk = 4096

// csvRecords loads one CSV file of records of one object into a fixture's
// org: the header first (load), then the rows, a chunk at a time.
type csvRecords struct {
	d     *Data
	o     *Object
	name  string // the file, as errors name it
	refs  map[string]ID
	owner *User
	now   time.Time

	cols   []Column // by CSV column; a nil Field for the _ref column
	text   TextColumns
	refCol int // the _ref column, -1 if none

	rows    [][]string // held: the rows' text, lookups resolved to ids
	lines   []int      // each held row's line in the file
	labels  []string   // each held row's _ref, "" if none
	held    map[string]bool
	backing []string // rows are cut from it
	scratch []string // the row being resolved
}

// loadCSVRecords reads the CSV file rel that records.<Object> names (path)
// and creates its records after those before it, with the checks YAML
// records get.
func (b *fixtureBuilder) loadCSVRecords(obj *Object, path, rel string, refs map[string]ID, owner *User, now time.Time) error {
	if strings.TrimSpace(rel) == "" {
		return b.errAt(path, "records.%s: want a list of records or the path of a CSV file of them", obj.Name)
	}
	if b.src.ReadFile == nil {
		return b.errAt(path, "records.%s: CSV file %q cannot be read: this fixture has no directory", obj.Name, rel)
	}
	data, err := b.src.ReadFile(rel)
	if err != nil {
		return b.errAt(path, "records.%s: CSV file %q is unreadable: %v", obj.Name, rel, unwrapPathError(err))
	}
	name := rel
	if b.src.Dir != "" && !filepath.IsAbs(rel) {
		name = filepath.Join(b.src.Dir, rel)
	}
	return loadCSV(b.org.Data, obj, name, data, refs, owner, now)
}

// loadCSV creates the records of one CSV file. Errors are *FixtureError at
// the file's line and column (the column's number in the header, from 1).
func loadCSV(d *Data, o *Object, name string, data []byte, refs map[string]ID, owner *User, now time.Time) error {
	c := &csvRecords{d: d, o: o, name: name, refs: refs, owner: owner, now: now, refCol: -1, held: map[string]bool{}}
	// Data Loader on Windows writes CRLF, elsewhere LF; Bulk API makes the
	// job say which, a fixture's file says it by its first line.
	crlf := false
	if i := bytes.IndexByte(data, '\n'); i > 0 && data[i-1] == '\r' {
		crlf = true
	}
	r := bulkcsv.NewReader(data, ',', crlf)
	header, err := r.Next()
	if err == io.EOF {
		return c.errAt(1, 0, "no header row: the first row names the fields (API names), one a column")
	}
	if err != nil {
		return c.readError(err, crlf)
	}
	if err := c.header(header); err != nil {
		return err
	}
	// A row a line, mostly: room for them all at once.
	d.reserve(o, bytes.Count(data, []byte{'\n'}), c.text.Fields)
	for {
		row, err := r.Next()
		if err == io.EOF {
			return c.flush()
		}
		if err != nil {
			return c.readError(err, crlf)
		}
		if err := c.take(r.Line(), row); err != nil {
			return err
		}
		if len(c.rows) == csvFixtureChunk {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
}

func (c *csvRecords) errAt(line, col int, format string, args ...any) error {
	return &FixtureError{File: c.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (c *csvRecords) readError(err error, crlf bool) error {
	var ce *bulkcsv.Error
	if !errors.As(err, &ce) {
		return c.errAt(0, 0, "%v", err)
	}
	if strings.HasPrefix(ce.Msg, "LineEnding is invalid") {
		first, other := "LF", "CRLF"
		if crlf {
			first, other = other, first
		}
		return c.errAt(ce.Line, 0, "this line ends in %s, the header row in %s: use one line ending throughout", other, first)
	}
	return c.errAt(ce.Line, 0, "%s", ce.Msg)
}

// header resolves the columns: field API names in any case, Bulk's
// Relationship.Field, and _ref.
func (c *csvRecords) header(header []string) error {
	c.cols = make([]Column, len(header))
	c.text = TextColumns{Fields: make([]*Field, len(header)), Null: csvNull}
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), "_ref") {
			if c.refCol >= 0 {
				return c.errAt(1, i+1, "a second _ref column (the first is column %d)", c.refCol+1)
			}
			c.refCol = i
			c.cols[i] = Column{Header: h}
			continue
		}
		col, ok := c.d.schema.ResolveColumn(c.o, h)
		if !ok {
			return c.errAt(1, i+1, "unknown column %q: %s has no such field (API names; a parent by its external id is Relationship.Field, such as Account.External_Id__c; _ref labels a record)", strings.TrimSpace(h), c.o.Name)
		}
		c.cols[i] = col
		c.text.Fields[i] = col.Field
	}
	return nil
}

// take holds one row, its _ref label checked and its lookups resolved:
// "@label" to the labelled record's id, a relationship column's external
// id to its parent's.
func (c *csvRecords) take(line int, row []string) error {
	if len(row) != len(c.cols) {
		return c.errAt(line, 0, "the row has %d columns, the header %d", len(row), len(c.cols))
	}
	// Resolved in scratch: resolving may store the rows held first, whose
	// backing this row is then cut from.
	c.scratch = append(c.scratch[:0], row...)
	vals := c.scratch
	label := ""
	for i, v := range vals {
		col := c.cols[i]
		switch {
		case i == c.refCol:
			label, vals[i] = v, ""
			if label == "" {
				continue
			}
			if _, dup := c.refs[label]; dup || c.held[label] {
				return c.errAt(line, i+1, "_ref %q is used twice", label)
			}
		case v == "" || v == csvNull:
		case col.Key != nil:
			id, derr := c.d.ParentID(col, v)
			if derr != nil && col.Target == c.o && len(c.rows) > 0 {
				// The parent may be a row held, not yet stored.
				if err := c.flush(); err != nil {
					return err
				}
				id, derr = c.d.ParentID(col, v)
			}
			if derr != nil {
				return c.errAt(line, i+1, "%s: %s (%s)", strings.TrimSpace(col.Header), derr.Message, derr.StatusCode)
			}
			vals[i] = id
		case col.Field.Type == TypeReference && strings.HasPrefix(v, "@"):
			if c.held[v[1:]] {
				if err := c.flush(); err != nil {
					return err
				}
			}
			id, known := c.refs[v[1:]]
			if !known {
				return c.errAt(line, i+1, "%s: %s names no record above (label one with a _ref column or _ref: %s; records are created in file order)", strings.TrimSpace(col.Header), v, v[1:])
			}
			vals[i] = string(id)
		}
	}
	start := len(c.backing)
	c.backing = append(c.backing, vals...)
	c.rows = append(c.rows, c.backing[start:len(c.backing):len(c.backing)])
	c.lines = append(c.lines, line)
	c.labels = append(c.labels, label)
	if label != "" {
		c.held[label] = true
	}
	return nil
}

// flush stores the rows held; the first row with errors is the answer.
func (c *csvRecords) flush() error {
	if len(c.rows) == 0 {
		return nil
	}
	recs, errs := c.d.InsertText(c.o, c.text, c.rows, c.owner, c.now, DMLOptions{AllowSystemFields: true})
	for k := range c.rows {
		if len(errs[k]) > 0 {
			e := errs[k][0]
			col := c.columnOf(e.Fields)
			if col == 0 {
				col = c.unconvertible(c.rows[k], e.StatusCode)
			}
			return c.errAt(c.lines[k], col, "%s (%s)", e.Message, e.StatusCode)
		}
		if c.labels[k] != "" {
			c.refs[c.labels[k]] = recs[k].ID
		}
	}
	c.rows, c.lines, c.labels, c.backing = c.rows[:0], c.lines[:0], c.labels[:0], c.backing[:0]
	clear(c.held)
	return nil
}

// unconvertible is the first column (from 1) of row whose text its field
// does not take, with that status code: the column of a conversion error,
// which (as Salesforce's "Cannot deserialize …") names no field. 0: none.
func (c *csvRecords) unconvertible(row []string, code string) int {
	for i, v := range row {
		f := c.text.Fields[i]
		if f == nil || v == "" || v == csvNull {
			continue
		}
		if _, err := c.d.convertText(f, v); err != nil && err.StatusCode == code {
			return i + 1
		}
	}
	return 0
}

// columnOf is the column (from 1) that sets the first of fields, 0 if none.
func (c *csvRecords) columnOf(fields []string) int {
	if len(fields) == 0 {
		return 0
	}
	for i, col := range c.cols {
		if col.Field != nil && strings.EqualFold(col.Field.Name, fields[0]) {
			return i + 1
		}
	}
	return 0
}
