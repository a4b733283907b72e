// Package console serves sfemu's web console under /_sfemu/ui/
// (docs/CONSOLE.md): pages a person scans to see why an integration fails —
// the orgs' Setup facts, token requests with the reason each failed beside
// Login History, the outbound queue with Retry and Del and every attempt's
// SOAP envelope and answer, the API request journal, a SOQL box, the clock
// and faults — updated live over Server-Sent Events.
//
// It reads and changes the emulator only through wire.Control, the facade
// the control API serves, so every page has a JSON twin under /_sfemu/.
// Live updates need the optional Watcher (the in-process emulator has it).
// Pages are html/template over embedded assets (one CSS file, one script for
// the live updates and filters): no CDN, no build step, nothing to download,
// so the console works offline and inside the FROM-scratch image.
//
// It owns no access control: whoever reaches the emulator reaches the
// console, as with the control API. Every state-changing form posts a
// hidden _csrf field whose value Config.CSRF gives; checking it is for the
// handler in front of the emulator. No page shows a private key, a secret,
// a password or a session ID.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/wire"
)

// Prefix is where the console lives.
const Prefix = "/_sfemu/ui"

// Watcher is what live updates need of the facade: the change counters now
// and a channel closed at the next change (*emulator.Emulator has it).
type Watcher interface {
	Changes() (wire.Changes, <-chan struct{})
}

// CSRF gives the token every state-changing form carries as the hidden
// field _csrf. The console only writes it; whoever issues it checks it.
type CSRF interface {
	Token(r *http.Request) string
}

// CSRFField is the form field the token travels in.
const CSRFField = "_csrf"

// Config configures a Console.
type Config struct {
	// Control is the facade every page reads and every form calls.
	Control wire.Control
	// Watcher feeds the live updates; nil: Control's, if it is one, else
	// pages do not update by themselves.
	Watcher Watcher
	// CSRF, when set, gives the token each form posts as _csrf.
	CSRF CSRF
	// Logger receives what goes wrong rendering a page; nil discards.
	Logger *slog.Logger
	// MaxStreams bounds the live-update streams open at once (default 64);
	// beyond it a page is told to retry later.
	MaxStreams int
}

// Console is the web console's handler.
type Console struct {
	cfg     Config
	ctl     wire.Control
	watcher Watcher
	log     *slog.Logger
	// mux is built at the first request (routes): registering the
	// pages' patterns was a tenth of emulator.New, which every sfemu serve
	// start pays.
	muxOnce sync.Once
	mux     *http.ServeMux
	assets  fs.FS
	streams *streams
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// New returns a console over cfg.Control.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = 64
	}
	c := &Console{cfg: cfg, ctl: cfg.Control, watcher: cfg.Watcher, log: cfg.Logger, streams: newStreams(cfg.MaxStreams)}
	if c.watcher == nil {
		c.watcher, _ = cfg.Control.(Watcher)
	}
	c.assets, _ = fs.Sub(assetFS, "assets")
	return c
}

// pages are the parsed templates, one per page, each with the layout:
// parsed once per process, when the first page is shown — they never
// change, and parsing them was a fifth of emulator.New, which every
// `sfemu serve` start and every scenario run pays.
var pages = sync.OnceValue(func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"home", "orgs", "logins", "login", "outbound", "notification", "attempt", "requests", "request", "records", "clock", "error"} {
		m[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
})

// Mount serves the console under Prefix on r; mount it before anything
// else under /_sfemu.
func (c *Console) Mount(r *route.Router) {
	r.HandlePrefix(Prefix, route.Std(c))
}

// ServeHTTP serves the console's pages.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Everything the pages load is their own: no inline script, no other
	// origin, no framing.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.muxOnce.Do(c.routes)
	c.mux.ServeHTTP(w, r)
}

// Close ends the live-update streams, so a server shutting down is not held
// by them; the pages keep answering.
func (c *Console) Close() { c.streams.close() }

