package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/httplimit"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/wire"
)

// Options configure a run.
type Options struct {
	// Receiver replaces every scenario's receiver command or URL (its env
	// and endpoint still apply). Nil: the bundled example receiver.
	Receiver *ReceiverSpec
	// Parallel is how many scenario runs go at once (default: 2 × CPUs).
	Parallel int
	// KeysDir holds the test keys (default: fixtures/keys found upwards
	// from the working directory).
	KeysDir string
	// Progress hears of each run starting and finishing (nil: silent); it
	// may be called from several goroutines at once.
	Progress func(Event)
	// Select picks the runs: tags, a name pattern, a shard.
	Select Selection
	// ReadyTimeout bounds the wait for a receiver to become ready (default
	// 20s).
	ReadyTimeout time.Duration
	// Evidence records in each Result what happened (deliveries, token
	// requests, API calls), for sfemu run --show.
	Evidence bool
	// RunID labels the containers and network the run creates (default: a
	// fresh id), to find them with Leftovers.
	RunID string
	// EmulatorListen fixes the address every scenario's emulator listens on
	// (e.g. 127.0.0.1:8085), for a receiver that is already running and
	// configured with that login URL. Runs are then one at a time.
	EmulatorListen string
	// ServerLimits bound the connections of each run's own emulator server
	// (package httplimit: header, body, response and idle timeouts, header
	// size); the zero value is httplimit.Defaults(), what `sfemu serve` has.
	ServerLimits httplimit.Limits
	// EmulatorURL drives an sfemu that is already running (`sfemu serve`,
	// a CI service container) through its control API instead of starting
	// one per scenario: each run loads its org there (PUT /_sfemu/orgs).
	// Runs are then one at a time; scenarios that move time need it started
	// with --clock virtual.
	EmulatorURL string
	// ReceiverHost is the address a process receiver listens on and
	// outbound messages go to (default 127.0.0.1): with an emulator in a
	// container (EmulatorURL), the host's address on the container's Docker
	// network, which it can reach.
	ReceiverHost string
	// EmulatorSelf is how the emulator at EmulatorURL reaches itself, for
	// endpoints written "{{.EmulatorURL}}/_sfemu/test-receiver/…": inside a
	// container, http://127.0.0.1:8085 (default: EmulatorURL).
	EmulatorSelf string
	// Profile says what the receiver does that Salesforce can see
	// (docs/RECEIVERS.md). Nil: the bundled receiver's profile when the
	// bundled receiver runs, else MinimalProfile.
	Profile *Profile
	// ControlToken is the control token of the sfemu at EmulatorURL (`sfemu
	// serve --control-token`), sent on every control call. The run's own
	// emulators ask for it too when they listen beyond loopback (a container
	// receiver's Docker network gateway, an EmulatorListen elsewhere); if it
	// is empty there, Run makes one for the run (Kept.ControlToken tells it).
	ControlToken string
	// ContainerReuse says what a container receiver carries from one
	// scenario to the next (default ReuseRestart: the same container,
	// restarted; container_pool.go).
	ContainerReuse ContainerReuse
	// KeepOnFailure leaves the emulator (and the receiver, but for a url:
	// one, which is not the run's) of every run that failed or errored
	// running after the run, up to MaxKept of them, for a person to look
	// around; Result.Kept says where, and closing it (or CloseKept) stops
	// them. Not with EmulatorURL or EmulatorListen: later runs would take
	// the emulator's state or address.
	KeepOnFailure bool

	containers *containerEnv // shared by the run's container receivers
	keeper     *keeper       // counts the runs KeepOnFailure kept
	runToken   string        // the run's own emulators' token, without ControlToken
}

// MaxKept bounds how many failed runs Options.KeepOnFailure keeps.
const MaxKept = 10

// keeper counts kept runs across a Run.
type keeper struct {
	kept    atomic.Int32
	dropped atomic.Int32
}

// Kept is a failed run's emulator (and receiver) left running by
// Options.KeepOnFailure.
type Kept struct {
	// EmulatorURL is where the run's emulator answers; ConsoleURL its
	// console (EmulatorURL/_sfemu/ui/), with ?token= when it asks for one.
	EmulatorURL, ConsoleURL string
	// ControlToken is the token the emulator asks for under /_sfemu/ ("":
	// none, on loopback).
	ControlToken string
	// Receiver says what runs the receiver, "" when the run kept none.
	Receiver string

	once  sync.Once
	close func()
}

// Close stops the kept emulator and receiver.
func (k *Kept) Close() {
	if k != nil {
		k.once.Do(k.close)
	}
}

// CloseKept closes every kept run of results.
func CloseKept(results []Result) {
	for _, r := range results {
		r.Kept.Close()
	}
}

