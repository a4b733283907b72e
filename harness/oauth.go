package harness

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
)

// OAuthStep has the harness play an OAuth client of the org — the
// customer's web app, integration or script — against the emulator's
// OAuth endpoints, the way a support engineer reproduces "my booking
// SaaS connection fails with redirect_uri_mismatch". Every request it
// makes is in the token-request journal and Login History like any
// other; what the step itself saw is checked with expect: oauth:.
type OAuthStep struct {
	// Flow is web_server (the login and approval pages, then the code
	// exchange), refresh, client_credentials, password (username-password)
	// or jwt (JWT bearer).
	Flow string `yaml:"flow"`
	// ClientID is the app's consumer key (jwt: the iss claim, default the
	// org's first app with a certificate).
	ClientID string `yaml:"client_id"`
	// ClientSecret is sent when given (refresh: default the named step's).
	ClientSecret string `yaml:"client_secret"`
	// Host is sent as the Host header of every request: login.salesforce.com
	// or test.salesforce.com (the shared login hosts), or the org's My
	// Domain host. Default: the emulator's own address, which stands for
	// what the org's settings.emulator_host says (My Domain by default).
	Host string `yaml:"host"`

	// RedirectURI is the web_server flow's redirect_uri, at authorize and
	// at the exchange; ExchangeRedirectURI sends another at the exchange.
	RedirectURI         string `yaml:"redirect_uri"`
	ExchangeRedirectURI string `yaml:"exchange_redirect_uri"`
	// Scope is the scope parameter ("api refresh_token"); default none (the
	// app's scopes).
	Scope string `yaml:"scope"`
	// Username and Password: typed into the login page (web_server), the
	// flow's parameters (password); jwt: Username is the sub claim
	// (default: the first outbound message's user to send as).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Approve is what the person presses on the approval page: Allow
	// (true, the default) or Deny.
	Approve *bool `yaml:"approve"`
	// CodeVerifier turns on PKCE: its S256 challenge goes to authorize,
	// the verifier to the exchange.
	CodeVerifier string `yaml:"code_verifier"`

	// RefreshToken is $name of an earlier web_server step (whose client_id,
	// client_secret and host the refresh also takes, unless given), or a
	// token.
	RefreshToken string `yaml:"refresh_token"`

	// Audience is the jwt flow's aud claim (default: the org type's login
	// URL); Key the private key file that signs the assertion, relative to
	// the scenario (default: the test key, fixtures/keys/server.key). The
	// assertion expires 3 minutes after the emulator's clock.
	Audience string `yaml:"audience"`
	Key      string `yaml:"key"`

	// As names the outcome, for expect: oauth: {of: name} and
	// refresh_token: $name.
	As string `yaml:"as"`
}

// OAuthExpect checks what an oauth step saw: where it ended, and with what.
// Named keys only; a string starting with "~" is a regular expression.
type OAuthExpect struct {
	// Of is the step's as: name; default the latest oauth step.
	Of string `yaml:"of"`
	// At is where the flow ended: page (Salesforce's error page — an
	// unknown client_id or a redirect_uri that is no callback URL is shown,
	// never sent back to the app), login (the login page again, with a
	// message), callback (the redirect to the app carried an error) or
	// token (the token endpoint answered).
	At string `yaml:"at"`
	// Status is the HTTP status of that answer (token: 200 or 400).
	Status *int `yaml:"status"`
	// Error and ErrorDescription are the OAuth error (on the page, the
	// callback or the token answer).
	Error            string `yaml:"error"`
	ErrorDescription string `yaml:"error_description"`
	// Message is the login page's alert ("Please check your username and
	// password. …").
	Message string `yaml:"message"`
	// RefreshToken: the token answer carried a refresh token, or did not.
	RefreshToken *bool `yaml:"refresh_token"`
}

// OAuth flows.
const (
	FlowWebServer         = "web_server"
	FlowRefresh           = "refresh"
	FlowClientCredentials = "client_credentials"
	FlowPassword          = "password"
	FlowJWT               = "jwt"
)

