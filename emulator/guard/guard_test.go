package guard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/guard"
)

const token = "0123456789abcdef-test-token"

// echo is the guarded handler: it says how the request authenticated, the
// form's CSRF token for the page, and what a form field held.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_ = json.NewEncoder(w).Encode(map[string]any{
		"auth": guard.Authenticated(r), "csrf": guard.CSRFToken(r), "reveal": guard.MayReveal(r), "field": r.FormValue("field"),
	})
})

type reply struct {
	Auth   guard.Auth `json:"auth"`
	CSRF   string     `json:"csrf"`
	Reveal bool       `json:"reveal"`
	Field  string     `json:"field"`
	Error  string     `json:"error"`
}

// do sends one request through a guard from a loopback peer.
func do(t *testing.T, h http.Handler, method, target string, body io.Reader, header ...string) (*httptest.ResponseRecorder, reply) {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr, r.Host = "127.0.0.1:50000", "127.0.0.1:8085"
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			r.Host = header[i+1]
			continue
		}
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var rep reply
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || w.Code == 200 {
		_ = json.Unmarshal(w.Body.Bytes(), &rep)
	}
	return w, rep
}

func TestHost(t *testing.T) {
	t.Parallel()
	h := guard.New(guard.Config{Hosts: func() []string { return []string{"sfemu", "acme.my.salesforce.com"} }}).Wrap(echo)
	for _, host := range []string{"127.0.0.1:8085", "localhost:32768", "LOCALHOST", "[::1]:8085", "192.168.1.20:8085", "[fe80::1%25eth0]:8085",
		"sfemu:8085", "acme.my.salesforce.com", "acme.my.salesforce.com.:443", "app.localhost:8085", ""} {
		if w, _ := do(t, h, "GET", "http://x/_sfemu/orgs", nil, "Host", host); w.Code != 200 {
			t.Errorf("Host %q: %d %s, want 200", host, w.Code, w.Body)
		}
	}
	for _, host := range []string{"evil.example:8085", "127.0.0.1.nip.io:8085", "sfemu.evil.example", "localhost.evil.example"} {
		w, rep := do(t, h, "GET", "http://x/_sfemu/orgs", nil, "Host", host)
		if w.Code != 403 || !strings.Contains(rep.Error, "DNS rebinding") || !strings.Contains(rep.Error, "--allow-host") {
			t.Errorf("Host %q: %d %s, want a 403 naming DNS rebinding and --allow-host", host, w.Code, w.Body)
		}
	}
	// Outside /_sfemu/, and its exempt paths, any Host.
	for _, path := range []string{"/services/data/v66.0/limits", "/_sfemuX", "/_sfemu/health", "/_sfemu/test-receiver/ack"} {
		if w, _ := do(t, h, "GET", "http://x"+path, nil, "Host", "evil.example"); w.Code != 200 {
			t.Errorf("GET %s with another Host: %d, want it untouched", path, w.Code)
		}
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	h := guard.New(guard.Config{Token: token}).Wrap(echo)
	w, rep := do(t, h, "GET", "/_sfemu/orgs", nil)
	if w.Code != 401 || !strings.Contains(rep.Error, "control token") || !strings.Contains(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %d %s %v", w.Code, w.Body, w.Header())
	}
	if w, rep := do(t, h, "GET", "/_sfemu/orgs", nil, "Authorization", "Bearer wrong-token-wrong-token"); w.Code != 401 || !strings.Contains(rep.Error, "does not carry") {
		t.Errorf("wrong token: %d %s", w.Code, w.Body)
	}
	if w, rep := do(t, h, "GET", "/_sfemu/orgs", nil, "Authorization", "Bearer "+token); w.Code != 200 || rep.Auth != guard.Bearer || !rep.Reveal {
		t.Errorf("bearer: %d %s", w.Code, w.Body)
	}
	// Health and the test receiver need none.
	for _, path := range []string{"/_sfemu/health", "/_sfemu/test-receiver/ack"} {
		if w, _ := do(t, h, "GET", path, nil); w.Code != 200 {
			t.Errorf("GET %s: %d, want no token asked", path, w.Code)
		}
	}
	// A browser: an HTML page with a form asking for it.
	w, _ = do(t, h, "GET", "/_sfemu/ui/", nil, "Accept", "text/html,application/xhtml+xml")
	if w.Code != 401 || !strings.Contains(w.Body.String(), `name="token"`) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("browser without token: %d %s", w.Code, w.Body)
	}
	// ?token= once: a cookie, and the same URL without it.
	w, _ = do(t, h, "GET", "/_sfemu/ui/logins?org=Acme&token="+url.QueryEscape(token), nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/_sfemu/ui/logins?org=Acme" {
		t.Fatalf("?token=: %d Location %q, want 303 to the URL without the token", w.Code, w.Header().Get("Location"))
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].Path != "/_sfemu/" || strings.Contains(cookies[0].Value, token) {
		t.Fatalf("cookie after ?token=: %+v", cookies)
	}
	auth := cookies[0].Name + "=" + cookies[0].Value
	if w, rep := do(t, h, "GET", "/_sfemu/orgs", nil, "Cookie", auth); w.Code != 200 || rep.Auth != guard.Cookie {
		t.Errorf("with the cookie: %d %s", w.Code, w.Body)
	}
	// Another emulator with the same token on this host accepts it too (the
	// cookie is the token's HMAC, not this process's), one with another token not.
	other := guard.New(guard.Config{Token: token + "x"}).Wrap(echo)
	if w, _ := do(t, other, "GET", "/_sfemu/orgs", nil, "Cookie", auth); w.Code != 401 {
		t.Errorf("another token's cookie: %d", w.Code)
	}
	if w, _ := do(t, h, "GET", "/_sfemu/ui/?token=nope", nil); w.Code != 401 {
		t.Errorf("?token=nope: %d", w.Code)
	}
}

