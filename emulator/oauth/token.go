package oauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// Grant types.
const (
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
)

// maxFormBytes bounds a token request body. Larger bodies are refused from
// their Content-Length, or cut off at this size, never read whole.
const maxFormBytes = 64 << 10

// tokenError is an OAuth error answer plus what sfemu knows about why.
type tokenError struct {
	status      int
	code        string
	description string
	reason      string // for people: which claim, which check
	loginStatus string // Login History Status when a user is known
}

func (e *tokenError) Error() string { return e.code + ": " + e.description }

// ErrorCode is the journal's error code: the OAuth error.
func (e *tokenError) ErrorCode() string { return e.code }

func invalidAssertion(reason string) *tokenError {
	return &tokenError{status: http.StatusBadRequest, code: "invalid_grant", description: "invalid assertion", reason: reason, loginStatus: statusInvalidAssertion}
}

// Login History statuses for failures Salesforce's documentation does not
// name. UNKNOWN: chosen by sfemu, listed in docs/OAUTH.md.
const (
	statusInvalidAssertion = "Failed: Invalid Assertion"
	statusInvalidClient    = "Failed: Invalid Client"
)

// tokenRequest is what one token request turned into.
type tokenRequest struct {
	attempt Attempt
	user    *org.User
	app     *org.App
	peer    netip.Addr
	r       *http.Request
	base    string // the emulator's base URL as the client reached it
}

// token serves /services/oauth2/token.
func (s *Service) token(c *gateway.Call) (gateway.Response, error) {
	now := c.Now
	r := c.Request
	req := &tokenRequest{r: r, peer: c.PeerAddr(), base: c.BaseURL}
	req.attempt = Attempt{Time: now, SourceIP: req.peer.String()}

	body, terr := s.grant(c, req, now)
	s.finish(req, terr)
	if terr != nil {
		return gateway.Response{}, terr
	}
	return gateway.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": jsonContentType, "Cache-Control": noStore}, Body: body}, nil
}

// finish completes the attempt from the outcome and records it.
func (s *Service) finish(req *tokenRequest, terr *tokenError) {
	if terr != nil {
		req.attempt.Status, req.attempt.Error, req.attempt.Description, req.attempt.Reason = terr.status, terr.code, terr.description, terr.reason
	} else {
		req.attempt.Status = http.StatusOK
	}
	s.record(req, terr)
}

func (s *Service) grant(c *gateway.Call, req *tokenRequest, now time.Time) ([]byte, *tokenError) {
	r := req.r
	if r.Method != http.MethodPost {
		return nil, &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "must use HTTP POST", reason: r.Method + " is not POST"}
	}
	if r.ContentLength > maxFormBytes {
		return nil, &tokenError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", description: "request body too large",
			reason: fmt.Sprintf("Content-Length %d is over sfemu's %d-byte limit for token requests", r.ContentLength, maxFormBytes)}
	}
	form, err := readForm(c)
	if err != nil {
		var be *gateway.BodyError
		if errors.As(err, &be) && be.TooLarge {
			return nil, &tokenError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", description: "request body too large",
				reason: fmt.Sprintf("body is over sfemu's %d-byte limit for token requests", maxFormBytes)}
		}
		return nil, &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "invalid request", reason: "form body: " + err.Error()}
	}
	r.Form = form
	grant := r.Form.Get("grant_type")
	req.attempt.GrantType = grant
	switch grant {
	case GrantJWTBearer:
		return s.jwtBearer(req, now)
	case GrantRefreshToken:
		// sfemu issues no refresh tokens, so none can be valid.
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "expired access/refresh token", reason: "sfemu issues no refresh tokens yet"}
	case GrantAuthorizationCode:
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "expired authorization code", reason: "sfemu issues no authorization codes yet (web-server flow not supported)"}
	case GrantClientCredentials:
		return nil, s.clientCredentials(req)
	case GrantPassword:
		return nil, s.password(req)
	}
	reason := "grant_type is missing"
	if grant != "" {
		reason = fmt.Sprintf("grant_type %q is not one Salesforce supports", grant)
	}
	if ct := r.Header.Get("Content-Type"); grant == "" && ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		reason += fmt.Sprintf(" (Content-Type is %q; send application/x-www-form-urlencoded)", ct)
	}
	return nil, &tokenError{status: 400, code: "unsupported_grant_type", description: "grant type not supported", reason: reason}
}

