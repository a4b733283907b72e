package route

import (
	"net/http"
	"slices"
)

// Set is an ordered list of routes — a template, the methods it takes and
// a value (a handler, or what the caller dispatches on) — where the first
// route added that matches a request wins.
//
// Routes are indexed by how many slashes the paths they match have (a
// variable never spans one), so a lookup tries only the few with the
// path's count, in the order they were added.
type Set[T any] struct {
	routes    []*Route[T]
	bySlashes [][]*Route[T]
}

// Route is one route of a Set.
type Route[T any] struct {
	pattern *Pattern
	list    []string
	methods methods
	Value   T
}

// Template is the route's path template.
func (r *Route[T]) Template() string { return r.pattern.text }

// Methods are the methods the route takes, nil for any.
func (r *Route[T]) Methods() []string { return r.list }

// Matches reports whether the route takes method on path.
func (r *Route[T]) Matches(method, path string) bool {
	var v Vars
	return r.methods.has(method) && r.pattern.Match(path, &v)
}

// Add adds a route for tmpl (see Compile) taking methods (nil: any).
func (s *Set[T]) Add(methods []string, tmpl string, v T) *Route[T] {
	r := &Route[T]{pattern: Compile(tmpl), list: slices.Clone(methods), methods: methodSet(methods), Value: v}
	s.routes = append(s.routes, r)
	n := r.pattern.slashes()
	for len(s.bySlashes) <= n {
		s.bySlashes = append(s.bySlashes, nil)
	}
	s.bySlashes[n] = append(s.bySlashes[n], r)
	return r
}

// Routes are the routes in the order they were added.
func (s *Set[T]) Routes() []*Route[T] { return s.routes }

// candidates are the routes that could match path, in order.
func (s *Set[T]) candidates(path string) []*Route[T] {
	n := countSlashes(path)
	if n >= len(s.bySlashes) {
		return nil
	}
	return s.bySlashes[n]
}

func countSlashes(path string) int {
	n := 0
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			n++
		}
	}
	return n
}

// Lookup is the first route taking method on path, its variables in v; nil
// for none.
func (s *Set[T]) Lookup(method, path string, v *Vars) *Route[T] {
	for _, r := range s.candidates(path) {
		if r.methods.has(method) && r.pattern.Match(path, v) {
			return r
		}
	}
	return nil
}

// probed are the methods a 405 lists, in the order it lists them (HEAD goes
// before GET wherever GET is taken).
var probed = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete}

// Allowed lists the methods some route takes on path, as a 405's Allow
// and Salesforce's message list them: HEAD with GET, then POST, PATCH,
// PUT, DELETE; nil when no route has the path.
func (s *Set[T]) Allowed(path string) []string {
	var taken methods
	var v Vars
	for _, r := range s.candidates(path) {
		if r.methods&^taken != 0 && r.pattern.Match(path, &v) {
			taken |= r.methods
		}
	}
	var allowed []string
	for _, m := range probed {
		if taken.has(m) {
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
			allowed = append(allowed, m)
		}
	}
	return allowed
}
