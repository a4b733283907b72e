package oauth

import (
	"crypto/subtle"
	"fmt"
	"strconv"

	"github.com/sfemu/sfemu/emulator/org"
)

// clientCredentials are how a client identified itself: client_id and
// client_secret in the body, or HTTP Basic (RFC 6749 §2.3.1). Salesforce
// takes either; the body wins when both are sent.
type clientAuth struct {
	id, secret string
	hasSecret  bool
}

func (req *tokenRequest) client() clientAuth {
	f := req.r.Form
	a := clientAuth{id: f.Get("client_id"), secret: f.Get("client_secret")}
	_, a.hasSecret = f["client_secret"]
	if u, p, ok := req.r.BasicAuth(); ok && a.id == "" {
		a.id, a.secret, a.hasSecret = u, p, true
	}
	return a
}

// authenticateClient finds the app by client_id and checks the secret when
// the flow needs it for that app (needSecret) or the client sent one. It
// fills req.app.
func (s *Service) authenticateClient(req *tokenRequest, needSecret func(*org.App) bool) (*org.App, *tokenError) {
	c := req.client()
	req.attempt.ClientID = c.id
	app := s.store.AppByConsumerKey(c.id)
	if app == nil {
		reason := fmt.Sprintf("client_id: no app has consumer key %s", strconv.Quote(c.id))
		if c.id == "" {
			reason = "client_id is missing (send it in the body or as the user of HTTP Basic)"
		}
		return nil, &tokenError{status: 400, code: "invalid_client_id", description: "client identifier invalid", reason: reason, loginStatus: statusInvalidClient}
	}
	req.app = app
	if !needSecret(app) && !c.hasSecret {
		return app, nil
	}
	if app.ConsumerSecret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(app.ConsumerSecret)) != 1 {
		reason := fmt.Sprintf("client_secret does not match the consumer secret of app %q", app.Name)
		switch {
		case !c.hasSecret:
			reason = fmt.Sprintf("client_secret is missing, and app %q requires its secret for this flow", app.Name)
		case app.ConsumerSecret == "":
			reason = fmt.Sprintf("app %q has no consumer_secret in the fixture", app.Name)
		}
		return nil, &tokenError{status: 400, code: "invalid_client", description: "invalid client credentials", reason: reason, loginStatus: statusInvalidClient}
	}
	return app, nil
}

// Whether a flow needs the client secret of an app.
func always(*org.App) bool                 { return true }
func never(*org.App) bool                  { return false }
func secretForWebServer(app *org.App) bool { return app.RequireSecretWebServer }
func secretForRefresh(app *org.App) bool   { return app.RequireSecretRefresh }
