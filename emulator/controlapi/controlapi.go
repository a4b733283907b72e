// Package controlapi serves sfemu's control API under /_sfemu/ (never
// under /services/; docs/CONTROL.md): thin JSON handlers over wire.Control,
// the emulator's facade. A handler decodes its request, calls one facade
// method and encodes the answer; what the operation does is the facade's.
//
// Request bodies are JSON objects of at most 1 MiB and reject unknown
// fields, so a typo in a script fails loudly. Errors are {"error": "…"}
// (with "code" when a Salesforce error code is behind them) and the status
// the facade's *wire.Error carries.
package controlapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/guard"
	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/wire"
)

// Prefix is where the control API lives, behind guard.
const Prefix = guard.Prefix

// maxBody bounds control-API request bodies.
const maxBody = 1 << 20

// Facade is what the control API serves: every operation, and the
// listings a page at a time.
type Facade interface {
	wire.Control
	wire.Pages
}

// Mount serves the control API over f under Prefix on r.
func Mount(r *route.Router, f Facade) {
	h := &handlers{f: f}
	s := r.Mount(Prefix)
	handle := func(method, path string, fn func(*http.Request, route.Vars) (int, any, error)) {
		s.Handle([]string{method}, path, h.json(fn))
	}
	plain := func(method, path string, fn http.HandlerFunc) {
		s.Handle([]string{method}, path, func(w http.ResponseWriter, r *http.Request, _ route.Vars) { fn(w, r) })
	}
	handle(http.MethodGet, "/health", h.health)
	handle(http.MethodPost, "/reset", h.reset)
	handle(http.MethodGet, "/orgs", h.orgs)
	handle(http.MethodPut, "/orgs", h.loadOrgs)
	handle(http.MethodGet, "/orgs/{org}/users", h.users)
	handle(http.MethodGet, "/orgs/{org}/profiles", h.profiles)
	handle(http.MethodGet, "/orgs/{org}/login-history", h.loginHistory)
	handle(http.MethodGet, "/orgs/{org}/events", h.events)
	handle(http.MethodPut, "/orgs/{org}/client-ip", h.setClientIP)
	handle(http.MethodDelete, "/orgs/{org}/client-ip", h.clearClientIP)
	handle(http.MethodPost, "/orgs/{org}/records", h.createRecord)
	handle(http.MethodPatch, "/orgs/{org}/records/{id}", h.updateRecord)
	handle(http.MethodGet, "/orgs/{org}/query", h.query)
	handle(http.MethodGet, "/apps", h.apps)
	handle(http.MethodGet, "/sessions", h.sessions)
	handle(http.MethodPost, "/sessions/expire", h.expireSessions)
	handle(http.MethodGet, "/token-requests", h.tokenRequests)
	handle(http.MethodGet, "/requests", h.apiRequests)
	handle(http.MethodGet, "/requests/{id}", h.apiRequest)
	handle(http.MethodGet, "/faults", h.faults)
	handle(http.MethodPost, "/faults", h.addFault)
	handle(http.MethodDelete, "/faults", h.clearFaults)
	handle(http.MethodDelete, "/faults/{id:[0-9]+}", h.clearFaults)
	handle(http.MethodGet, "/clock", h.clock)
	handle(http.MethodPost, "/clock/advance", h.advance)
	handle(http.MethodGet, "/outbound/messages", h.outboundMessages)
	handle(http.MethodGet, "/outbound/queue", h.queue)
	handle(http.MethodPost, "/outbound/queue/{id}/retry", h.retry)
	handle(http.MethodDelete, "/outbound/queue/{id}", h.deleteQueued)
	handle(http.MethodGet, "/outbound/deliveries", h.deliveries)
	handle(http.MethodGet, "/outbound/faults", h.outboundFaults)
	handle(http.MethodPut, "/outbound/faults", h.setOutboundFaults)
	handle(http.MethodDelete, "/outbound/faults", h.clearOutboundFaults)
	handle(http.MethodPost, "/outbound/idle", h.idle)
	handle(http.MethodPost, "/outbound/{name}/send", h.send)
	plain(http.MethodGet, "/outbound/client-certificate", h.clientCertificate)
	s.Handle([]string{http.MethodGet}, "/outbound/{name}/wsdl", h.outboundWSDL)
	plain(http.MethodGet, "/tls/ca.pem", h.tlsCA)
	s.Handle([]string{http.MethodPost}, "/test-receiver/{answer}", testReceiver)
	// One answer for a path no route takes with its method: a 405 listing
	// the methods the path does take, else a 404.
	s.Unmatched = func(w http.ResponseWriter, r *http.Request, _ route.Vars) {
		if allowed := s.Allowed(r.URL.Path); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, wire.Errorf(http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(w, wire.NotFound("no control endpoint %s %s (see docs/CONTROL.md; in a browser, the console is at %s/ui/)", r.Method, r.URL.Path, Prefix))
	}
}

type handlers struct{ f Facade }

// json adapts a handler that returns (status, value, error) to HTTP. A
// listing's page (a paged value) is its items, with a Link to the next.
func (h *handlers) json(fn func(*http.Request, route.Vars) (int, any, error)) route.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, vars route.Vars) {
		status, v, err := fn(r, vars)
		if err != nil {
			writeError(w, err)
			return
		}
		if v == nil {
			w.WriteHeader(status)
			return
		}
		if p, ok := v.(paged); ok {
			if p.next != "" {
				w.Header().Set("Link", nextLink(r, p.next, p.size))
			}
			v = p.items
		}
		writeJSON(w, status, v)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var e *wire.Error
	if !errors.As(err, &e) {
		e = &wire.Error{Status: http.StatusInternalServerError, Message: err.Error()}
	}
	writeJSON(w, wire.StatusOf(e), e)
}

