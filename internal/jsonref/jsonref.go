// Package jsonref resolves references of the form @{name.path} to values
// of earlier JSON answers, as Salesforce's Composite resource does with
// @{referenceId.path} (REST API Developer Guide, "Composite"): the REST
// surface substitutes them in composite subrequests, and the scenario
// harness in the requests of its api steps. A path is a sequence of .key
// and [n] steps into decoded JSON: @{NewAccount.id},
// @{q.records[0].Owner.Name}.
package jsonref

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Lookup walks path (".key" and "[n]" steps, "" for v itself) from v, a
// value decoded from JSON. A missing key, an index out of range, a step
// into a value of the other kind or a malformed step does not resolve.
func Lookup(v any, path string) (any, bool) {
	for path != "" {
		switch path[0] {
		case '.':
			end := strings.IndexAny(path[1:], ".[")
			if end < 0 {
				end = len(path) - 1
			}
			key := path[1 : 1+end]
			path = path[1+end:]
			m, ok := v.(map[string]any)
			if !ok || key == "" {
				return nil, false
			}
			if v, ok = m[key]; !ok {
				return nil, false
			}
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(path[1:end])
			path = path[end+1:]
			a, ok := v.([]any)
			if !ok || err != nil || n < 0 || n >= len(a) {
				return nil, false
			}
			v = a[n]
		default:
			return nil, false
		}
	}
	return v, true
}

// ValidPath reports whether path is made of well-formed steps: .key with
// a key that is not empty, and [n] with n digits.
func ValidPath(path string) bool {
	for path != "" {
		switch path[0] {
		case '.':
			end := strings.IndexAny(path[1:], ".[")
			if end < 0 {
				end = len(path) - 1
			}
			if end == 0 {
				return false
			}
			path = path[1+end:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 2 {
				return false
			}
			for _, c := range path[1:end] {
				if c < '0' || c > '9' {
					return false
				}
			}
			path = path[end+1:]
		default:
			return false
		}
	}
	return true
}

// Text is a scalar as text: a string as it is, a number as JSON writes it,
// a boolean as true or false. Null, objects and arrays have none.
func Text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// Ref is one reference in a text: s[Start:End] is @{Name Path}.
type Ref struct {
	Start, End int
	Name, Path string
}

// Expr is the reference as written between the braces.
func (r Ref) Expr() string { return r.Name + r.Path }

// Find lists the references in s, in order. A "@{" with no "}" after it
// ends the search, and one whose inside does not start with a name that
// valid accepts (followed by nothing, "." or "[") is not a reference and
// is skipped; the path is not checked (ValidPath).
func Find(s string, valid func(name string) bool) []Ref {
	var out []Ref
	at := 0
	for {
		i := strings.Index(s[at:], "@{")
		if i < 0 {
			return out
		}
		i += at
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return out
		}
		expr := s[i+2 : i+2+end]
		name := expr
		if j := strings.IndexAny(expr, ".["); j >= 0 {
			name = expr[:j]
		}
		if !valid(name) {
			at = i + 2
			continue
		}
		out = append(out, Ref{Start: i, End: i + 2 + end + 1, Name: name, Path: expr[len(name):]})
		at = i + 2 + end + 1
	}
}

// Expand replaces every reference Find finds in s with what value answers
// for it; the first error stops it.
func Expand(s string, valid func(name string) bool, value func(Ref) (string, error)) (string, error) {
	refs := Find(s, valid)
	if len(refs) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, r := range refs {
		v, err := value(r)
		if err != nil {
			return "", err
		}
		b.WriteString(s[last:r.Start])
		b.WriteString(v)
		last = r.End
	}
	b.WriteString(s[last:])
	return b.String(), nil
}
