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
)

// Summary prints one line per result and the closing count line
// "N passed, M failed" that CI systems read.
func Summary(w io.Writer, results []Result) (passed, failed int) {
	for _, r := range results {
		if r.Passed {
			passed++
			continue
		}
		failed++
		fmt.Fprintf(w, "\n--- FAIL %s (%s)\n%s\n", r.Name(), r.Duration.Round(time.Millisecond), indent(r.Failure))
	}
	fmt.Fprintf(w, "\n%d passed, %d failed\n", passed, failed)
	return passed, failed
}

// Line is the one-line progress report of a finished result.
func Line(r Result) string {
	status := "PASS"
	if !r.Passed {
		status = "FAIL"
	}
	return fmt.Sprintf("%s %s (%s)", status, r.Name(), r.Duration.Round(time.Millisecond))
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Time    string       `xml:"time,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name  string      `xml:"name,attr"`
	Tests int         `xml:"tests,attr"`
	Fails int         `xml:"failures,attr"`
	Time  string      `xml:"time,attr"`
	Cases []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the results as JUnit XML: one suite per scenario group
// (directory), one case per scenario and phase.
func WriteJUnit(path string, results []Result) error {
	groups := map[string]*junitSuite{}
	var total time.Duration
	out := junitSuites{}
	for _, r := range results {
		g := groups[r.Scenario.Group]
		if g == nil {
			g = &junitSuite{Name: r.Scenario.Group}
			groups[r.Scenario.Group] = g
		}
		c := junitCase{Name: strings.TrimPrefix(r.Name(), r.Scenario.Group+"/"), ClassName: "sfemu." + r.Scenario.Group, Time: seconds(r.Duration)}
		if !r.Passed {
			first, _, _ := strings.Cut(r.Failure, "\n")
			c.Failure = &junitFailure{Message: first, Text: r.Failure}
			g.Fails++
			out.Fails++
		}
		g.Tests++
		out.Tests++
		g.Cases = append(g.Cases, c)
		total += r.Duration
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g := groups[n]
		var d time.Duration
		for _, c := range g.Cases {
			var f float64
			fmt.Sscanf(c.Time, "%f", &f)
			d += time.Duration(f * float64(time.Second))
		}
		g.Time = seconds(d)
		out.Suites = append(out.Suites, *g)
	}
	out.Time = seconds(total)
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
					if !res.Passed {
						t.Errorf("%s\n%s", sc.Name, res.Failure)
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
