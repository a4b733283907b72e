package emulator_test

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// durableFixture queues a notification for every Account save to an
// endpoint nobody answers, and lets admin log in with a password.
var durableFixture = strings.Replace(quietFixture, "  - {username: admin@acme.example, profile: System Administrator}",
	"  - {username: admin@acme.example, profile: System Administrator, password: Admin-Pass1}", 1)

func startDurable(t *testing.T, dir string) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{
		Orgs:  []org.Source{{Name: "acme.yaml", Data: []byte(durableFixture)}},
		Clock: emulator.VirtualClock, VirtualStart: virtualStart,
		DataDir: dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	emu.SetPublicURL(srv.URL)
	return emu, srv
}

// accounts are the org's Accounts, deleted ones too, by id.
func accounts(emu *emulator.Emulator) map[org.ID][]any {
	o := emu.Store().Orgs()[0]
	out := map[org.ID][]any{}
	o.Data.Scan(o.Schema.Object("Account"), true, func(r *org.Record) bool {
		out[r.ID] = r.Values
		return true
	})
	return out
}

var sessionIDPattern = regexp.MustCompile(`<sessionId>([^<]+)</sessionId>`)

// TestDataDirKeepsStateAcrossARestart: what clients did through REST,
// SOAP and composite calls, the notifications queued for an endpoint
// nobody answers, the sessions and the failed login are all back after
// Close and New on the same data dir; a rolled-back write is not.
func TestDataDirKeepsStateAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	emu, srv := startDurable(t, dir)
	soapURL := srv.URL + "/services/Soap/u/60.0"
	login := soapCall(t, soapURL, "", `<urn:login><urn:username>admin@acme.example</urn:username><urn:password>Admin-Pass1</urn:password></urn:login>`)
	m := sessionIDPattern.FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("login: %s", login)
	}
	token := m[1]
	if failed := soapCall(t, soapURL, "", `<urn:login><urn:username>admin@acme.example</urn:username><urn:password>wrong</urn:password></urn:login>`); !strings.Contains(failed, "INVALID_LOGIN") {
		t.Fatalf("a wrong password: %s", failed)
	}
	rest := srv.URL + "/services/data/v60.0"
	code, body := doJSON(t, "POST", rest+"/sobjects/Account", token, `{"Name":"Made by REST"}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	id := regexp.MustCompile(`"id":"(\w+)"`).FindStringSubmatch(body)[1]
	if code, body := doJSON(t, "PATCH", rest+"/sobjects/Account/"+id, token, `{"Site":"HQ"}`); code != 204 {
		t.Fatalf("update: %d %s", code, body)
	}
	if code, body := doJSON(t, "POST", rest+"/sobjects/Account", token, `{"Name":"Deleted by REST"}`); code == 201 {
		gone := regexp.MustCompile(`"id":"(\w+)"`).FindStringSubmatch(body)[1]
		if code, body := doJSON(t, "DELETE", rest+"/sobjects/Account/"+gone, token, ""); code != 204 {
			t.Fatalf("delete: %d %s", code, body)
		}
	}
	if resp := soapCall(t, soapURL, token, `<urn:create><urn:sObjects><sf:type>Account</sf:type><sf:Name>Made by SOAP</sf:Name></urn:sObjects></urn:create>`); !strings.Contains(resp, "<success>true</success>") {
		t.Fatalf("SOAP create: %s", resp)
	}
	for _, bad := range []bool{false, true} {
		allOrNoneWrites[0].write(t, srv, token, bad)
	}
	ended := emu.Store().Sessions.Open(emu.Store().User("sender@acme.example"), nil, 3600e9, false).Token
	if n, err := emu.ExpireSessions(context.Background(), "sender@acme.example"); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	doJSON(t, "POST", srv.URL+"/_sfemu/clock/advance", "", `{"by":"30s"}`) // a retry or two, failed

	wantAccounts := accounts(emu)
	wantQueue := queueEntries(t, srv)
	wantLogins, _ := emu.LoginHistory(context.Background(), "Acme")
	wantDeliveries, _ := emu.Deliveries(context.Background())
	srv.Close()
	emu.Close()

	emu, srv = startDurable(t, dir)
	defer func() { srv.Close(); emu.Close() }()
	rest = srv.URL + "/services/data/v60.0"
	if diff := cmp.Diff(wantAccounts, accounts(emu)); diff != "" {
		t.Errorf("Accounts after the restart (-before +after):\n%s", diff)
	}
	names := map[string]int{}
	nameField := emu.Store().Orgs()[0].Schema.Object("Account").Field("Name")
	for _, values := range accounts(emu) {
		if nameField.Index < len(values) {
			n, _ := values[nameField.Index].(string)
			names[n]++
		}
	}
	if names["Tx-1"] != 1 || names["Tx-2"] != 1 {
		t.Errorf("Accounts of the committed all-or-none write %d and %d, of the rolled-back one none: want 1 each, kept once", names["Tx-1"], names["Tx-2"])
	}
	gotQueue := queueEntries(t, srv)
	if diff := cmp.Diff(wantQueue, gotQueue, cmpQueue); diff != "" {
		t.Errorf("outbound queue after the restart (-before +after):\n%s", diff)
	}
	pending := 0
	for _, q := range gotQueue {
		if q.State == wire.Pending && q.Attempts > 0 {
			pending++
		}
	}
	if pending == 0 {
		t.Errorf("no pending notification with attempts after the restart: %+v", gotQueue)
	}
	gotDeliveries, _ := emu.Deliveries(context.Background())
	if len(gotDeliveries) < len(wantDeliveries) {
		t.Errorf("%d delivery attempts after the restart, %d before", len(gotDeliveries), len(wantDeliveries))
	}
	gotLogins, _ := emu.LoginHistory(context.Background(), "Acme")
	if diff := cmp.Diff(wantLogins, gotLogins); diff != "" {
		t.Errorf("Login History after the restart (-before +after):\n%s", diff)
	}
	if code, body := doJSON(t, "GET", rest+"/sobjects/Account/"+id, token, ""); code != 200 || !strings.Contains(body, `"Site":"HQ"`) {
		t.Errorf("the token issued before the restart, after it: %d %s", code, body)
	}
	if code, body := doJSON(t, "GET", rest+"/sobjects/Account/"+id, ended, ""); code != 401 {
		t.Errorf("the expired session's token after the restart: %d %s", code, body)
	}
	if why, ok := emu.Store().Sessions.Why(ended); !ok || !strings.Contains(why.Cause, "expired on request") {
		t.Errorf("how the expired session ended, after the restart: %+v %v", why, ok)
	}
	// The next notification's Id comes after every one issued before.
	if code, body := doJSON(t, "POST", rest+"/sobjects/Account", token, `{"Name":"After the restart"}`); code != 201 {
		t.Fatalf("create after the restart: %d %s", code, body)
	}
	after := queueEntries(t, srv)
	newest := after[len(after)-1].ID
	for _, q := range wantQueue {
		if q.ID >= newest {
			t.Errorf("notification %s issued after the restart is not past %s, issued before", newest, q.ID)
		}
	}
}

// cmpQueue compares queue entries but their age, which moves with the clock.
var cmpQueue = cmp.Transformer("noAge", func(q wire.QueueEntry) wire.QueueEntry { q.Age = 0; return q })

// TestResetEmptiesTheDataDir: after POST /_sfemu/reset a restart begins
// from the fixtures again.
func TestResetEmptiesTheDataDir(t *testing.T) {
	dir := t.TempDir()
	emu, srv := startDurable(t, dir)
	token := emu.Store().Sessions.Open(emu.Store().User("admin@acme.example"), nil, 3600e9, false).Token
	if code, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Account", token, `{"Name":"Gone at reset"}`); code != 201 {
		t.Fatalf("%d %s", code, body)
	}
	fixtureOnly := 0
	if _, err := emu.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	fixtureOnly = len(accounts(emu))
	srv.Close()
	emu.Close()
	emu, srv = startDurable(t, dir)
	defer func() { srv.Close(); emu.Close() }()
	if got := len(accounts(emu)); got != fixtureOnly {
		t.Errorf("%d Accounts after reset and restart; want the fixture's %d", got, fixtureOnly)
	}
	if len(queueEntries(t, srv)) != 0 {
		t.Errorf("the queue came back after a reset: %+v", queueEntries(t, srv))
	}
}

// TestDataDirOfOtherFixturesIsRefused: changed fixtures over an old data
// dir refuse to start, naming the dir and the way out.
func TestDataDirOfOtherFixturesIsRefused(t *testing.T) {
	dir := t.TempDir()
	emu, srv := startDurable(t, dir)
	srv.Close()
	emu.Close()
	_, err := emulator.New(emulator.Options{Orgs: []org.Source{{Name: "acme.yaml", Data: []byte(quietFixture)}}, DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "--data-dir-reset") {
		t.Fatalf("New over another fixture's data dir: %v", err)
	}
	emu, err = emulator.New(emulator.Options{Orgs: []org.Source{{Name: "acme.yaml", Data: []byte(quietFixture)}}, DataDir: dir, DataDirReset: true})
	if err != nil {
		t.Fatalf("with DataDirReset: %v", err)
	}
	emu.Close()
}
