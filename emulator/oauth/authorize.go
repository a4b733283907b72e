package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// The browser session of the authorize pages: the cookie Salesforce's UI
// uses, and how long a login there is remembered (the org default session).
const (
	browserCookie     = "sid"
	browserSessionTTL = 2 * time.Hour
	maxBrowserLogins  = 10_000
)

// Salesforce's texts on its login page.
const badLoginText = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."

// browserLogins are the users logged in on the authorize page, by cookie.
type browserLogins struct {
	mu     sync.Mutex
	byID   map[string]browserLogin
	order  []string
	secret [32]byte // keys the approval form's confirmation token
}

type browserLogin struct {
	user *org.User
	at   time.Time
}

func newBrowserLogins() *browserLogins {
	b := &browserLogins{byID: map[string]browserLogin{}}
	_, _ = rand.Read(b.secret[:])
	return b
}

func (b *browserLogins) add(u *org.User, now time.Time) string {
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	id := u.Org.ID.Short() + "!" + base64.RawURLEncoding.EncodeToString(raw[:])
	b.mu.Lock()
	defer b.mu.Unlock()
	b.byID[id] = browserLogin{user: u, at: now}
	b.order = evictLogins(b.order, id, b.byID)
	return id
}

func evictLogins(order []string, id string, m map[string]browserLogin) []string {
	order = append(order, id)
	for len(order) > maxBrowserLogins {
		delete(m, order[0])
		order = order[1:]
	}
	return order
}

func (b *browserLogins) get(id string, now time.Time) *org.User {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.byID[id]
	if !ok || now.Sub(l.at) >= browserSessionTTL {
		return nil
	}
	return l.user
}

