// Package emulator is the fake Salesforce as one http.Handler: the OAuth
// endpoints and the identity URL, the REST API, the outbound-message
// sender, and the control API under /_sfemu/, over orgs loaded from
// fixtures, on a real or virtual clock.
//
// It is the composition root, the only package that knows all the others:
// it loads fixtures into an org.Store, compiles the workflow rules, mounts
// every surface in one route table (each prefix with its own 404 and 405
// through the gateway), and owns reset. Its test hooks are the plain
// methods of the facade (wire.Control: CreateRecord, Deliveries,
// ExpireSessions, AddFault, Advance, Idle …) that the control API serves
// and the harness calls. Use it in-process (httptest.NewServer(emu)) or
// through `sfemu serve`.
package emulator

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfemu/sfemu/emulator/bulk"
	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/console"
	"github.com/sfemu/sfemu/emulator/controlapi"
	"github.com/sfemu/sfemu/emulator/guard"
	"github.com/sfemu/sfemu/emulator/httplimit"
	"github.com/sfemu/sfemu/emulator/internal/changes"
	"github.com/sfemu/sfemu/emulator/internal/cursor"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/emulator/internal/schedule"
	"github.com/sfemu/sfemu/emulator/oauth"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/persist"
	"github.com/sfemu/sfemu/emulator/rest"
	"github.com/sfemu/sfemu/emulator/soap"
	"github.com/sfemu/sfemu/emulator/workflow"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/wire"
)

// ClockMode selects real or virtual time.
type ClockMode string

// Clock modes.
const (
	RealClock    ClockMode = "real"
	VirtualClock ClockMode = "virtual"
)

// Options configure an Emulator. The zero value serves the embedded default
// org on the real clock, with URLs taken from each request's Host.
type Options struct {
	// Orgs are the org fixtures to load; none (and no Fixtures) means the
	// embedded default org.
	Orgs []org.Source
	// Fixtures are more org fixtures, as the control API carries them (YAML
	// with the files it names), loaded after Orgs.
	Fixtures []wire.Fixture
	// PublicURL is the base URL clients reach the emulator at (instance_url,
	// identity URLs). Empty: derived from each request's Host header.
	PublicURL string
	// Clock is RealClock (default) or VirtualClock.
	Clock ClockMode
	// VirtualStart is where a virtual clock starts; zero means the real time
	// at start-up, truncated to the second.
	VirtualStart time.Time
	// TrustForwardedFor takes client addresses from X-Forwarded-For.
	TrustForwardedFor bool
	// Logger receives one line per token request and API call; nil discards.
	Logger *slog.Logger
	// LatestAPIVersion is the newest REST API version served (default 66.0,
	// Spring '26); every version from 20.0 up to it is served.
	LatestAPIVersion float64
	// Outbound are the outbound-message sender's settings (retry schedule,
	// timeout, batching, ports, session IDs over http…); zero values take
	// the documented defaults (outbound.DefaultSettings).
	Outbound outbound.Settings
	// OutboundTrustedCAs are PEM certificates of receivers' CAs the outbound
	// sender trusts for https endpoints, besides the system roots.
	OutboundTrustedCAs []byte
	// TLSCA is the PEM certificate of the CA behind the https listeners'
	// certificate (`sfemu serve --tls`), served at GET /_sfemu/tls/ca.pem so
	// clients can fetch what to trust; nil: that answers 404, TLS is off.
	TLSCA []byte
	// NotificationIDBase numbers outbound Notification Ids from this value
	// plus one, the same on every run (and after every reset). Zero, unless
	// FixedNotificationIDs: they are numbered from the wall clock at each
	// start, reset and load (org.IDSequence.SeedFromClock), so they are
	// unique across restarts as Salesforce's are for ever: a receiver that
	// outlives one emulator (it dedupes on the Notification Id) never sees
	// a new emulator reuse one.
	NotificationIDBase uint64
	// OutboundEndpoints point outbound messages at other endpoints than
	// their fixtures say, without copying the fixtures (`sfemu serve
	// --endpoint`): for the orgs in Orgs and Fixtures and their resets, not
	// for orgs loaded later through LoadOrgs, which bring their own.
	OutboundEndpoints []EndpointOverride
	// FixedNotificationIDs numbers Notification Ids from
	// NotificationIDBase+1 even when that is 0 (04lxx0000000001AAA first),
	// for tests that compare them.
	FixedNotificationIDs bool
	// ControlToken, when set, is asked of every request under /_sfemu/
	// (the control API and the console) but GET /_sfemu/health and the
	// test receiver: Authorization: Bearer TOKEN, or the cookie a browser
	// gets after opening /_sfemu/ui/?token=TOKEN once (package guard,
	// docs/CONTROL.md "Security"). Empty: none is asked, as suits a
	// loopback listener; `sfemu serve` refuses a non-loopback one without.
	ControlToken string
	// AllowedHosts are more host names the control API and console answer
	// at, besides IP addresses, localhost, the public URL's host and the
	// orgs' My Domains: the TLS certificate's names, a container alias.
	// Requests naming any other Host get a 403 (DNS rebinding).
	AllowedHosts []string
	// Connections are the counters of the server serving the emulator
	// (httplimit.Configure), for GET /_sfemu/health to show; nil for none.
	Connections *httplimit.Counters
	// DataDir keeps records, the outbound queue and its attempts,
	// sessions, Login History, the id sequences and the virtual clock in
	// DIR/sfemu.db (package persist), so a restart on the same dir, even
	// after SIGKILL, loses no acknowledged write and no queued
	// notification (`sfemu serve --data-dir`). Empty: all state is in
	// memory, and a restart begins again from the fixtures.
	DataDir string
	// DataDirFsync makes every write wait for the disk, for state that
	// survives a power loss too (persist.Options.Fsync); off by default.
	DataDirFsync bool
	// DataDirReset empties a DataDir made over other fixtures instead of
	// refusing to start.
	DataDirReset bool
}

