// Package route owns the emulator's URL routing: path templates compiled
// once into segments ("/sobjects/{object}/{id}"), matched against a
// request's path by hand — no regular expressions — and the ordered route
// tables the surfaces are mounted in (Router, Set).
//
// It keeps the behaviour the emulator had under gorilla/mux 1.8.1 with its
// default settings, which the tests pin: paths are matched decoded
// (URL.Path, so %2F in an id is a slash), case-sensitively and with
// trailing slashes significant; the first route registered that matches
// wins; a mount's prefix is a plain string prefix ("/id" claims "/idx");
// and a path that is not clean is redirected (301) to its cleaned form
// before anything is matched. What was relied on: gorilla/mux 1.8.1's
// Router.ServeHTTP, Router.Match, Route.Match and newRouteRegexp, read to
// learn those rules; no code of it is copied.
package route

import (
	"fmt"
	"net/http"
	"strings"
)

// MaxVars bounds the variables of one template: the emulator's longest,
// /{version}/sobjects/{object}/{field}/{value}, has four.
const MaxVars = 4

// Vars are the path variables of a matched route.
type Vars struct {
	names []string // the pattern's, shared
	vals  [MaxVars]string
}

// Get is the value of the variable name, "" when the route has none.
func (v *Vars) Get(name string) string {
	for i, n := range v.names {
		if n == name {
			return v.vals[i]
		}
	}
	return ""
}

// Map is the variables as a map (for listings and tests).
func (v *Vars) Map() map[string]string {
	m := make(map[string]string, len(v.names))
	for i, n := range v.names {
		m[n] = v.vals[i]
	}
	return m
}

// segment is one piece of a template between slashes: a literal, or a
// variable — any non-empty segment, or one its check accepts.
type segment struct {
	lit   string
	name  string // "" for a literal
	check func(string) bool
}

// Pattern is a compiled path template.
type Pattern struct {
	text   string
	segs   []segment // each preceded by a slash in the template
	names  []string
	prefix bool // matches any path that starts as the template does
}

