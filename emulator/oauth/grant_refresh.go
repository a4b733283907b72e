package oauth

import (
	"fmt"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// statusRefreshExpired is the Login History Status of a refresh with a dead
// refresh token. UNKNOWN: sfemu's choice, listed in docs/OAUTH.md.
const statusRefreshExpired = "Failed: Refresh Token Expired"

// refreshToken serves grant_type=refresh_token: a live refresh token of the
// same app opens a new session, under the app's refresh-token policy on the
// emulator's clock. Salesforce does not rotate refresh tokens by default,
// so the response has none.
func (s *Service) refreshToken(req *tokenRequest, now time.Time) (*issued, *tokenError) {
	// The token is judged before a missing secret: a bogus or revoked
	// refresh token is always "expired", whatever else is wrong.
	app, terr := s.authenticateClient(req, never)
	if terr != nil {
		return nil, terr
	}
	dead := func(status, reason string) *tokenError {
		return &tokenError{status: 400, code: "invalid_grant", description: "expired access/refresh token", reason: reason, loginStatus: status}
	}
	token := req.r.Form.Get("refresh_token")
	if token == "" {
		return nil, dead("", "refresh_token is missing")
	}
	rt := s.store.Grants.Refresh(token)
	if rt == nil {
		return nil, dead("", "refresh_token is unknown or was revoked")
	}
	req.user = rt.User
	req.attempt.Username = rt.User.Username
	if rt.App != app {
		return nil, dead(statusRefreshExpired, fmt.Sprintf("the refresh token was issued to app %q, not %q", rt.App.Name, app.Name))
	}
	if app.RequireSecretRefresh && !req.client().hasSecret {
		return nil, &tokenError{status: 400, code: "invalid_client", description: "invalid client credentials", loginStatus: statusInvalidClient,
			reason: fmt.Sprintf("client_secret is missing, and app %q requires its secret for the refresh token flow (require_secret_for_refresh)", app.Name)}
	}
	o := rt.User.Org
	in := s.store.Installation(o, app)
	if in == nil {
		return nil, &tokenError{status: 400, code: "app_not_found", description: "External client app is not installed in this org",
			reason: fmt.Sprintf("app %q is no longer installed in org %q", app.Name, o.Name), loginStatus: org.LoginAppNotInstalled}
	}
	if gone, why := in.Policy.RefreshTokens.Expired(rt.Issued, rt.LastUsed, now); gone {
		return nil, dead(statusRefreshExpired, why)
	}
	if in.Policy.PermittedUsers == org.AdminApproved {
		if terr := checkApproval(in, rt.User); terr != nil {
			return nil, terr
		}
	}
	if terr := s.checkUser(req, rt.User, refreshIP, now); terr != nil {
		return nil, terr
	}
	session := s.store.Sessions.Open(rt.User, app, in.SessionTimeout(rt.User), o.Settings.ReuseSessions)
	s.store.Grants.UseRefresh(token, session.Token, now)
	return &issued{session: session, scopes: rt.Scopes, signed: true, openID: org.HasScope(rt.Scopes, "openid")}, nil
}
