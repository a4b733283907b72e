package controlapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/controlapi"
	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

// start is where every test's virtual clock starts.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one emulator served over real HTTP, with what a row's setup
// prepared for its request (vars fill {name} in the row's path and body).
type env struct {
	emu  *emulator.Emulator
	srv  *httptest.Server
	vars map[string]string
}

func newEnv(t *testing.T, clockMode emulator.ClockMode, options ...func(*emulator.Options)) *env {
	t.Helper()
	opts := emulator.Options{Clock: clockMode, VirtualStart: start}
	for _, o := range options {
		o(&opts)
	}
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	return &env{emu: emu, srv: srv, vars: map[string]string{}}
}

// answer is one HTTP answer, body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.status, a.body) }

// call sends method path (under /_sfemu unless it starts with /services or
// is a full URL) with body, and reads the answer.
func (e *env) call(t *testing.T, method, path, body string, header ...string) answer {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		if !strings.HasPrefix(path, "/services/") {
			u = "/_sfemu" + path
		}
		u = e.srv.URL + u
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// must is call that fails the test unless the status is want.
func (e *env) must(t *testing.T, want int, method, path, body string) answer {
	t.Helper()
	a := e.call(t, method, path, body)
	if a.status != want {
		t.Fatalf("setup: %s %s: %s, want %d", method, path, a, want)
	}
	return a
}

// decodeJSON decodes an answer's body into a T, failing the test otherwise.
func decodeJSON[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer is not a %T: %v\n%s", v, err, body)
	}
	return v
}

