package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/internal/jsonref"
)

// Limits of the Composite resource (REST API Developer Guide, "Composite":
// "You can have up to 25 subrequests in a single call. Up to 5 of these
// subrequests can be sObject Collections or query operations, including
// Query and QueryAll requests.") and of Composite Graph ("Composite Graph
// Limits": 500 nodes a graph).
const (
	maxCompositeSubrequests = 25
	maxCompositeQueries     = 5
	maxGraphNodes           = 500
)

// compositeBody is the Composite resource's request.
type compositeBody struct {
	AllOrNone          bool               `json:"allOrNone"`
	CollateSubrequests bool               `json:"collateSubrequests"`
	CompositeRequest   []compositeSubBody `json:"compositeRequest"`
}

// compositeSubBody is one subrequest: "method", "url", "referenceId",
// optional "body" and "httpHeaders".
type compositeSubBody struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body"`
	HTTPHeaders map[string]string `json:"httpHeaders"`
}

// compositeSubResponse is one element of "compositeResponse", keys in the
// order Salesforce writes them.
type compositeSubResponse struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    string            `json:"referenceId"`
}

type compositeResponse struct {
	CompositeResponse []compositeSubResponse `json:"compositeResponse"`
}

// compositeError is an error the composite machinery itself writes into a
// sub-response: errorCode before message, as the guide's examples show.
type compositeError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

func compositeErrorBody(code, message string) json.RawMessage {
	b, _ := json.Marshal([]compositeError{{code, message}})
	return b
}

// rolledBackText is the PROCESSING_HALTED message of every other
// subrequest of an all-or-none request that failed (guide, "Composite",
// the allOrNone example).
const rolledBackText = "The transaction was rolled back since another operation in the same transaction failed."

// referenceError is a subrequest whose reference does not resolve.
type referenceError struct{ ref, expr string }

func (e *referenceError) Error() string {
	return fmt.Sprintf("Invalid reference specified. No value for %s found in %s. Provided referenceId ('%s') has to exist in the composite request and the JSONPath expression has to resolve the requested property.", e.expr, e.ref, e.ref)
}

// parseComposite reads and checks a Composite request body: the
// subrequest limits, every subrequest's method, url and referenceId, and
// referenceIds unique.
func parseComposite(data []byte, limit int, countQueries bool) (*compositeBody, error) {
	var req compositeBody
	if err := decodeJSON(data, &req); err != nil {
		return nil, err
	}
	if err := checkSubrequests(req.CompositeRequest, limit, countQueries); err != nil {
		return nil, err
	}
	return &req, nil
}

// checkSubrequests applies the limits and the per-subrequest checks. The
// wording of these errors is UNKNOWN (sfemu's own, docs/REST.md).
func checkSubrequests(subs []compositeSubBody, limit int, countQueries bool) error {
	if len(subs) > limit {
		return badRequest("LIMIT_EXCEEDED", fmt.Sprintf("Maximum number of subrequests allowed is %d.", limit))
	}
	queries := 0
	seen := make(map[string]bool, len(subs))
	for _, sr := range subs {
		switch {
		case sr.Method == "":
			return badRequest("INVALID_INPUT", "A subrequest is missing its method.")
		case sr.URL == "":
			return badRequest("INVALID_INPUT", "A subrequest is missing its url.")
		case !validReferenceID(sr.ReferenceID):
			return badRequest("INVALID_INPUT", fmt.Sprintf("Invalid referenceId ('%s'): it must begin with a letter and contain only letters, digits and underscores.", sr.ReferenceID))
		case seen[sr.ReferenceID]:
			return badRequest("INVALID_INPUT", "Duplicate ReferenceId provided in the request: "+sr.ReferenceID)
		}
		seen[sr.ReferenceID] = true
		if isQueryOrCollection(sr.URL) {
			queries++
		}
	}
	if countQueries && queries > maxCompositeQueries {
		return badRequest("LIMIT_EXCEEDED", fmt.Sprintf("Maximum number of query and sObject Collections subrequests allowed is %d.", maxCompositeQueries))
	}
	return nil
}

func validReferenceID(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isQueryOrCollection reports whether a subrequest counts toward the five
// query and sObject Collections subrequests.
func isQueryOrCollection(u string) bool {
	rest := strings.TrimPrefix(u, Prefix+"/")
	_, rel, _ := strings.Cut(rest, "/")
	rel = "/" + rel
	for _, p := range []string{"/query", "/queryAll", "/composite/sobjects"} {
		if rel == p || strings.HasPrefix(rel, p+"/") || strings.HasPrefix(rel, p+"?") {
			return true
		}
	}
	return false
}

// compositeTemplate is the composite call's gateway.Call as it arrived,
// copied before its body is read: each sub-call is a copy of it.
func compositeTemplate(c *call) *gateway.Call {
	tmpl := *c.Call
	return &tmpl
}

// composite serves POST /composite (guide, "Composite"): the subrequests
// in order, each able to use earlier results through @{referenceId.path};
// with allOrNone, the first failure rolls back every write and halts the
// rest.
func (s *Service) composite(c *call) (gateway.Response, error) {
	tmpl := compositeTemplate(c)
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return gateway.Response{}, err
	}
	req, err := parseComposite(data, maxCompositeSubrequests, true)
	if err != nil {
		return gateway.Response{}, err
	}
	out, _ := s.runComposite(c, tmpl, req.CompositeRequest, req.AllOrNone)
	return compositeJSON(http.StatusOK, compositeResponse{out})
}