func (c *Console) routes() {
	m := http.NewServeMux()
	get := func(path string, fn func(*request) (string, int, any)) {
		m.HandleFunc("GET "+Prefix+path, c.page(fn))
	}
	post := func(path string, fn func(*request) (string, error)) {
		m.HandleFunc("POST "+Prefix+path, c.action(fn))
	}
	m.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusFound)
	})
	get("/{$}", c.home)
	get("/orgs", c.orgs)
	get("/logins", c.logins)
	get("/logins/{id}", c.login)
	post("/sessions/expire", c.expireSessions)
	post("/reset", c.reset)
	get("/outbound", c.outbound)
	get("/outbound/notifications/{id}", c.notification)
	get("/outbound/attempts/{id}", c.attempt)
	post("/outbound/notifications/{id}/retry", c.retry)
	post("/outbound/notifications/{id}/delete", c.deleteQueued)
	get("/requests", c.requests)
	get("/requests/{id}", c.request)
	get("/records", c.records)
	get("/clock", c.clockPage)
	post("/clock/advance", c.advance)
	post("/faults", c.addFault)
	post("/faults/clear", c.clearFaults)
	post("/faults/{id}/clear", c.clearFault)
	post("/outbound-faults", c.setOutboundFaults)
	post("/outbound-faults/clear", c.clearOutboundFaults)
	m.HandleFunc("GET "+Prefix+"/events", c.events)
	m.Handle("GET "+Prefix+"/assets/", http.StripPrefix(Prefix+"/assets/", c.assetHandler()))
	// Anything else: a page saying so, in the console's layout.
	m.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		rq := c.newRequest(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			c.render(rq, "error", http.StatusMethodNotAllowed, errorPage{Title: "Method not allowed",
				Message: fmt.Sprintf("%s is not allowed on %s: the console's pages are read with GET, and its buttons post forms.", r.Method, r.URL.Path)})
			return
		}
		c.render(rq, "error", http.StatusNotFound, errorPage{Title: "Not found",
			Message: fmt.Sprintf("The console has no page %s.", r.URL.Path)})
	})
	c.mux = m
}

