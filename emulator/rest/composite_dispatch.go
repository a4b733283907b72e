package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// Sub-requests of /composite, /composite/batch and /composite/graph run
// through the REST resources themselves: each is matched against the
// service's own routes and handed to the same handler a direct request
// reaches, with the caller's session, org and clock. They are not separate
// API calls: the gateway's pipeline (journal, API usage, faults) sees the
// composite call only, as Salesforce counts one API call for it.

// dispatchers holds each Service's internal routers (Service's fields are
// rest.go's; they are built once, on the first composite call).
var dispatchers sync.Map // *Service → *routeTable

// routeTable is the service's routes, bucketed by their first segment
// after the version and their number of segments: gorilla/mux tries routes
// one regular expression at a time, and 25 subrequests matched against
// every route cost more than running them.
type routeTable struct {
	buckets map[string]*mux.Router
	wild    *mux.Router // routes whose variables may span segments
}

// routeKey is "sobjects/3" for /sobjects/{object}/{id}.
func routeKey(rel string) string {
	rel = strings.TrimPrefix(rel, "/")
	first, _, _ := strings.Cut(rel, "/")
	return first + "/" + strconv.Itoa(strings.Count(rel, "/")+1)
}

func (t *routeTable) router(path string) *mux.Router {
	rest := strings.TrimPrefix(path, Prefix+"/")
	if rest == path || !strings.HasPrefix(rest, "v") {
		return t.wild // the version list, or no resource at all
	}
	_, rel, _ := strings.Cut(rest, "/")
	if r := t.buckets[routeKey(rel)]; r != nil {
		return r
	}
	return t.wild
}

// routeHandler is a matched route of the internal router.
type routeHandler struct{ rt gateway.Route }

func (routeHandler) ServeHTTP(http.ResponseWriter, *http.Request) {} // never served: matched only

// notDispatchable are the composite resources themselves: a composite
// sub-request may not nest another (it answers NOT_FOUND; what Salesforce
// answers is UNKNOWN).
var notDispatchable = []string{"/composite", "/composite/", "/composite/batch", "/composite/batch/", "/composite/graph", "/composite/graph/"}

const versionPattern = "/{version:v[0-9]+\\.[0-9]}"

func (s *Service) dispatcher() *routeTable {
	if t, ok := dispatchers.Load(s); ok {
		return t.(*routeTable)
	}
	t := &routeTable{buckets: map[string]*mux.Router{}, wild: mux.NewRouter()}
	wild := t.wild.PathPrefix(Prefix).Subrouter()
	for _, rt := range s.Routes() {
		nested := false
		for _, p := range notDispatchable {
			nested = nested || strings.HasSuffix(rt.Path, "}"+p)
		}
		if nested || rt.Surface != nil {
			continue // another surface's format (Bulk) is not a composite sub-request's
		}
		methods := rt.Methods
		if slices.Contains(methods, http.MethodGet) {
			methods = append(slices.Clone(methods), http.MethodHead) // as gateway.Mount serves HEAD
		}
		wild.Handle(rt.Path, routeHandler{rt}).Methods(methods...)
		rel, versioned := strings.CutPrefix(rt.Path, versionPattern)
		if !versioned || strings.Contains(rel, ":") {
			continue // only in wild: a pattern of its own may match slashes
		}
		key := routeKey(rel)
		r := t.buckets[key]
		if r == nil {
			r = mux.NewRouter()
			t.buckets[key] = r
		}
		r.Handle(Prefix+rt.Path, routeHandler{rt}).Methods(methods...)
	}
	actual, _ := dispatchers.LoadOrStore(s, t)
	return actual.(*routeTable)
}

// subRequest is one request to run inside a composite call.
type subRequest struct {
	method  string
	url     string // /services/data/vNN.N/...
	body    []byte
	headers map[string]string
}

// subResult is a sub-request's answer.
type subResult struct {
	resp  gateway.Response
	route string // the matched route's pattern, "" for none
}

type txKey struct{}

// txFrom is the transaction of the composite call a request runs in, or
// nil: a request on its own commits each write as it makes it.
func txFrom(ctx context.Context) *org.Tx {
	tx, _ := ctx.Value(txKey{}).(*org.Tx)
	return tx
}

// dispatch runs one sub-request as the call tmpl (a copy of the composite
// call's gateway.Call taken before its body was read, so each copy reads
// its own body), its writes inside tx (nil: each commits on its own).
func (s *Service) dispatch(tmpl *gateway.Call, sr subRequest, tx *org.Tx) subResult {
	sf := surface{s}
	sc := *tmpl
	u, err := url.Parse(sr.url)
	if err != nil || !strings.HasPrefix(u.Path, Prefix+"/") {
		return subResult{resp: sf.Encode(&sc, errNotFound)}
	}
	ctx := context.WithValue(tmpl.Request.Context(), txKey{}, tx)
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(sr.method), u.String(), bytes.NewReader(sr.body))
	if err != nil {
		return subResult{resp: sf.Encode(&sc, badRequest("INVALID_INPUT", "invalid HTTP method: "+sr.method))}
	}
	req.Host, req.RemoteAddr = tmpl.Request.Host, tmpl.Request.RemoteAddr
	req.Header.Set("Content-Type", "application/json")
	if v := tmpl.Request.Header.Get(AutoAssignHeader); v != "" {
		// The composite request's Assignment Rule header holds for its
		// sub-requests unless one sets its own (Salesforce's rule for a
		// composite call is UNKNOWN; its guide says the header applies to
		// what a call results in).
		req.Header.Set(AutoAssignHeader, v)
	}
	for k, v := range sr.headers {
		req.Header.Set(k, v)
	}
	sc.Request = req
	router := s.dispatcher().router(u.Path)
	var match mux.RouteMatch
	if !router.Match(req, &match) || match.MatchErr != nil {
		// As the gateway's own 404/405 answer: gorilla/mux forgets a method
		// mismatch when a later route shares the prefix, so probe.
		return subResult{resp: sf.Encode(&sc, sf.MethodNotAllowed(&sc, gateway.AllowedMethods(router, req)))}
	}
	rh, ok := match.Handler.(routeHandler)
	if !ok {
		return subResult{resp: sf.Encode(&sc, errNotFound)}
	}
	sc.Request = mux.SetURLVars(req, match.Vars)
	sc.Route = rh.rt.Path
	if err := sf.Admit(&sc); err != nil {
		return subResult{resp: sf.Encode(&sc, err)}
	}
	resp, err := rh.rt.Handler(&sc)
	if err != nil {
		resp = sf.Encode(&sc, err)
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if req.Method == http.MethodHead {
		resp.Body = nil // as net/http drops a HEAD answer's body
	}
	return subResult{resp: resp, route: rh.rt.Path}
}

// location is the Location header a create's sub-response carries, as
// the Composite resource's examples show it.
func location(c *call, res subResult, version string) string {
	if res.resp.Status != http.StatusCreated {
		return ""
	}
	path := strings.TrimPrefix(res.route, versionPattern)
	if path != "/sobjects/{object}" && path != "/sobjects/{object}/" && path != "/sobjects/{object}/{field}/{value}" {
		return ""
	}
	var body struct {
		ID org.ID `json:"id"`
	}
	if json.Unmarshal(res.resp.Body, &body) != nil || body.ID == "" {
		return ""
	}
	o := c.org.Schema.ObjectForID(body.ID)
	if o == nil {
		return ""
	}
	return "/services/data/v" + version + "/sobjects/" + o.Name + "/" + string(body.ID)
}
