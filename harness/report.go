package harness

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/userfile"
)

// Counts are a run's outcomes.
type Counts struct{ Passed, Failed, Errors, Skipped, NotRun int }

// Count tallies results by outcome.
func Count(results []Result) Counts {
	var c Counts
	for _, r := range results {
		switch r.Outcome {
		case Passed:
			c.Passed++
		case Failed:
			c.Failed++
		case Errored:
			c.Errors++
		case Skipped:
			c.Skipped++
		case NotRun:
			c.NotRun++
		}
	}
	return c
}

// String is the closing line CI systems read: "N passed, M failed, K
// skipped", with errors and runs not started when there are any.
func (c Counts) String() string {
	s := fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
	if c.Errors > 0 {
		s += fmt.Sprintf(", %d errors", c.Errors)
	}
	if c.NotRun > 0 {
		s += fmt.Sprintf(", %d not run", c.NotRun)
	}
	return s
}

// OK reports whether nothing failed, errored or was left unrun.
func (c Counts) OK() bool { return c.Failed == 0 && c.Errors == 0 && c.NotRun == 0 }

// Summary prints the skipped runs' reasons grouped, then each failure and
// error with its scenario's description (the cause and the fix), then the
// closing count line: the failures come last, next to the count, where a
// reader of a long log (a CI job's tail) finds them.
func Summary(w io.Writer, results []Result) Counts {
	skipped := map[string][]string{}
	var reasons []string
	for _, r := range results {
		switch r.Outcome {
		case Passed:
			if r.Evidence != "" {
				fmt.Fprintf(w, "\n--- PASS %s (%s)\n%s\n", r.Name(), r.Duration.Round(time.Millisecond), indent(r.Evidence))
			}
		case Skipped:
			if _, seen := skipped[r.Failure]; !seen {
				reasons = append(reasons, r.Failure)
			}
			skipped[r.Failure] = append(skipped[r.Failure], r.Name())
		}
	}
	if len(reasons) > 0 {
		fmt.Fprintln(w, "\nskipped, as not applying to this receiver:")
		for _, why := range reasons {
			fmt.Fprintf(w, "  %s:\n    %s\n", why, strings.Join(skipped[why], "\n    "))
		}
	}
	for _, r := range results {
		if r.Outcome != Failed && r.Outcome != Errored {
			continue
		}
		label := "FAIL"
		if r.Outcome == Errored {
			label = "ERROR"
		}
		fmt.Fprintf(w, "\n--- %s %s (%s)\n", label, r.Name(), r.Duration.Round(time.Millisecond))
		if d := strings.TrimSpace(r.Scenario.Description); d != "" {
			fmt.Fprintf(w, "%s\n%s\n\n", r.Scenario.Name, indent(d))
		}
		fmt.Fprintf(w, "%s\n", indent(r.Failure))
		if r.Evidence != "" {
			fmt.Fprintf(w, "\n  what happened:\n%s\n", indent(indent(r.Evidence)))
		}
	}
	c := Count(results)
	fmt.Fprintf(w, "\n%s\n", c)
	return c
}