// assetHandler serves the embedded CSS and script; they change with the
// binary only, so browsers may keep them an hour.
func (c *Console) assetHandler() http.Handler {
	files := http.FileServerFS(c.assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// request is one page request being served: its parameters, the problems
// found in them, and what the layout needs.
type request struct {
	w        http.ResponseWriter
	r        *http.Request
	ctx      context.Context
	query    url.Values
	problems []string
	// versions are the change counters before the page read anything, so
	// a change during the read is not missed by the live updates.
	versions wire.Changes
}

func (c *Console) newRequest(w http.ResponseWriter, r *http.Request) *request {
	rq := &request{w: w, r: r, ctx: r.Context(), query: r.URL.Query()}
	if c.watcher != nil {
		rq.versions, _ = c.watcher.Changes()
	}
	return rq
}

// problem notes something wrong with the request, shown atop the page.
func (rq *request) problem(format string, args ...any) {
	rq.problems = append(rq.problems, fmt.Sprintf(format, args...))
}

// layout is what every page template gets.
type layout struct {
	Title    string
	Nav      string
	Problems []string
	Notice   string
	CSRF     string
	// Live says the page updates itself (its sections name the change
	// topics they show in data-topics); Versions are the counters the
	// page was read at.
	Live     bool
	Versions wire.Changes
	Clock    wire.Clock
	Path     string // the page's path and query, for forms that come back here
	Data     any
}

// titled is a page's data that names the page and its nav entry.
type titled interface {
	title() (title, nav string)
}

// page adapts a page handler: fn returns the template, the status and the
// data; problems noted on the request make a 400 unless fn chose a status.
func (c *Console) page(fn func(*request) (string, int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := c.newRequest(w, r)
		name, status, data := fn(rq)
		if status == 0 {
			status = http.StatusOK
			if len(rq.problems) > 0 {
				status = http.StatusBadRequest
			}
		}
		c.render(rq, name, status, data)
	}
}

// render writes a page in the layout. A template error is logged and
// answered with a plain message (a bug: the tests render every page).
func (c *Console) render(rq *request, name string, status int, data any) {
	l := layout{Problems: rq.problems, Notice: notice(rq.query), Live: c.watcher != nil, Versions: rq.versions, Data: data,
		Path: rq.r.URL.RequestURI()}
	if t, ok := data.(titled); ok {
		l.Title, l.Nav = t.title()
	}
	if c.cfg.CSRF != nil {
		l.CSRF = c.cfg.CSRF.Token(rq.r)
	}
	l.Clock, _ = c.ctl.Clock(rq.ctx)
	var buf bytes.Buffer
	if err := pages()[name].ExecuteTemplate(&buf, "layout", l); err != nil {
		c.log.Error("console: rendering a page failed", "page", name, "path", rq.r.URL.Path, "error", err)
		http.Error(rq.w, "the console could not render this page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := rq.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	rq.w.WriteHeader(status)
	_, _ = rq.w.Write(buf.Bytes())
}

// errorPage is a page that only says what went wrong.
type errorPage struct {
	Title, Message string
	// Back is the page a failed form came from.
	Back string
}

func (e errorPage) title() (string, string) { return e.Title, "" }

// failed is the status and message of a facade error, for a page that
// cannot show what it was asked for.
func failed(err error) (int, string) {
	var we *wire.Error
	if errors.As(err, &we) {
		return wire.StatusOf(we), we.Error()
	}
	return http.StatusInternalServerError, err.Error()
}

// action adapts a form handler: fn calls the facade and returns where to
// go back to with a notice (Post/Redirect/Get), or an error shown on the
// page the form came from.
func (c *Console) action(fn func(*request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := c.newRequest(w, r)
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			c.render(rq, "error", http.StatusBadRequest, errorPage{Title: "Bad form", Message: "The form could not be read: " + err.Error()})
			return
		}
		to, err := fn(rq)
		if err != nil {
			status, msg := failed(err)
			c.render(rq, "error", status, errorPage{Title: "Not done", Message: msg, Back: backPath(rq)})
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// maxForm bounds a posted form.
const maxForm = 64 << 10

// backPath is the form's "back" field when that is a console page, else
// the console's home.
func backPath(rq *request) string {
	to := rq.r.PostForm.Get("back")
	if !strings.HasPrefix(to, Prefix+"/") || strings.HasPrefix(to, Prefix+"//") || strings.ContainsAny(to, "\\\r\n") {
		return Prefix + "/"
	}
	return to
}

// back is where a form returns: its "back" field when that is a console
// page, else fallback; with notice as the note the page shows.
func back(rq *request, fallback, notice string) string {
	to := backPath(rq)
	if to == Prefix+"/" {
		to = fallback
	}
	u, err := url.Parse(to)
	if err != nil {
		u, _ = url.Parse(fallback)
	}
	q := u.Query()
	q.Set("notice", notice)
	u.RawQuery = q.Encode()
	return u.String()
}

// notices are the notes a page shows after a form: the notice parameter
// picks one; the rest of its text comes from the page's own state.
var notices = map[string]string{
	"retried":                 "Retry: the notification's next attempt is now.",
	"deleted":                 "Del: the notification left the queue.",
	"advanced":                "The clock moved.",
	"fault-added":             "Fault added.",
	"fault-cleared":           "Fault cleared.",
	"faults-cleared":          "Every API fault cleared.",
	"outbound-faults-set":     "Outbound faults set.",
	"outbound-faults-cleared": "Outbound faults cleared.",
	"sessions-expired":        "Sessions ended: the next API call with them gets INVALID_SESSION_ID.",
	"reset":                   "Reset: the fixtures are reloaded; sessions, Login History, journals and the queue are empty.",
}

func notice(q url.Values) string { return notices[q.Get("notice")] }

// now is the emulator's clock for relative times, or the wall clock.
func (c *Console) now(ctx context.Context) time.Time {
	if clk, err := c.ctl.Clock(ctx); err == nil {
		return clk.Now
	}
	return time.Now()
}

// streams bounds and ends the live-update streams.
type streams struct {
	mu      sync.Mutex
	open    int
	max     int
	done    chan struct{} // closed by Close
	closed  bool
	servers map[*http.Server]chan struct{}
}

func newStreams(limit int) *streams {
	return &streams{max: limit, done: make(chan struct{}), servers: map[*http.Server]chan struct{}{}}
}
