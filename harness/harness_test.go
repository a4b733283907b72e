package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/emulator/outbound"
)

// TestScenariosThatMustFailDo: the harness is only useful if it catches a
// broken receiver and says why — a go-cmp diff, the receiver's log.
func TestScenariosThatMustFailDo(t *testing.T) {
	results, err := Run(context.Background(), Options{}, "testdata/must-fail")
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]Result{}
	for _, r := range results {
		byFile[filepath.Base(r.Scenario.File)] = r
	}
	tests := []struct {
		file string
		want []string
	}{
		{"wrong-expectation.yaml", []string{"(-want +got)", `"Industry": string("Energy")`, `"Industry": nil`, "wrong-expectation.yaml:8: step 3"}},
		{"unmigrated-receiver.yaml", []string{"deliveries (-want +got)", "no session ID", "receiver log (last lines)"}},
		{"expect-failure-that-passes.yaml", []string{"marked expect_failure, but every expectation held"}},
	}
	for _, tt := range tests {
		r, ok := byFile[tt.file]
		if !ok {
			t.Errorf("%s did not run", tt.file)
			continue
		}
		if r.Passed {
			t.Errorf("%s passed; it must fail", tt.file)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(r.Failure, w) {
				t.Errorf("%s: the failure report lacks %q:\n%s", tt.file, w, r.Failure)
			}
		}
	}

	var out bytes.Buffer
	counts := Summary(&out, results)
	if counts.Passed != 0 || counts.Failed != 3 || !strings.HasSuffix(out.String(), "\n0 passed, 3 failed, 0 skipped\n") {
		t.Errorf("summary: %+v:\n%s", counts, out.String())
	}
	junit := filepath.Join(t.TempDir(), "junit.xml")
	if err := WriteJUnit(junit, results); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(junit)
	var suites junitSuites
	if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests != 3 || suites.Fails != 3 || len(suites.Suites) != 1 {
		t.Errorf("junit: %v %+v\n%s", err, suites, data)
	}
}

func TestScenarioLoadErrorsNameTheLine(t *testing.T) {
	tests := []struct{ file, want string }{
		{"testdata/bad/unknown-key.yaml", `testdata/bad/unknown-key.yaml:4:1: unknown key "stepz" (did you mean "steps"?)`},
		{"testdata/bad/bad-step.yaml", "testdata/bad/bad-step.yaml:6:12: step 2: want exactly one of"},
		{"testdata/bad/unknown-ref.yaml", "testdata/bad/unknown-ref.yaml:5:34: $nobody names no record created by an earlier step"},
	}
	for _, tt := range tests {
		_, err := LoadFile(tt.file)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v\nwant %s", tt.file, err, tt.want)
		}
	}
	if _, err := Run(context.Background(), Options{}, "testdata/bad"); err == nil || strings.Count(err.Error(), "testdata/bad/") < 3 {
		t.Errorf("a run with bad files must report every one before starting: %v", err)
	}
}

