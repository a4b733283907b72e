package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sfemu/sfemu/harness"
)

const runUsage = `usage: sfemu run [--receiver example|example-container|container:IMAGE|url:URL|cmd:'COMMAND ARGS'] [--env K=V]... [--emulator URL | --emulator-listen ADDR] [--junit FILE] [--parallel N] [PATH...]`

// runRun implements `sfemu run`: the scenario catalogue against a receiver.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	receiver := fs.String("receiver", "example", "the receiver under test: example (the bundled one as a process), example-container (the bundled one as a container), auto (example-container when a Docker engine answers, else example; with CI=true a missing engine is an error), container:IMAGE, url:URL of a running endpoint, or cmd:'COMMAND ARGS' to start")
	var env stringList
	fs.Var(&env, "env", "`K=V` added to the receiver's environment (templates such as {{.EmulatorURL}} work; repeatable)")
	junit := fs.String("junit", "", "write a JUnit XML report to `FILE`")
	parallel := fs.Int("parallel", 0, "scenario runs at once (default 2 × CPUs)")
	verbose := fs.Bool("v", false, "print a line per scenario run as it finishes")
	clean := fs.Bool("clean", false, "remove containers and networks that killed runs left behind, then exit")
	emulatorListen := fs.String("emulator-listen", "", "fixed `ADDR` for every scenario's emulator (e.g. 127.0.0.1:8085), for a url: receiver already configured with it; runs go one at a time")
	emulatorURL := fs.String("emulator", "", "drive the sfemu already running at `URL` (sfemu serve, a CI service container) instead of one per scenario: each run loads its org there; runs go one at a time; scenarios that move time need it started with --clock virtual")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *clean {
		containers, networks, err := harness.Leftovers(context.Background(), "", true)
		if err != nil {
			fmt.Fprintf(stderr, "sfemu run: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "removed %d containers and %d networks left by earlier runs\n", len(containers), len(networks))
		return 0
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *receiver == "auto" {
		if err := harness.DockerAvailable(ctx); err != nil {
			if os.Getenv("CI") == "true" {
				fmt.Fprintf(stderr, "sfemu run: CI=true and no Docker engine answers (%v): container receivers must run in CI\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "receiver: the bundled example receiver as a local process (no Docker engine: %v)\n", err)
			*receiver = "example"
		} else {
			fmt.Fprintln(stdout, "receiver: the bundled example receiver in a container (testcontainers-go, image built FROM scratch)")
			*receiver = "example-container"
		}
	}
	spec, err := parseReceiverFlag(*receiver)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu run: %v\n%s\n", err, runUsage)
		return 2
	}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			fmt.Fprintf(stderr, "sfemu run: --env %q: want K=V\n", kv)
			return 2
		}
		if spec.Env == nil {
			spec.Env = map[string]string{}
		}
		spec.Env[k] = v
	}
	if *emulatorListen != "" && *emulatorURL != "" {
		fmt.Fprintln(stderr, "sfemu run: give --emulator (a running sfemu) or --emulator-listen (sfemu's own, at a fixed address), not both")
		return 2
	}
	opts := harness.Options{Receiver: spec, Parallel: *parallel, EmulatorListen: *emulatorListen, EmulatorURL: *emulatorURL}
	if *verbose {
		opts.Log = func(r harness.Result) { fmt.Fprintln(stdout, harness.Line(r)) }
	}
	start := time.Now()
	results, err := harness.Run(ctx, opts, paths...)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu run: %v\n", err)
		return 2
	}
	if *junit != "" {
		if err := harness.WriteJUnit(*junit, results); err != nil {
			fmt.Fprintf(stderr, "sfemu run: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "%d scenario runs in %s\n", len(results), time.Since(start).Round(time.Millisecond))
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "interrupted: the runs still going were stopped and their receivers removed")
	}
	// The count line comes last: CI systems read the closing line.
	counts := harness.Summary(stdout, results)
	if ctx.Err() != nil {
		return 130
	}
	if !counts.OK() {
		return 1
	}
	return 0
}

func parseReceiverFlag(s string) (*harness.ReceiverSpec, error) {
	switch {
	case s == "" || s == "example":
		return &harness.ReceiverSpec{}, nil
	case s == "example-container":
		return &harness.ReceiverSpec{Container: &harness.ContainerSpec{Image: "example"}}, nil
	case strings.HasPrefix(s, "container:"):
		return &harness.ReceiverSpec{Container: &harness.ContainerSpec{Image: strings.TrimPrefix(s, "container:")}}, nil
	case strings.HasPrefix(s, "url:"):
		return &harness.ReceiverSpec{URL: strings.TrimPrefix(s, "url:")}, nil
	case strings.HasPrefix(s, "cmd:"):
		fields := strings.Fields(strings.TrimPrefix(s, "cmd:"))
		if len(fields) == 0 {
			return nil, fmt.Errorf("--receiver cmd: needs a command")
		}
		return &harness.ReceiverSpec{Command: fields}, nil
	}
	return nil, fmt.Errorf("--receiver %q: want example, example-container, container:IMAGE, url:URL or cmd:'COMMAND ARGS'", s)
}
