// Package emulator is the fake Salesforce as one http.Handler: the OAuth
// endpoints, the identity URL, and the control API under /_sfemu/, over orgs
// loaded from fixtures, on a real or virtual clock.
//
// It is the only package that knows all the others: it loads fixtures into an
// org.Store, mounts each service's routes in one table, and owns reset. Use it
// in-process (httptest.NewServer(emu)) or through `sfemu serve`.
package emulator

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/oauth"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/rest"
	"github.com/sfemu/sfemu/fixtures"
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
	// Orgs are the org fixtures to load; none means the embedded default org.
	Orgs []org.Source
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
	// NotificationIDBase numbers outbound Notification Ids from this value
	// instead of 1. Salesforce's ids are unique for ever; a receiver that
	// outlives one emulator (it dedupes on the Notification Id) must not see
	// a new emulator reuse them.
	NotificationIDBase uint64
}

// Emulator is a running fake Salesforce.
type Emulator struct {
	opts    Options
	clock   clock.Clock
	virtual *clock.Virtual // nil on the real clock

	publicURL  atomic.Pointer[string] // set by SetPublicURL, else opts.PublicURL
	clientCert clientCert             // the outbound sender's mutual-TLS certificate

	resetMu sync.Mutex
	state   atomic.Pointer[state]
}

// state is everything Reset rebuilds from the fixtures.
type state struct {
	store    *org.Store
	oauth    *oauth.Service
	rest     *rest.Service
	outbound *outbound.Dispatcher
	router   *mux.Router
}

// New loads the fixtures and returns a ready emulator. Fixture errors name file:line.
func New(opts Options) (*Emulator, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if len(opts.Orgs) == 0 {
		opts.Orgs = []org.Source{fixtures.DefaultOrg()}
	}
	e := &Emulator{opts: opts}
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
	if err := e.Reset(); err != nil {
		return nil, err
	}
	return e, nil
}

// Reset reloads the fixtures: sessions, Login History, journals and
// run-time changes are gone. The clock keeps its time.
func (e *Emulator) Reset() error {
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	store, err := org.NewStore(e.clock, e.opts.Orgs...)
	if err != nil {
		return err
	}
	if e.opts.NotificationIDBase > 0 {
		store.IDs.StartAt(org.PrefixNotification, e.opts.NotificationIDBase)
	}
	st := &state{store: store}
	st.oauth = oauth.New(oauth.Config{
		Store:             store,
		BaseURL:           e.BaseURL,
		TrustForwardedFor: e.opts.TrustForwardedFor,
		Logger:            e.opts.Logger,
	})
	st.rest = rest.New(rest.Config{
		Store:         store,
		BaseURL:       e.BaseURL,
		LatestVersion: e.opts.LatestAPIVersion,
		Logger:        e.opts.Logger,
	})
	st.outbound = outbound.New(outbound.Config{
		Store:    store,
		Clock:    e.clock,
		Virtual:  e.virtual,
		BaseURL:  e.outboundBaseURL,
		Settings: e.opts.Outbound,
		Logger:   e.opts.Logger,
	})
	for _, o := range store.Orgs() {
		o := o
		o.Data.OnSave(func(before, after *org.Record) { e.fireRules(st, o, before, after) })
	}
	st.router = e.routes(st)
	if old := e.state.Swap(st); old != nil {
		old.outbound.Close()
	}
	return nil
}

// Close stops the outbound sender; the handler keeps answering.
func (e *Emulator) Close() {
	if st := e.state.Load(); st != nil {
		st.outbound.Close()
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

// routes is the emulator's one route table.
func (e *Emulator) routes(st *state) *mux.Router {
	r := mux.NewRouter()
	st.oauth.Routes(r)
	st.rest.Routes(r)
	e.controlRoutes(r.PathPrefix(ControlPrefix).Subrouter())
	r.NotFoundHandler = http.HandlerFunc(notFound)
	return r
}

// notFound answers unknown paths as Salesforce does for unknown resources.
func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`))
}

// ServeHTTP routes r through the current state.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.state.Load().router.ServeHTTP(w, r)
}

// BaseURL is the public base URL as seen from r.
func (e *Emulator) BaseURL(r *http.Request) string {
	if p := e.publicURL.Load(); p != nil {
		return *p
	}
	if e.opts.PublicURL != "" {
		return e.opts.PublicURL
	}
	return oauth.RequestBaseURL(r)
}

// Store is the current org store (replaced by Reset).
func (e *Emulator) Store() *org.Store { return e.state.Load().store }

// TokenAttempts returns the journal of token requests since the last reset.
func (e *Emulator) TokenAttempts() []oauth.Attempt { return e.state.Load().oauth.Journal().Attempts() }

// REST is the REST API service: its faults, journal and cursors.
func (e *Emulator) REST() *rest.Service { return e.state.Load().rest }

// Clock is the emulator's clock.
func (e *Emulator) Clock() clock.Clock { return e.clock }

// Advance moves a virtual clock forward. It fails on the real clock.
func (e *Emulator) Advance(d time.Duration) (time.Time, error) {
	if e.virtual == nil {
		return time.Time{}, fmt.Errorf("the clock is real: start the emulator with the virtual clock to move time")
	}
	return e.virtual.Advance(d)
}
