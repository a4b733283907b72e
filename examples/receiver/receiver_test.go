package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/examples/internal/orgtest"
	"github.com/sfemu/sfemu/wire"
)

// The org the tests run against: a production org whose send user may log
// in through the receiver's External Client App (certificate
// fixtures/keys/server.crt) when it holds SendUserPS.
const fixtureYAML = `
org: {name: Acme, id: 00Dxx0000001gPL, type: production, outbound_session_id: {{era}}{{release}}}
settings: {{settings}}
profiles: [{name: Integration, session_timeout: 2h}]
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@acme.example, profile: Integration, permission_sets: {{sendUserPS}}, password: s3cret}
apps:
  - name: receiver_eca
    kind: external_client_app
    consumer_key: 3MVG9acmeReceiverTestOnly
    certificate: ../keys/server.crt
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS]}
objects:
  Account:
    fields:
      Receiver_Status__c: {type: text, length: 255}
  Lead:
    fields:
      Receiver_Status__c: {type: picklist, values: [Done, Failed], restricted: true}
records:
  Account:
    - {Name: Edge Communications, Industry: Energy}
    - {Name: Burlington Textiles, Industry: Apparel}
    - {Name: Pyramid Construction, Industry: Construction}
  Lead:
    - {LastName: Boxer, Company: Farmers Coop}
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name, Industry], endpoint_url: "{{endpoint}}",
     user_to_send_as: sender@acme.example, include_session_id: true, api_version: "60.0"}
  - {name: Lead_Changed, object: Lead, fields: [Company, LastName], endpoint_url: "{{endpoint}}",
     user_to_send_as: sender@acme.example, include_session_id: true, api_version: "60.0"}
  - {name: Account_Changed_v66, object: Account, fields: [Name], endpoint_url: "{{endpoint}}",
     user_to_send_as: sender@acme.example, include_session_id: true, api_version: "66.0"}
`

const (
	testOrgID       = "00Dxx0000001gPL"
	testConsumerKey = "3MVG9acmeReceiverTestOnly"
	testUsername    = "sender@acme.example"
	keysDir         = "../../fixtures/keys"
	notMigratedText = "no session ID in the outbound message: this receiver was not migrated to the JWT bearer flow"
)

var showLog = flag.Bool("showlog", false, "print the receiver's log after every end-to-end test")

// world is one emulator and one receiver wired to each other.
type world struct {
	t    *testing.T
	emu  *emulator.Emulator // driven only through its facade (wire.Control)
	rcv  *Receiver
	logs *orgtest.Log
	// emuURL and rcvURL are the emulator's base URL and the receiver's endpoint.
	emuURL, rcvURL string
}

type worldSetup struct {
	era        string            // legacy | removed
	sendUserPS string            // the send user's permission sets, YAML (default [SendUserPS])
	settings   string            // the org's settings, YAML (default {})
	release    string            // the org's release (default: the emulator's current one)
	env        map[string]string // receiver environment on top of the defaults; "" unsets
}

func newWorld(t *testing.T, s worldSetup) *world {
	t.Helper()
	if s.sendUserPS == "" {
		s.sendUserPS = "[SendUserPS]"
	}
	if s.settings == "" {
		s.settings = "{}"
	}
	// The receiver's listener exists first: the fixture names its URL.
	rs := httptest.NewUnstartedServer(nil)
	endpoint := "http://" + rs.Listener.Addr().String() + "/outbound"
	release := ""
	if s.release != "" {
		release = ", release: " + s.release
	}
	fixture := strings.NewReplacer("{{era}}", s.era, "{{release}}", release, "{{sendUserPS}}", s.sendUserPS,
		"{{settings}}", s.settings, "{{endpoint}}", endpoint).Replace(fixtureYAML)
	emu, err := emulator.New(emulator.Options{
		Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture, Files: map[string]string{"../keys/server.crt": string(mustRead(t, keysDir+"/server.crt"))}}},
		Clock:    emulator.VirtualClock,
		Outbound: outbound.Settings{SessionOverHTTP: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	es := httptest.NewServer(emu)
	emu.SetPublicURL(es.URL)

	env := map[string]string{
		"SF_ORG_ID":           testOrgID,
		"SF_LOGIN_URL":        es.URL,
		"SF_CONSUMER_KEY":     testConsumerKey,
		"SF_USERNAME":         testUsername,
		"SF_PRIVATE_KEY_FILE": keysDir + "/server.key",
	}
	for k, v := range s.env {
		env[k] = v
	}
	cfg, level, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("receiver config: %v", err)
	}
	w := &world{t: t, emu: emu, logs: &orgtest.Log{}, emuURL: es.URL, rcvURL: endpoint}
	w.rcv = NewReceiver(cfg, slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: level})), nil)
	rs.Config.Handler = w.rcv
	rs.Start()
	t.Cleanup(func() {
		rs.Close()
		es.Close()
		emu.Close()
		if t.Failed() || *showLog {
			t.Logf("receiver log:\n%s", w.logs.String())
		}
	})
	return w
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// query runs SOQL in the test org through the facade.
func (w *world) org() orgtest.Org { return orgtest.Org{T: w.t, Ctl: w.emu, ID: testOrgID} }

