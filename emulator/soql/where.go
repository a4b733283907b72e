package soql

import (
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// pred decides whether a record matches a WHERE condition.
type pred func(r *org.Record) bool

// valueTest decides a condition on one field value.
type valueTest func(v any) bool

func (b *binder) compileWhere(p *queryPlan, e Expr) (pred, *Error) {
	switch x := e.(type) {
	case *Logical:
		preds := make([]pred, len(x.Terms))
		for i, t := range x.Terms {
			var err *Error
			if preds[i], err = b.compileWhere(p, t); err != nil {
				return nil, err
			}
		}
		if x.Op == "AND" {
			if len(preds) == 2 {
				a, c := preds[0], preds[1]
				return func(r *org.Record) bool { return a(r) && c(r) }, nil
			}
			return func(r *org.Record) bool {
				for _, f := range preds {
					if !f(r) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(r *org.Record) bool {
			for _, f := range preds {
				if f(r) {
					return true
				}
			}
			return false
		}, nil
	case *Not:
		inner, err := b.compileWhere(p, x.X)
		if err != nil {
			return nil, err
		}
		return func(r *org.Record) bool { return !inner(r) }, nil
	case *Comparison:
		bp, err := b.bindPath(p.obj, p.q.Alias, *x.Left.Path)
		if err == nil {
			err = b.compoundOnly(bp, "filtered", x.Left.Pos())
		}
		if err != nil {
			return nil, err
		}
		var test valueTest
		if x.Sub != nil {
			test, err = b.semiJoin(bp, x)
		} else {
			test, err = b.compileTest(bp, x)
		}
		if err != nil {
			return nil, err
		}
		g := newGetter(bp, b.env.Data)
		if idx, ok := g.direct(); ok {
			if x.Op == "LIKE" && x.Sub == nil && x.Values[0].Kind == ValString {
				// The full-scan case: one call per record, no interface
				// layer between the field and the compiled pattern.
				pat := compileLike(likeText(x.Values[0]))
				return func(r *org.Record) bool {
					if idx < len(r.Values) {
						s, ok := r.Values[idx].(string)
						return ok && pat.match(s)
					}
					return false
				}, nil
			}
			return func(r *org.Record) bool {
				if idx < len(r.Values) {
					return test(r.Values[idx])
				}
				return test(nil)
			}, nil
		}
		return func(r *org.Record) bool { return test(g.get(r)) }, nil
	}
	return nil, errorBare(CodeMalformedQuery, "unsupported condition")
}

// operandVal is a literal converted to a field's domain.
type operandVal struct {
	null bool
	s    string // text; ids as their 15-character form
	f    float64
	b    bool
	t    time.Time
	rng  *dateRange // relative date literal, in the field's domain
}

type domain uint8

const (
	domText domain = iota
	domID
	domNumber
	domBool
	domDate
	domDateTime
)

func domainOf(t org.FieldType) domain {
	switch {
	case t == org.TypeID || t == org.TypeReference:
		return domID
	case t.IsNumber():
		return domNumber
	case t == org.TypeBoolean:
		return domBool
	case t == org.TypeDate:
		return domDate
	case t == org.TypeDateTime:
		return domDateTime
	}
	return domText
}

func (b *binder) typeMismatch(bp *boundPath, v Value, want string) *Error {
	quoting := "should not be enclosed in quotes"
	if want == "string" {
		quoting = "should be enclosed in quotes"
	}
	return b.errAt(CodeMalformedQuery, v.Pos, "value of filter criterion for field '"+bp.name+"' must be of type "+want+" and "+quoting)
}

func (b *binder) convert(bp *boundPath, dom domain, v Value) (operandVal, *Error) {
	if v.Kind == ValNull {
		return operandVal{null: true}, nil
	}
	switch dom {
	case domText:
		if v.Kind != ValString {
			return operandVal{}, b.typeMismatch(bp, v, "string")
		}
		return operandVal{s: v.Str}, nil
	case domID:
		if v.Kind != ValString {
			return operandVal{}, b.typeMismatch(bp, v, "string")
		}
		id, err := org.ParseID(v.Str)
		if err != nil {
			return operandVal{}, b.errAt(CodeMalformedQuery, v.Pos, "invalid ID field: "+v.Str)
		}
		return operandVal{s: id.Short()}, nil
	case domNumber:
		if v.Kind != ValNumber {
			return operandVal{}, b.typeMismatch(bp, v, "double")
		}
		return operandVal{f: v.Num}, nil
	case domBool:
		if v.Kind != ValBool {
			return operandVal{}, b.typeMismatch(bp, v, "boolean")
		}
		return operandVal{b: v.Bool}, nil
	case domDate, domDateTime:
		want := "date"
		if dom == domDateTime {
			want = "dateTime"
		}
		switch {
		case v.Kind == ValDateLiteral:
			r := relativeRange(v.Str, v.N, b.env.Now, b.env.Location)
			if dom == domDate {
				r = r.asDates()
			}
			return operandVal{rng: &r}, nil
		case v.Kind == ValDate && dom == domDate, v.Kind == ValDateTime && dom == domDateTime:
			return operandVal{t: v.Time}, nil
		}
		return operandVal{}, b.typeMismatch(bp, v, want)
	}
	return operandVal{}, b.typeMismatch(bp, v, "string")
}

func (b *binder) compileTest(bp *boundPath, c *Comparison) (valueTest, *Error) {
	typ := bp.typ()
	dom := domainOf(typ)
	switch c.Op {
	case "LIKE":
		v := c.Values[0]
		if dom != domText && dom != domID {
			return nil, b.errAt(CodeMalformedQuery, c.OpPos, "invalid operator on "+string(typ)+" field: "+bp.name)
		}
		if v.Kind == ValNull {
			return func(any) bool { return false }, nil
		}
		if v.Kind != ValString {
			return nil, b.typeMismatch(bp, v, "string")
		}
		pat := compileLike(likeText(v))
		return func(x any) bool {
			s, ok := x.(string)
			return ok && pat.match(s)
		}, nil
	case "INCLUDES", "EXCLUDES":
		if typ != org.TypeMultiPicklist {
			return nil, b.errAt(CodeMalformedQuery, c.OpPos, "invalid operator on "+string(typ)+" field: "+bp.name)
		}
		var groups [][]string
		for _, v := range c.Values {
			if v.Kind != ValString {
				return nil, b.typeMismatch(bp, v, "string")
			}
			var g []string
			for _, part := range strings.Split(v.Str, ";") {
				if part = strings.TrimSpace(part); part != "" {
					g = append(g, part)
				}
			}
			groups = append(groups, g)
		}
		includes := func(x any) bool {
			s, _ := x.(string)
			if s == "" {
				return false
			}
			have := strings.Split(s, ";")
			for _, g := range groups {
				all := true
				for _, want := range g {
					found := false
					for _, h := range have {
						if strings.EqualFold(strings.TrimSpace(h), want) {
							found = true
							break
						}
					}
					if !found {
						all = false
						break
					}
				}
				if all {
					return true
				}
			}
			return false
		}
		if c.Op == "EXCLUDES" {
			return func(x any) bool { return !includes(x) }, nil
		}
		return includes, nil
	case "IN", "NOT IN":
		tests := make([]valueTest, len(c.Values))
		var ids map[string]bool
		for i, v := range c.Values {
			ov, err := b.convert(bp, dom, v)
			if err != nil {
				return nil, err
			}
			if dom == domID && !ov.null {
				if ids == nil {
					ids = map[string]bool{}
				}
				ids[ov.s] = true
				continue
			}
			tests[i] = scalarTest(dom, "=", ov)
		}
		in := func(x any) bool {
			if ids != nil {
				if s, ok := x.(string); ok && len(s) >= 15 && ids[s[:15]] {
					return true
				}
			}
			for _, t := range tests {
				if t != nil && t(x) {
					return true
				}
			}
			return false
		}
		if c.Op == "NOT IN" {
			return func(x any) bool { return !in(x) }, nil
		}
		return in, nil
	}
	ov, err := b.convert(bp, dom, c.Values[0])
	if err != nil {
		return nil, err
	}
	if ov.null && c.Op != "=" && c.Op != "!=" {
		return nil, b.errAt(CodeMalformedQuery, c.Values[0].Pos, "unexpected token: 'null'")
	}
	return scalarTest(dom, c.Op, ov), nil
}

// likeText is the raw text between the quotes of a LIKE literal.
func likeText(v Value) string { return v.Text[1 : len(v.Text)-1] }

// scalarTest compares a field value with one literal. Null field values
// satisfy only "= null" and "!= x" (SOQL's != includes nulls).
func scalarTest(dom domain, op string, ov operandVal) valueTest {
	if ov.null {
		if op == "=" {
			return func(x any) bool { return x == nil }
		}
		return func(x any) bool { return x != nil }
	}
	if op == "!=" {
		eq := scalarTest(dom, "=", ov)
		return func(x any) bool { return !eq(x) }
	}
	if ov.rng != nil {
		// One closure per operator: the hot loop does not switch on op.
		from, to := ov.rng.From, ov.rng.To
		switch op {
		case "=":
			return func(x any) bool {
				t, ok := x.(time.Time)
				return ok && !t.Before(from) && t.Before(to)
			}
		case "<":
			return func(x any) bool {
				t, ok := x.(time.Time)
				return ok && t.Before(from)
			}
		case "<=":
			return func(x any) bool {
				t, ok := x.(time.Time)
				return ok && t.Before(to)
			}
		case ">":
			return func(x any) bool {
				t, ok := x.(time.Time)
				return ok && !t.Before(to)
			}
		case ">=":
			return func(x any) bool {
				t, ok := x.(time.Time)
				return ok && !t.Before(from)
			}
		}
		return func(any) bool { return false }
	}
	want := func(c int) bool {
		switch op {
		case "=":
			return c == 0
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		case ">=":
			return c >= 0
		}
		return false
	}
	switch dom {
	case domText:
		lit := ov.s
		if op == "=" {
			return func(x any) bool {
				s, ok := x.(string)
				return ok && strings.EqualFold(s, lit)
			}
		}
		return func(x any) bool {
			s, ok := x.(string)
			return ok && want(compareFold(s, lit))
		}
	case domID:
		lit := ov.s
		return func(x any) bool {
			s, ok := x.(string)
			if !ok || len(s) < 15 {
				return false
			}
			return want(strings.Compare(s[:15], lit))
		}
	case domNumber:
		lit := ov.f
		return func(x any) bool {
			f, ok := x.(float64)
			return ok && want(cmpFloat(f, lit))
		}
	case domBool:
		lit := ov.b
		return func(x any) bool {
			v, ok := x.(bool)
			return ok && want(cmpBool(v, lit))
		}
	default:
		lit := ov.t
		return func(x any) bool {
			t, ok := x.(time.Time)
			return ok && want(t.Compare(lit))
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// compareValues orders two non-nil field values of the same type.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return compareFold(x, y)
	case float64:
		y, _ := b.(float64)
		return cmpFloat(x, y)
	case bool:
		y, _ := b.(bool)
		return cmpBool(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// semiJoin compiles `Id IN (SELECT AccountId FROM Contact …)`: the subquery
// runs once and the test checks membership by 15-character id.
func (b *binder) semiJoin(bp *boundPath, c *Comparison) (valueTest, *Error) {
	if dom := domainOf(bp.typ()); dom != domID {
		return nil, b.errAt(CodeMalformedQuery, c.Left.Pos(), "Invalid semi join: the left operand of a semi join must be an ID or reference field: "+bp.name)
	}
	sq := c.Sub
	if len(sq.Select) != 1 || sq.Select[0].Kind != ItemField {
		return nil, b.errAt(CodeMalformedQuery, sq.SelectPos, "The inner select field must be an ID or reference field")
	}
	sp, err := b.bindQuery(sq, nil)
	if err != nil {
		return nil, err
	}
	ibp, err := b.bindPath(sp.obj, sq.Alias, *sq.Select[0].Field.Path)
	if err != nil {
		return nil, err
	}
	if domainOf(ibp.typ()) != domID {
		return nil, b.errAt(CodeMalformedQuery, sq.Select[0].Pos, "Invalid semi join: the inner select field must be an ID or reference field: "+ibp.name)
	}
	g := newGetter(ibp, b.env.Data)
	ids := map[string]bool{}
	for _, r := range sp.matching() {
		if s, ok := g.get(r).(string); ok && len(s) >= 15 {
			ids[s[:15]] = true
		}
	}
	in := func(x any) bool {
		s, ok := x.(string)
		return ok && len(s) >= 15 && ids[s[:15]]
	}
	if c.Op == "NOT IN" {
		return func(x any) bool { return !in(x) }, nil
	}
	return in, nil
}