// EndpointOverride sends every outbound message of one org, or of every
// org, to URL.
type EndpointOverride struct {
	// Org is the org's name or id; empty: every org without an override of
	// its own.
	Org string
	URL string
}

// Emulator is a running fake Salesforce.
type Emulator struct {
	opts    Options
	clock   clock.Clock
	virtual *clock.Virtual // nil on the real clock

	publicURL  atomic.Pointer[string] // set by SetPublicURL, else opts.PublicURL
	clientCert clientCert             // the outbound sender's mutual-TLS certificate
	// signingKey signs id_tokens; one for the emulator's life, so a reset
	// does not change the key set clients cached from /id/keys.
	signingKey *oauth.SigningKey

	// guard keeps /_sfemu/ for the people who started sfemu; one for the
	// emulator's life, so a reset keeps the console's CSRF secret.
	guard   *guard.Guard
	handler http.Handler

	resetMu sync.Mutex
	state   atomic.Pointer[state]

	// changes counts what the console watches change; it outlives resets,
	// as the console does.
	changes changes.Feed
	console *console.Console

	// data is the open data dir (nil: in memory); dataLoaded is set once
	// its kept state has been put back, after which a reset empties it.
	data       *persist.Store
	dataLoaded bool
	// loadedFixtures is the fixture load (POST /_sfemu/orgs) in place of
	// the start-up fixtures, as the data dir keeps it; nil: none.
	loadedFixtures []byte
	// startFixtures is the data dir's prebuilt store of the start-up
	// fixtures (it was loaded to fingerprint them), for the first reset.
	startFixtures *org.Store
}

// state is everything a reset rebuilds from the fixtures.
type state struct {
	store    *org.Store
	gateway  *gateway.Gateway
	oauth    *oauth.Service
	rest     *rest.Service
	soap     *soap.Service
	outbound *outbound.Dispatcher
	// sched runs background work (Bulk API jobs) on the emulator's clock.
	sched  *schedule.Scheduler
	bulk   *bulk.Service
	router *route.Router
	// journal notes the state's changes for the data dir (nil: none).
	journal *persist.Journal
}