// withContainers gives a run its shared container environment; the
// returned function removes what it created.
func (o Options) withContainers() (Options, func()) {
	if o.containers != nil {
		return o, func() {}
	}
	if o.RunID == "" {
		o.RunID = fmt.Sprintf("run-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	o.containers = &containerEnv{runID: o.RunID, pool: newContainerPool()}
	return o, o.containers.close
}

// Outcome is how a scenario run ended.
type Outcome string

const (
	Passed Outcome = "passed"
	// Failed: an expectation did not hold (or an expect_failure scenario's
	// all did): the receiver's behaviour is wrong.
	Failed Outcome = "failed"
	// Errored: the run could not be carried out — the receiver did not
	// start, Docker failed, a step the scenario asked for was refused.
	// It never satisfies expect_failure.
	Errored Outcome = "error"
	// Skipped: the scenario does not apply to this receiver (Reason says
	// why).
	Skipped Outcome = "skipped"
	// NotRun: the run was interrupted before this one started.
	NotRun Outcome = "not run"
)

// Result is one scenario in one phase.
type Result struct {
	Scenario *Scenario
	Phase    string
	Outcome  Outcome
	// Passed is Outcome == Passed.
	Passed bool
	// Failure says what went wrong: the step, a go-cmp diff of want and
	// got, and the receiver's log tail. For a skipped run, why it does not
	// apply.
	Failure string
	// Mode is the profile mode the run used, if any.
	Mode string
	// Line is the scenario line of the step that failed (0: none).
	Line int
	// Evidence is what happened, when Options.Evidence asked for it.
	Evidence string
	Start    time.Time
	Duration time.Duration
	// Kept is the emulator Options.KeepOnFailure left running for this
	// failed run; nil for the others. Close it when done.
	Kept *Kept
}

// Name is "group/file [phase]".
func (r Result) Name() string {
	return fmt.Sprintf("%s/%s [%s]", r.Scenario.Group, strings.TrimSuffix(filepath.Base(r.Scenario.File), filepath.Ext(r.Scenario.File)), r.Phase)
}

// Discover expands files and directories into scenario files (*.yaml, *.yml), sorted.
func Discover(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// Run loads the scenarios under paths and runs the selected ones in each
// of their phases, in parallel. Load errors stop the run before anything
// starts; an interrupted run reports the runs it never started as NotRun.
func Run(ctx context.Context, opts Options, paths ...string) ([]Result, error) {
	jobs, err := selectJobs(opts, paths)
	if err != nil {
		return nil, err
	}
	opts, cleanup := opts.withContainers()
	if opts.KeepOnFailure && (opts.EmulatorURL != "" || opts.EmulatorListen != "") {
		cleanup()
		return nil, fmt.Errorf("KeepOnFailure keeps the run's own emulators, each on its own port: not with EmulatorURL or EmulatorListen")
	}
	if opts.keeper == nil {
		opts.keeper = &keeper{}
	}
	if opts.runToken == "" {
		opts.runToken = runToken()
	}
	results := make([]Result, len(jobs))
	defer func() {
		// The Docker network goes when the last kept run closes: a kept
		// container, and the emulator on the network's gateway, need it.
		var kept []*Kept
		for _, r := range results {
			if r.Kept != nil {
				kept = append(kept, r.Kept)
			}
		}
		if len(kept) == 0 {
			cleanup()
			return
		}
		var left atomic.Int32
		left.Store(int32(len(kept)))
		for _, k := range kept {
			closeRun := k.close
			k.close = func() {
				closeRun()
				if left.Add(-1) == 0 {
					cleanup()
				}
			}
		}
	}()
	par := opts.parallel()
	if opts.Progress != nil {
		opts.Progress(Event{Total: len(jobs)})
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if opts.Progress != nil && ctx.Err() == nil {
				opts.Progress(Event{Job: &j, Total: len(jobs)})
			}
			results[i] = RunScenario(ctx, j.Scenario, j.Phase, opts)
			if opts.Progress != nil {
				mu.Lock()
				done++
				ev := Event{Result: &results[i], Done: done, Total: len(jobs)}
				mu.Unlock()
				opts.Progress(ev)
			}
		}()
	}
	wg.Wait()
	if n := opts.keeper.dropped.Load(); n > 0 && opts.Progress != nil {
		opts.Progress(Event{Note: fmt.Sprintf("%d more failed runs were not kept (at most %d are): pick them with --run", n, MaxKept)})
	}
	return results, nil
}

// runToken is a fresh control token.
func runToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "sfemu-run-" + hex.EncodeToString(b)
}

// Event is what Options.Progress hears: a note, the number of runs (first,
// with neither Job nor Result), a run starting (Job), a run finished
// (Result, with Done of Total).
type Event struct {
	Job         *Job
	Result      *Result
	Done, Total int
	// Note is something the run says once, such as a fixture file among
	// the scenarios that it skipped.
	Note string
}

// virtualEpoch places a scenario's virtual clock 30 days before the real
// time: receivers sign JWTs on the real clock, so their expiry stays ahead
// of the emulator's even after the scenario advances a day or two.
func virtualEpoch() time.Time {
	return time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Hour)
}

