package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfemu/sfemu/emulator/org"
)

// browser is a person at the authorize pages: cookies kept, redirects not
// followed (the test reads where they go).
type browser struct {
	t    *testing.T
	e    *testEnv
	http *http.Client
}

func (e *testEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	body     string
	location string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, string(body), resp.Header.Get("Location")}
}

func (b *browser) open(q url.Values) page {
	req, _ := http.NewRequest("GET", b.e.srv.URL+"/services/oauth2/authorize?"+q.Encode(), nil)
	return b.do(req)
}

// submit posts a page's form back with the hidden fields it carries and more.
func (b *browser) submit(p page, fields url.Values) page {
	b.t.Helper()
	form := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(p.body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	for k, v := range fields {
		form[k] = v
	}
	req, _ := http.NewRequest("POST", b.e.srv.URL+"/services/oauth2/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&#43;", "+").Replace(s)
}

func login(user, pw string) url.Values {
	return url.Values{"action": {"login"}, "username": {user}, "pw": {pw}}
}

var allow = url.Values{"action": {"approve"}}

func webRequest(kv ...string) url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {"KEY_WEB"}, "redirect_uri": {"https://booking.example/oauth/callback"}, "state": {"s-42"}}
	return changed(q, kv...)
}

// changed sets the key-value pairs kv in form; an empty value removes the key.
func changed(form url.Values, kv ...string) url.Values {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			form.Del(kv[i])
			continue
		}
		form.Set(kv[i], kv[i+1])
	}
	return form
}

// callback is where a redirect to the app's callback URL lands.
func callback(t *testing.T, p page, want string) url.Values {
	t.Helper()
	if p.status != http.StatusFound || !strings.HasPrefix(p.location, want) {
		t.Fatalf("answer %d to %q; want a redirect to %s\n%s", p.status, p.location, want, p.body)
	}
	u, _ := url.Parse(p.location)
	if u.Fragment != "" {
		q, _ := url.ParseQuery(u.Fragment)
		return q
	}
	return u.Query()
}

// authorizeCode runs the pages as a person would and returns the code.
func (e *testEnv) authorizeCode(t *testing.T, q url.Values, user, pw string) string {
	t.Helper()
	b := e.browser(t)
	p := b.submit(b.open(q), login(user, pw))
	if strings.Contains(p.body, `id="oaapprove"`) {
		p = b.submit(p, allow)
	}
	return callback(t, p, q.Get("redirect_uri")).Get("code")
}

func exchange(code string, kv ...string) url.Values {
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"KEY_WEB"}, "client_secret": {"SECRET_WEB"}, "redirect_uri": {"https://booking.example/oauth/callback"}}
	return changed(f, kv...)
}

