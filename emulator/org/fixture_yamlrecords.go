package org

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// A fixture's records: section is most of a large fixture, and the YAML
// library spends 88 % of a 100,000-record load lexing and parsing it
// (docs/PERFORMANCE.md, "Fixture loading"), at 20 KB and 290 objects a
// record. So the section is read here, by a reader that knows only the
// shapes fixtures write records in, and the rest of the document — the
// org, users, apps, objects: small, and where YAML's full generality is
// used — is parsed by the library as before, with the section's lines
// blanked so every line and column it reports stays where it was:
//
//	records:
//	  Account:
//	    - {Name: Acme, Industry: Tech, AnnualRevenue: 1.5e6}
//	    - Name: "Globex"
//	      Type: 'Customer - Direct'
//	  Contact: contacts.csv
//
// Where it fits: only the section is the fast reader's, so everything
// else a fixture says keeps meaning exactly what the library makes of it,
// and a document the fast reader declines costs what it did before plus
// the attempt. What ends a plain scalar and which escapes a double-quoted
// one has follow goccy v1.19.2's scanner (scanner/scanner.go), read to
// learn what to accept, not copied; where it is unclear, the reader
// declines.
//
// It reads a top-level records: key at column 1, whose value is a block
// mapping of object names to either a scalar on the same line (a CSV
// file) or a block sequence of records, each a flow mapping on one line or
// a block mapping, of keys that are plain names and values that are
// plain, single- or double-quoted scalars on one line; blank lines and
// comment lines anywhere, a comment after a value. Scalars mean what the
// library makes of them: a plain one is resolved by the library's own
// token.New and ast constructors (so "yes" is a string, 0x1F and 1_000
// numbers, ~ null, as YAML 1.2's core schema says and goccy implements
// it), a quoted one is a string with the escapes the library's scanner
// knows.
//
// Anything else — an anchor, alias, tag, block scalar, a flow collection
// over several lines, a tab, a CR, a key that is not a plain name, a null
// value, a duplicate key, characters the library treats specially — and
// the reader gives up, and the whole document goes to the library as
// before, so safeyaml's budgets (aliases, merge keys, nesting) hold on
// every document that uses what they guard against. Whether the two
// readers agree is FuzzYAMLRecordsMatchLibrary's question: records, errors
// and their positions the same, or the fast reader declines.
//
// What a record error names, file:line:column, is where the library's
// tree would put it (fastRecords.locate, which reads the record again): a flow mapping at its "{", a
// block mapping at its first ":", a sequence at its first "-", a scalar
// at its first character (the quote of a quoted one), columns in runes.

// fastRecords is a fixture's records: section as the fast reader read it.
type fastRecords struct {
	data    []byte // the fixture, for positions (trace)
	line    int    // of the "records:" key, from 1
	objects []fastObject
}

type fastObject struct {
	name            string
	keyLine, keyCol int
	valLine, valCol int // the scalar, or the first "-"
	scalar          bool
	value           any        // a scalar value (a CSV file's path)
	rows            []fastRow  // the records
	starts          []recordAt // where each starts, for its positions
	dash            int        // the column of their "-", from 0
}

// fastRow is one record: its values, by its shape's keys. Records of a
// list mostly have the same keys in the same order, so a shape is shared
// and the fields it names are resolved once (loadFastRecords), where the
// library's decoding makes a map of each.
type fastRow struct {
	shape *recordShape
	vals  []any
}

type recordShape struct {
	keys []string // in the order written
}

// recordAt is where a record's "- " is: positions are only needed for an
// error, so they are read again then (trace) rather than kept for every
// field of every record.
type recordAt struct{ off, line int }

// tracedRecord is one record's positions, as the library's tree has them.
type tracedRecord struct {
	line, col int
	fields    []tracedField
}

type tracedField struct {
	key       string
	line, col int // the value's
}

// items is the section as fixtureYAML's Records: object names in order,
// each a scalar or (where the library has a []any of map[string]any) the
// *fastObject, which loadRecords stores through loadFastRecords.
func (fr *fastRecords) items() yaml.MapSlice {
	ms := make(yaml.MapSlice, 0, len(fr.objects))
	for i := range fr.objects {
		ob := &fr.objects[i]
		if ob.scalar {
			ms = append(ms, yaml.MapItem{Key: ob.name, Value: ob.value})
			continue
		}
		ms = append(ms, yaml.MapItem{Key: ob.name, Value: ob})
	}
	return ms
}