// RunScenario runs one scenario in one phase with its own emulator and
// receiver, or skips it when the receiver's profile does not offer what it
// requires.
func RunScenario(ctx context.Context, sc *Scenario, phase string, opts Options) (res Result) {
	start := time.Now()
	res = Result{Scenario: sc, Phase: phase, Start: start}
	r := &run{sc: sc, phase: phase, opts: opts, names: map[string]string{}, objects: map[string]string{}, oauth: map[string]*oauthOutcome{}, outcomes: map[string]*apiOutcome{}}
	started := false
	defer func() {
		res.Duration = time.Since(start)
		if sc.ExpectFailure {
			switch res.Outcome {
			case Passed:
				res.Outcome, res.Failure = Failed, "the scenario is marked expect_failure, but every expectation held"
			case Failed:
				res.Outcome, res.Failure = Passed, "failed as expected:\n"+res.Failure
			}
		}
		res.Passed = res.Outcome == Passed
		if !started {
			return
		}
		if (res.Outcome == Failed || res.Outcome == Errored) && ctx.Err() == nil {
			if res.Kept = r.keep(); res.Kept != nil {
				return
			}
		}
		r.close()
	}()
	spec := r.receiverSpec()
	profile, why := opts.profileFor(spec).resolve(sc.requirements(), opts.env(ctx, spec))
	if why != "" {
		res.Outcome, res.Failure = Skipped, why
		return res
	}
	r.profile, res.Mode = profile, profile.Mode
	started = true
	if opts.Evidence {
		defer func() { res.Evidence = r.evidence(context.WithoutCancel(ctx)) }()
	}
	if ctx.Err() != nil {
		res.Outcome, res.Failure = NotRun, "the run was interrupted before this one started"
		return res
	}
	if err := r.setUp(ctx, spec); err != nil {
		res.Outcome, res.Failure = Errored, err.Error()
		if r.rcv != nil {
			res.Failure += "\n\nreceiver log (last lines):\n" + indent(r.rcv.logTail(25))
		}
		return res
	}
	for i, st := range sc.Steps {
		if st.Only != "" && st.Only != phase {
			continue
		}
		if err := r.step(ctx, st); err != nil {
			res.Outcome, res.Line = Errored, st.line
			var fe *expectationError
			if errors.As(err, &fe) {
				res.Outcome = Failed
			}
			res.Failure = fmt.Sprintf("%s:%d: step %d: %v", sc.File, st.line, i+1, err)
			if r.rcv != nil {
				res.Failure += "\n\nreceiver log (last lines):\n" + indent(r.rcv.logTail(25))
			}
			return res
		}
	}
	res.Outcome = Passed
	return res
}

// expectationError is an expectation that did not hold: the receiver's
// fault, where any other error of a step is the run's.
type expectationError struct{ msg string }

func (e *expectationError) Error() string { return e.msg }

// env is what decides, with the profile, whether a scenario applies.
func (o Options) env(ctx context.Context, spec ReceiverSpec) runEnv {
	return runEnv{kind: spec.kind(), realClock: o.EmulatorURL != "" && remoteClockIsReal(ctx, o.remote())}
}

// remote is the control client of the sfemu at EmulatorURL.
func (o Options) remote() *control.Client { return control.WithToken(o.EmulatorURL, o.ControlToken) }

// remoteClocks caches, per running sfemu, whether its clock is the real one.
var remoteClocks sync.Map

func remoteClockIsReal(ctx context.Context, ctl *control.Client) bool {
	if v, ok := remoteClocks.Load(ctl.BaseURL); ok {
		return v.(bool)
	}
	c, err := ctl.Clock(ctx)
	if err != nil {
		return false // the run itself will report the emulator it cannot reach
	}
	real := c.Mode != "virtual"
	remoteClocks.Store(ctl.BaseURL, real)
	return real
}

// parallel is how many scenario runs go at once.
func (o Options) parallel() int {
	if o.EmulatorListen != "" || o.EmulatorURL != "" {
		return 1 // one emulator at a time on the fixed address
	}
	if o.Parallel > 0 {
		return o.Parallel
	}
	return 2 * runtime.NumCPU()
}

