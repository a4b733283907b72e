package harness

import (
	"context"
	"strings"
	"testing"
)

// oauthScenario is a scenario of the given steps (YAML list items, one
// per line, indented two spaces) against the default org with a web app,
// a PKCE app and a client credentials app; its receiver runs elsewhere, so
// nothing but the emulator starts. Its file sits in testdata, so a key path
// relative to it starts there. Only its removed phase runs.
func oauthScenario(steps string) string {
	return `name: oauth step
org:
  fixture: default
  patch:
    users:
      - {username: booker@sfemu.example, profile: Standard User, password: Booking-Pass1}
      - {username: etl@sfemu.example, profile: Integration}
    apps:
      - {name: booking_saas, kind: connected_app, consumer_key: KEY_WEB, consumer_secret: SECRET_WEB, scopes: [api, refresh_token],
         callback_urls: ["https://booking.example/cb"], policy: {permitted_users: all_users}}
      - {name: spa, consumer_key: KEY_PKCE, callback_urls: ["https://spa.example/cb"], require_pkce: true, require_secret: false,
         policy: {permitted_users: all_users}}
      - {name: etl, consumer_key: KEY_CC, consumer_secret: SECRET_CC, client_credentials: true, policy: {run_as: etl@sfemu.example}}
receiver: {url: "http://127.0.0.1:9/outbound"}
phases: [legacy, removed]
steps:
` + steps
}

const webServer = `flow: web_server, client_id: KEY_WEB, client_secret: SECRET_WEB, redirect_uri: "https://booking.example/cb", username: booker@sfemu.example`

// runOAuthScenario runs the scenario's removed phase and returns the
// result, with evidence.
func runOAuthScenario(t *testing.T, steps string) Result {
	t.Helper()
	sc, err := Load("testdata/oauth-step.yaml", []byte(oauthScenario(steps)))
	if err != nil {
		t.Fatalf("the scenario does not load:\n%v", err)
	}
	return RunScenario(context.Background(), sc, PhaseRemoved, Options{Evidence: true})
}

// TestOAuthStepPlaysEachFlow: the harness, as the customer's app, drives
// each flow over HTTP — the authorize pages with a cookie jar, the token
// endpoint with the flow's form — and records where the flow ended.
func TestOAuthStepPlaysEachFlow(t *testing.T) {
	t.Parallel()
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	tests := []struct {
		name  string
		steps string
		want  []string // lines of the run's evidence
	}{
		{name: "the web server flow goes through the login and approval pages to tokens",
			steps: `  - oauth: {` + webServer + `, password: Booking-Pass1, scope: api refresh_token}`,
			want:  []string{"1. web_server flow ended at token, HTTP 200, an access token and a refresh token", "authorization_code as booker@sfemu.example from 127.0.0.1: 200"}},
		{name: "Deny on the approval page comes back to the callback as access_denied",
			steps: `  - oauth: {` + webServer + `, password: Booking-Pass1, approve: false}`,
			want:  []string{"web_server flow ended at callback, HTTP 302, access_denied (end-user denied authorization)", "token requests (0)"}},
		{name: "a wrong password leaves the person on the login page with Salesforce's message",
			steps: `  - oauth: {` + webServer + `, password: nope}`,
			want:  []string{`web_server flow ended at login, HTTP 200, "Please check your username and password.`, "the password does not match"}},
		{name: "an unknown client_id is shown on Salesforce's error page, not sent back",
			steps: `  - oauth: {flow: web_server, client_id: NOPE, redirect_uri: "https://booking.example/cb", username: booker@sfemu.example}`,
			want:  []string{`web_server flow ended at page, HTTP 400, invalid_client_id (client identifier invalid) — client_id: no app has consumer key "NOPE"`}},
		{name: "PKCE: the verifier's challenge goes to authorize and the verifier to the exchange",
			steps: `  - oauth: {flow: web_server, client_id: KEY_PKCE, redirect_uri: "https://spa.example/cb", username: booker@sfemu.example, password: Booking-Pass1, code_verifier: ` + verifier + `}`,
			want:  []string{"web_server flow ended at token, HTTP 200, an access token"}},
		{name: "another redirect_uri at the exchange is refused there, with sfemu's reason",
			steps: `  - oauth: {` + webServer + `, password: Booking-Pass1, exchange_redirect_uri: "https://booking.example/cb/"}`,
			want:  []string{`web_server flow ended at token, HTTP 400, redirect_uri_mismatch (redirect_uri must match configuration) — redirect_uri "https://booking.example/cb/" is not the`}},
		{name: "a refresh takes the named step's refresh token, client and secret",
			steps: "  - oauth: {" + webServer + ", password: Booking-Pass1, scope: api refresh_token, as: first}\n  - advance: 1h\n  - oauth: {flow: refresh, refresh_token: $first}",
			want:  []string{"2. refresh flow ended at token, HTTP 200, an access token\n", "refresh_token as booker@sfemu.example from 127.0.0.1: 200"}},
		{name: "JWT bearer with the defaults: the org's app, the send user, the test key",
			steps: `  - oauth: {flow: jwt}`,
			want:  []string{"jwt flow ended at token, HTTP 200, an access token", "JWT bearer as sender@sfemu.example from 127.0.0.1: 200"}},
		{name: "JWT bearer signed with a key the app's certificate does not match",
			steps: `  - oauth: {flow: jwt, key: ../../fixtures/keys/other.key}`,
			want:  []string{"jwt flow ended at token, HTTP 400, invalid_grant (invalid assertion) — signature does not verify"}},
		{name: "the Host header decides the client credentials flow's domain; templates name the My Domain",
			steps: "  - oauth: {flow: client_credentials, client_id: KEY_CC, client_secret: SECRET_CC, host: login.salesforce.com}\n" +
				`  - oauth: {flow: client_credentials, client_id: KEY_CC, client_secret: SECRET_CC, host: "{{.MyDomainHost}}"}`,
			want: []string{"1. client_credentials flow ended at token, HTTP 400, invalid_grant (request not supported on this domain)",
				"2. client_credentials flow ended at token, HTTP 200, an access token\n"}},
		{name: "the username-password flow is blocked in a default org",
			steps: `  - oauth: {flow: password, client_id: KEY_WEB, client_secret: SECRET_WEB, username: booker@sfemu.example, password: Booking-Pass1}`,
			want:  []string{"password flow ended at token, HTTP 400, invalid_grant (authentication failure) — org \"Default\" blocks the username-password flow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runOAuthScenario(t, tt.steps)
			if res.Outcome != Passed {
				t.Fatalf("%s:\n%s", res.Outcome, res.Failure)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Evidence, w) {
					t.Errorf("the run's evidence lacks %q:\n%s", w, res.Evidence)
				}
			}
		})
	}
}