// row is record i as the library decodes it, a map.
func (ob *fastObject) row(i int) map[string]any {
	r := &ob.rows[i]
	m := make(map[string]any, len(r.vals))
	for j, k := range r.shape.keys {
		m[k] = r.vals[j]
	}
	return m
}

func (fr *fastRecords) object(name string) *fastObject {
	for i := range fr.objects {
		if fr.objects[i].name == name {
			return &fr.objects[i]
		}
	}
	return nil
}

// trace reads record i of ob again, for its positions.
func (fr *fastRecords) trace(ob *fastObject, i int) (tracedRecord, bool) {
	at := ob.starts[i]
	ls := bytes.LastIndexByte(fr.data[:at.off], '\n') + 1
	t := tracedRecord{}
	r := &recordsReader{data: fr.data, off: at.off, line: at.line, lineStart: ls, fr: &fastRecords{}, trace: &t}
	var scratch fastObject
	if !r.entry(&scratch, ob.dash) {
		return t, false
	}
	return t, true
}

// locate finds a path under $.records as the library's path query finds
// it in its tree (fixtureBuilder.locate): the node's first token, or its
// parent's when the path names nothing. ok is false for a path it cannot
// read (not one loadRecords makes); the caller then asks the library.
func (fr *fastRecords) locate(path string) (line, col int, ok bool) {
	rest, found := strings.CutPrefix(path, "$.records")
	if !found {
		return 0, 0, false
	}
	if rest == "" {
		// The records mapping: its first ":" (the first object's).
		if len(fr.objects) == 0 {
			return 0, 0, false
		}
		ob := &fr.objects[0]
		return ob.keyLine, ob.keyCol + len(ob.name), true
	}
	rest, found = strings.CutPrefix(rest, ".")
	if !found {
		return 0, 0, false
	}
	name, rest := rest, ""
	if i := strings.IndexAny(name, ".["); i >= 0 {
		name, rest = name[:i], name[i:]
	}
	if !plainKey(name) {
		return 0, 0, false
	}
	ob := fr.object(name)
	if ob == nil {
		return fr.locate("$.records")
	}
	if rest == "" {
		return ob.valLine, ob.valCol, true
	}
	if ob.scalar || rest[0] != '[' {
		return 0, 0, false
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		return 0, 0, false
	}
	i, err := strconv.Atoi(rest[1:end])
	if err != nil || i < 0 || strconv.Itoa(i) != rest[1:end] {
		return 0, 0, false
	}
	rest = rest[end+1:]
	if i >= len(ob.rows) {
		return ob.valLine, ob.valCol, true
	}
	t, ok := fr.trace(ob, i)
	if !ok {
		return 0, 0, false
	}
	if rest == "" {
		return t.line, t.col, true
	}
	key, found := strings.CutPrefix(rest, ".")
	if !found || !plainKey(key) {
		return 0, 0, false
	}
	for _, f := range t.fields {
		if f.key == key {
			return f.line, f.col, true
		}
	}
	return t.line, t.col, true
}

// keyAt is where an object's name is, for errAtKey("$.records.X").
func (fr *fastRecords) keyAt(path string) (line, col int, ok bool) {
	name, found := strings.CutPrefix(path, "$.records.")
	if !found {
		return 0, 0, false
	}
	if ob := fr.object(name); ob != nil {
		return ob.keyLine, ob.keyCol, true
	}
	return 0, 0, false
}

