package rest

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sfemu/sfemu/emulator/org"
)

// createBody is a POST /composite/sobjects body as decodeCreates reads it:
// each record's attributes.type and its fields in the order sent, with the
// values parseCollection's maps would hold (org.FieldValue), ready for
// org.Data.InsertFields — no map per record, no map per value.
type createBody struct {
	allOrNone bool
	records   []createRecord
}

type createRecord struct {
	// typ is attributes.type when it is a string, else "" (as recordType reads it).
	typ    string
	fields []org.FieldValue
	// from, to: where the fields are in the scanner's, while it reads.
	from, to int
}

// maxDecodeDepth bounds the nesting decodeCreates follows inside values it
// skips (attributes' other keys, top-level keys other than records); a body
// nested deeper goes to encoding/json, which has its own bound.
const maxDecodeDepth = 64

// decodeCreates reads the common shape of a collection create: an object
// with "records" (at most maxCompositeRecords objects whose values are
// strings, numbers, booleans or null, and "attributes") and "allOrNone" (a
// boolean). It answers ok=false for anything else, and for anything where
// encoding/json's reading needs care to match (a syntax error, a key that
// only case-folds to records or allOrNone, a key written twice, escapes in
// keys, invalid UTF-8, an object or array as a field's value, more than 200
// records, a records that is not an array): parseCollection then reads the
// body as it always has, and answers any error byte for byte as before.
//
// Written from RFC 8259's grammar and encoding/json's documented decoding
// (numbers with UseNumber; struct keys matched case-insensitively; the last
// of duplicate keys wins) — the cases that make these differ are the ones
// sent back.
//
// The text of values a record stores is copied into one string for the
// body (the records keep nothing else of it); a value a record repeats from
// the record before, under the same key at the same place, shares its boxed
// value.
func decodeCreates(data []byte) (*createBody, bool) {
	p := &createScanner{s: string(data)}
	// Room for the fields of a body of typical records (≥ 24 bytes of JSON
	// a field, up to 200 records of 16 fields), so that reading them seldom
	// grows it, and a large body refused at record 201 costs little.
	room := min(len(data)/24, maxCompositeRecords*16)
	p.fields = make([]org.FieldValue, 0, room)
	p.raw = make([]rawValue, 0, room)
	body, ok := p.body()
	if !ok {
		return nil, false
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, false
	}
	p.box(body)
	return body, true
}

type createScanner struct {
	s string
	i int
	// Every record's fields, one after the other (a record has its part
	// once all are read), and for each its raw value before it is boxed:
	// a text or a number's text, and what it is.
	fields []org.FieldValue
	raw    []rawValue
}

type rawKind uint8

const (
	rawString rawKind = iota
	rawNumber
	rawTrue
	rawFalse
	rawNull
)

type rawValue struct {
	kind rawKind
	text string // a string's text (unescaped), a number's
	own  bool   // text is already a string of its own (unescaped), not a part of the body
}

