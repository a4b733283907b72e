package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/sfemu/sfemu/harness"
)

// runMergeJUnit implements `sfemu merge-junit`: the JUnit reports of the
// shards of a CI matrix (sfemu run --shard K/N --junit …) as one.
func runMergeJUnit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu merge-junit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the merged report to `FILE`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: sfemu merge-junit --out FILE REPORT...")
		return 2
	}
	total, err := harness.MergeJUnit(*out, fs.Args()...)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu merge-junit: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d reports, %s\n", *out, fs.NArg(), total)
	return 0
}
