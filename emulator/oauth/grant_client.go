package oauth

import (
	"fmt"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// clientCredentials serves grant_type=client_credentials (Salesforce Help,
// "OAuth 2.0 Client Credentials Flow for Server-to-Server Integration"):
// the app's key and secret log in as the policy's Run As user, and only on
// the org's My Domain host.
func (s *Service) clientCredentials(req *tokenRequest, now time.Time) (*issued, *tokenError) {
	app, terr := s.authenticateClient(req, always)
	if terr != nil {
		return nil, terr
	}
	in := s.clientCredentialsInstallation(req, app)
	if in == nil {
		return nil, &tokenError{status: 400, code: "app_not_found", description: "External client app is not installed in this org",
			reason: fmt.Sprintf("app %q is installed in no org", app.Name), loginStatus: org.LoginAppNotInstalled}
	}
	o := in.Org
	if onLoginHost(req.r, o) {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "request not supported on this domain",
			reason: fmt.Sprintf("the client credentials flow works only on the org's My Domain (%s); this request reached %s%s", o.MyDomainURL(), req.r.Host, emulatorHostHint(req, o))}
	}
	if !app.ClientCredentials {
		// Salesforce's answer for an app without the flow is UNKNOWN; sfemu
		// gives the one for a missing Run As user.
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "no client credentials user enabled",
			reason: fmt.Sprintf("app %q does not enable the client credentials flow (apps[].client_credentials)", app.Name)}
	}
	user := in.Policy.RunAs
	if user == nil {
		return nil, &tokenError{status: 400, code: "invalid_grant", description: "no client credentials user enabled",
			reason: fmt.Sprintf("app %q has no Run As user in org %q (policy.run_as)", app.Name, o.Name)}
	}
	req.user = user
	req.attempt.Username = user.Username
	if terr := s.checkUser(req, user, relaxableIP, now); terr != nil {
		return nil, terr
	}
	session := s.store.Sessions.Open(user, app, in.SessionTimeout(user), o.Settings.ReuseSessions)
	return &issued{session: session, scopes: withoutRefresh(app.Scopes), signed: true}, nil
}

// clientCredentialsInstallation picks the org the request logs in to: the
// one whose My Domain the Host header names, else the first org installing
// the app with a Run As user, else the first installing it at all.
func (s *Service) clientCredentialsInstallation(req *tokenRequest, app *org.App) *org.Installation {
	var first, withUser *org.Installation
	for _, o := range s.store.Orgs() {
		in := o.Installations[app.ConsumerKey]
		if in == nil {
			continue
		}
		if o.MyDomain != "" && hostName(req.r.Host) == myDomainHost(o) {
			return in
		}
		if first == nil {
			first = in
		}
		if withUser == nil && in.Policy.RunAs != nil {
			withUser = in
		}
	}
	if withUser != nil {
		return withUser
	}
	return first
}

func emulatorHostHint(req *tokenRequest, o *org.Org) string {
	switch h := hostName(req.r.Host); {
	case h == loginHost || h == testHost:
		return " (the Host header names the shared login host: send the request to " + myDomainHost(o) + ")"
	case o.Settings.EmulatorHost == org.EmulatorHostLogin:
		return " (settings.emulator_host is login: the emulator's own address stands for the login host)"
	}
	return ""
}

// withoutRefresh drops refresh_token and offline_access: flows that issue
// no refresh token do not report those scopes.
func withoutRefresh(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if s != "refresh_token" && s != "offline_access" {
			out = append(out, s)
		}
	}
	return out
}