func (o Options) readyTimeout() time.Duration {
	if o.ReadyTimeout > 0 {
		return o.ReadyTimeout
	}
	return 20 * time.Second
}

// profileFor is the profile of the run's receiver.
func (o Options) profileFor(spec ReceiverSpec) *Profile {
	if o.Profile != nil {
		return o.Profile
	}
	if spec.bundled() {
		return BundledProfile()
	}
	return MinimalProfile()
}

func indent(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// run is the state of one scenario run. It drives the emulator only through
// wire.Control: its own in-process emulator, or one already running.
type run struct {
	sc    *Scenario
	phase string
	opts  Options
	ctl   wire.Control
	local *emulator.Emulator // nil when driving a running emulator
	srv   *httptest.Server
	// cuts count the connections srv closed on its bounds (httplimit),
	// which the local emulator's health shows.
	cuts *httplimit.Counters
	// served is what srv serves: local, once it exists.
	served atomic.Pointer[emulator.Emulator]
	rcv    receiver
	org    string // the scenario org's id
	// names are the records created "as: name", objects their objects.
	names, objects map[string]string
	log            *tailBuffer
	profile        *Profile // the receiver's, with the mode the scenario needs
	// baseURL is where the harness reaches the emulator (its oauth steps),
	// keysDir the test keys on this machine, vars the run's templates.
	baseURL, keysDir string
	vars             *templateVars
	// oauth are the outcomes of oauth steps by as: name, lastOAuth the
	// latest one's, oauthLog every one's in order.
	oauth     map[string]*oauthOutcome
	lastOAuth *oauthOutcome
	oauthLog  []*oauthOutcome
	// outcomes are the api and bulk steps' by as: name; lastAPI and
	// lastBulk the latest of each, outcomeLog every one in order.
	outcomes          map[string]*apiOutcome
	lastAPI, lastBulk *apiOutcome
	outcomeLog        []*apiOutcome
	// token is the control token the run's own emulator asks for ("": none).
	token string
	// slot is the pool's place the run's container receiver and emulator
	// server are in (nil: none, or ReuseNone); its server is not the
	// run's to close.
	slot *containerSlot
}

func (r *run) setUp(ctx context.Context, spec ReceiverSpec) error {
	keys := r.opts.KeysDir
	if keys == "" {
		keys = findKeysDir()
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	// The emulator listens first: the receiver's environment names its URL.
	// For a container receiver it listens on the gateway of the run's Docker
	// network, the one address the container can reach it at.
	emulatorURL := strings.TrimRight(r.opts.EmulatorURL, "/")
	if emulatorURL == "" {
		// The server starts before the emulator exists (its URL is the
		// emulator's public URL): it serves r.local once startEmulator sets it.
		var ln net.Listener
		switch {
		case r.opts.EmulatorListen != "":
			if ln, err = listenRetry(r.opts.EmulatorListen); err != nil {
				return err
			}
		case spec.Container != nil:
			if r.opts.containers == nil {
				return fmt.Errorf("a container receiver needs a run (Run or RunTests) to own its Docker network")
			}
			if err := r.opts.containers.setUp(ctx); err != nil {
				return err
			}
			// A slot keeps the emulator's address and the receiver's port
			// from one scenario to the next, so its container can be reused.
			if r.slot, err = r.openContainerSlot(spec); err != nil {
				return err
			}
			if r.slot != nil {
				break
			}
			if ln, err = listenOn(r.opts.containers.gateway); err != nil {
				return fmt.Errorf("listen on the Docker network's gateway %s: %w", r.opts.containers.gateway, err)
			}
		default:
			if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				return err
			}
		}
		if r.slot != nil {
			r.srv, r.cuts, port = r.slot.srv, r.slot.cuts, r.slot.hostPort
		} else {
			r.cuts = &httplimit.Counters{}
			r.srv = startEmulatorServer(ln, r.opts.ServerLimits, r.cuts, r.served.Load)
		}
		emulatorURL = r.srv.URL
	}
	vars := &templateVars{
		EmulatorURL:   emulatorURL,
		ReceiverHost:  firstNonEmpty(r.opts.ReceiverHost, "127.0.0.1"),
		ReceiverURL:   fmt.Sprintf("http://%s", net.JoinHostPort(firstNonEmpty(r.opts.ReceiverHost, "127.0.0.1"), strconv.Itoa(port))),
		EmulatorSelf:  strings.TrimRight(firstNonEmpty(r.opts.EmulatorSelf, emulatorURL), "/"),
		Port:          port,
		ContainerPort: port,
		Phase:         r.phase,
		APIVersion:    apiVersion(r.phase),
		KeysDir:       keys,
		KeyFile:       filepath.Join(keys, "server.key"),
		Profile:       r.profile,
	}
	r.baseURL, r.keysDir, r.vars = emulatorURL, keys, vars
	if c := spec.Container; c != nil {
		vars.ContainerPort = firstNonZero(c.Port, spec.Port, r.profile.Receiver.Port, 8086)
		vars.KeysDir, vars.KeyFile = "/keys", "/keys/server.key"
	}
	vars.Endpoint = vars.ReceiverURL + firstNonEmpty(spec.EndpointPath, r.profile.Receiver.EndpointPath, "/outbound")
	if spec.Endpoint != "" {
		if vars.Endpoint, err = vars.render(spec.Endpoint); err != nil {
			return err
		}
	}
	if spec.URL != "" {
		vars.Endpoint = spec.URL
		// {{.ReceiverURL}} is where that receiver runs, not a port of ours.
		if u, err := url.Parse(spec.URL); err == nil && u.Host != "" {
			vars.ReceiverURL = u.Scheme + "://" + u.Host
		}
	}
	fx, origin, err := r.sc.orgFixture(r.phase, vars, r.profile.OrgPatch)
	if err != nil {
		return err
	}
	if err := r.startEmulator(ctx, fx); err != nil {
		return origin.Locate(err)
	}
	if err := r.learnOrg(ctx, vars); err != nil {
		return err
	}
	if spec.URL != "" {
		r.rcv = &urlReceiver{url: spec.URL}
		return nil
	}
	env, err := receiverEnv(spec, r.profile, vars)
	if err != nil {
		return err
	}
	ready := firstNonEmpty(spec.Ready, r.profile.Receiver.Ready, "/healthz")
	readyLog, isLog := strings.CutPrefix(ready, "log:")
	r.log = newTailBuffer(2000)
	if c := spec.Container; c != nil {
		image := c.Image
		if image == "example" {
			image, err = BuildExampleReceiverImage(ctx)
		} else {
			image, err = r.opts.containers.image(ctx, c, filepath.Dir(r.sc.File))
		}
		if err != nil {
			return err
		}
		envMap := map[string]string{}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			envMap[k] = v
		}
		if c.ReadyLog != "" {
			readyLog, isLog = c.ReadyLog, true
		}
		if isLog {
			ready = ""
		} else {
			readyLog = ""
		}
		cr := &containerReceiver{image: image, readyTimeout: r.opts.readyTimeout(), port: vars.ContainerPort, hostPort: port, env: envMap, ready: ready,
			readyLog: readyLog, network: r.opts.containers.networkName(), runID: r.opts.RunID, keysDir: keys, url: vars.Endpoint, log: r.log}
		if r.slot != nil {
			cr = r.slot.receiver(cr)
		}
		r.rcv = cr
		return cr.start(ctx)
	}
	var command []string
	for _, arg := range spec.Command {
		rendered, err := vars.render(arg)
		if err != nil {
			return fmt.Errorf("receiver command: %v", err)
		}
		command = append(command, rendered)
	}
	if len(command) == 0 {
		bin, err := BuildExampleReceiver()
		if err != nil {
			return err
		}
		command = []string{bin}
	}
	p := &processReceiver{command: command, env: env, url: vars.Endpoint, log: r.log, readyTimeout: r.opts.readyTimeout()}
	if isLog {
		p.readyLog = readyLog
	} else {
		p.ready = vars.ReceiverURL + ready
	}
	r.rcv = p
	return p.start(ctx)
}

