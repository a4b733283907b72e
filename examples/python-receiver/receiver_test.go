// Package pythonreceiver_test runs the Python receiver (receiver.py, a
// process of its own) against an in-process emulator, end to end, and runs
// its Python unit tests. The receiver shares no code with sfemu: these tests
// see it only as Salesforce would — its answers, logins, API calls and the
// Tasks it leaves in the org.
package pythonreceiver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/examples/internal/orgtest"
	"github.com/sfemu/sfemu/wire"
)

const (
	python      = "/usr/bin/python3"
	testOrgID   = "00Dxx0000001gPL"
	testOrgID18 = "00Dxx0000001gPLEAY" // the same id with its case checksum, as SF_ORG_ID is given
	consumerKey = "3MVG9acmePythonReceiverTestOnly"
	sendUser    = "sender@acme.example"
	keysDir     = "../../fixtures/keys"
	production  = "https://login.salesforce.com"
	notAdminApp = "invalid_app_access: user is not admin approved to access this app"
)

// The org: a production org whose send user may log in through the
// receiver's External Client App (certificate fixtures/keys/server.crt).
const fixtureYAML = `
org: {name: Acme, id: 00Dxx0000001gPL, type: production, release: {{.Release}}}
profiles: [{name: Integration, session_timeout: 2h}]
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@acme.example, profile: Integration, permission_sets: [SendUserPS]}
apps:
  - name: python_receiver_eca
    kind: external_client_app
    consumer_key: 3MVG9acmePythonReceiverTestOnly
    certificate: ../keys/server.crt
    policy: {permitted_users: admin_approved, permission_sets: {{.AppPermissionSets}}}
objects: {{.Objects}}
records:
  Account:
    - {Name: Edge Communications, Industry: Energy}
    - {Name: Burlington Textiles, Industry: Apparel}
    - {Name: Pyramid Construction, Industry: Construction}
  Lead:
    - {LastName: Boxer, Company: Farmers Coop}
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name, Industry], endpoint_url: "{{.Endpoint}}",
     user_to_send_as: sender@acme.example, include_session_id: true, api_version: "60.0"}
  - {name: Lead_Changed, object: Lead, fields: [LastName], endpoint_url: "{{.Endpoint}}",
     user_to_send_as: sender@acme.example, include_session_id: true, api_version: "60.0"}
`

// setup varies the org and the receiver's environment.
type setup struct {
	Release           string            // default spring-26: after the session-ID removal
	AppPermissionSets string            // YAML; default [SendUserPS]
	Objects           string            // YAML; default {}
	env               map[string]string // on top of the defaults; "" unsets
	Endpoint          string            // filled in
}

// world is one emulator and one Python receiver wired to each other.
type world struct {
	t      *testing.T
	emu    *emulator.Emulator
	emuURL string
	base   string // the receiver: http://127.0.0.1:port
	logs   *orgtest.Log
}

func requirePython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI=true: the Python receiver must be tested): %v", python, err)
		}
		t.Skipf("%s is missing: %v", python, err)
	}
}

func newWorld(t *testing.T, s setup) *world {
	t.Helper()
	requirePython(t)
	if s.Release == "" {
		s.Release = "spring-26"
	}
	if s.AppPermissionSets == "" {
		s.AppPermissionSets = "[SendUserPS]"
	}
	if s.Objects == "" {
		s.Objects = "{}"
	}
	// The emulator's address first (the receiver's SF_LOGIN_URL), then the
	// receiver (the fixture names its endpoint), then the emulator itself.
	es := httptest.NewUnstartedServer(nil)
	w := &world{t: t, emuURL: "http://" + es.Listener.Addr().String(), logs: &orgtest.Log{}}
	env := map[string]string{
		"SF_LOGIN_URL":        w.emuURL,
		"SF_AUDIENCE":         production,
		"SF_ORG_ID":           testOrgID18,
		"SF_CONSUMER_KEY":     consumerKey,
		"SF_USERNAME":         sendUser,
		"SF_PRIVATE_KEY_FILE": keysDir + "/server.key",
		"PORT":                "0", // any free port; the receiver logs the one it got
		"RECEIVER_LISTEN":     "127.0.0.1:0",
	}
	for k, v := range s.env {
		env[k] = v
	}
	w.base = startReceiver(t, env, w.logs)
	s.Endpoint = w.base + "/notifications"
	var fixture strings.Builder
	if err := template.Must(template.New("org").Parse(fixtureYAML)).Execute(&fixture, s); err != nil {
		t.Fatal(err)
	}
	emu, err := emulator.New(emulator.Options{
		Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture.String(),
			Files: map[string]string{"../keys/server.crt": string(mustRead(t, keysDir+"/server.crt"))}}},
		// 30 days back, as the harness runs scenarios: the receiver signs
		// its JWTs on the real clock, so their exp is never in the past.
		Clock:        emulator.VirtualClock,
		VirtualStart: time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Hour),
		PublicURL:    w.emuURL,
		Outbound:     outbound.Settings{SessionOverHTTP: true, Timeout: 10 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.emu = emu
	es.Config.Handler = emu
	es.Start()
	t.Cleanup(func() {
		es.Close()
		emu.Close()
	})
	return w
}

