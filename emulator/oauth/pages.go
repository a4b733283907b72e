package oauth

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"sync"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// The authorize pages are Go templates embedded in the binary: no CDN, no
// build step, so they work offline and in the FROM-scratch image. Element
// ids follow Salesforce's own login and approval pages (#username,
// #password, #Login, #oaapprove, #oadeny), so a browser script written for
// the real pages drives these.
//
//go:embed pages/*.html
var pageFiles embed.FS

// pages are parsed at the first page served, not at start-up (every sfemu
// command pays package initialisation).
var pages = sync.OnceValue(func() *template.Template { return template.Must(template.ParseFS(pageFiles, "pages/*.html")) })

// scopeLabels are how the approval page words each scope, after
// Salesforce's "Allow Access?" page.
var scopeLabels = map[string]string{
	"api":                "Access and manage your data (api)",
	"web":                "Provide access to your data via the Web (web)",
	"full":               "Full access (full)",
	"id":                 "Access your basic information (id, profile, email, address, phone)",
	"profile":            "Access your basic information (id, profile, email, address, phone)",
	"email":              "Access your basic information (id, profile, email, address, phone)",
	"address":            "Access your basic information (id, profile, email, address, phone)",
	"phone":              "Access your basic information (id, profile, email, address, phone)",
	"openid":             "Access unique user identifiers (openid)",
	"refresh_token":      "Perform requests on your behalf at any time (refresh_token, offline_access)",
	"offline_access":     "Perform requests on your behalf at any time (refresh_token, offline_access)",
	"chatter_api":        "Access Connect REST API resources (chatter_api)",
	"visualforce":        "Access custom applications (visualforce)",
	"custom_permissions": "Access custom permissions (custom_permissions)",
}

type pageData struct {
	Title            string
	Query            string // the authorization request, posted back in q
	App              string
	Username         string
	Message          string // Salesforce's text
	Note             string // sfemu's explanation, for the person testing
	Scopes           []string
	Token            string // _CONFIRMATIONTOKEN
	Error            string
	ErrorDescription string
}

func renderPage(status int, name string, d pageData) gateway.Response {
	var buf bytes.Buffer
	if err := pages().ExecuteTemplate(&buf, name, d); err != nil {
		return gateway.Bytes(http.StatusInternalServerError, "text/plain;charset=UTF-8", []byte("sfemu: page "+name+": "+err.Error()))
	}
	return gateway.Response{Status: status, Header: http.Header{
		"Content-Type":            {"text/html;charset=UTF-8"},
		"Cache-Control":           noStore,
		"X-Frame-Options":         {"DENY"},
		"Content-Security-Policy": {"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"},
	}, Body: buf.Bytes()}
}

func (s *Service) loginPage(a *authorizeRequest, raw, username, msg, note string) gateway.Response {
	app := ""
	if ap := s.store.AppByConsumerKey(a.clientID); ap != nil {
		app = ap.Name
	}
	// A failed login re-renders the form with the message, status 200, as
	// Salesforce's login page does.
	return renderPage(http.StatusOK, "login.html", pageData{Title: "Login | Salesforce", Query: raw, App: app, Username: username, Message: msg, Note: note})
}

func (s *Service) approvalPage(a *authorizeRequest, raw string, app *org.App, user *org.User, token string) gateway.Response {
	seen := map[string]bool{}
	var labels []string
	for _, sc := range a.scopes {
		l := scopeLabels[sc]
		if l == "" {
			l = "Access " + sc + " (" + sc + ")"
		}
		if !seen[l] {
			seen[l] = true
			labels = append(labels, l)
		}
	}
	return renderPage(http.StatusOK, "approve.html", pageData{Title: "Allow Access?", Query: raw, App: app.Name, Username: user.Username, Scopes: labels, Token: token})
}

// errorPage is shown when the request cannot go back to the app (unknown
// client, wrong redirect_uri): Salesforce's remote access error page shows
// error=…&error_description=… as text.
func (s *Service) errorPage(status int, e *authorizeError) gateway.Response {
	return renderPage(status, "error.html", pageData{Title: "Error | Salesforce", Error: e.code, ErrorDescription: e.description, Note: e.reason})
}
