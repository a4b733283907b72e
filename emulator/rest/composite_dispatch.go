package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/emulator/org"
)

// Sub-requests of /composite, /composite/batch and /composite/graph run
// through the REST resources themselves: each is matched against the
// service's own routes and handed to the same handler a direct request
// reaches, with the caller's session, org and clock. They are not separate
// API calls: the gateway's pipeline (journal, API usage, faults) sees the
// composite call only, as Salesforce counts one API call for it.

// dispatchers holds each Service's internal route table (Service's fields
// are rest.go's; it is built once, on the first composite call).
var dispatchers sync.Map // *Service → *route.Set[gateway.Route]

// notDispatchable are the composite resources themselves: a composite
// sub-request may not nest another (it answers NOT_FOUND; what Salesforce
// answers is UNKNOWN).
var notDispatchable = []string{"/composite", "/composite/", "/composite/batch", "/composite/batch/", "/composite/graph", "/composite/graph/"}

const versionPattern = "/{version:v[0-9]+\\.[0-9]}"

// dispatcher is the service's routes as a sub-request may reach them: the
// same templates and methods as gateway.Mount serves, less the composite
// resources and other surfaces' routes.
func (s *Service) dispatcher() *route.Set[gateway.Route] {
	if t, ok := dispatchers.Load(s); ok {
		return t.(*route.Set[gateway.Route])
	}
	t := &route.Set[gateway.Route]{}
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
		t.Add(methods, Prefix+rt.Path, rt)
	}
	actual, _ := dispatchers.LoadOrStore(s, t)
	return actual.(*route.Set[gateway.Route])
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
	table := s.dispatcher()
	sc.Vars = route.Vars{} // the composite call's are not the sub-request's
	matched := table.Lookup(req.Method, req.URL.Path, &sc.Vars)
	if matched == nil {
		// As the gateway's own 404/405 answer.
		return subResult{resp: sf.Encode(&sc, sf.MethodNotAllowed(&sc, table.Allowed(req.URL.Path)))}
	}
	rt := matched.Value
	sc.Route = rt.Path
	if err := sf.Admit(&sc); err != nil {
		return subResult{resp: sf.Encode(&sc, err)}
	}
	resp, err := rt.Handler(&sc)
	if err != nil {
		resp = sf.Encode(&sc, err)
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if req.Method == http.MethodHead {
		resp.Body = nil // as net/http drops a HEAD answer's body
	}
	return subResult{resp: resp, route: rt.Path}
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