// runComposite runs subrequests in order. ok is false when one failed
// (an HTTP status of 400 or more).
func (s *Service) runComposite(c *call, tmpl *gateway.Call, subs []compositeSubBody, allOrNone bool) (out []compositeSubResponse, ok bool) {
	// With allOrNone the sub-requests are one transaction: their rules
	// fire, and their outbound messages queue, only when all succeed.
	// Without it each sub-request commits on its own.
	var tx *org.Tx
	if allOrNone {
		tx = org.NewTx()
	}
	refs := newReferences()
	out = make([]compositeSubResponse, 0, len(subs))
	failed := -1
	for i, sr := range subs {
		resp := compositeSubResponse{HTTPHeaders: map[string]string{}, ReferenceID: sr.ReferenceID}
		sub, rerr := refs.resolve(sr)
		if rerr != nil {
			resp.HTTPStatusCode, resp.Body = http.StatusBadRequest, compositeErrorBody("PROCESSING_HALTED", rerr.Error())
		} else {
			step := tx
			if step == nil {
				step = org.NewTx()
			}
			res := s.dispatch(tmpl, sub, step)
			if step != tx {
				step.Commit()
			}
			resp.HTTPStatusCode = res.resp.Status
			resp.Body = responseBody(res.resp)
			for k := range res.resp.Header {
				resp.HTTPHeaders[k] = res.resp.Header.Get(k)
			}
			if loc := location(c, res, versionIn(sub.url, c.version)); loc != "" {
				resp.HTTPHeaders["Location"] = loc
			}
		}
		out = append(out, resp)
		if resp.HTTPStatusCode >= 400 || (allOrNone && collectionFailed(resp)) {
			if failed < 0 {
				failed = i
			}
			if allOrNone {
				break
			}
			continue
		}
		refs.add(sr.ReferenceID, resp.Body)
	}
	if failed >= 0 && allOrNone {
		tx.Rollback()
		halted := compositeErrorBody("PROCESSING_HALTED", rolledBackText)
		if out[failed].HTTPStatusCode < 400 {
			out[failed].Body = rolledBackCollection(out[failed].Body)
		}
		for i := range out {
			if i != failed {
				out[i] = compositeSubResponse{Body: halted, HTTPHeaders: map[string]string{}, HTTPStatusCode: http.StatusBadRequest, ReferenceID: out[i].ReferenceID}
			}
		}
		for _, sr := range subs[len(out):] {
			out = append(out, compositeSubResponse{Body: halted, HTTPHeaders: map[string]string{}, HTTPStatusCode: http.StatusBadRequest, ReferenceID: sr.ReferenceID})
		}
	}
	tx.Commit()
	return out, failed < 0
}

// responseBody is a sub-response's body as JSON: null for none; a body
// that is not JSON (none of the REST resources write one) as a string.
func responseBody(r gateway.Response) json.RawMessage {
	if len(r.Body) == 0 {
		return nil
	}
	if json.Valid(r.Body) {
		return r.Body
	}
	b, _ := json.Marshal(string(r.Body))
	return b
}

// versionIn is the API version of a subrequest's url ("66.0"), or def.
func versionIn(u, def string) string {
	rest := strings.TrimPrefix(u, Prefix+"/v")
	if rest == u {
		return def
	}
	v, _, _ := strings.Cut(rest, "/")
	return v
}

// references are the results earlier subrequests can be referred to by.
type references struct {
	bodies  map[string]json.RawMessage
	decoded map[string]any
}

func newReferences() *references {
	return &references{bodies: map[string]json.RawMessage{}, decoded: map[string]any{}}
}

func (r *references) add(id string, body json.RawMessage) { r.bodies[id] = body }

// value resolves referenceId.path: "NewAccount.id",
// "AccountInfo.records[0].Id", "q.records[0].Owner.Name". Only a string,
// number or boolean resolves (a null, object or array does not: UNKNOWN
// what Salesforce substitutes for those).
func (r *references) value(ref, path string) (string, bool) {
	body, ok := r.bodies[ref]
	if !ok {
		return "", false
	}
	v, done := r.decoded[ref]
	if !done {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			v = nil
		}
		r.decoded[ref] = v
	}
	v, ok = jsonref.Lookup(v, path)
	if !ok {
		return "", false
	}
	return jsonref.Text(v)
}

