package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

// TestOneFailedLoginOnePage: for each way a customer's setup breaks the
// JWT bearer login, the console's overview — the first page a support
// engineer opens — shows Salesforce's error and sfemu's reason, which
// names what to change in Setup. No second page, no JSON.
func TestOneFailedLoginOnePage(t *testing.T) {
	for _, tc := range []struct {
		report string // what the customer says
		key    string // the key the connector signs with
		claims func(c *jwtbearer.Claims)
		error  string // Salesforce's error_description
		reason string // sfemu's reason, in plain words
	}{
		{"the connector signs with a certificate they never uploaded", "other.key", nil,
			"invalid_grant invalid assertion", `signature does not verify with the certificate of app "opro_connector_eca" (CN=sfemu test-only server): the JWT was signed with another key`},
		{"the sandbox audience on a production org", "server.key", func(c *jwtbearer.Claims) { c.Audience = "https://test.salesforce.com" },
			"invalid_grant audience is invalid", `claim aud "https://test.salesforce.com" is not accepted by production org "Acme"; want https://login.salesforce.com`},
		{"an admin user the app's policy does not pre-approve", "server.key", func(c *jwtbearer.Claims) { c.Subject = adminUser },
			"invalid_app_access user is not admin approved to access this app", `app "opro_connector_eca" admits admin-approved users only, and neither admin@acme.example's profile "System Administrator" nor any of its permission sets is assigned to the app in org "Acme"`},
		{"a username with a typo", "server.key", func(c *jwtbearer.Claims) { c.Subject = "sendr@acme.example" },
			"invalid_grant user hasn't approved this consumer", `claim sub: no user has username "sendr@acme.example"`},
		{"the consumer key of another app", "server.key", func(c *jwtbearer.Claims) { c.Issuer = "3MVG9someOtherApp" },
			"invalid_client_id client identifier invalid", `claim iss: no app has consumer key "3MVG9someOtherApp"`},
		{"a connector clock minutes behind", "server.key", func(c *jwtbearer.Claims) { c.Expiry = start.Add(-5 * time.Minute) },
			"invalid_grant expired authorization code", "claim exp 2026-03-02T08:55:00Z is 5m5s in the past"},
	} {
		t.Run(tc.report, func(t *testing.T) {
			w := newWorld(t)
			ctx := context.Background()
			must(t, w.emu.SetClientIP(ctx, orgName, vendorIP))
			key, err := jwtbearer.LoadPrivateKeyFile("../../fixtures/keys/" + tc.key)
			must(t, err)
			clk, err := w.emu.Clock(ctx)
			must(t, err)
			c := jwtbearer.Claims{Issuer: consumerKey, Subject: sendUser, Audience: "https://login.salesforce.com", Expiry: clk.Now.Add(3 * time.Minute)}
			if tc.claims != nil {
				tc.claims(&c)
			}
			assertion, err := jwtbearer.Mint(key, c)
			must(t, err)
			resp, err := http.PostForm(w.srv.URL+"/services/oauth2/token", url.Values{
				"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
			must(t, err)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatalf("the login succeeded")
			}
			p := w.get(t, "/_sfemu/ui/")
			i := strings.Index(p.text, "Failed logins")
			j := strings.Index(p.text, "Every failed login")
			if i < 0 || j < i {
				t.Fatalf("no failed logins table:\n%s", p.text)
			}
			for _, s := range []string{tc.error, tc.reason} {
				if !strings.Contains(p.text[i:j], s) {
					t.Errorf("the overview's failed logins do not show %q:\n%s", s, p.text[i:j])
				}
			}
		})
	}
}

// TestExpiredSessionOnePage: a receiver whose session ended (timed out, or
// expired from the console) gets INVALID_SESSION_ID on its next call; the
// overview's API errors say whose session it was and how it ended.
func TestExpiredSessionOnePage(t *testing.T) {
	const call = "GET /services/data/v66.0/sobjects/Account/001000000000000AAA " + sendUser + " 401 INVALID_SESSION_ID "
	for _, tc := range []struct {
		story string
		end   func(w *world)
		want  string
	}{
		{"the profile's 2-hour timeout passes without a call", func(w *world) {
			_, err := w.emu.Advance(context.Background(), wire.Advance{By: wire.Duration(3 * time.Hour)})
			must(t, err)
		}, call + "the session of " + sendUser + " (app opro_connector_eca) ended at 2026-03-02 11:00:00 UTC: timed out: unused for its timeout of 2h0m0s since 2026-03-02 09:00:00 UTC"},
		{"a support engineer presses Expire", func(w *world) {
			_, err := w.emu.ExpireSessions(context.Background(), sendUser)
			must(t, err)
		}, call + "the session of " + sendUser + " (app opro_connector_eca) ended at 2026-03-02 09:00:05 UTC: expired on request (POST /_sfemu/sessions/expire, or Expire in the console)"},
	} {
		t.Run(tc.story, func(t *testing.T) {
			w := newWorld(t)
			tc.end(w)
			if status := w.rest(t, "GET", "/services/data/v66.0/sobjects/Account/001000000000000AAA", ""); status != http.StatusUnauthorized {
				t.Fatalf("a call with an ended session: %d", status)
			}
			p := w.get(t, "/_sfemu/ui/")
			i := strings.Index(p.text, "API errors")
			if i < 0 || !strings.Contains(p.text[i:], tc.want) {
				t.Errorf("the overview's API errors do not show %q:\n%s", tc.want, p.text[max(i, 0):])
			}
		})
	}
}
