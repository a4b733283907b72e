// Package gateway is what every API surface of the emulator shares: the
// pipeline a request goes through before and after its handler — the
// session behind its credentials, injected faults, the request journal,
// the org's API usage — and the route mounting that gives each URL prefix
// its own 404 and 405 answers.
//
// Handlers return values, as fake-gcs-server's do: func(*Call) (Response,
// error). One Encode per surface turns an error into that surface's wire
// format (REST's JSON error array, a SOAP fault, OAuth's error object), so
// a handler never writes an error itself and a fault injected on any
// surface looks like that surface's own failure.
//
// It owns no surface's behaviour: the REST, SOAP and OAuth packages
// implement Surface and provide the routes.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// Surface is one API family's conventions.
type Surface interface {
	// Name is how the journal and faults name the surface (wire.SurfaceREST…).
	Name() string
	// CountsAPI reports whether the surface's calls count toward the org's
	// DailyApiRequests (REST and SOAP do; OAuth does not).
	CountsAPI() bool
	// Credentials returns the call's session token ("" for none). It may
	// read what the surface needs first (SOAP parses its envelope here,
	// the session being in its header); an error is answered at once.
	Credentials(c *Call) (token string, err error)
	// Admit runs once the session is known, before faults and before a
	// missing session is refused: the API version checks.
	Admit(c *Call) error
	// Encode answers err in the surface's format.
	Encode(c *Call, err error) Response
	// NoSession is the error of a call that needs a session and has none.
	NoSession(c *Call) error
	// NotFound is the error for a path under the surface's prefix that
	// names no resource.
	NotFound(c *Call) error
	// MethodNotAllowed is the error for a resource asked with a method it
	// does not take; allowed lists the ones it does.
	MethodNotAllowed(c *Call, allowed []string) error
	// FaultError is the error a matched fault answers with.
	FaultError(c *Call, f wire.Fault) error
}

// Decorator is a Surface that adds to every answer given with a session
// (REST's Sforce-Limit-Info header).
type Decorator interface {
	Decorate(c *Call, resp *Response)
}

// APIGate is a Surface whose non-public calls need API access: an org
// whose edition (or add-on) has the API, and a user with "API Enabled".
// APIDisabled is its refusal, in the surface's format.
type APIGate interface {
	APIDisabled(c *Call, why org.APIDenial) error
}

// Handler serves one resource.
type Handler func(c *Call) (Response, error)

// Route is one resource of a surface.
type Route struct {
	Methods []string
	// Path is a route template (route.Compile) relative to the mount prefix.
	Path    string
	Handler Handler
	// Public routes answer without a session (the version list, the token
	// endpoint); the handler sees Call.Session nil then.
	Public bool
	// Surface overrides the mount's surface for this route (Bulk API
	// routes live under /services/data but speak their own format).
	Surface Surface
}

// Config configures a Gateway.
type Config struct {
	Store *org.Store
	// BaseURL is the emulator's public base URL as seen from a request.
	BaseURL func(r *http.Request) string
	Logger  *slog.Logger
	// JournalSize bounds the request journal (default DefaultJournalSize).
	JournalSize int
	// BodiesKept is how many of the latest requests keep their bodies
	// (default DefaultBodiesKept); BodyBytes clips each body (default
	// DefaultBodyBytes; negative: keep no headers or bodies).
	BodiesKept, BodyBytes int
	// OnJournal, when set, is called after each request is journaled.
	OnJournal func(wire.APIRequest)
	// TrustForwardedFor takes a client's address from X-Forwarded-For (its
	// first entry) instead of the TCP peer. Off unless explicitly asked for.
	TrustForwardedFor bool
}

// Gateway runs the shared pipeline for every surface over one org store.
type Gateway struct {
	cfg     Config
	store   *org.Store
	journal *Journal
	faults  *Faults
	log     *slog.Logger
}

// New returns a Gateway.
func New(cfg Config) *Gateway {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Gateway{cfg: cfg, store: cfg.Store, journal: newJournal(cfg.JournalSize, cfg.BodiesKept, cfg.OnJournal), faults: newFaults(), log: cfg.Logger}
}