// decode reads a JSON request body into v; an empty body leaves v alone
// when optional. Errors name the field at fault.
func decode(r *http.Request, v any, optional bool) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return wire.BadRequest("request body: %v", err)
	}
	if len(data) > maxBody {
		return wire.Errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", maxBody)
	}
	if len(data) == 0 && optional {
		return nil
	}
	if err := strictDecode(data, v); err != nil {
		return wire.BadRequest("request body: %s", locate(data, v, err))
	}
	return nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// locate names the field a decoding error is about. encoding/json names it
// for type mismatches only; for a value its type refused (a duration such
// as "tomorrow") each field is decoded alone to find the one at fault.
func locate(data []byte, v any, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s: want %s, got %s", te.Field, te.Type, te.Value)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return err.Error()
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if ferr := strictDecode(one, reflect.New(reflect.TypeOf(v).Elem()).Interface()); ferr != nil {
			return k + ": " + ferr.Error()
		}
	}
	return err.Error()
}

func ok(v any, err error) (int, any, error)      { return http.StatusOK, v, err }
func created(v any, err error) (int, any, error) { return http.StatusCreated, v, err }
func none(err error) (int, any, error)           { return http.StatusNoContent, nil, err }

func (h *handlers) health(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Health(r.Context()))
}
func (h *handlers) reset(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Reset(r.Context()))
}
func (h *handlers) orgs(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Orgs(r.Context()))
}

func (h *handlers) loadOrgs(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.LoadOrgs
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	return ok(h.f.LoadOrgs(r.Context(), req))
}

func (h *handlers) users(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Users(r.Context(), v.Get("org")))
}

func (h *handlers) profiles(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Profiles(r.Context(), v.Get("org")))
}

func (h *handlers) loginHistory(r *http.Request, v route.Vars) (int, any, error) {
	return page(r, func(p wire.Page) (wire.Paged[wire.LoginEvent], error) {
		return h.f.LoginHistoryPage(r.Context(), v.Get("org"), p)
	})
}

func (h *handlers) events(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Events(r.Context(), v.Get("org")))
}

