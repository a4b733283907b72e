package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

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
	// noLoginRow: the flow recorded its login elsewhere (a code exchange:
	// the authorize page recorded it), so the outcome adds no Login History row.
	noLoginRow bool
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
	form, terr := readTokenForm(c)
	if terr != nil {
		return nil, terr
	}
	r.Form = form
	grant := r.Form.Get("grant_type")
	req.attempt.GrantType = grant
	handle, ok := grantHandlers[grant]
	if !ok {
		reason := "grant_type is missing"
		if grant != "" {
			reason = fmt.Sprintf("grant_type %q is not one Salesforce supports", grant)
		}
		if ct := r.Header.Get("Content-Type"); grant == "" && ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			reason += fmt.Sprintf(" (Content-Type is %q; send application/x-www-form-urlencoded)", ct)
		}
		return nil, &tokenError{status: 400, code: "unsupported_grant_type", description: "grant type not supported", reason: reason}
	}
	if terr := singleValued(r.Form); terr != nil {
		return nil, terr
	}
	out, terr := handle(s, req, now)
	if terr != nil {
		return nil, terr
	}
	return s.respond(req, out, now), nil
}

// readTokenForm reads the token request's parameters within maxFormBytes.
func readTokenForm(c *gateway.Call) (url.Values, *tokenError) {
	r := c.Request
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
	return form, nil
}

// singleValued refuses a parameter given twice (RFC 6749 §3.2: "parameters
// MUST NOT be included more than once"). Salesforce's exact answer is
// UNKNOWN; sfemu answers invalid_request, naming the parameter.
func singleValued(form url.Values) *tokenError {
	for k, v := range form {
		if len(v) > 1 {
			return &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "duplicate parameter: " + k,
				reason: fmt.Sprintf("parameter %s is given %d times (in the URL and the body, or repeated)", k, len(v))}
		}
	}
	return nil
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
		if status != "" && !req.noLoginRow {
			addLoginRow(u, at.Application, req.r.Host, at.SourceIP, status, at.Reason, at.Time)
		}
	}
	s.journal.add(at)
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

// addLoginRow adds an OAuth login to the user's Login History.
func addLoginRow(u *org.User, application, host, sourceIP, status, reason string, at time.Time) {
	u.Org.LoginHistory().Add(org.LoginEvent{
		UserID:      string(u.ID),
		Username:    u.Username,
		LoginTime:   at,
		LoginType:   org.LoginTypeRemoteAccess2,
		LoginURL:    hostOnly(host),
		SourceIP:    sourceIP,
		Status:      status,
		Application: application,
		APIType:     "N/A",
		APIVersion:  "N/A",
		Browser:     "Unknown",
		Platform:    "Unknown",
		Reason:      reason,
	})
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