func (p *createScanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and reports whether c is next, taking it.
func (p *createScanner) next(c byte) bool {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *createScanner) peek() byte {
	p.ws()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *createScanner) body() (*createBody, bool) {
	if !p.next('{') {
		return nil, false
	}
	body := &createBody{}
	seenRecords, seenAll := false, false
	if p.next('}') {
		return body, true
	}
	for {
		key, escaped, ok := p.str()
		if !ok || escaped || !p.next(':') {
			return nil, false
		}
		switch {
		case key == "records" && !seenRecords:
			seenRecords = true
			if !p.records(body) {
				return nil, false
			}
		case key == "allOrNone" && !seenAll:
			seenAll = true
			switch {
			case p.literal("true"):
				body.allOrNone = true
			case p.literal("false"), p.literal("null"):
			default:
				return nil, false
			}
		case strings.EqualFold(key, "records") || strings.EqualFold(key, "allOrNone") || !ascii(key):
			return nil, false // a second one, or one only encoding/json's folding matches
		default:
			if !p.skip(0) {
				return nil, false
			}
		}
		if p.next(',') {
			continue
		}
		return body, p.next('}')
	}
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (p *createScanner) records(body *createBody) bool {
	if !p.next('[') {
		return false
	}
	if p.next(']') {
		body.records = []createRecord{}
		return true
	}
	var prev []org.FieldValue
	for {
		if len(body.records) == maxCompositeRecords {
			return false
		}
		rec, ok := p.record(prev)
		if !ok {
			return false
		}
		body.records = append(body.records, rec)
		prev = p.fields[rec.from:rec.to]
		if p.next(',') {
			continue
		}
		if !p.next(']') {
			return false
		}
		for i := range body.records {
			r := &body.records[i]
			r.fields = p.fields[r.from:r.to:r.to]
		}
		return true
	}
}

// record reads one record; prev is the record before's fields, whose keys
// this one's reuse when they are the same.
func (p *createScanner) record(prev []org.FieldValue) (createRecord, bool) {
	rec := createRecord{from: len(p.fields), to: len(p.fields)}
	if !p.next('{') {
		return rec, false
	}
	if p.next('}') {
		return rec, true
	}
	sameKeys := true // so far, the keys of prev in order
	seenAttrs := false
	for {
		key, escaped, ok := p.str()
		if !ok || escaped || !utf8.ValidString(key) || !p.next(':') {
			return rec, false
		}
		if key == "attributes" {
			if seenAttrs {
				return rec, false
			}
			seenAttrs = true
			if rec.typ, ok = p.attributes(); !ok {
				return rec, false
			}
		} else {
			n := len(p.fields) - rec.from
			if sameKeys && n < len(prev) && prev[n].Name == key {
				key = prev[n].Name // one string for the key in every record
			} else {
				sameKeys = false
			}
			v, ok := p.scalar()
			if !ok {
				return rec, false
			}
			p.fields = append(p.fields, org.FieldValue{Name: key})
			p.raw = append(p.raw, v)
		}
		if p.next(',') {
			continue
		}
		if !p.next('}') {
			return rec, false
		}
		break
	}
	rec.to = len(p.fields)
	if fields := p.fields[rec.from:rec.to]; !sameKeys || len(fields) != len(prev) {
		// A key written twice is encoding/json's to settle (the last wins).
		for i := range fields {
			for j := range i {
				if fields[i].Name == fields[j].Name {
					return rec, false
				}
			}
		}
	}
	return rec, true
}

// attributes reads a record's attributes: its type is the last "type" key's
// value when that is a string, else "".
func (p *createScanner) attributes() (string, bool) {
	if p.peek() != '{' {
		return "", p.skip(0)
	}
	p.i++
	typ := ""
	if p.next('}') {
		return typ, true
	}
	for {
		key, escaped, ok := p.str()
		if !ok || escaped || !p.next(':') {
			return "", false
		}
		if key == "type" && p.peek() == '"' {
			s, escaped, ok := p.str()
			if !ok {
				return "", false
			}
			if escaped {
				if s, ok = unescape(s); !ok {
					return "", false
				}
			} else if !utf8.ValidString(s) {
				return "", false // encoding/json replaces invalid bytes, which it then reads
			}
			typ = s
		} else {
			if key == "type" {
				typ = ""
			}
			if !p.skip(0) {
				return "", false
			}
		}
		if p.next(',') {
			continue
		}
		return typ, p.next('}')
	}
}

// scalar reads a field's value: a string, a number or a literal.
func (p *createScanner) scalar() (rawValue, bool) {
	switch p.peek() {
	case '"':
		s, escaped, ok := p.str()
		if !ok {
			return rawValue{}, false
		}
		if escaped {
			if s, ok = unescape(s); !ok {
				return rawValue{}, false
			}
			return rawValue{kind: rawString, text: s, own: true}, true
		}
		if !utf8.ValidString(s) {
			return rawValue{}, false // encoding/json replaces invalid bytes, which it then reads
		}
		return rawValue{kind: rawString, text: s}, true
	case 't':
		return rawValue{kind: rawTrue}, p.literal("true")
	case 'f':
		return rawValue{kind: rawFalse}, p.literal("false")
	case 'n':
		return rawValue{kind: rawNull}, p.literal("null")
	}
	s, ok := p.number()
	return rawValue{kind: rawNumber, text: s}, ok
}

func (p *createScanner) literal(lit string) bool {
	p.ws()
	if strings.HasPrefix(p.s[p.i:], lit) {
		p.i += len(lit)
		return true
	}
	return false
}

// str reads a string, answering what is between its quotes and whether
// that has escapes (which unescape reads). Control characters and bad
// escapes are not ok.
func (p *createScanner) str() (s string, escaped, ok bool) {
	if !p.next('"') {
		return "", false, false
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			s = p.s[start:p.i]
			p.i++
			return s, escaped, true
		case c < 0x20:
			return "", false, false
		case c == '\\':
			escaped = true
			p.i++
			if p.i >= len(p.s) {
				return "", false, false
			}
			switch p.s[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i++
			case 'u':
				if p.i+5 > len(p.s) {
					return "", false, false
				}
				for _, h := range []byte(p.s[p.i+1 : p.i+5]) {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return "", false, false
					}
				}
				p.i += 5
			default:
				return "", false, false
			}
		default:
			p.i++
		}
	}
	return "", false, false
}