// TestExpectOAuthChecksWhatTheStepSaw: expect: oauth: compares the keys
// it names with an oauth step's outcome, the latest or the one named; a
// difference is a failure with a diff and sfemu's reason.
func TestExpectOAuthChecksWhatTheStepSaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, steps string
		want        Outcome
		failure     []string
	}{
		{name: "the outcome it names holds",
			steps: "  - oauth: {" + webServer + ", password: Booking-Pass1, scope: api refresh_token}\n" +
				"  - expect: {oauth: {at: token, status: 200, refresh_token: true}}",
			want: Passed},
		{name: "of picks an earlier outcome over the latest",
			steps: "  - oauth: {" + webServer + ", password: nope, as: typo}\n  - oauth: {flow: jwt}\n" +
				`  - expect: {oauth: {of: typo, at: login, message: "~^Please check your username and password"}}`,
			want: Passed},
		{name: "a difference fails with a diff and what the step saw",
			steps: "  - oauth: {flow: client_credentials, client_id: KEY_CC, client_secret: SECRET_CC, host: test.salesforce.com}\n" +
				"  - expect: {oauth: {at: token, status: 200}}",
			want: Failed,
			failure: []string{"oauth-step.yaml:18: step 2: expectation failed", "the latest oauth step (-want +got)", `"status": float64(200)`, `"status": float64(400)`,
				"the client credentials flow works only on the org's My Domain"}},
		{name: "an outcome whose step did not run in this phase is an error of the story, not a failure",
			steps: "  - only: legacy\n    oauth: {flow: jwt, as: old}\n  - expect: {oauth: {of: old, at: token}}",
			want:  Errored, failure: []string{"step 2: expect oauth: oauth step old did not run in this phase (removed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkOutcome(t, runOAuthScenario(t, tt.steps), tt.want, tt.failure)
		})
	}
}

func checkOutcome(t *testing.T, res Result, want Outcome, failure []string) {
	t.Helper()
	if res.Outcome != want {
		t.Fatalf("%s, want %s:\n%s", res.Outcome, want, res.Failure)
	}
	for _, w := range failure {
		if !strings.Contains(res.Failure, w) {
			t.Errorf("the failure report lacks %q:\n%s", w, res.Failure)
		}
	}
}

