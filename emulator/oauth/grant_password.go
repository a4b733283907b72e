package oauth

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// password serves grant_type=password, the username-password flow. Orgs
// created since Summer '23 block it ("Allow OAuth Username-Password Flows"
// is off), which sfemu follows unless settings.username_password_flow is
// on. The password comes from the password parameter only: an HTTP Basic
// header carries the client's credentials, never the user's.
func (s *Service) password(req *tokenRequest, now time.Time) (*issued, *tokenError) {
	f := req.r.Form
	username := f.Get("username")
	req.attempt.Username = username
	user := s.store.User(username)
	req.user = user
	fail := func(status, reason string) *tokenError {
		return &tokenError{status: 400, code: "invalid_grant", description: "authentication failure", loginStatus: status, reason: reason}
	}
	// A blocked flow is refused before anything else is looked at.
	if user != nil && !user.Org.Settings.UsernamePasswordFlow {
		req.attempt.ClientID = req.client().id
		req.app = s.store.AppByConsumerKey(req.attempt.ClientID)
		return nil, fail(org.LoginPasswordFlowOff, fmt.Sprintf("org %q blocks the username-password flow, as orgs created since Summer '23 do (settings.username_password_flow turns it on)", user.Org.Name))
	}
	app, terr := s.authenticateClient(req, always)
	if terr != nil {
		return nil, terr
	}
	if user == nil {
		reason := fmt.Sprintf("username: no user has username %s", strconv.Quote(username))
		if username == "" {
			reason = "username is missing"
		}
		return nil, fail("", reason)
	}
	o := user.Org
	if _, given := f["password"]; !given {
		reason := "password is missing"
		if _, _, basic := req.r.BasicAuth(); basic {
			reason += " (an Authorization: Basic header authenticates the client, not the user)"
		}
		return nil, fail(org.LoginInvalidPassword, reason)
	}
	if !user.PasswordMatches(f.Get("password")) {
		reason := "the password does not match users[].password of " + user.Username + " (with or without its security token)"
		if user.Password == "" {
			reason = "user " + user.Username + " has no password in the fixture (users[].password)"
		}
		return nil, fail(org.LoginInvalidPassword, reason)
	}
	in := s.store.Installation(o, app)
	if in == nil {
		return nil, &tokenError{status: 400, code: "app_not_found", description: "External client app is not installed in this org",
			reason: fmt.Sprintf("app %q is not installed in org %q", app.Name, o.Name), loginStatus: org.LoginAppNotInstalled}
	}
	// The user types the password for this app, so a self-authorize app
	// needs no prior approval; an admin-approved one still needs the user
	// pre-authorized.
	if in.Policy.PermittedUsers == org.AdminApproved {
		if terr := checkApproval(in, user); terr != nil {
			return nil, terr
		}
	}
	if terr := s.checkUser(req, user, relaxableIP, now); terr != nil {
		return nil, terr
	}
	session := s.store.Sessions.Open(user, app, in.SessionTimeout(user), o.Settings.ReuseSessions)
	return &issued{session: session, scopes: withoutRefresh(app.Scopes), signed: true}, nil
}