// loginAssertion mints a JWT bearer assertion for the default org's send
// user (or another subject) with the test key the default app trusts.
func loginAssertion(t *testing.T, subject string) string {
	t.Helper()
	key, err := jwtbearer.LoadPrivateKeyFile("../../" + fixtures.DefaultKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{
		Issuer: fixtures.DefaultConsumerKey, Subject: subject,
		Audience: "https://login.salesforce.com", Expiry: start.Add(3 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	return assertion
}

// login logs in as subject with the JWT bearer flow and returns the token
// endpoint's status and answer.
func (e *env) login(t *testing.T, subject string) (int, map[string]any) {
	t.Helper()
	resp, err := e.srv.Client().PostForm(e.srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {loginAssertion(t, subject)}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// session logs the default send user in and keeps the token as {token}.
func (e *env) session(t *testing.T) string {
	t.Helper()
	status, tok := e.login(t, fixtures.DefaultUsername)
	token, _ := tok["access_token"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("setup: JWT bearer login of the default send user: %d %v", status, tok)
	}
	e.vars["token"] = token
	return token
}

// receiverFixture is a small org whose outbound messages go to this
// emulator's own test receiver: Account_Changed to answer, Lead_Sent to
// leadAnswer.
func receiverFixture(base, answer, leadAnswer string) string {
	return `
org: {name: Acme, type: production, time_zone: UTC}
users:
  - {username: admin@acme.example, first_name: Ada, last_name: Admin, profile: System Administrator}
records:
  Account:
    - {Name: Edge Communications, Industry: Energy}
    - {Name: Burlington Textiles, Industry: Apparel}
  Lead:
    - {LastName: Boxer, Company: Farmers Coop}
outbound_messages:
  - name: Account_Changed
    object: Account
    fields: [Name, Industry]
    endpoint_url: "` + base + `/_sfemu/test-receiver/` + answer + `"
    user_to_send_as: admin@acme.example
    api_version: "60.0"
  - name: Lead_Sent
    object: Lead
    fields: [LastName, Company]
    endpoint_url: "` + base + `/_sfemu/test-receiver/` + leadAnswer + `"
    user_to_send_as: admin@acme.example
`
}

// loadReceiver replaces the orgs, over PUT /orgs, with receiverFixture.
func (e *env) loadReceiver(t *testing.T, answer string) {
	t.Helper()
	body, err := json.Marshal(wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: receiverFixture(e.srv.URL, answer, "nack")}}})
	if err != nil {
		t.Fatal(err)
	}
	e.must(t, http.StatusOK, "PUT", "/orgs", string(body))
}

// send sends Account_Changed for Edge Communications, waits for the
// delivery, and keeps the notification id as {notification}.
func (e *env) send(t *testing.T, message string) string {
	t.Helper()
	where := `Name = 'Edge Communications'`
	if message == "Lead_Sent" {
		where = `LastName = 'Boxer'`
	}
	body, _ := json.Marshal(wire.Send{Where: where})
	sent := decodeJSON[wire.Sent](t, e.must(t, http.StatusAccepted, "POST", "/outbound/"+message+"/send", string(body)).body)
	if len(sent.Notifications) != 1 {
		t.Fatalf("setup: send queued %v, want one notification", sent.Notifications)
	}
	e.must(t, http.StatusOK, "POST", "/outbound/idle", "")
	e.vars["notification"] = sent.Notifications[0]
	return sent.Notifications[0]
}

// orgs is the facade's org list (to check what a call changed).
func (e *env) orgs(t *testing.T) []wire.Org {
	t.Helper()
	orgs, err := e.emu.Orgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return orgs
}

// defaultOrgID is the default org's id, as GET /orgs gives it.
func (e *env) defaultOrgID(t *testing.T) string {
	t.Helper()
	orgs := e.orgs(t)
	if len(orgs) != 1 {
		t.Fatalf("setup: %d orgs", len(orgs))
	}
	return orgs[0].ID
}

// errorBody is a control error as it travels.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// wantError checks a JSON error answer mentions every one of parts.
func wantError(parts ...string) func(*testing.T, *env, answer) {
	return func(t *testing.T, env *env, a answer) {
		t.Helper()
		e := decodeJSON[errorBody](t, a.body)
		if e.Error == "" {
			t.Errorf("error answer without an \"error\" message: %s", a.body)
		}
		for _, p := range parts {
			if p = env.expand(p); !strings.Contains(e.Error, p) {
				t.Errorf("error %q should mention %q", e.Error, p)
			}
		}
	}
}

// wantCode checks a JSON error answer carries a Salesforce error code.
func wantCode(code string, parts ...string) func(*testing.T, *env, answer) {
	return func(t *testing.T, e *env, a answer) {
		t.Helper()
		wantError(parts...)(t, e, a)
		if got := decodeJSON[errorBody](t, a.body).Code; got != code {
			t.Errorf("code = %q, want %q: %s", got, code, a.body)
		}
	}
}

// rawField is one top-level field of a JSON object answer, undecoded.
func rawField(t *testing.T, body []byte, name string) string {
	t.Helper()
	m := decodeJSON[map[string]json.RawMessage](t, body)
	return string(m[name])
}

// controlRow is one control call and what a user of it notices.
type controlRow struct {
	name string
	// real starts the emulator on the real clock.
	real bool
	// options change the emulator's options before it starts.
	options func(*emulator.Options)
	// setup prepares the emulator (and e.vars) before the call.
	setup  func(t *testing.T, e *env)
	method string
	path   string // under /_sfemu; {var} is replaced from e.vars
	body   string // {var} is replaced from e.vars
	status int
	// ctype is the Content-Type the answer must start with; empty: JSON
	// for answers with a body, none for 204.
	ctype string
	check func(t *testing.T, e *env, a answer)
}

// testCA stands for the PEM of `sfemu serve --tls`'s CA: the control API
// serves what it is given.
var testCA = []byte("-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n")

// controlRows are TestControlAPI's rows, each run on an emulator of its own.
func controlRows() []controlRow {
	return []controlRow{
		// Health and reset.
		{
			name:   "GET /health answers ok with the number of orgs",
			method: "GET", path: "/health", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if h := decodeJSON[wire.Health](t, a.body); h != (wire.Health{Status: "ok", Orgs: 1}) {
					t.Errorf("health = %+v", h)
				}
			},
		},
		{
			name: "POST /reset forgets sessions, faults and queues but keeps the clock's time",
			setup: func(t *testing.T, e *env) {
				e.session(t)
				e.must(t, 201, "POST", "/faults", `{"status":503}`)
				e.must(t, 200, "POST", "/clock/advance", `{"by":"1h"}`)
			},
			method: "POST", path: "/reset", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if h := decodeJSON[wire.Health](t, a.body); h != (wire.Health{Status: "reset", Orgs: 1}) {
					t.Errorf("reset = %+v", h)
				}
				if s := decodeJSON[[]wire.Session](t, e.call(t, "GET", "/sessions", "").body); len(s) != 0 {
					t.Errorf("sessions survived the reset: %+v", s)
				}
				if f := decodeJSON[[]wire.Fault](t, e.call(t, "GET", "/faults", "").body); len(f) != 0 {
					t.Errorf("faults survived the reset: %+v", f)
				}
				if c := decodeJSON[wire.Clock](t, e.call(t, "GET", "/clock", "").body); !c.Now.Equal(start.Add(time.Hour)) {
					t.Errorf("clock after reset = %v, want %v (a reset keeps the time)", c.Now, start.Add(time.Hour))
				}
			},
		},
		{
			name:   "GET /reset is a 405",
			method: "GET", path: "/reset", status: 405,
			check: wantError("GET is not allowed on /_sfemu/reset"),
		},

		// Orgs.
		{
			name:   "GET /orgs lists the default org with its login audiences",
			method: "GET", path: "/orgs", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				orgs := decodeJSON[[]wire.Org](t, a.body)
				if len(orgs) != 1 {
					t.Fatalf("orgs = %+v, want the default org alone", orgs)
				}
				o := orgs[0]
				if o.Name != "Default" || o.Type != "production" || o.MyDomain != "sfemu-default" || o.TimeZone != "UTC" ||
					o.OutboundSessionID != "removed" || o.Users != 2 || o.ClientIP != "" {
					t.Errorf("default org = %+v", o)
				}
				if !strings.HasPrefix(o.ID, "00D") || len(o.ID) != 18 {
					t.Errorf("org id %q: want an 18-character 00D id", o.ID)
				}
				for _, aud := range []string{"https://login.salesforce.com", "https://sfemu-default.my.salesforce.com"} {
					if !slices.Contains(o.LoginAudiences, aud) {
						t.Errorf("login_audiences %v lack %s", o.LoginAudiences, aud)
					}
				}
				if !slices.Equal(o.InstalledApps, []string{"sfemu_receiver_eca"}) {
					t.Errorf("installed_apps = %v", o.InstalledApps)
				}
				if !strings.Contains(o.Source, "default.yaml") {
					t.Errorf("source = %q, want the embedded default.yaml", o.Source)
				}
			},
		},
		{
			name: "PUT /orgs with a fixture replaces the orgs and answers the new list",
			setup: func(t *testing.T, e *env) {
				e.vars["fixture"] = jsonString(t, receiverFixture(e.srv.URL, "ack", "ack"))
			},
			method: "PUT", path: "/orgs", body: `{"fixtures":[{"name":"acme.yaml","yaml":{fixture}}]}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				orgs := decodeJSON[[]wire.Org](t, a.body)
				if len(orgs) != 1 || orgs[0].Name != "Acme" || orgs[0].Users != 1 || orgs[0].Source != "acme.yaml" {
					t.Errorf("PUT /orgs answered %+v, want Acme alone from acme.yaml", orgs)
				}
				if got := e.orgs(t); len(got) != 1 || got[0].Name != "Acme" {
					t.Errorf("GET /orgs after PUT = %+v", got)
				}
			},
		},
		{
			name: "PUT /orgs with clock_start starts a virtual clock over there, earlier than it was",
			setup: func(t *testing.T, e *env) {
				e.must(t, 200, "POST", "/clock/advance", `{"by": "25h"}`)
			},
			method: "PUT", path: "/orgs", body: `{"fixtures":[{"name":"acme.yaml","yaml":"org: {name: Acme}\n"}],"clock_start":"2026-01-05T09:00:00Z"}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if c := decodeJSON[wire.Clock](t, e.call(t, "GET", "/clock", "").body); !c.Now.Equal(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)) {
					t.Errorf("clock after PUT /orgs with clock_start = %v", c.Now)
				}
			},
		},
		{
			name:   "PUT /orgs with clock_start on the real clock is a 409",
			real:   true,
			method: "PUT", path: "/orgs", body: `{"fixtures":[{"name":"acme.yaml","yaml":"org: {name: Acme}\n"}],"clock_start":"2026-01-05T09:00:00Z"}`, status: 409,
			check: wantError("the clock is real"),
		},
		{
			name: "PUT /orgs with notification_id_base numbers outbound notifications from there",
			setup: func(t *testing.T, e *env) {
				body, _ := json.Marshal(wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: receiverFixture(e.srv.URL, "ack", "ack")}},
					NotificationIDBase: 1000})
				e.must(t, 200, "PUT", "/orgs", string(body))
			},
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"where":"Name = 'Edge Communications'"}`, status: 202,
			check: func(t *testing.T, e *env, a answer) {
				sent := decodeJSON[wire.Sent](t, a.body)
				// Base 62 of 1001 is "G9"; 15 characters then the checksum.
				if len(sent.Notifications) != 1 || !strings.HasPrefix(sent.Notifications[0], "04l") ||
					!strings.HasSuffix(sent.Notifications[0][:15], "0000000G9") {
					t.Errorf("notifications = %v, want one 04l id numbered 1001", sent.Notifications)
				}
				e.must(t, 200, "POST", "/outbound/idle", "")
			},
		},
		{
			name:   "PUT /orgs with no fixtures is a 400",
			method: "PUT", path: "/orgs", body: `{"fixtures":[]}`, status: 400,
			check: wantError("at least one fixture"),
		},
		{
			name:   "PUT /orgs with a fixture that does not load is a 400 naming the file, and the old orgs stay",
			method: "PUT", path: "/orgs", body: `{"fixtures":[{"name":"broken.yaml","yaml":"org: {name: Broken}\nusers: [{username: a@b.example, profile: No Such Profile}]\n"}]}`,
			status: 400,
			check: func(t *testing.T, e *env, a answer) {
				wantError("broken.yaml")(t, e, a)
				if got := e.orgs(t); len(got) != 1 || got[0].Name != "Default" {
					t.Errorf("orgs after a failed PUT = %+v, want Default still", got)
				}
			},
		},
		{
			name:   "PUT /orgs with no body is a 400",
			method: "PUT", path: "/orgs", status: 400,
			check: wantError("request body"),
		},
		{
			name:   "DELETE /orgs is a 405",
			method: "DELETE", path: "/orgs", status: 405,
			check: wantError("DELETE is not allowed on /_sfemu/orgs"),
		},

		// Users.
		{
			name:   "GET /orgs/Default/users lists the send user and the admin with their profiles",
			method: "GET", path: "/orgs/Default/users", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				users := decodeJSON[[]wire.User](t, a.body)
				if len(users) != 2 {
					t.Fatalf("users = %+v", users)
				}
				send, admin := users[0], users[1]
				if send.Username != "sender@sfemu.example" || send.Name != "Send User" || send.Profile != "Integration" ||
					!slices.Equal(send.PermissionSets, []string{"SendUserPS"}) || !send.Active || send.Frozen || !strings.HasPrefix(send.ID, "005") {
					t.Errorf("send user = %+v", send)
				}
				if admin.Username != "admin@sfemu.example" || admin.Profile != "System Administrator" || admin.PermissionSets == nil {
					t.Errorf("admin = %+v (permission_sets must be [] not null)", admin)
				}
			},
		},
		{
			name: "GET /orgs/{org}/profiles lists Login IP Ranges, login hours and session timeouts, sorted by name",
			setup: func(t *testing.T, e *env) {
				yaml := "org: {name: Acme, time_zone: Asia/Tokyo}\n" +
					"profiles:\n  - {name: Integration User, session_timeout: 30m, login_ip_ranges: [{start: 54.249.48.100, end: 54.249.48.120}],\n" +
					"     login_hours: {monday: {start: \"08:00\", end: \"18:00\"}}}\n" +
					"users: [{username: sender@acme.example, profile: Integration User}]\n"
				body, _ := json.Marshal(wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: yaml}}})
				e.must(t, 200, "PUT", "/orgs", string(body))
			},
			method: "GET", path: "/orgs/Acme/profiles", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				profiles := decodeJSON[[]wire.Profile](t, a.body)
				var names []string
				for _, p := range profiles {
					names = append(names, p.Name)
				}
				if !slices.IsSorted(names) || !slices.Contains(names, "System Administrator") {
					t.Errorf("profiles %v: want them sorted, the built-in ones among them", names)
				}
				i := slices.Index(names, "Integration User")
				if i < 0 {
					t.Fatalf("no Integration User profile: %s", a.body)
				}
				p := profiles[i]
				if p.SessionTimeout.D() != 30*time.Minute || p.Users != 1 ||
					!slices.Equal(p.LoginIPRanges, []wire.IPRange{{Start: "54.249.48.100", End: "54.249.48.120"}}) ||
					!slices.Equal(p.LoginHours, []wire.LoginWindow{{Day: "Monday", Start: "08:00", End: "18:00"}}) ||
					!slices.Contains(p.UserPermissions, "ApiEnabled") {
					t.Errorf("Integration User = %+v", p)
				}
				if !strings.Contains(string(a.body), `"login_hours": null`) {
					t.Errorf("a profile without login hours must say null (any time): %s", a.body)
				}
			},
		},
		{
			name:   "GET /orgs/{org}/profiles of an unknown org is a 404",
			method: "GET", path: "/orgs/Nowhere/profiles", status: 404,
			check: wantError(`"Nowhere"`),
		},
		{
			name:   "GET /orgs/{org}/users finds the org by its 18-character id",
			setup:  func(t *testing.T, e *env) { e.vars["org"] = e.defaultOrgID(t) },
			method: "GET", path: "/orgs/{org}/users", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if users := decodeJSON[[]wire.User](t, a.body); len(users) != 2 {
					t.Errorf("users = %+v", users)
				}
			},
		},
		{
			name:   "GET /orgs/{org}/users finds the org by its 15-character id",
			setup:  func(t *testing.T, e *env) { e.vars["org"] = e.defaultOrgID(t)[:15] },
			method: "GET", path: "/orgs/{org}/users", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if users := decodeJSON[[]wire.User](t, a.body); len(users) != 2 {
					t.Errorf("users = %+v", users)
				}
			},
		},
		{
			name:   "GET /orgs/Nowhere/users is a 404 naming the org",
			method: "GET", path: "/orgs/Nowhere/users", status: 404,
			check: wantError(`"Nowhere"`, "/_sfemu/orgs"),
		},

		// Login History.
		{
			name:   "GET /orgs/Default/login-history shows a JWT login with Salesforce's field names",
			setup:  func(t *testing.T, e *env) { e.session(t) },
			method: "GET", path: "/orgs/Default/login-history", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				var rows []map[string]any
				if err := json.Unmarshal(a.body, &rows); err != nil || len(rows) != 1 {
					t.Fatalf("login history: %v %s", err, a.body)
				}
				for _, k := range []string{"Id", "UserId", "Username", "LoginTime", "LoginType", "LoginUrl", "SourceIp", "Status", "Application"} {
					if _, ok := rows[0][k]; !ok {
						t.Errorf("login history row lacks %s: %v", k, rows[0])
					}
				}
				ev := decodeJSON[[]wire.LoginEvent](t, a.body)[0]
				if ev.Username != fixtures.DefaultUsername || ev.Status != "Success" || ev.SourceIP != "127.0.0.1" || !ev.LoginTime.Equal(start) {
					t.Errorf("login = %+v", ev)
				}
			},
		},
		{
			name:   "GET /orgs/Default/login-history before any login is an empty list",
			method: "GET", path: "/orgs/Default/login-history", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := strings.TrimSpace(string(a.body)); got != "[]" {
					t.Errorf("login history = %s, want []", got)
				}
			},
		},
		{
			name:   "GET /orgs/Nowhere/login-history is a 404",
			method: "GET", path: "/orgs/Nowhere/login-history", status: 404,
			check: wantError(`"Nowhere"`),
		},

		// Platform events.
		{
			name:   "GET /orgs/Default/events before any publish is an empty list",
			method: "GET", path: "/orgs/Default/events", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := strings.TrimSpace(string(a.body)); got != "[]" {
					t.Errorf("events = %s, want []", got)
				}
			},
		},
		{
			name:   "GET /orgs/Nowhere/events is a 404",
			method: "GET", path: "/orgs/Nowhere/events", status: 404,
			check: wantError(`"Nowhere"`),
		},

		// Client IP.
		{
			name:   "PUT /orgs/{org}/client-ip makes the org's requests come from that IP",
			method: "PUT", path: "/orgs/Default/client-ip", body: `{"ip":"54.249.48.100"}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if got := decodeJSON[wire.ClientIP](t, a.body); got != (wire.ClientIP{Org: "Default", ClientIP: "54.249.48.100"}) {
					t.Errorf("answer = %+v", got)
				}
				if got := e.orgs(t)[0].ClientIP; got != "54.249.48.100" {
					t.Errorf("GET /orgs client_ip = %q", got)
				}
				// The next login is recorded from there.
				e.session(t)
				hist := decodeJSON[[]wire.LoginEvent](t, e.call(t, "GET", "/orgs/Default/login-history", "").body)
				if len(hist) != 1 || hist[0].SourceIP != "54.249.48.100" {
					t.Errorf("login history after setting the client IP: %+v", hist)
				}
			},
		},
		{
			name:   "PUT /orgs/{org}/client-ip with a bad IP is a 400 naming the value",
			method: "PUT", path: "/orgs/Default/client-ip", body: `{"ip":"54.249.48"}`, status: 400,
			check: wantError(`"54.249.48"`, "not an IP address"),
		},
		{
			name:   "PUT /orgs/{org}/client-ip without an ip is a 400 showing the body to send",
			method: "PUT", path: "/orgs/Default/client-ip", body: `{}`, status: 400,
			check: wantError(`{"ip": "54.249.48.100"}`, "DELETE"),
		},
		{
			name:   "PUT /orgs/{org}/client-ip for an unknown org is a 404",
			method: "PUT", path: "/orgs/Nowhere/client-ip", body: `{"ip":"10.1.2.3"}`, status: 404,
			check: wantError(`"Nowhere"`),
		},
		{
			name:   "DELETE /orgs/{org}/client-ip goes back to the TCP peer",
			setup:  func(t *testing.T, e *env) { e.must(t, 200, "PUT", "/orgs/Default/client-ip", `{"ip":"54.249.48.100"}`) },
			method: "DELETE", path: "/orgs/Default/client-ip", status: 204,
			check: func(t *testing.T, e *env, a answer) {
				if len(a.body) != 0 {
					t.Errorf("204 with a body: %q", a.body)
				}
				if got := e.orgs(t)[0].ClientIP; got != "" {
					t.Errorf("client_ip after DELETE = %q", got)
				}
			},
		},
		{
			name:   "DELETE /orgs/{org}/client-ip for an unknown org is a 404",
			method: "DELETE", path: "/orgs/Nowhere/client-ip", status: 404,
			check: wantError(`"Nowhere"`),
		},

		// Records and queries.
		{
			name:   "POST /orgs/{org}/records creates a record and answers 201 with its id",
			method: "POST", path: "/orgs/Default/records", body: `{"object":"Account","fields":{"Name":"Globex","NumberOfEmployees":12}}`, status: 201,
			check: func(t *testing.T, e *env, a answer) {
				rec := decodeJSON[wire.Record](t, a.body)
				if !strings.HasPrefix(rec.ID, "001") || len(rec.ID) != 18 {
					t.Fatalf("id = %q, want an 18-character Account id", rec.ID)
				}
				q := e.call(t, "GET", "/orgs/Default/query?q="+url.QueryEscape("SELECT Id, Name, NumberOfEmployees, CreatedBy.Username FROM Account WHERE Name = 'Globex'"), "")
				rows := decodeJSON[wire.Rows](t, q.body)
				if rows.TotalSize != 1 || rows.Rows[0]["Id"] != rec.ID || rows.Rows[0]["NumberOfEmployees"] != 12.0 ||
					rows.Rows[0]["CreatedBy.Username"] != "admin@sfemu.example" {
					t.Errorf("the created record (made by the first administrator): %s", q.body)
				}
			},
		},
		{
			name:   "POST /orgs/{org}/records as a named user records that user",
			method: "POST", path: "/orgs/Default/records", body: `{"object":"Account","fields":{"Name":"Initech"},"as":"sender@sfemu.example"}`, status: 201,
			check: func(t *testing.T, e *env, a answer) {
				q := e.call(t, "GET", "/orgs/Default/query?q="+url.QueryEscape("SELECT CreatedBy.Username FROM Account WHERE Name = 'Initech'"), "")
				if rows := decodeJSON[wire.Rows](t, q.body); rows.TotalSize != 1 || rows.Rows[0]["CreatedBy.Username"] != "sender@sfemu.example" {
					t.Errorf("created by: %s", q.body)
				}
			},
		},
		{
			name:   "POST /orgs/{org}/records with a missing required field answers 400 with code REQUIRED_FIELD_MISSING",
			method: "POST", path: "/orgs/Default/records", body: `{"object":"Account","fields":{"Industry":"Energy"}}`, status: 400,
			check: wantCode("REQUIRED_FIELD_MISSING", "Name"),
		},
		{
			name:   "POST /orgs/{org}/records of an object the org lacks is a 400 naming it",
			method: "POST", path: "/orgs/Default/records", body: `{"object":"Widget__c","fields":{"Name":"x"}}`, status: 400,
			check: wantError(`"Widget__c"`),
		},
		{
			name:   "POST /orgs/{org}/records as an unknown user is a 404 naming the user",
			method: "POST", path: "/orgs/Default/records", body: `{"object":"Account","fields":{"Name":"x"},"as":"ghost@sfemu.example"}`, status: 404,
			check: wantError(`"ghost@sfemu.example"`),
		},
		{
			name:   "POST /orgs/{org}/records in an unknown org is a 404",
			method: "POST", path: "/orgs/Nowhere/records", body: `{"object":"Account","fields":{"Name":"x"}}`, status: 404,
			check: wantError(`"Nowhere"`),
		},
		{
			name:   "PATCH /orgs/{org}/records/{id} updates the record",
			setup:  func(t *testing.T, e *env) { e.vars["id"] = createAccount(t, e, "Globex") },
			method: "PATCH", path: "/orgs/Default/records/{id}", body: `{"fields":{"Industry":"Chemicals"}}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if rec := decodeJSON[wire.Record](t, a.body); rec.ID != e.vars["id"] {
					t.Errorf("answer id %q, want %q", rec.ID, e.vars["id"])
				}
				q := e.call(t, "GET", "/orgs/Default/query?q="+url.QueryEscape("SELECT Industry FROM Account WHERE Name = 'Globex'"), "")
				if rows := decodeJSON[wire.Rows](t, q.body); rows.TotalSize != 1 || rows.Rows[0]["Industry"] != "Chemicals" {
					t.Errorf("after PATCH: %s", q.body)
				}
			},
		},
		{
			name: "PATCH /orgs/{org}/records/{id} with a 15-character id answers the 18-character one",
			setup: func(t *testing.T, e *env) {
				id := createAccount(t, e, "Globex")
				e.vars["id18"], e.vars["id"] = id, id[:15]
			},
			method: "PATCH", path: "/orgs/Default/records/{id}", body: `{"fields":{"Industry":"Chemicals"}}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if rec := decodeJSON[wire.Record](t, a.body); rec.ID != e.vars["id18"] {
					t.Errorf("answer id %q, want %q", rec.ID, e.vars["id18"])
				}
			},
		},
		{
			name:   "PATCH /orgs/{org}/records/{id} blanking a required field answers 400 with code REQUIRED_FIELD_MISSING",
			setup:  func(t *testing.T, e *env) { e.vars["id"] = createAccount(t, e, "Globex") },
			method: "PATCH", path: "/orgs/Default/records/{id}", body: `{"fields":{"Name":null}}`, status: 400,
			check: wantCode("REQUIRED_FIELD_MISSING"),
		},
		{
			name:   "PATCH /orgs/{org}/records/{id} of a record that does not exist is a 404",
			method: "PATCH", path: "/orgs/Default/records/001000000000zzz", body: `{"fields":{"Name":"x"}}`, status: 404,
			check: wantError("001000000000zzz"),
		},
		{
			name:   "PATCH /orgs/{org}/records/{id} with a malformed id is a 400",
			method: "PATCH", path: "/orgs/Default/records/not-an-id", body: `{"fields":{"Name":"x"}}`, status: 400,
			check: wantError(`"not-an-id"`),
		},
		{
			name:   "GET /orgs/{org}/query runs SOQL and flattens parent fields by path",
			method: "GET", path: "/orgs/Default/query?q=" + url.QueryEscape("SELECT LastName, Account.Name, Account.AnnualRevenue FROM Contact WHERE Email = 'rose@edge.example'"),
			status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				rows := decodeJSON[wire.Rows](t, a.body)
				if rows.TotalSize != 1 || len(rows.Rows) != 1 {
					t.Fatalf("rows = %s", a.body)
				}
				r := rows.Rows[0]
				if r["LastName"] != "Gonzalez" || r["Account.Name"] != "Edge Communications" || r["Account.AnnualRevenue"] != 139000000.0 {
					t.Errorf("row = %v", r)
				}
			},
		},
		{
			name:   "GET /orgs/{org}/query counts a child subquery's rows",
			method: "GET", path: "/orgs/Default/query?q=" + url.QueryEscape("SELECT Name, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'Edge Communications'"),
			status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				rows := decodeJSON[wire.Rows](t, a.body)
				if rows.TotalSize != 1 || rows.Rows[0]["Contacts"] != 2.0 {
					t.Errorf("rows = %s", a.body)
				}
			},
		},
		{
			name:   "GET /orgs/{org}/query counts a child subquery with no rows as 0",
			method: "GET", path: "/orgs/Default/query?q=" + url.QueryEscape("SELECT Name, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'Pyramid Construction Inc.'"),
			status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				rows := decodeJSON[wire.Rows](t, a.body)
				if rows.TotalSize != 1 || rows.Rows[0]["Contacts"] != 0.0 {
					t.Errorf("rows = %s, want Contacts 0", a.body)
				}
			},
		},
		{
			name:   "GET /orgs/{org}/query with offset and limit answers one page with its columns in SELECT order",
			method: "GET", path: "/orgs/Default/query?offset=1&limit=1&q=" + url.QueryEscape("SELECT LastName, Account.Name, Email FROM Contact ORDER BY LastName"),
			status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				rows := decodeJSON[wire.Rows](t, a.body)
				if rows.TotalSize != 3 || rows.Offset != 1 || len(rows.Rows) != 1 || rows.Rows[0]["LastName"] != "Gonzalez" {
					t.Errorf("page = %s, want the second of 3 contacts, Gonzalez", a.body)
				}
				if !slices.Equal(rows.Columns, []string{"LastName", "Account.Name", "Email"}) {
					t.Errorf("columns = %v", rows.Columns)
				}
			},
		},
		{
			name:   "GET /orgs/{org}/query with a limit over 2000 is a 400",
			method: "GET", path: "/orgs/Default/query?limit=2001&q=" + url.QueryEscape("SELECT Id FROM Account"), status: 400,
			check: wantError("limit 2001"),
		},
		{
			name:   "GET /orgs/{org}/query with an offset that is not a number is a 400",
			method: "GET", path: "/orgs/Default/query?offset=x&q=" + url.QueryEscape("SELECT Id FROM Account"), status: 400,
			check: wantError(`offset "x" is not a number`),
		},
		{
			name:   "GET /orgs/{org}/query without ?q= is a 400",
			method: "GET", path: "/orgs/Default/query", status: 400,
			check: wantError("?q="),
		},
		{
			name:   "GET /orgs/{org}/query with a field the object lacks is a 400 with code INVALID_FIELD",
			method: "GET", path: "/orgs/Default/query?q=" + url.QueryEscape("SELECT Nope__c FROM Account"), status: 400,
			check: wantCode("INVALID_FIELD", "Nope__c"),
		},
		{
			name:   "GET /orgs/{org}/query with malformed SOQL is a 400 with code MALFORMED_QUERY",
			method: "GET", path: "/orgs/Default/query?q=" + url.QueryEscape("SELEKT Id FROM Account"), status: 400,
			check: wantCode("MALFORMED_QUERY"),
		},
		{
			name:   "GET /orgs/{org}/query in an unknown org is a 404",
			method: "GET", path: "/orgs/Nowhere/query?q=" + url.QueryEscape("SELECT Id FROM Account"), status: 404,
			check: wantError(`"Nowhere"`),
		},

		// Apps.
		{
			name:   "GET /apps shows the receiver's External Client App with its certificate and policy",
			method: "GET", path: "/apps", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				apps := decodeJSON[[]wire.App](t, a.body)
				if len(apps) != 1 {
					t.Fatalf("apps = %+v", apps)
				}
				app := apps[0]
				if app.Name != "sfemu_receiver_eca" || app.Kind != "external_client_app" || app.ConsumerKey != fixtures.DefaultConsumerKey ||
					app.CertificateSubject == "" || app.CertificateNotAfter == nil {
					t.Errorf("app = %+v", app)
				}
				p, ok := app.Installations["Default"]
				if !ok || p.PermittedUsers != "admin_approved" || !slices.Equal(p.PermissionSets, []string{"SendUserPS"}) || p.IPRelaxation != "enforce" {
					t.Errorf("policy in Default = %+v (installed: %v)", p, ok)
				}
			},
		},

		// Sessions.
		{
			name:   "GET /sessions lists a JWT session by its token's prefix and length, with its timeout as a duration string",
			setup:  func(t *testing.T, e *env) { e.session(t) },
			method: "GET", path: "/sessions", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				sessions := decodeJSON[[]wire.Session](t, a.body)
				if len(sessions) != 1 {
					t.Fatalf("sessions = %s", a.body)
				}
				s := sessions[0]
				tok := e.vars["token"]
				if s.Token != "" || strings.Contains(string(a.body), tok) || s.TokenLength != len(tok) || !strings.HasPrefix(tok, s.TokenPrefix) ||
					len(s.TokenPrefix) < 16 || len(s.TokenPrefix) > len(tok)/2 {
					t.Errorf("the token is listed as %q (%d characters): want only a prefix of %q and its length", s.TokenPrefix, s.TokenLength, tok)
				}
				if s.Username != fixtures.DefaultUsername || s.App != "sfemu_receiver_eca" ||
					s.OrgID != e.defaultOrgID(t) || !s.Created.Equal(start) || !s.ExpiresAt.Equal(start.Add(2*time.Hour)) {
					t.Errorf("session = %+v", s)
				}
				var raw []map[string]json.RawMessage
				_ = json.Unmarshal(a.body, &raw)
				if got := string(raw[0]["timeout"]); got != `"2h0m0s"` {
					t.Errorf("timeout travels as %s, want \"2h0m0s\" (the Integration profile's)", got)
				}
			},
		},
		{
			name:   "GET /sessions?reveal=true over loopback to an sfemu without a control token lists the token in full",
			setup:  func(t *testing.T, e *env) { e.session(t) },
			method: "GET", path: "/sessions?reveal=true", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				sessions := decodeJSON[[]wire.Session](t, a.body)
				if len(sessions) != 1 || sessions[0].Token != e.vars["token"] {
					t.Errorf("sessions = %s, want the token %s", a.body, e.vars["token"])
				}
			},
		},
		{
			name:   "GET /sessions?reveal=maybe is a 400",
			method: "GET", path: "/sessions?reveal=maybe", status: 400,
			check: wantError(`reveal="maybe": want true or false`),
		},
		{
			name:   "GET /sessions with none is an empty list",
			method: "GET", path: "/sessions", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := strings.TrimSpace(string(a.body)); got != "[]" {
					t.Errorf("sessions = %s, want []", got)
				}
			},
		},
		{
			name:   "POST /sessions/expire with a username ends that user's sessions, and the token stops working",
			setup:  func(t *testing.T, e *env) { e.session(t) },
			method: "POST", path: "/sessions/expire", body: `{"username":"sender@sfemu.example"}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if got := decodeJSON[wire.Expired](t, a.body); got.Expired != 1 {
					t.Errorf("expired = %d, want 1", got.Expired)
				}
				if s := decodeJSON[[]wire.Session](t, e.call(t, "GET", "/sessions", "").body); len(s) != 0 {
					t.Errorf("sessions after expiry: %+v", s)
				}
				r := e.call(t, "GET", "/services/data/v60.0/limits", "", "Authorization", "Bearer "+e.vars["token"])
				if r.status != 401 || !strings.Contains(string(r.body), "INVALID_SESSION_ID") {
					t.Errorf("REST call with the expired token: %s", r)
				}
			},
		},
		{
			name: "POST /sessions/expire with no body ends everyone's sessions",
			setup: func(t *testing.T, e *env) {
				// A second JWT login of the same user reuses the live
				// session, as Salesforce's does.
				if first, second := e.session(t), e.session(t); first != second {
					t.Errorf("a second login opened another session: %s, %s", first, second)
				}
			},
			method: "POST", path: "/sessions/expire", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if got := decodeJSON[wire.Expired](t, a.body); got.Expired != 1 {
					t.Errorf("expired = %d, want 1", got.Expired)
				}
				if s := decodeJSON[[]wire.Session](t, e.call(t, "GET", "/sessions", "").body); len(s) != 0 {
					t.Errorf("sessions after expiry: %+v", s)
				}
			},
		},
		{
			name:   "POST /sessions/expire for a user with no session ends none",
			setup:  func(t *testing.T, e *env) { e.session(t) },
			method: "POST", path: "/sessions/expire", body: `{"username":"admin@sfemu.example"}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if got := decodeJSON[wire.Expired](t, a.body); got.Expired != 0 {
					t.Errorf("expired = %d, want 0", got.Expired)
				}
				if s := decodeJSON[[]wire.Session](t, e.call(t, "GET", "/sessions", "").body); len(s) != 1 {
					t.Errorf("the send user's session should live on: %+v", s)
				}
			},
		},
		{
			name:   "POST /sessions/expire with a body that is not an object is a 400",
			method: "POST", path: "/sessions/expire", body: `"everyone"`, status: 400,
			check: wantError("request body"),
		},

		// Journals.
		{
			name: "GET /token-requests shows a login naming no known user, with the reason",
			setup: func(t *testing.T, e *env) {
				if status, _ := e.login(t, "ghost@sfemu.example"); status != 400 {
					t.Fatalf("setup: login of an unknown user answered %d", status)
				}
				e.session(t)
			},
			method: "GET", path: "/token-requests", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				reqs := decodeJSON[[]wire.TokenRequest](t, a.body)
				if len(reqs) != 2 {
					t.Fatalf("token requests = %s", a.body)
				}
				bad, good := reqs[0], reqs[1]
				if bad.GrantType != "urn:ietf:params:oauth:grant-type:jwt-bearer" || bad.Username != "ghost@sfemu.example" || bad.Status != 400 ||
					bad.Error != "invalid_grant" || bad.Reason == "" || bad.ClientID != fixtures.DefaultConsumerKey || bad.SourceIP != "127.0.0.1" {
					t.Errorf("failed request = %+v", bad)
				}
				if good.Status != 200 || good.Username != fixtures.DefaultUsername || good.UserID == "" || good.OrgID == "" ||
					!slices.Equal(good.Audience, []string{"https://login.salesforce.com"}) {
					t.Errorf("successful request = %+v", good)
				}
			},
		},
		{
			name: "GET /requests journals every API surface",
			setup: func(t *testing.T, e *env) {
				tok := e.session(t)
				e.call(t, "GET", "/services/data/v60.0/query?q=SELECT+Id+FROM+Account", "", "Authorization", "Bearer "+tok)
			},
			method: "GET", path: "/requests", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				reqs := decodeJSON[[]wire.APIRequest](t, a.body)
				var surfaces []string
				for _, r := range reqs {
					surfaces = append(surfaces, r.Surface)
				}
				if !slices.Contains(surfaces, "oauth") || !slices.Contains(surfaces, "rest") {
					t.Errorf("surfaces %v, want oauth (the login) and rest (the query): %s", surfaces, a.body)
				}
			},
		},
		{
			name: "GET /requests?surface=rest keeps the REST calls only",
			setup: func(t *testing.T, e *env) {
				tok := e.session(t)
				e.call(t, "GET", "/services/data/v60.0/query?q=SELECT+Id+FROM+Account", "", "Authorization", "Bearer "+tok)
			},
			method: "GET", path: "/requests?surface=rest", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				reqs := decodeJSON[[]wire.APIRequest](t, a.body)
				if len(reqs) != 1 {
					t.Fatalf("REST requests = %s", a.body)
				}
				r := reqs[0]
				if r.Surface != "rest" || r.Method != "GET" || r.Path != "/services/data/v60.0/query" || r.Status != 200 ||
					r.Username != fixtures.DefaultUsername || r.APIVersion != "60.0" || !strings.Contains(r.Query, "SELECT") {
					t.Errorf("journal entry = %+v", r)
				}
			},
		},
		{
			name: "GET /requests/{id} opens one request with its headers and bodies, the session redacted",
			setup: func(t *testing.T, e *env) {
				tok := e.session(t)
				e.vars["token"] = tok
				e.call(t, "POST", "/services/data/v60.0/sobjects/Account", `{"Name":"Globex"}`, "Authorization", "Bearer "+tok)
				reqs := decodeJSON[[]wire.APIRequest](t, e.call(t, "GET", "/requests?surface=rest", "").body)
				e.vars["id"] = fmt.Sprint(reqs[len(reqs)-1].ID)
			},
			method: "GET", path: "/requests/{id}", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				ex := decodeJSON[wire.APIExchange](t, a.body)
				if fmt.Sprint(ex.ID) != e.vars["id"] || ex.Method != "POST" || ex.Status != 201 || !ex.BodiesKept ||
					ex.RequestBody != `{"Name":"Globex"}` || !strings.Contains(ex.ResponseBody, `"success":true`) {
					t.Errorf("exchange = %s", a.body)
				}
				if got := ex.RequestHeaders["Authorization"]; !slices.Equal(got, []string{"(redacted)"}) {
					t.Errorf("Authorization kept as %q", got)
				}
				if strings.Contains(string(a.body), e.vars["token"]) {
					t.Errorf("the answer shows the session token: %s", a.body)
				}
			},
		},
		{
			name:   "GET /requests/{id} of a request never made is a 404",
			method: "GET", path: "/requests/12345", status: 404,
			check: wantError("no request 12345"),
		},
		{
			name:   "GET /requests/{id} with an id that is not a number is a 400",
			method: "GET", path: "/requests/first", status: 400,
			check: wantError(`request id "first"`),
		},
		{
			name:   "GET /requests?surface=soap with no SOAP calls is an empty list",
			setup:  func(t *testing.T, e *env) { e.session(t) },
			method: "GET", path: "/requests?surface=soap", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := strings.TrimSpace(string(a.body)); got != "[]" {
					t.Errorf("SOAP requests = %s, want []", got)
				}
			},
		},

		// API faults.
		{
			name:   "POST /faults adds a fault with Salesforce's status and message for a known code",
			method: "POST", path: "/faults", body: `{"org":"Default","method":"GET","path":"/query","error_code":"REQUEST_LIMIT_EXCEEDED","times":1}`, status: 201,
			check: func(t *testing.T, _ *env, a answer) {
				f := decodeJSON[wire.Fault](t, a.body)
				want := wire.Fault{ID: 1, Surface: "rest", Org: "Default", Method: "GET", Path: "/query", Status: 403,
					ErrorCode: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded.", Times: 1}
				if f != want {
					t.Errorf("fault = %+v, want %+v", f, want)
				}
			},
		},
		{
			name:   "POST /faults with a latency answers it as a duration string",
			method: "POST", path: "/faults", body: `{"latency":"250ms"}`, status: 201,
			check: func(t *testing.T, _ *env, a answer) {
				if got := rawField(t, a.body, "latency"); got != `"250ms"` {
					t.Errorf("latency travels as %s", got)
				}
			},
		},
		{
			name:   "POST /faults with no effect is a 400 saying what a fault needs",
			method: "POST", path: "/faults", body: `{"path":"/query"}`, status: 400,
			check: wantError("status", "latency", "expire_session"),
		},
		{
			name:   "POST /faults for an unknown org is a 404",
			method: "POST", path: "/faults", body: `{"org":"Nowhere","status":500}`, status: 404,
			check: wantError(`"Nowhere"`),
		},
		{
			name:   "POST /faults with a latency that is not a duration is a 400 naming the field",
			method: "POST", path: "/faults", body: `{"latency":"soon"}`, status: 400,
			check: wantError("latency", `"soon"`),
		},
		{
			name:   "POST /faults with a bare number for latency is a 400 (its unit would be a guess)",
			method: "POST", path: "/faults", body: `{"latency":250}`, status: 400,
			check: wantError("latency", "duration string"),
		},
		{
			name: "GET /faults counts the requests a fault affected",
			setup: func(t *testing.T, e *env) {
				tok := e.session(t)
				e.must(t, 201, "POST", "/faults", `{"path":"/query","error_code":"SERVER_UNAVAILABLE"}`)
				r := e.call(t, "GET", "/services/data/v60.0/query?q=SELECT+Id+FROM+Account", "", "Authorization", "Bearer "+tok)
				if r.status != 503 || !strings.Contains(string(r.body), "SERVER_UNAVAILABLE") {
					t.Fatalf("setup: the faulted query answered %s", r)
				}
			},
			method: "GET", path: "/faults", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				faults := decodeJSON[[]wire.Fault](t, a.body)
				if len(faults) != 1 || faults[0].Hits != 1 || faults[0].Status != 503 {
					t.Errorf("faults = %s", a.body)
				}
			},
		},
		{
			name:   "GET /faults with none is an empty list",
			method: "GET", path: "/faults", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := strings.TrimSpace(string(a.body)); got != "[]" {
					t.Errorf("faults = %s, want []", got)
				}
			},
		},
		{
			name: "DELETE /faults removes every fault",
			setup: func(t *testing.T, e *env) {
				e.must(t, 201, "POST", "/faults", `{"status":500}`)
				e.must(t, 201, "POST", "/faults", `{"status":502}`)
			},
			method: "DELETE", path: "/faults", status: 204,
			check: func(t *testing.T, e *env, _ answer) {
				if f := decodeJSON[[]wire.Fault](t, e.call(t, "GET", "/faults", "").body); len(f) != 0 {
					t.Errorf("faults after DELETE: %+v", f)
				}
			},
		},
		{
			name:   "DELETE /faults with none is still a 204",
			method: "DELETE", path: "/faults", status: 204,
		},
		{
			name: "DELETE /faults/{id} removes that fault only",
			setup: func(t *testing.T, e *env) {
				e.must(t, 201, "POST", "/faults", `{"status":500}`)
				e.must(t, 201, "POST", "/faults", `{"status":502}`)
			},
			method: "DELETE", path: "/faults/1", status: 204,
			check: func(t *testing.T, e *env, _ answer) {
				f := decodeJSON[[]wire.Fault](t, e.call(t, "GET", "/faults", "").body)
				if len(f) != 1 || f[0].ID != 2 {
					t.Errorf("faults after DELETE /faults/1: %+v", f)
				}
			},
		},
		{
			name:   "DELETE /faults/99 is a 404",
			method: "DELETE", path: "/faults/99", status: 404,
			check: wantError("no fault 99"),
		},
		{
			name:   "DELETE /faults/abc is no control endpoint: a 404",
			method: "DELETE", path: "/faults/abc", status: 404,
			check: wantError("docs/CONTROL.md"),
		},

		// Clock.
		{
			name:   "GET /clock on a virtual clock shows its time",
			method: "GET", path: "/clock", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if c := decodeJSON[wire.Clock](t, a.body); c.Mode != "virtual" || !c.Now.Equal(start) {
					t.Errorf("clock = %+v", c)
				}
			},
		},
		{
			name: "GET /clock on a real clock says real",
			real: true, method: "GET", path: "/clock", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if c := decodeJSON[wire.Clock](t, a.body); c.Mode != "real" || time.Since(c.Now).Abs() > time.Minute {
					t.Errorf("clock = %+v", c)
				}
			},
		},
		{
			name:   "POST /clock/advance by 2h moves the virtual clock",
			method: "POST", path: "/clock/advance", body: `{"by":"2h"}`, status: 200,
			check: func(t *testing.T, e *env, a answer) {
				if c := decodeJSON[wire.Clock](t, a.body); c.Mode != "virtual" || !c.Now.Equal(start.Add(2*time.Hour)) {
					t.Errorf("clock = %+v", c)
				}
				if c := decodeJSON[wire.Clock](t, e.call(t, "GET", "/clock", "").body); !c.Now.Equal(start.Add(2 * time.Hour)) {
					t.Errorf("GET /clock afterwards = %+v", c)
				}
			},
		},
		{
			name:   "POST /clock/advance to a time sets the virtual clock to it",
			method: "POST", path: "/clock/advance", body: `{"to":"2026-03-05T00:00:00Z"}`, status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if c := decodeJSON[wire.Clock](t, a.body); !c.Now.Equal(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)) {
					t.Errorf("clock = %+v", c)
				}
			},
		},
		{
			name:   "POST /clock/advance with both by and to is a 400",
			method: "POST", path: "/clock/advance", body: `{"by":"1h","to":"2026-03-05T00:00:00Z"}`, status: 400,
			check: wantError("not both"),
		},
		{
			name:   "POST /clock/advance with neither by nor to is a 400 showing both forms",
			method: "POST", path: "/clock/advance", body: `{}`, status: 400,
			check: wantError(`{"by": "2h"}`, `{"to":`),
		},
		{
			name:   "POST /clock/advance by a negative duration is a 400: the clock never goes back",
			method: "POST", path: "/clock/advance", body: `{"by":"-1h"}`, status: 400,
			check: wantError("never goes back"),
		},
		{
			name:   "POST /clock/advance to a time in the past is a 400, and the clock stays",
			method: "POST", path: "/clock/advance", body: `{"to":"2020-01-01T00:00:00Z"}`, status: 400,
			check: func(t *testing.T, e *env, a answer) {
				wantError()(t, e, a)
				if c := decodeJSON[wire.Clock](t, e.call(t, "GET", "/clock", "").body); !c.Now.Equal(start) {
					t.Errorf("clock moved to %v", c.Now)
				}
			},
		},
		{
			name:   "POST /clock/advance with a duration that does not parse is a 400 naming by",
			method: "POST", path: "/clock/advance", body: `{"by":"tomorrow"}`, status: 400,
			check: wantError("by", `"tomorrow"`),
		},
		{
			name: "POST /clock/advance on a real clock is a 409",
			real: true, method: "POST", path: "/clock/advance", body: `{"by":"1h"}`, status: 409,
			check: wantError("clock is real"),
		},

		// Outbound messages.
		{
			name:   "GET /outbound/messages lists the default org's Account_Changed",
			method: "GET", path: "/outbound/messages", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				msgs := decodeJSON[[]wire.OutboundMessage](t, a.body)
				if len(msgs) != 1 {
					t.Fatalf("messages = %s", a.body)
				}
				m := msgs[0]
				if m.Name != "Account_Changed" || m.Org != "Default" || m.Object != "Account" || m.EndpointURL != "http://127.0.0.1:8086/outbound" ||
					m.UserToSendAs != "sender@sfemu.example" || !m.IncludeSessionID || m.SessionIDSent || m.APIVersion != "60.0" ||
					!strings.HasPrefix(m.ActionID, "04k") {
					t.Errorf("message = %+v", m)
				}
				// Id first, then the rest alphabetically, as Setup lists them.
				if want := []string{"Id", "AnnualRevenue", "Industry", "Name", "Phone", "Receiver_Status__c", "Type"}; !slices.Equal(m.Fields, want) {
					t.Errorf("fields = %v, want %v", m.Fields, want)
				}
			},
		},
		{
			name:   "POST /outbound/{name}/send queues one notification per matching record",
			setup:  func(t *testing.T, e *env) { e.loadReceiver(t, "ack") },
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"where":"Name != null"}`, status: 202,
			check: func(t *testing.T, e *env, a answer) {
				sent := decodeJSON[wire.Sent](t, a.body)
				if len(sent.Notifications) != 2 || !strings.HasPrefix(sent.Notifications[0], "04l") || sent.Notifications[0] == sent.Notifications[1] {
					t.Errorf("notifications = %v, want two 04l ids", sent.Notifications)
				}
				e.must(t, 200, "POST", "/outbound/idle", "")
			},
		},
		{
			name: "POST /outbound/{name}/send with record ids notifies about those",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				rows := decodeJSON[wire.Rows](t, e.must(t, 200, "GET", "/orgs/Acme/query?q="+url.QueryEscape("SELECT Id FROM Account WHERE Name = 'Burlington Textiles'"), "").body)
				e.vars["record"] = rows.Rows[0]["Id"].(string)
			},
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"org":"Acme","records":["{record}"]}`, status: 202,
			check: func(t *testing.T, e *env, a answer) {
				if sent := decodeJSON[wire.Sent](t, a.body); len(sent.Notifications) != 1 {
					t.Errorf("notifications = %v", sent.Notifications)
				}
				e.must(t, 200, "POST", "/outbound/idle", "")
				d := decodeJSON[[]wire.Delivery](t, e.call(t, "GET", "/outbound/deliveries", "").body)
				if len(d) != 1 || !slices.Equal(d[0].Records, []string{e.vars["record"]}) || !strings.Contains(d[0].Request, "Burlington Textiles") {
					t.Errorf("deliveries = %+v", d)
				}
			},
		},
		{
			name:   "POST /outbound/{name}/send of an unknown message is a 404",
			method: "POST", path: "/outbound/No_Such/send", body: `{"where":"Name != null"}`, status: 404,
			check: wantError(`"No_Such"`, "/outbound/messages"),
		},
		{
			name:   "POST /outbound/{name}/send matching no record is a 400",
			setup:  func(t *testing.T, e *env) { e.loadReceiver(t, "ack") },
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"where":"Name = 'Nobody'"}`, status: 400,
			check: wantError("no records to send"),
		},
		{
			name: "POST /outbound/{name}/send of a record of another object is a 400",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				rows := decodeJSON[wire.Rows](t, e.must(t, 200, "GET", "/orgs/Acme/query?q="+url.QueryEscape("SELECT Id FROM Lead"), "").body)
				e.vars["lead"] = rows.Rows[0]["Id"].(string)
			},
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"records":["{lead}"]}`, status: 400,
			check: wantError("{lead}", "is not an Account"),
		},
		{
			name:   "POST /outbound/{name}/send with a bad where is a 400 with a SOQL code",
			setup:  func(t *testing.T, e *env) { e.loadReceiver(t, "ack") },
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"where":"Nope__c = 1"}`, status: 400,
			check: wantCode("INVALID_FIELD", "where"),
		},
		{
			name: "POST /outbound/{name}/send to a port Salesforce refuses is a 400",
			setup: func(t *testing.T, e *env) {
				yaml := strings.Replace(receiverFixture(e.srv.URL, "ack", "ack"), e.srv.URL, "http://127.0.0.1:25", 1)
				body, _ := json.Marshal(wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: yaml}}})
				e.must(t, 200, "PUT", "/orgs", string(body))
			},
			method: "POST", path: "/outbound/Account_Changed/send", body: `{"where":"Name != null"}`, status: 400,
			check: wantError("port 25"),
		},
		{
			name: "GET /outbound/queue lists a notification the receiver refused, pending its retry",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "nack")
				e.send(t, "Account_Changed")
			},
			method: "GET", path: "/outbound/queue", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				q := decodeJSON[[]wire.QueueEntry](t, a.body)
				if len(q) != 1 {
					t.Fatalf("queue = %s", a.body)
				}
				it := q[0]
				if it.ID != e.vars["notification"] || it.Message != "Account_Changed" || it.Object != "Account" || it.State != "pending" ||
					it.Attempts != 1 || it.DeliveryFailureReason == "" || !it.QueuedAt.Equal(start) ||
					it.LastAttempt == nil || it.NextAttempt == nil || !it.NextAttempt.Equal(start.Add(5*time.Second)) ||
					it.Endpoint != e.srv.URL+"/_sfemu/test-receiver/nack" {
					t.Errorf("queue entry = %+v", it)
				}
				var raw []map[string]json.RawMessage
				_ = json.Unmarshal(a.body, &raw)
				if got := string(raw[0]["age"]); got != `"0s"` {
					t.Errorf("age travels as %s, want \"0s\"", got)
				}
			},
		},
		{
			name: "GET /outbound/queue leaves out delivered notifications",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.send(t, "Account_Changed")
			},
			method: "GET", path: "/outbound/queue", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := strings.TrimSpace(string(a.body)); got != "[]" {
					t.Errorf("queue = %s, want []", got)
				}
			},
		},
		{
			name: "GET /outbound/queue?all=true shows delivered notifications too",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.send(t, "Account_Changed")
			},
			method: "GET", path: "/outbound/queue?all=true", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				q := decodeJSON[[]wire.QueueEntry](t, a.body)
				if len(q) != 1 || q[0].ID != e.vars["notification"] || q[0].State != "delivered" || q[0].Attempts != 1 ||
					q[0].NextAttempt != nil || q[0].DeliveryFailureReason != "" {
					t.Errorf("queue = %s", a.body)
				}
			},
		},
		{
			name: "POST /outbound/queue/{id}/retry sends a pending notification again at once",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "nack")
				e.send(t, "Account_Changed")
			},
			method: "POST", path: "/outbound/queue/{notification}/retry", status: 202,
			check: func(t *testing.T, e *env, a answer) {
				if got := decodeJSON[map[string]string](t, a.body); got["retrying"] != e.vars["notification"] {
					t.Errorf("answer = %s", a.body)
				}
				e.must(t, 200, "POST", "/outbound/idle", "")
				q := decodeJSON[[]wire.QueueEntry](t, e.call(t, "GET", "/outbound/queue", "").body)
				if len(q) != 1 || q[0].Attempts != 2 || q[0].State != "pending" {
					t.Errorf("queue after retry = %+v", q)
				}
			},
		},
		{
			name: "POST /outbound/queue/{id}/retry of a delivered notification is a 404",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.send(t, "Account_Changed")
			},
			method: "POST", path: "/outbound/queue/{notification}/retry", status: 404,
			check: wantError("{notification}"),
		},
		{
			name:   "POST /outbound/queue/{id}/retry with a malformed id is a 400",
			method: "POST", path: "/outbound/queue/04l-nope/retry", status: 400,
			check: wantError(`"04l-nope"`),
		},
		{
			name: "DELETE /outbound/queue/{id} drops a pending notification",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "nack")
				e.send(t, "Account_Changed")
			},
			method: "DELETE", path: "/outbound/queue/{notification}", status: 204,
			check: func(t *testing.T, e *env, _ answer) {
				q := decodeJSON[[]wire.QueueEntry](t, e.call(t, "GET", "/outbound/queue?all=true", "").body)
				if len(q) != 1 || q[0].State != "dropped" || !strings.Contains(q[0].DeliveryFailureReason, "deleted from the queue") {
					t.Errorf("queue after DELETE = %+v", q)
				}
				if q := decodeJSON[[]wire.QueueEntry](t, e.call(t, "GET", "/outbound/queue", "").body); len(q) != 0 {
					t.Errorf("a deleted notification is still queued: %+v", q)
				}
			},
		},
		{
			name: "DELETE /outbound/queue/{id} of a delivered notification is a 404",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.send(t, "Account_Changed")
			},
			method: "DELETE", path: "/outbound/queue/{notification}", status: 404,
			check: wantError("{notification}"),
		},
		{
			name: "GET /outbound/deliveries journals the SOAP request and the Ack",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.send(t, "Account_Changed")
			},
			method: "GET", path: "/outbound/deliveries", status: 200,
			check: func(t *testing.T, e *env, a answer) {
				d := decodeJSON[[]wire.Delivery](t, a.body)
				if len(d) != 1 {
					t.Fatalf("deliveries = %s", a.body)
				}
				got := d[0]
				if got.Message != "Account_Changed" || got.Endpoint != e.srv.URL+"/_sfemu/test-receiver/ack" || got.Status != 200 || !got.Acked ||
					got.SessionID || !slices.Equal(got.Notifications, []string{e.vars["notification"]}) || len(got.Records) != 1 ||
					!got.Time.Equal(start) || !strings.Contains(got.Request, "Edge Communications") || !strings.Contains(got.Response, "<Ack>true</Ack>") {
					t.Errorf("delivery = %+v", got)
				}
				var raw []map[string]json.RawMessage
				_ = json.Unmarshal(a.body, &raw)
				var dur string
				if err := json.Unmarshal(raw[0]["duration"], &dur); err != nil {
					t.Errorf("duration travels as %s, want a duration string", raw[0]["duration"])
				} else if _, err := time.ParseDuration(dur); err != nil {
					t.Errorf("duration %q: %v", dur, err)
				}
			},
		},
		{
			name: "GET /outbound/deliveries records why a receiver's answer is no Ack",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.send(t, "Lead_Sent") // Lead_Sent goes to the nack receiver
			},
			method: "GET", path: "/outbound/deliveries", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				d := decodeJSON[[]wire.Delivery](t, a.body)
				if len(d) != 1 || d[0].Acked || d[0].Status != 200 || d[0].Reason == "" || d[0].Message != "Lead_Sent" {
					t.Errorf("deliveries = %s", a.body)
				}
			},
		},
		{
			name:   "GET /outbound/faults before any are set is the zero value",
			method: "GET", path: "/outbound/faults", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if f := decodeJSON[wire.OutboundFaults](t, a.body); f != (wire.OutboundFaults{}) {
					t.Errorf("faults = %s", a.body)
				}
			},
		},
		{
			name:   "PUT /outbound/faults answers the faults, durations as strings",
			method: "PUT", path: "/outbound/faults", body: `{"seed":7,"message":"Account_Changed","duplicate_probability":0.5,"duplicate_after":"30s","delay_probability":1,"delay":"1m30s"}`,
			status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				f := decodeJSON[wire.OutboundFaults](t, a.body)
				want := wire.OutboundFaults{Seed: 7, Message: "Account_Changed", DuplicateProbability: 0.5, DuplicateAfter: wire.Duration(30 * time.Second),
					DelayProbability: 1, Delay: wire.Duration(90 * time.Second)}
				if f != want {
					t.Errorf("faults = %+v, want %+v", f, want)
				}
				if got := rawField(t, a.body, "duplicate_after"); got != `"30s"` {
					t.Errorf("duplicate_after travels as %s", got)
				}
			},
		},
		{
			name: "GET /outbound/faults after PUT shows duplicate_after as \"30s\"",
			setup: func(t *testing.T, e *env) {
				e.must(t, 200, "PUT", "/outbound/faults", `{"seed":1,"duplicate_probability":1,"duplicate_after":"30s"}`)
			},
			method: "GET", path: "/outbound/faults", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := rawField(t, a.body, "duplicate_after"); got != `"30s"` {
					t.Errorf("duplicate_after travels as %s, want \"30s\": %s", got, a.body)
				}
				if f := decodeJSON[wire.OutboundFaults](t, a.body); f.Seed != 1 || f.DuplicateProbability != 1 {
					t.Errorf("faults = %+v", f)
				}
			},
		},
		{
			name:   "PUT /outbound/faults with a probability over 1 is a 400",
			method: "PUT", path: "/outbound/faults", body: `{"delay_probability":1.5,"delay":"1s"}`, status: 400,
			check: wantError("between 0 and 1", "1.5"),
		},
		{
			name:   "PUT /outbound/faults with a negative duration is a 400 naming the field",
			method: "PUT", path: "/outbound/faults", body: `{"reorder_probability":1,"reorder_hold":"-5s"}`, status: 400,
			check: wantError("reorder_hold"),
		},
		{
			name:   "PUT /outbound/faults with an unknown field is a 400 naming it",
			method: "PUT", path: "/outbound/faults", body: `{"seed":1,"duplicate_probabilty":0.5}`, status: 400,
			check: wantError("duplicate_probabilty"),
		},
		{
			name: "DELETE /outbound/faults clears them",
			setup: func(t *testing.T, e *env) {
				e.must(t, 200, "PUT", "/outbound/faults", `{"seed":1,"delay_probability":1,"delay":"1s"}`)
			},
			method: "DELETE", path: "/outbound/faults", status: 204,
			check: func(t *testing.T, e *env, _ answer) {
				if f := decodeJSON[wire.OutboundFaults](t, e.call(t, "GET", "/outbound/faults", "").body); f != (wire.OutboundFaults{}) {
					t.Errorf("faults after DELETE = %+v", f)
				}
			},
		},
		{
			name: "a duplicate fault re-sends an acknowledged notification after duplicate_after",
			setup: func(t *testing.T, e *env) {
				e.loadReceiver(t, "ack")
				e.must(t, 200, "PUT", "/outbound/faults", `{"seed":1,"duplicate_probability":1,"duplicate_after":"30s"}`)
				e.send(t, "Account_Changed")
			},
			method: "POST", path: "/clock/advance", body: `{"by":"30s"}`, status: 200,
			check: func(t *testing.T, e *env, _ answer) {
				d := decodeJSON[[]wire.Delivery](t, e.call(t, "GET", "/outbound/deliveries", "").body)
				if len(d) != 2 || !slices.Equal(d[0].Notifications, d[1].Notifications) || !d[1].Time.Equal(start.Add(30*time.Second)) {
					t.Errorf("deliveries = %+v, want the same notification twice, 30s apart", d)
				}
			},
		},
		{
			name:   "POST /outbound/idle answers idle when nothing is due",
			method: "POST", path: "/outbound/idle", status: 200,
			check: func(t *testing.T, _ *env, a answer) {
				if got := decodeJSON[map[string]string](t, a.body); got["status"] != "idle" {
					t.Errorf("idle = %s", a.body)
				}
			},
		},
		{
			name:   "GET /outbound/idle is a 405",
			method: "GET", path: "/outbound/idle", status: 405,
			check: wantError("GET is not allowed"),
		},
		{
			name:   "GET /outbound/{name}/wsdl serves text/xml",
			method: "GET", path: "/outbound/Account_Changed/wsdl", status: 200, ctype: "text/xml",
			check: func(t *testing.T, _ *env, a answer) {
				s := string(a.body)
				if !strings.HasPrefix(s, "<?xml") || !strings.Contains(s, "definitions") || !strings.Contains(s, "http://soap.sforce.com/2005/09/outbound") ||
					!strings.Contains(s, "Receiver_Status__c") {
					t.Errorf("WSDL:\n%s", s)
				}
			},
		},
		{
			name:   "GET /outbound/{name}/wsdl?org= names the org",
			method: "GET", path: "/outbound/Account_Changed/wsdl?org=Default", status: 200, ctype: "text/xml",
		},
		{
			name:   "GET /outbound/{name}/wsdl?org= of an unknown org is a 404",
			method: "GET", path: "/outbound/Account_Changed/wsdl?org=Nowhere", status: 404,
			check: wantError(`"Nowhere"`),
		},
		{
			name:   "GET /outbound/{name}/wsdl of an unknown message is a JSON 404",
			method: "GET", path: "/outbound/No_Such/wsdl", status: 404,
			check: wantError(`"No_Such"`),
		},
		{
			name:   "GET /outbound/client-certificate serves the sender's certificate as a PEM download",
			method: "GET", path: "/outbound/client-certificate", status: 200, ctype: "application/x-pem-file",
			check: func(t *testing.T, e *env, a answer) {
				block, _ := pem.Decode(a.body)
				if block == nil || block.Type != "CERTIFICATE" {
					t.Errorf("not a PEM certificate: %q", a.body)
				}
				if cd := a.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".crt") {
					t.Errorf("Content-Disposition = %q", cd)
				}
				if again := e.call(t, "GET", "/outbound/client-certificate", ""); !bytes.Equal(again.body, a.body) {
					t.Errorf("the certificate changed between downloads")
				}
			},
		},

		// The CA of `sfemu serve --tls`.
		{
			name:   "GET /tls/ca.pem serves the https listeners' CA as a PEM download",
			method: "GET", path: "/tls/ca.pem", status: 200, ctype: "application/x-pem-file",
			options: func(o *emulator.Options) { o.TLSCA = testCA },
			check: func(t *testing.T, e *env, a answer) {
				if !bytes.Equal(a.body, testCA) {
					t.Errorf("body %q, want the CA the emulator was given", a.body)
				}
				if cd := a.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "sfemu-ca.pem") {
					t.Errorf("Content-Disposition = %q", cd)
				}
			},
		},
		{
			name:   "GET /tls/ca.pem without TLS is a 404 saying how to turn it on",
			method: "GET", path: "/tls/ca.pem", status: 404,
			check: wantError("TLS is not enabled", "sfemu serve --tls"),
		},
		{
			name:   "POST /tls/ca.pem is a 405",
			method: "POST", path: "/tls/ca.pem", status: 405,
			options: func(o *emulator.Options) { o.TLSCA = testCA },
			check:   wantError("POST is not allowed"),
		},

		// The test receiver.
		{
			name:   "POST /test-receiver/ack acknowledges in SOAP",
			method: "POST", path: "/test-receiver/ack", body: "<soap/>", status: 200, ctype: "text/xml",
			check: wantBody("<Ack>true</Ack>", "notificationsResponse"),
		},
		{
			name:   "POST /test-receiver/nack answers Ack false",
			method: "POST", path: "/test-receiver/nack", body: "<soap/>", status: 200, ctype: "text/xml",
			check: wantBody("<Ack>false</Ack>"),
		},
		{
			name:   "POST /test-receiver/text answers plain text",
			method: "POST", path: "/test-receiver/text", status: 200, ctype: "text/plain",
			check: wantBody("OK"),
		},
		{
			name:   "POST /test-receiver/html answers a login page",
			method: "POST", path: "/test-receiver/html", status: 200, ctype: "text/html",
			check: wantBody("<!DOCTYPE html>", "sign in"),
		},
		{
			name:   "POST /test-receiver/fault answers a SOAP fault with a 500",
			method: "POST", path: "/test-receiver/fault", status: 500, ctype: "text/xml",
			check: wantBody("<soapenv:Fault>", "receiver failed on purpose"),
		},
		{
			name:   "POST /test-receiver/404 answers an HTML 404",
			method: "POST", path: "/test-receiver/404", status: 404, ctype: "text/html",
			check: wantBody("404 Not Found"),
		},
		{
			name:   "POST /test-receiver/unknown is a JSON 404 listing the answers",
			method: "POST", path: "/test-receiver/unknown", status: 404,
			check: wantError("ack, nack, text, html, fault, 404"),
		},
		{
			name:   "GET /test-receiver/ack is a 405",
			method: "GET", path: "/test-receiver/ack", status: 405,
			check: wantError("GET is not allowed"),
		},

		// What every endpoint shares.
		{
			name:   "unknown control path is a 404 naming docs/CONTROL.md",
			method: "GET", path: "/nope", status: 404,
			check: func(t *testing.T, e *env, a answer) {
				wantError("GET /_sfemu/nope", "docs/CONTROL.md")(t, e, a)
				if reqs := decodeJSON[[]wire.APIRequest](t, e.call(t, "GET", "/requests", "").body); len(reqs) != 0 {
					t.Errorf("a control-API 404 reached the API journal: %+v", reqs)
				}
			},
		},
		{
			name:   "unknown path below a known one is a 404 too",
			method: "GET", path: "/orgs/Default/users/extra", status: 404,
			check: wantError("docs/CONTROL.md"),
		},
		{
			name:   "wrong method is 405",
			method: "DELETE", path: "/health", status: 405,
			check: wantError("DELETE is not allowed on /_sfemu/health"),
		},
		{
			name:   "a body with an unknown field is a 400 naming it",
			method: "POST", path: "/faults", body: `{"status":500,"colour":"red"}`, status: 400,
			check: wantError(`"colour"`),
		},
		{
			name:   "a field of the wrong type is a 400 naming the field and the type",
			method: "POST", path: "/faults", body: `{"status":500,"times":"twice"}`, status: 400,
			check: wantError("times", "int"),
		},
		{
			name:   "a body that is not JSON is a 400",
			method: "POST", path: "/orgs/Default/records", body: `object=Account`, status: 400,
			check: wantError("request body"),
		},
		{
			name:   "a 2 MiB body is a 413",
			method: "PUT", path: "/orgs", body: `{"fixtures":[{"name":"big.yaml","yaml":"` + strings.Repeat("x", 2<<20) + `"}]}`, status: 413,
			check: wantError("request body over 1048576 bytes"),
		},
		{
			name:   "a body of exactly 1 MiB is accepted",
			method: "POST", path: "/faults", body: `{"status":500,"message":"` + strings.Repeat("x", 1<<20-len(`{"status":500,"message":""}`)) + `"}`, status: 201,
		},
	}
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, row := range controlRows() {
		if seen[row.name] {
			t.Fatalf("two rows named %q", row.name)
		}
		seen[row.name] = true
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			mode := emulator.VirtualClock
			if row.real {
				mode = emulator.RealClock
			}
			var options []func(*emulator.Options)
			if row.options != nil {
				options = append(options, row.options)
			}
			e := newEnv(t, mode, options...)
			if row.setup != nil {
				row.setup(t, e)
			}
			a := e.call(t, row.method, e.expand(row.path), e.expand(row.body))
			if a.status != row.status {
				t.Fatalf("%s %s: %s, want %d", row.method, row.path, a, row.status)
			}
			ctype := a.header.Get("Content-Type")
			switch {
			case row.ctype != "":
				if !strings.HasPrefix(ctype, row.ctype) {
					t.Errorf("Content-Type = %q, want %s", ctype, row.ctype)
				}
			case a.status == http.StatusNoContent:
				if len(a.body) != 0 {
					t.Errorf("204 with a body: %q", a.body)
				}
			default:
				if ctype != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ctype)
				}
				if !json.Valid(a.body) {
					t.Errorf("answer is not JSON: %q", a.body)
				}
			}
			if row.check != nil {
				// Checks see {vars} expanded in what they compare with.
				row.check(t, e, a)
			}
		})
	}
}

// expand replaces {name} with e.vars[name].
func (e *env) expand(s string) string {
	for k, v := range e.vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func wantBody(parts ...string) func(*testing.T, *env, answer) {
	return func(t *testing.T, _ *env, a answer) {
		t.Helper()
		for _, p := range parts {
			if !strings.Contains(strings.ToLower(string(a.body)), strings.ToLower(p)) {
				t.Errorf("body lacks %q:\n%s", p, a.body)
			}
		}
	}
}

func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createAccount creates an Account in the default org over the control API.
func createAccount(t *testing.T, e *env, name string) string {
	t.Helper()
	body, _ := json.Marshal(wire.CreateRecord{Object: "Account", Fields: map[string]any{"Name": name}})
	return decodeJSON[wire.Record](t, e.must(t, 201, "POST", "/orgs/Default/records", string(body)).body).ID
}

// TestEveryRouteHasARow keeps TestControlAPI honest: each route Mount
// registers matches the request of at least one row, method included.
func TestEveryRouteHasARow(t *testing.T) {
	t.Parallel()
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: start})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	r := &route.Router{}
	controlapi.Mount(r, emu)
	var requests []*http.Request
	for _, row := range controlRows() {
		requests = append(requests, httptest.NewRequest(row.method, "http://sfemu.test"+controlapi.Prefix+row.path, nil))
	}
	routes := 0
	for _, m := range r.Mounts() {
		for _, rt := range m.Routes() {
			routes++
			served := false
			for _, req := range requests {
				served = served || rt.Matches(req.Method, req.URL.Path)
			}
			if !served {
				t.Errorf("%v %s: no row of TestControlAPI calls it", rt.Methods(), rt.Template())
			}
		}
	}
	if routes < 35 {
		t.Errorf("walked %d routes; has Mount changed shape?", routes)
	}
}

// TestGuardedOverHTTP: the guard in front of the control API, over a real
// listener — the Host check, the cross-site write a page could send before,
// and the control token — while /services/ stays as Salesforce's is.
func TestGuardedOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, emulator.VirtualClock, func(o *emulator.Options) { o.PublicURL = "http://sfemu:8085" })
	a := e.call(t, "POST", "/clock/advance", `{"by":"1h"}`, "Content-Type", "text/plain", "Origin", "http://evil.example")
	if a.status != 403 || !strings.Contains(string(a.body), "Origin http://evil.example") {
		t.Errorf("cross-site text/plain POST: %s, want a 403", a)
	}
	if c := decodeJSON[wire.Clock](t, e.call(t, "GET", "/clock", "").body); !c.Now.Equal(start) {
		t.Errorf("the refused POST moved the clock to %s", c.Now)
	}
	for host, want := range map[string]int{"evil.example:8085": 403, "sfemu:1234": 200, "localhost": 200,
		// The default org's My Domain.
		"sfemu-default.my.salesforce.com": 200} {
		a := e.call(t, "GET", "/orgs", "", "Host", host)
		if a.status != want {
			t.Errorf("GET /_sfemu/orgs with Host %s: %s, want %d", host, a, want)
		}
		if want == 403 && !strings.Contains(string(a.body), `"error"`) {
			t.Errorf("the 403 is not the control API's JSON error: %s", a)
		}
	}
	if a := e.call(t, "GET", "/services/data/v66.0/limits", "", "Host", "evil.example"); a.status != 401 {
		t.Errorf("REST with another Host: %s, want Salesforce's 401 as before", a)
	}

	const tok = "sfemu-test-control-token-0001"
	te := newEnv(t, emulator.VirtualClock, func(o *emulator.Options) { o.ControlToken = tok })
	if a := te.call(t, "GET", "/orgs", ""); a.status != 401 {
		t.Errorf("GET /orgs without the token: %s", a)
	}
	if a := te.call(t, "GET", "/health", ""); a.status != 200 {
		t.Errorf("GET /health without the token: %s", a)
	}
	if a := te.call(t, "POST", "/test-receiver/ack", "<x/>", "Content-Type", "text/xml"); a.status != 200 {
		t.Errorf("the test receiver without the token: %s", a)
	}
	te.session(t)
	if a := te.call(t, "POST", "/clock/advance", `{"by":"1m"}`, "Authorization", "Bearer "+tok, "Content-Type", "text/plain"); a.status != 200 {
		t.Errorf("POST with the bearer token: %s", a)
	}
	a = te.call(t, "GET", "/sessions?reveal=true", "", "Authorization", "Bearer "+tok)
	if s := decodeJSON[[]wire.Session](t, a.body); len(s) != 1 || s[0].Token != te.vars["token"] {
		t.Errorf("reveal with the token: %s", a)
	}
	if _, err := emulator.New(emulator.Options{ControlToken: "short"}); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("a short control token: %v", err)
	}
}