// New loads the fixtures and returns a ready emulator. Fixture errors name file:line.
func New(opts Options) (*Emulator, error) {
	// The standard objects' schema is built on another goroutine while
	// the rest of New and the fixture's YAML go on here.
	org.PrepareStandardSchema()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.LatestAPIVersion == 0 {
		opts.LatestAPIVersion = rest.DefaultLatestVersion
	}
	for _, f := range opts.Fixtures {
		opts.Orgs = append(opts.Orgs, fixtureSource(f))
	}
	if len(opts.Orgs) == 0 {
		opts.Orgs = []org.Source{fixtures.DefaultOrg()}
	}
	if opts.ControlToken != "" {
		if err := guard.CheckToken(opts.ControlToken); err != nil {
			return nil, fmt.Errorf("emulator: control token: %w", err)
		}
	}
	e := &Emulator{opts: opts, signingKey: oauth.NewSigningKey()}
	e.guard = guard.New(guard.Config{Token: opts.ControlToken, Hosts: e.controlHosts})
	var routed http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.state.Load().router.ServeHTTP(w, r)
	})
	if opts.DataDir != "" {
		routed = e.syncBeforeAnswer(routed)
	}
	e.handler = gateway.LimitRequestSize(e.guard.Wrap(routed), ControlPrefix)
	switch opts.Clock {
	case "", RealClock:
		e.clock = clock.Real{}
	case VirtualClock:
		start := opts.VirtualStart
		if start.IsZero() {
			start = time.Now().UTC().Truncate(time.Second)
		}
		e.virtual = clock.NewVirtual(start)
		e.clock = e.virtual
		e.virtual.OnAdvance(func(time.Time) { e.changes.Bump(changes.Clock) })
	default:
		return nil, fmt.Errorf("emulator: clock %q: want real or virtual", opts.Clock)
	}
	if e.opts.Outbound.TLS == nil {
		tlsConf, err := e.outboundTLS()
		if err != nil {
			return nil, err
		}
		e.opts.Outbound.TLS = tlsConf
	}
	e.console = console.New(console.Config{Control: e, CSRF: guardCSRF{}, Logger: opts.Logger})
	if opts.DataDir != "" {
		if err := e.openData(); err != nil {
			return nil, err
		}
	}
	if err := e.reset(); err != nil {
		if e.data != nil {
			e.data.Close()
		}
		return nil, err
	}
	return e, nil
}

// reset reloads the fixtures: sessions, Login History, journals and
// run-time changes are gone. The clock keeps its time.
func (e *Emulator) reset() error {
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	return e.resetLocked(e.opts.Orgs, e.opts.NotificationIDBase, e.opts.OutboundEndpoints, e.loadedFixtures)
}

// replaceOrgs loads other fixtures in place of the current ones; on error
// the emulator keeps what it had. The new fixtures' endpoints stand:
// Options.OutboundEndpoints were for the orgs the emulator started with.
//
// kept is the load as a data dir keeps it (loadedFixtures), so a restart
// loads these fixtures rather than the start-up ones.
func (e *Emulator) replaceOrgs(sources []org.Source, notificationIDBase uint64, clockStart time.Time, kept []byte) error {
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	if !clockStart.IsZero() {
		// A fresh start: the new orgs' queue and sessions begin at clockStart.
		was := e.virtual.Now()
		e.virtual.Restart(clockStart)
		if err := e.resetLocked(sources, notificationIDBase, nil, kept); err != nil {
			e.virtual.Restart(was)
			return err
		}
	} else if err := e.resetLocked(sources, notificationIDBase, nil, kept); err != nil {
		return err
	}
	e.opts.Orgs, e.opts.NotificationIDBase, e.opts.OutboundEndpoints = sources, notificationIDBase, nil
	e.loadedFixtures = kept
	return nil
}