// Where an oauth step's flow ended.
const (
	oauthAtPage     = "page"
	oauthAtLogin    = "login"
	oauthAtCallback = "callback"
	oauthAtToken    = "token"
)

var oauthAts = []string{oauthAtPage, oauthAtLogin, oauthAtCallback, oauthAtToken}

// oauthFlow is what one flow takes: its keys besides flow, host and as,
// and the ones it cannot do without.
type oauthFlow struct {
	name         string
	takes, needs []string
}

var oauthFlows = []oauthFlow{
	{FlowWebServer, []string{"client_id", "client_secret", "redirect_uri", "exchange_redirect_uri", "scope", "username", "password", "approve", "code_verifier"},
		[]string{"client_id", "redirect_uri", "username"}},
	{FlowRefresh, []string{"refresh_token", "client_id", "client_secret"}, []string{"refresh_token"}},
	{FlowClientCredentials, []string{"client_id", "client_secret"}, []string{"client_id"}},
	{FlowPassword, []string{"client_id", "client_secret", "username", "password"}, []string{"client_id", "username"}},
	{FlowJWT, []string{"client_id", "username", "audience", "key"}, nil},
}

func oauthFlowNames() []string {
	names := make([]string, len(oauthFlows))
	for i, f := range oauthFlows {
		names[i] = f.name
	}
	return names
}

// setKeys are the yaml keys of st that are set, in field order.
func (st *OAuthStep) setKeys() []string {
	v := reflect.ValueOf(st).Elem()
	var out []string
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			out = append(out, name)
		}
	}
	return out
}

// loadNames are what earlier steps named: records (create … as:) and
// oauth outcomes (oauth … as:, with the flow that made them).
type loadNames struct {
	records map[string]bool
	oauth   map[string]string
	// oauthSteps counts the oauth steps so far.
	oauthSteps int
	// outcomes are the api and bulk steps' as: names (outcomeKind: which),
	// which @{name.path} refers to; apiSteps and bulkSteps count them.
	outcomes            map[string]bool
	outcomeKind         map[string]string
	apiSteps, bulkSteps int
}

// validateOAuth lists the rules an oauth step breaks.
func (sc *Scenario) validateOAuth(path string, st *OAuthStep, names *loadNames) []*LoadError {
	var errs []*LoadError
	at := path + ".oauth"
	i := slices.IndexFunc(oauthFlows, func(f oauthFlow) bool { return f.name == st.Flow })
	if i < 0 {
		where := at
		msg := fmt.Sprintf("oauth: flow %q: want one of %s", st.Flow, strings.Join(oauthFlowNames(), ", "))
		if st.Flow == "" {
			msg = "oauth needs a flow: one of " + strings.Join(oauthFlowNames(), ", ")
		} else {
			where = at + ".flow"
		}
		return []*LoadError{sc.errAt(where, "%s", msg)}
	}
	flow := oauthFlows[i]
	set := st.setKeys()
	for _, k := range set {
		if k == "flow" || k == "host" || k == "as" || slices.Contains(flow.takes, k) {
			continue
		}
		errs = append(errs, sc.errAt(at+"."+k, "oauth: %s does not apply to the %s flow (it takes %s, host and as)", k, st.Flow, strings.Join(flow.takes, ", ")))
	}
	for _, k := range flow.needs {
		if !slices.Contains(set, k) {
			errs = append(errs, sc.errAt(at, "oauth: the %s flow needs %s", st.Flow, k))
		}
	}
	if ref, ok := strings.CutPrefix(st.RefreshToken, "$"); ok {
		switch made, known := names.oauth[ref]; {
		case !known:
			errs = append(errs, sc.errAt(at+".refresh_token", "refresh_token %s names no earlier oauth step (oauth … as: %s)", st.RefreshToken, ref))
		case made != FlowWebServer:
			errs = append(errs, sc.errAt(at+".refresh_token", "refresh_token %s names a %s step: only the web_server flow issues refresh tokens", st.RefreshToken, made))
		}
	} else if st.RefreshToken != "" && st.ClientID == "" {
		errs = append(errs, sc.errAt(at, "oauth: a refresh with a literal refresh_token needs client_id (with $name it takes that step's)"))
	}
	if st.Key != "" && !strings.Contains(st.Key, "{{") {
		key := st.Key
		if !filepath.IsAbs(key) {
			key = filepath.Join(filepath.Dir(sc.File), key)
		}
		if _, err := os.Stat(key); err != nil {
			errs = append(errs, sc.errAt(at+".key", "oauth: key %q: no such file (a private key file, relative to this scenario)", st.Key))
		}
	}
	if st.Host != "" && strings.ContainsAny(st.Host, "/ ") {
		errs = append(errs, sc.errAt(at+".host", "oauth: host %q: want a host name such as login.salesforce.com, not a URL", st.Host))
	}
	names.oauthSteps++
	if st.As != "" {
		names.oauth[st.As] = st.Flow
	}
	return errs
}

