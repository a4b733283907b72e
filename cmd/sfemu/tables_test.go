package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files of the tables")

// tablesStart is where the tables' virtual clock starts: the fixed clock
// of every golden file.
var tablesStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const tablesKey = "3MVG9acmeTablesTestOnlyKey"

// tablesOrgs are two orgs whose messages go to the emulator's own test
// receiver (base): Acme's Account_Changed is acknowledged, its Lead_Sent
// refused (nack, so it stays queued), Globex's goes to a 404.
func tablesOrgs(t *testing.T, base string) []wire.Fixture {
	t.Helper()
	crt, err := os.ReadFile("../../fixtures/keys/server.crt")
	if err != nil {
		t.Fatal(err)
	}
	acme := `
org: {name: Acme, type: production, my_domain: acme-tables, time_zone: UTC}
profiles:
  - {name: Integration, session_timeout: 2h}
  - {name: Restricted Integration, login_ip_ranges: [{start: 54.249.48.100, end: 54.249.48.120}]}
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@acme.example, profile: Integration, permission_sets: [SendUserPS]}
  - {username: restricted@acme.example, profile: Restricted Integration, permission_sets: [SendUserPS]}
  - {username: stranger@acme.example, profile: Integration}
apps:
  - name: acme_eca
    kind: external_client_app
    consumer_key: ` + tablesKey + `
    certificate: server.crt
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS], ip_relaxation: enforce}
records:
  Account: [{Name: Edge Communications}]
  Lead: [{LastName: Boxer, Company: Farmers Coop}]
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name], endpoint_url: "` + base + `/_sfemu/test-receiver/ack", user_to_send_as: sender@acme.example}
  - {name: Lead_Sent, object: Lead, fields: [LastName], endpoint_url: "` + base + `/_sfemu/test-receiver/nack", user_to_send_as: sender@acme.example}
`
	globex := `
org: {name: Globex, type: production, time_zone: UTC}
users: [{username: sender@globex.example, profile: Standard User}]
records:
  Account: [{Name: Globex HQ}]
outbound_messages:
  - {name: Account_Synced, object: Account, fields: [Name], endpoint_url: "` + base + `/_sfemu/test-receiver/404", user_to_send_as: sender@globex.example}
`
	return []wire.Fixture{
		{Name: "acme.yaml", YAML: acme, Files: map[string]string{"server.crt": string(crt)}},
		{Name: "globex.yaml", YAML: globex},
	}
}