// startReceiver runs receiver.py with env and returns its base URL once
// /health answers. At cleanup it sends SIGTERM and expects exit status 0.
func startReceiver(t *testing.T, env map[string]string, logs *orgtest.Log) string {
	t.Helper()
	cmd := exec.Command(python, "-B", "receiver.py")
	cmd.Env = []string{"PYTHONDONTWRITEBYTECODE=1"} // nothing of the test's environment (proxies…)
	for k, v := range env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdout = logs
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	port := make(chan int, 1)
	exited := make(chan struct{}) // stderr at EOF: the process is gone
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var ev struct {
				Event string `json:"event"`
				Port  int    `json:"port"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "listening" {
				port <- ev.Port
			}
		}
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("the receiver did not exit within 10 s of SIGTERM")
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("the receiver exited with %v after SIGTERM; want status 0", err)
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() || testing.Verbose() {
			t.Logf("receiver log:\n%s", logs.String())
		}
	})
	var base string
	select {
	case p := <-port:
		base = fmt.Sprintf("http://127.0.0.1:%d", p)
	case <-exited:
		_ = cmd.Wait()
		stopped = true
		t.Fatalf("the receiver exited before listening:\n%s", logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the receiver did not log its listening line within 10 s:\n%s", logs.String())
	}
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("GET /health = %d %q; want 200 ok", resp.StatusCode, body)
	}
	return base
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (w *world) org() orgtest.Org { return orgtest.Org{T: w.t, Ctl: w.emu, ID: testOrgID18} }

func (w *world) query(soql string) []map[string]any { w.t.Helper(); return w.org().Query(soql) }

func (w *world) recordID(object, name string) string {
	w.t.Helper()
	return w.org().RecordID(object, name)
}

// send triggers message for the named records, waits until the deliveries
// are over and returns the notification ids.
func (w *world) send(message, object string, names ...string) []string {
	w.t.Helper()
	return w.org().Send(message, object, names...)
}

func (w *world) idle() { w.t.Helper(); w.org().Idle() }

// advance moves the virtual clock past the first retry (5 s).
func (w *world) advance() {
	w.t.Helper()
	if _, err := w.emu.Advance(context.Background(), wire.Advance{By: wire.Duration(10 * time.Second)}); err != nil {
		w.t.Fatal(err)
	}
	w.idle()
}

func (w *world) deliveries() []wire.Delivery        { return w.org().Deliveries() }
func (w *world) lastDelivery() wire.Delivery        { w.t.Helper(); return w.org().LastDelivery() }
func (w *world) tokenRequests() []wire.TokenRequest { return w.org().TokenRequests() }

// restCalls are the receiver's REST calls as "METHOD path".
func (w *world) restCalls() []string {
	entries, _ := w.emu.APIRequests(context.Background())
	var out []string
	for _, e := range entries {
		if e.Surface == wire.SurfaceREST {
			out = append(out, e.Method+" "+e.Path)
		}
	}
	return out
}

func (w *world) tasks() []map[string]any {
	return w.query("SELECT Id, WhatId, WhoId, Subject, Status FROM Task")
}

// queued is the notification's entry on the delivery status page.
func (w *world) queued(nid string) wire.QueueEntry {
	w.t.Helper()
	q, _ := w.emu.Queue(context.Background(), true)
	for _, e := range q {
		if e.ID == nid {
			return e
		}
	}
	w.t.Fatalf("notification %s is not on the queue page", nid)
	return wire.QueueEntry{}
}

// faultString reads the faultstring of a delivery's answer.
func faultString(d wire.Delivery) string {
	var env struct {
		Fault struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"Body>Fault"`
	}
	_ = xml.Unmarshal([]byte(d.Response), &env)
	return env.Fault.String
}