func TestWebServerFlowFromLoginPageToTokens(t *testing.T) {
	e := newTestEnv(t, "")
	b := e.browser(t)
	p := b.open(webRequest("scope", "api refresh_token openid"))
	if p.status != 200 || !strings.Contains(p.body, `id="username"`) || !strings.Contains(p.body, `id="Login"`) {
		t.Fatalf("authorize = %d; want the login page:\n%s", p.status, p.body)
	}
	p = b.submit(p, login("booker@acme.example", "Booking-Pass1"))
	for _, want := range []string{"Allow Access?", "booking_saas", `id="oaapprove"`, `id="oadeny"`, "Access and manage your data (api)", "Perform requests on your behalf at any time"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("approval page lacks %q:\n%s", want, p.body)
		}
	}
	q := callback(t, b.submit(p, allow), "https://booking.example/oauth/callback?")
	if q.Get("state") != "s-42" || q.Get("code") == "" {
		t.Fatalf("callback query %v; want a code and state s-42", q)
	}

	res := e.postToken(t, exchange(q.Get("code")))
	if res.status != 200 {
		t.Fatalf("exchange = %d %s", res.status, res.body)
	}
	var tok map[string]string
	if err := json.Unmarshal([]byte(res.body), &tok); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"access_token", "refresh_token", "signature", "scope", "id_token", "instance_url", "id", "token_type", "issued_at"} {
		if tok[k] == "" {
			t.Errorf("token response has no %s: %s", k, res.body)
		}
	}
	if tok["scope"] != "api refresh_token openid" {
		t.Errorf("scope = %q; want the scopes asked for", tok["scope"])
	}
	mac := hmac.New(sha256.New, []byte("SECRET_WEB"))
	mac.Write([]byte(tok["id"] + tok["issued_at"]))
	if got := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != tok["signature"] {
		t.Errorf("signature %s does not verify as HMAC-SHA256(id+issued_at, secret) = %s", tok["signature"], got)
	}
	pub, kid, _ := e.svc.cfg.SigningKey.Public()
	idt, err := jwt.Parse(tok["id_token"], func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != kid {
			t.Errorf("id_token kid %v; want the published %s", tk.Header["kid"], kid)
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now), jwt.WithAudience("KEY_WEB"))
	if err != nil {
		t.Fatalf("id_token does not verify: %v", err)
	}
	if c := idt.Claims.(jwt.MapClaims); c["preferred_username"] != "booker@acme.example" || c["sub"] != tok["id"] {
		t.Errorf("id_token claims %v", c)
	}
	rows := e.acmeRows()
	if last := rows[len(rows)-1]; last.Username != "booker@acme.example" || last.Status != org.LoginSuccess || last.Application != "booking_saas" || last.LoginType != org.LoginTypeRemoteAccess2 {
		t.Errorf("Login History newest row %+v; want booker's success through booking_saas", last)
	}

	// The approval is remembered: the next authorization skips the page.
	p = b.open(webRequest())
	if c := callback(t, p, "https://booking.example/oauth/callback?"); c.Get("code") == "" {
		t.Errorf("second authorization %v; want a code without the approval page", c)
	}
	// And a self-authorize app now lets the user in with JWT bearer too.
	if u := e.store.User("booker@acme.example"); !u.HasApproved(e.store.AppByConsumerKey("KEY_WEB")) {
		t.Error("Allow was not remembered as the user's approval")
	}
}

func (e *testEnv) acmeRows() []org.LoginEvent {
	for _, o := range e.store.Orgs() {
		if o.Name == "Acme" {
			return o.LoginHistory().Events()
		}
	}
	return nil
}

