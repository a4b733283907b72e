package harness

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOutcomesAreHonest: a run that could not be carried out is an error
// (never an expect_failure pass), and a scenario that does not apply to
// the receiver is skipped with the reason — in the summary and in JUnit.
func TestOutcomesAreHonest(t *testing.T) {
	t.Parallel()
	soapProfile := MinimalProfile()
	results, err := Run(context.Background(), Options{Profile: soapProfile, Receiver: &ReceiverSpec{}}, "testdata/outcomes")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Outcome{}
	for _, r := range results {
		got[filepath.Base(r.Scenario.File)+" "+r.Phase] = r.Outcome
		if r.Outcome == Skipped && !strings.Contains(r.Failure, "needs api:soap") {
			t.Errorf("%s: skip reason %q does not name the requirement", r.Name(), r.Failure)
		}
		if r.Outcome == Errored && r.Scenario.ExpectFailure && strings.Contains(r.Failure, "failed as expected") {
			t.Errorf("%s: an error satisfied expect_failure:\n%s", r.Name(), r.Failure)
		}
	}
	want := map[string]Outcome{
		"receiver-never-starts.yaml removed": Errored,
		"refused-step.yaml removed":          Errored,
		"needs-soap.yaml legacy":             Skipped,
		"needs-soap.yaml removed":            Skipped,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	var out strings.Builder
	c := Summary(&out, results)
	if c.OK() || !strings.HasSuffix(out.String(), "0 passed, 0 failed, 2 skipped, 2 errors\n") || !strings.Contains(out.String(), "--- ERROR") {
		t.Errorf("summary %+v:\n%s", c, out.String())
	}
	junit := filepath.Join(t.TempDir(), "junit.xml")
	if err := WriteJUnit(junit, results); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(junit)
	var suites junitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Tests != 4 || suites.Errors != 2 || suites.Skipped != 2 || suites.Fails != 0 {
		t.Errorf("junit totals: %+v", suites)
	}
	for _, s := range suites.Suites {
		if s.Timestamp == "" {
			t.Errorf("suite %s has no timestamp", s.Name)
		}
		for _, tc := range s.Cases {
			if tc.File == "" {
				t.Errorf("case %s has no file", tc.Name)
			}
			if tc.Error != nil && (tc.Error.Type != "error" || tc.Line == 0 && !strings.Contains(tc.Name, "never-starts")) {
				t.Errorf("case %s: error %+v at line %d", tc.Name, tc.Error, tc.Line)
			}
			if strings.Contains(tc.Name, "needs-soap") && (tc.Skipped == nil || !strings.Contains(tc.Skipped.Message, "api:soap")) {
				t.Errorf("case %s: skipped %+v", tc.Name, tc.Skipped)
			}
		}
	}
}

// TestShardsRunEachScenarioOnce: --shard 1/3 … 3/3 together run every
// selected scenario exactly once, the same way every time, and balance by
// recorded time when a previous report gives it.
func TestShardsRunEachScenarioOnce(t *testing.T) {
	t.Parallel()
	var scenarios []*Scenario
	for i := range 17 {
		phases := []string{PhaseRemoved}
		if i%3 == 0 {
			phases = []string{PhaseLegacy, PhaseRemoved}
		}
		scenarios = append(scenarios, &Scenario{File: fmt.Sprintf("g/s%02d.yaml", i), Group: "g", Phases: phases})
	}
	timings := map[string]time.Duration{"g/s05 [removed]": 40 * time.Second, "g/s06 [legacy]": 20 * time.Second}
	for _, tm := range []map[string]time.Duration{nil, timings} {
		seen := map[string]int{}
		var loads []time.Duration
		for k := 1; k <= 3; k++ {
			sel := Selection{Shard: k, Shards: 3, Timings: tm}
			again := sel.jobs(scenarios)
			jobs := sel.jobs(scenarios)
			if !slices.EqualFunc(jobs, again, func(a, b Job) bool { return a.Name() == b.Name() }) {
				t.Errorf("shard %d/3 dealt differently twice", k)
			}
			var load time.Duration
			for _, j := range jobs {
				seen[j.Name()]++
				d, ok := tm[j.Name()]
				if !ok {
					d = sel.typicalRun()
				}
				load += d
			}
			loads = append(loads, load)
		}
		total := 0
		for _, sc := range scenarios {
			for _, ph := range sc.Phases {
				total++
				if n := seen[Job{sc, ph}.Name()]; n != 1 {
					t.Errorf("%s ran %d times across the shards", Job{sc, ph}.Name(), n)
				}
			}
		}
		if len(seen) != total {
			t.Errorf("%d runs across the shards, want %d", len(seen), total)
		}
		lo, hi := slices.Min(loads), slices.Max(loads)
		if tm != nil && hi-lo > 40*time.Second {
			t.Errorf("shards unbalanced by their timings: %v", loads)
		}
	}
	if _, _, err := ParseShard("4/3"); err == nil {
		t.Error("--shard 4/3 accepted")
	}
	if k, n, err := ParseShard("2/3"); err != nil || k != 2 || n != 3 {
		t.Errorf("ParseShard(2/3) = %d %d %v", k, n, err)
	}
}

// TestTagsAndPatternSelect: --tags keeps, --skip-tags drops, --run matches
// run names.
func TestTagsAndPatternSelect(t *testing.T) {
	t.Parallel()
	a := &Scenario{File: "g/a.yaml", Group: "g", Phases: []string{PhaseLegacy, PhaseRemoved}, Tags: []string{"soap"}}
	b := &Scenario{File: "g/b.yaml", Group: "g", Phases: []string{PhaseRemoved}, Tags: []string{"slow", "auth"}}
	c := &Scenario{File: "g/c.yaml", Group: "g", Phases: []string{PhaseRemoved}}
	names := func(sel Selection) []string {
		var out []string
		for _, j := range sel.jobs([]*Scenario{a, b, c}) {
			out = append(out, j.Name())
		}
		return out
	}
	for _, tt := range []struct {
		name string
		sel  Selection
		want []string
	}{
		{"everything", Selection{}, []string{"g/a [legacy]", "g/a [removed]", "g/b [removed]", "g/c [removed]"}},
		{"tags", Selection{Tags: []string{"soap", "auth"}}, []string{"g/a [legacy]", "g/a [removed]", "g/b [removed]"}},
		{"skip-tags", Selection{SkipTags: []string{"slow"}}, []string{"g/a [legacy]", "g/a [removed]", "g/c [removed]"}},
		{"run", Selection{Pattern: regexpMust(`\[legacy\]`)}, []string{"g/a [legacy]"}},
	} {
		if got := names(tt.sel); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestProfiles: the bundled profile is valid and offers its modes; a
// profile's mistakes name file:line; requirements resolve to the first
// mode that offers them, or to a reason.
func TestProfiles(t *testing.T) {
	t.Parallel()
	b := BundledProfile()
	for _, tt := range []struct {
		reqs     []string
		kind     receiverKind
		mode     string
		skipping string
	}{
		{nil, kindProcess, "", ""},
		{[]string{"api:soap"}, kindProcess, "soap", ""},
		{[]string{"login:soap-login"}, kindContainer, "soap-login", ""},
		{[]string{"effect:create"}, kindProcess, "task", ""},
		{[]string{"login:session-only", "bundled-receiver"}, kindProcess, "unmigrated", ""},
		{[]string{"stoppable"}, kindURL, "", "a url: receiver runs elsewhere"},
		{[]string{"api:soap", "effect:create"}, kindProcess, "", "needs api:soap, effect:create"},
	} {
		p, why := b.resolve(tt.reqs, runEnv{kind: tt.kind})
		switch {
		case tt.skipping != "" && !strings.Contains(why, tt.skipping):
			t.Errorf("%v: skip reason %q, want %q", tt.reqs, why, tt.skipping)
		case tt.skipping == "" && (p == nil || p.Mode != tt.mode):
			t.Errorf("%v: %+v %q, want mode %q", tt.reqs, p, why, tt.mode)
		}
	}
	for _, tt := range []struct{ yaml, want string }{
		{"name: x\napi: grpc\n", "p.yaml:2: api \"grpc\": want rest, soap"},
		{"name: x\nefect: {kind: read}\n", "p.yaml:2:1: unknown key"},
		{"name: x\neffect: {kind: create}\n", "p.yaml:2: effect create needs the object"},
		{"name: x\nmodes:\n  - {name: m, login: password}\n", "p.yaml:3: mode m: login \"password\""},
		{"name: x\neffect: {kind: update, field: F, applied: \"SELECT {{.Nope}}\"}\n", "effect.applied"},
		{"api: rest\n", "p.yaml:1: name is required"},
	} {
		_, err := ParseProfile("p.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

// FuzzParseProfile: any bytes give a profile or an error, never a panic.
func FuzzParseProfile(f *testing.F) {
	f.Add([]byte("name: x\napi: soap\nmodes: [{name: m, api: rest}]\n"))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("fuzz.yaml", data)
		if err == nil && p.Name == "" {
			t.Fatal("a profile without a name was accepted")
		}
	})
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// TestPreflightSaysOnceWhatIsWrong: a receiver that cannot run is one
// message before any scenario, naming the fix.
func TestPreflightSaysOnceWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts Options
		want string
	}{
		{"a command that does not exist", Options{Receiver: &ReceiverSpec{Command: []string{"/no/such/receiver"}}}, `the receiver command "/no/such/receiver" cannot be run`},
		{"a URL nothing answers at", Options{Receiver: &ReceiverSpec{URL: "http://127.0.0.1:1/outbound"}}, "nothing answers at http://127.0.0.1:1/outbound"},
		{"a ready path the receiver does not serve", Options{Receiver: &ReceiverSpec{Ready: "/no-such-ready-path"}, ReadyTimeout: 500 * time.Millisecond}, "give the path it answers 200 at with --ready PATH"},
		{"a ready line the receiver never prints", Options{Receiver: &ReceiverSpec{Ready: "log:never printed"}, ReadyTimeout: 500 * time.Millisecond}, `no "never printed" in its output`},
	} {
		err := Preflight(context.Background(), tt.opts)
		var pe *PreflightError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a preflight error containing %q", tt.name, err, tt.want)
		}
	}
	if err := Preflight(context.Background(), Options{}); err != nil {
		t.Errorf("the bundled receiver fails its preflight: %v", err)
	}
}

// TestShardReportsMergeIntoTheWhole: the JUnit files of --shard 1/3 … 3/3
// merge into one report of every run once; overlapping reports are refused.
func TestShardReportsMergeIntoTheWhole(t *testing.T) {
	t.Parallel()
	var scenarios []*Scenario
	for i := range 7 {
		scenarios = append(scenarios, &Scenario{File: fmt.Sprintf("g%d/s%d.yaml", i%2, i), Group: fmt.Sprintf("g%d", i%2), Phases: []string{PhaseLegacy, PhaseRemoved}})
	}
	dir := t.TempDir()
	var files []string
	start := time.Now()
	for k := 1; k <= 3; k++ {
		var results []Result
		for i, j := range (Selection{Shard: k, Shards: 3}).jobs(scenarios) {
			outcome := Passed
			if i == 0 && k == 2 {
				outcome = Failed
			}
			results = append(results, Result{Scenario: j.Scenario, Phase: j.Phase, Outcome: outcome, Start: start, Duration: time.Second})
		}
		f := filepath.Join(dir, fmt.Sprintf("shard-%d.xml", k))
		if err := WriteJUnit(f, results); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	out := filepath.Join(dir, "all.xml")
	c, err := MergeJUnit(out, files...)
	if err != nil || c.Passed != 13 || c.Failed != 1 {
		t.Fatalf("merge: %+v %v", c, err)
	}
	timings, err := ReadJUnitTimings(out)
	if err != nil || len(timings) != 14 {
		t.Errorf("the merged report has %d runs (%v), want 14", len(timings), err)
	}
	if _, err := MergeJUnit(filepath.Join(dir, "twice.xml"), files[0], files[0]); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("merging a report with itself: %v", err)
	}
}

// TestCleanRemovesOnlyWhatDeadRunsLeft: --clean removes the build folders
// of processes that are gone and keeps those of live ones, unless forced.
func TestCleanRemovesOnlyWhatDeadRunsLeft(t *testing.T) {
	if err := DockerAvailable(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no Docker engine answers: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	dead := filepath.Join(os.TempDir(), "sfemu-build-4206649-test") // above Linux's pid_max: never alive
	live := filepath.Join(os.TempDir(), fmt.Sprintf("sfemu-build-%d-test", os.Getppid()))
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
	}
	if _, err := CleanLeftovers(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead process's build folder is still there (%v)", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live process's build folder was removed: %v", err)
	}
}

// TestInterruptedRunSaysWhatNeverStarted: runs an interrupted run never
// started are "not run", counted so, and fail the run.
func TestInterruptedRunSaysWhatNeverStarted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, err := Run(ctx, Options{}, "../scenarios/session-id")
	if err != nil {
		t.Fatal(err)
	}
	c := Count(results)
	if c.NotRun != len(results) || c.OK() || !strings.Contains(c.String(), fmt.Sprintf("%d not run", len(results))) {
		t.Errorf("after an interrupt before anything started: %s", c)
	}
}
