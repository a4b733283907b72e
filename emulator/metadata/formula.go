package metadata

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/sfemu/sfemu/emulator/org"
)

func standardType(object, field string) (string, bool) {
	t, ok := org.StandardFieldType(object, field)
	if !ok {
		return "", false
	}
	return valueKind(string(t)), true
}

// formulaToSOQL translates the part of Salesforce's formula language a
// rule's criteria are usually written in — AND, OR, NOT, &&, ||,
// comparisons of a field with a literal, ISPICKVAL, ISBLANK, ISNULL,
// BEGINS, CONTAINS, INCLUDES, TRUE and FALSE — into a SOQL condition. What
// it cannot translate (ISCHANGED, PRIORVALUE, arithmetic, $User) is an
// error naming it, and the caller loads the rule inactive.
func formulaToSOQL(src string) (string, error) {
	p := &formulaParser{src: src}
	p.next()
	e, err := p.or()
	if err != nil {
		return "", err
	}
	if p.tok.kind != tEOF {
		return "", fmt.Errorf("unexpected %q at column %d", p.tok.text, p.tok.pos+1)
	}
	return e.condition()
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
)

type token struct {
	kind tokKind
	text string
	pos  int
}

type formulaParser struct {
	src string
	i   int
	tok token
}

func (p *formulaParser) next() {
	for p.i < len(p.src) && unicode.IsSpace(rune(p.src[p.i])) {
		p.i++
	}
	start := p.i
	if p.i >= len(p.src) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	c := p.src[p.i]
	switch {
	case c == '"' || c == '\'':
		var b strings.Builder
		p.i++
		for p.i < len(p.src) && p.src[p.i] != c {
			if p.src[p.i] == '\\' && p.i+1 < len(p.src) {
				p.i++
			}
			b.WriteByte(p.src[p.i])
			p.i++
		}
		p.i++
		p.tok = token{kind: tString, text: b.String(), pos: start}
	case c >= '0' && c <= '9':
		for p.i < len(p.src) && (p.src[p.i] >= '0' && p.src[p.i] <= '9' || p.src[p.i] == '.') {
			p.i++
		}
		p.tok = token{kind: tNumber, text: p.src[start:p.i], pos: start}
	case c == '_' || c == '$' || unicode.IsLetter(rune(c)):
		for p.i < len(p.src) && (p.src[p.i] == '_' || p.src[p.i] == '.' || p.src[p.i] == '$' ||
			unicode.IsLetter(rune(p.src[p.i])) || unicode.IsDigit(rune(p.src[p.i]))) {
			p.i++
		}
		p.tok = token{kind: tIdent, text: p.src[start:p.i], pos: start}
	default:
		for _, op := range []string{"&&", "||", "==", "!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",", "!"} {
			if strings.HasPrefix(p.src[p.i:], op) {
				p.i += len(op)
				p.tok = token{kind: tOp, text: op, pos: start}
				return
			}
		}
		p.tok = token{kind: tOp, text: string(c), pos: start}
		p.i++
	}
}

// fexpr is a translated formula piece: a condition, a field, or a literal.
type fexpr struct {
	cond  string // a SOQL condition
	field string
	lit   string // a SOQL literal
	isLit bool
}

func (e fexpr) condition() (string, error) {
	switch {
	case e.field != "":
		return e.field + " = true", nil
	case e.isLit:
		switch strings.ToLower(e.lit) {
		case "true":
			return "", nil // always
		case "false":
			return "Id = null", nil // never: every saved record has an Id
		}
		return "", fmt.Errorf("a literal %s is not a condition", e.lit)
	}
	return e.cond, nil
}

func (p *formulaParser) expect(op string) error {
	if p.tok.kind != tOp || p.tok.text != op {
		return fmt.Errorf("want %q at column %d", op, p.tok.pos+1)
	}
	p.next()
	return nil
}

func (p *formulaParser) or() (fexpr, error) {
	return p.binary("||", " OR ", p.and)
}

func (p *formulaParser) and() (fexpr, error) {
	return p.binary("&&", " AND ", p.compare)
}

func (p *formulaParser) binary(op, join string, sub func() (fexpr, error)) (fexpr, error) {
	left, err := sub()
	if err != nil {
		return left, err
	}
	for p.tok.kind == tOp && p.tok.text == op {
		p.next()
		right, err := sub()
		if err != nil {
			return right, err
		}
		l, err := left.condition()
		if err != nil {
			return left, err
		}
		r, err := right.condition()
		if err != nil {
			return right, err
		}
		left = fexpr{cond: "(" + always(l) + join + always(r) + ")"}
	}
	return left, nil
}

// always is a condition for SOQL: "" (always true) as Id != null.
func always(c string) string {
	if c == "" {
		return "Id != null"
	}
	return c
}