func TestAuthorizePagesAndRedirectErrors(t *testing.T) {
	tests := []struct {
		name string
		q    url.Values
		// then: what the person does on the page the request opens (nil: nothing)
		then      func(b *browser, p page) page
		wantPage  string // text the answer page shows (status 200/400)
		wantError string // error= on the callback
		wantDesc  string
	}{
		{name: "unknown client_id is shown, not redirected", q: webRequest("client_id", "NOPE"),
			wantPage: "error=invalid_client_id&amp;error_description=client identifier invalid"},
		{name: "a redirect_uri that is not a callback URL is shown, not redirected", q: webRequest("redirect_uri", "https://evil.example/cb"),
			wantPage: "error=redirect_uri_mismatch&amp;error_description=redirect_uri must match configuration"},
		{name: "a callback URL differing by a trailing slash is a mismatch", q: webRequest("redirect_uri", "https://booking.example/oauth/callback/"),
			wantPage: "redirect_uri_mismatch"},
		{name: "a scope the app did not select", q: webRequest("scope", "api full"),
			wantError: "invalid_scope", wantDesc: "the requested scope is not allowed"},
		{name: "an unknown response_type", q: webRequest("response_type", "magic"),
			wantError: "unsupported_response_type", wantDesc: "response type not supported"},
		{name: "an app requiring PKCE gets no code_challenge",
			q:         url.Values{"response_type": {"code"}, "client_id": {"KEY_PKCE"}, "redirect_uri": {"https://spa.example/cb"}},
			wantError: "invalid_request", wantDesc: "missing required code challenge"},
		{name: "Deny on the approval page", q: webRequest(),
			then: func(b *browser, p page) page {
				return b.submit(b.submit(p, login("booker@acme.example", "Booking-Pass1")), url.Values{"action": {"deny"}})
			},
			wantError: "access_denied", wantDesc: "end-user denied authorization"},
		{name: "a wrong password: the login page says so", q: webRequest(),
			then:     func(b *browser, p page) page { return b.submit(p, login("booker@acme.example", "wrong")) },
			wantPage: "Please check your username and password."},
		{name: "immediate=true without a login", q: webRequest("immediate", "true"), wantError: "immediate_unsuccessful"},
		{name: "immediate=true logged in but never approved", q: webRequest(),
			then: func(b *browser, p page) page {
				b.submit(p, login("booker@acme.example", "Booking-Pass1")) // the approval page, left unanswered
				return b.open(webRequest("immediate", "true"))
			},
			wantError: "immediate_unsuccessful"},
		{name: "prompt=none without a login", q: webRequest("prompt", "none"), wantError: "login_required"},
		{name: "an admin-approved app and a user its policy does not cover", q: url.Values{"response_type": {"code"}, "client_id": {"KEY_STAFF"}, "redirect_uri": {"https://staff.example/cb"}},
			then:      func(b *browser, p page) page { return b.submit(p, login("booker@acme.example", "Booking-Pass1")) },
			wantError: "invalid_app_access", wantDesc: "user is not admin approved to access this app"},
		{name: "a login from outside the profile's Login IP Ranges", q: webRequest(),
			then:     func(b *browser, p page) page { return b.submit(p, login("officeonly@acme.example", "Office-Pass1")) },
			wantPage: "You can&#39;t log in from this IP address."},
		{name: "a parameter given twice", q: func() url.Values { q := webRequest(); q.Add("scope", "api"); q.Add("scope", "web"); return q }(),
			wantPage: "duplicate parameter: scope"},
		{name: "an oversized state", q: webRequest("state", strings.Repeat("s", 5000)),
			wantPage: "parameter too long: state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, "")
			b := e.browser(t)
			p := b.open(tt.q)
			if tt.then != nil {
				p = tt.then(b, p)
			}
			if tt.wantPage != "" {
				if p.status == http.StatusFound || !strings.Contains(p.body, tt.wantPage) {
					t.Fatalf("answer %d (Location %q); want a page showing %q:\n%s", p.status, p.location, tt.wantPage, p.body)
				}
				return
			}
			q := callback(t, p, tt.q.Get("redirect_uri"))
			if q.Get("error") != tt.wantError || (tt.wantDesc != "" && q.Get("error_description") != tt.wantDesc) {
				t.Errorf("callback error=%q error_description=%q; want %q %q", q.Get("error"), q.Get("error_description"), tt.wantError, tt.wantDesc)
			}
			if q.Get("code") != "" {
				t.Error("an error callback carries a code")
			}
			if tt.q.Get("state") != "" && q.Get("state") != tt.q.Get("state") {
				t.Errorf("state %q not echoed (got %q)", tt.q.Get("state"), q.Get("state"))
			}
		})
	}
}

func TestWrongPasswordOnTheLoginPageIsInLoginHistory(t *testing.T) {
	e := newTestEnv(t, "")
	b := e.browser(t)
	b.submit(b.open(webRequest()), login("booker@acme.example", "wrong"))
	rows := e.acmeRows()
	if last := rows[len(rows)-1]; last.Username != "booker@acme.example" || last.Status != org.LoginInvalidPassword {
		t.Errorf("newest Login History row %+v; want booker's Invalid Password", last)
	}
}