func (h *handlers) setClientIP(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.ClientIP
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	if req.IP == "" {
		return 0, nil, wire.BadRequest(`give {"ip": "54.249.48.100"} (DELETE clears it)`)
	}
	org := v.Get("org")
	if err := h.f.SetClientIP(r.Context(), org, req.IP); err != nil {
		return 0, nil, err
	}
	return ok(wire.ClientIP{Org: org, ClientIP: req.IP}, nil)
}

func (h *handlers) clearClientIP(r *http.Request, v route.Vars) (int, any, error) {
	return none(h.f.SetClientIP(r.Context(), v.Get("org"), ""))
}

func (h *handlers) createRecord(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.CreateRecord
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	return created(h.f.CreateRecord(r.Context(), v.Get("org"), req))
}

func (h *handlers) updateRecord(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.UpdateRecord
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	return ok(h.f.UpdateRecord(r.Context(), v.Get("org"), v.Get("id"), req))
}

// query is every row, or with offset or limit one page with its columns.
func (h *handlers) query(r *http.Request, v route.Vars) (int, any, error) {
	params := r.URL.Query()
	q := params.Get("q")
	if !params.Has("offset") && !params.Has("limit") {
		if q == "" {
			// The code the facade gives an empty query, for callers that branch on it.
			return 0, nil, &wire.Error{Status: http.StatusBadRequest, Code: "MALFORMED_QUERY", Message: "give the SOQL query in ?q="}
		}
		return ok(h.f.Query(r.Context(), v.Get("org"), q))
	}
	page := wire.QueryPage{Query: q}
	for name, dst := range map[string]*int{"offset": &page.Offset, "limit": &page.Limit} {
		if s := params.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return 0, nil, wire.BadRequest("%s %q is not a number", name, s)
			}
			*dst = n
		}
	}
	return ok(h.f.QueryPage(r.Context(), v.Get("org"), page))
}

func (h *handlers) apps(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Apps(r.Context()))
}

// sessions lists live sessions with their tokens cut to a prefix; the
// whole tokens with ?reveal=true, for a caller guard.MayReveal trusts.
func (h *handlers) sessions(r *http.Request, v route.Vars) (int, any, error) {
	reveal := false
	switch v := r.URL.Query().Get("reveal"); v {
	case "", "false":
	case "true":
		if !guard.MayReveal(r) {
			return 0, nil, wire.Errorf(http.StatusForbidden, "?reveal=true shows live access tokens, which work on the REST API: only to a caller "+
				"with the control token (Authorization: Bearer TOKEN), or over a loopback connection to an sfemu without one")
		}
		reveal = true
	default:
		return 0, nil, wire.BadRequest("reveal=%q: want true or false", v)
	}
	return page(r, func(p wire.Page) (wire.Paged[wire.Session], error) {
		sessions, err := h.f.SessionsPage(r.Context(), p)
		if !reveal {
			for i := range sessions.Items {
				sessions.Items[i].Token = ""
			}
		}
		return sessions, err
	})
}

// expireSessions takes {"username": "…"}, or no body for everyone.
func (h *handlers) expireSessions(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.ExpireSessions
	if err := decode(r, &req, true); err != nil {
		return 0, nil, err
	}
	n, err := h.f.ExpireSessions(r.Context(), req.Username)
	return ok(wire.Expired{Expired: n}, err)
}

func (h *handlers) tokenRequests(r *http.Request, v route.Vars) (int, any, error) {
	return page(r, func(p wire.Page) (wire.Paged[wire.TokenRequest], error) { return h.f.TokenRequestsPage(r.Context(), p) })
}

func (h *handlers) apiRequests(r *http.Request, v route.Vars) (int, any, error) {
	return page(r, func(p wire.Page) (wire.Paged[wire.APIRequest], error) {
		return h.f.APIRequestsPage(r.Context(), r.URL.Query().Get("surface"), p)
	})
}

func (h *handlers) apiRequest(r *http.Request, v route.Vars) (int, any, error) {
	s := v.Get("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, nil, wire.BadRequest("request id %q: want the id of a journal entry (1, 2, …)", s)
	}
	return ok(h.f.APIRequest(r.Context(), id))
}