// jwtBearer runs the JWT bearer checks in the order Salesforce's flow
// implies (Salesforce Help, "OAuth 2.0 JWT Bearer Flow for Server-to-Server
// Integration"): assertion syntax → app by iss → RS256 signature against the app's
// certificate → aud → exp → user → app installed in the user's org →
// approval → login IP ranges and hours → user active/frozen → login rate.
func (s *Service) jwtBearer(req *tokenRequest, now time.Time) ([]byte, *tokenError) {
	a, err := parseAssertion(req.r.Form.Get("assertion"))
	if err != nil {
		return nil, invalidAssertion(err.Error())
	}
	req.attempt.ClientID, req.attempt.Username, req.attempt.Audience = a.issuer, a.subject, a.audience
	// The user is looked up early only to know which org's audiences apply
	// (sfemu is every login host at once); the user checks still come after exp.
	user := s.store.User(a.subject)
	req.user = user

	app := s.store.AppByConsumerKey(a.issuer)
	if app == nil {
		reason := "claim iss: no app has consumer key " + strconv.Quote(a.issuer)
		if a.issuer == "" {
			reason = "claim iss is missing: it must be the app's consumer key"
		}
		return nil, &tokenError{status: 400, code: "invalid_client_id", description: "client identifier invalid", reason: reason, loginStatus: statusInvalidClient}
	}
	req.app = app
	if terr := s.checkSignature(a, app, now); terr != nil {
		return nil, terr
	}
	if terr := s.checkAudience(a, user, req.base); terr != nil {
		return nil, terr
	}
	if terr := checkExpiry(a, user, now); terr != nil {
		return nil, terr
	}
	if user == nil {
		reason := fmt.Sprintf("claim sub: no user has username %q", a.subject)
		if a.subject == "" {
			reason = "claims sub and prn are missing: one must be the username"
		}
		return nil, &tokenError{status: 400, code: "invalid_grant", description: s.anyOrgSettings().UnknownUserText, reason: reason}
	}
	o := user.Org
	in := s.store.Installation(o, app)
	if in == nil {
		return nil, &tokenError{status: 400, code: "app_not_found", description: "External client app is not installed in this org",
			reason: fmt.Sprintf("app %q is not installed in org %q", app.Name, o.Name), loginStatus: org.LoginAppNotInstalled}
	}
	if terr := checkApproval(in, user); terr != nil {
		return nil, terr
	}
	sourceIP := s.store.ClientIP(o, req.peer)
	req.attempt.SourceIP = sourceIP.String()
	if !user.Profile.AllowsIP(sourceIP) {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: o.Settings.IPRestrictedText, loginStatus: org.LoginRestrictedIP,
			reason: fmt.Sprintf("source IP %s is outside the Login IP Ranges of profile %q (JWT bearer always enforces them, whatever the app's IP relaxation)", sourceIP, user.Profile.Name)}
	}
	if !user.Profile.LoginHours.Allows(now, o.TimeZone) {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: o.Settings.IPRestrictedText, loginStatus: org.LoginInvalidHours,
			reason: fmt.Sprintf("%s is outside the login hours of profile %q", now.In(o.TimeZone).Format("Monday 15:04 MST"), user.Profile.Name)}
	}
	if !user.Active {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: o.Settings.InactiveUserText, loginStatus: org.LoginUserInactive, reason: "user " + user.Username + " is inactive"}
	}
	if user.Frozen {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: o.Settings.FrozenUserText, loginStatus: org.LoginUserFrozen, reason: "user " + user.Username + " is frozen"}
	}
	if !s.rate.allow(user, now, o.Settings.LoginRateLimitPerHour) {
		return nil, &tokenError{status: 400, code: "rate_limit_exceeded", description: o.Settings.RateLimitText, loginStatus: org.LoginRateExceeded,
			reason: fmt.Sprintf("user %s logged in %d times within the hour", user.Username, o.Settings.LoginRateLimitPerHour)}
	}
	session := s.store.Sessions.Open(user, app, in.SessionTimeout(user), o.Settings.ReuseSessions)
	return s.tokenResponse(req.base, session, now), nil
}