func TestCodeExchangeChecks(t *testing.T) {
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" // RFC 7636 appendix B
	pkce := url.Values{"response_type": {"code"}, "client_id": {"KEY_PKCE"}, "redirect_uri": {"https://spa.example/cb"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	pkceExchange := func(code string, kv ...string) url.Values {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"KEY_PKCE"}, "redirect_uri": {"https://spa.example/cb"}, "code_verifier": {verifier}}
		return changed(f, kv...)
	}
	tests := []struct {
		name     string
		q        url.Values
		exchange func(code string) url.Values
		advance  time.Duration
		twice    bool
		want     string
	}{
		{name: "the right code, secret and redirect_uri", q: webRequest(), exchange: func(c string) url.Values { return exchange(c) }, want: "200"},
		{name: "a wrong client secret", q: webRequest(), exchange: func(c string) url.Values { return exchange(c, "client_secret", "nope") },
			want: `{"error":"invalid_client","error_description":"invalid client credentials"}`},
		{name: "no client secret when the app requires it", q: webRequest(), exchange: func(c string) url.Values { return exchange(c, "client_secret", "") },
			want: `{"error":"invalid_client","error_description":"invalid client credentials"}`},
		{name: "a wrong consumer key", q: webRequest(), exchange: func(c string) url.Values { return exchange(c, "client_id", "NOPE") },
			want: `{"error":"invalid_client_id","error_description":"client identifier invalid"}`},
		{name: "a redirect_uri other than the authorize request's", q: webRequest(), exchange: func(c string) url.Values { return exchange(c, "redirect_uri", "http://127.0.0.1/cb") },
			want: `{"error":"redirect_uri_mismatch","error_description":"redirect_uri must match configuration"}`},
		{name: "a code used twice", q: webRequest(), exchange: func(c string) url.Values { return exchange(c) }, twice: true,
			want: `{"error":"invalid_grant","error_description":"expired authorization code"}`},
		{name: "a code older than 15 minutes", q: webRequest(), exchange: func(c string) url.Values { return exchange(c) }, advance: 15 * time.Minute,
			want: `{"error":"invalid_grant","error_description":"expired authorization code"}`},
		{name: "a code 14 minutes old", q: webRequest(), exchange: func(c string) url.Values { return exchange(c) }, advance: 14 * time.Minute, want: "200"},
		{name: "a made-up code", q: webRequest(), exchange: func(string) url.Values { return exchange("00Dxx!bogus") },
			want: `{"error":"invalid_grant","error_description":"expired authorization code"}`},
		{name: "PKCE: the right verifier and no secret", q: pkce, exchange: func(c string) url.Values { return pkceExchange(c) }, want: "200"},
		{name: "PKCE: a wrong verifier", q: pkce, exchange: func(c string) url.Values { return pkceExchange(c, "code_verifier", strings.Repeat("x", 43)) },
			want: `{"error":"invalid_request","error_description":"invalid code verifier"}`},
		{name: "PKCE: no verifier", q: pkce, exchange: func(c string) url.Values { return pkceExchange(c, "code_verifier", "") },
			want: `{"error":"invalid_grant","error_description":"invalid code verifier"}`},
		{name: "a parameter given twice", q: webRequest(), exchange: func(c string) url.Values { f := exchange(c); f.Add("code", c); return f },
			want: `{"error":"invalid_request","error_description":"duplicate parameter: code"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, "")
			code := e.authorizeCode(t, tt.q, "booker@acme.example", "Booking-Pass1")
			e.clock.Advance(tt.advance)
			res := e.postToken(t, tt.exchange(code))
			if tt.twice {
				res = e.postToken(t, tt.exchange(code))
			}
			if tt.want == "200" {
				if res.status != 200 {
					t.Fatalf("exchange = %d %s; want 200", res.status, res.body)
				}
				return
			}
			if res.status != 400 || res.body != tt.want {
				t.Errorf("exchange = %d %s; want 400 %s", res.status, res.body, tt.want)
			}
		})
	}
}

// tokens is a token response.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token"`
}

func (e *testEnv) mustTokens(t *testing.T, form url.Values) tokens {
	t.Helper()
	res := e.postToken(t, form)
	if res.status != 200 {
		t.Fatalf("token request = %d %s", res.status, res.body)
	}
	var tk tokens
	_ = json.Unmarshal([]byte(res.body), &tk)
	return tk
}

func refreshForm(rt string, kv ...string) url.Values {
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"KEY_WEB"}, "client_secret": {"SECRET_WEB"}}
	return changed(f, kv...)
}

const expiredRefresh = `{"error":"invalid_grant","error_description":"expired access/refresh token"}`