// splitRecords finds a fixture's records: section and reads it. rest is
// data with the section's lines after "records:" blanked (each line's
// bytes but its newline removed), for the library to parse the rest of
// the document in; ok is false where the fast reader declines.
func splitRecords(data []byte) (fr *fastRecords, rest []byte, ok bool) {
	start := -1
	for off := 0; off < len(data); {
		if bytes.HasPrefix(data[off:], []byte("records:")) {
			if start >= 0 {
				return nil, nil, false // twice: the library's error
			}
			start = off
		}
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	if start < 0 {
		return nil, nil, false
	}
	line := 1 + bytes.Count(data[:start], []byte{'\n'})
	r := &recordsReader{data: data, line: line, fr: &fastRecords{data: data, line: line}, keyNames: map[string]string{}}
	// The "records:" line: the key, then nothing or a comment.
	r.off = start + len("records:")
	r.lineStart = start
	if !r.endOfLine(false) {
		return nil, nil, false
	}
	bodyStart := r.off
	// Room for a record a line (an over-estimate for block mappings).
	r.lines = bytes.Count(data[bodyStart:], []byte{'\n'}) + 1
	end, ok := r.section()
	if !ok || len(r.fr.objects) == 0 {
		return nil, nil, false
	}
	rest = make([]byte, 0, len(data)-(end-bodyStart))
	rest = append(rest, data[:bodyStart]...)
	for _, c := range data[bodyStart:end] {
		if c == '\n' {
			rest = append(rest, '\n')
		}
	}
	rest = append(rest, data[end:]...)
	return r.fr, rest, true
}

// recordsReader reads the section a line at a time.
type recordsReader struct {
	data      []byte
	off       int // the next byte
	line      int // the line off is on, from 1
	lineStart int // the byte its line starts at
	fr        *fastRecords
	lines     int               // lines left in the section, at most: room for records
	keyNames  map[string]string // keys read so far, each a string once
	// recent are the last keys made or found, tried before keyNames:
	// records repeat the same few keys, and comparing a few short strings
	// is cheaper than hashing one.
	recent     [16]string
	recentNext int
	keys       []string      // the record being read's keys
	vals       []any         // and values
	slab       []any         // records' values are cut from it (keep)
	trace      *tracedRecord // positions wanted (fastRecords.trace)

	lineText     string // the line at lineTextAt, as a string (text)
	lineTextAt   int
	haveLineText bool
}

// col is the column of byte offset at on the current line, from 1, in
// runes (the library's scanner counts runes).
func (r *recordsReader) col(at int) int {
	return 1 + utf8.RuneCount(r.data[r.lineStart:at])
}

// text is data[s:e], on the current line, as a string cut from one string
// of the whole line: a record's values cost one allocation, not one
// each (a value kept keeps its line, some 100 bytes, alive with it).
func (r *recordsReader) text(s, e int) string {
	if !r.haveLineText || r.lineTextAt != r.lineStart {
		end := bytes.IndexByte(r.data[r.lineStart:], '\n')
		if end < 0 {
			end = len(r.data) - r.lineStart
		}
		r.lineText = string(r.data[r.lineStart : r.lineStart+end])
		r.lineTextAt, r.haveLineText = r.lineStart, true
	}
	return r.lineText[s-r.lineStart : e-r.lineStart]
}

// nextLine moves to the start of the next line.
func (r *recordsReader) nextLine() {
	r.line++
	r.lineStart = r.off
}

// endOfLine skips spaces and, if comment, a comment to the end of the
// line, and then the newline; false if something else is there.
// A comment needs a space before it (atStart: the line so far is spaces).
func (r *recordsReader) endOfLine(atStart bool) bool {
	spaced := atStart
	for r.off < len(r.data) && r.data[r.off] == ' ' {
		r.off++
		spaced = true
	}
	if r.off < len(r.data) && r.data[r.off] == '#' {
		if !spaced {
			return false
		}
		for r.off < len(r.data) && r.data[r.off] != '\n' {
			if !commentByte(r.data[r.off]) {
				return false
			}
			r.off++
		}
	}
	if r.off == len(r.data) {
		return true
	}
	if r.data[r.off] != '\n' {
		return false
	}
	r.off++
	r.nextLine()
	return true
}

// commentByte: what a comment may hold and the library still reads as
// one (no tab, CR or other control character).
func commentByte(c byte) bool { return c >= 0x20 && c != 0x7f || c >= 0x80 }

// indent counts the spaces at the start of the line at off; blank is
// true for a line of only spaces or a comment (skipped, as YAML skips it).
func (r *recordsReader) indent() (n int, blank bool) {
	i := r.off
	for i < len(r.data) && r.data[i] == ' ' {
		i++
	}
	if i == len(r.data) || r.data[i] == '\n' || r.data[i] == '#' {
		return i - r.off, true
	}
	return i - r.off, false
}

// section reads the object entries to the first line at column 1 (a
// top-level key: the section's end) or the end of data.
func (r *recordsReader) section() (end int, ok bool) {
	objIndent := -1
	var ob *fastObject // the object whose records are being read
	seqIndent := -1
	for r.off < len(r.data) {
		n, blank := r.indent()
		if blank {
			r.off += n
			if !r.endOfLine(true) {
				return 0, false
			}
			continue
		}
		if n == 0 {
			// The next top-level key, plain, so the library reads the
			// rest the same with or without the section before it.
			e := r.off
			for e < len(r.data) && isKeyByte(r.data[e], e == r.off) {
				e++
			}
			if e == r.off || e == len(r.data) || r.data[e] != ':' || (e+1 < len(r.data) && r.data[e+1] != ' ' && r.data[e+1] != '\n') {
				return 0, false
			}
			break
		}
		if objIndent < 0 {
			objIndent = n
		}
		at := r.off + n
		switch {
		case ob != nil && n == seqIndent && r.data[at] == '-':
			r.off = at
			if !r.entry(ob, n) {
				return 0, false
			}
		case ob != nil && seqIndent < 0 && n >= objIndent && r.data[at] == '-':
			seqIndent = n
			ob.valLine, ob.valCol, ob.dash = r.line, n+1, n
			r.off = at
			first := r.line
			if !r.entry(ob, n) {
				return 0, false
			}
			// Room for as many more as the lines left hold, at the lines
			// the first took: grown once, not by doubling.
			more := r.lines / max(r.line-first, 1)
			ob.rows, ob.starts = slices.Grow(ob.rows, more), slices.Grow(ob.starts, more)
		case n == objIndent && r.data[at] != '-':
			if ob != nil && len(ob.rows) == 0 {
				return 0, false // null: the library's answer
			}
			if ob != nil {
				r.lines -= len(ob.rows)
			}
			r.off = at
			var list bool
			if ob, list = r.objectKey(); ob == nil {
				return 0, false
			}
			if !list {
				ob = nil
			}
			seqIndent = -1
		default:
			return 0, false
		}
	}
	if ob != nil && len(ob.rows) == 0 {
		return 0, false
	}
	return r.off, true
}

// objectKey reads "Name:" and either a scalar to the end of the line or
// nothing (a list follows). nil: not a shape it reads.
func (r *recordsReader) objectKey() (ob *fastObject, list bool) {
	line, col := r.line, r.col(r.off)
	name, ok := r.key()
	if !ok {
		return nil, false
	}
	if r.fr.object(name) != nil {
		return nil, false // a duplicate key: the library's error
	}
	r.fr.objects = append(r.fr.objects, fastObject{name: name, keyLine: line, keyCol: col})
	ob = &r.fr.objects[len(r.fr.objects)-1]
	if r.off < len(r.data) && r.data[r.off] == ' ' {
		save := r.off
		for r.off < len(r.data) && r.data[r.off] == ' ' {
			r.off++
		}
		if r.off < len(r.data) && r.data[r.off] != '\n' && r.data[r.off] != '#' {
			ob.valLine, ob.valCol = r.line, r.col(r.off)
			v, ok := r.scalar(false)
			if !ok || !r.endOfLine(false) {
				return nil, false
			}
			ob.scalar, ob.value = true, v
			return ob, false
		}
		r.off = save
	}
	if !r.endOfLine(false) {
		return nil, false
	}
	return ob, true
}

// key reads a plain name and its ":", which a space or the line's end
// must follow.
func (r *recordsReader) key() (string, bool) {
	s := r.off
	for r.off < len(r.data) && isKeyByte(r.data[r.off], r.off == s) {
		r.off++
	}
	if r.off == s || r.off == len(r.data) || r.data[r.off] != ':' {
		return "", false
	}
	b := r.data[s:r.off]
	r.off++
	if r.off < len(r.data) && r.data[r.off] != ' ' && r.data[r.off] != '\n' {
		return "", false
	}
	// Records repeat their keys: each is made a string and checked once.
	for _, name := range r.recent {
		if name == string(b) && name != "" {
			return name, true
		}
	}
	name, ok := r.keyNames[string(b)]
	if !ok {
		name = string(b)
		if !plainKey(name) {
			return "", false
		}
		if r.keyNames != nil {
			r.keyNames[name] = name
		}
	}
	r.recent[r.recentNext] = name
	r.recentNext = (r.recentNext + 1) % len(r.recent)
	return name, true
}

func isKeyByte(c byte, first bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || !first && c >= '0' && c <= '9'
}

// plainKey: a name the library reads as the string it is (not true, null,
// or a number) and its path queries read as one key.
func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isKeyByte(s[i], i == 0) {
			return false
		}
	}
	return token.New(s, s, &token.Position{}).Type == token.StringType
}