// tablesEmulator is an emulator with something in every table: four
// token requests (one login, three refused for different reasons), Login
// History, deliveries acknowledged, refused and failed, a queue with
// retries due. It answers at base; the golden files write it
// http://sfemu.test:8085.
func tablesEmulator(t *testing.T, token string) (base string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base = "http://" + srv.Listener.Addr().String()
	emu, err := emulator.New(emulator.Options{Fixtures: tablesOrgs(t, base), Clock: emulator.VirtualClock, VirtualStart: tablesStart,
		PublicURL: base, FixedNotificationIDs: true, ControlToken: token})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = emu
	srv.Start()
	t.Cleanup(func() { srv.Close(); emu.Close() })
	key, err := jwtbearer.LoadPrivateKeyFile("../../fixtures/keys/server.key")
	if err != nil {
		t.Fatal(err)
	}
	login := func(user, aud string) {
		assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{Issuer: tablesKey, Subject: user, Audience: aud, Expiry: tablesStart.Add(3 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.PostForm(base+"/services/oauth2/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ctx := context.Background()
	login("sender@acme.example", "https://login.salesforce.com")
	login("restricted@acme.example", "https://login.salesforce.com")
	login("stranger@acme.example", "https://login.salesforce.com")
	login("sender@acme.example", "https://acme.example.com")
	for _, s := range []struct{ org, msg, where string }{{"Acme", "Account_Changed", "Name != null"}, {"Acme", "Lead_Sent", "LastName != null"}, {"Globex", "Account_Synced", "Name != null"}} {
		if _, err := emu.SendOutbound(ctx, s.msg, wire.Send{Org: s.org, Where: s.where}); err != nil {
			t.Fatal(err)
		}
	}
	if err := emu.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	// A minute on: the first retries have run, and are due again later; one
	// more send is due now.
	if _, err := emu.Advance(ctx, wire.Advance{By: wire.Duration(70 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := emu.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	return base
}

// golden compares got with testdata/tables/name (-update rewrites it),
// the emulator's address 127.0.0.1:PORT written sfemu.test:8085: as wide,
// so the columns stay aligned (ephemeral ports have five digits).
func golden(t *testing.T, name, base, got string) {
	t.Helper()
	hostport := strings.TrimPrefix(base, "http://")
	if len(hostport) != len("sfemu.test:8085") {
		t.Skipf("the emulator listens at %s, not a five-digit port: the golden files' columns would not align", hostport)
	}
	got = strings.ReplaceAll(got, hostport, "sfemu.test:8085")
	path := filepath.Join("testdata", "tables", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/sfemu -run TestTables -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./cmd/sfemu -run TestTables -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestTablesGolden(t *testing.T) {
	base := tablesEmulator(t, "")
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"queue.golden", []string{"queue"}},
		{"queue-all-acme.golden", []string{"queue", "--all", "--org", "Acme"}},
		{"logins.golden", []string{"logins"}},
		{"tokens.golden", []string{"tokens"}},
		{"tokens-acme-limit2.golden", []string{"tokens", "--org", "Acme", "--limit", "2"}},
		{"deliveries.golden", []string{"deliveries"}},
		{"deliveries-globex.golden", []string{"deliveries", "--org", "Globex"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append(tc.args, "--emulator", base), &stdout, &stderr); code != 0 {
				t.Fatalf("sfemu %v: exit %d, %s", tc.args, code, stderr.String())
			}
			golden(t, tc.golden, base, stdout.String()+stderrSection(stderr.String()))
		})
	}
}

// stderrSection appends what a command said on stderr to its golden output.
func stderrSection(s string) string {
	if s == "" {
		return ""
	}
	return "--- stderr\n" + s
}

// TestTablesJSON: --json prints the rows the table shows, as the control
// API gives them.
func TestTablesJSON(t *testing.T) {
	base := tablesEmulator(t, "")
	for _, tc := range []struct {
		args []string
		into any
		n    int
	}{
		{[]string{"tokens", "--json", "--limit", "3"}, &[]wire.TokenRequest{}, 3},
		{[]string{"logins", "--json", "--org", "Acme"}, &[]map[string]any{}, 4},
		{[]string{"deliveries", "--json", "--org", "Globex", "--limit", "2"}, &[]wire.Delivery{}, 2},
		{[]string{"queue", "--json"}, &[]wire.QueueEntry{}, 2},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append(tc.args, "--emulator", base), &stdout, &stderr); code != 0 {
			t.Fatalf("sfemu %v: exit %d, %s", tc.args, code, stderr.String())
		}
		if err := json.Unmarshal(stdout.Bytes(), tc.into); err != nil {
			t.Fatalf("sfemu %v: not JSON: %v\n%s", tc.args, err, stdout.String())
		}
		var rows []any
		_ = json.Unmarshal(stdout.Bytes(), &rows)
		if len(rows) != tc.n {
			t.Errorf("sfemu %v: %d rows, want %d:\n%s", tc.args, len(rows), tc.n, stdout.String())
		}
	}
	var stdout bytes.Buffer
	run([]string{"logins", "--json", "--emulator", base}, &stdout, new(bytes.Buffer))
	var logins []map[string]any
	_ = json.Unmarshal(stdout.Bytes(), &logins)
	if len(logins) == 0 || logins[0]["SfemuOrg"] != "Acme" || logins[0]["Username"] == nil {
		t.Errorf("logins --json rows carry their org as SfemuOrg and Login History's field names: %s", stdout.String())
	}
}

// TestTablesUsageErrors: every bad flag is a usage error, naming it.
func TestTablesUsageErrors(t *testing.T) {
	base := tablesEmulator(t, "tables-test-control-token")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tokens", "--limit", "-1"}, 2, "--limit -1: want 0 (all) or more"},
		{[]string{"logins", "--limit", "many"}, 2, `invalid value "many" for flag -limit`},
		{[]string{"deliveries", "stray"}, 2, `unexpected argument "stray"`},
		{[]string{"queue", "--retry", "04lxx0000000001AAA", "--delete", "04lxx0000000001AAA"}, 2, "give --retry or --delete, not both"},
		{[]string{"tokens", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"logins", "--org", "Initech", "--control-token", "tables-test-control-token"}, 1, `--org "Initech": no such org (loaded: "Acme"`},
		{[]string{"deliveries"}, 1, "control token"},
		{[]string{"tokens", "--control-token", "not-the-right-token"}, 1, "does not carry this sfemu's control token"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append(tc.args, "--emulator", base), &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("sfemu %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
	for _, cmd := range []string{"logins", "tokens", "deliveries", "queue"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{cmd, "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-control-token") || !strings.Contains(stderr.String(), "-json") {
			t.Errorf("sfemu %s --help: exit %d, %s", cmd, code, stderr.String())
		}
	}
}

func TestRelativeAndCompact(t *testing.T) {
	now := tablesStart
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(2*time.Minute + 10*time.Second), "in 2m10s"},
		{now.Add(-5 * time.Second), "overdue 5s"},
		{now.Add(300 * time.Millisecond), "now"},
		{now.Add(25*time.Hour + 30*time.Minute), "in 25h30m"},
		{now.Add(time.Hour), "in 1h"},
	} {
		if got := relative(tc.at, now); got != tc.want {
			t.Errorf("relative(%s) = %q, want %q", tc.at.Sub(now), got, tc.want)
		}
	}
}