// resolve substitutes every @{referenceId.path} in a subrequest's url,
// body and header values. In the body a reference sits inside a JSON
// string, so the value is escaped for one.
func (r *references) resolve(sr compositeSubBody) (subRequest, error) {
	u, err := r.substitute(sr.URL, false)
	if err != nil {
		return subRequest{}, err
	}
	out := subRequest{method: sr.Method, url: u}
	if body := rawBody(sr.Body); body != nil {
		b, err := r.substitute(string(body), true)
		if err != nil {
			return subRequest{}, err
		}
		out.body = []byte(b)
	}
	if len(sr.HTTPHeaders) > 0 {
		out.headers = make(map[string]string, len(sr.HTTPHeaders))
		for k, v := range sr.HTTPHeaders {
			if out.headers[k], err = r.substitute(v, false); err != nil {
				return subRequest{}, err
			}
		}
	}
	return out, nil
}

// substitute replaces the references in s. A "@{" with no closing "}" is
// left as it is; so is one whose inside is not referenceId followed by a
// path.
func (r *references) substitute(s string, inJSON bool) (string, error) {
	return jsonref.Expand(s, validReferenceID, func(ref jsonref.Ref) (string, error) {
		v, ok := r.value(ref.Name, ref.Path)
		if !ok {
			return "", &referenceError{ref: ref.Name, expr: ref.Expr()}
		}
		if inJSON {
			q := appendString(nil, v)
			return string(q[1 : len(q)-1]), nil
		}
		return v, nil
	})
}

// graphBody is the Composite Graph resource's request.
type graphBody struct {
	Graphs []struct {
		GraphID          string             `json:"graphId"`
		CompositeRequest []compositeSubBody `json:"compositeRequest"`
	} `json:"graphs"`
}

type graphResult struct {
	GraphID       string            `json:"graphId"`
	GraphResponse compositeResponse `json:"graphResponse"`
	IsSuccessful  bool              `json:"isSuccessful"`
}

// compositeGraph serves POST /composite/graph (guide, "Composite Graph"):
// each graph is a composite request of its own, all or nothing, with its
// own references.
func (s *Service) compositeGraph(c *call) (gateway.Response, error) {
	tmpl := compositeTemplate(c)
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return gateway.Response{}, err
	}
	var req graphBody
	if err := decodeJSON(data, &req); err != nil {
		return gateway.Response{}, err
	}
	seen := map[string]bool{}
	for _, g := range req.Graphs {
		if g.GraphID == "" || seen[g.GraphID] {
			// UNKNOWN wording.
			return gateway.Response{}, badRequest("INVALID_INPUT", fmt.Sprintf("Every graph needs a unique graphId ('%s').", g.GraphID))
		}
		seen[g.GraphID] = true
		if err := checkSubrequests(g.CompositeRequest, maxGraphNodes, false); err != nil {
			return gateway.Response{}, err
		}
	}
	out := struct {
		Graphs []graphResult `json:"graphs"`
	}{Graphs: make([]graphResult, 0, len(req.Graphs))}
	for _, g := range req.Graphs {
		resp, ok := s.runComposite(c, tmpl, g.CompositeRequest, true)
		out.Graphs = append(out.Graphs, graphResult{GraphID: g.GraphID, GraphResponse: compositeResponse{resp}, IsSuccessful: ok})
	}
	return compositeJSON(http.StatusOK, out)
}

// collectionFailed reports whether a sub-response is sObject Collections'
// result array with a record that failed. Inside an all-or-none composite
// request sfemu counts that as the subrequest failing, so that the whole
// request rolls back, as a client asking for all or none (go-salesforce's
// InsertComposite) expects; whether Salesforce does is UNKNOWN.
func collectionFailed(resp compositeSubResponse) bool {
	var results []map[string]any
	if len(resp.Body) == 0 || resp.Body[0] != '[' || json.Unmarshal(resp.Body, &results) != nil {
		return false
	}
	for _, r := range results {
		if ok, isBool := r["success"].(bool); isBool && !ok {
			return true
		}
	}
	return false
}

// rolledBackCollection rewrites a collection result array whose writes the
// composite request rolled back: every record that had succeeded is
// reported ALL_OR_NONE_OPERATION_ROLLED_BACK, as an all-or-none collection
// reports it.
func rolledBackCollection(body json.RawMessage) json.RawMessage {
	var results []collectionResult
	if json.Unmarshal(body, &results) != nil {
		return body
	}
	for i := range results {
		if results[i].Success {
			results[i] = collectionResult{Errors: []org.DMLError{rolledBack}}
		} else {
			results[i].ID = nil
		}
	}
	b, err := json.Marshal(results)
	if err != nil {
		return body
	}
	return b
}
