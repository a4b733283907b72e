package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sfemu/sfemu/emulator/guard"
	"github.com/sfemu/sfemu/harness"
	"github.com/sfemu/sfemu/internal/envflag"
)

const runUsage = `usage: sfemu run [--receiver example|example-container|auto|container:IMAGE|url:URL|cmd:'COMMAND ARGS']
                 [--profile FILE] [--ready PATH|log:TEXT] [--endpoint-path PATH] [--port N] [--env K=V]...
                 [--tags T,…] [--skip-tags T,…] [--run REGEX] [--shard K/N [--shard-timings JUNIT]] [--list]
                 [--emulator URL [--emulator-self URL] [--receiver-host ADDR] | --emulator-listen ADDR] [--control-token TOKEN]
                 [--junit FILE] [--parallel N] [-v] [--show] [--keep-on-failure] [PATH...]
       sfemu run --clean [--force]`

// runRun implements `sfemu run`: the scenario catalogue against a receiver,
// until SIGINT or SIGTERM stops it (and the emulators --keep-on-failure kept).
func runRun(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runScenarios(ctx, args, stdout, stderr)
}

// runScenarios is `sfemu run` until ctx ends.
func runScenarios(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	receiver := fs.String("receiver", "example", "the receiver under test: example (the bundled one as a process), example-container (the bundled one as a container), auto (example-container when a Docker engine answers, else example; with CI=true a missing engine is an error), container:IMAGE, url:URL of a running endpoint, or cmd:'COMMAND ARGS' to start")
	profile := fs.String("profile", "", "the receiver's profile `FILE`: what it does that Salesforce can see (docs/RECEIVERS.md); default: the bundled receiver's for the bundled receiver, else a minimal one")
	ready := fs.String("ready", "", "the receiver's ready `PATH` (GET answering 200), or log:TEXT to wait for a line of its output (default: the profile's, else /healthz)")
	endpointPath := fs.String("endpoint-path", "", "the `PATH` the receiver takes outbound messages at (default: the profile's, else /outbound)")
	port := fs.Int("port", 0, "the port a container receiver listens on inside its container (default: the profile's, else 8086)")
	var env envflag.StringList
	fs.Var(&env, "env", "`K=V` added to the receiver's environment (templates such as {{.EmulatorURL}} work; repeatable)")
	tags := fs.String("tags", "", "run only scenarios with one of these `TAGS` (comma-separated)")
	skipTags := fs.String("skip-tags", "", "leave out scenarios with any of these `TAGS`")
	pattern := fs.String("run", "", "run only the runs whose name (group/file [phase]) matches `REGEX`")
	shard := fs.String("shard", "", "run shard `K/N` of the selected scenarios (a CI matrix; the shards together run each once)")
	timings := fs.String("shard-timings", "", "a previous run's JUnit `FILE`, to balance --shard by run time")
	list := fs.Bool("list", false, "print the runs that would be made (and why others are skipped), then exit")
	junit := fs.String("junit", "", "write a JUnit XML report to `FILE`")
	parallel := fs.Int("parallel", 0, "scenario runs at once (default 2 × CPUs)")
	verbose := fs.Bool("v", false, "print a line per scenario run as it starts and finishes")
	show := fs.Bool("show", false, "print what happened in every run, passing ones too: deliveries, token requests with their reasons, API calls")
	clean := fs.Bool("clean", false, "remove the containers, networks and images that killed runs left behind, then exit")
	force := fs.Bool("force", false, "with --clean: also what runs still going made")
	emulatorListen := fs.String("emulator-listen", "", "fixed `ADDR` for every scenario's emulator (e.g. 127.0.0.1:8085), for a url: receiver already configured with it; runs go one at a time")
	receiverHost := fs.String("receiver-host", "", "the `ADDR` a process receiver listens on and outbound messages go to (default 127.0.0.1); with --emulator in a container, this machine's address on the container's Docker network")
	emulatorSelf := fs.String("emulator-self", "", "with --emulator: the `URL` the emulator reaches itself at, for stories that send to its test receiver (inside a container: http://127.0.0.1:8085)")
	emulatorURL := fs.String("emulator", "", "drive the sfemu already running at `URL` (sfemu serve, a CI service container) instead of one per scenario: each run loads its org there; runs go one at a time; scenarios that move time need it started with --clock virtual")
	controlToken := fs.String("control-token", "", "the control `TOKEN` of --emulator's sfemu (sfemu serve --control-token); the run's own emulators ask for it when they listen beyond loopback (default $"+envflag.Name("control-token")+"; else one per run)")
	reuse := fs.String("container-reuse", "restart", "what a container receiver carries from one scenario to the next: restart (the same container, a new process: the default), running (the same process, with what it holds in memory: fastest), none (a new container each scenario)")
	keep := fs.Bool("keep-on-failure", false, fmt.Sprintf("leave the emulator and receiver of each failed run (at most %d) running after the run, print where (and the console), and wait for Ctrl-C", harness.MaxKept))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	tokenRef := "--control-token"
	if *controlToken == "" {
		*controlToken, tokenRef = os.Getenv(envflag.Name("control-token")), "$"+envflag.Name("control-token")
	}
	usage := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "sfemu run: "+format+"\n%s\n", append(args, runUsage)...)
		return 2
	}
	if *clean {
		c, err := harness.CleanLeftovers(ctx, *force)
		fmt.Fprintf(stdout, "removed %d containers, %d networks, %d dangling images and %d build folders left by earlier runs\n",
			c.Containers, c.Networks, c.Images, c.Folders)
		if err != nil {
			fmt.Fprintf(stderr, "sfemu run: %v\n", err)
			return 1
		}
		return 0
	}
	defer harness.RemoveBuilds()
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"scenarios"}
	}
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
		return usage("%v", err)
	}
	spec.Ready, spec.EndpointPath, spec.Port = *ready, *endpointPath, *port
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return usage("--env %q: want K=V", kv)
		}
		if spec.Env == nil {
			spec.Env = map[string]string{}
		}
		spec.Env[k] = v
	}
	if *emulatorListen != "" && *emulatorURL != "" {
		return usage("give --emulator (a running sfemu) or --emulator-listen (sfemu's own, at a fixed address), not both")
	}
	if *keep && (*emulatorListen != "" || *emulatorURL != "") {
		return usage("--keep-on-failure keeps the run's own emulators, each on its own port: not with --emulator (yours stays up anyway; pick the story with --run) or --emulator-listen")
	}
	containerReuse, err := harness.ParseContainerReuse(*reuse)
	if err != nil {
		return usage("--container-reuse: %v", err)
	}
	if *controlToken != "" {
		if err := guard.CheckToken(*controlToken); err != nil {
			return usage("%s: %v", tokenRef, err)
		}
	}
	opts := harness.Options{Receiver: spec, Parallel: *parallel, EmulatorListen: *emulatorListen, EmulatorURL: *emulatorURL,
		EmulatorSelf: *emulatorSelf, ReceiverHost: *receiverHost, Evidence: *show, ControlToken: *controlToken, KeepOnFailure: *keep, ContainerReuse: containerReuse}
	if *profile != "" {
		if opts.Profile, err = harness.LoadProfile(*profile); err != nil {
			return usage("--profile: %v", err)
		}
	}
	opts.Select.Tags, opts.Select.SkipTags = splitList(*tags), splitList(*skipTags)
	if *pattern != "" {
		if opts.Select.Pattern, err = regexp.Compile(*pattern); err != nil {
			return usage("--run %q: %v", *pattern, err)
		}
	}
	if *shard != "" {
		if opts.Select.Shard, opts.Select.Shards, err = harness.ParseShard(*shard); err != nil {
			return usage("%v", err)
		}
	}
	if *timings != "" {
		if opts.Select.Timings, err = harness.ReadJUnitTimings(*timings); err != nil {
			return usage("--shard-timings: %v", err)
		}
	}
	if *list {
		return listRuns(stdout, stderr, opts, paths)
	}
	if err := harness.Preflight(ctx, opts); err != nil {
		fmt.Fprintf(stderr, "sfemu run: %v\n", err)
		return 2
	}
	progress := newProgress(stdout, *verbose)
	opts.Progress = progress.event
	defer progress.stop()
	start := time.Now()
	results, err := harness.Run(ctx, opts, paths...)
	progress.stop()
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
		fmt.Fprintln(stdout, "interrupted: the runs still going were stopped and their receivers removed; the others were not run")
	}
	// The count line comes last: CI systems read the closing line.
	counts := harness.Summary(stdout, results)
	if ctx.Err() != nil {
		harness.CloseKept(results)
		return 130
	}
	waitForKept(ctx, stdout, results)
	if !counts.OK() {
		return 1
	}
	return 0
}