func (w *world) query(soql string) []row {
	w.t.Helper()
	rows := w.org().Query(soql)
	out := make([]row, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

type row map[string]any

func (r row) GetName(name string) any { return r[name] }

func (w *world) recordID(object, name string) string {
	w.t.Helper()
	return w.org().RecordID(object, name)
}

// send triggers message for the named records and waits until the
// deliveries it caused are over; it returns the notification ids.
func (w *world) send(message, object string, names ...string) []string {
	w.t.Helper()
	return w.org().Send(message, object, names...)
}

func (w *world) idle() { w.t.Helper(); w.org().Idle() }

func (w *world) waitFor(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	w.idle()
}

func (w *world) attempts() []wire.Delivery          { return w.org().Deliveries() }
func (w *world) tokenRequests() []wire.TokenRequest { return w.org().TokenRequests() }
func (w *world) lastAttempt() wire.Delivery         { w.t.Helper(); return w.org().LastDelivery() }

// field reads one field of an Account (001…) or a Lead (00Q…).
func (w *world) field(id, name string) any {
	object := "Account"
	if strings.HasPrefix(id, "00Q") {
		object = "Lead"
	}
	rows := w.query(fmt.Sprintf("SELECT %s FROM %s WHERE Id = '%s'", name, object, id))
	if len(rows) == 0 {
		return nil
	}
	return rows[0][name]
}

// wantCalls checks the API calls the receiver made ("soap query", "rest GET"
// …, surface then SOAP operation or HTTP method) and returns them.
func (w *world) wantCalls(t *testing.T, want ...string) []wire.APIRequest {
	t.Helper()
	entries, _ := w.emu.APIRequests(context.Background())
	var got []string
	var calls []wire.APIRequest
	for _, e := range entries {
		what := e.Method
		switch e.Surface {
		case wire.SurfaceOAuth:
			continue
		case wire.SurfaceSOAP:
			what = e.Operation
		}
		got = append(got, e.Surface+" "+what)
		calls = append(calls, e)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("API calls = %v; want %v", got, want)
	}
	return calls
}

func (w *world) tasks() []row {
	return w.query("SELECT WhatId, WhoId, Status, Subject, Description FROM Task")
}

// outcome is what a row expects after its story.
type outcome struct {
	acked         bool     // the last delivery was acknowledged
	reason        string   // its Delivery Failure Reason contains this
	tokenRequests int      // requests to the token endpoint, successful or not
	logs          []string // the receiver's log contains each
	noLogs        []string // and none of these
	statusWritten bool     // Receiver_Status__c = "processed <notification id>" on the first record
}

func TestReceiverAgainstTheEmulator(t *testing.T) {
	escapedKey := func() string {
		pem, err := os.ReadFile(keysDir + "/server.key")
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(strings.TrimSpace(string(pem)), "\n", `\n`)
	}()

	tests := []struct {
		name  string
		setup worldSetup
		// story triggers deliveries; it returns the notification ids of the last send.
		story func(w *world) []string
		want  outcome
		// check adds what the outcome table cannot say.
		check func(t *testing.T, w *world, nids []string)
	}{
		{
			name:  "after the change: no session ID, JWT bearer login as the send user, status written back, Ack",
			setup: worldSetup{era: "removed"},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: true, tokenRequests: 1, statusWritten: true,
				logs: []string{"auth=jwt outcome=processed", "object=Account", "org=00Dxx0000001gPL"}},
			check: func(t *testing.T, w *world, _ []string) {
				a := w.tokenRequests()[0]
				if a.Status != 200 || a.ClientID != testConsumerKey || a.Username != testUsername ||
					len(a.Audience) != 1 || a.Audience[0] != AudienceProduction {
					t.Errorf("token request = %+v; want 200 for iss %s, sub %s, aud %s", a, testConsumerKey, testUsername, AudienceProduction)
				}
			},
		},
		{
			name:  "before the change: the message's session ID is used on the PartnerUrl's instance, no token request",
			setup: worldSetup{era: "legacy"},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 0, statusWritten: true, logs: []string{"auth=session outcome=processed"}},
		},
		{
			name:  "the same outcome before and after the change (legacy era, JWT configured but not needed)",
			setup: worldSetup{era: "legacy", env: map[string]string{"RECEIVER_WRITEBACK": "task"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 0, logs: []string{"auth=session outcome=processed"}},
			check: func(t *testing.T, w *world, _ []string) {
				if n := len(w.tasks()); n != 1 {
					t.Errorf("%d tasks; want 1", n)
				}
			},
		},
		{
			name:  "write-back as a Task: a completed Task related to the Account (WhatId)",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_WRITEBACK": "task"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 1, logs: []string{"auth=jwt outcome=processed"}},
			check: func(t *testing.T, w *world, nids []string) {
				tasks := w.tasks()
				if len(tasks) != 1 {
					t.Fatalf("%d tasks; want 1", len(tasks))
				}
				task, account := tasks[0], w.recordID("Account", "Edge Communications")
				if task.GetName("WhatId") != account || task.GetName("WhoId") != nil ||
					task.GetName("Status") != "Completed" || task.GetName("Subject") != "Outbound message processed" ||
					!strings.Contains(task.GetName("Description").(string), string(nids[0])) {
					t.Errorf("task = WhatId %v WhoId %v Status %v Subject %v Description %v; want WhatId %s, Completed, naming %s",
						task.GetName("WhatId"), task.GetName("WhoId"), task.GetName("Status"), task.GetName("Subject"),
						task.GetName("Description"), account, nids[0])
				}
			},
		},
		{
			name:  "write-back as a Task: a Lead is the Task's WhoId",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_WRITEBACK": "task"}},
			story: func(w *world) []string { return w.send("Lead_Changed", "Lead", "Boxer") },
			want:  outcome{acked: true, tokenRequests: 1},
			check: func(t *testing.T, w *world, _ []string) {
				tasks := w.tasks()
				if len(tasks) != 1 || tasks[0].GetName("WhoId") != w.recordID("Lead", "Boxer") || tasks[0].GetName("WhatId") != nil {
					t.Errorf("tasks = %d; want one with WhoId = the Lead", len(tasks))
				}
			},
		},
		{
			name:  "a batch of three notifications: one login, every record written, one Ack",
			setup: worldSetup{era: "removed"},
			story: func(w *world) []string {
				return w.send("Account_Changed", "Account", "Edge Communications", "Burlington Textiles", "Pyramid Construction")
			},
			want: outcome{acked: true, tokenRequests: 1, statusWritten: true},
			check: func(t *testing.T, w *world, nids []string) {
				if n := len(w.attempts()); n != 1 {
					t.Errorf("%d deliveries; want the three notifications in one message", n)
				}
				for i, name := range []string{"Edge Communications", "Burlington Textiles", "Pyramid Construction"} {
					if got, want := w.field(w.recordID("Account", name), "Receiver_Status__c"), "processed "+string(nids[i]); got != want {
						t.Errorf("%s: Receiver_Status__c = %v; want %q", name, got, want)
					}
				}
				if got := strings.Count(w.logs.String(), "outcome=processed"); got != 3 {
					t.Errorf("%d processed log lines; want one per notification (3)", got)
				}
			},
		},
		{
			name:  "a duplicate delivery of an acknowledged notification is acknowledged but processed once",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_WRITEBACK": "task"}},
			story: func(w *world) []string {
				w.emu.SetOutboundFaults(context.Background(), wire.OutboundFaults{Seed: 1, DuplicateProbability: 1})
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				w.waitFor("the duplicate delivery", func() bool {
					a := w.attempts()
					return len(a) == 2 && a[1].Acked
				})
				return nids
			},
			want: outcome{acked: true, tokenRequests: 1, logs: []string{"outcome=processed", "auth=none outcome=duplicate"}},
			check: func(t *testing.T, w *world, nids []string) {
				a := w.attempts()
				if a[0].Notifications[0] != a[1].Notifications[0] {
					t.Errorf("deliveries carried %v and %v; want the same Notification Id twice", a[0].Notifications, a[1].Notifications)
				}
				if n := len(w.tasks()); n != 1 {
					t.Errorf("%d tasks; want 1 (the duplicate must not be processed)", n)
				}
				if got := w.rcv.seen.Processed(); len(got) != 1 || got[0] != string(nids[0]) {
					t.Errorf("processed = %v; want [%s]", got, nids[0])
				}
			},
		},
		{
			name:  "a message from an org the receiver does not know is refused with a fault",
			setup: worldSetup{era: "removed", env: map[string]string{"SF_ORG_ID": "00Dxx0000009zzz"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 0,
				reason: "organization 00Dxx0000001gPL", logs: []string{"outcome=failed step=org", "is not configured"}},
			check: func(t *testing.T, w *world, _ []string) {
				if r := w.lastAttempt().Reason; !strings.Contains(r, "is not configured") {
					t.Errorf("reason = %q; want it to say the organization is not configured", r)
				}
			},
		},
		{
			name:  "send user without the app's permission set: invalid_app_access, logged, fault, retried later",
			setup: worldSetup{era: "removed", sendUserPS: "[]"},
			story: func(w *world) []string {
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				if _, err := w.emu.Advance(context.Background(), wire.Advance{By: wire.Duration(10 * time.Second)}); err != nil { // past the first retry (5 s)
					w.t.Fatal(err)
				}
				w.idle()
				return nids
			},
			want: outcome{acked: false, tokenRequests: 2,
				reason: "invalid_app_access: user is not admin approved to access this app",
				logs:   []string{`auth=jwt outcome=failed step=login error="invalid_app_access: user is not admin approved to access this app"`}},
			check: func(t *testing.T, w *world, nids []string) {
				q, _ := w.emu.Queue(context.Background(), false)
				if len(q) != 1 || q[0].ID != nids[0] || q[0].Attempts != 2 {
					t.Fatalf("queue = %+v; want the notification still queued after 2 attempts", q)
				}
				if !strings.Contains(q[0].DeliveryFailureReason, "notification "+string(nids[0])+": invalid_app_access") {
					t.Errorf("Delivery Failure Reason = %q; want it to name the notification and the error", q[0].DeliveryFailureReason)
				}
				if w.field(w.recordID("Account", "Edge Communications"), "Receiver_Status__c") != nil {
					t.Error("the record was written though the login failed")
				}
			},
		},
		{
			name:  "a sandbox audience against a production org: audience is invalid, logged",
			setup: worldSetup{era: "removed", env: map[string]string{"SF_AUDIENCE": AudienceSandbox}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 1, reason: "invalid_grant: audience is invalid",
				logs: []string{`error="invalid_grant: audience is invalid"`}},
		},
		{
			name:  "the cached token's session expired: the receiver logs in again once and succeeds",
			setup: worldSetup{era: "removed"},
			story: func(w *world) []string {
				w.send("Account_Changed", "Account", "Burlington Textiles")
				if n, _ := w.emu.ExpireSessions(context.Background(), ""); n == 0 {
					w.t.Fatal("no session to expire")
				}
				return w.send("Account_Changed", "Account", "Edge Communications")
			},
			want: outcome{acked: true, tokenRequests: 2, statusWritten: true, logs: []string{"auth=jwt outcome=processed relogin=true"}},
			check: func(t *testing.T, w *world, _ []string) {
				var invalid int
				entries, _ := w.emu.APIRequests(context.Background())
				for _, e := range entries {
					if e.ErrorCode == "INVALID_SESSION_ID" {
						invalid++
					}
				}
				if invalid != 1 {
					t.Errorf("%d INVALID_SESSION_ID answers; want exactly 1 (then a new login)", invalid)
				}
			},
		},
		{
			name:  "an unmigrated receiver after the change fails with a clear message and never logs in",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_MODE": "unmigrated"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 0, reason: notMigratedText,
				logs: []string{"outcome=failed step=auth error=\"" + notMigratedText + "\""}},
		},
		{
			name:  "an unmigrated receiver before the change works with the session ID",
			setup: worldSetup{era: "legacy", env: map[string]string{"RECEIVER_MODE": "unmigrated"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 0, statusWritten: true, logs: []string{"auth=session outcome=processed"}},
		},
		{
			name: "a private key pasted into SF_PRIVATE_KEY with literal \\n sequences works",
			setup: worldSetup{era: "removed", env: map[string]string{
				"SF_PRIVATE_KEY_FILE": "", "SF_PRIVATE_KEY": escapedKey}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 1, statusWritten: true},
		},
		{
			name:  "a PKCS#1 key file (openssl genrsa format) works",
			setup: worldSetup{era: "removed", env: map[string]string{"SF_PRIVATE_KEY_FILE": keysDir + "/server-pkcs1.key"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 1, statusWritten: true},
		},
		{
			name:  "a key that does not match the app's certificate: invalid_grant invalid assertion",
			setup: worldSetup{era: "removed", env: map[string]string{"SF_PRIVATE_KEY_FILE": keysDir + "/other.key"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: false, tokenRequests: 1, reason: "invalid_grant: invalid assertion"},
		},
		{
			name:  "a restricted picklist rejects the write-back: the REST error is logged and faults the message",
			setup: worldSetup{era: "removed"},
			story: func(w *world) []string { return w.send("Lead_Changed", "Lead", "Boxer") },
			want: outcome{acked: false, tokenRequests: 1, reason: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
				logs:   []string{"object=Lead auth=jwt outcome=failed step=writeback", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: ", "bad value for restricted picklist field: processed 04l"},
				noLogs: []string{"outcome=processed"}},
		},
		{
			name:  "a query of a field that does not exist: INVALID_FIELD from the query is logged",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_FIELDS": "Id,Name,Nope__c"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 1, reason: "INVALID_FIELD",
				logs: []string{"outcome=failed step=query", "INVALID_FIELD: "}},
		},
		{
			name:  "SOAP before the change: the PartnerUrl called with the message's session, no login",
			setup: worldSetup{era: "legacy", env: map[string]string{"RECEIVER_API": "soap"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: true, tokenRequests: 0, statusWritten: true,
				logs: []string{"auth=session outcome=processed api=soap"}},
			check: func(t *testing.T, w *world, _ []string) {
				for _, e := range w.wantCalls(t, "soap query", "soap update") {
					if e.Path != "/services/Soap/u/60.0/00Dxx0000001gPL" || e.Username != testUsername || e.Status != 200 {
						t.Errorf("SOAP call %+v; want 200 at the PartnerUrl (/services/Soap/u/60.0/00Dxx0000001gPL) as the send user", e)
					}
				}
			},
		},
		{
			name:  "SOAP after the change: a JWT login, the access token in the SessionHeader of the Partner API",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: true, tokenRequests: 1, statusWritten: true,
				logs: []string{"auth=jwt outcome=processed api=soap"}},
			check: func(t *testing.T, w *world, _ []string) {
				for _, e := range w.wantCalls(t, "soap query", "soap update") {
					if e.Path != "/services/Soap/u/60.0/00Dxx0000001gPL" || e.Username != testUsername || e.Status != 200 {
						t.Errorf("SOAP call %+v; want 200 at {instance_url}/services/Soap/u/60.0/00Dxx0000001gPL as the send user", e)
					}
				}
			},
		},
		{
			name:  "SOAP after the change, a 66.0 definition: the Partner API of the PartnerUrl's version",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap"}},
			story: func(w *world) []string { return w.send("Account_Changed_v66", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 1, statusWritten: true},
			check: func(t *testing.T, w *world, _ []string) {
				for _, e := range w.wantCalls(t, "soap query", "soap update") {
					if e.Path != "/services/Soap/u/66.0/00Dxx0000001gPL" {
						t.Errorf("SOAP call at %s; want /services/Soap/u/66.0/00Dxx0000001gPL", e.Path)
					}
				}
			},
		},
		{
			name:  "SOAP write-back as a Task: a Partner create, WhatId the Account",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_WRITEBACK": "task", "RECEIVER_FIELDS": "Id,Name"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want:  outcome{acked: true, tokenRequests: 1, logs: []string{"auth=jwt outcome=processed api=soap"}},
			check: func(t *testing.T, w *world, nids []string) {
				w.wantCalls(t, "soap query", "soap create")
				tasks := w.tasks()
				if len(tasks) != 1 {
					t.Fatalf("%d tasks; want 1", len(tasks))
				}
				task, account := tasks[0], w.recordID("Account", "Edge Communications")
				wantDesc := "Notification " + nids[0] + " of outbound message "
				if task.GetName("WhatId") != account || task.GetName("WhoId") != nil ||
					task.GetName("Status") != "Completed" || task.GetName("Subject") != "Outbound message processed" ||
					!strings.HasPrefix(task.GetName("Description").(string), wantDesc) ||
					!strings.HasSuffix(task.GetName("Description").(string), " processed for Account "+account+" (Edge Communications).") {
					t.Errorf("task = %v; want WhatId %s, Completed, the REST mode's Description (with the queried Name)", task, account)
				}
			},
		},
		{
			name:  "SOAP write-back as a Task: a Lead is the Task's WhoId",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_WRITEBACK": "task"}},
			story: func(w *world) []string { return w.send("Lead_Changed", "Lead", "Boxer") },
			want:  outcome{acked: true, tokenRequests: 1},
			check: func(t *testing.T, w *world, _ []string) {
				w.wantCalls(t, "soap query", "soap create")
				if tasks := w.tasks(); len(tasks) != 1 || tasks[0].GetName("WhoId") != w.recordID("Lead", "Boxer") || tasks[0].GetName("WhatId") != nil {
					t.Errorf("tasks = %v; want one with WhoId = the Lead", tasks)
				}
			},
		},
		{
			name:  "SOAP: a restricted picklist refuses the update; the SaveResult's statusCode: message faults the message",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap"}},
			story: func(w *world) []string { return w.send("Lead_Changed", "Lead", "Boxer") },
			want: outcome{acked: false, tokenRequests: 1, reason: ": INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: ",
				logs: []string{"object=Lead auth=jwt outcome=failed step=writeback", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: ",
					"bad value for restricted picklist field: processed 04l", "api=soap"},
				noLogs: []string{"outcome=processed"}},
			check: func(t *testing.T, w *world, _ []string) {
				calls := w.wantCalls(t, "soap query", "soap update")
				if calls[1].Status != 200 {
					t.Errorf("update answered HTTP %d; a SaveResult with success false is a 200", calls[1].Status)
				}
				if w.field(w.recordID("Lead", "Boxer"), "Receiver_Status__c") != nil {
					t.Error("the Lead was written though the update failed")
				}
			},
		},
		{
			name:  "SOAP: a query of a field that does not exist: the fault's code and string fail the notification",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_FIELDS": "Id,Name,Nope__c"}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 1, reason: ": INVALID_FIELD: ",
				logs: []string{"outcome=failed step=query", "INVALID_FIELD: ", "api=soap"}, noLogs: []string{"INVALID_FIELD: INVALID_FIELD"}},
			check: func(t *testing.T, w *world, _ []string) { w.wantCalls(t, "soap query") },
		},
		{
			name:  "SOAP: the cached session expired; sf:INVALID_SESSION_ID, one login again, processed",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap"}},
			story: func(w *world) []string {
				w.send("Account_Changed", "Account", "Burlington Textiles")
				if n, _ := w.emu.ExpireSessions(context.Background(), ""); n == 0 {
					w.t.Fatal("no session to expire")
				}
				return w.send("Account_Changed", "Account", "Edge Communications")
			},
			want: outcome{acked: true, tokenRequests: 2, statusWritten: true, logs: []string{"auth=jwt outcome=processed relogin=true api=soap"}},
			check: func(t *testing.T, w *world, _ []string) {
				calls := w.wantCalls(t, "soap query", "soap update", "soap query", "soap query", "soap update")
				if calls[2].ErrorCode != "INVALID_SESSION_ID" || calls[3].ErrorCode != "" {
					t.Errorf("second query answered %q, its retry %q; want INVALID_SESSION_ID, then success", calls[2].ErrorCode, calls[3].ErrorCode)
				}
			},
		},
		{
			name: "SOAP login() instead of JWT after the change (Spring '26, a 60.0 definition): works, logs in once",
			setup: worldSetup{era: "removed", release: "spring-26", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_LOGIN": "soap-login",
				"SF_PASSWORD": "s3cret", "SF_CONSUMER_KEY": "", "SF_PRIVATE_KEY_FILE": ""}},
			story: func(w *world) []string {
				w.send("Account_Changed", "Account", "Burlington Textiles")
				return w.send("Account_Changed", "Account", "Edge Communications")
			},
			want: outcome{acked: true, tokenRequests: 0, statusWritten: true, logs: []string{"auth=soap-login outcome=processed api=soap"}},
			check: func(t *testing.T, w *world, _ []string) {
				calls := w.wantCalls(t, "soap login", "soap query", "soap update", "soap query", "soap update")
				if calls[0].Path != "/services/Soap/u/60.0" {
					t.Errorf("login() at %s; want the login URL's /services/Soap/u/60.0 (the PartnerUrl's version)", calls[0].Path)
				}
				for _, e := range calls[1:] {
					if e.Path != "/services/Soap/u/60.0/00Dxx0000001gPL" || e.Username != testUsername {
						t.Errorf("SOAP call %+v; want the serverUrl login() answered, as the send user", e)
					}
				}
				hist, err := w.emu.LoginHistory(context.Background(), "Acme")
				if err != nil {
					t.Fatal(err)
				}
				if len(hist) != 1 || hist[0].Status != "Success" || hist[0].APIType != "SOAP Partner" || hist[0].APIVersion != "60.0" {
					t.Errorf("Login History = %+v; want one successful SOAP Partner login at 60.0 (the session is cached)", hist)
				}
			},
		},
		{
			name: "SOAP login() once it is retired (Summer '27): the fault names login() in the Delivery Failure Reason",
			setup: worldSetup{era: "removed", settings: "{soap_login: retired}", env: map[string]string{"RECEIVER_API": "soap",
				"RECEIVER_LOGIN": "soap-login", "SF_PASSWORD": "s3cret", "SF_CONSUMER_KEY": "", "SF_PRIVATE_KEY_FILE": ""}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 0, reason: ": soap login(): INVALID_OPERATION: SOAP API login() has been retired",
				logs: []string{`auth=soap-login outcome=failed step=login error="soap login(): INVALID_OPERATION: SOAP API login() has been retired`}},
			check: func(t *testing.T, w *world, _ []string) { w.wantCalls(t, "soap login") },
		},
		{
			name: "SOAP login() from a 66.0 definition: not available from API 65.0, the fault names login()",
			setup: worldSetup{era: "removed", release: "spring-26", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_LOGIN": "soap-login",
				"SF_PASSWORD": "s3cret", "SF_CONSUMER_KEY": "", "SF_PRIVATE_KEY_FILE": ""}},
			story: func(w *world) []string { return w.send("Account_Changed_v66", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 0, reason: ": soap login(): INVALID_OPERATION: ",
				logs: []string{"auth=soap-login outcome=failed step=login", "66.0"}},
			check: func(t *testing.T, w *world, _ []string) {
				if calls := w.wantCalls(t, "soap login"); len(calls) == 1 && calls[0].Path != "/services/Soap/u/66.0" {
					t.Errorf("login() at %s; want /services/Soap/u/66.0", calls[0].Path)
				}
			},
		},
		{
			name: "SOAP login() with a wrong password: INVALID_LOGIN names login()",
			setup: worldSetup{era: "removed", release: "spring-26", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_LOGIN": "soap-login",
				"SF_PASSWORD": "<wrong&>", "SF_CONSUMER_KEY": "", "SF_PRIVATE_KEY_FILE": ""}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: false, tokenRequests: 0,
				reason: ": soap login(): INVALID_LOGIN: Invalid username, password, security token; or user locked out."},
		},
		{
			name: "REST calls with a SOAP login() session (--login soap-login alone)",
			setup: worldSetup{era: "removed", release: "spring-26", env: map[string]string{"RECEIVER_LOGIN": "soap-login",
				"SF_PASSWORD": "s3cret", "SF_CONSUMER_KEY": "", "SF_PRIVATE_KEY_FILE": ""}},
			story: func(w *world) []string { return w.send("Account_Changed", "Account", "Edge Communications") },
			want: outcome{acked: true, tokenRequests: 0, statusWritten: true,
				logs: []string{"auth=soap-login outcome=processed"}, noLogs: []string{"api="}},
			check: func(t *testing.T, w *world, _ []string) { w.wantCalls(t, "soap login", "rest GET", "rest PATCH") },
		},
		{
			name:  "SOAP: values with XML's special characters round-trip (a Name with & < > \" into the Task's Description)",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap", "RECEIVER_WRITEBACK": "task", "RECEIVER_FIELDS": "Id,Name"}},
			story: func(w *world) []string {
				if _, err := w.emu.CreateRecord(context.Background(), testOrgID, wire.CreateRecord{Object: "Account",
					Fields: map[string]any{"Name": `Smith & <Sons> "Ltd" ]]>`}}); err != nil {
					w.t.Fatal(err)
				}
				return w.send("Account_Changed", "Account", `Smith & <Sons> "Ltd" ]]>`)
			},
			want: outcome{acked: true, tokenRequests: 1},
			check: func(t *testing.T, w *world, _ []string) {
				tasks := w.tasks()
				if len(tasks) != 1 || !strings.HasSuffix(tasks[0].GetName("Description").(string), ` (Smith & <Sons> "Ltd" ]]>).`) {
					t.Errorf("tasks = %v; want one whose Description ends with the Name as it is", tasks)
				}
			},
		},
		{
			name:  "SOAP: a fault on the write-back (UNABLE_TO_LOCK_ROW) fails the notification; the retry processes it",
			setup: worldSetup{era: "removed", env: map[string]string{"RECEIVER_API": "soap"}},
			story: func(w *world) []string {
				ctx := context.Background()
				if _, err := w.emu.AddFault(ctx, wire.Fault{Surface: wire.SurfaceSOAP, Operation: "update", ErrorCode: "UNABLE_TO_LOCK_ROW", Times: 1}); err != nil {
					w.t.Fatal(err)
				}
				nids := w.send("Account_Changed", "Account", "Edge Communications")
				if a := w.attempts(); len(a) != 1 || a[0].Acked || !strings.Contains(a[0].Reason, "notification "+nids[0]+": UNABLE_TO_LOCK_ROW: ") {
					w.t.Errorf("first delivery = %+v; want a fault naming the notification and UNABLE_TO_LOCK_ROW once", a)
				}
				if _, err := w.emu.Advance(ctx, wire.Advance{By: wire.Duration(10 * time.Second)}); err != nil {
					w.t.Fatal(err)
				}
				w.idle()
				return nids
			},
			want: outcome{acked: true, tokenRequests: 1, statusWritten: true,
				logs:   []string{"outcome=failed step=writeback error=\"UNABLE_TO_LOCK_ROW: ", "auth=jwt outcome=processed api=soap"},
				noLogs: []string{"UNABLE_TO_LOCK_ROW: UNABLE_TO_LOCK_ROW", "relogin=true"}},
			check: func(t *testing.T, w *world, _ []string) {
				w.wantCalls(t, "soap query", "soap update", "soap query", "soap update")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tt.setup)
			nids := tt.story(w)

			last := w.lastAttempt()
			if last.Acked != tt.want.acked {
				t.Errorf("last delivery acked = %v (status %d, reason %q); want %v", last.Acked, last.Status, last.Reason, tt.want.acked)
			}
			if !strings.Contains(last.Reason, tt.want.reason) {
				t.Errorf("Delivery Failure Reason = %q; want it to contain %q", last.Reason, tt.want.reason)
			}
			if got := len(w.tokenRequests()); got != tt.want.tokenRequests {
				t.Errorf("%d token requests; want %d", got, tt.want.tokenRequests)
			}
			logs := w.logs.String()
			for _, s := range tt.want.logs {
				if !strings.Contains(logs, s) {
					t.Errorf("receiver log lacks %q", s)
				}
			}
			for _, s := range tt.want.noLogs {
				if strings.Contains(logs, s) {
					t.Errorf("receiver log has %q", s)
				}
			}
			if tt.want.statusWritten {
				id := last.Records[0]
				want := "processed " + string(last.Notifications[0])
				if got := w.field(string(id), "Receiver_Status__c"); got != want {
					t.Errorf("Receiver_Status__c of %s = %v; want %q", id, got, want)
				}
			}
			if tt.check != nil {
				tt.check(t, w, nids)
			}
		})
	}
}

// TestMigratedReceiverFallsBackToJWTWhenTheSessionIsRefused: a message
// whose session ID the API refuses (revoked, or timed out while the message
// waited for a retry) is still processed by a migrated receiver.
func TestMigratedReceiverFallsBackToJWTWhenTheSessionIsRefused(t *testing.T) {
	for _, api := range []string{APIREST, APISOAP} {
		t.Run(api, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, worldSetup{era: "legacy", env: map[string]string{"RECEIVER_API": api}})
			account := w.recordID("Account", "Edge Communications")
			body := strings.NewReplacer("127.0.0.1:8085", strings.TrimPrefix(w.emuURL, "http://"),
				"001xx000003DGb2AAG", account).Replace(envelope("<SessionId>00Dxx0000001gPL!revoked</SessionId>", oneAccount))
			resp, err := http.Post(w.rcvURL, "text/xml; charset=UTF-8", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(answer), "<Ack>true</Ack>") {
				t.Errorf("answer = %d %s; want the Ack", resp.StatusCode, answer)
			}
			if n := len(w.tokenRequests()); n != 1 {
				t.Errorf("%d token requests; want 1 (the fallback login)", n)
			}
			if got := w.field(account, "Receiver_Status__c"); got != "processed 04lxx000000CaSdAAK" {
				t.Errorf("Receiver_Status__c = %v; want processed 04lxx000000CaSdAAK", got)
			}
			if logs := w.logs.String(); !strings.Contains(logs, "auth=jwt outcome=processed relogin=true") {
				t.Errorf("log lacks the fallback:\n%s", logs)
			}
			if api == APISOAP {
				calls := w.wantCalls(t, "soap query", "soap query", "soap update")
				if calls[0].ErrorCode != "INVALID_SESSION_ID" {
					t.Errorf("the first query answered %q; want INVALID_SESSION_ID for the revoked message session", calls[0].ErrorCode)
				}
			}
		})
	}
}
