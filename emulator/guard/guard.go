// Package guard keeps sfemu's own surfaces — the control API and the web
// console, everything under /_sfemu/ — for the people who started sfemu,
// while the Salesforce surfaces (/services/…, /id/…) stay as open as
// Salesforce's. It is one middleware, Guard.Wrap, around the whole
// emulator; docs/CONTROL.md ("Security") is the user's view of it.
//
// Every request under /_sfemu/ but the two exempt paths (GET /_sfemu/health
// for container health checks, and /_sfemu/test-receiver/…, a stand-in
// receiver that keeps no state) passes, in order:
//
//  1. The Host check, against DNS rebinding: the Host header must be an IP
//     address, localhost (or a name under .localhost), or a name sfemu
//     serves (Config.Hosts: the public URL's, the TLS certificate's, the My
//     Domains'). The port is not compared: Docker publishes the
//     container's 8085 as any port of the host, and a rebinding page sends
//     its own name whatever the port. A wrong Host is a 403.
//  2. The control token, when Config.Token is set: `Authorization: Bearer
//     TOKEN`, or the cookie a browser gets by opening any GET page under
//     /_sfemu/ (the console: /_sfemu/ui/?token=TOKEN) once, after which it
//     is redirected to the same URL without the token. Otherwise a 401.
//  3. For state-changing methods (anything but GET, HEAD, OPTIONS) without
//     the bearer token: a browser's request must be same-origin (a
//     Sec-Fetch-Site other than same-origin or none, or an Origin other than
//     the request's own host, is a 403); a form post
//     (application/x-www-form-urlencoded, multipart/form-data) must carry a
//     valid _csrf field (CSRFToken); any other body must be
//     application/json (a 415 otherwise: a cross-site text/plain POST, the
//     one kind a page may send without asking, never reaches a handler).
//
// The _csrf field follows the signed double-submit cookie pattern of the
// OWASP Cross-Site Request Forgery Prevention Cheat Sheet: a random cookie
// (SameSite=Strict, HttpOnly, set on the first page a browser opens under
// /_sfemu/) and, in the form, the HMAC-SHA256 of that cookie under a secret
// of this process. A page of another site can neither read the cookie nor
// compute the HMAC; a restart makes a new secret, so a form rendered before
// it fails with a message asking to reload.
package guard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Prefix is what the guard protects: sfemu's own surfaces.
const Prefix = "/_sfemu"

// CSRFField is the form field a state-changing form posts CSRFToken in.
const CSRFField = "_csrf"

// The paths outside every check.
const (
	healthPath         = Prefix + "/health"
	testReceiverPrefix = Prefix + "/test-receiver/"
	consolePrefix      = Prefix + "/ui/"
)

// Cookie name prefixes; the port of the request's Host is appended, as
// browsers share cookies between the ports of one host and two sfemus on
// one machine must not overwrite each other's.
const (
	authCookie = "sfemu_auth"
	csrfCookie = "sfemu_csrf"
)

// Size limits of the form bodies the guard parses to find _csrf.
const (
	maxFormBody      = 1 << 20
	maxMultipartBody = 8 << 20
)

// MinTokenLength is the shortest control token accepted.
const MinTokenLength = 16

// Config configures a Guard.
type Config struct {
	// Token is the control token; empty: none is asked for.
	Token string
	// Hosts lists the host names (no port) requests may name besides IP
	// addresses and localhost; called per request that names another host.
	Hosts func() []string
}

// CheckToken reports what is wrong with a control token, or nil.
func CheckToken(token string) error {
	if len(token) < MinTokenLength {
		return fmt.Errorf("a control token has at least %d characters (e.g. `openssl rand -hex 16`), this one %d", MinTokenLength, len(token))
	}
	for _, c := range token {
		if c <= ' ' || c > '~' {
			return fmt.Errorf("a control token is printable ASCII without spaces (it travels in an Authorization header)")
		}
	}
	return nil
}

// Guard is the middleware. Make it once per process with New: its CSRF
// secret lives as long as it does.
type Guard struct {
	cfg    Config
	secret []byte
}

// New returns a guard with a fresh CSRF secret.
func New(cfg Config) *Guard {
	g := &Guard{cfg: cfg, secret: make([]byte, 32)}
	_, _ = rand.Read(g.secret) // crypto/rand.Read never fails on supported platforms
	return g
}

// Auth is how a request under /_sfemu/ proved it holds the control token.
type Auth int

// Ways of authenticating.
const (
	// NoAuth: no token was given (or none is configured).
	NoAuth Auth = iota
	// Bearer: Authorization: Bearer TOKEN.
	Bearer
	// Cookie: the cookie set after ?token=TOKEN.
	Cookie
)