// overrideEndpoints applies Options.OutboundEndpoints to a freshly loaded
// store. An override that would change nothing (an unknown org, an org
// without outbound messages) is an error, not a silent no-op.
func overrideEndpoints(store *org.Store, overrides []EndpointOverride, ports string) error {
	if len(overrides) == 0 {
		return nil
	}
	var all string
	byOrg := map[*org.Org]string{}
	for _, ov := range overrides {
		what := "endpoint " + ov.URL
		if ov.Org != "" {
			what = fmt.Sprintf("endpoint %s for org %q", ov.URL, ov.Org)
		}
		if err := outbound.CheckEndpoint(ov.URL, ports); err != nil {
			return fmt.Errorf("emulator: %s: %w", what, err)
		}
		if ov.Org == "" {
			if all != "" {
				return fmt.Errorf("emulator: two endpoints for every org's messages: %s and %s", all, ov.URL)
			}
			all = ov.URL
			continue
		}
		o := store.Org(ov.Org)
		if o == nil {
			var names []string
			for _, o := range store.Orgs() {
				names = append(names, fmt.Sprintf("%q", o.Name))
			}
			return fmt.Errorf("emulator: %s: no such org (loaded: %s)", what, strings.Join(names, ", "))
		}
		if prev, dup := byOrg[o]; dup {
			return fmt.Errorf("emulator: two endpoints for org %q: %s and %s", o.Name, prev, ov.URL)
		}
		if len(o.OutboundMessages) == 0 {
			return fmt.Errorf("emulator: %s: the org has no outbound messages", what)
		}
		byOrg[o] = ov.URL
	}
	changed := 0
	for _, o := range store.Orgs() {
		u, ok := byOrg[o]
		if !ok {
			u = all
		}
		if u == "" {
			continue
		}
		for _, m := range o.OutboundMessages {
			m.EndpointURL = u
			changed++
		}
	}
	if changed == 0 {
		return fmt.Errorf("emulator: endpoint %s: no org has outbound messages", all)
	}
	return nil
}

func (e *Emulator) resetLocked(sources []org.Source, notificationIDBase uint64, endpoints []EndpointOverride, keptLoad []byte) error {
	var store *org.Store
	var err error
	if e.startFixtures != nil {
		store, e.startFixtures = e.startFixtures, nil
	} else if store, err = org.NewStore(e.clock, sources...); err != nil {
		return err
	}
	if err := overrideEndpoints(store, endpoints, e.opts.Outbound.Ports); err != nil {
		return err
	}
	if notificationIDBase > 0 || e.opts.FixedNotificationIDs {
		store.IDs.StartAt(org.PrefixNotification, notificationIDBase)
	} else {
		// The wall clock, whatever the emulator's clock says.
		store.IDs.SeedFromClock(org.PrefixNotification, time.Now())
	}
	rules := map[*org.Org]*workflow.Rules{}
	for _, o := range store.Orgs() {
		if rules[o], err = workflow.Compile(o); err != nil {
			return err
		}
	}
	st := &state{store: store}
	if st.journal, err = e.keepState(store, keptLoad); err != nil {
		return err
	}
	st.gateway = gateway.New(gateway.Config{Store: store, BaseURL: e.BaseURL, Logger: e.opts.Logger, TrustForwardedFor: e.opts.TrustForwardedFor,
		OnJournal: e.journaled})
	st.oauth = oauth.New(oauth.Config{Store: store, Logger: e.opts.Logger, SigningKey: e.signingKey})
	cursors := cursor.New(store.Clock, 0) // one store: REST and SOAP page the same query cursors
	st.rest = rest.New(rest.Config{Store: store, LatestVersion: e.opts.LatestAPIVersion, Cursors: cursors})
	st.soap = soap.New(soap.Config{Store: store, LatestVersion: e.opts.LatestAPIVersion, Cursors: cursors})
	st.sched = schedule.New(e.clock, 0)
	st.bulk = bulk.New(bulk.Config{Store: store, Scheduler: st.sched})
	st.outbound = outbound.New(outbound.Config{
		Store:    store,
		Clock:    e.clock,
		Virtual:  e.virtual,
		BaseURL:  e.outboundBaseURL,
		Settings: e.opts.Outbound,
		Logger:   e.opts.Logger,
		OnChange: func() { e.changes.Bump(changes.Outbound) },
		Journal:  outboundJournal(st.journal),
	})
	if err := e.reloadQueue(st); err != nil {
		st.outbound.Close()
		st.sched.Close()
		return err
	}
	for o, rs := range rules {
		o.Data.OnSave(func(before, after *org.Record, by *org.User) { e.fireRules(st, rs, before, after, by) })
		o.Data.SetAssigner(func(rec *org.Record, ar *org.LeadAssignmentRule, now time.Time) *org.User {
			owner, err := rs.AssignOwner(rec, ar, now)
			if err != nil {
				e.opts.Logger.Warn("lead assignment rule criteria failed", "rule", ar.Name, "record", rec.ID, "error", err)
			}
			return owner
		})
	}
	st.router = e.routes(st)
	if old := e.state.Swap(st); old != nil {
		old.outbound.Close()
		old.sched.Close()
	}
	e.changes.BumpAll()
	return nil
}

