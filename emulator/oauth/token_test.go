package oauth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// TestTokenErrorsMatchSalesforce has one row per JWT bearer failure
// Salesforce documents or clients report (docs/OAUTH.md), each asserting Salesforce's
// exact status and body, and the Login History status left behind.
func TestTokenErrorsMatchSalesforce(t *testing.T) {
	k := mustKeys(t)
	tests := []struct {
		name        string
		fixture     string // extra top-level YAML for the Acme org
		clientIP    string // apparent client IP for Acme, if any
		form        func(t *testing.T) url.Values
		wantStatus  int
		wantBody    string
		wantLogin   string // Login History Status of the newest Acme row; "" = no new row
		wantRowUser string
	}{
		{
			name:       "grant type not supported",
			form:       func(t *testing.T) url.Values { return url.Values{"grant_type": {"magic"}} },
			wantStatus: 400, wantBody: `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`,
		},
		{
			name:       "grant type missing",
			form:       func(t *testing.T) url.Values { return url.Values{"assertion": {"x"}} },
			wantStatus: 400, wantBody: `{"error":"unsupported_grant_type","error_description":"grant type not supported"}`,
		},
		{
			name:       "iss matches no app",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("iss", "3MVG9NOSUCHAPP"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_client_id","error_description":"client identifier invalid"}`,
			wantLogin: statusInvalidClient,
		},
		{
			name:       "signed with a key that does not match the app's certificate",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.otherKey, goodClaims())) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"invalid assertion"}`,
			wantLogin: statusInvalidAssertion,
		},
		{
			name:       "garbage assertion",
			form:       func(t *testing.T) url.Values { return jwtForm("this is not a jwt") },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"invalid assertion"}`,
		},
		{
			name:       "expired certificate still authenticates (Salesforce: by design)",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("iss", "KEY_EXPIRED"))) },
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name:       "expired certificate refused when the org is strict",
			fixture:    "settings: {strict_certificate_expiry: true}",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("iss", "KEY_EXPIRED"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"invalid assertion"}`,
			wantLogin: statusInvalidAssertion,
		},
		{
			name: "production user with the sandbox audience",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("aud", "https://test.salesforce.com")))
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"audience is invalid"}`,
			wantLogin: statusInvalidAssertion,
		},
		{
			name:       "aud missing",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("aud", nil))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"audience is invalid"}`,
			wantLogin: statusInvalidAssertion,
		},
		{
			name: "My Domain URL is a valid audience",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("aud", "https://acme.my.salesforce.com")))
			},
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name: "exp in the past",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("exp", testNow.Add(-time.Second).Unix())))
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"expired authorization code"}`,
			wantLogin: statusInvalidAssertion,
		},
		{
			name: "exp as a JSON string of digits is accepted",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("exp", strconv.FormatInt(testNow.Add(time.Minute).Unix(), 10))))
			},
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name:       "External Client App not installed in the user's org",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("iss", "KEY_NOT_INSTALLED"))) },
			wantStatus: 400, wantBody: `{"error":"app_not_found","error_description":"External client app is not installed in this org"}`,
			wantLogin: org.LoginAppNotInstalled,
		},
		{
			name:       "admin-approved app, user's permission set not assigned",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "nops@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_app_access","error_description":"user is not admin approved to access this app"}`,
			wantLogin: org.LoginNotApproved, wantRowUser: "nops@acme.example",
		},
		{
			name:       "admin-approved app, older org's error text",
			fixture:    "settings: {legacy_approval_error: true}",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "nops@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
			wantLogin: org.LoginNotApproved,
		},
		{
			name:       "Use Any API Client bypasses admin approval",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "anyclient@acme.example"))) },
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name:       "self-authorize app never approved by the user",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("iss", "KEY_SELF"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
			wantLogin: org.LoginNotApproved,
		},
		{
			name: "self-authorize app approved before",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("iss", "KEY_SELF", "sub", "approver@acme.example")))
			},
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name:       "source IP outside the profile's Login IP Ranges, though the app relaxes IP",
			clientIP:   "203.0.113.9",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "restricted@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"ip restricted"}`,
			wantLogin: org.LoginRestrictedIP,
		},
		{
			name:       "source IP outside ranges, older text",
			fixture:    `settings: {ip_restricted_text: "IP restricted or invalid login hours"}`,
			clientIP:   "203.0.113.9",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "restricted@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"IP restricted or invalid login hours"}`,
			wantLogin: org.LoginRestrictedIP,
		},
		{
			name:       "vendor's egress IP inside the profile's ranges",
			clientIP:   "54.249.48.100",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "restricted@acme.example"))) },
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name:       "org-wide trusted IP ranges do not admit an API login",
			fixture:    `network_access: {trusted_ip_ranges: [{start: 203.0.113.0, end: 203.0.113.255}]}`,
			clientIP:   "203.0.113.9",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "restricted@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"ip restricted"}`,
			wantLogin: org.LoginRestrictedIP,
		},
		{
			// testNow is Monday 10:00 UTC = 19:00 in Tokyo, after office hours.
			name:       "outside the profile's login hours in the org's time zone",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "officehours@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"ip restricted"}`,
			wantLogin: org.LoginInvalidHours,
		},
		{
			name:       "sub in other ASCII case is the same user",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "SENDER@Acme.Example"))) },
			wantStatus: 200, wantLogin: org.LoginSuccess, wantRowUser: "sender@acme.example",
		},
		{
			name:       "sub with U+212A KELVIN SIGN is not an ASCII k (no Unicode folding)",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "boo\u212Aer@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
		},
		{
			name: "sub with U+0130 is not an ASCII i (no Unicode folding)",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("sub", "restr\u0130cted@acme.example")))
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
		},
		{
			name: "claim names are case-sensitive: SUB is not sub",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("sub", nil, "SUB", "sender@acme.example")))
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
		},
		{
			name: "a claim given twice is refused",
			form: func(t *testing.T) url.Values {
				return jwtForm(signJSON(t, k.key, `{"iss":"KEY_ECA","sub":"nops@acme.example","aud":"https://login.salesforce.com","exp":`+
					strconv.FormatInt(testNow.Add(3*time.Minute).Unix(), 10)+`,"sub":"sender@acme.example"}`))
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"invalid assertion"}`,
		},
		{
			name:       "unknown username: no Login History row for anyone",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "sender@acme.exmaple"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"user hasn't approved this consumer"}`,
		},
		{
			name:       "inactive user",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "inactive@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"inactive user"}`,
			wantLogin: org.LoginUserInactive,
		},
		{
			name:       "frozen user",
			form:       func(t *testing.T) url.Values { return jwtForm(sign(t, k.key, with("sub", "frozen@acme.example"))) },
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"inactive user"}`,
			wantLogin: org.LoginUserFrozen,
		},
		{
			name: "prn wins over sub",
			form: func(t *testing.T) url.Values {
				return jwtForm(sign(t, k.key, with("sub", "nobody@x.example", "prn", "sender@acme.example")))
			},
			wantStatus: 200, wantLogin: org.LoginSuccess,
		},
		{
			name: "refresh token grant: sfemu issued none, so it is expired",
			form: func(t *testing.T) url.Values {
				return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"5Aep861"}, "client_id": {"KEY_ECA"}}
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"expired access/refresh token"}`,
		},
		{
			name: "client credentials with a wrong secret",
			form: func(t *testing.T) url.Values {
				return url.Values{"grant_type": {"client_credentials"}, "client_id": {"KEY_ECA"}, "client_secret": {"nope"}}
			},
			wantStatus: 400, wantBody: `{"error":"invalid_client","error_description":"invalid client credentials"}`,
		},
		{
			name: "username-password flow blocked",
			form: func(t *testing.T) url.Values {
				return url.Values{"grant_type": {"password"}, "username": {"sender@acme.example"}, "password": {"pw"}, "client_id": {"KEY_ECA"}}
			},
			wantStatus: 400, wantBody: `{"error":"invalid_grant","error_description":"authentication failure"}`,
			wantLogin: org.LoginPasswordFlowOff,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, tt.fixture)
			acme := env.store.Org("Acme")
			if tt.clientIP != "" {
				env.store.SetClientIP(acme, netip.MustParseAddr(tt.clientIP))
			}
			before := acme.LoginHistory().Len()
			got := env.postToken(t, tt.form(t))
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", got.status, tt.wantStatus, got.body)
			}
			if tt.wantBody != "" && got.body != tt.wantBody {
				t.Errorf("body = %s\nwant   %s", got.body, tt.wantBody)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			rows := acme.LoginHistory().Events()
			switch {
			case tt.wantLogin == "" && len(rows) != before:
				t.Errorf("Login History gained a row %+v, want none", rows[len(rows)-1])
			case tt.wantLogin != "" && len(rows) != before+1:
				t.Fatalf("Login History has %d new rows, want 1", len(rows)-before)
			case tt.wantLogin != "":
				row := rows[len(rows)-1]
				if row.Status != tt.wantLogin || row.LoginType != "Remote Access 2.0" {
					t.Errorf("Login History row Status=%q LoginType=%q, want %q, Remote Access 2.0", row.Status, row.LoginType, tt.wantLogin)
				}
				if tt.wantRowUser != "" && row.Username != tt.wantRowUser {
					t.Errorf("Login History row is for %s, want %s", row.Username, tt.wantRowUser)
				}
				if tt.clientIP != "" && row.SourceIP != tt.clientIP {
					t.Errorf("Login History SourceIp = %s, want the apparent client IP %s", row.SourceIP, tt.clientIP)
				}
			}
			attempts := env.svc.Journal().Attempts()
			if len(attempts) != 1 || attempts[0].Status != tt.wantStatus {
				t.Errorf("journal = %+v, want one attempt with status %d", attempts, tt.wantStatus)
			}
			if tt.wantStatus != 200 && attempts[0].Reason == "" {
				t.Error("a failed attempt has no reason in the journal")
			}
		})
	}
}

