// Package bulkcsv reads CSV as Salesforce's Bulk API 2.0 takes it (Bulk
// API 2.0 and Bulk API Developer Guide, "Prepare CSV Files" and "Sample CSV
// Files"): a header row of field names, then one record a row, fields
// separated by one delimiter byte, RFC 4180 double quotes, UTF-8 with an
// optional byte order mark. Bulk ingest jobs and fixture records in CSV
// files (emulator/org) read their CSV through it, so the two accept the
// same files. It owns the dialect only; what a header or a value means is
// the caller's.
package bulkcsv

import (
	"bytes"
	"fmt"
	"io"
)

// Error is CSV that cannot be read past: Msg says why (Bulk API's words,
// without the "ClientInputError : " its job results put before them), Line
// is the 1-based line where it was found.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Reader reads Bulk API CSV from memory, one record at a time: fields
// separated by delim, records ended by LF or CRLF (whichever the job said;
// the other is an error, as Salesforce's "LineEnding is invalid on user
// data"), fields optionally in double quotes with "" for a quote. A quote
// inside an unquoted field is taken literally. Completely empty lines are
// skipped. The returned slice is reused by the next call.
type Reader struct {
	data   []byte
	pos    int
	delim  byte
	crlf   bool
	line   int // line number of the record last returned (1-based)
	nextLn int
	fields []string
	spans  []span // where each field of the record is in data
	buf    []byte
	// win is data from winStart on, as a string (csvWindow bytes or one
	// record): the fields returned are cut from it.
	win      string
	winStart int
}

// span is where a field's value lies in the data, start < 0 for a value
// read with "" escapes and already in fields.
type span struct{ start, end int }

// csvWindow is how many bytes of the data the reader turns into one string
// at a time: the fields of the records in it are cut from that string, one
// allocation for many records (and what a stored value keeps alive: its
// window, not the whole upload).
const csvWindow = 8 << 10

// finish cuts the record's fields, which lie between start and end, from
// the window holding them.
func (r *Reader) finish(start, end int) []string {
	if start < r.winStart || end > r.winStart+len(r.win) {
		r.winStart = start
		r.win = string(r.data[start:min(len(r.data), max(end, start+csvWindow))])
	}
	for i, sp := range r.spans {
		if sp.start >= 0 {
			r.fields[i] = r.win[sp.start-r.winStart : sp.end-r.winStart]
		}
	}
	return r.fields
}

func NewReader(data []byte, delim byte, crlf bool) *Reader {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	return &Reader{data: data, delim: delim, crlf: crlf, nextLn: 1}
}

func (r *Reader) lineEndingError() error {
	setting := "LF"
	if r.crlf {
		setting = "CRLF"
	}
	return &Error{Line: r.nextLn, Msg: "LineEnding is invalid on user data. Current LineEnding setting is " + setting}
}

// atLineEnd reports whether a record ends at p, and the terminator's length.
func (r *Reader) atLineEnd(p int) (n int, err error) {
	d := r.data
	if r.crlf {
		if d[p] == '\r' && p+1 < len(d) && d[p+1] == '\n' {
			return 2, nil
		}
		if d[p] == '\n' {
			return 0, r.lineEndingError()
		}
		return 0, nil
	}
	if d[p] == '\n' {
		return 1, nil
	}
	if d[p] == '\r' && p+1 < len(d) && d[p+1] == '\n' {
		return 0, r.lineEndingError()
	}
	return 0, nil
}

// Next returns the next record, io.EOF after the last, or an *Error.
func (r *Reader) Next() ([]string, error) {
	d := r.data
	for {
		if r.pos >= len(d) {
			return nil, io.EOF
		}
		// Skip an empty line.
		n, err := r.atLineEnd(r.pos)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		r.pos += n
		r.nextLn++
	}
	r.line = r.nextLn
	r.fields, r.spans = r.fields[:0], r.spans[:0]
	p := r.pos
	rowStart := p
	for {
		if p < len(d) && d[p] == '"' {
			// Quoted field.
			r.buf = r.buf[:0]
			p++
			valueStart, segs := p, 0
			for {
				q := bytes.IndexByte(d[p:], '"')
				if q < 0 {
					return nil, &Error{Line: r.line, Msg: fmt.Sprintf("Unbalanced quotes: the quoted field starting on line %d is never closed", r.line)}
				}
				seg := d[p : p+q]
				r.nextLn += bytes.Count(seg, []byte{'\n'})
				r.buf = append(r.buf, seg...)
				segs++
				p += q + 1
				if p < len(d) && d[p] == '"' {
					r.buf = append(r.buf, '"')
					p++
					continue
				}
				break
			}
			if segs == 1 { // no "" inside: the value is the data between the quotes
				r.fields = append(r.fields, "")
				r.spans = append(r.spans, span{valueStart, p - 1})
			} else {
				r.fields = append(r.fields, string(r.buf))
				r.spans = append(r.spans, span{-1, -1})
			}
			switch end, err := r.fieldEnd(p); {
			case err != nil:
				return nil, err
			case end == moreFields:
				p++
				continue
			case end == rowEnds:
				return r.finish(rowStart, p), nil
			}
			return nil, &Error{Line: r.nextLn, Msg: fmt.Sprintf("Unbalanced quotes: a quoted field on line %d is followed by %q, not a delimiter or a line end", r.nextLn, d[p])}
		}
		// Unquoted field: up to the delimiter or the line end.
		start := p
		for p < len(d) && d[p] != r.delim && d[p] != '\n' && (d[p] != '\r' || p+1 >= len(d) || d[p+1] != '\n') {
			p++
		}
		r.fields = append(r.fields, "")
		r.spans = append(r.spans, span{start, p})
		switch end, err := r.fieldEnd(p); {
		case err != nil:
			return nil, err
		case end == rowEnds:
			return r.finish(rowStart, p), nil
		}
		// A delimiter; or neither: a bare LF in CRLF mode is reported by
		// fieldEnd, a lone CR is data.
		p++
	}
}

// What follows a field (fieldEnd).
const (
	neither    = iota // another byte: the caller decides
	moreFields        // the delimiter: another field starts after it
	rowEnds           // the data's end or a line end: the row is done
)

// fieldEnd tells what follows the field that ends at p. When the row ends,
// the reader is moved past it (and its line end) to the next row.
func (r *Reader) fieldEnd(p int) (int, error) {
	d := r.data
	if p >= len(d) {
		r.pos = p
		r.nextLn++
		return rowEnds, nil
	}
	if d[p] == r.delim {
		return moreFields, nil
	}
	n, err := r.atLineEnd(p)
	if err != nil || n == 0 {
		return neither, err
	}
	r.pos = p + n
	r.nextLn++
	return rowEnds, nil
}

// Line is the 1-based line where the record Next last returned starts.
func (r *Reader) Line() int { return r.line }