// journaled counts a journaled API request as a change: of the request
// journal, and of logins for the OAuth surface (token requests, the
// authorize page) and SOAP login(), which add Login History rows.
func (e *Emulator) journaled(r wire.APIRequest) {
	e.changes.Bump(changes.Requests)
	if r.Surface == wire.SurfaceOAuth || r.Surface == wire.SurfaceSOAP && r.Operation == "login" {
		e.changes.Bump(changes.Logins)
	}
}

// Changes returns what has changed so far and a channel closed at the next
// change: the console's live updates (console.Watcher).
func (e *Emulator) Changes() (wire.Changes, <-chan struct{}) { return e.changes.Watch() }

// fireRules queues the notifications a save's workflow rules and flows
// send; by is the user who saved.
func (e *Emulator) fireRules(st *state, rs *workflow.Rules, before, after *org.Record, by *org.User) {
	fired, err := rs.Fired(before, after, by, e.clock.Now())
	if err != nil {
		e.opts.Logger.Warn("outbound rule condition failed", "record", after.ID, "error", err)
	}
	for _, m := range fired {
		// A full queue keeps the notification in the history as dropped,
		// with its reason; the save stands (outbound.Dispatcher.Fire).
		if _, err := st.outbound.Fire(m, after.ID); err != nil {
			e.opts.Logger.Warn("outbound rule could not queue", "message", m.Name, "record", after.ID, "error", err)
		}
	}
}

// Close stops the outbound sender and ends the console's live-update
// streams; the handler keeps answering.
func (e *Emulator) Close() {
	e.console.Close()
	if st := e.state.Load(); st != nil {
		st.outbound.Close()
		st.sched.Close()
	}
	if e.data != nil {
		if err := e.data.Close(); err != nil {
			e.opts.Logger.Error("data dir: closing", "error", err)
		}
	}
}

// SetPublicURL sets the base URL clients reach the emulator at, for
// emulators started before their URL was known (httptest.NewServer(emu)).
// Outbound messages' Enterprise and Partner URLs point there.
func (e *Emulator) SetPublicURL(u string) {
	u = strings.TrimRight(u, "/")
	e.publicURL.Store(&u)
}

// outboundBaseURL is the instance receivers call back: the public URL.
func (e *Emulator) outboundBaseURL() string {
	if p := e.publicURL.Load(); p != nil {
		return *p
	}
	if e.opts.PublicURL != "" {
		return e.opts.PublicURL
	}
	// Nothing said where sfemu is reachable: name the address `sfemu serve`
	// listens on by default.
	return "http://127.0.0.1:8085"
}

// ControlPrefix is where the control API lives; never under /services/.
const ControlPrefix = controlapi.Prefix