func TestSandboxUserNeedsTheTestAudience(t *testing.T) {
	env := newTestEnv(t, "")
	k := env.keys
	prodAud := env.postToken(t, jwtForm(sign(t, k.key, with("sub", "sender@acme.example.uat"))))
	if prodAud.body != `{"error":"invalid_grant","error_description":"audience is invalid"}` {
		t.Errorf("sandbox user with the production audience: %d %s", prodAud.status, prodAud.body)
	}
	reason := env.svc.Journal().Attempts()[0].Reason
	if !strings.Contains(reason, "https://test.salesforce.com") {
		t.Errorf("reason %q does not say which audience the sandbox wants", reason)
	}
	for _, aud := range []string{"https://test.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"} {
		got := env.postToken(t, jwtForm(sign(t, k.key, with("sub", "sender@acme.example.uat", "aud", aud))))
		if got.status != 200 {
			t.Errorf("sandbox user with aud %s: %d %s", aud, got.status, got.body)
		}
	}
}

func TestSuccessfulTokenResponseHasSalesforceShape(t *testing.T) {
	env := newTestEnv(t, "")
	got := env.postToken(t, jwtForm(sign(t, env.keys.key, goodClaims())))
	if got.status != 200 {
		t.Fatalf("status %d: %s", got.status, got.body)
	}
	// Keys in Salesforce's order, and nothing else: no refresh_token, no expires_in.
	var keys []string
	dec := json.NewDecoder(strings.NewReader(got.body))
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		keys = append(keys, tok.(string))
		var skip any
		dec.Decode(&skip)
	}
	if diff := cmp.Diff([]string{"access_token", "scope", "instance_url", "id", "token_type"}, keys); diff != "" {
		t.Errorf("response keys (-want +got):\n%s", diff)
	}
	var resp tokenResponse
	if err := json.Unmarshal([]byte(got.body), &resp); err != nil {
		t.Fatal(err)
	}
	acme := env.store.Org("Acme")
	sender := env.store.User("sender@acme.example")
	org15, opaque, ok := strings.Cut(resp.AccessToken, "!")
	if !ok || org15 != acme.ID.Short() || len(opaque) < 20 {
		t.Errorf("access_token %q is not <15-char org id>!<opaque>", resp.AccessToken)
	}
	want := tokenResponse{
		AccessToken: resp.AccessToken,
		Scope:       "api",
		InstanceURL: env.srv.URL,
		ID:          env.srv.URL + "/id/" + string(acme.ID) + "/" + string(sender.ID),
		TokenType:   "Bearer",
	}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("token response (-want +got):\n%s", diff)
	}
	if len(acme.ID) != 18 || len(sender.ID) != 18 {
		t.Errorf("identity URL ids must be 18 characters: %s %s", acme.ID, sender.ID)
	}
}