func (h *handlers) faults(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Faults(r.Context()))
}

func (h *handlers) addFault(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.Fault
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	return created(h.f.AddFault(r.Context(), req))
}

func (h *handlers) clearFaults(r *http.Request, v route.Vars) (int, any, error) {
	id := 0
	if s := v.Get("id"); s != "" {
		var err error
		if id, err = strconv.Atoi(s); err != nil {
			return 0, nil, wire.BadRequest("fault id %q is not a number", s)
		}
	}
	return none(h.f.ClearFaults(r.Context(), id))
}

func (h *handlers) clock(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.Clock(r.Context()))
}

// advance takes {"by": "2h"} or {"to": "2026-02-24T00:00:00Z"}.
func (h *handlers) advance(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.Advance
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	return ok(h.f.Advance(r.Context(), req))
}

func (h *handlers) outboundMessages(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.OutboundMessages(r.Context()))
}

func (h *handlers) queue(r *http.Request, v route.Vars) (int, any, error) {
	return page(r, func(p wire.Page) (wire.Paged[wire.QueueEntry], error) {
		return h.f.QueuePage(r.Context(), r.URL.Query().Get("all") == "true", p)
	})
}

func (h *handlers) retry(r *http.Request, v route.Vars) (int, any, error) {
	id := v.Get("id")
	if err := h.f.RetryNow(r.Context(), id); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"retrying": id}, nil
}

func (h *handlers) deleteQueued(r *http.Request, v route.Vars) (int, any, error) {
	return none(h.f.DeleteQueued(r.Context(), v.Get("id")))
}

func (h *handlers) deliveries(r *http.Request, v route.Vars) (int, any, error) {
	return page(r, func(p wire.Page) (wire.Paged[wire.Delivery], error) { return h.f.DeliveriesPage(r.Context(), p) })
}

func (h *handlers) outboundFaults(r *http.Request, v route.Vars) (int, any, error) {
	return ok(h.f.OutboundFaults(r.Context()))
}

func (h *handlers) setOutboundFaults(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.OutboundFaults
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	return ok(h.f.SetOutboundFaults(r.Context(), req))
}

func (h *handlers) clearOutboundFaults(r *http.Request, v route.Vars) (int, any, error) {
	_, err := h.f.SetOutboundFaults(r.Context(), wire.OutboundFaults{})
	return none(err)
}

// idleTimeout bounds POST /outbound/idle.
const idleTimeout = 30 * time.Second

func (h *handlers) idle(r *http.Request, v route.Vars) (int, any, error) {
	ctx, cancel := context.WithTimeout(r.Context(), idleTimeout)
	defer cancel()
	if err := h.f.Idle(ctx); err != nil {
		return 0, nil, err
	}
	return ok(map[string]string{"status": "idle"}, nil)
}

func (h *handlers) send(r *http.Request, v route.Vars) (int, any, error) {
	var req wire.Send
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	sent, err := h.f.SendOutbound(r.Context(), v.Get("name"), req)
	return http.StatusAccepted, sent, err
}

func (h *handlers) clientCertificate(w http.ResponseWriter, r *http.Request) {
	pemBytes, err := h.f.ClientCertificate(r.Context())
	writePEM(w, "sfemu-outbound-client.crt", pemBytes, err)
}

// tlsCA serves the CA of `sfemu serve --tls` for clients to trust.
func (h *handlers) tlsCA(w http.ResponseWriter, r *http.Request) {
	pemBytes, err := h.f.TLSCA(r.Context())
	writePEM(w, "sfemu-ca.pem", pemBytes, err)
}

// writePEM answers with a certificate as a PEM download, or the error.
func writePEM(w http.ResponseWriter, filename string, pemBytes []byte, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	_, _ = w.Write(pemBytes)
}

func (h *handlers) outboundWSDL(w http.ResponseWriter, r *http.Request, v route.Vars) {
	wsdl, err := h.f.OutboundWSDL(r.Context(), v.Get("name"), r.URL.Query().Get("org"))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write(wsdl)
}