// validateOAuthExpect lists the rules an expect: oauth: breaks.
func (sc *Scenario) validateOAuthExpect(path string, e *OAuthExpect, names *loadNames) []*LoadError {
	var errs []*LoadError
	switch {
	case e.Of != "":
		if _, ok := names.oauth[e.Of]; !ok {
			errs = append(errs, sc.errAt(path+".of", "expect oauth: of %q names no earlier oauth step (oauth … as: %s)", e.Of, e.Of))
		}
	case names.oauthSteps == 0:
		errs = append(errs, sc.errAt(path, "expect oauth: no oauth step comes before it"))
	}
	if e.At != "" && !slices.Contains(oauthAts, e.At) {
		errs = append(errs, sc.errAt(path+".at", "expect oauth: at %q: want one of %s", e.At, strings.Join(oauthAts, ", ")))
	}
	return errs
}

// oauthOutcome is what an oauth step saw.
type oauthOutcome struct {
	flow             string
	at               string
	status           int
	err, description string
	message          string
	// note is sfemu's explanation, for failure reports: the page's note,
	// or the token-request journal's reason for a refusal.
	note                      string
	accessToken, refreshToken string
	// The client the step was, for a refresh that names it.
	clientID, clientSecret, host string
}

// view is the outcome as expect: oauth: names it.
func (o *oauthOutcome) view() map[string]any {
	return map[string]any{"at": o.at, "status": o.status, "error": o.err, "error_description": o.description,
		"message": o.message, "refresh_token": o.refreshToken != ""}
}

func (o *oauthOutcome) String() string {
	s := fmt.Sprintf("%s flow ended at %s, HTTP %d", o.flow, o.at, o.status)
	if o.err != "" {
		s += fmt.Sprintf(", %s (%s)", o.err, o.description)
	}
	if o.message != "" {
		s += fmt.Sprintf(", %q", o.message)
	}
	if o.accessToken != "" {
		s += ", an access token"
	}
	if o.refreshToken != "" {
		s += " and a refresh token"
	}
	if o.note != "" {
		s += " — " + o.note
	}
	return s
}

// want is the expectation as a map of the keys it names.
func (e *OAuthExpect) want() map[string]any {
	m := map[string]any{}
	if e.At != "" {
		m["at"] = e.At
	}
	if e.Status != nil {
		m["status"] = *e.Status
	}
	if e.Error != "" {
		m["error"] = e.Error
	}
	if e.ErrorDescription != "" {
		m["error_description"] = e.ErrorDescription
	}
	if e.Message != "" {
		m["message"] = e.Message
	}
	if e.RefreshToken != nil {
		m["refresh_token"] = *e.RefreshToken
	}
	return m
}

// checkOAuth compares an oauth step's outcome with the expectation; err is
// an outcome the story cannot have in this phase (its step is only: another).
func (r *run) checkOAuth(e *OAuthExpect) (string, error) {
	o := r.lastOAuth
	what := "the latest oauth step"
	if e.Of != "" {
		o, what = r.oauth[e.Of], "oauth step "+e.Of
	}
	if o == nil {
		return "", fmt.Errorf("expect oauth: %s did not run in this phase (%s)", what, r.phase)
	}
	if msg := matchList(what, []map[string]any{e.want()}, []map[string]any{o.view()}); msg != "" {
		return msg + "\n" + what + ": " + o.String(), nil
	}
	return "", nil
}

