package gateway

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/route"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/redact"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// t0 is the virtual time of these tests: Monday 2 March 2026, 10:00 UTC.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const fixtureYAML = `
org: {name: Acme}
profiles: [{name: Integration, session_timeout: 2h}]
users:
  - {username: sender@acme.example, profile: Integration}
`

const otherYAML = `
org: {name: Other}
users:
  - {username: sender@other.example, profile: Standard User}
`

// fakeError is the fake surfaces' error: a status, a code and a message.
type fakeError struct {
	status        int
	code, message string
}

func (e *fakeError) Error() string     { return e.code + ": " + e.message }
func (e *fakeError) ErrorCode() string { return e.code }

// fakeSurface is a small API family with JSON errors of its own,
// {"code":…,"message":…}: the session in the Authorization header, the
// path after its prefix as RelPath, a SOAP-style operation in X-Operation.
type fakeSurface struct {
	name   string
	prefix string
	counts bool
}

func (s fakeSurface) Name() string    { return s.name }
func (s fakeSurface) CountsAPI() bool { return s.counts }

func (s fakeSurface) Credentials(c *Call) (string, error) {
	c.Entry.Operation = c.Request.Header.Get("X-Operation")
	if c.Request.Header.Get("X-Broken-Envelope") != "" {
		return "", &fakeError{http.StatusBadRequest, "BROKEN_ENVELOPE", "the envelope does not parse"}
	}
	return BearerToken(c.Request), nil
}

func (s fakeSurface) Admit(c *Call) error {
	c.RelPath = strings.TrimPrefix(c.Request.URL.Path, s.prefix)
	if strings.HasPrefix(c.RelPath, "/v0/") {
		return &fakeError{http.StatusNotFound, "UNSUPPORTED_VERSION", "version 0 is not served"}
	}
	return nil
}

func (s fakeSurface) Encode(_ *Call, err error) Response {
	var (
		fe *fakeError
		be *BodyError
	)
	status, code := http.StatusInternalServerError, "INTERNAL"
	switch {
	case errors.As(err, &fe):
		status, code = fe.status, fe.code
		err = errors.New(fe.message)
	case errors.As(err, &be):
		status, code = http.StatusBadRequest, "BAD_BODY"
		if be.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
	}
	resp, _ := JSON(status, map[string]string{"code": code, "message": err.Error()})
	return resp
}

func (s fakeSurface) NoSession(*Call) error {
	return &fakeError{http.StatusUnauthorized, "NO_SESSION", "log in first"}
}

func (s fakeSurface) NotFound(*Call) error {
	return &fakeError{http.StatusNotFound, "NO_SUCH_THING", "nothing lives here"}
}

func (s fakeSurface) MethodNotAllowed(c *Call, allowed []string) error {
	return &fakeError{http.StatusMethodNotAllowed, "WRONG_METHOD",
		fmt.Sprintf("%s is not allowed; allowed are %s", c.Request.Method, strings.Join(allowed, ","))}
}

func (s fakeSurface) FaultError(_ *Call, f wire.Fault) error {
	return &fakeError{f.Status, f.ErrorCode, f.Message}
}

// Decorate reports the org's API usage on answers given with a session.
func (s fakeSurface) Decorate(c *Call, resp *Response) {
	used, limit := c.APIUsage()
	resp.SetHeader("X-Usage", fmt.Sprintf("%d/%d", used, limit))
}

var (
	restish  = fakeSurface{name: wire.SurfaceREST, prefix: "/fake", counts: true}
	soapish  = fakeSurface{name: wire.SurfaceSOAP, prefix: "/soap", counts: true}
	oauthish = fakeSurface{name: wire.SurfaceOAuth, prefix: "/quiet", counts: false}
)

// echo answers who called and the API usage it sees.
func echo(c *Call) (Response, error) {
	out := map[string]any{"route": c.Route, "rel": c.RelPath, "id": c.Var("id"), "session": c.Session != nil}
	if c.Session != nil {
		used, _ := c.APIUsage()
		out["user"], out["org"], out["used"] = c.Session.User.Username, c.Org.Name, used
	}
	return JSON(http.StatusOK, out)
}

func fakeRoutes() []Route {
	return []Route{
		{Methods: []string{http.MethodGet}, Path: "/items", Handler: echo},
		{Methods: []string{http.MethodPost}, Path: "/items", Handler: echo},
		{Methods: []string{http.MethodGet, http.MethodDelete}, Path: "/items/{id}", Handler: echo},
		{Methods: []string{http.MethodGet}, Path: "/items/{id}/notes", Handler: echo},
		// A later route sharing the path of an earlier one.
		{Methods: []string{http.MethodPatch}, Path: "/items/{id}", Handler: echo},
		{Methods: []string{http.MethodGet}, Path: "/public", Handler: echo, Public: true},
		{Methods: []string{http.MethodGet}, Path: "/boom", Handler: func(*Call) (Response, error) {
			return Response{}, &fakeError{http.StatusConflict, "CONFLICT", "the handler failed"}
		}},
		{Methods: []string{http.MethodPost}, Path: "/call", Handler: echo},
		{Methods: []string{http.MethodPost}, Path: "/body", Public: true, Handler: func(c *Call) (Response, error) {
			b, err := c.Body(1 << 20)
			return Bytes(http.StatusCreated, "application/json", b), err
		}},
	}
}

type testEnv struct {
	t      *testing.T
	clock  *clock.Virtual
	store  *org.Store
	gw     *Gateway
	router *route.Router
	acme   *org.Org
	other  *org.Org
	token  string // sender@acme's
	otherT string // sender@other's
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	clk := clock.NewVirtual(t0)
	store, err := org.NewStore(clk,
		org.Source{Name: "acme.yaml", Data: []byte(fixtureYAML)},
		org.Source{Name: "other.yaml", Data: []byte(otherYAML)})
	if err != nil {
		t.Fatal(err)
	}
	gw := New(Config{Store: store, BaseURL: RequestBaseURL})
	r := &route.Router{}
	gw.Mount(r, restish.prefix, restish, fakeRoutes())
	gw.Mount(r, soapish.prefix, soapish, fakeRoutes())
	gw.Mount(r, oauthish.prefix, oauthish, fakeRoutes())
	// A later entry of the parent router sharing a mounted prefix: the
	// mount, added first, answers every path under its prefix, 405s
	// included, so this is never reached.
	r.HandlePrefix(restish.prefix+"/items", func(w http.ResponseWriter, _ *http.Request, _ route.Vars) {
		http.Error(w, "shadowing route reached", http.StatusTeapot)
	})
	e := &testEnv{t: t, clock: clk, store: store, gw: gw, router: r, acme: store.Org("Acme"), other: store.Org("Other")}
	e.token = store.Sessions.Open(store.User("sender@acme.example"), nil, 2*time.Hour, true).Token
	e.otherT = store.Sessions.Open(store.User("sender@other.example"), nil, 2*time.Hour, true).Token
	return e
}

type answer struct {
	status int
	header http.Header
	code   string // the fake error's code
	msg    string
	body   map[string]any
}

// do sends method path with token ("" for none) and optional header pairs.
func (e *testEnv) do(method, path, token string, headers ...string) answer {
	e.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header()}
	if method == http.MethodHead || rec.Body.Len() == 0 {
		return a
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		e.t.Fatalf("%s %s: body not JSON: %v\n%s", method, path, err, rec.Body)
	}
	a.code, _ = a.body["code"].(string)
	a.msg, _ = a.body["message"].(string)
	return a
}

// last is the newest journal entry.
func (e *testEnv) last() wire.APIRequest {
	e.t.Helper()
	entries := e.gw.Journal().Entries()
	if len(entries) == 0 {
		e.t.Fatal("the journal is empty")
	}
	return entries[len(entries)-1]
}

func (e *testEnv) addFault(f wire.Fault) wire.Fault {
	e.t.Helper()
	f, err := e.gw.Faults().Add(f)
	if err != nil {
		e.t.Fatalf("Add(%+v): %v", f, err)
	}
	return f
}

func TestRouting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		method, path  string
		anonymous     bool
		status        int
		code, message string
	}{
		{name: "an unknown path under the prefix is the surface's 404", method: "GET", path: "/fake/nothing", status: 404, code: "NO_SUCH_THING"},
		{name: "an unknown path answers 404 even without a session", method: "GET", path: "/fake/nothing", anonymous: true, status: 404, code: "NO_SUCH_THING"},
		{name: "the prefix itself names no resource", method: "GET", path: "/fake", status: 404, code: "NO_SUCH_THING"},
		{name: "a deeper unknown path is a 404, not a 405", method: "PUT", path: "/fake/items/7/notes/9", status: 404, code: "NO_SUCH_THING"},
		{name: "a wrong method is a 405 listing the allowed methods, HEAD with GET", method: "DELETE", path: "/fake/items", status: 405, code: "WRONG_METHOD",
			message: "DELETE is not allowed; allowed are HEAD,GET,POST"},
		{name: "a 405 lists the methods of every route of the path", method: "PUT", path: "/fake/items/7", status: 405, code: "WRONG_METHOD",
			message: "PUT is not allowed; allowed are HEAD,GET,PATCH,DELETE"},
		{name: "a 405 without a session is still a 405", method: "POST", path: "/fake/items/7/notes", anonymous: true, status: 405, code: "WRONG_METHOD",
			message: "POST is not allowed; allowed are HEAD,GET"},
		{name: "a later parent route sharing the prefix does not turn a 405 into its own answer", method: "PUT", path: "/fake/items", status: 405, code: "WRONG_METHOD",
			message: "PUT is not allowed; allowed are HEAD,GET,POST"},
		{name: "a route without GET lists no HEAD", method: "GET", path: "/fake/call", status: 405, code: "WRONG_METHOD",
			message: "GET is not allowed; allowed are POST"},
		{name: "each mount answers in its own surface", method: "DELETE", path: "/soap/items", status: 405, code: "WRONG_METHOD",
			message: "DELETE is not allowed; allowed are HEAD,GET,POST"},
		{name: "a public route answers without a session", method: "GET", path: "/fake/public", anonymous: true, status: 200},
		{name: "a private route without a session is the surface's NoSession", method: "GET", path: "/fake/items", anonymous: true, status: 401, code: "NO_SESSION"},
		{name: "a private route with a session answers", method: "GET", path: "/fake/items/7", status: 200},
		{name: "a handler's error is encoded by the surface", method: "GET", path: "/fake/boom", status: 409, code: "CONFLICT", message: "the handler failed"},
		{name: "an Admit error is answered before the session is asked for", method: "GET", path: "/fake/v0/items", anonymous: true, status: 404, code: "UNSUPPORTED_VERSION"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			token := e.token
			if tt.anonymous {
				token = ""
			}
			got := e.do(tt.method, tt.path, token)
			if got.status != tt.status || got.code != tt.code || (tt.message != "" && got.msg != tt.message) {
				t.Errorf("%s %s = %d %s %q, want %d %s %q", tt.method, tt.path, got.status, got.code, got.msg, tt.status, tt.code, tt.message)
			}
			j := e.last()
			if j.Method != tt.method || j.Path != tt.path || j.Status != tt.status || j.ErrorCode != tt.code {
				t.Errorf("journal %+v, want %s %s %d %s", j, tt.method, tt.path, tt.status, tt.code)
			}
			if n := len(e.gw.Journal().Entries()); n != 1 {
				t.Errorf("%d journal entries, want 1", n)
			}
		})
	}
}

func TestRouteVarsAndPatternReachTheHandler(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	got := e.do("GET", "/fake/items/a07", e.token)
	if got.body["id"] != "a07" || got.body["route"] != "/items/{id}" || got.body["rel"] != "/items/a07" {
		t.Errorf("handler saw %v", got.body)
	}
}

func TestHEADIsServedWhereGETIs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	got := e.do("HEAD", "/fake/items", e.token)
	if got.status != http.StatusOK {
		t.Errorf("HEAD /fake/items answers %d while a 405 on the same path lists HEAD as allowed (Mount registers only rt.Methods; the 405 lists HEAD with GET)", got.status)
	}
}

func TestTheJournalNamesTheCaller(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.do("GET", "/fake/items?limit=5", e.token)
	j := e.last()
	if j.Surface != wire.SurfaceREST || j.Username != "sender@acme.example" || j.OrgID != string(e.acme.ID) ||
		j.Query != "limit=5" || j.Status != 200 || j.ErrorCode != "" || !j.Time.Equal(t0) {
		t.Errorf("journal entry %+v", j)
	}
	e.do("GET", "/fake/items", "00Dxx0000000001!not-a-token")
	if j := e.last(); j.Username != "" || j.OrgID != "" || j.Status != 401 || j.ErrorCode != "NO_SESSION" {
		t.Errorf("a bad token's entry %+v", j)
	}
	e.do("POST", "/soap/call", e.token, "X-Operation", "query")
	if j := e.last(); j.Surface != wire.SurfaceSOAP || j.Operation != "query" || j.Username != "sender@acme.example" {
		t.Errorf("a SOAP-style entry %+v", j)
	}
	e.do("POST", "/soap/call", e.token, "X-Broken-Envelope", "1")
	if j := e.last(); j.Status != 400 || j.ErrorCode != "BROKEN_ENVELOPE" || j.Username != "" {
		t.Errorf("a credentials error's entry %+v", j)
	}
}

func TestAValidTokenRenewsTheSession(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	// Each call comes within the 2h inactivity timeout of the one before,
	// 5h in all: only renewal keeps the session alive.
	for i := range 5 {
		if _, err := e.clock.Advance(90 * time.Minute); err != nil {
			t.Fatal(err)
		}
		got := e.do("GET", "/fake/items", e.token)
		if got.status != 200 || got.body["user"] != "sender@acme.example" || got.body["org"] != "Acme" {
			t.Fatalf("call %d after %s: %d %v", i, time.Duration(i+1)*90*time.Minute, got.status, got.body)
		}
	}
	if s := e.store.Sessions.Peek(e.token); s == nil || !s.LastUsed().Equal(e.clock.Now()) {
		t.Errorf("session after the calls: %+v, want last used at %s", s, e.clock.Now())
	}
	if _, err := e.clock.Advance(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := e.do("GET", "/fake/items", e.token); got.status != 401 || got.code != "NO_SESSION" {
		t.Errorf("after 2h idle: %d %s, want 401 NO_SESSION", got.status, got.code)
	}
}

func TestFaultMatching(t *testing.T) {
	t.Parallel()
	type req struct {
		method, path string
		other        bool   // as sender@other
		op           string // X-Operation
	}
	fault := func(f wire.Fault) wire.Fault {
		f.Status, f.ErrorCode, f.Message = 503, "SERVER_UNAVAILABLE", "down for the test"
		return f
	}
	for _, tt := range []struct {
		name   string
		fault  func(e *testEnv) wire.Fault
		hit    []req
		notHit []req
	}{
		{
			name:   "no surface means rest, every path and method",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{}) },
			hit:    []req{{method: "GET", path: "/fake/items"}, {method: "POST", path: "/fake/items"}, {method: "GET", path: "/fake/nothing"}, {method: "GET", path: "/fake/public"}},
			notHit: []req{{method: "GET", path: "/soap/items"}, {method: "GET", path: "/quiet/items"}},
		},
		{
			name:   "by surface",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Surface: wire.SurfaceOAuth}) },
			hit:    []req{{method: "GET", path: "/quiet/items"}},
			notHit: []req{{method: "GET", path: "/fake/items"}, {method: "GET", path: "/soap/items"}},
		},
		{
			name:   "by org name, any case",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Org: "aCME"}) },
			hit:    []req{{method: "GET", path: "/fake/items"}},
			notHit: []req{{method: "GET", path: "/fake/items", other: true}},
		},
		{
			name:   "by 18-character org id",
			fault:  func(e *testEnv) wire.Fault { return fault(wire.Fault{Org: string(e.acme.ID)}) },
			hit:    []req{{method: "GET", path: "/fake/items"}},
			notHit: []req{{method: "GET", path: "/fake/items", other: true}},
		},
		{
			name:   "by 15-character org id",
			fault:  func(e *testEnv) wire.Fault { return fault(wire.Fault{Org: e.acme.ID.Short()}) },
			hit:    []req{{method: "GET", path: "/fake/items"}},
			notHit: []req{{method: "GET", path: "/fake/items", other: true}},
		},
		{
			name:   "a fault for another org does not hit",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Org: "Other"}) },
			hit:    []req{{method: "GET", path: "/fake/items", other: true}},
			notHit: []req{{method: "GET", path: "/fake/items"}, {method: "GET", path: "/fake/public"}},
		},
		{
			name:   "by method, any case",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Method: "post"}) },
			hit:    []req{{method: "POST", path: "/fake/items"}},
			notHit: []req{{method: "GET", path: "/fake/items"}},
		},
		{
			name:   "by path prefix inside the surface, any case",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Path: "/Items/7"}) },
			hit:    []req{{method: "GET", path: "/fake/items/7"}, {method: "GET", path: "/fake/items/7/notes"}, {method: "GET", path: "/fake/items/77"}},
			notHit: []req{{method: "GET", path: "/fake/items/8"}, {method: "GET", path: "/fake/items"}},
		},
		{
			name:   "by route pattern",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Path: "/items/{id}"}) },
			hit:    []req{{method: "GET", path: "/fake/items/7"}, {method: "DELETE", path: "/fake/items/8"}},
			notHit: []req{{method: "GET", path: "/fake/items/7/notes"}, {method: "GET", path: "/fake/items"}},
		},
		{
			name:   "by operation, any case",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Surface: wire.SurfaceSOAP, Operation: "Create"}) },
			hit:    []req{{method: "POST", path: "/soap/call", op: "create"}},
			notHit: []req{{method: "POST", path: "/soap/call", op: "query"}, {method: "POST", path: "/soap/call"}},
		},
		{
			name:   "every condition must hold",
			fault:  func(*testEnv) wire.Fault { return fault(wire.Fault{Org: "Acme", Method: "GET", Path: "/items"}) },
			hit:    []req{{method: "GET", path: "/fake/items/1"}},
			notHit: []req{{method: "POST", path: "/fake/items"}, {method: "GET", path: "/fake/items", other: true}, {method: "GET", path: "/fake/public"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			f := e.addFault(tt.fault(e))
			send := func(r req) answer {
				token := e.token
				if r.other {
					token = e.otherT
				}
				return e.do(r.method, r.path, token, "X-Operation", r.op)
			}
			for _, r := range tt.hit {
				got := send(r)
				if got.status != 503 || got.code != "SERVER_UNAVAILABLE" || got.msg != "down for the test" {
					t.Errorf("%+v: %d %s %q, want the fault's 503", r, got.status, got.code, got.msg)
				}
				if j := e.last(); j.Status != 503 || j.ErrorCode != "SERVER_UNAVAILABLE" || j.Fault != fmt.Sprintf("fault %d: 503 SERVER_UNAVAILABLE", f.ID) {
					t.Errorf("%+v: journal %+v", r, j)
				}
			}
			for _, r := range tt.notHit {
				if got := send(r); got.status == 503 {
					t.Errorf("%+v: the fault hit", r)
				}
				if j := e.last(); j.Fault != "" {
					t.Errorf("%+v: journal names %q", r, j.Fault)
				}
			}
			if list := e.gw.Faults().List(); len(list) != 1 || list[0].Hits != len(tt.hit) {
				t.Errorf("faults after: %+v, want one with %d hits", list, len(tt.hit))
			}
		})
	}
}

func TestFaultTimesRemovesItAfterNHits(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.addFault(wire.Fault{ErrorCode: "REQUEST_LIMIT_EXCEEDED", Times: 2})
	var statuses []int
	for range 4 {
		statuses = append(statuses, e.do("GET", "/fake/items", e.token).status)
	}
	if want := []int{403, 403, 200, 200}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if list := e.gw.Faults().List(); len(list) != 0 {
		t.Errorf("faults left: %+v", list)
	}
}

func TestFaultBeforeAdmitIsNotHit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.addFault(wire.Fault{ErrorCode: "SERVER_UNAVAILABLE"})
	if got := e.do("GET", "/fake/v0/items", e.token); got.code != "UNSUPPORTED_VERSION" {
		t.Errorf("got %d %s, want Admit's UNSUPPORTED_VERSION", got.status, got.code)
	}
	if list := e.gw.Faults().List(); list[0].Hits != 0 {
		t.Errorf("fault hit by a request Admit refused: %+v", list[0])
	}
}

func TestFaultExpireSession(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	f := e.addFault(wire.Fault{ExpireSession: true, Times: 1})
	got := e.do("GET", "/fake/items", e.token)
	if got.status != 401 || got.code != "NO_SESSION" {
		t.Errorf("got %d %s, want the surface's NoSession", got.status, got.code)
	}
	if j := e.last(); j.ErrorCode != "NO_SESSION" || j.Fault != fmt.Sprintf("fault %d: session expired", f.ID) {
		t.Errorf("journal %+v", j)
	}
	if e.store.Sessions.Peek(e.token) != nil {
		t.Error("the session is still live")
	}
	// The fault is spent; the session stays gone.
	if got := e.do("GET", "/fake/items", e.token); got.status != 401 {
		t.Errorf("next call: %d, want 401", got.status)
	}
	if got := e.do("GET", "/fake/items", e.otherT); got.status != 200 {
		t.Errorf("another session: %d, want 200", got.status)
	}
}

func TestFaultExpireSessionOnAPublicRoute(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.addFault(wire.Fault{ExpireSession: true})
	if got := e.do("GET", "/fake/public", e.token); got.status != 200 || got.body["session"] != false {
		t.Errorf("public route: %d %v, want 200 without a session", got.status, got.body)
	}
	if e.store.Sessions.Peek(e.token) != nil {
		t.Error("the session is still live")
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	const d = 5 * time.Millisecond
	f := e.addFault(wire.Fault{Latency: wire.Duration(d)})
	start := time.Now()
	got := e.do("GET", "/fake/items", e.token)
	if elapsed := time.Since(start); elapsed < d {
		t.Errorf("answered after %s, want at least %s", elapsed, d)
	}
	if got.status != 200 {
		t.Errorf("a latency-only fault answered %d", got.status)
	}
	if j := e.last(); j.Fault != fmt.Sprintf("fault %d: latency 5ms", f.ID) {
		t.Errorf("journal fault %q", j.Fault)
	}
}

func TestFaultLatencyEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.addFault(wire.Fault{Latency: wire.Duration(MaxFaultLatency), ErrorCode: "SERVER_UNAVAILABLE"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest("GET", "/fake/items", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+e.token)
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req) // would take a minute if the sleep ignored the context
	if rec.Code != 503 {
		t.Errorf("status %d, want the fault's 503", rec.Code)
	}
}

func TestFaultsAdd(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		fault   wire.Fault
		wantErr string // "" for valid
		want    wire.Fault
	}{
		{name: "an unknown surface", fault: wire.Fault{Surface: "bulk", Status: 500}, wantErr: `surface "bulk"`},
		{name: "an unknown error code without a status", fault: wire.Fault{ErrorCode: "MY_OWN_CODE"}, wantErr: "give a status for error code MY_OWN_CODE"},
		{name: "a status below 400", fault: wire.Fault{Status: 302}, wantErr: "status 302 is not an error status"},
		{name: "a status above 599", fault: wire.Fault{Status: 600}, wantErr: "status 600 is not an error status"},
		{name: "a negative latency", fault: wire.Fault{Latency: wire.Duration(-time.Millisecond)}, wantErr: "latency -1ms is outside"},
		{name: "a latency over a minute", fault: wire.Fault{Latency: wire.Duration(time.Minute + time.Millisecond)}, wantErr: "latency 1m0.001s is outside"},
		{name: "a negative times", fault: wire.Fault{Status: 500, Times: -1}, wantErr: "times -1"},
		{name: "no effect at all", fault: wire.Fault{Path: "/query", Times: 3}, wantErr: "a fault needs a status"},
		{name: "a known code alone gets Salesforce's status and message", fault: wire.Fault{ErrorCode: "REQUEST_LIMIT_EXCEEDED"},
			want: wire.Fault{ID: 1, Surface: "rest", Status: 403, ErrorCode: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded."}},
		{name: "a known code keeps a message of its own", fault: wire.Fault{ErrorCode: "UNABLE_TO_LOCK_ROW", Message: "row locked"},
			want: wire.Fault{ID: 1, Surface: "rest", Status: 400, ErrorCode: "UNABLE_TO_LOCK_ROW", Message: "row locked"}},
		{name: "an unknown code with a status", fault: wire.Fault{Surface: "soap", ErrorCode: "MY_OWN_CODE", Status: 500},
			want: wire.Fault{ID: 1, Surface: "soap", Status: 500, ErrorCode: "MY_OWN_CODE", Message: "sfemu injected fault"}},
		{name: "a status alone is SERVER_UNAVAILABLE", fault: wire.Fault{Status: 503},
			want: wire.Fault{ID: 1, Surface: "rest", Status: 503, ErrorCode: "SERVER_UNAVAILABLE", Message: "Server temporarily unavailable, please try again later."}},
		{name: "latency alone, at the maximum", fault: wire.Fault{Surface: "oauth", Latency: wire.Duration(time.Minute)},
			want: wire.Fault{ID: 1, Surface: "oauth", Latency: wire.Duration(time.Minute)}},
		{name: "expire_session alone", fault: wire.Fault{ExpireSession: true, Times: 1},
			want: wire.Fault{ID: 1, Surface: "rest", ExpireSession: true, Times: 1}},
		{name: "hits given are reset", fault: wire.Fault{Status: 500, Hits: 7, ID: 42},
			want: wire.Fault{ID: 1, Surface: "rest", Status: 500, ErrorCode: "SERVER_UNAVAILABLE", Message: "Server temporarily unavailable, please try again later."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := newFaults()
			got, err := fs.Add(tt.fault)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Add(%+v) = %v, want an error containing %q", tt.fault, err, tt.wantErr)
				}
				if list := fs.List(); len(list) != 0 {
					t.Errorf("a refused fault is active: %+v", list)
				}
				return
			}
			if err != nil {
				t.Fatalf("Add(%+v): %v", tt.fault, err)
			}
			if got != tt.want {
				t.Errorf("Add(%+v) = %+v, want %+v", tt.fault, got, tt.want)
			}
			if list := fs.List(); len(list) != 1 || list[0] != tt.want {
				t.Errorf("List() = %+v", list)
			}
		})
	}
}

func TestFaultsClear(t *testing.T) {
	t.Parallel()
	fs := newFaults()
	a, _ := fs.Add(wire.Fault{Status: 500})
	b, _ := fs.Add(wire.Fault{Status: 502})
	if a.ID == b.ID {
		t.Fatalf("two faults share id %d", a.ID)
	}
	if !fs.Clear(a.ID) || fs.Clear(a.ID) {
		t.Error("Clear(id) should report the fault went, once")
	}
	if list := fs.List(); len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("List() = %+v", list)
	}
	if !fs.Clear(0) || fs.Clear(0) {
		t.Error("Clear(0) should report faults went, once")
	}
}

func TestJournalCountsAPICallsPerOrg(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.do("GET", "/fake/items", e.token)
	e.do("POST", "/soap/call", e.token)
	e.do("GET", "/fake/nothing", e.token)   // a 404 with a session counts
	e.do("GET", "/quiet/items", e.token)    // OAuth-like: does not count
	e.do("GET", "/fake/items", e.otherT)    // another org
	e.do("GET", "/fake/items", "")          // no session: no org
	e.do("GET", "/fake/items", "not-token") // bad token: no org
	if n := e.gw.Journal().CountForOrg(string(e.acme.ID)); n != 3 {
		t.Errorf("Acme's API calls: %d, want 3", n)
	}
	if n := e.gw.Journal().CountForOrg(string(e.other.ID)); n != 1 {
		t.Errorf("Other's API calls: %d, want 1", n)
	}
	if n := len(e.gw.Journal().Entries()); n != 7 {
		t.Errorf("journal holds %d entries, want all 7", n)
	}
	// APIUsage counts the call being answered.
	got := e.do("GET", "/fake/items", e.token)
	if got.body["used"] != 4.0 || got.header.Get("X-Usage") != fmt.Sprintf("4/%d", DailyAPIRequests) {
		t.Errorf("usage seen: %v, header %q, want 4", got.body["used"], got.header.Get("X-Usage"))
	}
	got = e.do("GET", "/quiet/items", e.token)
	if got.body["used"] != 5.0 {
		t.Errorf("usage seen by a non-counting call: %v, want 5 (4 counted + itself)", got.body["used"])
	}
	if n := e.gw.Journal().CountForOrg(string(e.acme.ID)); n != 4 {
		t.Errorf("Acme's API calls: %d, want 4", n)
	}
	if got := e.do("GET", "/fake/public", ""); got.header.Get("X-Usage") != "" {
		t.Errorf("an answer without a session is decorated: %q", got.header.Get("X-Usage"))
	}
}

func TestJournalIsBounded(t *testing.T) {
	t.Parallel()
	j := newJournal(3, 0, nil)
	for i := range 5 {
		j.add(&wire.APIRequest{Path: fmt.Sprint(i), OrgID: "00D"}, true, nil)
	}
	var paths []string
	for _, e := range j.Entries() {
		paths = append(paths, e.Path)
	}
	if !slices.Equal(paths, []string{"2", "3", "4"}) || j.CountForOrg("00D") != 5 {
		t.Errorf("entries %v, count %d", paths, j.CountForOrg("00D"))
	}
}

// TestJournalEntriesAreBoundedByBytes: the journal's 10,000 entries are
// bounded by their strings' bytes too. Before, each request without
// credentials and with a 1 MB query string kept the megabyte: 150 of them
// grew the heap by 150 MB. Now each kept string is at most 2 KiB and says
// how much was cut.
func TestJournalEntriesAreBoundedByBytes(t *testing.T) {
	e := newTestEnv(t)
	huge := strings.Repeat("q", 1<<20)
	before := heapAlloc()
	for range 150 {
		req := httptest.NewRequest(http.MethodGet, restish.prefix+"/"+strings.Repeat("p", 1<<20)+"?q="+huge, nil)
		e.router.ServeHTTP(httptest.NewRecorder(), req)
	}
	grew := int64(heapAlloc()) - int64(before)
	if grew > 20<<20 {
		t.Errorf("150 requests with 1 MB paths and queries grew the heap by %d MB", grew>>20)
	}
	last := e.last()
	for what, s := range map[string]string{"path": last.Path, "query": last.Query} {
		if len(s) > redact.MaxKept+32 || !strings.HasSuffix(s, "…[cut "+fmt.Sprint(len(huge)+2-redact.MaxKept)+" bytes]") && what == "query" {
			t.Errorf("%s kept as %d bytes ending %q", what, len(s), s[max(0, len(s)-30):])
		}
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestJournalKeepsTheLatestBodiesWithoutCredentials(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	post := func(prefix, body string) wire.APIRequest {
		req := httptest.NewRequest(http.MethodPost, prefix+"/body", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("Content-Type", "application/json")
		e.router.ServeHTTP(httptest.NewRecorder(), req)
		return e.last()
	}
	rest := post(restish.prefix, `{"Name":"Edge","NewPassword":"s3cret"}`)
	if rest.ID != 1 {
		t.Errorf("first entry numbered %d, want 1", rest.ID)
	}
	ex, ok := e.gw.Journal().Exchange(rest.ID)
	if !ok || !ex.BodiesKept || ex.Status != http.StatusCreated {
		t.Fatalf("Exchange(%d) = %+v, %v", rest.ID, ex, ok)
	}
	for what, got := range map[string]string{"request": ex.RequestBody, "response": ex.ResponseBody} {
		if got != `{"Name":"Edge","NewPassword":"(redacted)"}` {
			t.Errorf("%s body kept as %s", what, got)
		}
	}
	if got := ex.RequestHeaders["Authorization"]; len(got) != 1 || got[0] != "(redacted)" {
		t.Errorf("Authorization kept as %q", got)
	}
	if got := ex.ResponseHeaders["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("response Content-Type kept as %q", got)
	}
	oauth := post(oauthish.prefix, `{"x":"grant_type=password&password=pw"}`)
	if ex, _ := e.gw.Journal().Exchange(oauth.ID); ex.RequestBody != "" || ex.ResponseBody != "" || !ex.BodiesKept {
		t.Errorf("the OAuth surface's bodies are kept: %+v", ex)
	}
	if _, ok := e.gw.Journal().Exchange(99); ok {
		t.Error("Exchange of an id never given found something")
	}
}

func TestJournalDropsOldBodiesFirst(t *testing.T) {
	t.Parallel()
	j := newJournal(3, 2, nil)
	for i := range 5 {
		j.add(&wire.APIRequest{Path: fmt.Sprint(i)}, false, &wire.APIExchange{RequestBody: fmt.Sprint("body ", i)})
	}
	for _, tc := range []struct {
		id         int64
		found      bool
		bodiesKept bool
	}{{1, false, false}, {2, false, false}, {3, true, false}, {4, true, true}, {5, true, true}} {
		ex, ok := j.Exchange(tc.id)
		if ok != tc.found || ex.BodiesKept != tc.bodiesKept {
			t.Errorf("Exchange(%d): found %v, bodies kept %v; want %v, %v", tc.id, ok, ex.BodiesKept, tc.found, tc.bodiesKept)
		}
		if ok && ex.Path != fmt.Sprint(tc.id-1) || tc.bodiesKept && ex.RequestBody != fmt.Sprint("body ", tc.id-1) {
			t.Errorf("Exchange(%d) = %+v", tc.id, ex)
		}
	}
}

func TestClipCutsOnARuneBoundary(t *testing.T) {
	t.Parallel()
	if got := clip([]byte("héllo"), 2); got != "h… (6 bytes)" {
		t.Errorf("clip = %q", got)
	}
	if got := clip([]byte("abc"), 3); got != "abc" {
		t.Errorf("clip = %q", got)
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// infinite is an endless stream of one byte.
type infinite byte

func (b infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bodyCall is a call whose request has body (length -1: undeclared).
func bodyCall(body io.Reader, length int64, encoding string) (*Call, *countingReader) {
	cr := &countingReader{r: body}
	req := httptest.NewRequest("POST", "/fake/items", nil)
	req.Body = io.NopCloser(cr)
	req.ContentLength = length
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	return &Call{Request: req}, cr
}

func TestBody(t *testing.T) {
	t.Parallel()
	const limit = 1000
	plain := bytes.Repeat([]byte("x"), limit)
	random := make([]byte, 600)
	_, _ = rand.Read(random)
	truncated := gzipped(t, plain)
	truncated = truncated[:len(truncated)-5]
	badChecksum := gzipped(t, []byte(`{"Name":"Acme"}`))
	badChecksum[len(badChecksum)-8] ^= 0xff
	for _, tt := range []struct {
		name     string
		body     io.Reader
		length   int64 // declared; -1: undeclared
		encoding string
		want     []byte
		tooLarge bool
		errHas   string // the *BodyError's text contains
		maxRead  int64  // at most this many bytes read (0: no check)
		unread   bool   // refused without reading the body
	}{
		{name: "a plain body within the limit", body: bytes.NewReader(plain), length: limit, want: plain},
		{name: "a plain body within the limit, undeclared", body: bytes.NewReader(plain), length: -1, want: plain},
		{name: "identity is plain", body: bytes.NewReader(plain[:10]), length: 10, encoding: "Identity", want: plain[:10]},
		{name: "an empty body", body: bytes.NewReader(nil), length: 0, want: []byte{}},
		{name: "a declared length over the limit is refused unread", body: infinite('x'), length: limit + 1, tooLarge: true, unread: true},
		{name: "an undeclared body over the limit reads limit+1 bytes", body: infinite('x'), length: -1, tooLarge: true, maxRead: limit + 1},
		{name: "a body longer than it declared is cut at limit+1", body: infinite('x'), length: 10, tooLarge: true, maxRead: limit + 1},
		{name: "gzip is decompressed", body: bytes.NewReader(gzipped(t, plain)), length: -1, encoding: "gzip", want: plain},
		{name: "x-gzip, any case, is gzip", body: bytes.NewReader(gzipped(t, random)), length: -1, encoding: " X-GZIP ", want: random},
		{name: "gzip expanding past the limit is too large", body: bytes.NewReader(gzipped(t, append(plain, 'x'))), length: -1, encoding: "gzip", tooLarge: true},
		{name: "a declared length over the limit does not matter for gzip", body: bytes.NewReader(gzipped(t, plain)), length: 5 * limit, encoding: "gzip", want: plain},
		{name: "corrupt gzip names gzip", body: strings.NewReader("this is not gzip"), length: -1, encoding: "gzip", errHas: "Content-Encoding gzip"},
		{name: "truncated gzip names gzip", body: bytes.NewReader(truncated), length: -1, encoding: "gzip", errHas: "Content-Encoding gzip"},
		{name: "gzip with a bad checksum names gzip", body: bytes.NewReader(badChecksum), length: -1, encoding: "gzip", errHas: "Content-Encoding gzip"},
		{name: "an unknown encoding is named", body: strings.NewReader("..."), length: 3, encoding: "br", errHas: `Content-Encoding "br" is not supported`, unread: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, cr := bodyCall(tt.body, tt.length, tt.encoding)
			got, err := c.Body(limit)
			var be *BodyError
			switch {
			case tt.tooLarge || tt.errHas != "":
				if !errors.As(err, &be) {
					t.Fatalf("Body() = %d bytes, %v; want a *BodyError", len(got), err)
				}
				if be.TooLarge != tt.tooLarge || !strings.Contains(be.Error(), tt.errHas) {
					t.Errorf("error %q (TooLarge %v), want TooLarge %v containing %q", be, be.TooLarge, tt.tooLarge, tt.errHas)
				}
				if be.TooLarge && (be.Limit != limit || be.Error() != "request body over 1000 bytes") {
					t.Errorf("error %q, limit %d", be, be.Limit)
				}
				if got != nil {
					t.Errorf("a refused body returned %d bytes", len(got))
				}
			default:
				if err != nil {
					t.Fatalf("Body(): %v", err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Errorf("Body() = %d bytes %.20q…, want %d bytes", len(got), got, len(tt.want))
				}
			}
			if tt.maxRead > 0 && cr.n > tt.maxRead {
				t.Errorf("read %d bytes of the body, want at most %d", cr.n, tt.maxRead)
			}
			if tt.unread && cr.n > 0 {
				t.Errorf("read %d bytes of a body refused unread", cr.n)
			}
		})
	}
}

func TestBodyWithoutBody(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/fake/items", nil)
	req.Body = nil
	c := &Call{Request: req}
	if got, err := c.Body(10); got != nil || err != nil {
		t.Errorf("Body() = %q, %v", got, err)
	}
}

func TestBodyReadTwiceReturnsTheSameBytes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, encoding string
		body           []byte
	}{
		{"plain", "", []byte(`{"Name":"Acme"}`)},
		{"gzip", "gzip", gzipped(t, []byte(`{"Name":"Acme"}`))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, cr := bodyCall(bytes.NewReader(tt.body), -1, tt.encoding)
			first, err1 := c.Body(100)
			read := cr.n
			second, err2 := c.Body(100)
			if err1 != nil || err2 != nil || string(first) != `{"Name":"Acme"}` || !bytes.Equal(first, second) {
				t.Errorf("first %q %v, second %q %v", first, err1, second, err2)
			}
			if cr.n != read {
				t.Errorf("the second Body read %d more bytes", cr.n-read)
			}
		})
	}
	// An error is remembered too.
	c, _ := bodyCall(infinite('x'), -1, "")
	_, err1 := c.Body(10)
	_, err2 := c.Body(1 << 20)
	if err1 == nil || err1 != err2 {
		t.Errorf("first %v, second %v: want the same error", err1, err2)
	}
}

// TestBodyGzipBomb is not parallel: it measures the process's allocations.
func TestBodyGzipBomb(t *testing.T) {
	const limit = 1 << 20
	const expanded = 100 << 20
	// 100 gzip members of 1 MB of zeros each: a gzip reader reads
	// concatenated members as one stream (and this is quick to build).
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := io.CopyN(zw, infinite(0), 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bomb := bytes.Repeat(member.Bytes(), expanded>>20)
	t.Logf("%d MB of zeros compress to %d bytes", expanded>>20, len(bomb))
	c, cr := bodyCall(bytes.NewReader(bomb), int64(len(bomb)), "gzip")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := c.Body(limit)
	runtime.ReadMemStats(&after)
	var be *BodyError
	if !errors.As(err, &be) || !be.TooLarge {
		t.Fatalf("Body() = %d bytes, %v; want TooLarge", len(got), err)
	}
	// io.ReadAll doubles its buffer up to limit+1: a few times the limit, far
	// from the 100 MB the bomb expands to.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit {
		t.Errorf("reading the bomb allocated %d MB", alloc>>20)
	}
	if cr.n > limit+1 {
		t.Errorf("read %d compressed bytes, want at most limit+1", cr.n)
	}
}

// A plain body the client cut short (its Content-Length promised more) is
// not a gzip problem.
func TestBodyTruncatedPlainBodyIsNotBlamedOnGzip(t *testing.T) {
	t.Parallel()
	c, _ := bodyCall(io.MultiReader(strings.NewReader("{\"Na"), errReader{io.ErrUnexpectedEOF}), 100, "")
	_, err := c.Body(1000)
	var be *BodyError
	if !errors.As(err, &be) || be.TooLarge {
		t.Fatalf("Body() error %v, want a *BodyError", err)
	}
	if strings.Contains(be.Error(), "gzip") {
		t.Errorf("a truncated plain (not compressed) body is reported as %q (readBody maps every io.ErrUnexpectedEOF to a gzip error)", be)
	}
}

// A gzip body that expands to no more than the limit is accepted even when
// its compressed form is a little longer (incompressible data).
func TestBodyIncompressibleGzipWithinTheLimit(t *testing.T) {
	t.Parallel()
	const limit = 4096
	data := make([]byte, limit)
	_, _ = rand.Read(data)
	z := gzipped(t, data)
	if len(z) <= limit+1 {
		t.Fatalf("compressed random data is %d bytes; the test wants more than %d", len(z), limit+1)
	}
	c, _ := bodyCall(bytes.NewReader(z), int64(len(z)), "gzip")
	got, err := c.Body(limit)
	if err != nil {
		t.Errorf("a gzip body expanding to exactly the %d-byte limit (compressed: %d bytes) is refused with %q: readBody caps the compressed input at limit+1 bytes, so the gzip trailer is cut off", limit, len(z), err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("Body() = %d bytes, want the %d sent", len(got), len(data))
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

var fuzzEncodings = []string{"", "identity", "gzip", "GZIP", "x-gzip", " gzip ", "br", "deflate", "gzip, br"}

func FuzzReadBody(f *testing.F) {
	f.Add([]byte(`{"Name":"Acme"}`), uint8(0), false, uint16(100), false)
	f.Add([]byte(`{"Name":"Acme"}`), uint8(2), true, uint16(100), true)
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), uint8(2), false, uint16(10), false)
	f.Add(bytes.Repeat([]byte{0}, 5000), uint8(4), true, uint16(64), false)
	f.Add([]byte{}, uint8(6), false, uint16(0), false)
	f.Fuzz(func(t *testing.T, body []byte, enc uint8, compress bool, limit16 uint16, declare bool) {
		limit := int64(limit16 % 8192)
		encoding := fuzzEncodings[int(enc)%len(fuzzEncodings)]
		isGzip := strings.Contains(strings.ToLower(encoding), "gzip") && !strings.Contains(encoding, ",")
		isDeflate := strings.EqualFold(strings.TrimSpace(encoding), "deflate")
		sent := body
		switch {
		case compress && isGzip:
			sent = gzipped(t, body)
		case compress && isDeflate:
			sent = zlibbed(t, body)
		}
		length := int64(-1)
		if declare {
			length = int64(len(sent))
		}
		c, cr := bodyCall(bytes.NewReader(sent), length, encoding)
		got, err := c.Body(limit)
		if int64(len(got)) > limit {
			t.Fatalf("Body(%d) returned %d bytes", limit, len(got))
		}
		// A compressed stream is read up to twice the limit and 64 KB
		// (incompressible data grows a little); a plain one to limit+1.
		maxRead := limit + 1
		if isGzip || isDeflate {
			maxRead = 2*limit + 64<<10
		}
		if cr.n > maxRead {
			t.Fatalf("Body(%d) read %d bytes of the request", limit, cr.n)
		}
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %T %v, want a *BodyError", err, err)
			}
			if got != nil {
				t.Fatalf("an error with %d bytes", len(got))
			}
			_ = be.Error()
		}
		// What is sent plainly, or compressed within the limit, comes back.
		fits := int64(len(body)) <= limit
		switch {
		case (encoding == "" || encoding == "identity") && fits:
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("plain body of %d bytes (limit %d): %d bytes, %v", len(body), limit, len(got), err)
			}
		case (isGzip || isDeflate) && compress && fits && int64(len(sent)) <= limit:
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("gzip body of %d bytes (limit %d): %d bytes, %v", len(body), limit, len(got), err)
			}
		case (isGzip || isDeflate) && compress && !fits:
			var be *BodyError
			if !errors.As(err, &be) || !be.TooLarge && int64(len(sent)) <= limit {
				t.Fatalf("gzip body of %d bytes over the limit %d: %v", len(body), limit, err)
			}
		}
	})
}