func TestCheckToken(t *testing.T) {
	for _, bad := range []string{"", "short", "has a space in it ok", "tab\tin-the-token-1234"} {
		if guard.CheckToken(bad) == nil {
			t.Errorf("CheckToken(%q) = nil", bad)
		}
	}
	if err := guard.CheckToken(token); err != nil {
		t.Error(err)
	}
}

func TestCrossSiteWrites(t *testing.T) {
	t.Parallel()
	h := guard.New(guard.Config{}).Wrap(echo)
	host := "127.0.0.1:8085"
	for _, tc := range []struct {
		name   string
		header []string
		ctype  string
		body   string
		want   int
	}{
		{"a script (no Origin), JSON", nil, "application/json", `{"by":"1h"}`, 200},
		{"a script, no body", nil, "", "", 200},
		{"the console's own fetch", []string{"Origin", "http://127.0.0.1:8085", "Sec-Fetch-Site", "same-origin"}, "application/json", `{}`, 200},
		{"another site's text/plain", []string{"Origin", "http://evil.example"}, "text/plain", `{"by":"1h"}`, 403},
		{"another port's page", []string{"Origin", "http://127.0.0.1:9000"}, "application/json", `{}`, 403},
		{"an opaque origin", []string{"Origin", "null"}, "application/json", `{}`, 403},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, "application/json", `{}`, 403},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, "application/json", `{}`, 403},
		{"text/plain without Origin", nil, "text/plain", `{"by":"1h"}`, 415},
		{"a form without _csrf", []string{"Origin", "http://127.0.0.1:8085"}, "application/x-www-form-urlencoded", "field=x", 403},
	} {
		header := append([]string{"Host", host, "Content-Type", tc.ctype}, tc.header...)
		if tc.ctype == "" {
			header = append([]string{"Host", host}, tc.header...)
		}
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		if w, _ := do(t, h, "POST", "/_sfemu/clock/advance", body, header...); w.Code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body, tc.want)
		}
	}
	// GETs are never refused for their Origin.
	if w, _ := do(t, h, "GET", "/_sfemu/orgs", nil, "Host", host, "Origin", "http://evil.example"); w.Code != 200 {
		t.Errorf("cross-site GET: %d", w.Code)
	}
}