var comparisons = map[string]string{"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}

func (p *formulaParser) compare() (fexpr, error) {
	left, err := p.primary()
	if err != nil {
		return left, err
	}
	sym, ok := comparisons[p.tok.text]
	if p.tok.kind != tOp || !ok {
		return left, nil
	}
	p.next()
	right, err := p.primary()
	if err != nil {
		return right, err
	}
	if left.isLit && right.field != "" {
		left, right = right, left
		if flipped, ok := map[string]string{"<": ">", ">": "<", "<=": ">=", ">=": "<="}[sym]; ok {
			sym = flipped // 5 < Amount is Amount > 5
		}
	}
	if left.field == "" || !right.isLit {
		return fexpr{}, fmt.Errorf("compares %s with %s; only a field with a literal translates to SOQL", describe(left), describe(right))
	}
	return fexpr{cond: left.field + " " + sym + " " + right.lit}, nil
}

func describe(e fexpr) string {
	switch {
	case e.field != "":
		return "field " + e.field
	case e.isLit:
		return "literal " + e.lit
	}
	return "a condition"
}

func (p *formulaParser) primary() (fexpr, error) {
	t := p.tok
	switch t.kind {
	case tString:
		p.next()
		return fexpr{lit: quote(t.text), isLit: true}, nil
	case tNumber:
		p.next()
		return fexpr{lit: t.text, isLit: true}, nil
	case tOp:
		switch t.text {
		case "(":
			p.next()
			e, err := p.or()
			if err != nil {
				return e, err
			}
			return e, p.expect(")")
		case "!":
			p.next()
			e, err := p.primary()
			if err != nil {
				return e, err
			}
			return negate(e)
		}
		return fexpr{}, fmt.Errorf("unexpected %q at column %d", t.text, t.pos+1)
	case tIdent:
		p.next()
		up := strings.ToUpper(t.text)
		if p.tok.kind == tOp && p.tok.text == "(" {
			p.next()
			var args []fexpr
			for !(p.tok.kind == tOp && p.tok.text == ")") {
				a, err := p.or()
				if err != nil {
					return a, err
				}
				args = append(args, a)
				if p.tok.kind == tOp && p.tok.text == "," {
					p.next()
					continue
				}
				if p.tok.kind != tOp || p.tok.text != ")" {
					return fexpr{}, fmt.Errorf("want \",\" or \")\" at column %d", p.tok.pos+1)
				}
			}
			p.next()
			return call(up, args)
		}
		switch up {
		case "TRUE", "FALSE":
			return fexpr{lit: strings.ToLower(up), isLit: true}, nil
		case "NULL":
			return fexpr{lit: "null", isLit: true}, nil
		}
		if strings.HasPrefix(t.text, "$") {
			return fexpr{}, fmt.Errorf("global variable %s is not translated", t.text)
		}
		return fexpr{field: t.text}, nil
	}
	return fexpr{}, fmt.Errorf("the formula ends too early")
}

func negate(e fexpr) (fexpr, error) {
	c, err := e.condition()
	if err != nil {
		return e, err
	}
	return fexpr{cond: "(NOT " + always(c) + ")"}, nil
}

// call translates a formula function.
func call(name string, args []fexpr) (fexpr, error) {
	conds := func() ([]string, error) {
		var out []string
		for _, a := range args {
			c, err := a.condition()
			if err != nil {
				return nil, err
			}
			out = append(out, always(c))
		}
		return out, nil
	}
	fieldAndText := func() (string, string, error) {
		if len(args) != 2 || args[0].field == "" || !args[1].isLit {
			return "", "", fmt.Errorf("%s wants a field and a text literal", name)
		}
		return args[0].field, args[1].lit, nil
	}
	switch name {
	case "AND", "OR":
		cs, err := conds()
		if err != nil || len(cs) == 0 {
			return fexpr{}, fmt.Errorf("%s needs conditions", name)
		}
		return fexpr{cond: "(" + strings.Join(cs, " "+name+" ") + ")"}, nil
	case "NOT":
		if len(args) != 1 {
			return fexpr{}, fmt.Errorf("NOT takes one condition")
		}
		return negate(args[0])
	case "ISPICKVAL":
		f, v, err := fieldAndText()
		return fexpr{cond: f + " = " + v}, err
	case "ISBLANK", "ISNULL":
		if len(args) != 1 || args[0].field == "" {
			return fexpr{}, fmt.Errorf("%s wants a field", name)
		}
		return fexpr{cond: args[0].field + " = null"}, nil
	case "BEGINS", "CONTAINS":
		f, v, err := fieldAndText()
		if err != nil {
			return fexpr{}, err
		}
		inner := strings.Trim(v, "'")
		pat := inner + "%"
		if name == "CONTAINS" {
			pat = "%" + inner + "%"
		}
		return fexpr{cond: f + " LIKE '" + pat + "'"}, nil
	case "INCLUDES":
		f, v, err := fieldAndText()
		return fexpr{cond: f + " INCLUDES (" + v + ")"}, err
	}
	return fexpr{}, fmt.Errorf("function %s is not translated to SOQL", name)
}