// anyOrgSettings are the settings used when no user (so no org) is known:
// the first org's, so a single-org fixture controls every answer.
func (s *Service) anyOrgSettings() org.Settings {
	if orgs := s.store.Orgs(); len(orgs) > 0 {
		return orgs[0].Settings
	}
	return org.DefaultSettings()
}

func (s *Service) checkSignature(a *assertion, app *org.App, now time.Time) *tokenError {
	if a.alg != "RS256" {
		return invalidAssertion(fmt.Sprintf("JWT header alg is %q: Salesforce accepts only RS256", a.alg))
	}
	if app.PublicKey == nil || !app.JWTEnabled {
		return invalidAssertion(fmt.Sprintf("app %q has no certificate for the JWT bearer flow (Use digital signatures is off)", app.Name))
	}
	if err := jwt.SigningMethodRS256.Verify(a.signingInput, a.signature, app.PublicKey); err != nil {
		return invalidAssertion(fmt.Sprintf("signature does not verify with the certificate of app %q (CN=%s): the JWT was signed with another key", app.Name, app.Certificate.Subject.CommonName))
	}
	if now.After(app.Certificate.NotAfter) {
		if s.strictCertificates(app) {
			return invalidAssertion(fmt.Sprintf("certificate of app %q expired on %s and settings.strict_certificate_expiry is on", app.Name, app.Certificate.NotAfter.Format(time.DateOnly)))
		}
	}
	return nil
}

// strictCertificates reports whether any org that installs app asks for
// strict certificate expiry. (The check runs before the user is known.)
func (s *Service) strictCertificates(app *org.App) bool {
	for _, o := range s.store.Orgs() {
		if in := o.Installations[app.ConsumerKey]; in != nil && o.Settings.StrictCertificateExpiry {
			return true
		}
	}
	return false
}

// audiences lists the aud values o accepts: its login host by org type, its
// My Domain URL, extra audiences from the fixture, and the emulator's own
// base URL (sfemu stands in for the My Domain host).
func audiences(o *org.Org, baseURL string) []string {
	out := []string{o.Type.LoginAudience(), baseURL}
	if u := o.MyDomainURL(); u != "" {
		out = append(out, u)
	}
	return append(out, o.ExtraAudiences...)
}

func (s *Service) checkAudience(a *assertion, user *org.User, base string) *tokenError {
	for _, got := range a.audience {
		if user != nil {
			if acceptsAudience(user.Org, base, got) {
				return nil
			}
			continue
		}
		for _, o := range s.store.Orgs() {
			if acceptsAudience(o, base, got) {
				return nil
			}
		}
	}
	reason := "claim aud is missing"
	if len(a.audience) > 0 {
		reason = fmt.Sprintf("claim aud %q is not accepted", strings.Join(a.audience, ","))
		if user != nil {
			reason += fmt.Sprintf(" by %s org %q; want %s", user.Org.Type, user.Org.Name, strings.Join(dedupe(audiences(user.Org, base)), " or "))
		}
	}
	return &tokenError{status: 400, code: "invalid_grant", description: "audience is invalid", reason: reason, loginStatus: statusInvalidAssertion}
}

