package soql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/sfemu/sfemu/emulator/org"
)

// Search is a parsed SOSL search: FIND {term} [IN ALL|NAME|EMAIL|PHONE
// FIELDS] [RETURNING Obj[(fields [WHERE …] [ORDER BY …] [LIMIT n])], …]
// [LIMIT n]. Each RETURNING clause runs as a SOQL query; the search terms
// then filter its records on the searched fields. The REST search resource
// and the SOAP API's search call both run it.
type Search struct {
	terms     []string // lower-cased; '*' and '?' are wildcards
	scope     string   // ALL, NAME, EMAIL, PHONE
	returning []soslReturn
	limit     int
}

type soslReturn struct {
	object string
	fields string // as written, may be empty
	where  string // the rest after the fields: WHERE …, ORDER BY …, without LIMIT
	limit  int
}

// soslSyntax are the expressions SOSL's clauses are cut with, compiled at
// the first search rather than at every start.
var soslSyntax = sync.OnceValue(func() (x struct{ head, in, ret, limit, soqlTail *regexp.Regexp }) {
	x.head = regexp.MustCompile(`(?is)^\s*FIND\s*\{((?:[^}\\]|\\.)*)\}\s*(.*)$`)
	x.in = regexp.MustCompile(`(?is)^IN\s+(ALL|NAME|EMAIL|PHONE|SIDEBAR)\s+FIELDS\s*(.*)$`)
	x.ret = regexp.MustCompile(`(?is)^RETURNING\s+(.*)$`)
	x.limit = regexp.MustCompile(`(?is)\s*\bLIMIT\s+(\d+)\s*$`)
	x.soqlTail = regexp.MustCompile(`(?is)\b(WHERE|ORDER\s+BY|LIMIT|OFFSET|USING)\b`)
	return x
})

func malformedSearch(msg string) error { return &Error{Code: "MALFORMED_SEARCH", Message: msg} }

