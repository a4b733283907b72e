package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	salesforce "github.com/k-capehart/go-salesforce/v3"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	oauthjwt "golang.org/x/oauth2/jwt"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
)

// oauthOrg is an org with an app for each flow a real integration uses: a
// booking SaaS connecting through the web-server flow, a nightly job on
// client credentials, and the send user's JWT app.
func oauthOrg(t testing.TB) org.Source {
	cert, err := os.ReadFile("../fixtures/keys/server.crt")
	if err != nil {
		t.Fatal(err)
	}
	pemIndented := "      " + strings.ReplaceAll(strings.TrimSpace(string(cert)), "\n", "\n      ")
	return org.Source{Name: "oauth.yaml", Data: []byte(`
org: {name: Booking Customer, type: production, my_domain: bookingcustomer}
settings: {login_rate_limit_per_hour: 0} # benchmarks log in far more often than 3,600 times an hour
permission_sets: [{name: SendUserPS}]
users:
  - {username: owner@booking.example, first_name: Olive, last_name: Owner, profile: Standard User, password: "Owner-Pass1"}
  - {username: sync@booking.example, profile: Standard User}
  - {username: sender@booking.example, profile: Standard User, permission_sets: [SendUserPS]}
apps:
  - name: Booking SaaS
    kind: connected_app
    consumer_key: 3MVG9bookingSaaS
    consumer_secret: booking-secret
    scopes: [api, refresh_token, openid]
    callback_urls: ["http://127.0.0.1/oauth/callback"]
    policy: {permitted_users: all_users}
  - name: Nightly Sync
    consumer_key: 3MVG9nightlySync
    consumer_secret: nightly-secret
    client_credentials: true
    policy: {run_as: sync@booking.example}
  - name: Receiver ECA
    consumer_key: 3MVG9receiver
    certificate_pem: |
` + pemIndented + `
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS]}
`)}
}

func oauthServer(t *testing.T) *httptest.Server {
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{oauthOrg(t)}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return srv
}