func acceptsAudience(o *org.Org, base, aud string) bool {
	if aud == o.Type.LoginAudience() || aud == base || (o.MyDomain != "" && aud == o.MyDomainURL()) {
		return true
	}
	for _, extra := range o.ExtraAudiences {
		if aud == extra {
			return true
		}
	}
	return false
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func checkExpiry(a *assertion, user *org.User, now time.Time) *tokenError {
	settings := org.DefaultSettings()
	if user != nil {
		settings = user.Org.Settings
	}
	if !a.hasExpiry {
		return invalidAssertion("claim exp is missing")
	}
	if now.After(a.expiry.Add(settings.AssertionClockSkew)) {
		return &tokenError{status: 400, code: "invalid_grant", description: "expired authorization code", loginStatus: statusInvalidAssertion,
			reason: fmt.Sprintf("claim exp %s is %s in the past", a.expiry.Format(time.RFC3339), now.Sub(a.expiry).Round(time.Second))}
	}
	if max := settings.MaxAssertionLifetime; max > 0 && a.expiry.Sub(now) > max {
		return invalidAssertion(fmt.Sprintf("claim exp %s is more than settings.max_assertion_lifetime (%s) ahead", a.expiry.Format(time.RFC3339), max))
	}
	return nil
}

func checkApproval(in *org.Installation, u *org.User) *tokenError {
	switch in.Policy.PermittedUsers {
	case org.AllUsers:
		if u.ApprovedApps[in.App.ConsumerKey] {
			return nil
		}
		return &tokenError{status: 400, code: "invalid_grant", description: "user hasn't approved this consumer", loginStatus: org.LoginNotApproved,
			reason: fmt.Sprintf("app %q lets users self-authorize, and %s never approved it (JWT bearer needs a prior approval)", in.App.Name, u.Username)}
	default:
		if in.AdminApproves(u) {
			return nil
		}
		reason := fmt.Sprintf("app %q admits admin-approved users only, and neither %s's profile %q nor any of its permission sets is assigned to the app in org %q",
			in.App.Name, u.Username, u.Profile.Name, u.Org.Name)
		if u.Org.Settings.LegacyApprovalError {
			return &tokenError{status: 400, code: "invalid_grant", description: "user hasn't approved this consumer", loginStatus: org.LoginNotApproved, reason: reason}
		}
		return &tokenError{status: 400, code: "invalid_app_access", description: "user is not admin approved to access this app", loginStatus: org.LoginNotApproved, reason: reason}
	}
}

// readForm reads a request's parameters: the URL query, then an
// application/x-www-form-urlencoded body of at most maxFormBytes (the body
// wins, as with http.Request.ParseForm). It reads the body once.
func readForm(c *gateway.Call) (url.Values, error) {
	r := c.Request
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	ct := r.Header.Get("Content-Type")
	if r.Body == nil || r.Body == http.NoBody || (ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded")) {
		return form, nil
	}
	buf, err := c.Body(maxFormBytes)
	if err != nil {
		return nil, err
	}
	posted, err := url.ParseQuery(string(buf))
	if err != nil {
		return nil, err
	}
	for k, v := range posted {
		form[k] = append(v, form[k]...)
	}
	return form, nil
}

// tokenResponse is the success body, fields in Salesforce's order.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	Signature   string `json:"signature,omitempty"`
	Scope       string `json:"scope"`
	InstanceURL string `json:"instance_url"`
	ID          string `json:"id"`
	TokenType   string `json:"token_type"`
	IssuedAt    string `json:"issued_at,omitempty"`
}