// profile is examples/python-receiver/profile.yaml, read strictly with the
// keys docs/RECEIVERS.md documents.
type profile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Receiver    struct {
		Ready        string            `yaml:"ready"`
		EndpointPath string            `yaml:"endpoint_path"`
		Port         int               `yaml:"port"`
		Env          map[string]string `yaml:"env"`
	} `yaml:"receiver"`
	API           string `yaml:"api"`
	Login         string `yaml:"login"`
	UsesSessionID bool   `yaml:"uses_session_id"`
	Effect        struct {
		Kind    string `yaml:"kind"`
		Object  string `yaml:"object"`
		Field   string `yaml:"field"`
		Applied string `yaml:"applied"`
	} `yaml:"effect"`
	Unprocessable   string `yaml:"unprocessable"`
	FaultNamesCause bool   `yaml:"fault_names_cause"`
	Dedupes         bool   `yaml:"dedupes"`
	ChecksOrgID     bool   `yaml:"checks_org_id"`
	Relogin         bool   `yaml:"relogin_on_invalid_session"`
}

func loadProfile(t *testing.T) profile {
	t.Helper()
	var p profile
	if err := yaml.UnmarshalWithOptions(mustRead(t, "profile.yaml"), &p, yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("profile.yaml: %v", err)
	}
	return p
}

// applied runs the profile's effect.applied query for a record: a row means
// the receiver's effect is there.
func (w *world) applied(object, recordID string) bool {
	w.t.Helper()
	var soql strings.Builder
	tmpl := template.Must(template.New("applied").Parse(loadProfile(w.t).Effect.Applied))
	if err := tmpl.Execute(&soql, map[string]string{"Object": object, "RecordID": recordID}); err != nil {
		w.t.Fatal(err)
	}
	return len(w.query(soql.String())) > 0
}

func TestProfile(t *testing.T) {
	t.Parallel()
	p := loadProfile(t)
	got := fmt.Sprintf("%s %s %s %d %s %s %v %s %s %s %v %v %v %v", p.Name, p.Receiver.Ready, p.Receiver.EndpointPath,
		p.Receiver.Port, p.API, p.Login, p.UsesSessionID, p.Effect.Kind, p.Effect.Object, p.Unprocessable,
		p.FaultNamesCause, p.Dedupes, p.ChecksOrgID, p.Relogin)
	want := "python-receiver /health /notifications 8080 rest jwt true create Task fault true true true true"
	if got != want {
		t.Errorf("profile = %s\nwant      %s", got, want)
	}
}