// Line is the one-line progress report of a finished result.
func Line(r Result) string {
	status := map[Outcome]string{Passed: "PASS", Failed: "FAIL", Errored: "ERROR", Skipped: "SKIP", NotRun: "NOT RUN"}[r.Outcome]
	line := fmt.Sprintf("%s %s (%s)", status, r.Name(), r.Duration.Round(time.Millisecond))
	if r.Mode != "" {
		line += " [mode " + r.Mode + "]"
	}
	if r.Outcome == Skipped {
		line += ": " + r.Failure
	}
	return line
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Skipped int          `xml:"skipped,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Fails     int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// span is the wall time from the first start to the last end.
type span struct{ start, end time.Time }

func (s *span) add(r Result) {
	if r.Start.IsZero() {
		return
	}
	if s.start.IsZero() || r.Start.Before(s.start) {
		s.start = r.Start
	}
	if end := r.Start.Add(r.Duration); end.After(s.end) {
		s.end = end
	}
}

func (s span) seconds() string { return seconds(s.end.Sub(s.start)) }

// WriteJUnit writes the results as JUnit XML: one suite per scenario group
// (directory), one case per scenario and phase. Suite and total times are
// wall times (runs go in parallel); a failure's type is "expectation" or
// the run's "error", its text starts with the scenario's description.
func WriteJUnit(path string, results []Result) error {
	groups := map[string]*junitSuite{}
	spans := map[string]*span{}
	total := &span{}
	out := junitSuites{}
	for _, r := range results {
		g := groups[r.Scenario.Group]
		if g == nil {
			g = &junitSuite{Name: r.Scenario.Group}
			groups[r.Scenario.Group], spans[r.Scenario.Group] = g, &span{}
		}
		c := junitCase{Name: strings.TrimPrefix(r.Name(), r.Scenario.Group+"/"), ClassName: "sfemu." + r.Scenario.Group,
			Time: seconds(r.Duration), File: r.Scenario.File, Line: r.Line}
		first, _, _ := strings.Cut(r.Failure, "\n")
		text := r.Failure
		if d := strings.TrimSpace(r.Scenario.Description); d != "" {
			text = r.Scenario.Name + "\n" + d + "\n\n" + r.Failure
		}
		switch r.Outcome {
		case Failed:
			c.Failure = &junitProblem{Message: first, Type: "expectation", Text: text}
			g.Fails++
			out.Fails++
		case Errored:
			c.Error = &junitProblem{Message: first, Type: "error", Text: text}
			g.Errors++
			out.Errors++
		case Skipped, NotRun:
			c.Skipped = &junitSkipped{Message: r.Failure}
			g.Skipped++
			out.Skipped++
		}
		g.Tests++
		out.Tests++
		g.Cases = append(g.Cases, c)
		spans[r.Scenario.Group].add(r)
		total.add(r)
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g, sp := groups[n], spans[n]
		g.Time = sp.seconds()
		if !sp.start.IsZero() {
			g.Timestamp = sp.start.UTC().Format("2006-01-02T15:04:05")
		}
		out.Suites = append(out.Suites, *g)
	}
	out.Time = total.seconds()
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}

// RunTests runs scenarios as Go subtests (group/scenario/phase), in
// parallel, so `go test ./scenarios/... -run 'session-id/.*/removed'` works.
func RunTests(t *testing.T, opts Options, paths ...string) {
	t.Helper()
	files, err := Discover(paths...)
	if err != nil {
		t.Fatal(err)
	}
	opts, cleanup := opts.withContainers()
	t.Cleanup(cleanup)
	for _, f := range files {
		sc, err := LoadFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		name := sc.Group + "/" + strings.TrimSuffix(baseName(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			for _, phase := range sc.Phases {
				t.Run(phase, func(t *testing.T) {
					if opts.EmulatorListen == "" {
						t.Parallel()
					}
					res := RunScenario(t.Context(), sc, phase, opts)
					switch res.Outcome {
					case Skipped:
						t.Skip(res.Failure)
					case Passed:
					default:
						t.Errorf("%s: %s\n%s", res.Outcome, sc.Name, res.Failure)
					}
				})
			}
		})
	}
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// MergeJUnit merges JUnit reports WriteJUnit wrote (the shards of a CI
// matrix) into one at out: suites of the same group become one, their
// cases in order, counts added; times are the shards' added up, since they
// ran on different machines. It returns the merged counts.
func MergeJUnit(out string, inputs ...string) (Counts, error) {
	merged := junitSuites{}
	index := map[string]int{}
	seen := map[string]string{}
	for _, in := range inputs {
		data, err := userfile.Read(in, userfile.MaxData)
		if err != nil {
			return Counts{}, err
		}
		var s junitSuites
		if err := xml.Unmarshal(data, &s); err != nil {
			return Counts{}, fmt.Errorf("%s: not a JUnit report: %v", in, err)
		}
		for _, suite := range s.Suites {
			for _, c := range suite.Cases {
				key := suite.Name + "/" + c.Name
				if prev, dup := seen[key]; dup {
					return Counts{}, fmt.Errorf("%s and %s both ran %s: the reports overlap (each shard runs its own scenarios)", prev, in, key)
				}
				seen[key] = in
			}
			i, ok := index[suite.Name]
			if !ok {
				index[suite.Name] = len(merged.Suites)
				merged.Suites = append(merged.Suites, suite)
				continue
			}
			m := &merged.Suites[i]
			m.Cases = append(m.Cases, suite.Cases...)
			m.Tests, m.Fails, m.Errors, m.Skipped = m.Tests+suite.Tests, m.Fails+suite.Fails, m.Errors+suite.Errors, m.Skipped+suite.Skipped
			m.Time = addSeconds(m.Time, suite.Time)
			if suite.Timestamp != "" && (m.Timestamp == "" || suite.Timestamp < m.Timestamp) {
				m.Timestamp = suite.Timestamp
			}
		}
		merged.Tests, merged.Fails, merged.Errors, merged.Skipped = merged.Tests+s.Tests, merged.Fails+s.Fails, merged.Errors+s.Errors, merged.Skipped+s.Skipped
		merged.Time = addSeconds(merged.Time, s.Time)
	}
	sort.Slice(merged.Suites, func(a, b int) bool { return merged.Suites[a].Name < merged.Suites[b].Name })
	b, err := xml.MarshalIndent(merged, "", "  ")
	if err != nil {
		return Counts{}, err
	}
	c := Counts{Failed: merged.Fails, Errors: merged.Errors, Skipped: merged.Skipped}
	c.Passed = merged.Tests - merged.Fails - merged.Errors - merged.Skipped
	return c, os.WriteFile(out, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}

func addSeconds(a, b string) string {
	var x, y float64
	fmt.Sscanf(a, "%f", &x)
	fmt.Sscanf(b, "%f", &y)
	return fmt.Sprintf("%.3f", x+y)
}