// startEmulator gives the run its emulator with the scenario's org: a new
// one in this process on a virtual clock, or the running one at
// Options.EmulatorURL with its orgs replaced.
func (r *run) startEmulator(ctx context.Context, fx wire.Fixture) error {
	// A receiver may outlive this emulator (url: receivers): fresh
	// Notification Ids keep its dedupe from mistaking them for repeats.
	base := notificationIDBase()
	if r.opts.EmulatorURL != "" {
		c := r.opts.remote()
		load := wire.LoadOrgs{Fixtures: []wire.Fixture{fx}, NotificationIDBase: base}
		if !remoteClockIsReal(ctx, c) {
			// Each run starts the clock where an in-process one would: 30 days
			// back, whatever earlier runs advanced it to.
			load.ClockStart = virtualEpoch()
		}
		if _, err := c.LoadOrgs(ctx, load); err != nil {
			return fmt.Errorf("the scenario's org does not load into the emulator at %s: %v", r.opts.EmulatorURL, err)
		}
		r.ctl = c
		return nil
	}
	// Beyond loopback (the Docker network's gateway), the control API asks
	// for a token: the harness itself calls the emulator in-process.
	if !loopbackListener(r.srv.Listener) {
		r.token = firstNonEmpty(r.opts.ControlToken, r.opts.runToken, runToken())
	}
	emu, err := emulator.New(emulator.Options{
		Fixtures:           []wire.Fixture{fx},
		Clock:              emulator.VirtualClock,
		VirtualStart:       virtualEpoch(),
		PublicURL:          r.srv.URL,
		Outbound:           outbound.Settings{SessionOverHTTP: true, Timeout: 10 * time.Second},
		NotificationIDBase: base,
		ControlToken:       r.token,
		Connections:        r.cuts,
	})
	if err != nil {
		return fmt.Errorf("the scenario's org does not load: %v", err)
	}
	r.local, r.ctl = emu, emu
	r.served.Store(emu)
	return nil
}