func TestRefreshTokensFollowThePolicy(t *testing.T) {
	t.Run("issued only when the scope allows", func(t *testing.T) {
		e := newTestEnv(t, "")
		if tk := e.mustTokens(t, exchange(e.authorizeCode(t, webRequest("scope", "api"), "booker@acme.example", "Booking-Pass1"))); tk.RefreshToken != "" || tk.IDToken != "" {
			t.Errorf("scope api got refresh_token %q id_token %q; want neither", tk.RefreshToken, tk.IDToken)
		}
	})
	t.Run("expire if not used for 24h: used within it, it lives on", func(t *testing.T) {
		e := newTestEnv(t, "")
		tk := e.mustTokens(t, exchange(e.authorizeCode(t, webRequest(), "booker@acme.example", "Booking-Pass1")))
		for i := 0; i < 3; i++ {
			e.clock.Advance(23 * time.Hour)
			if got := e.mustTokens(t, refreshForm(tk.RefreshToken)); got.AccessToken == "" || got.RefreshToken != "" {
				t.Fatalf("refresh %d: %+v; want a new access token and no new refresh token", i, got)
			}
		}
		e.clock.Advance(24 * time.Hour)
		if res := e.postToken(t, refreshForm(tk.RefreshToken)); res.body != expiredRefresh {
			t.Errorf("after 24 h unused: %d %s; want %s", res.status, res.body, expiredRefresh)
		}
	})
	t.Run("immediately expire", func(t *testing.T) {
		e := newTestEnv(t, "")
		code := e.authorizeCode(t, url.Values{"response_type": {"code"}, "client_id": {"KEY_STAFF"}, "redirect_uri": {"https://staff.example/cb"}}, "staff@acme.example", "Staff-Pass1")
		tk := e.mustTokens(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"KEY_STAFF"}, "client_secret": {"SECRET_STAFF"}, "redirect_uri": {"https://staff.example/cb"}})
		res := e.postToken(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}, "client_id": {"KEY_STAFF"}, "client_secret": {"SECRET_STAFF"}})
		if res.body != expiredRefresh {
			t.Errorf("refresh = %d %s; want %s", res.status, res.body, expiredRefresh)
		}
		rows := e.acmeRows()
		if last := rows[len(rows)-1]; last.Status != statusRefreshExpired || !strings.Contains(last.Reason, "Immediately expire") {
			t.Errorf("Login History %+v; want %q naming the policy", last, statusRefreshExpired)
		}
	})
	t.Run("revoking the refresh token revokes its access tokens", func(t *testing.T) {
		e := newTestEnv(t, "")
		tk := e.mustTokens(t, exchange(e.authorizeCode(t, webRequest(), "booker@acme.example", "Booking-Pass1")))
		res, err := http.PostForm(e.srv.URL+"/services/oauth2/revoke", url.Values{"token": {tk.RefreshToken}})
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("revoke = %v %v", res.StatusCode, err)
		}
		res.Body.Close()
		if e.store.Sessions.Peek(tk.AccessToken) != nil {
			t.Error("the access token issued with the refresh token still works")
		}
		if r := e.postToken(t, refreshForm(tk.RefreshToken)); r.body != expiredRefresh {
			t.Errorf("refresh after revoke = %s", r.body)
		}
	})
	t.Run("a refresh token of another app", func(t *testing.T) {
		e := newTestEnv(t, "")
		tk := e.mustTokens(t, exchange(e.authorizeCode(t, webRequest(), "booker@acme.example", "Booking-Pass1")))
		if r := e.postToken(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}, "client_id": {"KEY_PKCE"}}); r.body != expiredRefresh {
			t.Errorf("refresh with another app's key = %s", r.body)
		}
	})
	t.Run("IP relaxation for refresh tokens lets a refresh in from outside the ranges", func(t *testing.T) {
		e := newTestEnv(t, "")
		const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		q := url.Values{"response_type": {"code"}, "client_id": {"KEY_PKCE"}, "redirect_uri": {"https://spa.example/cb"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}}
		code := e.authorizeCode(t, q, "booker@acme.example", "Booking-Pass1")
		tk := e.mustTokens(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"KEY_PKCE"}, "redirect_uri": {"https://spa.example/cb"}, "code_verifier": {verifier}})
		u := e.store.User("booker@acme.example")
		u.Profile.LoginIPRanges = []org.IPRange{{Start: mustAddr("10.0.0.1"), End: mustAddr("10.0.0.2")}}
		defer func() { u.Profile.LoginIPRanges = nil }()
		if got := e.mustTokens(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}, "client_id": {"KEY_PKCE"}}); got.AccessToken == "" {
			t.Error("refresh from outside the ranges was refused despite relax_for_refresh_tokens")
		}
	})
}