// TestOAuthStepLoadErrors: a mistake in an oauth step or its expectation
// stops the file from loading, at the line and column of the mistake.
func TestOAuthStepLoadErrors(t *testing.T) {
	t.Parallel()
	const head = "name: t\norg: {fixture: default}\nphases: [removed]\nsteps:\n" // steps start on line 5
	tests := []struct {
		name, steps string
		want        []string
	}{
		{name: "an unknown key of the step, with the key it is near",
			steps: "  - oauth: {flow: jwt, audiance: x}",
			want:  []string{`x.yaml:5:24: unknown key "audiance" (did you mean "audience"?)`}},
		{name: "an unknown key of the expectation",
			steps: "  - oauth: {flow: jwt}\n  - expect: {oauth: {eror: invalid_grant}}",
			want:  []string{`x.yaml:6:22: unknown key "eror" (did you mean "error"?)`}},
		{name: "an unknown flow, with the flows there are",
			steps: "  - oauth: {flow: implicit}",
			want:  []string{`x.yaml:5:19: oauth: flow "implicit": want one of web_server, refresh, client_credentials, password, jwt`}},
		{name: "no flow",
			steps: "  - oauth: {client_id: K}",
			want:  []string{`x.yaml:5:12: oauth needs a flow: one of web_server`}},
		{name: "a key of another flow",
			steps: "  - oauth: {flow: password, client_id: K, username: u, approve: true}",
			want:  []string{`x.yaml:5:65: oauth: approve does not apply to the password flow (it takes client_id, client_secret, username, password, host and as)`}},
		{name: "what the web server flow cannot do without",
			steps: "  - oauth: {flow: web_server, client_id: K}",
			want:  []string{`x.yaml:5:12: oauth: the web_server flow needs redirect_uri`, `x.yaml:5:12: oauth: the web_server flow needs username`}},
		{name: "a refresh token naming no earlier step",
			steps: "  - oauth: {flow: refresh, refresh_token: $first}",
			want:  []string{`x.yaml:5:43: refresh_token $first names no earlier oauth step (oauth … as: first)`}},
		{name: "a refresh token naming a flow that issues none",
			steps: "  - oauth: {flow: jwt, as: first}\n  - oauth: {flow: refresh, refresh_token: $first}",
			want:  []string{`x.yaml:6:43: refresh_token $first names a jwt step: only the web_server flow issues refresh tokens`}},
		{name: "a literal refresh token without the client",
			steps: "  - oauth: {flow: refresh, refresh_token: 5Aep861}",
			want:  []string{`x.yaml:5:12: oauth: a refresh with a literal refresh_token needs client_id`}},
		{name: "a key file that is not there",
			steps: "  - oauth: {flow: jwt, key: keys/nope.key}",
			want:  []string{`x.yaml:5:29: oauth: key "keys/nope.key": no such file`}},
		{name: "a URL where the Host header goes",
			steps: "  - oauth: {flow: jwt, host: \"https://login.salesforce.com\"}",
			want:  []string{`x.yaml:5:30: oauth: host "https://login.salesforce.com": want a host name such as login.salesforce.com, not a URL`}},
		{name: "an expectation of an outcome nobody named",
			steps: "  - oauth: {flow: jwt}\n  - expect: {oauth: {of: frist}}",
			want:  []string{`x.yaml:6:26: expect oauth: of "frist" names no earlier oauth step`}},
		{name: "an expectation before any oauth step",
			steps: "  - expect: {oauth: {at: token}}",
			want:  []string{`x.yaml:5:21: expect oauth: no oauth step comes before it`}},
		{name: "an expectation of a place a flow cannot end",
			steps: "  - oauth: {flow: jwt}\n  - expect: {oauth: {at: approval}}",
			want:  []string{`x.yaml:6:26: expect oauth: at "approval": want one of page, login, callback, token`}},
		{name: "an oauth step with another action",
			steps: "  - oauth: {flow: jwt}\n    advance: 1h",
			want:  []string{`x.yaml:5:10: step 1: want exactly one of create, update, send, advance, faults, client_ip, expire_sessions, receiver, oauth, api, bulk, expect (got 2)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load("x.yaml", []byte(head+tt.steps))
			if err == nil {
				t.Fatalf("loaded; want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i+1, lines[i], w)
				}
			}
		})
	}
}