// ConsolePrefix is where the web console lives (docs/CONSOLE.md).
const ConsolePrefix = console.Prefix

// routes is the emulator's one route table: each surface under its prefix,
// with that prefix's own 404 and 405; the console and the control API; and,
// for any other path, Salesforce's NOT_FOUND for an unknown resource
// (journaled too) — but a browser asking for / or /_sfemu/ is sent to the
// console.
func (e *Emulator) routes(st *state) *route.Router {
	r := &route.Router{}
	gw := st.gateway
	gw.Mount(r, oauth.Prefix, st.oauth.Surface(), st.oauth.Routes())
	gw.Mount(r, oauth.IdentityPrefix, st.oauth.Surface(), st.oauth.IdentityRoutes())
	gw.Mount(r, oauth.WellKnownPrefix, st.oauth.Surface(), st.oauth.WellKnownRoutes())
	// Bulk API 2.0 (/services/data/vNN.N/jobs/…) before the rest of REST,
	// so its prefix answers with its own 404 and 405.
	gw.Mount(r, bulk.MountPath(rest.Prefix), st.bulk.Surface(st.rest.Surface()), st.bulk.Routes())
	gw.Mount(r, rest.Prefix, st.rest.Surface(), st.rest.Routes())
	gw.Mount(r, soap.Prefix, st.soap.Surface(), st.soap.Routes())
	gw.Mount(r, soap.WSDLPrefix, st.soap.Surface(), st.soap.WSDLRoutes())
	// The console first: the control API's mount takes all of /_sfemu.
	e.console.Mount(r)
	toConsole := route.Std(http.RedirectHandler(console.Prefix+"/", http.StatusFound))
	for _, p := range []string{"/", ControlPrefix, ControlPrefix + "/"} {
		r.Handle([]string{http.MethodGet, http.MethodHead}, p, wantsHTML, toConsole)
	}
	controlapi.Mount(r, e)
	r.NotFound = gw.Serve(st.rest.Surface(), gateway.Route{Public: true, Handler: func(c *gateway.Call) (gateway.Response, error) {
		return gateway.Response{}, c.Surface.NotFound(c)
	}})
	return r
}

// wantsHTML tells a browser's request (Accept: text/html…) from an API
// client's, which keeps its JSON answers.
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/json")
}

// guardCSRF gives the console's forms the guard's CSRF token: the guard in
// front of every request checks the _csrf field the forms post.
type guardCSRF struct{}

func (guardCSRF) Token(r *http.Request) string { return guard.CSRFToken(r) }

// ServeHTTP answers a request outside /_sfemu/ whose URI and headers are
// over Salesforce's 16,384 bytes with its 414 or 431
// (gateway.LimitRequestSize), and routes every other through the guard of
// /_sfemu/, then the current state.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.handler.ServeHTTP(w, r)
}

// controlHosts are the host names the control API and console answer at
// besides IP addresses and localhost: the public URL's, the orgs' My
// Domains, Options.AllowedHosts.
func (e *Emulator) controlHosts() []string {
	hosts := append([]string(nil), e.opts.AllowedHosts...)
	for _, u := range []string{e.opts.PublicURL, e.outboundBaseURL()} {
		if pu, err := url.Parse(u); err == nil && pu.Hostname() != "" {
			hosts = append(hosts, pu.Hostname())
		}
	}
	return append(hosts, e.MyDomainHosts()...)
}

// BaseURL is the public base URL as seen from r.
func (e *Emulator) BaseURL(r *http.Request) string {
	if p := e.publicURL.Load(); p != nil {
		return *p
	}
	if e.opts.PublicURL != "" {
		return e.opts.PublicURL
	}
	return gateway.RequestBaseURL(r)
}

// store is the current org store (replaced by a reset).
func (e *Emulator) store() *org.Store { return e.state.Load().store }

// dispatcher is the current outbound sender.
func (e *Emulator) dispatcher() *outbound.Dispatcher { return e.state.Load().outbound }