func TestTokenResponseSignatureSetting(t *testing.T) {
	env := newTestEnv(t, "settings: {token_response_signature: true}")
	got := env.postToken(t, jwtForm(sign(t, env.keys.key, goodClaims())))
	var resp map[string]string
	json.Unmarshal([]byte(got.body), &resp)
	if resp["issued_at"] == "" || resp["signature"] == "" {
		t.Errorf("with token_response_signature the response lacks issued_at/signature: %s", got.body)
	}
}

// TestAttacksAreRejected covers the forgeries a token endpoint must refuse:
// every one is invalid_grant / invalid assertion, and no key URL is fetched.
func TestAttacksAreRejected(t *testing.T) {
	env := newTestEnv(t, "")
	k := env.keys
	var fetched atomic.Int32
	keyServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched.Add(1) }))
	defer keyServer.Close()

	encode := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	good := sign(t, k.key, goodClaims())
	parts := strings.Split(good, ".")
	certPub := []byte(k.certPEM)

	attacks := map[string]string{
		"alg none":                     encode(map[string]string{"alg": "none"}) + "." + parts[1] + ".",
		"alg None with signature kept": encode(map[string]string{"alg": "None"}) + "." + parts[1] + "." + parts[2],
		"HS256 keyed with the certificate": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, goodClaims()).SignedString(certPub)
			return s
		}(),
		"tampered payload":   parts[0] + "." + encode(with("sub", "anyclient@acme.example")) + "." + parts[2],
		"signature stripped": parts[0] + "." + parts[1] + ".",
		"two parts only":     parts[0] + "." + parts[1],
		"jku/x5u/kid point at the attacker's key": func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, goodClaims())
			tok.Header["jku"] = keyServer.URL + "/jwks.json"
			tok.Header["x5u"] = keyServer.URL + "/cert.pem"
			tok.Header["kid"] = "attacker"
			s, _ := tok.SignedString(k.otherKey)
			return s
		}(),
	}
	for name, assertion := range attacks {
		t.Run(name, func(t *testing.T) {
			got := env.postToken(t, jwtForm(assertion))
			if got.status != 400 || got.body != `{"error":"invalid_grant","error_description":"invalid assertion"}` {
				t.Errorf("got %d %s, want 400 invalid assertion", got.status, got.body)
			}
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the emulator fetched a key URL from a JWT header %d times", n)
	}
}

func TestOversizedBodyIsRefusedUnread(t *testing.T) {
	env := newTestEnv(t, "")
	// A body that claims 1 GiB but sends little: refused from Content-Length alone.
	req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/services/oauth2/token", strings.NewReader("grant_type=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = 1 << 30
	rec := httptest.NewRecorder()
	env.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared 1 GiB body: status %d, want 413", rec.Code)
	}
	// A body of unknown length past the limit is cut off, not read whole.
	big := &countingReader{r: strings.NewReader("grant_type=" + strings.Repeat("a", 16*maxFormBytes))}
	req = httptest.NewRequest(http.MethodPost, "/services/oauth2/token", big)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = -1
	rec = httptest.NewRecorder()
	env.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body of unknown length: status %d, want 413", rec.Code)
	}
	if big.n > 2*maxFormBytes {
		t.Errorf("read %d bytes of an oversized body; the limit is %d", big.n, maxFormBytes)
	}
}

