package route

import (
	"net/http"
	"path"
	"strings"
)

// HandlerFunc serves a matched route, its path variables in v.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, v Vars)

// Std adapts a plain handler, which needs no variables.
func Std(h http.Handler) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ Vars) { h.ServeHTTP(w, r) }
}

// Router is the emulator's top-level table: mounts, each claiming every
// path under its prefix, and single routes, tried in the order they were
// added.
type Router struct {
	entries []entry
	// NotFound answers a path nothing claims (default: net/http's 404).
	NotFound HandlerFunc
}

type entry struct {
	// A mount: every path under prefix is its.
	prefix *Pattern
	mount  *Mount
	// A single route, which also needs when (if set) to hold.
	route   *Pattern
	methods methods
	when    func(*http.Request) bool
	h       HandlerFunc
}

// Mount is the routes under one prefix, and the answer for a path under it
// that none of them takes (as a gorilla/mux subrouter with its NotFound and
// MethodNotAllowed handlers set).
type Mount struct {
	prefix string
	Set[HandlerFunc]
	// Unmatched answers a path under the prefix no route takes with the
	// request's method, with the prefix's variables (default: 404).
	Unmatched HandlerFunc
}

// Mount adds the mount for prefix, a template whose last segment is a
// literal matched as a string prefix (see CompilePrefix).
func (rt *Router) Mount(prefix string) *Mount {
	m := &Mount{prefix: prefix}
	rt.entries = append(rt.entries, entry{prefix: CompilePrefix(prefix), mount: m})
	return m
}

// HandlePrefix serves every path under prefix, any method, with h.
func (rt *Router) HandlePrefix(prefix string, h HandlerFunc) {
	rt.Mount(prefix).Unmatched = h
}

// Handle adds a single route: tmpl, taking methods (nil: any), for
// requests when accepts (nil: all).
func (rt *Router) Handle(methods []string, tmpl string, when func(*http.Request) bool, h HandlerFunc) {
	rt.entries = append(rt.entries, entry{route: Compile(tmpl), methods: methodSet(methods), when: when, h: h})
}

// Handle adds a route under the mount: path is relative to its prefix
// ("" is the prefix itself).
func (m *Mount) Handle(methods []string, path string, h HandlerFunc) *Route[HandlerFunc] {
	return m.Add(methods, strings.TrimRight(m.prefix, "/")+path, h)
}

// Mounts are the router's mounts in the order they were added.
func (rt *Router) Mounts() []*Mount {
	var ms []*Mount
	for _, e := range rt.entries {
		if e.mount != nil {
			ms = append(ms, e.mount)
		}
	}
	return ms
}

// Prefix is the mount's prefix template.
func (m *Mount) Prefix() string { return m.prefix }

// ServeHTTP redirects a path that is not clean to its clean form, then
// serves the first entry that claims the request. A path only single
// routes have, asked with a method none of them takes, is a bare 405 (as
// gorilla/mux answered one); any other path nothing claims, NotFound.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if !isClean(p) {
		if c := cleanPath(p); c != p {
			// The query stays; gorilla/mux redirected the same way.
			u := *r.URL
			u.Path = c
			w.Header().Set("Location", u.String())
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
	}
	mismatch := false
	for i := range rt.entries {
		e := &rt.entries[i]
		var v Vars
		if e.mount != nil {
			if !e.prefix.Match(p, &v) {
				continue
			}
			var sv Vars
			if sub := e.mount.Lookup(r.Method, p, &sv); sub != nil {
				sub.Value(w, r, sv)
				return
			}
			if e.mount.Unmatched == nil {
				http.NotFound(w, r)
				return
			}
			e.mount.Unmatched(w, r, v)
			return
		}
		if e.route.Match(p, &v) && (e.when == nil || e.when(r)) {
			if e.methods.has(r.Method) {
				e.h(w, r, v)
				return
			}
			mismatch = true
		}
	}
	switch {
	case mismatch:
		w.WriteHeader(http.StatusMethodNotAllowed)
	case rt.NotFound != nil:
		rt.NotFound(w, r, Vars{})
	default:
		http.NotFound(w, r)
	}
}

// isClean reports whether cleanPath(p) is p, without building it: rooted,
// no empty segment but a last one, no "." or "..".
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; ; {
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			seg := p[i:]
			return seg != "." && seg != ".."
		}
		if seg := p[i : i+j]; seg == "" || seg == "." || seg == ".." {
			return false
		}
		i += j + 1
	}
}

// cleanPath is p as path.Clean has it, rooted, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
