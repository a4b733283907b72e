package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtBearerGrant is the grant_type of the OAuth 2.0 JWT bearer flow.
const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// assertionLifetime is the exp of assertions: Salesforce asks for "within 3 minutes".
const assertionLifetime = 3 * time.Minute

// maxResponseSize bounds what is read from Salesforce.
const maxResponseSize = 8 << 20

// TokenError is a refusal from the token endpoint: {"error","error_description"}.
type TokenError struct {
	Status      int
	Code        string // error
	Description string // error_description
}

func (e *TokenError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// APIError is a REST API failure: Salesforce answers a JSON array of
// {"errorCode","message","fields"}.
type APIError struct {
	Status int
	Errors []RESTError
}

// RESTError is one element of a REST error body.
type RESTError struct {
	ErrorCode string   `json:"errorCode"`
	Message   string   `json:"message"`
	Fields    []string `json:"fields,omitempty"`
}

func (e *APIError) Error() string {
	parts := make([]string, 0, len(e.Errors))
	for _, r := range e.Errors {
		parts = append(parts, r.ErrorCode+": "+r.Message)
	}
	if len(parts) == 0 {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return strings.Join(parts, "; ")
}

// Code is the first errorCode.
func (e *APIError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].ErrorCode
}

// isInvalidSession reports a REST 401 INVALID_SESSION_ID or a SOAP fault
// sf:INVALID_SESSION_ID: the token expired or was revoked, and logging in
// again may help.
func isInvalidSession(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusUnauthorized && (ae.Code() == "INVALID_SESSION_ID" || ae.Code() == "")
	}
	var sf *SOAPFault
	return errors.As(err, &sf) && sf.ExceptionName() == "INVALID_SESSION_ID"
}

// Token is an access token (or a SOAP session) and the instance it is good
// for; SOAPURL is the serverUrl a SOAP login() answered, where its calls go.
type Token struct {
	AccessToken string
	InstanceURL string
	SOAPURL     string
}

// Salesforce is the HTTP client side: JWT bearer logins with a token cache
// per org, and REST calls.
type Salesforce struct {
	http       *http.Client
	apiVersion string
	loginWith  string // LoginJWT or LoginSOAPLogin
	now        func() time.Time

	mu     sync.Mutex
	tokens map[string]*orgTokens // by orgKey
}

// orgTokens caches one org's token. Its mutex is held during a login, so
// concurrent notifications wait for one login instead of each making one.
type orgTokens struct {
	mu    sync.Mutex
	token *Token
}

// NewSalesforce returns a client that logs in with loginWith (LoginJWT or
// LoginSOAPLogin). hc nil means a client with a 30-second timeout.
func NewSalesforce(hc *http.Client, apiVersion, loginWith string) *Salesforce {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Salesforce{http: hc, apiVersion: apiVersion, loginWith: loginWith, now: time.Now, tokens: map[string]*orgTokens{}}
}

func (sf *Salesforce) orgTokens(o *OrgConfig) *orgTokens {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	t := sf.tokens[orgKey(o.OrgID)]
	if t == nil {
		t = &orgTokens{}
		sf.tokens[orgKey(o.OrgID)] = t
	}
	return t
}

// Token returns o's cached token, logging in when there is none. When stale
// is the cached token (the API just refused it), it logs in again; when
// another caller has already replaced it, that newer token is returned.
// version is the API version a SOAP login() is made at.
func (sf *Salesforce) Token(ctx context.Context, o *OrgConfig, stale *Token, version string) (*Token, error) {
	ot := sf.orgTokens(o)
	ot.mu.Lock()
	defer ot.mu.Unlock()
	if ot.token != nil && ot.token != stale {
		return ot.token, nil
	}
	ot.token = nil
	login := sf.login
	if sf.loginWith == LoginSOAPLogin {
		login = func(ctx context.Context, o *OrgConfig) (*Token, error) { return sf.soapLogin(ctx, o, version) }
	}
	tok, err := login(ctx, o)
	if err != nil {
		return nil, err
	}
	ot.token = tok
	return tok, nil
}

// login runs the OAuth 2.0 JWT bearer flow as o's send user.
func (sf *Salesforce) login(ctx context.Context, o *OrgConfig) (*Token, error) {
	claims := jwt.MapClaims{
		"iss": o.ConsumerKey,
		"sub": o.Username,
		"aud": o.Audience,
		"exp": sf.now().Add(assertionLifetime).Unix(),
	}
	assertion, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(o.key)
	if err != nil {
		return nil, fmt.Errorf("signing the JWT assertion: %v", err)
	}
	form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	endpoint := o.LoginURL
	if !strings.HasSuffix(endpoint, "/services/oauth2/token") {
		endpoint += "/services/oauth2/token"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("token request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := sf.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token request to %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize))
	if err != nil {
		return nil, fmt.Errorf("token response from %s: %v", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		var te struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &te) == nil && te.Error != "" {
			return nil, &TokenError{Status: resp.StatusCode, Code: te.Error, Description: te.Description}
		}
		return nil, fmt.Errorf("token endpoint %s answered HTTP %d: %s", endpoint, resp.StatusCode, excerpt(body))
	}
	var ok struct {
		AccessToken string `json:"access_token"`
		InstanceURL string `json:"instance_url"`
	}
	if err := json.Unmarshal(body, &ok); err != nil || ok.AccessToken == "" || ok.InstanceURL == "" {
		return nil, fmt.Errorf("token endpoint %s answered 200 without access_token and instance_url: %s", endpoint, excerpt(body))
	}
	return &Token{AccessToken: ok.AccessToken, InstanceURL: strings.TrimRight(ok.InstanceURL, "/")}, nil
}

// Call makes one REST call under /services/data/vNN.N: path starts with
// "/" (e.g. "/query?q=…"). in, when not nil, is sent as JSON; a 2xx body is
// decoded into out when out is not nil. Failures are *APIError when
// Salesforce answered a REST error body.
func (sf *Salesforce) Call(ctx context.Context, tok *Token, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := tok.InstanceURL + "/services/data/v" + sf.apiVersion + path
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := sf.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %v", method, shortPath(path), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %v", method, shortPath(path), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, &ae.Errors) == nil && len(ae.Errors) > 0 {
			return ae
		}
		var one RESTError // some endpoints answer a single object
		if json.Unmarshal(data, &one) == nil && one.ErrorCode != "" {
			ae.Errors = []RESTError{one}
			return ae
		}
		if resp.StatusCode == http.StatusUnauthorized {
			return ae
		}
		return fmt.Errorf("%s %s: HTTP %d: %s", method, shortPath(path), resp.StatusCode, excerpt(data))
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: HTTP %d with a body that is not the expected JSON: %v", method, shortPath(path), resp.StatusCode, err)
		}
	}
	return nil
}

// instanceOf returns scheme://host[:port] of a Partner or Enterprise URL.
func instanceOf(soapURL string) (string, error) {
	u, err := url.Parse(soapURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", soapURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

func shortPath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}
