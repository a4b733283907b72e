// Command sfemu-harness is sfemu's scenario harness: `sfemu run` and
// `sfemu merge-junit` start it (from beside sfemu, else from $PATH) with
// the same arguments. It is its own binary because it links go-cmp and
// testcontainers-go, whose package initialisation would otherwise slow
// every `sfemu serve` start (docs/PERFORMANCE.md, "Cold start").
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sfemu/sfemu/internal/buildinfo"
)

const usage = `sfemu-harness — sfemu's scenario harness; sfemu run and sfemu merge-junit start it

Usage:
  sfemu-harness run [flags] [PATH...]          the same as sfemu run (sfemu-harness run --help)
  sfemu-harness merge-junit --out FILE REPORT...
  sfemu-harness version
`

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	checkCaller(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return runRun(rest, stdout, stderr)
	case "merge-junit":
		return runMergeJUnit(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "sfemu-harness", buildinfo.Version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "sfemu-harness: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// checkCaller warns when the sfemu that started this harness was built
// from something else (an old sfemu-harness on $PATH): flags and
// behaviour may differ. The variable is dropped so that receivers the
// harness starts do not inherit it.
func checkCaller(stderr io.Writer) {
	caller, ok := os.LookupEnv(buildinfo.CallerEnv)
	if !ok {
		return
	}
	os.Unsetenv(buildinfo.CallerEnv)
	if w := callerWarning(caller, buildinfo.Stamp()); w != "" {
		fmt.Fprintln(stderr, w)
	}
}

// callerWarning is the warning for an sfemu of build caller starting this
// harness of build own: none when they match or either is unknown.
func callerWarning(caller, own string) string {
	if caller == "" || own == "" || caller == own {
		return ""
	}
	return fmt.Sprintf("sfemu-harness: warning: sfemu is build %q, this sfemu-harness %q: flags and checks may differ; "+
		"build them together (make build, or go install github.com/sfemu/sfemu/cmd/...@VERSION)", caller, own)
}
