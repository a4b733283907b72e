package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// authorizationCode serves grant_type=authorization_code, the second half
// of the web-server flow (REST API Developer Guide, "OAuth 2.0 Web Server
// Flow for Web App Integration"): the code the approval page issued is
// exchanged once, within 15 minutes, by the app it was issued to, with the
// same redirect_uri and, when the authorize request had a code_challenge,
// the verifier.
func (s *Service) authorizationCode(req *tokenRequest, now time.Time) (*issued, *tokenError) {
	app, terr := s.authenticateClient(req, secretForWebServer)
	if terr != nil {
		return nil, terr
	}
	f := req.r.Form
	expired := func(reason string) *tokenError {
		return &tokenError{status: 400, code: "invalid_grant", description: "expired authorization code", reason: reason}
	}
	code := f.Get("code")
	if code == "" {
		return nil, expired("code is missing")
	}
	c := s.store.Grants.RedeemCode(code)
	if c == nil {
		return nil, expired("code is unknown or was already exchanged (a code is good for one exchange)")
	}
	req.user = c.User
	req.attempt.Username = c.User.Username
	req.noLoginRow = true // the login was recorded when the user logged in on the authorize page
	switch {
	case c.App != app:
		return nil, expired(fmt.Sprintf("the code was issued to app %q, not %q", c.App.Name, app.Name))
	case now.Sub(c.Issued) >= org.AuthCodeLifetime:
		return nil, expired(fmt.Sprintf("the code was issued %s ago; codes live %s", now.Sub(c.Issued).Round(time.Second), org.AuthCodeLifetime))
	case f.Get("redirect_uri") != c.RedirectURI:
		return nil, &tokenError{status: 400, code: "redirect_uri_mismatch", description: "redirect_uri must match configuration",
			reason: fmt.Sprintf("redirect_uri %q is not the %q the code was issued for", f.Get("redirect_uri"), c.RedirectURI)}
	}
	if c.Challenge != "" {
		verifier, given := f.Get("code_verifier"), f.Has("code_verifier")
		if !given {
			return nil, &tokenError{status: 400, code: "invalid_grant", description: "invalid code verifier",
				reason: "the authorize request had a code_challenge, and the exchange has no code_verifier"}
		}
		if !pkceMatches(c.Challenge, c.ChallengeMethod, verifier) {
			return nil, &tokenError{status: 400, code: "invalid_request", description: "invalid code verifier",
				reason: fmt.Sprintf("code_verifier does not hash (%s) to the code_challenge of the authorize request", c.ChallengeMethod)}
		}
	}
	in := s.store.Installation(c.User.Org, app)
	if in == nil {
		return nil, &tokenError{status: 400, code: "app_not_found", description: "External client app is not installed in this org",
			reason: fmt.Sprintf("app %q is not installed in org %q", app.Name, c.User.Org.Name)}
	}
	if terr := s.checkUser(req, c.User, noIP, now); terr != nil {
		return nil, terr
	}
	return s.issueInteractive(in, c.User, c.Scopes, c.Nonce, now), nil
}

// issueInteractive opens the session of a user-approved login (code
// exchange, user-agent flow) with a refresh token when the scopes allow.
func (s *Service) issueInteractive(in *org.Installation, u *org.User, scopes []string, nonce string, now time.Time) *issued {
	session := s.store.Sessions.Open(u, in.App, in.SessionTimeout(u), u.Org.Settings.ReuseSessions)
	out := &issued{session: session, scopes: scopes, signed: true, openID: org.HasScope(scopes, "openid"), nonce: nonce}
	if org.GrantsRefreshToken(scopes) {
		out.refresh = s.store.Grants.IssueRefresh(u, in.App, scopes, now)
		s.store.Grants.Link(out.refresh.Token, session.Token)
	}
	return out
}

// pkceMatches checks a code_verifier against the challenge (RFC 7636 §4.6).
func pkceMatches(challenge, method, verifier string) bool {
	want := verifier
	if method != "plain" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