// TestPythonUnitTests runs test_receiver.py: the DER reader, RS256 and the
// envelope parser, malformed inputs included.
func TestPythonUnitTests(t *testing.T) {
	requirePython(t)
	t.Parallel()
	cmd := exec.Command(python, "-B", "-m", "unittest", "-v", "test_receiver")
	cmd.Env = []string{"PYTHONDONTWRITEBYTECODE=1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest test_receiver: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
}

func TestPythonReceiverAgainstTheEmulator(t *testing.T) {
	tests := []struct {
		name  string
		setup setup
		run   func(t *testing.T, w *world)
	}{
		{
			name: "after the removal: a JWT bearer login, the record read, a Task on the Account, Ack",
			run: func(t *testing.T, w *world) {
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				d, account := w.lastDelivery(), w.recordID("Account", "Edge Communications")
				if !d.Acked || d.SessionID {
					t.Fatalf("delivery = acked %v, session ID %v (%s); want acked without a session ID", d.Acked, d.SessionID, d.Reason)
				}
				tr := w.tokenRequests()
				if len(tr) != 1 || tr[0].Status != 200 || tr[0].GrantType != "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
					tr[0].ClientID != consumerKey || tr[0].Username != sendUser || len(tr[0].Audience) != 1 || tr[0].Audience[0] != production {
					t.Errorf("token requests = %+v; want one JWT bearer grant, 200, iss %s, sub %s, aud %s", tr, consumerKey, sendUser, production)
				}
				hist, _ := w.emu.LoginHistory(context.Background(), "Acme")
				if len(hist) != 1 || hist[0].Status != "Success" || hist[0].Username != sendUser {
					t.Errorf("Login History = %+v; want one successful login of %s", hist, sendUser)
				}
				wantCalls := "GET /services/data/v60.0/sobjects/Account/" + account + ", POST /services/data/v60.0/sobjects/Task"
				if got := strings.Join(w.restCalls(), ", "); got != wantCalls {
					t.Errorf("REST calls = %s; want %s (the PartnerUrl's version)", got, wantCalls)
				}
				tasks := w.tasks()
				if len(tasks) != 1 || tasks[0]["WhatId"] != account || tasks[0]["WhoId"] != nil ||
					tasks[0]["Status"] != "Completed" || tasks[0]["Subject"] != "Outbound message "+nids[0] {
					t.Errorf("tasks = %v; want one completed Task, WhatId %s, Subject naming %s", tasks, account, nids[0])
				}
				if !w.applied("Account", account) {
					t.Error("the profile's effect.applied query finds no row for the Account")
				}
			},
		},
		{
			name:  "before the removal: the message's session ID on the PartnerUrl's instance, no token request",
			setup: setup{Release: "winter-26"},
			run: func(t *testing.T, w *world) {
				w.send("Account_Changed", "Account", "Edge Communications")
				if d := w.lastDelivery(); !d.Acked || !d.SessionID {
					t.Fatalf("delivery = acked %v, session ID %v (%s); want acked, with a session ID", d.Acked, d.SessionID, d.Reason)
				}
				if n := len(w.tokenRequests()); n != 0 {
					t.Errorf("%d token requests; want none", n)
				}
				if account := w.recordID("Account", "Edge Communications"); !w.applied("Account", account) {
					t.Errorf("no Task on the Account; tasks = %v", w.tasks())
				}
			},
		},
		{
			name: "a Lead is the Task's WhoId",
			run: func(t *testing.T, w *world) {
				w.send("Lead_Changed", "Lead", "Boxer")
				lead := w.recordID("Lead", "Boxer")
				if tasks := w.tasks(); !w.lastDelivery().Acked || len(tasks) != 1 || tasks[0]["WhoId"] != lead || tasks[0]["WhatId"] != nil {
					t.Errorf("tasks = %v; want one with WhoId %s", tasks, lead)
				}
				if !w.applied("Lead", lead) {
					t.Error("the profile's effect.applied query finds no row for the Lead")
				}
			},
		},
		{
			name: "a batch of three notifications: one login, three Tasks, one Ack",
			run: func(t *testing.T, w *world) {
				w.send("Account_Changed", "Account", "Edge Communications", "Burlington Textiles", "Pyramid Construction")
				d := w.deliveries()
				if len(d) != 1 || len(d[0].Notifications) != 3 || !d[0].Acked {
					t.Fatalf("deliveries = %+v; want one acked message of three notifications", d)
				}
				if n := len(w.tokenRequests()); n != 1 {
					t.Errorf("%d token requests; want 1 (the token is cached)", n)
				}
				if n := len(w.tasks()); n != 3 {
					t.Errorf("%d tasks; want 3", n)
				}
			},
		},
		{
			name:  "no SF_AUDIENCE: the assertion's aud is SF_LOGIN_URL",
			setup: setup{env: map[string]string{"SF_AUDIENCE": ""}},
			run: func(t *testing.T, w *world) {
				w.send("Account_Changed", "Account", "Edge Communications")
				if tr := w.tokenRequests(); !w.lastDelivery().Acked || len(tr) != 1 || len(tr[0].Audience) != 1 || tr[0].Audience[0] != w.emuURL {
					t.Errorf("token requests = %+v; want one accepted with aud %s", tr, w.emuURL)
				}
			},
		},
		{
			name:  "a message from another org: a fault naming it, no login, no call",
			setup: setup{env: map[string]string{"SF_ORG_ID": "00Dxx0000009zzz"}},
			run: func(t *testing.T, w *world) {
				w.send("Account_Changed", "Account", "Edge Communications")
				d := w.lastDelivery()
				want := "unknown organization " + testOrgID18 + ": this receiver serves 00Dxx0000009zzz"
				if d.Acked || faultString(d) != want || !strings.Contains(d.Reason, want) {
					t.Errorf("delivery = acked %v, faultstring %q, reason %q; want the fault %q", d.Acked, faultString(d), d.Reason, want)
				}
				if n, calls := len(w.tokenRequests()), w.restCalls(); n != 0 || len(calls) != 0 {
					t.Errorf("%d token requests, REST calls %v; want none", n, calls)
				}
			},
		},
		{
			name: "a duplicate Notification Id is acknowledged and processed once",
			run: func(t *testing.T, w *world) {
				if _, err := w.emu.SetOutboundFaults(context.Background(), wire.OutboundFaults{Seed: 1, DuplicateProbability: 1}); err != nil {
					t.Fatal(err)
				}
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				deadline := time.Now().Add(5 * time.Second)
				for d := w.deliveries(); len(d) < 2 || !d[1].Acked; d = w.deliveries() {
					if time.Now().After(deadline) {
						t.Fatalf("deliveries = %+v; want the duplicate delivered and acked", d)
					}
					time.Sleep(5 * time.Millisecond)
				}
				w.idle()
				d := w.deliveries()
				if d[0].Notifications[0] != nids[0] || d[1].Notifications[0] != nids[0] {
					t.Errorf("deliveries carried %v and %v; want %s twice", d[0].Notifications, d[1].Notifications, nids[0])
				}
				if n := len(w.tasks()); n != 1 {
					t.Errorf("%d tasks; want 1: the duplicate must not be processed", n)
				}
				if calls := w.restCalls(); len(calls) != 2 {
					t.Errorf("REST calls %v; want only the first delivery's two", calls)
				}
			},
		},
		{
			name:  "the send user is not approved for the app: invalid_app_access first in the fault, the notification stays queued",
			setup: setup{AppPermissionSets: "[]"},
			run: func(t *testing.T, w *world) {
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				w.advance()
				q := w.queued(nids[0])
				if q.State != wire.Pending || q.Attempts != 2 {
					t.Errorf("queue entry = %+v; want pending after 2 attempts", q)
				}
				if fs := faultString(w.lastDelivery()); !strings.HasPrefix(fs, notAdminApp+" (notification "+nids[0]) {
					t.Errorf("faultstring = %q; want it to start with %q, then the notification", fs, notAdminApp)
				}
				if want := "SOAP Fault: soapenv:Server: " + notAdminApp; !strings.Contains(q.DeliveryFailureReason, want) {
					t.Errorf("Delivery Failure Reason = %q; want it to contain %q", q.DeliveryFailureReason, want)
				}
				if n := len(w.tokenRequests()); n != 2 {
					t.Errorf("%d token requests; want 2, one per attempt (a failed login is not cached)", n)
				}
				if n := len(w.tasks()); n != 0 {
					t.Errorf("%d tasks; want none", n)
				}
			},
		},
		{
			name:  "a required custom field on Task: REQUIRED_FIELD_MISSING first in the fault",
			setup: setup{Objects: "{Task: {fields: {Region__c: {type: text, length: 80, required: true}}}}"},
			run: func(t *testing.T, w *world) {
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				d := w.lastDelivery()
				want := "REQUIRED_FIELD_MISSING: Required fields are missing: [Region__c]"
				if fs := faultString(d); d.Acked || !strings.HasPrefix(fs, want+" (notification "+nids[0]) {
					t.Errorf("delivery = acked %v, faultstring %q; want it to start with %q", d.Acked, fs, want)
				}
				if r := w.queued(nids[0]).DeliveryFailureReason; !strings.Contains(r, want) {
					t.Errorf("Delivery Failure Reason = %q; want it to contain %q", r, want)
				}
				if n := len(w.tasks()); n != 0 {
					t.Errorf("%d tasks; want none", n)
				}
			},
		},
		{
			name: "sessions expired between two messages: INVALID_SESSION_ID once, one login again, processed",
			run: func(t *testing.T, w *world) {
				w.send("Account_Changed", "Account", "Burlington Textiles")
				if n, _ := w.emu.ExpireSessions(context.Background(), ""); n == 0 {
					t.Fatal("no session to expire")
				}
				w.send("Account_Changed", "Account", "Edge Communications")
				if d := w.lastDelivery(); !d.Acked {
					t.Errorf("second delivery not acked: %s", d.Reason)
				}
				if n := len(w.tokenRequests()); n != 2 {
					t.Errorf("%d token requests; want 2", n)
				}
				var invalid int
				entries, _ := w.emu.APIRequests(context.Background())
				for _, e := range entries {
					if e.ErrorCode == "INVALID_SESSION_ID" {
						invalid++
					}
				}
				if invalid != 1 {
					t.Errorf("%d INVALID_SESSION_ID answers; want 1, then the new login's calls", invalid)
				}
				if n := len(w.tasks()); n != 2 {
					t.Errorf("%d tasks; want 2", n)
				}
			},
		},
		{
			name: "bad requests get faults or 404s and never take the receiver down",
			run:  checkBadRequests,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newWorld(t, tt.setup))
		})
	}
}