// learnOrg fills the templates that name the org: its id, login audience,
// send user and consumer key, from what the control API lists.
func (r *run) learnOrg(ctx context.Context, vars *templateVars) error {
	orgs, err := r.ctl.Orgs(ctx)
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return fmt.Errorf("the emulator serves no org")
	}
	o := orgs[0]
	r.org, vars.OrgID = o.ID, o.ID
	if len(o.LoginAudiences) > 0 {
		vars.Audience = o.LoginAudiences[0]
	}
	for _, aud := range o.LoginAudiences {
		if host, ok := strings.CutPrefix(aud, "https://"); ok && strings.HasSuffix(host, ".my.salesforce.com") {
			vars.MyDomainHost = host
			break
		}
	}
	msgs, err := r.ctl.OutboundMessages(ctx)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Org == o.Name {
			vars.Username = m.UserToSendAs
			break
		}
	}
	if vars.Username == "" {
		users, err := r.ctl.Users(ctx, o.ID)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			vars.Username = users[0].Username
		}
	}
	apps, err := r.ctl.Apps(ctx)
	if err != nil {
		return err
	}
	for _, a := range apps {
		if _, installed := a.Installations[o.Name]; installed && a.CertificateSubject != "" {
			vars.ConsumerKey = a.ConsumerKey
			break
		}
	}
	return nil
}

var notificationRuns atomic.Uint64

// notificationIDBase gives each scenario run its own range of Notification
// Ids: time-based across processes, a million apart within one.
func notificationIDBase() uint64 {
	return uint64(time.Now().Unix())%1_000_000_000*1_000_000 + notificationRuns.Add(1)*10_000
}

// listenRetry listens on a fixed address, waiting briefly for the previous
// scenario's emulator to let go of it.
func listenRetry(addr string) (net.Listener, error) {
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("the emulator cannot listen on %s: %w", addr, err)
}

// receiverEnv renders the receiver's environment: the contract's variables
// (docs/RECEIVERS.md), then the profile's (and its mode's), then the run's
// and the scenario's additions.
func receiverEnv(spec ReceiverSpec, profile *Profile, vars *templateVars) ([]string, error) {
	env := receiverEnvTemplates(spec, profile)
	var out []string
	for k, v := range env {
		val, err := vars.render(v)
		if err != nil {
			return nil, fmt.Errorf("receiver env %s: %v", k, err)
		}
		out = append(out, k+"="+val)
	}
	sort.Strings(out)
	return out, nil
}

