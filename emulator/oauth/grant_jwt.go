package oauth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfemu/sfemu/emulator/org"
)

// jwtBearer runs the JWT bearer checks in the order Salesforce's flow
// implies (Salesforce Help, "OAuth 2.0 JWT Bearer Flow for Server-to-Server
// Integration"): assertion syntax → app by iss → RS256 signature against the app's
// certificate → aud → exp → user → app installed in the user's org →
// approval → login IP ranges and hours → user active/frozen → login rate.
func (s *Service) jwtBearer(req *tokenRequest, now time.Time) (*issued, *tokenError) {
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
	if terr := s.checkUser(req, user, enforceIP, now); terr != nil {
		return nil, terr
	}
	session := s.store.Sessions.Open(user, app, in.SessionTimeout(user), o.Settings.ReuseSessions)
	return &issued{session: session, scopes: app.Scopes, signed: o.Settings.TokenResponseSignature}, nil
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

// acceptsAudience reports whether o takes aud: its login host, its My
// Domain, the emulator's base URL or an extra audience — each also with a
// trailing slash (Salesforce accepts https://login.salesforce.com/, the
// default a Salesforce-built contact-centre integration ships), and, when
// settings.token_endpoint_audience is on, as the token endpoint's URL.
func acceptsAudience(o *org.Org, base, aud string) bool {
	aud = strings.TrimSuffix(aud, "/")
	if o.Settings.TokenEndpointAudience {
		aud = strings.TrimSuffix(aud, Prefix+"/token")
	}
	if aud == o.Type.LoginAudience() || aud == strings.TrimSuffix(base, "/") || (o.MyDomain != "" && aud == o.MyDomainURL()) {
		return true
	}
	for _, extra := range o.ExtraAudiences {
		if aud == strings.TrimSuffix(extra, "/") {
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
		if u.HasApproved(in.App) {
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