// info is what the guard learned about a request, for the handlers.
type info struct {
	auth       Auth
	tokenSet   bool
	peerLoop   bool
	csrfCookie string
	secret     []byte
	suffix     string
}

type ctxKey struct{}

func infoOf(r *http.Request) *info {
	in, _ := r.Context().Value(ctxKey{}).(*info)
	return in
}

// CSRFToken is the value of the _csrf field (CSRFField) a form in the page
// answering r must post back: the console puts it in every state-changing
// form, <input type="hidden" name="_csrf" value="{{.CSRF}}">. It is "" for
// a request that did not pass through the guard, or that is neither a
// console page (under /_sfemu/ui/) nor asks for text/html nor is itself a
// form post: only those get the cookie it is bound to.
func CSRFToken(r *http.Request) string {
	in := infoOf(r)
	if in == nil || in.csrfCookie == "" {
		return ""
	}
	return sign(in.secret, in.csrfCookie)
}

// Authenticated is how r proved it holds the control token.
func Authenticated(r *http.Request) Auth {
	if in := infoOf(r); in != nil {
		return in.auth
	}
	return NoAuth
}

// MayReveal reports whether r may see secrets in full (live access tokens:
// GET /_sfemu/sessions?reveal=true): when it holds the control token, or
// when sfemu has none and r comes over a loopback connection.
func MayReveal(r *http.Request) bool {
	in := infoOf(r)
	if in == nil {
		return false
	}
	return in.auth != NoAuth || (!in.tokenSet && in.peerLoop)
}

func sign(secret []byte, value string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("sfemu csrf\x00" + value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// authValue is the auth cookie's value: an HMAC under the token, so the
// cookie is not the token and survives a restart with the same token.
func authValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("sfemu console session"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randomValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// guarded reports whether path is under Prefix and not exempt.
func guarded(path string) bool {
	if path != Prefix && !strings.HasPrefix(path, Prefix+"/") {
		return false
	}
	return path != healthPath && !strings.HasPrefix(path, testReceiverPrefix)
}

// Wrap guards next's paths under /_sfemu/; other paths pass untouched.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !guarded(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if msg := g.checkHost(r.Host); msg != "" {
			refuse(w, r, http.StatusForbidden, msg)
			return
		}
		in := &info{tokenSet: g.cfg.Token != "", peerLoop: loopbackPeer(r.RemoteAddr), secret: g.secret, suffix: cookieSuffix(r.Host)}
		if g.cfg.Token != "" {
			if done := g.authenticate(w, r, in); done {
				return
			}
		}
		if !safeMethod(r.Method) && in.auth != Bearer {
			if status, msg := g.checkWrite(r, in); msg != "" {
				refuse(w, r, status, msg)
				return
			}
		}
		if in.csrfCookie == "" && safeMethod(r.Method) && wantsPage(r) {
			if c, err := r.Cookie(csrfCookie + in.suffix); err == nil && len(c.Value) >= 32 {
				in.csrfCookie = c.Value
			} else {
				in.csrfCookie = randomValue()
				http.SetCookie(w, &http.Cookie{Name: csrfCookie + in.suffix, Value: in.csrfCookie, Path: Prefix + "/",
					HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, in)))
	})
}

// checkHost says why host is not one the control API answers at, or "".
func (g *Guard) checkHost(hostport string) string {
	if hostport == "" {
		return "" // HTTP/1.0 without Host: not a browser, so not a rebinding page
	}
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if net.ParseIP(strings.SplitN(host, "%", 2)[0]) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return ""
	}
	var names []string
	if g.cfg.Hosts != nil {
		names = g.cfg.Hosts()
	}
	for _, n := range names {
		if strings.EqualFold(strings.TrimSuffix(n, "."), host) {
			return ""
		}
	}
	return fmt.Sprintf("Host %q is not a name this sfemu serves, so its control API and console do not answer there "+
		"(a guard against DNS rebinding): use localhost or an IP address, or start sfemu with --public-url or --allow-host naming %s", hostport, host)
}

