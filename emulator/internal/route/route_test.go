package route

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// templates has every form the emulator's tables use.
var templates = []string{
	"/services/data",
	"/services/data/",
	"/services/data/{version:v[0-9]+\\.[0-9]}",
	"/services/data/{version:v[0-9]+\\.[0-9]}/sobjects/{object}/",
	"/services/data/{version:v[0-9]+\\.[0-9]}/sobjects/{object}/{id}",
	"/services/data/{version:v[0-9]+\\.[0-9]}/sobjects/{object}/{field}/{value}",
	"/services/Soap/{api:u|c}/{version}/{org}",
	"/_sfemu/faults/{id:[0-9]+}",
	"/id/{org}/{user}",
	"/",
}

var prefixes = []string{"/services/data", "/services/data/{version:v[0-9]+\\.[0-9]}/jobs", "/id", "/_sfemu/ui", "/"}

// oracle is the regular expression gorilla/mux 1.8.1 built for a template
// (newRouteRegexp, default options): the reference Match is checked against.
func oracle(tmpl string, prefix bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for seg := range strings.SplitSeq(tmpl[1:], "/") {
		b.WriteString("/")
		switch name, pat, ok := strings.Cut(strings.Trim(seg, "{}"), ":"); {
		case !strings.HasPrefix(seg, "{"):
			b.WriteString(regexp.QuoteMeta(seg))
		case ok:
			b.WriteString("(?P<" + name + ">" + pat + ")")
		default:
			b.WriteString("(?P<" + name + ">[^/]+)")
		}
	}
	if !prefix {
		b.WriteString("$")
	}
	return regexp.MustCompile(b.String())
}

func checkAgainstOracle(t *testing.T, path string) {
	for _, prefix := range []bool{false, true} {
		list := templates
		if prefix {
			list = prefixes
		}
		for _, tmpl := range list {
			p, re := compile(tmpl, prefix), oracle(tmpl, prefix)
			var v Vars
			got := p.Match(path, &v)
			m := re.FindStringSubmatch(path)
			if got != (m != nil) {
				t.Fatalf("%q on %q (prefix %t): Match %t, gorilla/mux's expression %t", tmpl, path, prefix, got, m != nil)
			}
			if !got || prefix {
				continue
			}
			want := map[string]string{}
			for i, n := range re.SubexpNames() {
				if n != "" {
					want[n] = m[i]
				}
			}
			if !maps.Equal(v.Map(), want) {
				t.Fatalf("%q on %q: variables %v, want %v", tmpl, path, v.Map(), want)
			}
		}
	}
	if isClean(path) != (cleanPath(path) == path) {
		t.Fatalf("%q: isClean %t, but cleanPath gives %q", path, isClean(path), cleanPath(path))
	}
}

func TestMatchAsGorillaMuxDid(t *testing.T) {
	for _, path := range []string{
		"", "/", "//", "/services/data", "/services/data/", "/services/dataX", "/services/dat",
		"/services/data/v66.0", "/services/data/v66.00", "/services/data/v.0", "/services/data/v66.0/",
		"/services/data/v66.0/sobjects/Account/", "/services/data/v66.0/sobjects//", "/services/data/v66.0/sobjects/Account/001",
		"/services/data/v66.0/sobjects/Account/Ext__c/a", "/services/data/v66.0/sobjects/Account/Ext__c/a/",
		"/services/data/v66.0/jobs", "/services/data/v66.0/jobsX/y", "/Services/data", "/services/Soap/u/66.0/00D",
		"/services/Soap/uc/66.0/00D", "/_sfemu/faults/12", "/_sfemu/faults/1a", "/_sfemu/faults/", "/id", "/idx/a/b",
		"/_sfemu/ui", "/_sfemu/uix", "/a/./b", "/a/../b", "/a/..", "/.", "noslash",
	} {
		checkAgainstOracle(t, path)
	}
}

// FuzzMatch checks the hand-written matching against gorilla/mux's regular
// expressions for the same templates, on any path.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/services/data/v66.0/sobjects/Account/001/x", "/services/Soap/c/1/2", "/_sfemu/faults/9", "/a//b/../", "/id/x/y"} {
		f.Add(s)
	}
	f.Fuzz(checkAgainstOracle)
}

func TestTemplatesOutsideTheFormsAreRefused(t *testing.T) {
	for _, row := range []struct{ why, tmpl string }{
		{"no leading slash", "services"},
		{"a variable inside a segment", "/x{id}"},
		{"two variables in a segment", "/{a}{b}"},
		{"a variable without a name", "/{:u|c}"},
		{"a pattern without a hand-written check", "/{id:[a-z]+}"},
		{"a variable twice", "/{a}/{a}"},
		{"more variables than Vars holds", "/{a}/{b}/{c}/{d}/{e}"},
	} {
		if _, err := parse(row.tmpl, false); err == nil {
			t.Errorf("%s: %q compiled", row.why, row.tmpl)
		}
	}
	if _, err := parse("/jobs/{id}", true); err == nil {
		t.Errorf("a prefix ending in a variable compiled")
	}
}