// entry reads one "- " record at column dash+1: a flow mapping on the
// line, or a block mapping whose further keys are on the lines below at
// the column of its first.
func (r *recordsReader) entry(ob *fastObject, dash int) bool {
	startOff, startLine := r.off, r.line
	r.off++ // the "-"
	if r.off >= len(r.data) || r.data[r.off] != ' ' {
		return false
	}
	for r.off < len(r.data) && r.data[r.off] == ' ' {
		r.off++
	}
	if r.off == len(r.data) {
		return false
	}
	r.keys, r.vals = r.keys[:0], r.vals[:0]
	if r.data[r.off] == '{' {
		if r.trace != nil {
			r.trace.line, r.trace.col = r.line, r.col(r.off)
		}
		r.off++
		if !r.flowMapping() || !r.endOfLine(false) {
			return false
		}
	} else if !r.blockMapping(dash) {
		return false
	}
	ob.rows = append(ob.rows, fastRow{shape: r.shape(ob), vals: r.keep(r.vals)})
	ob.starts = append(ob.starts, recordAt{off: startOff, line: startLine})
	return true
}

// shape is the shape of the record just read (r.keys): ob's last, mostly.
func (r *recordsReader) shape(ob *fastObject) *recordShape {
	if n := len(ob.rows); n > 0 && slices.Equal(ob.rows[n-1].shape.keys, r.keys) {
		return ob.rows[n-1].shape
	}
	return &recordShape{keys: slices.Clone(r.keys)}
}

