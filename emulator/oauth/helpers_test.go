package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfemu/sfemu/emulator/internal/route"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// testNow is the emulator's (virtual) time in these tests: a Monday.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type testKeys struct {
	key, otherKey           *rsa.PrivateKey
	certPEM, expiredCertPEM string
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func mustKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		keys.key = mustRSA(t)
		keys.otherKey = mustRSA(t)
		keys.certPEM = selfSigned(t, keys.key, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC))
		keys.expiredCertPEM = selfSigned(t, keys.key, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	})
	return keys
}

func mustRSA(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func selfSigned(t testing.TB, key *rsa.PrivateKey, notBefore, notAfter time.Time) string {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "oauth test"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+pad)
}

// acmeFixture is a production org like a vendor's customer: a send user with
// the app's permission set, users the policy does not cover, a self-authorize
// app, an app with an expired certificate, and a vendor app not installed here.
func acmeFixture(k testKeys, extra string) string {
	cert := indent(k.certPEM, 8)
	expired := indent(k.expiredCertPEM, 8)
	return `
org: {name: Acme, type: production, my_domain: acme, time_zone: Asia/Tokyo}
` + extra + `
profiles:
  - {name: Integration, session_timeout: 2h}
  - {name: Vendor Restricted, login_ip_ranges: [{start: 54.249.48.100, end: 54.249.48.120}]}
  - name: Office Hours
    login_hours: {monday: {start: "08:00", end: "18:00"}}
permission_sets:
  - {name: SendUserPS}
  - {name: AnyClient, use_any_api_client: true}
users:
  - {username: sender@acme.example, profile: Integration, permission_sets: [SendUserPS]}
  - {username: nops@acme.example, profile: Integration}
  - {username: anyclient@acme.example, profile: Integration, permission_sets: [AnyClient]}
  - {username: restricted@acme.example, profile: Vendor Restricted, permission_sets: [SendUserPS]}
  - {username: officehours@acme.example, profile: Office Hours, permission_sets: [SendUserPS]}
  - {username: inactive@acme.example, profile: Integration, permission_sets: [SendUserPS], active: false}
  - {username: frozen@acme.example, profile: Integration, permission_sets: [SendUserPS], frozen: true}
  - {username: approver@acme.example, profile: Integration, approved_apps: [selfauth_app]}
  - {username: booker@acme.example, first_name: Bea, last_name: Booker, profile: Integration, password: "Booking-Pass1", security_token: TOKEN1}
  - {username: staff@acme.example, profile: Integration, permission_sets: [SendUserPS], password: "Staff-Pass1"}
  - {username: officeonly@acme.example, profile: Vendor Restricted, password: "Office-Pass1"}
  - {username: ccrunner@acme.example, profile: Integration}
apps:
  - name: booking_saas
    kind: connected_app
    consumer_key: KEY_WEB
    consumer_secret: SECRET_WEB
    scopes: [api, refresh_token, openid, id]
    callback_urls: ["https://booking.example/oauth/callback", "http://127.0.0.1/cb"]
    policy: {permitted_users: all_users, refresh_token_policy: expire_if_unused, refresh_token_validity: 24h}
  - name: pkce_spa
    consumer_key: KEY_PKCE
    scopes: [api, refresh_token]
    callback_urls: ["https://spa.example/cb"]
    require_pkce: true
    require_secret: false
    require_secret_for_refresh: false
    policy: {permitted_users: all_users, ip_relaxation: relax_for_refresh_tokens}
  - name: staff_portal
    consumer_key: KEY_STAFF
    consumer_secret: SECRET_STAFF
    scopes: [api, refresh_token]
    callback_urls: ["https://staff.example/cb"]
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS], refresh_token_policy: immediately}
  - name: nightly_sync
    consumer_key: KEY_CC
    consumer_secret: SECRET_CC
    client_credentials: true
    policy: {run_as: ccrunner@acme.example}
  - name: cc_without_user
    consumer_key: KEY_CC_NOUSER
    consumer_secret: SECRET_CC_NOUSER
    client_credentials: true
  - name: opro_connector_eca
    consumer_key: KEY_ECA
    certificate_pem: |
` + cert + `
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS], ip_relaxation: relax}
  - name: selfauth_app
    kind: connected_app
    consumer_key: KEY_SELF
    certificate_pem: |
` + cert + `
    policy: {permitted_users: all_users}
  - name: old_cert_app
    consumer_key: KEY_EXPIRED
    certificate_pem: |
` + expired + `
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS]}
  - name: vendor_eca_elsewhere
    consumer_key: KEY_NOT_INSTALLED
    installed: false
    certificate_pem: |
` + cert + `
`
}

func sandboxFixture(k testKeys) string {
	return `
org: {name: Acme Sandbox, type: sandbox, my_domain: acme, sandbox_name: uat}
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@acme.example.uat, profile: Standard User, permission_sets: [SendUserPS]}
apps:
  - name: opro_connector_eca
    consumer_key: KEY_ECA
    certificate_pem: |
` + indent(k.certPEM, 8) + `
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS]}
`
}

type testEnv struct {
	store  *org.Store
	svc    *Service
	gw     *gateway.Gateway
	router http.Handler
	clock  *clock.Virtual
	srv    *httptest.Server
	keys   testKeys
}

func newTestEnv(t testing.TB, acmeExtra string, gwOpts ...func(*gateway.Config)) *testEnv {
	t.Helper()
	k := mustKeys(t)
	clk := clock.NewVirtual(testNow)
	store, err := org.NewStore(clk,
		org.Source{Name: "acme.yaml", Data: []byte(acmeFixture(k, acmeExtra))},
		org.Source{Name: "sandbox.yaml", Data: []byte(sandboxFixture(k))},
	)
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Store: store})
	gwc := gateway.Config{Store: store, BaseURL: gateway.RequestBaseURL}
	for _, o := range gwOpts {
		o(&gwc)
	}
	gw := gateway.New(gwc)
	r := &route.Router{}
	gw.Mount(r, Prefix, svc.Surface(), svc.Routes())
	gw.Mount(r, IdentityPrefix, svc.Surface(), svc.IdentityRoutes())
	gw.Mount(r, WellKnownPrefix, svc.Surface(), svc.WellKnownRoutes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &testEnv{store: store, svc: svc, gw: gw, router: r, clock: clk, srv: srv, keys: k}
}

// claims are the JWT claims a well-behaved client sends for sender@acme.
func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "KEY_ECA",
		"sub": "sender@acme.example",
		"aud": "https://login.salesforce.com",
		"exp": testNow.Add(3 * time.Minute).Unix(),
	}
}

func sign(t testing.TB, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signJSON signs claims given as JSON text, for claim sets a map cannot
// hold (a name twice).
func signJSON(t testing.TB, key *rsa.PrivateKey, claims string) string {
	t.Helper()
	input := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	sig, err := jwt.SigningMethodRS256.Sign(input, key)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// with returns goodClaims changed by kv pairs (a nil value deletes the claim).
func with(kv ...any) jwt.MapClaims {
	c := goodClaims()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

type tokenResult struct {
	status int
	body   string
	header http.Header
}

func (e *testEnv) postToken(t testing.TB, form url.Values) tokenResult {
	t.Helper()
	resp, err := http.PostForm(e.srv.URL+"/services/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return tokenResult{resp.StatusCode, string(b), resp.Header}
}

func jwtForm(assertion string) url.Values {
	return url.Values{"grant_type": {GrantJWTBearer}, "assertion": {assertion}}
}