// oauthClient is the harness as an OAuth client: a browser for the
// authorize pages (cookies kept, redirects not followed) and a form poster
// for the token endpoint, all at the emulator's base URL.
type oauthClient struct {
	base string
	host string
	http *http.Client
}

func newOAuthClient(base, host string) *oauthClient {
	jar, _ := cookiejar.New(nil)
	return &oauthClient{base: strings.TrimRight(base, "/"), host: host, http: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type answer struct {
	status   int
	body     string
	location string
}

func (c *oauthClient) do(ctx context.Context, method, path string, form url.Values) (answer, error) {
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	} else if form != nil {
		path += "?" + form.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return answer{}, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("oauth: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("oauth: %s %s: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}, nil
}

const (
	authorizePath = "/services/oauth2/authorize"
	tokenPath     = "/services/oauth2/token"
	grantJWT      = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// token posts a token request and reads the answer into the outcome.
func (c *oauthClient) token(ctx context.Context, form url.Values, out *oauthOutcome) error {
	a, err := c.do(ctx, http.MethodPost, tokenPath, form)
	if err != nil {
		return err
	}
	var body struct {
		AccessToken      string `json:"access_token"`
		RefreshToken     string `json:"refresh_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		return fmt.Errorf("oauth: the token endpoint answered %d with no JSON: %.200q", a.status, a.body)
	}
	out.at, out.status = oauthAtToken, a.status
	out.err, out.description = body.Error, body.ErrorDescription
	out.accessToken, out.refreshToken = body.AccessToken, body.RefreshToken
	return nil
}

// The authorize pages, recognised by Salesforce's element ids (which
// sfemu's pages keep, docs/OAUTH.md).
var (
	hiddenInput = regexp.MustCompile(`<input\b[^>]*\btype="hidden"[^>]*>`)
	inputName   = regexp.MustCompile(`\bname="([^"]*)"`)
	inputValue  = regexp.MustCompile(`\bvalue="([^"]*)"`)
	errorText   = regexp.MustCompile(`(?s)<[a-z]+ id="error"[^>]*>(.*?)</[a-z]+>`)
	noteText    = regexp.MustCompile(`(?s)id="sfemu-note"[^>]*>(.*?)</div>`)
)

// hiddenFields are a page's hidden form fields, which a browser posts back.
func hiddenFields(page string) url.Values {
	form := url.Values{}
	for _, in := range hiddenInput.FindAllString(page, -1) {
		n, v := inputName.FindStringSubmatch(in), inputValue.FindStringSubmatch(in)
		if n == nil {
			continue
		}
		val := ""
		if v != nil {
			val = html.UnescapeString(v[1])
		}
		form.Set(html.UnescapeString(n[1]), val)
	}
	return form
}

func pageText(re *regexp.Regexp, page string) string {
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// webServer runs the web-server flow as a person and the app would: open
// authorize, log in, press Allow or Deny, follow the redirect to the
// callback, and exchange the code.
func (c *oauthClient) webServer(ctx context.Context, st *OAuthStep, out *oauthOutcome) error {
	q := url.Values{"response_type": {"code"}, "client_id": {st.ClientID}, "redirect_uri": {st.RedirectURI}, "state": {"sfemu-harness"}}
	if st.Scope != "" {
		q.Set("scope", st.Scope)
	}
	if st.CodeVerifier != "" {
		sum := sha256.Sum256([]byte(st.CodeVerifier))
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
	}
	a, err := c.do(ctx, http.MethodGet, authorizePath, q)
	if err != nil {
		return err
	}
	loggedIn := false
	for range 5 {
		if a.status >= 300 && a.status < 400 {
			return c.callback(ctx, st, a, out)
		}
		var form url.Values
		switch {
		case strings.Contains(a.body, `id="oaapprove"`):
			form = hiddenFields(a.body)
			form.Set("action", "deny")
			if st.Approve == nil || *st.Approve {
				form.Set("action", "approve")
			}
		case strings.Contains(a.body, `id="login_form"`):
			if loggedIn {
				out.at, out.status, out.message, out.note = oauthAtLogin, a.status, pageText(errorText, a.body), pageText(noteText, a.body)
				return nil
			}
			loggedIn = true
			form = hiddenFields(a.body)
			form.Set("action", "login")
			form.Set("username", st.Username)
			form.Set("pw", st.Password)
		case errorText.MatchString(a.body):
			out.at, out.status, out.note = oauthAtPage, a.status, strings.TrimPrefix(pageText(noteText, a.body), "sfemu: ")
			text := pageText(errorText, a.body)
			if v, err := url.ParseQuery(text); err == nil && v.Get("error") != "" {
				out.err, out.description = v.Get("error"), v.Get("error_description")
			} else {
				out.err = text
			}
			return nil
		default:
			return fmt.Errorf("oauth: the authorize endpoint answered %d with a page that is neither the login, the approval nor the error page: %.300q", a.status, a.body)
		}
		if a, err = c.do(ctx, http.MethodPost, authorizePath, form); err != nil {
			return err
		}
	}
	return fmt.Errorf("oauth: the authorize pages did not end in a redirect to the callback after 5 pages")
}

// callback reads the redirect back to the app, and exchanges its code.
func (c *oauthClient) callback(ctx context.Context, st *OAuthStep, a answer, out *oauthOutcome) error {
	u, err := url.Parse(a.location)
	if err != nil || !strings.HasPrefix(a.location, st.RedirectURI) {
		return fmt.Errorf("oauth: the authorize endpoint redirected to %q, not to the redirect_uri %s", a.location, st.RedirectURI)
	}
	q := u.Query()
	if q.Get("code") == "" {
		out.at, out.status, out.err, out.description = oauthAtCallback, a.status, q.Get("error"), q.Get("error_description")
		return nil
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "client_id": {st.ClientID}, "redirect_uri": {firstNonEmpty(st.ExchangeRedirectURI, st.RedirectURI)}}
	if st.ClientSecret != "" {
		form.Set("client_secret", st.ClientSecret)
	}
	if st.CodeVerifier != "" {
		form.Set("code_verifier", st.CodeVerifier)
	}
	return c.token(ctx, form, out)
}

// runOAuth runs an oauth step and remembers its outcome. A refusal is an
// outcome (for expect: oauth:); only what keeps the step from finishing —
// an emulator it cannot reach, a page it does not know — is an error.
func (r *run) runOAuth(ctx context.Context, spec *OAuthStep) error {
	st, err := r.renderOAuth(spec)
	if err != nil {
		return err
	}
	out := &oauthOutcome{flow: st.Flow, clientID: st.ClientID, clientSecret: st.ClientSecret, host: st.Host}
	if st.Flow == FlowRefresh {
		token := st.RefreshToken
		if ref, ok := strings.CutPrefix(token, "$"); ok {
			from := r.oauth[ref]
			if from == nil {
				return fmt.Errorf("oauth: refresh_token %s: that step did not run in this phase", token)
			}
			if from.refreshToken == "" {
				return fmt.Errorf("oauth: refresh_token %s: that step got no refresh token (%s); ask for scope refresh_token", token, from)
			}
			token = from.refreshToken
			if spec.ClientID == "" {
				out.clientID, out.clientSecret = from.clientID, firstNonEmpty(st.ClientSecret, from.clientSecret)
			}
			out.host = firstNonEmpty(st.Host, from.host)
		}
		st.RefreshToken = token
	}
	c := newOAuthClient(r.baseURL, out.host)
	switch st.Flow {
	case FlowWebServer:
		err = c.webServer(ctx, st, out)
	case FlowRefresh:
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {st.RefreshToken}, "client_id": {out.clientID}}
		if out.clientSecret != "" {
			form.Set("client_secret", out.clientSecret)
		}
		err = c.token(ctx, form, out)
	case FlowClientCredentials:
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {st.ClientID}}
		if st.ClientSecret != "" {
			form.Set("client_secret", st.ClientSecret)
		}
		err = c.token(ctx, form, out)
	case FlowPassword:
		form := url.Values{"grant_type": {"password"}, "client_id": {st.ClientID}, "username": {st.Username}, "password": {st.Password}}
		if st.ClientSecret != "" {
			form.Set("client_secret", st.ClientSecret)
		}
		err = c.token(ctx, form, out)
	case FlowJWT:
		var assertion string
		if assertion, err = r.assertion(ctx, st); err == nil {
			err = c.token(ctx, url.Values{"grant_type": {grantJWT}, "assertion": {assertion}}, out)
		}
	default:
		err = fmt.Errorf("oauth: flow %q is not one of %s", st.Flow, strings.Join(oauthFlowNames(), ", "))
	}
	if err != nil {
		return err
	}
	if out.at == oauthAtToken && out.err != "" {
		out.note = r.tokenReason(ctx, out)
	}
	r.lastOAuth = out
	r.oauthLog = append(r.oauthLog, out)
	if st.As != "" {
		r.oauth[st.As] = out
	}
	return nil
}

// tokenReason is sfemu's reason for a refused token request: the newest
// journal entry with the outcome's error ("" when there is none).
func (r *run) tokenReason(ctx context.Context, out *oauthOutcome) string {
	got, err := r.ctl.TokenRequests(ctx)
	if err != nil {
		return ""
	}
	for i := len(got) - 1; i >= 0; i-- {
		if t := got[i]; t.Status == out.status && t.Error == out.err && t.Description == out.description {
			return t.Reason
		}
	}
	return ""
}

// assertion signs the jwt flow's assertion: iss the client, sub the user,
// aud the audience, exp 3 minutes after the emulator's clock.
func (r *run) assertion(ctx context.Context, st *OAuthStep) (string, error) {
	keyFile := filepath.Join(r.keysDir, "server.key")
	if st.Key != "" {
		keyFile = st.Key
		if !filepath.IsAbs(keyFile) {
			keyFile = filepath.Join(filepath.Dir(r.sc.File), keyFile)
		}
	}
	key, err := jwtbearer.LoadPrivateKeyFile(keyFile)
	if err != nil {
		return "", fmt.Errorf("oauth: key: %v", err)
	}
	clk, err := r.ctl.Clock(ctx)
	if err != nil {
		return "", err
	}
	return jwtbearer.Mint(key, jwtbearer.Claims{
		Issuer:   firstNonEmpty(st.ClientID, r.vars.ConsumerKey),
		Subject:  firstNonEmpty(st.Username, r.vars.Username),
		Audience: firstNonEmpty(st.Audience, r.vars.Audience),
		Expiry:   clk.Now.Add(3 * time.Minute),
	})
}

// renderOAuth fills the templates in the step's texts ({{.EmulatorURL}},
// {{.MyDomainHost}}, {{.KeysDir}} …, with this machine's paths).
func (r *run) renderOAuth(spec *OAuthStep) (*OAuthStep, error) {
	st := *spec
	vars := *r.vars
	vars.KeysDir, vars.KeyFile = r.keysDir, filepath.Join(r.keysDir, "server.key")
	for _, f := range []struct {
		key string
		val *string
	}{{"client_id", &st.ClientID}, {"client_secret", &st.ClientSecret}, {"host", &st.Host}, {"redirect_uri", &st.RedirectURI},
		{"exchange_redirect_uri", &st.ExchangeRedirectURI}, {"username", &st.Username}, {"password", &st.Password},
		{"audience", &st.Audience}, {"key", &st.Key}} {
		if !strings.Contains(*f.val, "{{") {
			continue
		}
		v, err := vars.render(*f.val)
		if err != nil {
			return nil, fmt.Errorf("oauth.%s: %v", f.key, err)
		}
		*f.val = v
	}
	return &st, nil
}