// unescape is the string a quoted text with escapes decodes to, as
// encoding/json decodes it (surrogates, invalid UTF-8 and all).
func unescape(inner string) (string, bool) {
	var s string
	if err := json.Unmarshal([]byte(`"`+inner+`"`), &s); err != nil {
		return "", false
	}
	return s, true
}

// number reads a number as RFC 8259 writes one.
func (p *createScanner) number() (string, bool) {
	p.ws()
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case digits() == 0:
		return "", false
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", false
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", false
		}
	}
	return p.s[start:p.i], true
}

// skip reads over any value, checking its syntax.
func (p *createScanner) skip(depth int) bool {
	if depth > maxDecodeDepth {
		return false
	}
	switch p.peek() {
	case '{':
		p.i++
		if p.next('}') {
			return true
		}
		for {
			if _, _, ok := p.str(); !ok || !p.next(':') || !p.skip(depth+1) {
				return false
			}
			if p.next(',') {
				continue
			}
			return p.next('}')
		}
	case '[':
		p.i++
		if p.next(']') {
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			if p.next(',') {
				continue
			}
			return p.next(']')
		}
	case '"':
		s, escaped, ok := p.str()
		return ok && (escaped || utf8.ValidString(s))
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	_, ok := p.number()
	return ok
}

// box sets each field's Value from its raw value: numbers as float64
// (json.Number past float64's range, as convert reads it), and the text
// records keep copied into one string. A value equal to the one under the
// same key at the same place in the record before shares its box (and its
// text is not copied again).
func (p *createScanner) box(body *createBody) {
	same := make([]bool, len(p.raw))
	size := 0
	k := 0
	var prev []org.FieldValue
	var prevRaw []rawValue
	for r := range body.records {
		fields := body.records[r].fields
		raws := p.raw[k : k+len(fields)]
		for j := range fields {
			v := raws[j]
			same[k+j] = j < len(prev) && prev[j].Name == fields[j].Name && prevRaw[j].kind == v.kind && prevRaw[j].text == v.text
			if !same[k+j] && v.kind == rawString && !v.own {
				size += len(v.text)
			}
		}
		k += len(fields)
		prev, prevRaw = fields, raws
	}
	var sb strings.Builder
	sb.Grow(size)
	for i, v := range p.raw {
		if !same[i] && v.kind == rawString && !v.own {
			sb.WriteString(v.text)
		}
	}
	arena, at := sb.String(), 0
	k, prev = 0, nil
	for r := range body.records {
		fields := body.records[r].fields
		for j := range fields {
			v := p.raw[k+j]
			if same[k+j] {
				fields[j].Value = prev[j].Value
				continue
			}
			switch v.kind {
			case rawString:
				if !v.own {
					v.text = arena[at : at+len(v.text)]
					at += len(v.text)
				}
				fields[j].Value = v.text
			case rawNumber:
				if x, err := strconv.ParseFloat(v.text, 64); err == nil {
					fields[j].Value = x
				} else {
					fields[j].Value = json.Number(v.text)
				}
			case rawTrue:
				fields[j].Value = true
			case rawFalse:
				fields[j].Value = false
			}
		}
		k += len(fields)
		prev = fields
	}
}
