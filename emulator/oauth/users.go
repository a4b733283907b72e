package oauth

import (
	"fmt"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// ipRule says whether a flow checks the profile's Login IP Ranges, given the
// app's IP relaxation (Salesforce Help, "Connected App IP Relaxation and
// Continuous IP Enforcement").
type ipRule int

const (
	// enforceIP: JWT bearer (and SAML bearer) always enforce the ranges,
	// whatever the app's policy.
	enforceIP ipRule = iota
	// relaxableIP: interactive and password logins skip the ranges when the
	// app relaxes IP restrictions.
	relaxableIP
	// refreshIP: refresh token requests also skip them when the app relaxes
	// IP restrictions for refresh tokens.
	refreshIP
	// noIP: the code exchange, whose caller is the web app's server, not
	// the user: the ranges were checked when the user logged in.
	noIP
)

func (r ipRule) applies(relax org.IPRelaxation) bool {
	switch r {
	case relaxableIP:
		return relax != org.IPRelax
	case refreshIP:
		return relax != org.IPRelax && relax != org.IPRelaxRefreshTokens
	case noIP:
		return false
	}
	return true
}

func (r ipRule) why(relax org.IPRelaxation) string {
	switch r {
	case enforceIP:
		return " (JWT bearer always enforces them, whatever the app's IP relaxation)"
	case refreshIP:
		return fmt.Sprintf(" (the app's IP relaxation is %s; refresh tokens skip the ranges only with relax or relax_for_refresh_tokens)", relax)
	}
	return fmt.Sprintf(" (the app's IP relaxation is %s; only relax skips the ranges)", relax)
}

// checkUser runs the checks every flow makes of the user it logs in, after
// the app is settled, in the JWT flow's order: login IP ranges, login hours,
// active, frozen, login rate. It records the source IP as seen for the org.
func (s *Service) checkUser(req *tokenRequest, user *org.User, rule ipRule, now time.Time) *tokenError {
	o := user.Org
	sourceIP := s.store.ClientIP(o, req.peer)
	req.attempt.SourceIP = sourceIP.String()
	relax := org.IPEnforce
	if in := s.installation(o, req.app); in != nil {
		relax = in.Policy.IPRelaxation
	}
	if rule.applies(relax) && !user.Profile.AllowsIP(sourceIP) {
		return &tokenError{status: 400, code: "invalid_grant", description: o.Settings.IPRestrictedText, loginStatus: org.LoginRestrictedIP,
			reason: fmt.Sprintf("source IP %s is outside the Login IP Ranges of profile %q%s", sourceIP, user.Profile.Name, rule.why(relax))}
	}
	if !user.Profile.LoginHours.Allows(now, o.TimeZone) {
		return &tokenError{status: 400, code: "invalid_grant", description: o.Settings.IPRestrictedText, loginStatus: org.LoginInvalidHours,
			reason: fmt.Sprintf("%s is outside the login hours of profile %q", now.In(o.TimeZone).Format("Monday 15:04 MST"), user.Profile.Name)}
	}
	if !user.Active {
		return &tokenError{status: 400, code: "invalid_grant", description: o.Settings.InactiveUserText, loginStatus: org.LoginUserInactive, reason: "user " + user.Username + " is inactive"}
	}
	if user.Frozen {
		return &tokenError{status: 400, code: "invalid_grant", description: o.Settings.FrozenUserText, loginStatus: org.LoginUserFrozen, reason: "user " + user.Username + " is frozen"}
	}
	if !s.rate.allow(user, now, o.Settings.LoginRateLimitPerHour) {
		return &tokenError{status: 400, code: "rate_limit_exceeded", description: o.Settings.RateLimitText, loginStatus: org.LoginRateExceeded,
			reason: fmt.Sprintf("user %s logged in %d times within the hour", user.Username, o.Settings.LoginRateLimitPerHour)}
	}
	return nil
}

func (s *Service) installation(o *org.Org, app *org.App) *org.Installation {
	if app == nil {
		return nil
	}
	return s.store.Installation(o, app)
}
