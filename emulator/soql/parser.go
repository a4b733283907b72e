package soql

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse checks a query's syntax within DefaultLimits and returns its AST.
// Names are not resolved until Run. Errors are *Error with code
// MALFORMED_QUERY, or QUERY_TOO_COMPLICATED past Limits.MaxDepth.
func Parse(query string) (*Query, error) {
	return ParseWithLimits(query, DefaultLimits())
}

// Limits bound what the parser takes, so that no query — a script's or an
// attacker's — costs more than a small multiple of its length to reject.
type Limits struct {
	// MaxLength is the longest query, in characters: Salesforce's "Maximum
	// length of SOQL statements: By default, 100,000 characters" (Salesforce
	// Developer Limits and Allocations Quick Reference, "SOQL and SOSL
	// Limits for Search Queries"). A longer one is MALFORMED_QUERY "SOQL
	// statements can not be longer than 100000 characters", the text
	// clients quote (django-salesforce issue #164; the 20,000-character
	// era's, IlluminatedCloud issue #466). 0: no bound.
	MaxLength int
	// MaxDepth bounds how deep conditions nest — parentheses and NOT in
	// WHERE and HAVING — and subqueries (IN (SELECT …), child subqueries).
	// UNKNOWN: Salesforce documents no depth and no answer for one. sfemu
	// answers QUERY_TOO_COMPLICATED ("Query is either selecting too many
	// fields or the filter conditions are too complicated.", the code
	// Salesforce documents for statements too complex to run and the text
	// clients quote, capeterson/Grey-Tab issue #23) at the Row:Column of the
	// token one level too deep. 100 by default: generated filters nest a
	// handful of levels, and parsing 100 levels costs nothing, where the
	// 480,000 of a 960 KB query of parentheses peaked at 350 MB. 0: no bound.
	MaxDepth int
}

// Salesforce's bound on a query's length, and sfemu's on its nesting.
const (
	MaxQueryLength  = 100_000
	DefaultMaxDepth = 100
)

// The texts of the two limits' errors (Limits).
const (
	tooComplexText   = "Query is either selecting too many fields or the filter conditions are too complicated."
	tooLongTextStart = "SOQL statements can not be longer than "
)

// DefaultLimits are Salesforce's length and sfemu's depth.
func DefaultLimits() Limits { return Limits{MaxLength: MaxQueryLength, MaxDepth: DefaultMaxDepth} }

