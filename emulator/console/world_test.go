package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

// start is where the virtual clock of every console test starts.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	orgName     = "Acme"
	sendUser    = "sender@acme.example"
	adminUser   = "admin@acme.example"
	adminPass   = "Admin-Pass-Never-Shown1"
	consumerKey = "3MVG9acmeConsoleTestOnlyKey"
	secret      = "console-test-only-secret-never-shown"
	vendorIP    = "54.249.48.101" // inside the profile's Login IP Ranges
	movedIP     = "54.250.234.70" // the vendor's new egress IP: outside them
	// ipReason is what sfemu says about the failed login.
	ipReason = `source IP 54.250.234.70 is outside the Login IP Ranges of profile "Integration User"`
)

// fixture is the customer's org: an Integration User profile with Login IP
// Ranges, an External Client App for the vendor's connector, an outbound
// message to the vendor's receiver.
func fixture(receiver string) string {
	return `
org: {name: Acme, type: production, my_domain: acme, time_zone: Asia/Tokyo, outbound_session_id: removed}
profiles:
  - {name: Integration User, session_timeout: 2h, login_ip_ranges: [{start: 54.249.48.100, end: 54.249.48.120}]}
permission_sets: [{name: SendUserPS}]
users:
  - {username: ` + sendUser + `, first_name: Send, last_name: User, profile: Integration User, permission_sets: [SendUserPS]}
  - {username: ` + adminUser + `, first_name: Ada, last_name: Admin, profile: System Administrator, password: ` + adminPass + `}
apps:
  - name: opro_connector_eca
    kind: external_client_app
    consumer_key: ` + consumerKey + `
    consumer_secret: ` + secret + `
    certificate: server.crt
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS], ip_relaxation: enforce}
records:
  Account:
    - {Name: Edge Communications, Industry: Energy}
    - {Name: Burlington Textiles, Industry: Apparel}
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Id, Name, Industry], endpoint_url: "` + receiver + `/outbound", user_to_send_as: ` + sendUser + `}
`
}

// receiver is the vendor's listener: down (a SOAP fault, HTTP 500) until
// it is brought up, then acknowledging.
type receiver struct {
	*httptest.Server
	up       atomic.Bool
	received atomic.Int32
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rc.received.Add(1)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Header().Set("X-Receiver", "vendor-listener")
		const env = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`
		if !rc.up.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, env, `<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>listener database is down</faultstring></soapenv:Fault>`)
			return
		}
		fmt.Fprintf(w, env, `<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>`)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// world is an emulator where the customer's story has happened: the
// vendor logged in from its old IP and called the REST API, its egress IP
// moved and the next login failed "ip restricted", and a notification to
// its listener failed twice (the second time a retry).
type world struct {
	emu          *emulator.Emulator
	srv          *httptest.Server
	rcv          *receiver
	notification string
	token        string // the vendor's session, from before the move

	// client browses as one person: its cookie jar holds the guard's CSRF
	// cookie, and csrf the token the pages' forms post.
	client *http.Client
	csrf   string
}

func newWorld(t testing.TB, options ...func(*emulator.Options)) *world {
	t.Helper()
	ctx := context.Background()
	rcv := newReceiver(t)
	crt, err := os.ReadFile("../../fixtures/keys/server.crt")
	if err != nil {
		t.Fatal(err)
	}
	opts := emulator.Options{Clock: emulator.VirtualClock, VirtualStart: start, FixedNotificationIDs: true,
		Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture(rcv.URL), Files: map[string]string{"server.crt": string(crt)}}}}
	for _, o := range options {
		o(&opts)
	}
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{emu: emu, srv: newServer(t, emu), rcv: rcv}

	// Before: the vendor's IP is inside the ranges; it logs in and queries.
	must(t, emu.SetClientIP(ctx, orgName, vendorIP))
	status, body := w.login(t)
	if status != http.StatusOK {
		t.Fatalf("login from %s: %d %s", vendorIP, status, body)
	}
	w.token = body["access_token"].(string)
	w.rest(t, "GET", "/services/data/v66.0/query?q="+url.QueryEscape("SELECT Id, Name FROM Account"), "")
	w.rest(t, "GET", "/services/data/v66.0/query?q="+url.QueryEscape("SELEKT Id FROM Account"), "")
	w.rest(t, "PATCH", "/services/data/v66.0/sobjects/Account/001000000000000AAA", `{"Industry":"Energy"}`)

	// Then its egress IP moves: "ip restricted".
	must(t, emu.SetClientIP(ctx, orgName, movedIP))
	if status, body := w.login(t); status != http.StatusBadRequest || body["error_description"] != "ip restricted" {
		t.Fatalf("login from %s: %d %v, want 400 ip restricted", movedIP, status, body)
	}

	// A notification to the listener, which is down: the first attempt
	// fails, and the retry 5 s later too.
	sent, err := emu.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name = 'Edge Communications'"})
	must(t, err)
	w.notification = sent.Notifications[0]
	must(t, emu.Idle(ctx))
	_, err = emu.Advance(ctx, wire.Advance{By: wire.Duration(5 * time.Second)})
	must(t, err)
	must(t, emu.Idle(ctx))
	if q, _ := emu.Queue(ctx, false); len(q) != 1 || q[0].Attempts != 2 {
		t.Fatalf("queue %+v, want the notification after two failed attempts", q)
	}
	return w
}

// newServer serves emu over HTTP until the test ends.
func newServer(t testing.TB, emu *emulator.Emulator) *httptest.Server {
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); srv.Close() })
	emu.SetPublicURL(srv.URL)
	return srv
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// login is the vendor's JWT bearer token request.
func (w *world) login(t testing.TB) (int, map[string]any) {
	t.Helper()
	key, err := jwtbearer.LoadPrivateKeyFile("../../fixtures/keys/server.key")
	must(t, err)
	clk, err := w.emu.Clock(context.Background())
	must(t, err)
	assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{Issuer: consumerKey, Subject: sendUser,
		Audience: "https://login.salesforce.com", Expiry: clk.Now.Add(3 * time.Minute)})
	must(t, err)
	resp, err := http.PostForm(w.srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
	must(t, err)
	defer resp.Body.Close()
	var body map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// rest calls the REST API with the vendor's session.
func (w *world) rest(t testing.TB, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+w.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// browser is the world's one browsing client, with a cookie jar.
func (w *world) browser() *http.Client {
	if w.client == nil {
		jar, _ := cookiejar.New(nil)
		w.client = &http.Client{Jar: jar}
	}
	return w.client
}