// confirmation is the approval form's _CONFIRMATIONTOKEN for a browser
// session: a page on another site cannot forge an Allow.
func (b *browserLogins) confirmation(sid string) string {
	mac := hmac.New(sha256.New, b.secret[:])
	mac.Write([]byte(sid))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// authorize serves /services/oauth2/authorize: the web-server flow's (and
// user-agent flow's) login page, approval page, and the redirect back to
// the app with a code, a token, or an error.
//
// GET carries the authorization request in its query. The pages post back
// here with the same request in the hidden field q and what the person did
// in action (login, approve, deny).
func (s *Service) authorize(c *gateway.Call) (gateway.Response, error) {
	r := c.Request
	raw := r.URL.RawQuery
	var posted url.Values
	if r.Method == http.MethodPost {
		form, terr := readTokenForm(c)
		if terr != nil {
			return s.errorPage(http.StatusRequestEntityTooLarge, &authorizeError{code: terr.code, description: terr.description, reason: terr.reason}), nil
		}
		posted = form
		raw = form.Get("q")
	}
	a, aerr := parseAuthorize(raw)
	if aerr != nil {
		return s.errorPage(http.StatusBadRequest, aerr), nil
	}
	app := s.store.AppByConsumerKey(a.clientID)
	if app == nil {
		reason := fmt.Sprintf("client_id: no app has consumer key %s", strconv.Quote(a.clientID))
		if a.clientID == "" {
			reason = "client_id is missing"
		}
		return s.errorPage(http.StatusBadRequest, &authorizeError{code: "invalid_client_id", description: "client identifier invalid", reason: reason}), nil
	}
	if !app.AllowsCallback(a.redirectURI) {
		reason := fmt.Sprintf("redirect_uri %q is not a callback URL of app %q (callback_urls: %s)", a.redirectURI, app.Name, strings.Join(app.CallbackURLs, ", "))
		if len(app.CallbackURLs) == 0 {
			reason = fmt.Sprintf("app %q has no callback URLs (apps[].callback_urls)", app.Name)
		}
		return s.errorPage(http.StatusBadRequest, &authorizeError{code: "redirect_uri_mismatch", description: "redirect_uri must match configuration", reason: reason}), nil
	}
	// From here on, errors go back to the app.
	fail := func(e *authorizeError) (gateway.Response, error) { return s.redirectError(a, e), nil }
	if e := a.checkResponse(); e != nil {
		return fail(e)
	}
	if a.scopes == nil {
		a.scopes = app.Scopes
	}
	for _, sc := range a.scopes {
		if !app.HasScope(sc) {
			return fail(&authorizeError{code: "invalid_scope", description: "the requested scope is not allowed",
				reason: fmt.Sprintf("scope %q is not among app %q's scopes (%s)", sc, app.Name, org.JoinScopes(app.Scopes))})
		}
	}
	if app.RequirePKCE && a.codeChallenge == "" && a.responseType == "code" {
		return fail(&authorizeError{code: "invalid_request", description: "missing required code challenge",
			reason: fmt.Sprintf("app %q requires PKCE (require_pkce) and the request has no code_challenge", app.Name)})
	}

	var user *org.User
	sid := ""
	if ck, err := r.Cookie(browserCookie); err == nil {
		sid = ck.Value
		user = s.browser.get(sid, c.Now)
	}
	var setCookie string
	switch posted.Get("action") {
	case "login":
		u, msg, note := s.pageLogin(c, app, posted.Get("username"), posted.Get("pw"))
		if u == nil {
			return s.loginPage(a, raw, posted.Get("username"), msg, note), nil
		}
		user = u
		sid = s.browser.add(u, c.Now)
		setCookie = sid
	case "approve", "deny":
		if user == nil || !hmac.Equal([]byte(posted.Get("_CONFIRMATIONTOKEN")), []byte(s.browser.confirmation(sid))) {
			return s.loginPage(a, raw, "", "Your session has expired. Please log in again.", "sfemu: the approval form came without this browser's login (cookie sid) or its confirmation token"), nil
		}
		if posted.Get("action") == "deny" {
			return fail(&authorizeError{code: "access_denied", description: "end-user denied authorization", reason: user.Username + " pressed Deny"})
		}
		user.Approve(app)
		return s.grantAuthorization(c, a, app, user), nil
	default:
		if a.prompt["login"] {
			user = nil
		}
	}
	if user == nil {
		if a.immediate {
			return fail(&authorizeError{code: "immediate_unsuccessful", description: "user is not logged in", reason: "immediate=true and this browser has no login"})
		}
		if a.prompt["none"] {
			return fail(&authorizeError{code: "login_required", description: "user is not logged in", reason: "prompt=none and this browser has no login"})
		}
		return s.loginPage(a, raw, a.loginHint, "", ""), nil
	}
	in := s.store.Installation(user.Org, app)
	if in == nil {
		return fail(&authorizeError{code: "app_not_found", description: "External client app is not installed in this org",
			reason: fmt.Sprintf("app %q is not installed in org %q", app.Name, user.Org.Name)})
	}
	resp := s.decide(c, a, raw, in, user, sid)
	if setCookie != "" {
		if resp.Header == nil {
			resp.Header = http.Header{}
		}
		resp.Header.Add("Set-Cookie", (&http.Cookie{Name: browserCookie, Value: setCookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
	}
	return resp, nil
}

// decide answers for a logged-in user: redirect with a grant when the
// policy or a prior approval allows it, the approval page otherwise.
func (s *Service) decide(c *gateway.Call, a *authorizeRequest, raw string, in *org.Installation, user *org.User, sid string) gateway.Response {
	app := in.App
	switch in.Policy.PermittedUsers {
	case org.AdminApproved:
		if !in.AdminApproves(user) {
			return s.redirectError(a, &authorizeError{code: "invalid_app_access", description: "user is not admin approved to access this app",
				reason: fmt.Sprintf("app %q admits admin-approved users only, and neither %s's profile %q nor any of its permission sets is assigned to it", app.Name, user.Username, user.Profile.Name)})
		}
		if !a.prompt["consent"] {
			return s.grantAuthorization(c, a, app, user)
		}
	default:
		if user.HasApproved(app) && !a.prompt["consent"] {
			return s.grantAuthorization(c, a, app, user)
		}
		if a.immediate || a.prompt["none"] {
			return s.redirectError(a, &authorizeError{code: "immediate_unsuccessful", description: "user has not approved this consumer",
				reason: fmt.Sprintf("immediate=true (or prompt=none) and %s has not approved app %q before", user.Username, app.Name)})
		}
	}
	return s.approvalPage(a, raw, app, user, s.browser.confirmation(sid))
}

// pageLogin checks the login form, recording the attempt in Login History.
// It returns the user, or the page's message and sfemu's note on why.
func (s *Service) pageLogin(c *gateway.Call, app *org.App, username, password string) (*org.User, string, string) {
	u := s.store.User(username)
	if u == nil {
		return nil, badLoginText, fmt.Sprintf("sfemu: no user has username %q", username)
	}
	ip := s.store.ClientIP(u.Org, c.PeerAddr())
	row := func(status, reason string) {
		addLoginRow(u, app.Name, c.Request.Host, ip.String(), status, reason, c.Now)
	}
	if !u.PasswordMatches(password) {
		reason := "the password does not match users[].password of " + u.Username
		if u.Password == "" {
			reason = "user " + u.Username + " has no password in the fixture (users[].password)"
		}
		row(org.LoginInvalidPassword, reason)
		return nil, badLoginText, "sfemu: " + reason
	}
	relax := org.IPEnforce
	if in := s.store.Installation(u.Org, app); in != nil {
		relax = in.Policy.IPRelaxation
	}
	switch {
	case relaxableIP.applies(relax) && !u.Profile.AllowsIP(ip):
		reason := fmt.Sprintf("source IP %s is outside the Login IP Ranges of profile %q%s", ip, u.Profile.Name, relaxableIP.why(relax))
		row(org.LoginRestrictedIP, reason)
		return nil, "You can't log in from this IP address. Contact your Salesforce administrator.", "sfemu: " + reason
	case !u.Profile.LoginHours.Allows(c.Now, u.Org.TimeZone):
		reason := fmt.Sprintf("%s is outside the login hours of profile %q", c.Now.In(u.Org.TimeZone).Format("Monday 15:04 MST"), u.Profile.Name)
		row(org.LoginInvalidHours, reason)
		return nil, "You can't log in at this time. Contact your Salesforce administrator.", "sfemu: " + reason
	case !u.Active:
		row(org.LoginUserInactive, "user "+u.Username+" is inactive")
		return nil, badLoginText, "sfemu: user " + u.Username + " is inactive"
	case u.Frozen:
		row(org.LoginUserFrozen, "user "+u.Username+" is frozen")
		return nil, "Your account has been frozen. Contact your Salesforce administrator.", "sfemu: user " + u.Username + " is frozen"
	}
	row(org.LoginSuccess, "")
	return u, "", ""
}

// grantAuthorization redirects to the app with what it asked for: a code
// (web-server flow) or the tokens in the fragment (user-agent flow).
func (s *Service) grantAuthorization(c *gateway.Call, a *authorizeRequest, app *org.App, user *org.User) gateway.Response {
	in := s.store.Installation(user.Org, app)
	if a.responseType == "code" {
		code := s.store.Grants.IssueCode(org.AuthCode{User: user, App: app, RedirectURI: a.redirectURI, Scopes: a.scopes,
			Challenge: a.codeChallenge, ChallengeMethod: a.codeChallengeMethod, Nonce: a.nonce, Issued: c.Now})
		q := url.Values{"code": {code.Code}}
		if a.state != "" {
			q.Set("state", a.state)
		}
		return redirect(withQuery(a.redirectURI, q))
	}
	out := s.issueInteractive(in, user, a.scopes, a.nonce, c.Now)
	out.openID = out.openID && strings.Contains(a.responseType, "id_token")
	t := s.tokenFields(c.BaseURL, out, c.Now)
	f := url.Values{"access_token": {t.AccessToken}, "instance_url": {t.InstanceURL}, "id": {t.ID}, "issued_at": {t.IssuedAt},
		"signature": {t.Signature}, "scope": {t.Scope}, "token_type": {t.TokenType}}
	if t.RefreshToken != "" {
		f.Set("refresh_token", t.RefreshToken)
	}
	if t.IDToken != "" {
		f.Set("id_token", t.IDToken)
	}
	if a.state != "" {
		f.Set("state", a.state)
	}
	return redirect(a.redirectURI + "#" + f.Encode())
}

// redirectError sends an error back to the app's callback.
func (s *Service) redirectError(a *authorizeRequest, e *authorizeError) gateway.Response {
	q := url.Values{"error": {e.code}, "error_description": {e.description}}
	if a.state != "" {
		q.Set("state", a.state)
	}
	if a.responseType == "token" || strings.HasPrefix(a.responseType, "token ") {
		return redirect(a.redirectURI + "#" + q.Encode())
	}
	return redirect(withQuery(a.redirectURI, q))
}

func withQuery(uri string, q url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + q.Encode()
}

func redirect(location string) gateway.Response {
	return gateway.Response{Status: http.StatusFound, Header: http.Header{"Location": {location}, "Cache-Control": noStore}}
}
