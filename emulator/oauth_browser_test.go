package emulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/internal/browsertest"
)

// envScreenshots, when set to a directory, makes the browser test write the
// login and approval pages there as PNGs (docs/images holds the ones
// docs/OAUTH.md shows: SFEMU_SCREENSHOTS=$PWD/docs/images go test ./emulator -run Chromium).
const envScreenshots = "SFEMU_SCREENSHOTS"

// browserFlow is an emulator whose booking app calls back to a server the
// test runs, and an x/oauth2 config for it.
func browserFlow(t *testing.T) (*httptest.Server, *oauth2.Config, string) {
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("callback reached"))
	}))
	t.Cleanup(cb.Close)
	callbackURL := cb.URL + "/oauth/callback"
	src := oauthOrg(t)
	src.Data = []byte(strings.Replace(string(src.Data), "http://127.0.0.1/oauth/callback", callbackURL, 1))
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return srv, &oauth2.Config{
		ClientID: "3MVG9bookingSaaS", ClientSecret: "booking-secret", RedirectURL: callbackURL,
		Endpoint: oauth2.Endpoint{AuthURL: srv.URL + "/services/oauth2/authorize", TokenURL: srv.URL + "/services/oauth2/token"},
		Scopes:   []string{"api", "refresh_token", "openid"},
	}, callbackURL
}

func screenshot(b *browsertest.Browser, name string) {
	if dir := os.Getenv(envScreenshots); dir != "" {
		b.Screenshot(filepath.Join(dir, name))
	}
}

// TestWebServerFlowInChromium is the booking SaaS's "Connect to
// Salesforce" in a real browser: open the authorize URL, log in (first with
// a wrong password, which the page reports), press Allow, land on the
// callback with a code, exchange it with the PKCE verifier.
func TestWebServerFlowInChromium(t *testing.T) {
	srv, conf, callbackURL := browserFlow(t)
	b := browsertest.New(t)
	verifier := oauth2.GenerateVerifier()
	b.Navigate(conf.AuthCodeURL("connect-42", oauth2.S256ChallengeOption(verifier)))
	b.WaitVisible("#username")
	b.Fill("#username", "owner@booking.example")
	b.Fill("#password", "not-the-password")
	b.Click("#Login")
	b.WaitVisible("#error")
	if got := b.Text("#error"); !strings.Contains(got, "Please check your username and password") {
		t.Errorf("after a wrong password the page says %q", got)
	}
	screenshot(b, "oauth-login.png")

	b.Fill("#password", "Owner-Pass1")
	b.Click("#Login")
	b.WaitVisible("#oaapprove")
	if got := b.Text("#app-name"); got != "Booking SaaS" {
		t.Errorf("the approval page names app %q", got)
	}
	screenshot(b, "oauth-approve.png")
	b.Click("#oaapprove")

	landed, err := url.Parse(b.WaitURL(callbackURL))
	if err != nil {
		t.Fatal(err)
	}
	if landed.Query().Get("state") != "connect-42" || landed.Query().Get("code") == "" {
		t.Fatalf("callback %s; want a code and state connect-42", landed)
	}
	tok, err := conf.Exchange(context.Background(), landed.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange of the code the browser brought back: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Errorf("token %+v; want a refresh token and an id_token", tok)
	}
	if n := queryWith(t, conf.Client(context.Background(), tok), srv.URL); n != 3 {
		t.Errorf("query with the browser-won token saw %d users", n)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}

	// The approval is remembered: the next connect goes straight back.
	b.Navigate(conf.AuthCodeURL("again"))
	if again, _ := url.Parse(b.WaitURL(callbackURL)); again.Query().Get("code") == "" {
		t.Errorf("second connect landed on %s; want a code without the pages", again)
	}
}

// TestDenyInChromium: Deny sends the browser back with access_denied.
func TestDenyInChromium(t *testing.T) {
	_, conf, callbackURL := browserFlow(t)
	b := browsertest.New(t)
	b.Navigate(conf.AuthCodeURL("deny-1"))
	b.Fill("#username", "owner@booking.example")
	b.Fill("#password", "Owner-Pass1")
	b.Click("#Login")
	b.WaitVisible("#oadeny")
	b.Click("#oadeny")
	landed, _ := url.Parse(b.WaitURL(callbackURL))
	if q := landed.Query(); q.Get("error") != "access_denied" || q.Get("state") != "deny-1" || q.Get("code") != "" {
		t.Errorf("after Deny the callback got %v; want error=access_denied and the state", q)
	}
}