// ParseSOSL parses a SOSL search. Errors are *Error with MALFORMED_SEARCH.
func ParseSOSL(q string) (*Search, error) {
	syntax := soslSyntax()
	soslHead, soslIn, soslRet, soslLimit, soqlTail := syntax.head, syntax.in, syntax.ret, syntax.limit, syntax.soqlTail
	m := soslHead.FindStringSubmatch(q)
	if m == nil {
		return nil, malformedSearch("No search term found. The search term must be enclosed in braces.")
	}
	out := &Search{scope: "ALL"}
	for _, t := range strings.Fields(strings.ReplaceAll(m[1], `\`, "")) {
		if u := strings.ToUpper(t); u == "AND" || u == "OR" || u == "NOT" {
			continue
		}
		out.terms = append(out.terms, strings.ToLower(strings.Trim(t, `"`)))
	}
	if len(out.terms) == 0 || len(strings.Trim(strings.Join(out.terms, ""), "*?")) < 2 {
		return nil, malformedSearch("search term must be longer than one character: " + m[1])
	}
	rest := strings.TrimSpace(m[2])
	if in := soslIn.FindStringSubmatch(rest); in != nil {
		out.scope = strings.ToUpper(in[1])
		rest = strings.TrimSpace(in[2])
	}
	if lm := soslLimit.FindStringSubmatchIndex(rest); lm != nil && !strings.Contains(rest[lm[0]:], ")") {
		out.limit, _ = strconv.Atoi(rest[lm[2]:lm[3]])
		rest = strings.TrimSpace(rest[:lm[0]])
	}
	if rest == "" {
		return out, nil
	}
	ret := soslRet.FindStringSubmatch(rest)
	if ret == nil {
		return nil, malformedSearch(fmt.Sprintf("unexpected token: %s", strings.Fields(rest)[0]))
	}
	for _, part := range splitTopLevel(ret[1]) {
		part = strings.TrimSpace(part)
		r := soslReturn{object: part}
		if i := strings.IndexByte(part, '('); i >= 0 {
			if !strings.HasSuffix(part, ")") {
				return nil, malformedSearch("unexpected token: " + part)
			}
			r.object = strings.TrimSpace(part[:i])
			inner := strings.TrimSpace(part[i+1 : len(part)-1])
			if lm := soslLimit.FindStringSubmatchIndex(inner); lm != nil {
				r.limit, _ = strconv.Atoi(inner[lm[2]:lm[3]])
				inner = strings.TrimSpace(inner[:lm[0]])
			}
			if loc := soqlTail.FindStringIndex(inner); loc != nil {
				r.fields, r.where = strings.TrimSpace(inner[:loc[0]]), strings.TrimSpace(inner[loc[0]:])
			} else {
				r.fields = inner
			}
		}
		if r.object == "" {
			return nil, malformedSearch("unexpected token: ','")
		}
		out.returning = append(out.returning, r)
	}
	return out, nil
}

// splitTopLevel splits on commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start, inQuote := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// Run runs the search over env and returns the matching rows, in the order
// of the RETURNING clauses. With no RETURNING clause every searchable object
// is searched (Id only). An unknown object is INVALID_TYPE.
func (q *Search) Run(env Env) ([]*Row, error) {
	returning := q.returning
	if len(returning) == 0 {
		for _, o := range env.Schema.Objects() {
			if o.Searchable {
				returning = append(returning, soslReturn{object: o.Name})
			}
		}
	}
	var rows []*Row
	for _, r := range returning {
		o := env.Schema.Object(r.object)
		if o == nil {
			return nil, &Error{Code: CodeInvalidType, Message: UnsupportedTypeText(r.object)}
		}
		fields := "Id"
		if r.fields != "" {
			fields = r.fields
		}
		parsed, err := Parse("SELECT " + fields + " FROM " + o.Name + " " + r.where)
		if err != nil {
			return nil, err
		}
		res, err := parsed.Run(env)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, row := range res.Rows {
			rec := env.Data.Get(row.ID)
			if rec == nil || !q.matches(rec, env.User) {
				continue
			}
			rows = append(rows, row)
			n++
			if r.limit > 0 && n >= r.limit {
				break
			}
		}
	}
	if q.limit > 0 && len(rows) > q.limit {
		rows = rows[:q.limit]
	}
	return rows, nil
}

// matches reports whether every term is found in one of the record's
// searched fields that user may read.
func (q *Search) matches(rec *org.Record, user *org.User) bool {
	for _, term := range q.terms {
		found := false
		for _, f := range rec.Object.Fields {
			if !q.searches(rec.Object, f) || !user.CanRead(f) {
				continue
			}
			if s, ok := rec.Get(f).(string); ok && termMatches(term, s, f.Type == org.TypePhone) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (q *Search) searches(o *org.Object, f *org.Field) bool {
	switch q.scope {
	case "EMAIL":
		return f.Type == org.TypeEmail
	case "PHONE":
		return f.Type == org.TypePhone
	case "NAME":
		return f == o.NameField() || f.Name == "FirstName" || f.Name == "LastName" || f.Name == "Company" || f.Name == "Name"
	}
	return f.Type.IsText()
}

// termMatches matches a search term against a field value the way search
// tokenises text: whole words (or the whole value), '*' and '?' wildcards,
// digits only for phone numbers.
func termMatches(term, value string, phone bool) bool {
	value = strings.ToLower(value)
	if phone {
		digits := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsDigit(r) || r == '*' || r == '?' {
					return r
				}
				return -1
			}, s)
		}
		term, value = digits(term), digits(value)
		return term != "" && wildcardMatch(term, value)
	}
	if wildcardMatch(term, value) {
		return true
	}
	for _, word := range strings.FieldsFunc(value, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '@' && r != '.' && r != '_' && r != '-'
	}) {
		if wildcardMatch(term, word) {
			return true
		}
		for _, part := range strings.FieldsFunc(word, func(r rune) bool { return r == '@' || r == '.' || r == '_' || r == '-' }) {
			if wildcardMatch(term, part) {
				return true
			}
		}
	}
	return false
}

// wildcardMatch matches '*' (any run) and '?' (one byte) in linear time,
// backtracking only to the last star.
func wildcardMatch(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
