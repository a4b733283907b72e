package oauth

import (
	"fmt"
	"net/url"
	"strings"
)

// Limits of an authorize request. Salesforce's are UNKNOWN; these are far
// above what any client sends and keep a hostile URL from costing memory.
const (
	maxAuthorizeQuery = 16 << 10 // the whole query string
	maxAuthorizeParam = 4 << 10  // one parameter's value
)

// authorizeRequest is a parsed GET /services/oauth2/authorize (REST API
// Developer Guide, "OAuth 2.0 Web Server Flow" and "User-Agent Flow").
type authorizeRequest struct {
	responseType string // "code", "token" or "token id_token"
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	loginHint    string
	display      string
	scopes       []string // nil: every scope the app selected
	prompt       map[string]bool
	immediate    bool
	// codeChallenge and codeChallengeMethod are PKCE's (RFC 7636); the
	// method defaults to S256, the only one Salesforce documents.
	codeChallenge, codeChallengeMethod string
}

// authorizeError is a refused authorize request. Errors found before the
// client and its redirect_uri are known are shown on a page; the others
// go back to the redirect_uri, as RFC 6749 §4.1.2.1 asks.
type authorizeError struct {
	code, description string
	reason            string // for people: what exactly was wrong
}

func (e *authorizeError) Error() string { return e.code + ": " + e.description }

// parseAuthorize reads an authorize request's query string. It checks only
// syntax — sizes, repeated parameters, known values — and never the store,
// so it can be fuzzed alone.
func parseAuthorize(rawQuery string) (*authorizeRequest, *authorizeError) {
	if len(rawQuery) > maxAuthorizeQuery {
		return nil, &authorizeError{code: "invalid_request", description: "request too large",
			reason: fmt.Sprintf("the query string is %d bytes; sfemu takes at most %d", len(rawQuery), maxAuthorizeQuery)}
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &authorizeError{code: "invalid_request", description: "invalid request", reason: "query string: " + err.Error()}
	}
	for k, v := range q {
		if len(v) > 1 {
			return nil, &authorizeError{code: "invalid_request", description: "duplicate parameter: " + k,
				reason: fmt.Sprintf("parameter %s is given %d times", k, len(v))}
		}
		if len(v[0]) > maxAuthorizeParam {
			return nil, &authorizeError{code: "invalid_request", description: "parameter too long: " + k,
				reason: fmt.Sprintf("parameter %s is %d bytes; sfemu takes at most %d", k, len(v[0]), maxAuthorizeParam)}
		}
	}
	a := &authorizeRequest{
		responseType:        q.Get("response_type"),
		clientID:            q.Get("client_id"),
		redirectURI:         q.Get("redirect_uri"),
		state:               q.Get("state"),
		nonce:               q.Get("nonce"),
		loginHint:           q.Get("login_hint"),
		display:             q.Get("display"),
		codeChallenge:       q.Get("code_challenge"),
		codeChallengeMethod: q.Get("code_challenge_method"),
		prompt:              map[string]bool{},
	}
	if s := strings.Fields(q.Get("scope")); len(s) > 0 {
		a.scopes = dedupe(s)
	}
	for _, p := range strings.Fields(q.Get("prompt")) {
		a.prompt[p] = true
	}
	a.immediate = strings.EqualFold(q.Get("immediate"), "true")
	if a.codeChallenge != "" && a.codeChallengeMethod == "" {
		a.codeChallengeMethod = "S256"
	}
	return a, nil
}

// checkResponse validates what can only be refused once the redirect_uri
// is trusted: response type, prompt, PKCE parameters.
func (a *authorizeRequest) checkResponse() *authorizeError {
	switch a.responseType {
	case "code", "token", "token id_token", "id_token token":
	case "":
		return &authorizeError{code: "unsupported_response_type", description: "response type not supported", reason: "response_type is missing: want code (web-server flow) or token (user-agent flow)"}
	default:
		return &authorizeError{code: "unsupported_response_type", description: "response type not supported", reason: fmt.Sprintf("response_type %q: want code or token", a.responseType)}
	}
	for p := range a.prompt {
		switch p {
		case "login", "consent", "select_account", "none":
		default:
			return &authorizeError{code: "invalid_request", description: "invalid prompt parameter", reason: fmt.Sprintf("prompt %q: want login, consent, select_account or none", p)}
		}
	}
	if a.codeChallenge != "" {
		if a.codeChallengeMethod != "S256" && a.codeChallengeMethod != "plain" {
			return &authorizeError{code: "invalid_request", description: "invalid code challenge method", reason: fmt.Sprintf("code_challenge_method %q: want S256", a.codeChallengeMethod)}
		}
		if n := len(a.codeChallenge); n < 43 || n > 128 {
			return &authorizeError{code: "invalid_request", description: "invalid code challenge", reason: fmt.Sprintf("code_challenge is %d characters; RFC 7636 wants 43 to 128", n)}
		}
	}
	return nil
}