// receiverEnvTemplates is the receiver's environment before rendering.
func receiverEnvTemplates(spec ReceiverSpec, profile *Profile) map[string]string {
	env := map[string]string{}
	for k, v := range DefaultReceiverEnv {
		env[k] = v
	}
	if spec.Container != nil {
		env["RECEIVER_LISTEN"] = "0.0.0.0:{{.ContainerPort}}"
		env["PORT"] = "{{.ContainerPort}}"
	}
	for k, v := range profile.Receiver.Env {
		env[k] = v
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	return env
}

// receiverSpec combines the run's receiver with the scenario's.
func (r *run) receiverSpec() ReceiverSpec {
	var spec ReceiverSpec
	if r.sc.Receiver != nil {
		spec = *r.sc.Receiver
	}
	if o := r.opts.Receiver; o != nil {
		if o.URL != "" || len(o.Command) > 0 || o.Container != nil {
			spec.URL, spec.Command, spec.Container = o.URL, o.Command, o.Container
		}
		if o.Endpoint != "" {
			spec.Endpoint = o.Endpoint
		}
		if o.EndpointPath != "" {
			spec.EndpointPath = o.EndpointPath
		}
		if o.Ready != "" {
			spec.Ready = o.Ready
		}
		if o.Port != 0 {
			spec.Port = o.Port
			if spec.Container != nil {
				c := *spec.Container
				c.Port = o.Port
				spec.Container = &c
			}
		}
		if len(o.Env) > 0 {
			merged := map[string]string{}
			for k, v := range o.Env {
				merged[k] = v
			}
			for k, v := range spec.Env {
				merged[k] = v
			}
			spec.Env = merged
		}
	}
	return spec
}

// kind is how the harness runs a receiver of this spec.
func (s ReceiverSpec) kind() receiverKind {
	switch {
	case s.URL != "":
		return kindURL
	case s.Container != nil:
		return kindContainer
	}
	return kindProcess
}

// bundled reports whether the spec runs sfemu's own example receiver.
func (s ReceiverSpec) bundled() bool {
	if s.URL != "" || len(s.Command) > 0 {
		return false
	}
	return s.Container == nil || (s.Container.Image == "example" && s.Container.Dockerfile == "")
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstNonZero(values ...int) int {
	for _, v := range values {
		if v != 0 {
			return v
		}
	}
	return 0
}

// loopbackListener reports whether l listens on a loopback address only.
func loopbackListener(l net.Listener) bool {
	a, ok := l.Addr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// keep hands a failed run's emulator and receiver over to a Kept, when
// Options.KeepOnFailure asks and MaxKept allows; nil otherwise (the caller
// closes the run).
func (r *run) keep() *Kept {
	if !r.opts.KeepOnFailure || r.srv == nil || r.local == nil {
		return nil
	}
	if k := r.opts.keeper; k != nil && k.kept.Add(1) > MaxKept {
		k.dropped.Add(1)
		return nil
	}
	if r.slot != nil {
		// The kept run's container and emulator stay as they are: no later
		// scenario takes them.
		r.slot.pool.detach(r.slot)
	}
	k := &Kept{EmulatorURL: r.srv.URL, ConsoleURL: r.srv.URL + emulator.ControlPrefix + "/ui/", ControlToken: r.token, close: r.close}
	if r.token != "" {
		k.ConsoleURL += "?token=" + url.QueryEscape(r.token)
	}
	switch rc := r.rcv.(type) {
	case *processReceiver:
		rc.mu.Lock()
		if rc.cmd != nil {
			k.Receiver = fmt.Sprintf("process %d (%s), outbound messages to %s", rc.cmd.Process.Pid, strings.Join(rc.command, " "), rc.url)
		}
		rc.mu.Unlock()
	case *containerReceiver:
		rc.mu.Lock()
		if rc.ctr != nil {
			k.Receiver = fmt.Sprintf("container %.12s (%s), outbound messages to %s", rc.containerID(), rc.image, rc.url)
		}
		rc.mu.Unlock()
	}
	return k
}

func (r *run) close() {
	if s := r.slot; s != nil {
		// The container goes back to the pool for the next scenario (or, a
		// kept run's, goes); the emulator server is the slot's.
		cr, _ := r.rcv.(*containerReceiver)
		s.pool.release(s, r.opts.containerReuse(), cr != nil && cr.started())
		if s.detached {
			s.remove()
		}
		if r.local != nil {
			r.local.Close()
		}
		return
	}
	if r.rcv != nil {
		_ = stopQuietly(r.rcv)
	}
	if r.local != nil {
		r.local.Close()
	}
	if r.srv != nil {
		r.srv.Close()
	}
}

func stopQuietly(rc receiver) error {
	switch x := rc.(type) {
	case *urlReceiver:
		return nil
	case *containerReceiver:
		return x.terminate()
	}
	return rc.stop()
}

// ref resolves $name to a record id.
func (r *run) ref(s string) (string, error) {
	if strings.HasPrefix(s, "$") {
		id, ok := r.names[s[1:]]
		if !ok {
			return "", fmt.Errorf("%s names no created record", s)
		}
		return id, nil
	}
	return s, nil
}

func (r *run) step(ctx context.Context, st Step) error {
	switch {
	case st.Create != nil:
		n := max(st.Create.Count, 1)
		for i := 1; i <= n; i++ {
			fields, err := r.fields(st.Create.Fields)
			if err != nil {
				return err
			}
			for k, v := range fields {
				if s, ok := v.(string); ok && strings.Contains(s, "{{.N}}") {
					fields[k] = strings.ReplaceAll(s, "{{.N}}", fmt.Sprintf("%03d", i))
				}
			}
			rec, err := r.ctl.CreateRecord(ctx, r.org, wire.CreateRecord{Object: st.Create.Object, Fields: fields})
			if err != nil {
				return fmt.Errorf("create: %v", err)
			}
			if st.Create.As != "" {
				r.names[st.Create.As] = rec.ID
				r.objects[st.Create.As] = st.Create.Object
			}
		}
	case st.Update != nil:
		id, err := r.ref(st.Update.Record)
		if err != nil {
			return err
		}
		fields, err := r.fields(st.Update.Fields)
		if err != nil {
			return err
		}
		if _, err := r.ctl.UpdateRecord(ctx, r.org, id, wire.UpdateRecord{Fields: fields}); err != nil {
			return fmt.Errorf("update: %v", err)
		}
	case st.Send != nil:
		var ids []string
		for _, s := range st.Send.Records {
			id, err := r.ref(s)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if _, err := r.ctl.SendOutbound(ctx, st.Send.Message, wire.Send{Records: ids, Where: st.Send.Where}); err != nil {
			return fmt.Errorf("send %s: %v", st.Send.Message, err)
		}
	case st.Advance != "":
		if err := r.idle(ctx); err != nil {
			return err
		}
		d, _ := time.ParseDuration(st.Advance)
		if _, err := r.ctl.Advance(ctx, wire.Advance{By: wire.Duration(d)}); err != nil {
			return err
		}
	case st.Faults != nil:
		return r.faults(ctx, st.Faults)
	case st.ClientIP != nil:
		return r.ctl.SetClientIP(ctx, r.org, *st.ClientIP)
	case st.Expire != nil:
		if *st.Expire {
			if _, err := r.ctl.ExpireSessions(ctx, ""); err != nil {
				return err
			}
		}
	case st.Receiver == "stop":
		if err := r.idle(ctx); err != nil {
			return err
		}
		return r.rcv.stop()
	case st.Receiver == "start":
		return r.rcv.start(ctx)
	case st.OAuth != nil:
		return r.runOAuth(ctx, st.OAuth)
	case st.API != nil:
		return r.runAPI(ctx, st.API)
	case st.Bulk != nil:
		return r.runBulk(ctx, st.Bulk)
	case st.Expect != nil:
		return r.expect(ctx, st.Expect)
	}
	return nil
}

// fields turns scenario values (YAML) into what a JSON client would send,
// resolving $name references.
func (r *run) fields(in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range in {
		if x, ok := v.(string); ok && strings.HasPrefix(x, "$") {
			id, err := r.ref(x)
			if err != nil {
				return nil, err
			}
			v = id
		}
		out[k] = org.JSONValue(v)
	}
	return out, nil
}

// idle waits for deliveries in flight to finish.
func (r *run) idle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := r.ctl.Idle(ctx); err != nil {
		return fmt.Errorf("deliveries did not settle within 30s: %v", err)
	}
	return nil
}

func (r *run) faults(ctx context.Context, f *FaultsStep) error {
	if f.Clear {
		if _, err := r.ctl.SetOutboundFaults(ctx, wire.OutboundFaults{}); err != nil {
			return err
		}
		if err := r.ctl.ClearFaults(ctx, 0); err != nil {
			return err
		}
	}
	if of := f.Outbound; of != nil {
		faults := wire.OutboundFaults{Seed: of.Seed, Message: of.Message, DuplicateProbability: of.DuplicateProbability,
			ReorderProbability: of.ReorderProbability, DelayProbability: of.DelayProbability}
		for _, d := range []struct {
			name, text string
			dst        *wire.Duration
		}{{"duplicate_after", of.DuplicateAfter, &faults.DuplicateAfter}, {"reorder_hold", of.ReorderHold, &faults.ReorderHold}, {"delay", of.Delay, &faults.Delay}} {
			if d.text == "" {
				continue
			}
			v, err := time.ParseDuration(d.text)
			if err != nil {
				return fmt.Errorf("faults.outbound.%s %q is not a duration", d.name, d.text)
			}
			*d.dst = wire.Duration(v)
		}
		if _, err := r.ctl.SetOutboundFaults(ctx, faults); err != nil {
			return fmt.Errorf("faults.outbound: %v", err)
		}
	}
	for _, group := range []struct {
		surface string
		faults  []RESTFault
	}{{wire.SurfaceREST, f.REST}, {wire.SurfaceSOAP, f.SOAP}, {wire.SurfaceOAuth, f.OAuth}} {
		for _, af := range group.faults {
			fault := wire.Fault{Surface: group.surface, Org: r.org, Method: af.Method, Path: af.Path, Operation: af.Operation,
				Status: af.Status, ErrorCode: af.ErrorCode, Message: af.Message, ExpireSession: af.ExpireSession, Times: af.Times}
			if af.Latency != "" {
				d, err := time.ParseDuration(af.Latency)
				if err != nil {
					return fmt.Errorf("faults.%s latency %q is not a duration", group.surface, af.Latency)
				}
				fault.Latency = wire.Duration(d)
			}
			if _, err := r.ctl.AddFault(ctx, fault); err != nil {
				return fmt.Errorf("faults.%s: %v", group.surface, err)
			}
		}
	}
	return nil
}