// keep copies a record's values into the slab, so records' values are
// allocated some thousands at a time.
func (r *recordsReader) keep(vals []any) []any {
	if len(r.slab)+len(vals) > cap(r.slab) {
		r.slab = make([]any, 0, max(len(vals), 16384))
	}
	start := len(r.slab)
	r.slab = append(r.slab, vals...)
	return r.slab[start:len(r.slab):len(r.slab)]
}

// blockMapping reads a record's "key: value" lines, the first after its
// "- ", the others at the column of the first.
func (r *recordsReader) blockMapping(dash int) bool {
	keyCol := r.off - r.lineStart // 0-based
	if keyCol <= dash {
		return false
	}
	for {
		// "key: value" at keyCol.
		if !r.blockField() {
			return false
		}
		// The next key of this mapping: a line indented to keyCol, past
		// blank and comment lines.
		for {
			n, blank := r.indent()
			if !blank || r.off+n == len(r.data) {
				if blank || n != keyCol {
					return true
				}
				r.off += n
				break
			}
			r.off += n
			if !r.endOfLine(true) {
				return false
			}
		}
	}
}

// blockField reads "key: scalar" and the rest of its line into m.
func (r *recordsReader) blockField() bool {
	line, col := r.line, r.col(r.off)
	k, ok := r.key()
	if !ok {
		return false
	}
	if slices.Contains(r.keys, k) {
		return false // the library refuses a duplicate key
	}
	for r.off < len(r.data) && r.data[r.off] == ' ' {
		r.off++
	}
	if r.off == len(r.data) || r.data[r.off] == '\n' || r.data[r.off] == '#' {
		return false // null, or a nested collection
	}
	vline, vcol := r.line, r.col(r.off)
	v, ok := r.scalar(false)
	if !ok || !r.endOfLine(false) {
		return false
	}
	r.keys, r.vals = append(r.keys, k), append(r.vals, v)
	if t := r.trace; t != nil {
		if len(t.fields) == 0 {
			// The mapping's own position: its first ":".
			t.line, t.col = line, col+len(k)
		}
		t.fields = append(t.fields, tracedField{key: k, line: vline, col: vcol})
	}
	return true
}

// flowMapping reads a flow mapping's entries after its "{" to its "}",
// on one line, into m.
func (r *recordsReader) flowMapping() bool {
	r.spaces()
	if r.off < len(r.data) && r.data[r.off] == '}' {
		r.off++
		return true
	}
	for {
		k, ok := r.key()
		if !ok || r.off == len(r.data) || r.data[r.off] != ' ' {
			return false
		}
		if slices.Contains(r.keys, k) {
			return false
		}
		r.spaces()
		if r.off == len(r.data) {
			return false
		}
		vline, vcol := r.line, r.col(r.off)
		v, ok := r.scalar(true)
		if !ok {
			return false
		}
		r.keys, r.vals = append(r.keys, k), append(r.vals, v)
		if r.trace != nil {
			r.trace.fields = append(r.trace.fields, tracedField{key: k, line: vline, col: vcol})
		}
		r.spaces()
		if r.off == len(r.data) {
			return false
		}
		switch r.data[r.off] {
		case '}':
			r.off++
			return true
		case ',':
			r.off++
			r.spaces()
		default:
			return false
		}
	}
}

func (r *recordsReader) spaces() {
	for r.off < len(r.data) && r.data[r.off] == ' ' {
		r.off++
	}
}