func TestSet(t *testing.T) {
	var s Set[string]
	s.Add([]string{"GET"}, "/sobjects/{object}/describe", "describe")
	s.Add([]string{"GET", "HEAD"}, "/sobjects/{object}/{id}", "read")
	s.Add([]string{"PATCH"}, "/sobjects/{object}/{id}", "update")
	s.Add([]string{"DELETE"}, "/sobjects/{object}/{id}", "delete")
	s.Add(nil, "/token", "token")
	for _, row := range []struct {
		name, method, path, want string
		allowed                  []string
	}{
		{"the first route added wins", "GET", "/sobjects/Account/describe", "describe", []string{"HEAD", "GET", "PATCH", "DELETE"}},
		{"a later route takes another method on the same path", "PATCH", "/sobjects/Account/describe", "update", []string{"HEAD", "GET", "PATCH", "DELETE"}},
		{"methods are compared exactly", "get", "/sobjects/Account/001", "", []string{"HEAD", "GET", "PATCH", "DELETE"}},
		{"a route without methods takes any", "BREW", "/token", "token", []string{"HEAD", "GET", "POST", "PATCH", "PUT", "DELETE"}},
		{"a trailing slash is another path", "GET", "/sobjects/Account/001/", "", nil},
		{"a variable is never empty", "GET", "/sobjects//001", "", nil},
	} {
		var v Vars
		got := ""
		if r := s.Lookup(row.method, row.path, &v); r != nil {
			got = r.Value
		}
		if got != row.want {
			t.Errorf("%s: %s %s reached %q, want %q", row.name, row.method, row.path, got, row.want)
		}
		if a := s.Allowed(row.path); !slices.Equal(a, row.allowed) {
			t.Errorf("%s: %s allows %v, want %v", row.name, row.path, a, row.allowed)
		}
	}
}

func TestRouter(t *testing.T) {
	answer := func(s string) HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request, v Vars) { w.Write([]byte(s + " " + v.Get("version"))) }
	}
	r := &Router{NotFound: answer("nowhere")}
	jobs := r.Mount("/data/{version:v[0-9]+\\.[0-9]}/jobs")
	jobs.Handle([]string{"GET"}, "/{id}", answer("job"))
	jobs.Unmatched = answer("jobs' 404")
	data := r.Mount("/data")
	data.Handle([]string{"GET"}, "", answer("versions"))
	data.Handle([]string{"GET"}, "/{version:v[0-9]+\\.[0-9]}/limits", answer("limits"))
	data.Unmatched = answer("data's 404")
	browser := func(r *http.Request) bool { return r.Header.Get("Accept") == "text/html" }
	r.Handle([]string{"GET"}, "/", browser, answer("console"))
	for _, row := range []struct {
		name, method, path, accept string
		status                     int
		body                       string
	}{
		{"a route under a mount, with its variables", "GET", "/data/v66.0/limits", "", 200, "limits v66.0"},
		{"the mount's own path", "GET", "/data", "", 200, "versions "},
		{"the first mount that claims a path answers it", "GET", "/data/v66.0/jobs/750", "", 200, "job v66.0"},
		{"a path under a mount no route takes is the mount's, with the prefix's variables", "POST", "/data/v66.0/jobs/750", "", 200, "jobs' 404 v66.0"},
		{"a mount's prefix is a string prefix", "GET", "/dataX", "", 200, "data's 404 "},
		{"paths are case-sensitive", "GET", "/Data", "", 200, "nowhere "},
		{"a single route needs its condition", "GET", "/", "", 200, "nowhere "},
		{"a single route with its condition", "GET", "/", "text/html", 200, "console "},
		{"a single route's path with another method is a bare 405", "POST", "/", "text/html", 405, ""},
		{"a path that is not clean is redirected, query kept", "GET", "/data//v66.0/./limits?q=1", "", 301, ""},
	} {
		req := httptest.NewRequest(row.method, row.path, nil)
		req.Header.Set("Accept", row.accept)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != row.status || rec.Body.String() != row.body {
			t.Errorf("%s: %s %s answered %d %q, want %d %q", row.name, row.method, row.path, rec.Code, rec.Body, row.status, row.body)
		}
		if row.status == 301 && rec.Header().Get("Location") != "/data/v66.0/limits?q=1" {
			t.Errorf("%s: Location %q", row.name, rec.Header().Get("Location"))
		}
	}
}