// Journal is the request journal of every surface.
func (g *Gateway) Journal() *Journal { return g.journal }

// Faults are the injected faults of every surface.
func (g *Gateway) Faults() *Faults { return g.faults }

// Mount serves prefix: each route under it, and the prefix's own 404 and
// 405 answers in s's format, all through the pipeline (so a request for a
// resource that does not exist is journaled and can be faulted too).
func (g *Gateway) Mount(r *route.Router, prefix string, s Surface, routes []Route) {
	sub := r.Mount(prefix)
	for _, rt := range routes {
		surface := s
		if rt.Surface != nil {
			surface = rt.Surface
		}
		methods := rt.Methods
		if slices.Contains(methods, http.MethodGet) && !slices.Contains(methods, http.MethodHead) {
			// A 405 lists HEAD wherever GET is allowed, as Salesforce's does;
			// so HEAD is served there (net/http drops the body).
			methods = append(slices.Clone(methods), http.MethodHead)
		}
		sub.Handle(methods, rt.Path, g.Serve(surface, rt))
	}
	sub.Unmatched = g.Serve(s, Route{Public: true, Handler: func(c *Call) (Response, error) {
		if allowed := sub.Allowed(c.Request.URL.Path); len(allowed) > 0 {
			return Response{}, s.MethodNotAllowed(c, allowed)
		}
		return Response{}, s.NotFound(c)
	}})
}

// Serve serves one route of s through the pipeline.
func (g *Gateway) Serve(s Surface, rt Route) route.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, vars route.Vars) {
		now := g.store.Clock.Now()
		c := &Call{Request: r, Surface: s, Route: rt.Path, Vars: vars, Now: now, g: g,
			Entry: wire.APIRequest{Time: now, Surface: s.Name(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}}
		if g.cfg.BaseURL != nil {
			c.BaseURL = g.cfg.BaseURL(r)
		}
		resp := g.run(c, s, rt)
		ex := g.exchange(c, resp)
		release := resp.Release
		resp = compressed(r, resp)
		resp.write(w)
		if release != nil {
			release()
		}
		c.Entry.Status = resp.Status
		keepEntry(&c.Entry, len(r.RequestURI))
		g.journal.add(&c.Entry, s.CountsAPI(), ex)
		if !g.log.Enabled(r.Context(), slog.LevelInfo) {
			return // the arguments alone would cost three allocations per request
		}
		g.log.Info("api request", "surface", c.Entry.Surface, "method", r.Method, "path", c.Entry.Path,
			"operation", c.Entry.Operation, "status", resp.Status, "user", c.Entry.Username, "error", c.Entry.ErrorCode)
	}
}

func (g *Gateway) run(c *Call, s Surface, rt Route) Response {
	token, err := s.Credentials(c)
	if err != nil {
		return g.fail(c, err)
	}
	if token != "" {
		// One lookup validates and renews the session, as every API call does.
		c.token = token
		if c.Session = g.store.Sessions.Use(token); c.Session != nil {
			c.Org = c.Session.User.Org
			c.Entry.Username, c.Entry.OrgID = c.Session.User.Username, string(c.Org.ID)
		}
	}
	if err := s.Admit(c); err != nil {
		return g.fail(c, err)
	}
	if f := g.faults.match(c); f != nil {
		c.Entry.Fault = describe(f)
		if f.Latency > 0 {
			sleep(c.Request.Context(), f.Latency.D())
		}
		if f.ExpireSession && c.Session != nil {
			g.store.Sessions.Revoke(token, "ended by fault "+c.Entry.Fault+" (expire_session)")
			c.Session = nil
		}
		if f.Status != 0 {
			return g.fail(c, s.FaultError(c, *f))
		}
	}
	if !rt.Public && c.Session == nil {
		c.Entry.Reason = g.whyNoSession(c, token)
		return g.fail(c, s.NoSession(c))
	}
	if gate, ok := s.(APIGate); ok && !rt.Public {
		// Token issuance succeeds for such a user; the API call is what
		// fails (docs/FIXTURES.md, "API access").
		if why := c.Org.APIDenied(c.Session.User); why != org.APIAllowed {
			c.Entry.Reason = c.Org.APIDenialReason(c.Session.User, why)
			return g.fail(c, gate.APIDisabled(c, why))
		}
	}
	resp, err := rt.Handler(c)
	if err != nil {
		return g.fail(c, err)
	}
	if d, ok := s.(Decorator); ok && c.Session != nil {
		d.Decorate(c, &resp)
	}
	return resp
}