// approveInBrowser plays the person at the authorize pages over plain HTTP:
// log in, press Allow, and return the code from the callback redirect.
// (internal/browsertest drives the same pages in headless Chromium.)
func approveInBrowser(t *testing.T, authURL, username, password string) (code, state string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hidden := regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	unescape := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'")
	post := func(body string, fields url.Values) *http.Response {
		for _, m := range hidden.FindAllStringSubmatch(body, -1) {
			fields.Set(m[1], unescape.Replace(m[2]))
		}
		resp, err := c.PostForm(strings.Split(authURL, "?")[0], fields)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	read := func(resp *http.Response) string {
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp = post(read(resp), url.Values{"action": {"login"}, "username": {username}, "pw": {password}})
	if resp.StatusCode == http.StatusOK {
		resp = post(read(resp), url.Values{"action": {"approve"}})
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("after Allow: %d to %q; want the callback", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), loc.Query().Get("state")
}

// queryWith runs a SOQL query through client, as a REST client would.
func queryWith(t *testing.T, client *http.Client, base string) int {
	t.Helper()
	resp, err := client.Get(base + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM User"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		TotalSize int `json:"totalSize"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&r) != nil {
		t.Fatalf("query with the token = %d", resp.StatusCode)
	}
	return r.TotalSize
}

// TestXOAuth2AuthorizationCodeWithPKCE: golang.org/x/oauth2, unmodified,
// through the web-server flow with PKCE (Exchange with the verifier), and
// its token source refreshing an expired token with the refresh token.
func TestXOAuth2AuthorizationCodeWithPKCE(t *testing.T) {
	srv := oauthServer(t)
	ctx := context.Background()
	conf := &oauth2.Config{
		ClientID: "3MVG9bookingSaaS", ClientSecret: "booking-secret",
		Endpoint:    oauth2.Endpoint{AuthURL: srv.URL + "/services/oauth2/authorize", TokenURL: srv.URL + "/services/oauth2/token"},
		RedirectURL: "http://127.0.0.1/oauth/callback",
		Scopes:      []string{"api", "refresh_token"},
	}
	verifier := oauth2.GenerateVerifier()
	code, state := approveInBrowser(t, conf.AuthCodeURL("booking-state", oauth2.S256ChallengeOption(verifier)), "owner@booking.example", "Owner-Pass1")
	if state != "booking-state" {
		t.Errorf("state %q not echoed", state)
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("instance_url") != srv.URL || tok.TokenType != "Bearer" {
		t.Errorf("token %+v instance_url %v; want a refresh token and the instance URL", tok, tok.Extra("instance_url"))
	}
	if n := queryWith(t, conf.Client(ctx, tok), srv.URL); n != 3 {
		t.Errorf("query saw %d users; want 3", n)
	}

	// Salesforce sends no expires_in; a client that learns the session
	// ended marks the token expired and its token source refreshes.
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh through the token source: %v", err)
	}
	if fresh.AccessToken == "" || fresh.RefreshToken != tok.RefreshToken {
		t.Errorf("refreshed token %+v; want a new access token and the same refresh token kept", fresh)
	}

	// The verifier is checked: a wrong one fails the exchange.
	code, _ = approveInBrowser(t, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "owner@booking.example", "Owner-Pass1")
	_, err = conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_request" || re.ErrorDescription != "invalid code verifier" {
		t.Errorf("exchange with a wrong verifier: %v; want invalid_request / invalid code verifier", err)
	}
}

func asRetrieveError(err error, re **oauth2.RetrieveError) bool {
	r, ok := err.(*oauth2.RetrieveError)
	if ok {
		*re = r
	}
	return ok
}

// TestXOAuth2ClientCredentials: golang.org/x/oauth2/clientcredentials logs
// in as the app's Run As user, with the secret in the body or in Basic.
func TestXOAuth2ClientCredentials(t *testing.T) {
	srv := oauthServer(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInParams, oauth2.AuthStyleInHeader} {
		conf := &clientcredentials.Config{ClientID: "3MVG9nightlySync", ClientSecret: "nightly-secret", TokenURL: srv.URL + "/services/oauth2/token", AuthStyle: style}
		tok, err := conf.Token(context.Background())
		if err != nil {
			t.Fatalf("auth style %d: %v", style, err)
		}
		if tok.Extra("instance_url") != srv.URL {
			t.Errorf("instance_url %v", tok.Extra("instance_url"))
		}
		if n := queryWith(t, conf.Client(context.Background()), srv.URL); n != 3 {
			t.Errorf("query saw %d users", n)
		}
	}
}

// TestXOAuth2JWT: golang.org/x/oauth2/jwt signs the assertion its own way
// (typ JWT, iat, and aud defaulting to the token URL).
func TestXOAuth2JWT(t *testing.T) {
	srv := oauthServer(t)
	key, err := os.ReadFile("../" + fixtures.DefaultKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, aud := range []string{"https://login.salesforce.com", "https://login.salesforce.com/", ""} {
		conf := &oauthjwt.Config{Email: "3MVG9receiver", Subject: "sender@booking.example", PrivateKey: key, TokenURL: srv.URL + "/services/oauth2/token", Audience: aud}
		tok, err := conf.TokenSource(context.Background()).Token()
		if err != nil {
			t.Fatalf("aud %q: %v", aud, err)
		}
		if tok.AccessToken == "" {
			t.Errorf("aud %q: no access token", aud)
		}
	}
}

// TestGoSalesforceClientCredentials: go-salesforce's client-credentials
// login (Creds with a consumer key and secret), then a query.
func TestGoSalesforceClientCredentials(t *testing.T) {
	srv := oauthServer(t)
	sf, err := salesforce.Init(salesforce.Creds{Domain: srv.URL, ConsumerKey: "3MVG9nightlySync", ConsumerSecret: "nightly-secret"})
	if err != nil {
		t.Fatalf("client-credentials login through go-salesforce: %v", err)
	}
	var users []struct{ Id string }
	if err := sf.Query("SELECT Id FROM User", &users); err != nil || len(users) != 3 {
		t.Fatalf("query: %v (%d users)", err, len(users))
	}
}