// authenticate checks the control token; it reports true when it has
// answered r itself (a refusal, or the redirect after ?token=).
func (g *Guard) authenticate(w http.ResponseWriter, r *http.Request, in *info) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || !equal(strings.TrimSpace(tok), g.cfg.Token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sfemu", error="invalid_token"`)
			refuse(w, r, http.StatusUnauthorized, "the Authorization header does not carry this sfemu's control token (Authorization: Bearer TOKEN; the CLI's --control-token or $SFEMU_CONTROL_TOKEN)")
			return true
		}
		in.auth = Bearer
		return false
	}
	q := r.URL.Query()
	if q.Has("token") && safeMethod(r.Method) {
		if !equal(q.Get("token"), g.cfg.Token) {
			refuse(w, r, http.StatusUnauthorized, "?token= is not this sfemu's control token")
			return true
		}
		http.SetCookie(w, &http.Cookie{Name: authCookie + in.suffix, Value: authValue(g.cfg.Token), Path: Prefix + "/",
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
		q.Del("token")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return true
	}
	if c, err := r.Cookie(authCookie + in.suffix); err == nil && equal(c.Value, authValue(g.cfg.Token)) {
		in.auth = Cookie
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="sfemu"`)
	refuse(w, r, http.StatusUnauthorized, "this sfemu asks for its control token: send Authorization: Bearer TOKEN "+
		"(the CLI's --control-token or $SFEMU_CONTROL_TOKEN), or open "+Prefix+"/ui/?token=TOKEN once in a browser")
	return true
}

// checkWrite applies the cross-site rules to a state-changing request
// that does not carry the bearer token.
func (g *Guard) checkWrite(r *http.Request, in *info) (int, string) {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return http.StatusForbidden, fmt.Sprintf("a %s request from another site (Sec-Fetch-Site: %s) may not change sfemu's state", r.Method, site)
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if origin == "null" || err != nil || !sameHost(u, r) {
			return http.StatusForbidden, fmt.Sprintf("a %s request from Origin %s may not change sfemu's state: only pages of %s may (or send Authorization: Bearer TOKEN)", r.Method, origin, r.Host)
		}
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data":
		if mt == "multipart/form-data" {
			r.Body = http.MaxBytesReader(nil, r.Body, maxMultipartBody)
			if err := r.ParseMultipartForm(maxMultipartBody); err != nil {
				return http.StatusBadRequest, fmt.Sprintf("form body: %v", err)
			}
		} else {
			r.Body = http.MaxBytesReader(nil, r.Body, maxFormBody)
			if err := r.ParseForm(); err != nil {
				return http.StatusBadRequest, fmt.Sprintf("form body: %v", err)
			}
		}
		c, err := r.Cookie(csrfCookie + in.suffix)
		sent := r.PostFormValue(CSRFField)
		if err != nil || sent == "" || !equal(sent, sign(g.secret, c.Value)) {
			return http.StatusForbidden, "a form posted to " + Prefix + "/ needs the page's _csrf field (reload the page: it may be from before sfemu restarted); " +
				"for the JSON API send Content-Type: application/json"
		}
		in.csrfCookie = c.Value
	case ct == "" || mt == "application/json" || strings.HasSuffix(mt, "+json"):
	default:
		return http.StatusUnsupportedMediaType, fmt.Sprintf("a %s under %s/ takes Content-Type: application/json (or a console form), not %q", r.Method, Prefix, ct)
	}
	return 0, ""
}

// sameHost reports whether origin names the host (and port) r was sent to.
func sameHost(origin *url.URL, r *http.Request) bool {
	scheme := origin.Scheme
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(withPort(origin.Host, origin.Scheme), withPort(r.Host, scheme))
}

// withPort adds the scheme's default port to a host without one.
func withPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if scheme == "https" {
		return net.JoinHostPort(strings.Trim(host, "[]"), "443")
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "80")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// wantsPage reports whether r is a page a browser shows: the console, or
// anything asking for HTML.
func wantsPage(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, consolePrefix) || r.URL.Path == strings.TrimSuffix(consolePrefix, "/") ||
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

func loopbackPeer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cookieSuffix is "_PORT" for the Host's port, "" without one.
func cookieSuffix(hostport string) string {
	if _, port, err := net.SplitHostPort(hostport); err == nil && port != "" {
		for _, c := range port {
			if c < '0' || c > '9' {
				return ""
			}
		}
		return "_" + port
	}
	return ""
}

// refusalPage is parsed at the first refusal a browser sees, not at every
// start.
var refusalPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("refusal").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sfemu: {{.Status}}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>sfemu: {{.Status}}</h1>
<p>{{.Message}}</p>
{{if .AskToken}}<form method="get" action="{{.Path}}">
<label>Control token <input type="password" name="token" autocomplete="current-password" autofocus></label>
<button type="submit">Open</button>
</form>{{end}}
</body></html>
`))
})

// refuse answers with the control API's error shape, {"error": "…"}, or a
// page for a browser asking for one.
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = refusalPage().Execute(w, map[string]any{
			"Status": fmt.Sprintf("%d %s", status, http.StatusText(status)), "Message": msg, "Path": r.URL.Path,
			"AskToken": status == http.StatusUnauthorized && safeMethod(r.Method),
		})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(map[string]string{"error": msg})
}