func TestPatchMergesNamedItems(t *testing.T) {
	sc := &Scenario{File: "x/s.yaml", Org: OrgSpec{Fixture: "default", Patch: map[string]any{
		"apps":     []any{map[string]any{"name": "sfemu_receiver_eca", "policy": map[string]any{"permission_sets": []any{}}}},
		"users":    []any{map[string]any{"username": "admin@sfemu.example", "_delete": true}},
		"settings": map[string]any{"client_ip": "203.0.113.9"},
	}}, lines: func(string) int { return 0 }}
	src, _, err := sc.orgFixture("legacy", &templateVars{Endpoint: "http://127.0.0.1:1/outbound"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := src.YAML
	for _, want := range []string{"permission_sets: []", "client_ip: 203.0.113.9", "release: winter-26", "endpoint_url: http://127.0.0.1:1/outbound", "username: sender@sfemu.example"} {
		if !strings.Contains(text, want) {
			t.Errorf("patched fixture lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "admin@sfemu.example") {
		t.Error("the deleted user is still there")
	}
	if !strings.Contains(text, "permitted_users: admin_approved") {
		t.Error("merging the policy lost its other keys")
	}
}

func FuzzLoadScenario(f *testing.F) {
	for _, p := range []string{"testdata/must-fail/wrong-expectation.yaml", "testdata/bad/bad-step.yaml", "../scenarios/oauth/refresh-token-expired-by-policy.yaml",
		"../scenarios/api/call-tracking-sync.yaml", "../scenarios/api/bulk-ingest-bad-rows.yaml"} {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Load("fuzz.yaml", data)
		if err == nil && (sc.Name == "" || len(sc.Steps) == 0 || len(sc.Phases) == 0) {
			t.Fatalf("an incomplete scenario loaded: %+v", sc)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// TestSchemaMatchesTheGoTypes keeps harness/scenario.schema.json (what
// editors check scenarios with) in step with what Load accepts.
func TestSchemaMatchesTheGoTypes(t *testing.T) {
	data, err := os.ReadFile("scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	props := func(node map[string]any) []string {
		var out []string
		for k := range node["properties"].(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	defs := schema["$defs"].(map[string]any)
	tests := []struct {
		name   string
		schema map[string]any
		typ    any
	}{
		{"scenario", schema, Scenario{}},
		{"step", defs["step"].(map[string]any), Step{}},
		{"expect", defs["expect"].(map[string]any), Expectations{}},
		{"receiver", defs["receiver"].(map[string]any), ReceiverSpec{}},
		{"deliveries", defs["expect"].(map[string]any)["properties"].(map[string]any)["deliveries"].(map[string]any), DeliveryExpect{}},
		{"api", defs["step"].(map[string]any)["properties"].(map[string]any)["api"].(map[string]any), APIStep{}},
		{"bulk", defs["step"].(map[string]any)["properties"].(map[string]any)["bulk"].(map[string]any), BulkStep{}},
		{"expect api", defs["expect"].(map[string]any)["properties"].(map[string]any)["api"].(map[string]any), APIExpect{}},
		{"expect bulk", defs["expect"].(map[string]any)["properties"].(map[string]any)["bulk"].(map[string]any), BulkExpect{}},
	}
	for _, tt := range tests {
		var tags []string
		rt := reflect.TypeOf(tt.typ)
		for i := 0; i < rt.NumField(); i++ {
			if tag := rt.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
				tags = append(tags, tag)
			}
		}
		sort.Strings(tags)
		if diff := cmp.Diff(tags, props(tt.schema)); diff != "" {
			t.Errorf("%s: schema properties differ from the Go type's yaml keys (-go +schema):\n%s", tt.name, diff)
		}
	}
}

// TestFailingContainerScenarioLeavesNothingBehind: after a scenario fails,
// its container and the run's network are gone (there is no reaper).
func TestFailingContainerScenarioLeavesNothingBehind(t *testing.T) {
	ctx := context.Background()
	if err := DockerAvailable(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no Docker engine answers: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	opts := Options{RunID: "harness-test-cleanup", Receiver: &ReceiverSpec{Container: &ContainerSpec{Image: "example"}}}
	results, err := Run(ctx, opts, "testdata/must-fail/wrong-expectation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Passed {
		t.Fatalf("the scenario should have failed: %+v", results)
	}
	if !strings.Contains(results[0].Failure, "msg=listening") {
		t.Errorf("the failure report lacks the container's log:\n%s", results[0].Failure)
	}
	containers, networks, err := Leftovers(ctx, opts.RunID, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(containers)+len(networks) > 0 {
		t.Errorf("the failed run left %d containers and %d networks behind", len(containers), len(networks))
	}
}

// TestURLReceiverWithAFixedEmulatorAddress: a receiver that is already
// running, configured once with a fixed login URL, serves several scenario
// runs in a row — each with a fresh emulator on that address and fresh
// Notification Ids, so its dedupe does not swallow them.
func TestURLReceiverWithAFixedEmulatorAddress(t *testing.T) {
	bin, err := BuildExampleReceiver()
	if err != nil {
		t.Fatal(err)
	}
	emuPort, _ := freePort()
	rcvPort, _ := freePort()
	keys := findKeysDir()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("RECEIVER_LISTEN=127.0.0.1:%d", rcvPort),
		fmt.Sprintf("SF_LOGIN_URL=http://127.0.0.1:%d", emuPort),
		"SF_ORG_ID=00Dxx0000000001", // the default org's id: fixture ids are deterministic
		"SF_CONSUMER_KEY=3MVG9sfemuDefaultTestOnlyConsumerKey.receiver",
		"SF_USERNAME=sender@sfemu.example",
		"SF_PRIVATE_KEY_FILE="+filepath.Join(keys, "server.key"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	opts := Options{
		Receiver:       &ReceiverSpec{URL: fmt.Sprintf("http://127.0.0.1:%d/outbound", rcvPort)},
		EmulatorListen: fmt.Sprintf("127.0.0.1:%d", emuPort),
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", rcvPort))
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the receiver did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	results, err := Run(context.Background(), opts, "../scenarios/session-id/works-after-removal-with-jwt.yaml", "../scenarios/session-id/same-outcome-in-both-eras.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("%d runs, want 3", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %s", r.Name(), r.Failure)
		}
	}
}

// TestRunningEmulatorDrivenThroughItsControlAPI runs catalogue stories
// against an sfemu that is already running (as `sfemu run --emulator URL`
// does with a service container): each run loads its org there over the
// control API, oauth steps go to its URL, and every expectation is read
// back the same way.
func TestRunningEmulatorDrivenThroughItsControlAPI(t *testing.T) {
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: virtualEpoch(),
		Outbound: outbound.Settings{SessionOverHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emu.SetPublicURL(srv.URL)
	results, err := Run(context.Background(), Options{EmulatorURL: srv.URL},
		"../scenarios/session-id/same-outcome-in-both-eras.yaml", "../scenarios/auth-errors/session-timeout-shorter-than-job.yaml",
		"../scenarios/delivery/receiver-down-then-back.yaml", "../scenarios/oauth/refresh-token-expired-by-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 3 {
		t.Fatalf("%d runs", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s failed against the running emulator:\n%s", r.Name(), r.Failure)
		}
	}
	orgs, _ := emu.Orgs(context.Background())
	if len(orgs) != 1 || !strings.Contains(orgs[0].Source, "patched by") {
		t.Errorf("the running emulator serves %+v, want the last scenario's org", orgs)
	}
}

// TestRunningRealClockEmulatorSkipsWhatMovesTime: an sfemu driven with
// --emulator on the real clock cannot move time; the stories that do are
// skipped with the reason, the others run — a bulk step among them, which
// polls its job there instead of moving the clock.
func TestRunningRealClockEmulatorSkipsWhatMovesTime(t *testing.T) {
	emu, err := emulator.New(emulator.Options{Clock: emulator.RealClock, Outbound: outbound.Settings{SessionOverHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emu.SetPublicURL(srv.URL)
	results, err := Run(context.Background(), Options{EmulatorURL: srv.URL},
		"../scenarios/session-id/works-after-removal-with-jwt.yaml", "../scenarios/delivery/receiver-down-then-back.yaml",
		"../scenarios/api/bulk-ingest-bad-rows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		moves := strings.Contains(r.Scenario.File, "receiver-down")
		switch {
		case moves && (r.Outcome != Skipped || !strings.Contains(r.Failure, "--clock virtual")):
			t.Errorf("%s: %s %q, want skipped for the real clock", r.Name(), r.Outcome, r.Failure)
		case !moves && r.Outcome != Passed:
			t.Errorf("%s: %s\n%s", r.Name(), r.Outcome, r.Failure)
		}
	}
}

// TestEveryErrorOfAFileAtOnce: a file with several mistakes reports all of
// them, each at its line and column, in file order — unknown keys (in the
// scenario and in org.patch, against the fixture format) and broken rules.
func TestEveryErrorOfAFileAtOnce(t *testing.T) {
	_, err := LoadFile("testdata/errors/many-mistakes.yaml")
	if err == nil {
		t.Fatal("a file with six mistakes loaded")
	}
	want := []string{
		`testdata/errors/many-mistakes.yaml:5:39: org.patch: unknown key "polcy" (did you mean "policy"?)`,
		`testdata/errors/many-mistakes.yaml:6:5: org.patch: unknown key "user" (did you mean "users"?)`,
		`testdata/errors/many-mistakes.yaml:8:1: unknown key "phase" (did you mean "phases"?)`,
		`testdata/errors/many-mistakes.yaml:10:5: unknown key "advnce" (did you mean "advance"?)`,
		`testdata/errors/many-mistakes.yaml:10:11: step 1: want exactly one of`,
		`testdata/errors/many-mistakes.yaml:12:22: $nobody names no record created by an earlier step`,
		`testdata/errors/many-mistakes.yaml:14:19: eventually "2h": want a duration up to 1m`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d problems reported, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i+1, lines[i], w)
		}
	}
}

// TestFixtureLinesThroughAScenario: an org the emulator refuses is reported
// at the line of the text that broke it — the fixture's own file, or the
// scenario's patch — not in the generated fixture; a fixture file among the
// scenarios is skipped with a note.
func TestFixtureLinesThroughAScenario(t *testing.T) {
	var notes []string
	var mu sync.Mutex
	results, err := Run(context.Background(), Options{Progress: func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Note != "" {
			notes = append(notes, ev.Note)
		}
	}}, "testdata/with-fixture")
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "broken-org.yaml: an org fixture, not a scenario: skipped") {
		t.Errorf("notes: %q", notes)
	}
	want := map[string]string{
		"uses-broken-org.yaml":      `testdata/with-fixture/broken-org.yaml:12:14: user "sender@broken.example": profile "Integraton" does not exist`,
		"patch-breaks-the-org.yaml": `testdata/with-fixture/patch-breaks-the-org.yaml:6:50: user "added@sfemu.example": profile "Nope" does not exist`,
	}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d", len(results), len(want))
	}
	for _, r := range results {
		w := want[filepath.Base(r.Scenario.File)]
		if r.Outcome != Errored || !strings.HasPrefix(r.Failure, w) {
			t.Errorf("%s: %s\n%s\nwant a failure starting %s", r.Name(), r.Outcome, r.Failure, w)
		}
	}
}

// TestPatchMerge: each row is a patch a scenario writes and the fixture it
// makes of the base.
func TestPatchMerge(t *testing.T) {
	const base = `outbound_messages:
  - name: Account_Changed
    object: Account
    rule: {when: created_or_edited, condition: "Industry = 'Energy'"}
  - name: Lead_Changed
    object: Lead
settings: {client_ip: 203.0.113.9}
`
	for _, tt := range []struct {
		name, patch, want string
	}{
		{"a null removes a key of a named item (the message's rule)",
			`outbound_messages: [{name: Account_Changed, rule: null}]`,
			`outbound_messages: [{name: Account_Changed, object: Account}, {name: Lead_Changed, object: Lead}]
settings: {client_ip: 203.0.113.9}`},
		{"a mapping merges into the rule: active false deactivates it and keeps its criteria",
			`outbound_messages: [{name: Account_Changed, rule: {active: false}}]`,
			`outbound_messages: [{name: Account_Changed, object: Account, rule: {when: created_or_edited, condition: "Industry = 'Energy'", active: false}}, {name: Lead_Changed, object: Lead}]
settings: {client_ip: 203.0.113.9}`},
		{"a null removes a top-level key",
			`settings: null`,
			`outbound_messages: [{name: Account_Changed, object: Account, rule: {when: created_or_edited, condition: "Industry = 'Energy'"}}, {name: Lead_Changed, object: Lead}]`},
		{"a null for a key the fixture lacks changes nothing",
			`outbound_messages: [{name: Lead_Changed, rule: null}]
network_access: null`,
			base},
		{"a null inside a nested mapping removes only that key",
			`settings: {client_ip: null, reuse_sessions: false}`,
			`outbound_messages: [{name: Account_Changed, object: Account, rule: {when: created_or_edited, condition: "Industry = 'Energy'"}}, {name: Lead_Changed, object: Lead}]
settings: {reuse_sessions: false}`},
		{"a rule can be replaced by a rules list once the rule is removed",
			`outbound_messages: [{name: Account_Changed, rule: null, rules: [{name: Energy_Flow, kind: flow}]}]`,
			`outbound_messages: [{name: Account_Changed, object: Account, rules: [{name: Energy_Flow, kind: flow}]}, {name: Lead_Changed, object: Lead}]
settings: {client_ip: 203.0.113.9}`},
		{"a named rule in a rules list merges by its name",
			`outbound_messages: [{name: Account_Changed, rule: null, rules: [{name: Energy_Flow, active: false}]}]`,
			`outbound_messages: [{name: Account_Changed, object: Account, rules: [{name: Energy_Flow, active: false}]}, {name: Lead_Changed, object: Lead}]
settings: {client_ip: 203.0.113.9}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.MapSlice
			if err := yaml.UnmarshalWithOptions([]byte(base), &doc, yaml.UseOrderedMap()); err != nil {
				t.Fatal(err)
			}
			var patch map[string]any // as a scenario's org.patch decodes
			if err := yaml.Unmarshal([]byte(tt.patch), &patch); err != nil {
				t.Fatal(err)
			}
			got, err := fixturedoc.Merge(doc, fixturedoc.Ordered(patch), "patch")
			if err != nil {
				t.Fatal(err)
			}
			var want yaml.MapSlice
			if err := yaml.UnmarshalWithOptions([]byte(tt.want), &want, yaml.UseOrderedMap()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(normalise(t, want), normalise(t, got)); diff != "" {
				t.Errorf("patched fixture (-want +got):\n%s", diff)
			}
		})
	}
}

// normalise decodes a document into plain maps, so key order does not count.
func normalise(t *testing.T, v any) any {
	t.Helper()
	text, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := yaml.Unmarshal(text, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