// scalar reads a plain, single- or double-quoted scalar on this line and
// leaves off after it (after a plain one's last non-space). flow: inside
// a flow mapping, where "," and "}" end a plain scalar.
func (r *recordsReader) scalar(flow bool) (any, bool) {
	switch r.data[r.off] {
	case '"':
		return r.doubleQuoted()
	case '\'':
		return r.singleQuoted()
	}
	s := r.off
	lastNonSpace := -1
	for r.off < len(r.data) {
		c := r.data[r.off]
		if c == '\n' || flow && (c == ',' || c == '}') {
			break
		}
		if !plainByte(c, r.off == s) {
			return nil, false
		}
		if c == ' ' {
			if r.off+1 < len(r.data) && r.data[r.off+1] == '#' {
				break // a comment
			}
		} else {
			lastNonSpace = r.off
		}
		if c >= 0x80 {
			ru, size := utf8.DecodeRune(r.data[r.off:])
			if !plainRune(ru, size) {
				return nil, false
			}
			r.off += size
			lastNonSpace = r.off - 1
			continue
		}
		r.off++
	}
	if lastNonSpace < 0 {
		return nil, false
	}
	if !flow && lastNonSpace+1 != r.off {
		// Spaces after a block mapping's plain value: the library places an
		// error on the value a column further than where it starts, so such
		// a document is left to it (found by FuzzYAMLRecordsMatchLibrary).
		return nil, false
	}
	r.off = lastNonSpace + 1
	text := r.text(s, r.off)
	if text[0] == '-' && (len(text) == 1 || text[1] == ' ') {
		return nil, false // a sequence entry, to the library
	}
	return plainValue(text)
}

// plainByte: what a plain scalar may hold here and mean the same to the
// library in a flow mapping and a block one: no indicator first, and
// none of the characters that end or nest a scalar (":", "#", brackets,
// quotes) anywhere.
func plainByte(c byte, first bool) bool {
	switch c {
	case ':', '#', '[', ']', '{', '}', ',', '"', '\'', '\t', '\r', '\\', '`':
		return false
	case '-', '?', '&', '*', '!', '|', '>', '%', '@', ' ':
		if first {
			return c == '-'
		}
	}
	return c >= 0x20 && c != 0x7f
}

// plainRune: a non-ASCII character the library reads as a character
// (not a line break or byte-order mark; valid UTF-8).
func plainRune(ru rune, size int) bool {
	if ru == utf8.RuneError && size <= 1 {
		return false
	}
	switch ru {
	case 0x85, 0xa0, 0x2028, 0x2029, 0xfeff:
		return false
	}
	return ru >= 0xa0
}

// plainValue resolves a plain scalar as the library does: its token type
// from token.New, its value from the ast node the parser would make.
func plainValue(s string) (any, bool) {
	if !mayResolve(s) {
		return s, true
	}
	if v, ok := decimalValue(s); ok {
		return v, true
	}
	tk := token.New(s, s, &token.Position{})
	switch tk.Type {
	case token.StringType:
		return s, true
	case token.NullType:
		return nil, true
	case token.BoolType:
		return ast.Bool(tk).GetValue(), true
	case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType:
		return ast.Integer(tk).GetValue(), true
	case token.FloatType:
		return ast.Float(tk).GetValue(), true
	case token.InfinityType:
		return ast.Infinity(tk).GetValue(), true
	case token.NanType:
		return ast.Nan(tk).GetValue(), true
	}
	return nil, false
}

// decimalValue is token.ToNumber's answer for the commonest numbers, a
// decimal integer without a leading 0 (octal to the library), underscore
// or "+", without its allocations: a uint64, or an int64 if negative;
// text too large for them stays a string, as token.New leaves it. ok is
// false for anything else.
func decimalValue(s string) (any, bool) {
	digits := s
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" || digits[0] == '0' && len(digits) > 1 {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, false
		}
	}
	if len(digits) < len(s) {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
		return s, true
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u, true
	}
	return s, true
}

// mayResolve: s might be other than a string to token.New — a reserved
// word (null, true, .inf, …: all start with one of "nNtTfF~.-") or a
// number, which strconv parses only from a digit or "." after the signs
// and underscores token.ToNumber strips. Most text (names, cities) is
// neither, and skips the library's allocations.
func mayResolve(s string) bool {
	switch s[0] {
	case 'n', 'N', 't', 'T', 'f', 'F', '~', '.', '-', '+', '_':
		return true
	}
	return s[0] >= '0' && s[0] <= '9'
}

// quotedStep moves past one character c of quoted text that is neither a
// quote nor an escape; false where the fast reader leaves the text to the
// library (a line break, a control character, a rune it does not take).
func (r *recordsReader) quotedStep(c byte) bool {
	switch {
	case c == '\n' || !quotedByte(c):
		return false
	case c >= 0x80:
		ru, size := utf8.DecodeRune(r.data[r.off:])
		if !plainRune(ru, size) {
			return false
		}
		r.off += size
		return true
	}
	r.off++
	return true
}