// waitForKept says where the runs --keep-on-failure kept are, and keeps
// them until ctx ends (Ctrl-C); then it stops them.
func waitForKept(ctx context.Context, stdout io.Writer, results []harness.Result) {
	n := 0
	for _, r := range results {
		k := r.Kept
		if k == nil {
			continue
		}
		if n == 0 {
			fmt.Fprintln(stdout, "\nkept for a look at what happened (--keep-on-failure):")
		}
		n++
		fmt.Fprintf(stdout, "  %s (%s)\n", r.Name(), r.Outcome)
		fmt.Fprintf(stdout, "    emulator  %s\n", k.EmulatorURL)
		fmt.Fprintf(stdout, "    console   %s\n", k.ConsoleURL)
		if k.Receiver != "" {
			fmt.Fprintf(stdout, "    receiver  %s\n", k.Receiver)
		}
		tokenFlag := ""
		if k.ControlToken != "" {
			tokenFlag = " --control-token " + k.ControlToken
		}
		fmt.Fprintf(stdout, "    e.g.      sfemu tokens --emulator %s%s   (logins, deliveries, queue)\n", k.EmulatorURL, tokenFlag)
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(stdout, "%d kept; they run until you press Ctrl-C (or send SIGTERM), which stops them and ends sfemu run\n", n)
	<-ctx.Done()
	harness.CloseKept(results)
	fmt.Fprintln(stdout, "stopped the kept emulators and receivers")
}

// listRuns prints what a run would do, without running anything.
func listRuns(stdout, stderr io.Writer, opts harness.Options, paths []string) int {
	opts.Progress = func(ev harness.Event) {
		if ev.Note != "" {
			fmt.Fprintln(stdout, "note: "+ev.Note)
		}
	}
	planned, err := harness.Plan(opts, paths...)
	if err != nil {
		fmt.Fprintf(stderr, "sfemu run: %v\n", err)
		return 2
	}
	runs := 0
	for _, p := range planned {
		switch {
		case p.Skip != "":
			fmt.Fprintf(stdout, "skip %s: %s\n", p.Name(), p.Skip)
		case p.Mode != "":
			runs++
			fmt.Fprintf(stdout, "run  %s [mode %s]\n", p.Name(), p.Mode)
		default:
			runs++
			fmt.Fprintf(stdout, "run  %s\n", p.Name())
		}
	}
	fmt.Fprintf(stdout, "%d runs, %d skipped\n", runs, len(planned)-runs)
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// progress prints a counter on every finished run ([12/32] PASS …), a
// start line per run with -v, and otherwise a heartbeat every 10 s, so a
// long run never looks stuck.
type progress struct {
	out     io.Writer
	verbose bool

	mu      sync.Mutex
	total   int
	done    int
	running map[string]time.Time
	quit    chan struct{}
	once    sync.Once
}

func newProgress(out io.Writer, verbose bool) *progress {
	p := &progress{out: out, verbose: verbose, running: map[string]time.Time{}, quit: make(chan struct{})}
	if !verbose {
		go p.heartbeat(10 * time.Second)
	}
	return p
}

func (p *progress) event(ev harness.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Note == "" {
		p.total = ev.Total
	}
	switch {
	case ev.Note != "":
		fmt.Fprintln(p.out, "note: "+ev.Note)
		return
	case ev.Job != nil:
		p.running[ev.Job.Name()] = time.Now()
		if p.verbose {
			fmt.Fprintf(p.out, "[%d/%d] start %s\n", p.done, p.total, ev.Job.Name())
		}
	case ev.Result != nil:
		p.done = ev.Done
		delete(p.running, ev.Result.Name())
		if p.verbose || ev.Result.Outcome == harness.Failed || ev.Result.Outcome == harness.Errored {
			fmt.Fprintf(p.out, "[%d/%d] %s\n", ev.Done, ev.Total, harness.Line(*ev.Result))
		}
	}
}

func (p *progress) heartbeat(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.mu.Lock()
			names := make([]string, 0, len(p.running))
			for n := range p.running {
				names = append(names, n)
			}
			sort.Slice(names, func(a, b int) bool { return p.running[names[a]].Before(p.running[names[b]]) })
			line := fmt.Sprintf("… %d/%d runs done, %d running", p.done, p.total, len(names))
			if len(names) > 0 {
				line += fmt.Sprintf(" (longest: %s, %s)", names[0], time.Since(p.running[names[0]]).Round(time.Second))
			}
			fmt.Fprintln(p.out, line)
			p.mu.Unlock()
		}
	}
}

func (p *progress) stop() { p.once.Do(func() { close(p.quit) }) }

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
	return nil, fmt.Errorf("--receiver %q: want example, example-container, auto, container:IMAGE, url:URL or cmd:'COMMAND ARGS'", s)
}