func TestClientCredentials(t *testing.T) {
	cc := url.Values{"grant_type": {"client_credentials"}, "client_id": {"KEY_CC"}, "client_secret": {"SECRET_CC"}}
	tests := []struct {
		name    string
		form    url.Values
		host    string
		basic   bool
		fixture string
		want    string
	}{
		{name: "on the emulator's own address (My Domain)", form: cc, want: "200"},
		{name: "on the org's My Domain host", form: cc, host: "acme.my.salesforce.com", want: "200"},
		{name: "the secret in HTTP Basic", form: url.Values{"grant_type": {"client_credentials"}}, basic: true, want: "200"},
		{name: "on the shared login host", form: cc, host: "login.salesforce.com",
			want: `{"error":"invalid_grant","error_description":"request not supported on this domain"}`},
		{name: "the emulator's address set to stand for the login host", form: cc, fixture: "settings: {emulator_host: login}",
			want: `{"error":"invalid_grant","error_description":"request not supported on this domain"}`},
		{name: "no Run As user", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"KEY_CC_NOUSER"}, "client_secret": {"SECRET_CC_NOUSER"}},
			want: `{"error":"invalid_grant","error_description":"no client credentials user enabled"}`},
		{name: "a wrong secret", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"KEY_CC"}, "client_secret": {"nope"}},
			want: `{"error":"invalid_client","error_description":"invalid client credentials"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, tt.fixture)
			req, _ := http.NewRequest("POST", e.srv.URL+"/services/oauth2/token", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.basic {
				req.SetBasicAuth("KEY_CC", "SECRET_CC")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tt.want == "200" {
				var tk map[string]string
				_ = json.Unmarshal(body, &tk)
				if resp.StatusCode != 200 || tk["refresh_token"] != "" || tk["signature"] == "" {
					t.Fatalf("= %d %s; want 200 with a signature and no refresh token", resp.StatusCode, body)
				}
				s := e.store.Sessions.Peek(tk["access_token"])
				if s == nil || s.User.Username != "ccrunner@acme.example" {
					t.Errorf("session %+v; want one for the Run As user", s)
				}
				return
			}
			if resp.StatusCode != 400 || string(body) != tt.want {
				t.Errorf("= %d %s; want 400 %s", resp.StatusCode, body, tt.want)
			}
		})
	}
}

func TestUsernamePasswordFlow(t *testing.T) {
	pw := func(kv ...string) url.Values {
		f := url.Values{"grant_type": {"password"}, "client_id": {"KEY_WEB"}, "client_secret": {"SECRET_WEB"}, "username": {"booker@acme.example"}, "password": {"Booking-Pass1"}}
		return changed(f, kv...)
	}
	const authFailure = `{"error":"invalid_grant","error_description":"authentication failure"}`
	tests := []struct {
		name, fixture string
		form          url.Values
		basicUser     string
		want          string
		wantRow       string
	}{
		{name: "blocked by default, as in orgs created since Summer '23", form: pw(), want: authFailure, wantRow: org.LoginPasswordFlowOff},
		{name: "allowed by the org setting", fixture: "settings: {username_password_flow: true}", form: pw(), want: "200", wantRow: org.LoginSuccess},
		{name: "password with the security token appended", fixture: "settings: {username_password_flow: true}", form: pw("password", "Booking-Pass1TOKEN1"), want: "200"},
		{name: "a wrong password", fixture: "settings: {username_password_flow: true}", form: pw("password", "nope"), want: authFailure, wantRow: org.LoginInvalidPassword},
		{name: "a Basic header never stands in for the password", fixture: "settings: {username_password_flow: true}", form: pw("password", ""),
			basicUser: "booker@acme.example", want: authFailure, wantRow: org.LoginInvalidPassword},
		{name: "a wrong client secret", fixture: "settings: {username_password_flow: true}", form: pw("client_secret", "nope"),
			want: `{"error":"invalid_client","error_description":"invalid client credentials"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, tt.fixture)
			req, _ := http.NewRequest("POST", e.srv.URL+"/services/oauth2/token", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.basicUser != "" {
				req.SetBasicAuth(tt.basicUser, "Booking-Pass1")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tt.want == "200" {
				if resp.StatusCode != 200 {
					t.Fatalf("= %d %s; want 200", resp.StatusCode, body)
				}
			} else if resp.StatusCode != 400 || string(body) != tt.want {
				t.Errorf("= %d %s; want 400 %s", resp.StatusCode, body, tt.want)
			}
			if tt.wantRow != "" {
				rows := e.acmeRows()
				if last := rows[len(rows)-1]; last.Status != tt.wantRow || last.Username != "booker@acme.example" {
					t.Errorf("newest Login History row %q for %s; want %q", last.Status, last.Username, tt.wantRow)
				}
			}
		})
	}
}

