package harness

import (
	"context"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sfemu/sfemu/internal/safeyaml"
	"github.com/sfemu/sfemu/internal/userfile"
)

// Selection picks which scenario runs a run makes: by tag, by name, and
// which shard of a CI matrix this process is.
type Selection struct {
	// Tags keeps scenarios with at least one of these tags; SkipTags drops
	// scenarios with any of those.
	Tags, SkipTags []string
	// Pattern keeps runs whose name ("group/file [phase]") it matches.
	Pattern *regexp.Regexp
	// Shard and Shards: this process runs shard Shard (1-based) of Shards.
	// Scenarios, with all their phases, are dealt so that the shards take
	// about the same time: by Timings when given (a previous run's JUnit
	// report), else by their number of phases.
	Shard, Shards int
	Timings       map[string]time.Duration
}

// Job is one scenario in one phase, selected to run.
type Job struct {
	Scenario *Scenario
	Phase    string
}

// Name is "group/file [phase]", the name results and JUnit use.
func (j Job) Name() string { return Result{Scenario: j.Scenario, Phase: j.Phase}.Name() }

// ParseShard reads "K/N" (1 ≤ K ≤ N).
func ParseShard(s string) (k, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &k, &n); err != nil || n < 1 || k < 1 || k > n || fmt.Sprintf("%d/%d", k, n) != s {
		return 0, 0, fmt.Errorf("--shard %q: want K/N with 1 ≤ K ≤ N, such as 2/3", s)
	}
	return k, n, nil
}

// jobs lists the selected runs, in file and phase order.
func (s Selection) jobs(scenarios []*Scenario) []Job {
	var kept []*Scenario
	for _, sc := range scenarios {
		if len(s.Tags) > 0 && !slices.ContainsFunc(sc.Tags, func(t string) bool { return slices.Contains(s.Tags, t) }) {
			continue
		}
		if slices.ContainsFunc(sc.Tags, func(t string) bool { return slices.Contains(s.SkipTags, t) }) {
			continue
		}
		kept = append(kept, sc)
	}
	var jobs []Job
	for _, sc := range s.shard(kept) {
		for _, ph := range sc.Phases {
			j := Job{sc, ph}
			if s.Pattern != nil && !s.Pattern.MatchString(j.Name()) {
				continue
			}
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// shard keeps this shard's scenarios. Longest first, each goes to the
// least loaded shard (ties to the lowest): the same inputs always deal the
// same way, and together the shards run every scenario once.
func (s Selection) shard(scenarios []*Scenario) []*Scenario {
	if s.Shards <= 1 {
		return scenarios
	}
	weight := func(sc *Scenario) time.Duration {
		var w time.Duration
		for _, ph := range sc.Phases {
			d, ok := s.Timings[Job{sc, ph}.Name()]
			if !ok {
				d = s.typicalRun()
			}
			w += d
		}
		return w
	}
	order := slices.Clone(scenarios)
	weights := map[*Scenario]time.Duration{}
	for _, sc := range order {
		weights[sc] = weight(sc)
	}
	sort.SliceStable(order, func(a, b int) bool {
		if weights[order[a]] != weights[order[b]] {
			return weights[order[a]] > weights[order[b]]
		}
		return order[a].File < order[b].File
	})
	load := make([]time.Duration, s.Shards)
	mine := map[*Scenario]bool{}
	for _, sc := range order {
		least := 0
		for i := range load {
			if load[i] < load[least] {
				least = i
			}
		}
		load[least] += weights[sc]
		if least == s.Shard-1 {
			mine[sc] = true
		}
	}
	var out []*Scenario
	for _, sc := range scenarios { // back in file order
		if mine[sc] {
			out = append(out, sc)
		}
	}
	return out
}

// typicalRun weighs a run the timings do not know: their median, else 1s.
func (s Selection) typicalRun() time.Duration {
	if len(s.Timings) == 0 {
		return time.Second
	}
	all := make([]time.Duration, 0, len(s.Timings))
	for _, d := range s.Timings {
		all = append(all, d)
	}
	slices.Sort(all)
	return all[len(all)/2]
}

// ReadJUnitTimings reads the run times of a JUnit report WriteJUnit wrote,
// by run name, for --shard to balance on.
func ReadJUnitTimings(path string) (map[string]time.Duration, error) {
	data, err := userfile.Read(path, userfile.MaxData)
	if err != nil {
		return nil, err
	}
	var suites junitSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		return nil, fmt.Errorf("%s: not a JUnit report: %v", path, err)
	}
	out := map[string]time.Duration{}
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			var sec float64
			if _, err := fmt.Sscanf(c.Time, "%f", &sec); err != nil || c.Skipped != nil {
				continue
			}
			out[strings.TrimPrefix(c.ClassName, "sfemu.")+"/"+c.Name] = time.Duration(sec * float64(time.Second))
		}
	}
	return out, nil
}

// Planned is what a run would do with one job: run it (in a profile mode,
// maybe) or skip it.
type Planned struct {
	Job
	Mode string
	Skip string
}

// Plan loads and selects the scenarios under paths and says what a run
// would do with each, without running anything (sfemu run --list).
func Plan(opts Options, paths ...string) ([]Planned, error) {
	jobs, err := selectJobs(opts, paths)
	if err != nil {
		return nil, err
	}
	out := make([]Planned, len(jobs))
	for i, j := range jobs {
		r := &run{sc: j.Scenario, phase: j.Phase, opts: opts}
		spec := r.receiverSpec()
		profile, why := opts.profileFor(spec).resolve(j.Scenario.requirements(), opts.env(context.Background(), spec))
		out[i] = Planned{Job: j, Skip: why}
		if profile != nil {
			out[i].Mode = profile.Mode
		}
	}
	return out, nil
}

// selectJobs loads every scenario under paths (all load errors together)
// and selects the runs.
func selectJobs(opts Options, paths []string) ([]Job, error) {
	files, err := Discover(paths...)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no scenario files under %s", strings.Join(paths, ", "))
	}
	var scenarios []*Scenario
	var loadErrs []string
	for _, f := range files {
		if isFixtureFile(f) {
			if opts.Progress != nil {
				opts.Progress(Event{Note: f + ": an org fixture, not a scenario: skipped (a scenario names it in org.fixture)"})
			}
			continue
		}
		sc, err := LoadFile(f)
		if err != nil {
			loadErrs = append(loadErrs, err.Error())
			continue
		}
		scenarios = append(scenarios, sc)
	}
	if len(loadErrs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(loadErrs, "\n"))
	}
	return opts.Select.jobs(scenarios), nil
}

// fixtureKeys are top-level keys only org fixtures have.
var fixtureKeys = []string{"users", "apps", "profiles", "permission_sets", "objects", "records", "outbound_messages", "settings", "network_access"}

// isFixtureFile recognises an org fixture kept beside scenarios (one a
// scenario names in org.fixture): no steps, and an org with a name or keys
// only fixtures have. It is skipped with a note, not parsed as a broken
// scenario.
func isFixtureFile(path string) bool {
	data, err := userfile.Read(path, userfile.MaxYAML)
	if err != nil {
		return false
	}
	var top map[string]any
	if safeyaml.Unmarshal(path, data, &top) != nil || top == nil {
		return false
	}
	if _, ok := top["steps"]; ok {
		return false
	}
	if o, ok := top["org"].(map[string]any); ok {
		if _, named := o["name"]; named {
			return true
		}
	}
	for _, k := range fixtureKeys {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}