func TestCSRFTokenRoundTrip(t *testing.T) {
	t.Parallel()
	g := guard.New(guard.Config{Token: token})
	h := g.Wrap(echo)
	auth := "Bearer " + token
	// A console page: a CSRF cookie, and the token bound to it.
	w, rep := do(t, h, "GET", "/_sfemu/ui/outbound", nil, "Authorization", auth)
	var csrf *http.Cookie
	for _, c := range w.Result().Cookies() {
		if strings.HasPrefix(c.Name, "sfemu_csrf") {
			csrf = c
		}
	}
	if csrf == nil || rep.CSRF == "" || csrf.SameSite != http.SameSiteStrictMode || !csrf.HttpOnly {
		t.Fatalf("console page: cookie %+v, token %q", csrf, rep.CSRF)
	}
	// The browser posts the form with its cookie (an auth cookie, not the bearer).
	w, _ = do(t, h, "GET", "/_sfemu/ui/?token="+token, nil)
	authCookie := w.Result().Cookies()[0]
	cookies := csrf.Name + "=" + csrf.Value + "; " + authCookie.Name + "=" + authCookie.Value
	form := url.Values{guard.CSRFField: {rep.CSRF}, "field": {"retry"}}.Encode()
	post := func(form, cookies string, extra ...string) (*httptest.ResponseRecorder, reply) {
		return do(t, h, "POST", "/_sfemu/ui/outbound/retry", strings.NewReader(form),
			append([]string{"Content-Type", "application/x-www-form-urlencoded", "Cookie", cookies, "Origin", "http://127.0.0.1:8085"}, extra...)...)
	}
	if w, rep := post(form, cookies); w.Code != 200 || rep.Field != "retry" || rep.Auth != guard.Cookie {
		t.Errorf("form with its _csrf: %d %s", w.Code, w.Body)
	}
	if w, _ := post(url.Values{"field": {"retry"}}.Encode(), cookies); w.Code != 403 {
		t.Errorf("form without _csrf: %d", w.Code)
	}
	if w, _ := post(url.Values{guard.CSRFField: {rep.CSRF + "x"}}.Encode(), cookies); w.Code != 403 {
		t.Errorf("form with a wrong _csrf: %d", w.Code)
	}
	// The attacker's own cookie and a token computed without the secret.
	if w, _ := post(url.Values{guard.CSRFField: {rep.CSRF}}.Encode(), csrf.Name+"=attackersownvalueattackersownvalue00; "+authCookie.Name+"="+authCookie.Value); w.Code != 403 {
		t.Errorf("form with another cookie: %d", w.Code)
	}
	// Another process (another secret) refuses this page's token.
	if w, _ := do(t, guard.New(guard.Config{Token: token}).Wrap(echo), "POST", "/_sfemu/ui/outbound/retry", strings.NewReader(form),
		"Content-Type", "application/x-www-form-urlencoded", "Cookie", cookies); w.Code != 403 || !strings.Contains(w.Body.String(), "reload") {
		t.Errorf("form from before a restart: %d %s", w.Code, w.Body)
	}
	// multipart too.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField(guard.CSRFField, rep.CSRF)
	_ = mw.WriteField("field", "upload")
	_ = mw.Close()
	w, rep2 := do(t, h, "POST", "/_sfemu/ui/orgs", &buf, "Content-Type", mw.FormDataContentType(), "Cookie", cookies)
	if w.Code != 200 || rep2.Field != "upload" {
		t.Errorf("multipart form: %d %s", w.Code, w.Body)
	}
	// Without a token configured, the same rules.
	open := guard.New(guard.Config{}).Wrap(echo)
	w, rep = do(t, open, "GET", "/_sfemu/ui/", nil)
	c := w.Result().Cookies()
	if len(c) != 1 || rep.CSRF == "" || !rep.Reveal {
		t.Fatalf("open console page: %+v %+v", c, rep)
	}
	w, _ = do(t, open, "POST", "/_sfemu/ui/reset", strings.NewReader(url.Values{guard.CSRFField: {rep.CSRF}}.Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "Cookie", c[0].Name+"="+c[0].Value)
	if w.Code != 200 {
		t.Errorf("open form post: %d %s", w.Code, w.Body)
	}
	// An API answer gets no cookie.
	if w, rep := do(t, open, "GET", "/_sfemu/orgs", nil); len(w.Result().Cookies()) != 0 || rep.CSRF != "" {
		t.Errorf("GET /_sfemu/orgs set %v", w.Result().Cookies())
	}
}

func TestMayReveal(t *testing.T) {
	t.Parallel()
	h := guard.New(guard.Config{}).Wrap(echo)
	r := httptest.NewRequest("GET", "/_sfemu/sessions", nil)
	r.RemoteAddr, r.Host = "10.0.0.7:4000", "10.0.0.2:8085"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var rep reply
	_ = json.Unmarshal(w.Body.Bytes(), &rep)
	if rep.Reveal {
		t.Error("a peer on another machine, no token configured: MayReveal = true")
	}
	if _, rep := do(t, h, "GET", "/_sfemu/sessions", nil); !rep.Reveal {
		t.Error("a loopback peer, no token configured: MayReveal = false")
	}
	ht := guard.New(guard.Config{Token: token}).Wrap(echo)
	if w, _ := do(t, ht, "GET", "/_sfemu/sessions", nil); w.Code != 401 {
		t.Errorf("token configured, none sent: %d", w.Code)
	}
	if _, rep := do(t, ht, "GET", "/_sfemu/sessions", nil, "Authorization", "bearer "+token); !rep.Reveal {
		t.Error(fmt.Sprintf("bearer (any case): %+v", rep))
	}
}