func TestJWTAudienceForms(t *testing.T) {
	k := mustKeys(t)
	tests := []struct {
		aud, fixture string
		ok           bool
	}{
		{aud: "https://login.salesforce.com/", ok: true},
		{aud: "https://login.salesforce.com", ok: true},
		{aud: "https://login.salesforce.com/services/oauth2/token", ok: true},
		{aud: "https://login.salesforce.com/services/oauth2/token", fixture: "settings: {token_endpoint_audience: false}", ok: false},
		{aud: "https://test.salesforce.com/", ok: false},
		{aud: "https://acme.my.salesforce.com/", ok: true},
		{aud: "https://login.salesforce.com//", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.aud+" "+tt.fixture, func(t *testing.T) {
			e := newTestEnv(t, tt.fixture)
			res := e.postToken(t, jwtForm(sign(t, k.key, with("aud", tt.aud))))
			if (res.status == 200) != tt.ok {
				t.Errorf("aud %q = %d %s; want accepted %v", tt.aud, res.status, res.body, tt.ok)
			}
		})
	}
}

func TestOpenIDConnectEndpoints(t *testing.T) {
	e := newTestEnv(t, "")
	get := func(path string) map[string]any {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&m) != nil {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		return m
	}
	d := get("/.well-known/openid-configuration")
	if d["issuer"] != e.srv.URL || d["jwks_uri"] != e.srv.URL+"/id/keys" || d["authorization_endpoint"] != e.srv.URL+"/services/oauth2/authorize" {
		t.Errorf("discovery %v", d)
	}
	keys := get("/id/keys")["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["alg"] != "RS256" {
		t.Errorf("JWKS %v", keys)
	}

	tk := e.mustTokens(t, exchange(e.authorizeCode(t, webRequest(), "booker@acme.example", "Booking-Pass1")))
	introspect := func(token, secret string) (int, map[string]any) {
		resp, err := http.PostForm(e.srv.URL+"/services/oauth2/introspect", url.Values{"token": {token}, "client_id": {"KEY_WEB"}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if st, m := introspect(tk.AccessToken, "SECRET_WEB"); st != 200 || m["active"] != true || m["token_type"] != "access_token" || m["username"] != "booker@acme.example" {
		t.Errorf("introspect access token = %d %v", st, m)
	}
	if st, m := introspect(tk.RefreshToken, "SECRET_WEB"); st != 200 || m["active"] != true || m["token_type"] != "refresh_token" {
		t.Errorf("introspect refresh token = %d %v", st, m)
	}
	if st, m := introspect("00Dxx!nothing", "SECRET_WEB"); st != 200 || m["active"] != false {
		t.Errorf("introspect bogus = %d %v; want active false", st, m)
	}
	if st, m := introspect(tk.AccessToken, "nope"); st != 401 || m["error"] != "invalid_client" {
		t.Errorf("introspect with a wrong secret = %d %v; want 401 invalid_client", st, m)
	}

	req, _ := http.NewRequest("GET", e.srv.URL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("userinfo after the web-server flow = %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}

func TestUserAgentFlowPutsTokensInTheFragment(t *testing.T) {
	e := newTestEnv(t, "")
	b := e.browser(t)
	q := webRequest("response_type", "token")
	p := b.submit(b.submit(b.open(q), login("booker@acme.example", "Booking-Pass1")), allow)
	f := callback(t, p, "https://booking.example/oauth/callback#")
	if f.Get("access_token") == "" || f.Get("state") != "s-42" || f.Get("instance_url") == "" || f.Get("signature") == "" {
		t.Errorf("fragment %v; want access_token, instance_url, signature and state", f)
	}
	if e.store.Sessions.Peek(f.Get("access_token")) == nil {
		t.Error("the fragment's access token opens no session")
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestForgedTokensGetNowhere replays the JWT suite's forgeries against an
// id_token sfemu issued: none verifies with the published key set, and
// neither the forgeries nor the real id_token work as a refresh token, a
// code or an access token.
func TestForgedTokensGetNowhere(t *testing.T) {
	e := newTestEnv(t, "")
	tk := e.mustTokens(t, exchange(e.authorizeCode(t, webRequest("scope", "api openid refresh_token"), "booker@acme.example", "Booking-Pass1")))
	parts := strings.Split(tk.IDToken, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q", tk.IDToken)
	}
	encode := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	pub, kid, _ := e.svc.cfg.SigningKey.Public()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tk.IDToken, claims); err != nil {
		t.Fatal(err)
	}
	claims["preferred_username"] = "anyclient@acme.example"
	forgeries := map[string]string{
		"alg none":                 encode(map[string]string{"alg": "none", "kid": kid}) + "." + parts[1] + ".",
		"tampered payload":         parts[0] + "." + encode(claims) + "." + parts[2],
		"signature stripped":       parts[0] + "." + parts[1] + ".",
		"re-signed with other key": sign(t, e.keys.otherKey, claims),
		"HS256 keyed with the JWKS modulus": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(pub.N.Bytes())
			return s
		}(),
	}
	verify := func(s string) error {
		_, err := jwt.Parse(s, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(e.clock.Now))
		return err
	}
	if err := verify(tk.IDToken); err != nil {
		t.Fatalf("the real id_token does not verify: %v", err)
	}
	forgeries["the real id_token"] = tk.IDToken
	for name, s := range forgeries {
		t.Run(name, func(t *testing.T) {
			if name != "the real id_token" && verify(s) == nil {
				t.Error("verifies with sfemu's key set")
			}
			if r := e.postToken(t, refreshForm(s)); r.body != expiredRefresh {
				t.Errorf("as a refresh token: %d %s", r.status, r.body)
			}
			if r := e.postToken(t, exchange(s)); r.body != `{"error":"invalid_grant","error_description":"expired authorization code"}` {
				t.Errorf("as a code: %d %s", r.status, r.body)
			}
			req, _ := http.NewRequest("GET", e.srv.URL+"/services/oauth2/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+s)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("as an access token: userinfo %d; want 403", resp.StatusCode)
			}
		})
	}
}

// TestEveryMissingParameterHasAnExactError drops each parameter of each
// flow in turn: every answer is an exact Salesforce error, never a 500.
func TestEveryMissingParameterHasAnExactError(t *testing.T) {
	e := newTestEnv(t, "settings: {username_password_flow: true}")
	code := e.authorizeCode(t, webRequest(), "booker@acme.example", "Booking-Pass1")
	tk := e.mustTokens(t, exchange(code))
	flows := map[string]url.Values{
		"authorization_code": exchange(e.authorizeCode(t, webRequest(), "booker@acme.example", "Booking-Pass1")),
		"refresh_token":      refreshForm(tk.RefreshToken),
		"client_credentials": {"grant_type": {"client_credentials"}, "client_id": {"KEY_CC"}, "client_secret": {"SECRET_CC"}},
		"password":           {"grant_type": {"password"}, "client_id": {"KEY_WEB"}, "client_secret": {"SECRET_WEB"}, "username": {"booker@acme.example"}, "password": {"Booking-Pass1"}},
	}
	want := map[string]string{
		"grant_type":    `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`,
		"client_id":     `{"error":"invalid_client_id","error_description":"client identifier invalid"}`,
		"client_secret": `{"error":"invalid_client","error_description":"invalid client credentials"}`,
		"code":          `{"error":"invalid_grant","error_description":"expired authorization code"}`,
		"redirect_uri":  `{"error":"redirect_uri_mismatch","error_description":"redirect_uri must match configuration"}`,
		"refresh_token": expiredRefresh,
		"username":      `{"error":"invalid_grant","error_description":"authentication failure"}`,
		"password":      `{"error":"invalid_grant","error_description":"authentication failure"}`,
	}
	for flow, form := range flows {
		for param := range form {
			t.Run(flow+" without "+param, func(t *testing.T) {
				f := url.Values{}
				for k, v := range form {
					if k != param {
						f[k] = v
					}
				}
				r := e.postToken(t, f)
				if r.status != 400 || r.body != want[param] {
					t.Errorf("= %d %s; want 400 %s", r.status, r.body, want[param])
				}
			})
		}
	}
}