// checkBadRequests posts what no outbound message is, straight to the receiver.
func checkBadRequests(t *testing.T, w *world) {
	envelope := func(orgID, notifications string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>` +
			`<o:notifications xmlns:o="http://soap.sforce.com/2005/09/outbound"><o:OrganizationId>` + orgID + `</o:OrganizationId>` +
			notifications + `</o:notifications></e:Body></e:Envelope>`
	}
	tests := []struct {
		method, path, body string
		status             int
		answer             string // the answer contains it
	}{
		{"GET", "/health", "", 200, "ok"},
		{"GET", "/healthz", "", 404, ""},
		{"POST", "/outbound", envelope(testOrgID18, ""), 404, ""},
		{"GET", "/notifications", "", 404, ""},
		{"POST", "/notifications", "", 500, "<faultstring>not XML: no element found"},
		{"POST", "/notifications", "hello", 500, "<faultstring>not XML: "},
		{"POST", "/notifications", `<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaa">]><lol>&a;</lol>`, 500, "DOCTYPE declarations are not accepted"},
		{"POST", "/notifications", "<Envelope/>", 500, "not a SOAP 1.1 envelope"},
		{"POST", "/notifications", envelope(testOrgID18, ""), 500, "1 to 100 Notification elements, this one 0"},
		{"POST", "/notifications", envelope("", "<o:Notification><o:Id>04l</o:Id></o:Notification>"), 500, "no OrganizationId"},
		{"POST", "/notifications", envelope(testOrgID18, strings.Repeat("x", 1<<20)), 500, "exceeds 1048576 bytes (1 MiB)"},
		{"POST", "/notifications", envelope(testOrgID18, `<o:Notification><o:Id>04lxx0000000001AAA</o:Id><o:sObject/></o:Notification>`),
			500, "<faultcode>soapenv:Server</faultcode><faultstring>the notification's sObject has no usable xsi:type"},
		{"POST", "/notifications", envelope(testOrgID18, `<o:Notification><o:Id>04lxx0000000001AAA</o:Id><o:sObject xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="sf:Account/../x"/></o:Notification>`),
			500, "no usable xsi:type"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, w.base+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(answer), tt.answer) {
			t.Errorf("%s %s %.60q = %d %s; want %d with %q", tt.method, tt.path, tt.body, resp.StatusCode, answer, tt.status, tt.answer)
		}
	}
	if n, calls := len(w.tokenRequests()), w.restCalls(); n != 0 || len(calls) != 0 {
		t.Errorf("%d token requests, REST calls %v; want none", n, calls)
	}
}