// constraints are the {name:pattern} forms the emulator's tables use, each
// checked by hand as its regular expression would match a whole segment.
// A pattern outside this list is refused when the table is built.
var constraints = map[string]func(string) bool{
	// An API version: v66.0 (gorilla/mux read it as v[0-9]+\.[0-9]).
	`v[0-9]+\.[0-9]`: func(s string) bool {
		if len(s) < 4 || s[0] != 'v' || s[len(s)-2] != '.' || !isDigit(s[len(s)-1]) {
			return false
		}
		return digits(s[1 : len(s)-2])
	},
	// SOAP's Partner (u) or Enterprise (c) API.
	`u|c`:    func(s string) bool { return s == "u" || s == "c" },
	`[0-9]+`: digits,
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Compile compiles a path template: it starts with a slash; {name} is any
// non-empty segment, {name:pattern} one a known constraint accepts; every
// variable is a whole segment. It panics on a template outside that,
// which is a mistake in a route table, not in a request.
func Compile(tmpl string) *Pattern { return compile(tmpl, false) }

// CompilePrefix compiles a template that matches the paths starting with
// it: its last segment is a literal matched as a string prefix, as
// gorilla/mux's PathPrefix did ("/services/data" takes "/services/dataX").
func CompilePrefix(tmpl string) *Pattern { return compile(tmpl, true) }

func compile(tmpl string, prefix bool) *Pattern {
	p, err := parse(tmpl, prefix)
	if err != nil {
		panic(err)
	}
	return p
}

func parse(tmpl string, prefix bool) (*Pattern, error) {
	if !strings.HasPrefix(tmpl, "/") {
		return nil, fmt.Errorf("route: template %q does not start with a slash", tmpl)
	}
	p := &Pattern{text: tmpl, prefix: prefix}
	for s := range strings.SplitSeq(tmpl[1:], "/") {
		open, close := strings.IndexByte(s, '{'), strings.IndexByte(s, '}')
		if open < 0 && close < 0 {
			p.segs = append(p.segs, segment{lit: s})
			continue
		}
		if open != 0 || close != len(s)-1 || strings.Count(s, "{") != 1 || strings.Count(s, "}") != 1 {
			return nil, fmt.Errorf("route: template %q: segment %q: a variable must be a whole segment", tmpl, s)
		}
		name, pat, constrained := strings.Cut(s[1:len(s)-1], ":")
		if name == "" {
			return nil, fmt.Errorf("route: template %q: segment %q: the variable has no name", tmpl, s)
		}
		seg := segment{name: name}
		if constrained {
			if seg.check = constraints[pat]; seg.check == nil {
				return nil, fmt.Errorf("route: template %q: no hand-written check for the pattern %q", tmpl, pat)
			}
		}
		for _, n := range p.names {
			if n == name {
				return nil, fmt.Errorf("route: template %q: variable %q twice", tmpl, name)
			}
		}
		p.names = append(p.names, name)
		p.segs = append(p.segs, seg)
	}
	if len(p.names) > MaxVars {
		return nil, fmt.Errorf("route: template %q has %d variables; at most %d", tmpl, len(p.names), MaxVars)
	}
	if prefix && p.segs[len(p.segs)-1].name != "" {
		return nil, fmt.Errorf("route: prefix %q ends in a variable", tmpl)
	}
	return p, nil
}

// String is the template.
func (p *Pattern) String() string { return p.text }

// slashes is how many slashes a path this pattern matches has (a whole
// path; a prefix's path has at least as many).
func (p *Pattern) slashes() int { return len(p.segs) }

// Match reports whether path matches, setting v's variables when it does.
func (p *Pattern) Match(path string, v *Vars) bool {
	if len(path) == 0 || path[0] != '/' {
		return false
	}
	rest, more := path[1:], true
	vi := 0
	for i := range p.segs {
		s := &p.segs[i]
		if !more {
			return false // the path ended a segment early
		}
		if p.prefix && i == len(p.segs)-1 {
			if !strings.HasPrefix(rest, s.lit) {
				return false
			}
			v.names = p.names
			return true
		}
		var seg string
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			seg, rest = rest[:j], rest[j+1:]
		} else {
			seg, rest, more = rest, "", false
		}
		switch {
		case s.name == "":
			if seg != s.lit {
				return false
			}
		case seg == "" || (s.check != nil && !s.check(seg)):
			return false
		default:
			v.vals[vi] = seg
			vi++
		}
	}
	if more {
		return false // the path goes on past the template
	}
	v.names = p.names
	return true
}

// methodBit is a method's bit in a route's set; 0 for a method no route
// can name, which therefore never matches (gorilla/mux compared methods
// exactly: "get" is not GET).
func methodBit(m string) methods {
	switch m {
	case http.MethodGet:
		return 1 << 0
	case http.MethodHead:
		return 1 << 1
	case http.MethodPost:
		return 1 << 2
	case http.MethodPut:
		return 1 << 3
	case http.MethodPatch:
		return 1 << 4
	case http.MethodDelete:
		return 1 << 5
	case http.MethodOptions:
		return 1 << 6
	case http.MethodConnect:
		return 1 << 7
	case http.MethodTrace:
		return 1 << 8
	}
	return 0
}

// methods is the set of methods a route takes.
type methods uint16

// anyMethod is the set of a route that takes every method, named or not.
const anyMethod = ^methods(0)

func methodSet(list []string) methods {
	if list == nil {
		return anyMethod
	}
	var set methods
	for _, m := range list {
		b := methodBit(strings.ToUpper(m))
		if b == 0 {
			panic(fmt.Sprintf("route: unknown method %q", m))
		}
		set |= b
	}
	return set
}

func (set methods) has(method string) bool {
	return set == anyMethod || set&methodBit(method) != 0
}