// ParseWithLimits is Parse within other limits.
func ParseWithLimits(query string, l Limits) (*Query, error) {
	q, err := parse(query, l)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func parse(query string, l Limits) (*Query, *Error) {
	// Bytes first: a query no longer in bytes than the limit is no longer
	// in characters either, and counting runes costs a pass.
	if l.MaxLength > 0 && len(query) > l.MaxLength && utf8.RuneCountInString(query) > l.MaxLength {
		return nil, errorBare(CodeMalformedQuery, tooLongTextStart+strconv.Itoa(l.MaxLength)+" characters")
	}
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	p := &parser{src: query, toks: toks, maxDepth: l.MaxDepth}
	q, perr := p.query(false)
	if perr != nil {
		return nil, perr
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

type parser struct {
	src  string
	toks []token
	i    int
	// depth is how deep the parser is in nested conditions and subqueries;
	// maxDepth bounds it (0: no bound).
	depth, maxDepth int
}

// enter goes one level deeper at t, refusing past maxDepth; leave comes
// back up.
func (p *parser) enter(t token) *Error {
	p.depth++
	if p.maxDepth > 0 && p.depth > p.maxDepth {
		return errorAt(CodeQueryTooComplicated, p.src, t.pos, true, tooComplexText)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// isKw reports whether t is the keyword kw (case-insensitive).
func isKw(t token, kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func isPunct(t token, s string) bool { return t.kind == tokPunct && t.text == s }

func (p *parser) acceptKw(kw string) (token, bool) {
	if t := p.peek(); isKw(t, kw) {
		p.i++
		return t, true
	}
	return token{}, false
}

func (p *parser) expectKw(kw string) (token, *Error) {
	if t, ok := p.acceptKw(kw); ok {
		return t, nil
	}
	return token{}, p.unexpected(p.peek())
}

func (p *parser) acceptPunct(s string) bool {
	if isPunct(p.peek(), s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectPunct(s string) *Error {
	if p.acceptPunct(s) {
		return nil
	}
	return p.unexpected(p.peek())
}

// unexpected is Salesforce's syntax error: "unexpected token: 'X'", with the
// parser's 0-based column.
func (p *parser) unexpected(t token) *Error {
	return errorAt(CodeMalformedQuery, p.src, t.pos, true, "unexpected token: '"+t.text+"'")
}

func (p *parser) errText(pos int, text string) *Error {
	return errorAt(CodeMalformedQuery, p.src, pos, true, text)
}

// clauseKeywords end a SELECT list item or FROM; they are never aliases.
var clauseKeywords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "WITH": true, "GROUP": true, "HAVING": true, "ORDER": true,
	"LIMIT": true, "OFFSET": true, "FOR": true, "USING": true, "AND": true, "OR": true, "NOT": true,
	"ASC": true, "DESC": true, "NULLS": true, "IN": true, "LIKE": true, "INCLUDES": true, "EXCLUDES": true,
	"UPDATE": true, "ALL": true, "TYPEOF": true, "END": true,
}

func isClauseKeyword(t token) bool {
	return t.kind == tokIdent && clauseKeywords[strings.ToUpper(t.text)]
}

var aggregateFuncs = map[string]bool{"COUNT": true, "COUNT_DISTINCT": true, "SUM": true, "AVG": true, "MIN": true, "MAX": true}

func (p *parser) query(sub bool) (*Query, *Error) {
	if sub {
		if err := p.enter(p.peek()); err != nil {
			return nil, err
		}
		defer p.leave()
	}
	q := &Query{Text: p.src, subquery: sub}
	sel, err := p.expectKw("SELECT")
	if err != nil {
		return nil, err
	}
	q.SelectPos = sel.pos
	for {
		item, err := p.selectItem(sub)
		if err != nil {
			return nil, err
		}
		q.Select = append(q.Select, item)
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectKw("FROM"); err != nil {
		return nil, err
	}
	from := p.next()
	if from.kind != tokIdent || isClauseKeyword(from) {
		return nil, p.unexpected(from)
	}
	q.From = Name{from.text, from.pos}
	if t := p.peek(); t.kind == tokIdent && !isClauseKeyword(t) {
		p.i++
		q.Alias = &Name{t.text, t.pos}
	}
	if _, ok := p.acceptKw("USING"); ok {
		if _, err := p.expectKw("SCOPE"); err != nil {
			return nil, err
		}
		t := p.next()
		if t.kind != tokIdent {
			return nil, p.unexpected(t)
		}
		q.Scope = &Name{t.text, t.pos}
	}
	if _, ok := p.acceptKw("WHERE"); ok {
		if q.Where, err = p.expr(false); err != nil {
			return nil, err
		}
	}
	for {
		if _, ok := p.acceptKw("WITH"); !ok {
			break
		}
		t := p.next()
		switch {
		case isKw(t, "SECURITY_ENFORCED"), isKw(t, "USER_MODE"), isKw(t, "SYSTEM_MODE"):
			q.With = append(q.With, Name{strings.ToUpper(t.text), t.pos})
		default:
			return nil, p.unexpected(t)
		}
	}
	if _, ok := p.acceptKw("GROUP"); ok {
		if _, err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		for {
			t := p.peek()
			if isKw(t, "ROLLUP") || isKw(t, "CUBE") {
				return nil, p.unexpected(t)
			}
			path, err := p.path()
			if err != nil {
				return nil, err
			}
			q.GroupBy = append(q.GroupBy, Operand{Path: &path, Text: path.String()})
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if _, ok := p.acceptKw("HAVING"); ok {
		if q.Having, err = p.expr(true); err != nil {
			return nil, err
		}
	}
	if _, ok := p.acceptKw("ORDER"); ok {
		if _, err := p.expectKw("BY"); err != nil {
			return nil, err
		}
		for {
			key, err := p.operand(true)
			if err != nil {
				return nil, err
			}
			item := OrderItem{Key: key, NullsFirst: true}
			if _, ok := p.acceptKw("DESC"); ok {
				item.Desc, item.NullsFirst = true, false
			} else {
				p.acceptKw("ASC")
			}
			if _, ok := p.acceptKw("NULLS"); ok {
				t := p.next()
				switch {
				case isKw(t, "FIRST"):
					item.NullsFirst = true
				case isKw(t, "LAST"):
					item.NullsFirst = false
				default:
					return nil, p.unexpected(t)
				}
			}
			q.OrderBy = append(q.OrderBy, item)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if _, ok := p.acceptKw("LIMIT"); ok {
		if q.Limit, err = p.intLit(); err != nil {
			return nil, err
		}
	}
	if _, ok := p.acceptKw("OFFSET"); ok {
		if q.Offset, err = p.intLit(); err != nil {
			return nil, err
		}
	}
	if !sub {
		if _, ok := p.acceptKw("FOR"); ok {
			for {
				t := p.next()
				switch {
				case isKw(t, "VIEW"), isKw(t, "REFERENCE"), isKw(t, "UPDATE"):
					q.For = append(q.For, Name{strings.ToUpper(t.text), t.pos})
				default:
					return nil, p.unexpected(t)
				}
				if !p.acceptPunct(",") {
					break
				}
			}
		}
	}
	return q, nil
}

func (p *parser) intLit() (*IntLit, *Error) {
	t := p.next()
	if t.kind != tokNumber || strings.Contains(t.text, ".") {
		return nil, p.unexpected(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n > 1<<31-1 {
		return nil, p.unexpected(t)
	}
	return &IntLit{N: n, Pos: t.pos}, nil
}

func (p *parser) selectItem(sub bool) (SelectItem, *Error) {
	t := p.peek()
	switch {
	case isPunct(t, "("):
		if sub {
			return SelectItem{}, p.unexpected(t)
		}
		p.i++
		q, err := p.query(true)
		if err != nil {
			return SelectItem{}, err
		}
		if err := p.expectPunct(")"); err != nil {
			return SelectItem{}, err
		}
		return SelectItem{Kind: ItemSubquery, Pos: t.pos, Sub: q}, nil
	case isKw(t, "FIELDS") && isPunct(p.peekAt(1), "("):
		p.i += 2
		k := p.next()
		if !(isKw(k, "ALL") || isKw(k, "STANDARD") || isKw(k, "CUSTOM")) {
			return SelectItem{}, p.unexpected(k)
		}
		if err := p.expectPunct(")"); err != nil {
			return SelectItem{}, err
		}
		return SelectItem{Kind: ItemFields, Pos: t.pos, Fields: Name{strings.ToUpper(k.text), k.pos}}, nil
	case t.kind != tokIdent || isClauseKeyword(t):
		return SelectItem{}, p.unexpected(t)
	}
	op, err := p.operand(true)
	if err != nil {
		return SelectItem{}, err
	}
	item := SelectItem{Kind: ItemField, Pos: t.pos, Field: op}
	if op.Func != "" {
		item.Kind = ItemAggregate
	}
	if a := p.peek(); a.kind == tokIdent && !isClauseKeyword(a) {
		p.i++
		item.Alias = &Name{a.text, a.pos}
	}
	return item, nil
}

// operand is a field path or, where allowed, an aggregate function call.
func (p *parser) operand(allowAggregate bool) (Operand, *Error) {
	t := p.peek()
	if t.kind == tokIdent && isPunct(p.peekAt(1), "(") {
		name := strings.ToUpper(t.text)
		if !allowAggregate || !aggregateFuncs[name] {
			return Operand{}, p.unexpected(p.peekAt(1))
		}
		p.i += 2
		op := Operand{Func: name, FuncPos: t.pos}
		if isPunct(p.peek(), ")") {
			if name != "COUNT" {
				return Operand{}, p.unexpected(p.peek())
			}
		} else {
			path, err := p.path()
			if err != nil {
				return Operand{}, err
			}
			op.Path = &path
		}
		end := p.peek()
		if err := p.expectPunct(")"); err != nil {
			return Operand{}, err
		}
		op.Text = p.src[t.pos : end.pos+1]
		return op, nil
	}
	path, err := p.path()
	if err != nil {
		return Operand{}, err
	}
	return Operand{Path: &path, Text: path.String()}, nil
}

func (p *parser) path() (Path, *Error) {
	t := p.next()
	if t.kind != tokIdent || isClauseKeyword(t) {
		return Path{}, p.unexpected(t)
	}
	path := Path{Parts: []Name{{t.text, t.pos}}}
	for isPunct(p.peek(), ".") {
		p.i++
		n := p.next()
		if n.kind != tokIdent {
			return Path{}, p.unexpected(n)
		}
		path.Parts = append(path.Parts, Name{n.text, n.pos})
	}
	return path, nil
}

// expr parses conditions joined by AND or by OR. Salesforce refuses to mix
// the two without parentheses and names the operator that breaks the run:
// "unexpected token: 'OR'" after ANDs, "unexpected token: 'AND'" after ORs
// (Summer '24 release notes, "Changed Error Messages").
func (p *parser) expr(having bool) (Expr, *Error) {
	first, err := p.term(having)
	if err != nil {
		return nil, err
	}
	var l *Logical
	for {
		t := p.peek()
		if !isKw(t, "AND") && !isKw(t, "OR") {
			break
		}
		op := strings.ToUpper(t.text)
		if l == nil {
			l = &Logical{Op: op, Terms: []Expr{first}}
		} else if l.Op != op {
			return nil, p.unexpected(t)
		}
		p.i++
		next, err := p.term(having)
		if err != nil {
			return nil, err
		}
		l.Terms = append(l.Terms, next)
	}
	if l == nil {
		return first, nil
	}
	return l, nil
}

func (p *parser) term(having bool) (Expr, *Error) {
	t := p.peek()
	if isKw(t, "NOT") || isPunct(t, "(") {
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer p.leave()
	}
	if isKw(t, "NOT") {
		p.i++
		x, err := p.term(having)
		if err != nil {
			return nil, err
		}
		return &Not{Pos: t.pos, X: x}, nil
	}
	if isPunct(t, "(") {
		p.i++
		x, err := p.expr(having)
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return x, nil
	}
	return p.comparison(having)
}

func (p *parser) comparison(having bool) (Expr, *Error) {
	left, err := p.operand(having)
	if err != nil {
		return nil, err
	}
	t := p.next()
	c := &Comparison{Left: left, OpPos: t.pos}
	switch {
	case t.kind == tokPunct && (t.text == "=" || t.text == "!=" || t.text == "<>" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">="):
		c.Op = t.text
		if c.Op == "<>" {
			c.Op = "!="
		}
	case isKw(t, "LIKE"):
		c.Op = "LIKE"
	case isKw(t, "IN"):
		c.Op = "IN"
	case isKw(t, "NOT"):
		if _, err := p.expectKw("IN"); err != nil {
			return nil, err
		}
		c.Op = "NOT IN"
	case isKw(t, "INCLUDES"), isKw(t, "EXCLUDES"):
		c.Op = strings.ToUpper(t.text)
	default:
		return nil, p.unexpected(t)
	}
	if c.Op == "IN" || c.Op == "NOT IN" || c.Op == "INCLUDES" || c.Op == "EXCLUDES" {
		open := p.peek()
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		if isKw(p.peek(), "SELECT") && (c.Op == "IN" || c.Op == "NOT IN") {
			sub, err := p.query(true)
			if err != nil {
				return nil, err
			}
			c.Sub = sub
			if err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return c, nil
		}
		if isPunct(p.peek(), ")") {
			// Summer '24: "unexpected token: 'ParentId IN ()'".
			return nil, p.errText(open.pos, "unexpected token: '"+left.Text+" "+c.Op+" ()'")
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			c.Values = append(c.Values, v)
			if !p.acceptPunct(",") {
				break
			}
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	c.Values = []Value{v}
	return c, nil
}

func (p *parser) value() (Value, *Error) {
	t := p.next()
	v := Value{Pos: t.pos, Text: t.text}
	switch t.kind {
	case tokString:
		v.Kind, v.Str = ValString, t.val
		return v, nil
	case tokNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return v, p.unexpected(t)
		}
		v.Kind, v.Num = ValNumber, f
		return v, nil
	case tokPunct:
		if (t.text == "-" || t.text == "+") && p.peek().kind == tokNumber && p.peek().pos == t.pos+1 {
			n := p.next()
			f, _ := strconv.ParseFloat(n.text, 64)
			if t.text == "-" {
				f = -f
			}
			v.Kind, v.Num, v.Text = ValNumber, f, t.text+n.text
			return v, nil
		}
		return v, p.unexpected(t)
	case tokDate:
		d, err := time.Parse(time.DateOnly, t.text)
		if err != nil {
			return v, p.errText(t.pos, "Invalid date: "+t.text)
		}
		v.Kind, v.Time = ValDate, d
		return v, nil
	case tokDateTime:
		dt, ok := parseDateTimeLiteral(t.text)
		if !ok {
			return v, p.errText(t.pos, "Invalid datetime: "+t.text)
		}
		v.Kind, v.Time = ValDateTime, dt
		return v, nil
	case tokIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "TRUE", "FALSE":
			v.Kind, v.Bool = ValBool, up == "TRUE"
			return v, nil
		case "NULL":
			v.Kind = ValNull
			return v, nil
		}
		takesN, known := dateLiterals[up]
		if !known {
			return v, p.unexpected(t)
		}
		v.Kind, v.Str = ValDateLiteral, up
		if !takesN {
			return v, nil
		}
		if err := p.expectPunct(":"); err != nil {
			return v, err
		}
		n := p.next()
		if n.kind != tokNumber || strings.Contains(n.text, ".") {
			return v, p.unexpected(n)
		}
		k, err := strconv.Atoi(n.text)
		if err != nil {
			return v, p.unexpected(n)
		}
		v.N, v.Text = k, p.src[t.pos:n.pos+len(n.text)]
		return v, nil
	}
	return v, p.unexpected(t)
}

// parseDateTimeLiteral accepts 2026-02-23T00:00:00Z, …T00:00:00.000Z,
// …T00:00:00+09:00 and …T00:00:00+0900 (T and Z in either case).
func parseDateTimeLiteral(s string) (time.Time, bool) {
	s = strings.Replace(s, "t", "T", 1)
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