// closeQuote ends a quoted scalar at its closing quote (at r.off): its text
// is what unescaping gathered in sb, then the run from s.
func (r *recordsReader) closeQuote(sb []byte, s int) (any, bool) {
	var v string
	if sb == nil {
		v = r.text(s, r.off)
	} else {
		v = string(append(sb, r.data[s:r.off]...))
	}
	r.off++
	return v, r.afterQuote()
}

// singleQuoted reads '...' on one line, where a doubled quote stands for
// one.
func (r *recordsReader) singleQuoted() (any, bool) {
	r.off++
	var sb []byte
	s := r.off
	for r.off < len(r.data) {
		c := r.data[r.off]
		switch {
		case c == '\'':
			if r.off+1 < len(r.data) && r.data[r.off+1] == '\'' {
				sb = append(sb, r.data[s:r.off+1]...)
				r.off += 2
				s = r.off
				continue
			}
			return r.closeQuote(sb, s)
		}
		if !r.quotedStep(c) {
			return nil, false
		}
	}
	return nil, false
}

// quotedByte: an ASCII byte a quoted scalar may hold as itself.
func quotedByte(c byte) bool { return c >= 0x20 && c != 0x7f || c >= 0x80 }

// afterQuote: a quoted scalar must be followed by a space, ",", "}" or the
// line's end, as the library reads it.
func (r *recordsReader) afterQuote() bool {
	if r.off == len(r.data) {
		return true
	}
	switch r.data[r.off] {
	case ' ', ',', '}', '\n':
		return true
	}
	return false
}

// doubleQuoted reads "..." on one line with the escapes the library's
// scanner knows that stand for one character.
func (r *recordsReader) doubleQuoted() (any, bool) {
	r.off++
	var sb []byte
	s := r.off
	for r.off < len(r.data) {
		c := r.data[r.off]
		switch {
		case c == '"':
			return r.closeQuote(sb, s)
		case c == '\\':
			if r.off+1 >= len(r.data) {
				return nil, false
			}
			sb = append(sb, r.data[s:r.off]...)
			var ru rune
			switch r.data[r.off+1] {
			case '0':
				ru = 0
			case 'a':
				ru = 7
			case 'b':
				ru = 8
			case 't':
				ru = 9
			case 'n':
				ru = 10
			case 'v':
				ru = 11
			case 'f':
				ru = 12
			case 'r':
				ru = 13
			case 'e':
				ru = 0x1b
			case ' ':
				ru = ' '
			case '"':
				ru = '"'
			case '/':
				ru = '/'
			case '\\':
				ru = '\\'
			case 'N':
				ru = 0x85
			case '_':
				ru = 0xa0
			case 'L':
				ru = 0x2028
			case 'P':
				ru = 0x2029
			default:
				return nil, false // \x, \u, \U, a line break: the library's
			}
			sb = utf8.AppendRune(sb, ru)
			r.off += 2
			s = r.off
			continue
		}
		if !r.quotedStep(c) {
			return nil, false
		}
	}
	return nil, false
}

// shapeFields is a record shape resolved against its object once, as
// Data.assign resolves a record's keys each time: the fields in the order
// assign takes them (by name), and whether every key is a field a
// fixture may set — else its records go one at a time through Insert,
// for Insert's own errors.
type shapeFields struct {
	ref    int      // the _ref key's index, -1 if none
	order  []int    // the keys assign converts, sorted by name
	fields []*Field // by key index
	typed  bool
}

func resolveShape(o *Object, s *recordShape) *shapeFields {
	sf := &shapeFields{ref: -1, fields: make([]*Field, len(s.keys)), typed: true}
	var user *User // fixtures set system fields: no field-level security (assign)
	for j, k := range s.keys {
		switch {
		case k == "_ref":
			sf.ref = j
			continue
		case k == "attributes":
			continue
		case strings.EqualFold(k, "Id"):
			sf.typed = false
		}
		f := o.Field(k)
		if f == nil || !user.CanRead(f) || !user.CanEdit(f) {
			sf.typed = false
			continue
		}
		sf.fields[j] = f
		sf.order = append(sf.order, j)
	}
	slices.SortFunc(sf.order, func(a, b int) int { return strings.Compare(s.keys[a], s.keys[b]) })
	return sf
}