type countingReader struct {
	r *strings.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestTokenEndpointWantsPOST(t *testing.T) {
	env := newTestEnv(t, "")
	resp, err := http.Get(env.srv.URL + "/services/oauth2/token?grant_type=" + url.QueryEscape(GrantJWTBearer))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["error"] != "invalid_request" || body["error_description"] != "must use HTTP POST" {
		t.Errorf("GET token: %d %v", resp.StatusCode, body)
	}
}

func TestBasicAuthFromUserInfoURLIsIgnored(t *testing.T) {
	env := newTestEnv(t, "")
	req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/services/oauth2/token",
		strings.NewReader(jwtForm(sign(t, env.keys.key, goodClaims())).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("sandbox", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("JWT login with an Authorization: Basic header: status %d, want 200", resp.StatusCode)
	}
}

func TestLoginRateLimit(t *testing.T) {
	env := newTestEnv(t, "settings: {login_rate_limit_per_hour: 2}")
	form := func() url.Values { return jwtForm(sign(t, env.keys.key, goodClaims())) }
	for i := 0; i < 2; i++ {
		if got := env.postToken(t, form()); got.status != 200 {
			t.Fatalf("login %d: %d %s", i+1, got.status, got.body)
		}
	}
	got := env.postToken(t, form())
	if got.body != `{"error":"rate_limit_exceeded","error_description":"rate limit exceeded"}` {
		t.Errorf("third login within the hour: %d %s", got.status, got.body)
	}
	env.clock.Advance(time.Hour)
	if got := env.postToken(t, jwtForm(sign(t, env.keys.key, with("exp", testNow.Add(time.Hour+time.Minute).Unix())))); got.status != 200 {
		t.Errorf("login an hour later: %d %s", got.status, got.body)
	}
}

func TestSourceIPComesFromForwardedForOnlyWhenTrusted(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		env := newTestEnv(t, "", func(c *gateway.Config) { c.TrustForwardedFor = trusted })
		req, _ := http.NewRequest(http.MethodPost, env.srv.URL+"/services/oauth2/token",
			strings.NewReader(jwtForm(sign(t, env.keys.key, with("sub", "restricted@acme.example"))).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "54.249.48.110, 10.0.0.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := 400
		if trusted {
			want = 200
		}
		if resp.StatusCode != want {
			t.Errorf("trust X-Forwarded-For=%v: status %d, want %d", trusted, resp.StatusCode, want)
		}
	}
}