func (s *Service) tokenResponse(base string, sess *org.Session, now time.Time) []byte {
	resp := tokenResponse{
		AccessToken: sess.Token,
		Scope:       strings.Join(sess.App.Scopes, " "),
		InstanceURL: base,
		ID:          gateway.IdentityURL(base, sess.User),
		TokenType:   "Bearer",
	}
	if sess.User.Org.Settings.TokenResponseSignature {
		resp.IssuedAt = strconv.FormatInt(now.UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(sess.App.ConsumerSecret))
		mac.Write([]byte(resp.ID + resp.IssuedAt))
		resp.Signature = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return resp.appendJSON(make([]byte, 0, 512))
}

// appendJSON writes the response as json.Marshal would, without reflection:
// it is on the hot path of every login.
func (t *tokenResponse) appendJSON(b []byte) []byte {
	field := func(b []byte, first bool, name, value string) []byte {
		if !first {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		return appendJSONString(b, value)
	}
	b = append(b, '{')
	b = field(b, true, "access_token", t.AccessToken)
	if t.Signature != "" {
		b = field(b, false, "signature", t.Signature)
	}
	b = field(b, false, "scope", t.Scope)
	b = field(b, false, "instance_url", t.InstanceURL)
	b = field(b, false, "id", t.ID)
	b = field(b, false, "token_type", t.TokenType)
	if t.IssuedAt != "" {
		b = field(b, false, "issued_at", t.IssuedAt)
	}
	return append(b, '}')
}

// appendJSONString quotes s as encoding/json does by default (including its
// escaping of <, > and &).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		case r == utf8.RuneError:
			b = append(b, `\ufffd`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

func (s *Service) clientCredentials(req *tokenRequest) *tokenError {
	id, secret := req.r.Form.Get("client_id"), req.r.Form.Get("client_secret")
	if u, p, ok := req.r.BasicAuth(); ok && id == "" {
		id, secret = u, p
	}
	req.attempt.ClientID = id
	app := s.store.AppByConsumerKey(id)
	if app == nil {
		return &tokenError{status: 400, code: "invalid_client_id", description: "client identifier invalid", reason: fmt.Sprintf("no app has consumer key %q", id)}
	}
	if app.ConsumerSecret == "" || !hmac.Equal([]byte(secret), []byte(app.ConsumerSecret)) {
		return &tokenError{status: 400, code: "invalid_client", description: "invalid client credentials", reason: fmt.Sprintf("client_secret does not match app %q", app.Name)}
	}
	return &tokenError{status: 400, code: "invalid_grant", description: "no client credentials user enabled", reason: "sfemu does not model a client-credentials run-as user yet"}
}

func (s *Service) password(req *tokenRequest) *tokenError {
	username := req.r.Form.Get("username")
	req.attempt.Username, req.attempt.ClientID = username, req.r.Form.Get("client_id")
	req.user = s.store.User(username)
	return &tokenError{status: 400, code: "invalid_grant", description: "authentication failure", loginStatus: org.LoginPasswordFlowOff,
		reason: "the username-password flow is blocked, as in orgs created since Summer '23"}
}

// record writes the journal entry, the Login History row (only when a known
// user was named: Salesforce keeps no row for unknown usernames) and one log line.
func (s *Service) record(req *tokenRequest, terr *tokenError) {
	at := &req.attempt
	if req.app != nil {
		at.Application = req.app.Name
	}
	if u := req.user; u != nil {
		at.OrgID, at.UserID = string(u.Org.ID), string(u.ID)
		status := org.LoginSuccess
		if terr != nil {
			status = terr.loginStatus
		}
		if status != "" {
			u.Org.LoginHistory().Add(org.LoginEvent{
				UserID:      string(u.ID),
				Username:    u.Username,
				LoginTime:   at.Time,
				LoginType:   org.LoginTypeRemoteAccess2,
				LoginURL:    hostOnly(req.r.Host),
				SourceIP:    at.SourceIP,
				Status:      status,
				Application: at.Application,
				APIType:     "N/A",
				APIVersion:  "N/A",
				Browser:     "Unknown",
				Platform:    "Unknown",
				Reason:      at.Reason,
			})
		}
	}
	s.journal.add(*at)
	if !s.log.Enabled(req.r.Context(), slog.LevelInfo) {
		return
	}
	attrs := []any{"grant_type", shortGrant(at.GrantType), "status", at.Status, "source_ip", at.SourceIP}
	if at.ClientID != "" {
		attrs = append(attrs, "client_id", at.ClientID)
	}
	if at.Username != "" {
		attrs = append(attrs, "username", at.Username)
	}
	if terr != nil {
		attrs = append(attrs, "error", at.Error, "error_description", at.Description, "reason", at.Reason)
	}
	s.log.Info("token request", attrs...)
}

func shortGrant(g string) string {
	if g == GrantJWTBearer {
		return "jwt-bearer"
	}
	return g
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// Token responses' headers, shared so that setting them allocates nothing;
// handlers only ever replace these slices, never write into them.
var (
	jsonContentType = []string{"application/json;charset=UTF-8"}
	noStore         = []string{"no-cache,must-revalidate,max-age=0,no-store,private"}
)

// oauthError is OAuth's error object with the token endpoint's headers.
func oauthError(status int, code, description string) gateway.Response {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
	return gateway.Response{Status: status, Header: http.Header{"Content-Type": jsonContentType, "Cache-Control": noStore}, Body: body}
}

// loginRate counts successful logins per user in fixed one-hour windows.
type loginRate struct {
	mu     sync.Mutex
	counts map[org.ID]*rateWindow
}

type rateWindow struct {
	start time.Time
	n     int
}

func (l *loginRate) allow(u *org.User, now time.Time, perHour int) bool {
	if perHour <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.counts[u.ID]
	if w == nil || now.Sub(w.start) >= time.Hour {
		w = &rateWindow{start: now}
		l.counts[u.ID] = w
	}
	if w.n >= perHour {
		return false
	}
	w.n++
	return true
}