// whyNoSession is the journal's reason for a call without a live session:
// how its session ended, when sfemu remembers; the user it belonged to
// goes in the entry's Username, so the call is found under that user.
func (g *Gateway) whyNoSession(c *Call, token string) string {
	if token == "" {
		return "no session ID: the request has no Authorization header (REST) or sessionId (SOAP)"
	}
	e, ok := g.store.Sessions.Why(token)
	if !ok {
		return "no session has this ID: it was never issued by this emulator, or ended before its last reset or restart"
	}
	c.Entry.Username = e.Username
	who := "the session of " + e.Username
	if e.App != "" {
		who += " (app " + e.App + ")"
	}
	return fmt.Sprintf("%s ended at %s: %s", who, e.At.UTC().Format("2006-01-02 15:04:05 UTC"), e.Cause)
}

// fail answers err in the call's surface format, noting its code.
func (g *Gateway) fail(c *Call, err error) Response {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		c.Entry.ErrorCode = coded.ErrorCode()
	}
	return c.Surface.Encode(c, err)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Call is one request on its way through the pipeline.
type Call struct {
	Request *http.Request
	Surface Surface
	// Route is the matched route's pattern ("/query", "/sobjects/{object}"),
	// empty for a path that matched none.
	Route string
	// Vars are the matched route's path variables.
	Vars route.Vars
	// Session and Org are the caller's, nil without a valid session.
	Session *org.Session
	Org     *org.Org
	// Now is the emulator's clock when the request arrived.
	Now time.Time
	// BaseURL is the emulator's public base URL as seen from this request.
	BaseURL string
	// RelPath is the path inside the surface, for fault matching: the
	// surface sets it (after /services/data/vNN.N for REST).
	RelPath string
	// Entry is the journal entry; surfaces fill Operation and APIVersion.
	Entry wire.APIRequest
	// State is the surface's own parsed request (SOAP's envelope).
	State any

	g     *Gateway
	token string
	body  []byte
	read  bool
	bErr  error
}

// Var is a path variable of the matched route.
func (c *Call) Var(name string) string { return c.Vars.Get(name) }

// Token is the credential the call presented ("" for none), valid or not.
func (c *Call) Token() string { return c.token }

// DefaultOrg is the org a call without a session is judged by: the first
// org, so a single-org fixture decides every answer.
func (c *Call) DefaultOrg() *org.Org {
	if c.Org != nil {
		return c.Org
	}
	if orgs := c.g.store.Orgs(); len(orgs) > 0 {
		return orgs[0]
	}
	return nil
}

// Store is the org store the call runs against.
func (c *Call) Store() *org.Store { return c.g.store }

// APIUsage is the org's API calls so far, this one included, and the
// daily limit sfemu reports.
func (c *Call) APIUsage() (used, limit int) {
	if c.Org == nil {
		return 0, DailyAPIRequests
	}
	return c.g.journal.CountForOrg(string(c.Org.ID)) + 1, DailyAPIRequests
}

// DailyAPIRequests is the DailyApiRequests limit sfemu reports.
const DailyAPIRequests = 100000

// PeerAddr is the client's address: the TCP peer, or the first
// X-Forwarded-For entry when that header is trusted. (An org's configured
// client IP, org.Store.ClientIP, may stand in for it.)
func (c *Call) PeerAddr() netip.Addr {
	r := c.Request
	if c.g.cfg.TrustForwardedFor {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return a.Unmap()
			}
		}
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		return a.Unmap()
	}
	return netip.IPv4Unspecified()
}

// String names the call for messages: "GET /services/data/v66.0/query".
func (c *Call) String() string { return fmt.Sprintf("%s %s", c.Request.Method, c.Request.URL.Path) }