// loadFastRecords creates the records the fast reader read for one
// object, as loadRecordList creates the library's (the same checks,
// order, errors and ids; FuzzYAMLRecordsMatchLibrary compares them), but
// from rows: a shape's keys are resolved to fields once and each row is
// checked into its record's values directly (Data.insertChecked, the
// InsertBatch path), with no map per record.
func (b *fixtureBuilder) loadFastRecords(obj *Object, objName, path string, ob *fastObject, refs map[string]ID, owner *User, now time.Time) error {
	d := b.org.Data
	opt := DMLOptions{AllowSystemFields: true}
	batch := batchable(d, obj, len(ob.rows), opt)
	shapes := map[*recordShape]*shapeFields{}
	shapeOf := func(s *recordShape) *shapeFields {
		sf := shapes[s]
		if sf == nil {
			sf = resolveShape(obj, s)
			shapes[s] = sf
		}
		return sf
	}
	if len(ob.rows) > 0 {
		d.reserve(obj, len(ob.rows), shapeOf(ob.rows[0].shape).fields)
	}
	var (
		held   = make([]int, 0, min(len(ob.rows), yamlRecordChunk)) // rows waiting to be stored
		labels []string                                             // each held row's _ref, "" if none
		isHeld = map[string]bool{}
	)
	rpath := func(i int) string { return fmt.Sprintf("%s[%d]", path, i) }
	insertError := func(i int, errs []DMLError) error {
		where := rpath(i)
		if len(errs[0].Fields) > 0 {
			where += "." + errs[0].Fields[0]
		}
		return b.errAt(where, "records.%s[%d]: %s: %s", objName, i, errs[0].StatusCode, errs[0].Message)
	}
	// check is checkInsert of a row: assign's conversions in its order,
	// then the required fields.
	check := func(k int, values, defaults []any) []DMLError {
		row := &ob.rows[held[k]]
		sf := shapeOf(row.shape)
		copy(values, defaults)
		var errs []DMLError
		for _, j := range sf.order {
			f := sf.fields[j]
			v, err := d.convert(f, row.vals[j])
			if err != nil {
				errs = append(errs, *err)
				continue
			}
			values[f.Index] = v
		}
		if len(errs) > 0 {
			return errs
		}
		return requiredMissing(obj, values)
	}
	flush := func() error {
		if len(held) == 0 {
			return nil
		}
		recs, errs := d.insertChecked(obj, len(held), check, owner, now, opt)
		for k := range held {
			if len(errs[k]) > 0 {
				return insertError(held[k], errs[k])
			}
			if labels[k] != "" {
				refs[labels[k]] = recs[k].ID
			}
		}
		held, labels = held[:0], labels[:0]
		clear(isHeld)
		return nil
	}
	for i := range ob.rows {
		row := &ob.rows[i]
		sf := shapeOf(row.shape)
		// As loadRecordList: values as JSON would send them, a reference
		// to a held record stores the held first, then references.
		label, refsHeld := "", false
		for j, v := range row.vals {
			if j == sf.ref {
				label = fmt.Sprint(v)
				continue
			}
			v = JSONValue(v)
			row.vals[j] = v
			if s, ok := v.(string); ok && strings.HasPrefix(s, "@") && isHeld[s[1:]] {
				refsHeld = true
			}
		}
		if refsHeld {
			if err := flush(); err != nil {
				return err
			}
		}
		for j, v := range row.vals {
			if s, ok := v.(string); ok && j != sf.ref && strings.HasPrefix(s, "@") {
				id, known := refs[s[1:]]
				if !known {
					if err := flush(); err != nil {
						return err
					}
					k := row.shape.keys[j]
					return b.errAt(rpath(i)+"."+k, "records.%s[%d].%s: %s names no record above (label one with _ref: %s; records are created in file order)", objName, i, k, s, s[1:])
				}
				row.vals[j] = string(id)
			}
		}
		_, dup := refs[label]
		dup = label != "" && (dup || isHeld[label])
		if !batch || !sf.typed || dup {
			// One at a time, as Insert answers it.
			if err := flush(); err != nil {
				return err
			}
			m := ob.row(i)
			if sf.ref >= 0 {
				delete(m, "_ref")
			}
			rec, errs := d.Insert(obj, m, owner, now, opt)
			if len(errs) > 0 {
				return insertError(i, errs)
			}
			if dup {
				return b.errAt(rpath(i)+"._ref", "records.%s[%d]: _ref %q is used twice", objName, i, label)
			}
			if label != "" {
				refs[label] = rec.ID
			}
			continue
		}
		held = append(held, i)
		labels = append(labels, label)
		if label != "" {
			isHeld[label] = true
		}
		if len(held) == yamlRecordChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
