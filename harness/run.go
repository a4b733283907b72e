package harness

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/rest"
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
	// Log receives one line per finished scenario run (nil: silent).
	Log func(Result)
	// RunID labels the containers and network the run creates (default: a
	// fresh id), to find them with Leftovers.
	RunID string
	// EmulatorListen fixes the address every scenario's emulator listens on
	// (e.g. 127.0.0.1:8085), for a receiver that is already running and
	// configured with that login URL. Runs are then one at a time.
	EmulatorListen string

	containers *containerEnv // shared by the run's container receivers
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
	o.containers = &containerEnv{runID: o.RunID}
	return o, o.containers.close
}

// Result is one scenario in one phase.
type Result struct {
	Scenario *Scenario
	Phase    string
	Passed   bool
	// Failure says what went wrong: the step, a go-cmp diff of want and
	// got, and the receiver's log tail.
	Failure  string
	Duration time.Duration
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

// Run loads the scenarios under paths and runs each in each of its phases,
// in parallel. Load errors stop the run before anything starts.
func Run(ctx context.Context, opts Options, paths ...string) ([]Result, error) {
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
	type job struct {
		sc    *Scenario
		phase string
	}
	var jobs []job
	for _, sc := range scenarios {
		for _, ph := range sc.Phases {
			jobs = append(jobs, job{sc, ph})
		}
	}
	opts, cleanup := opts.withContainers()
	defer cleanup()
	par := opts.Parallel
	if par <= 0 {
		par = 2 * runtime.NumCPU()
	}
	if opts.EmulatorListen != "" {
		par = 1 // one emulator at a time on the fixed address
	}
	results := make([]Result, len(jobs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = RunScenario(ctx, j.sc, j.phase, opts)
			if opts.Log != nil {
				opts.Log(results[i])
			}
		}()
	}
	wg.Wait()
	return results, nil
}

// virtualEpoch places a scenario's virtual clock 30 days before the real
// time: receivers sign JWTs on the real clock, so their expiry stays ahead
// of the emulator's even after the scenario advances a day or two.
func virtualEpoch() time.Time {
	return time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Hour)
}

// RunScenario runs one scenario in one phase with its own emulator and receiver.
func RunScenario(ctx context.Context, sc *Scenario, phase string, opts Options) (res Result) {
	start := time.Now()
	res = Result{Scenario: sc, Phase: phase}
	defer func() {
		res.Duration = time.Since(start)
		if sc.ExpectFailure {
			if res.Passed {
				res.Passed, res.Failure = false, "the scenario is marked expect_failure, but every expectation held"
			} else {
				res.Passed, res.Failure = true, "failed as expected:\n"+res.Failure
			}
		}
	}()
	r := &run{sc: sc, phase: phase, opts: opts, names: map[string]org.ID{}}
	defer r.close()
	if err := r.setUp(ctx); err != nil {
		res.Failure = err.Error()
		return res
	}
	for i, st := range sc.Steps {
		if st.Only != "" && st.Only != phase {
			continue
		}
		if err := r.step(ctx, st); err != nil {
			res.Failure = fmt.Sprintf("%s:%d: step %d: %v\n\nreceiver log (last lines):\n%s", sc.File, st.line, i+1, err, indent(r.rcv.logTail(25)))
			return res
		}
	}
	res.Passed = true
	return res
}

func indent(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// run is the state of one scenario run.
type run struct {
	sc    *Scenario
	phase string
	opts  Options
	emu   *emulator.Emulator
	srv   *httptest.Server
	rcv   receiver
	org   *org.Org
	names map[string]org.ID
	log   *tailBuffer
}

func (r *run) setUp(ctx context.Context) error {
	spec := r.receiverSpec()
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
	emuSrv := httptest.NewUnstartedServer(nil)
	if r.opts.EmulatorListen != "" {
		ln, err := listenRetry(r.opts.EmulatorListen)
		if err != nil {
			return err
		}
		emuSrv.Listener.Close()
		emuSrv.Listener = ln
	} else if spec.Container != nil {
		if r.opts.containers == nil {
			return fmt.Errorf("a container receiver needs a run (Run or RunTests) to own its Docker network")
		}
		if err := r.opts.containers.setUp(ctx); err != nil {
			return err
		}
		ln, err := listenOn(r.opts.containers.gateway)
		if err != nil {
			return fmt.Errorf("listen on the Docker network's gateway %s: %w", r.opts.containers.gateway, err)
		}
		emuSrv.Listener.Close()
		emuSrv.Listener = ln
	}
	emuSrv.Start()
	r.srv = emuSrv
	vars := &templateVars{
		EmulatorURL:   emuSrv.URL,
		ReceiverURL:   fmt.Sprintf("http://127.0.0.1:%d", port),
		Port:          port,
		ContainerPort: port,
		Phase:         r.phase,
		KeysDir:       keys,
		KeyFile:       filepath.Join(keys, "server.key"),
	}
	if c := spec.Container; c != nil {
		vars.ContainerPort = c.Port
		if vars.ContainerPort == 0 {
			vars.ContainerPort = 8086
		}
		vars.KeysDir, vars.KeyFile = "/keys", "/keys/server.key"
	}
	vars.Endpoint = vars.ReceiverURL + "/outbound"
	if spec.Endpoint != "" {
		if vars.Endpoint, err = vars.render(spec.Endpoint); err != nil {
			return err
		}
	}
	if spec.URL != "" {
		vars.Endpoint = spec.URL
	}
	src, err := r.sc.orgSource(r.phase, vars)
	if err != nil {
		return err
	}
	emu, err := emulator.New(emulator.Options{
		Orgs:         []org.Source{src},
		Clock:        emulator.VirtualClock,
		VirtualStart: virtualEpoch(),
		PublicURL:    emuSrv.URL,
		Outbound:     outbound.Settings{SessionOverHTTP: true, Timeout: 10 * time.Second},
		// A receiver may outlive this emulator (url: receivers): fresh
		// Notification Ids keep its dedupe from mistaking them for repeats.
		NotificationIDBase: notificationIDBase(),
	})
	if err != nil {
		return fmt.Errorf("the scenario's org does not load: %v", err)
	}
	r.emu = emu
	emuSrv.Config.Handler = emu
	r.org = emu.Store().Orgs()[0]
	vars.OrgID = string(r.org.ID)
	vars.Audience = r.org.Type.LoginAudience()
	if len(r.org.OutboundMessages) > 0 {
		vars.Username = r.org.OutboundMessages[0].UserToSendAs.Username
	} else if len(r.org.Users) > 0 {
		vars.Username = r.org.Users[0].Username
	}
	for _, a := range emu.Store().Apps() {
		if a.Certificate != nil && r.org.Installations[a.ConsumerKey] != nil {
			vars.ConsumerKey = a.ConsumerKey
			break
		}
	}
	if spec.URL != "" {
		r.rcv = &urlReceiver{url: spec.URL}
		return nil
	}
	env, err := receiverEnv(spec, vars)
	if err != nil {
		return err
	}
	ready := spec.Ready
	if ready == "" {
		ready = "/healthz"
	}
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
		cr := &containerReceiver{image: image, port: vars.ContainerPort, hostPort: port, env: envMap, ready: ready,
			readyLog: c.ReadyLog, network: r.opts.containers.network.Name, runID: r.opts.RunID, keysDir: keys, url: vars.Endpoint, log: r.log}
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
	p := &processReceiver{command: command, env: env, ready: vars.ReceiverURL + ready, url: vars.Endpoint, log: r.log}
	r.rcv = p
	return p.start(ctx)
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

// receiverEnv renders the receiver's environment: the defaults the bundled
// receiver reads, then the scenario's and the run's additions.
func receiverEnv(spec ReceiverSpec, vars *templateVars) ([]string, error) {
	env := map[string]string{}
	for k, v := range DefaultReceiverEnv {
		env[k] = v
	}
	if spec.Container != nil {
		env["RECEIVER_LISTEN"] = "0.0.0.0:{{.ContainerPort}}"
	}
	for k, v := range spec.Env {
		env[k] = v
	}
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
		if o.Ready != "" {
			spec.Ready = o.Ready
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

func (r *run) close() {
	if r.rcv != nil {
		_ = stopQuietly(r.rcv)
	}
	if r.emu != nil {
		r.emu.Close()
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
		return string(id), nil
	}
	return s, nil
}

func (r *run) step(ctx context.Context, st Step) error {
	o := r.org
	now := r.emu.Clock().Now()
	switch {
	case st.Create != nil:
		obj := o.Schema.Object(st.Create.Object)
		if obj == nil {
			return fmt.Errorf("create: %q is not an object of the org", st.Create.Object)
		}
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
			rec, errs := o.Data.Insert(obj, fields, adminOf(o), now, org.DMLOptions{})
			if errs != nil {
				return fmt.Errorf("create %s: %s: %s", obj.Name, errs[0].StatusCode, errs[0].Message)
			}
			if st.Create.As != "" {
				r.names[st.Create.As] = rec.ID
			}
		}
	case st.Update != nil:
		id, err := r.ref(st.Update.Record)
		if err != nil {
			return err
		}
		pid, err := org.ParseID(id)
		if err != nil {
			return fmt.Errorf("update: %v", err)
		}
		fields, err := r.fields(st.Update.Fields)
		if err != nil {
			return err
		}
		if _, errs := o.Data.Update(pid, fields, adminOf(o), now); errs != nil {
			return fmt.Errorf("update %s: %s: %s", id, errs[0].StatusCode, errs[0].Message)
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
		if _, err := r.emu.SendOutbound(st.Send.Message, "", ids, st.Send.Where); err != nil {
			return fmt.Errorf("send %s: %v", st.Send.Message, err)
		}
	case st.Advance != "":
		if err := r.idle(ctx); err != nil {
			return err
		}
		d, _ := time.ParseDuration(st.Advance)
		if _, err := r.emu.Advance(d); err != nil {
			return err
		}
	case st.Faults != nil:
		return r.faults(st.Faults)
	case st.ClientIP != nil:
		return r.clientIP(*st.ClientIP)
	case st.Expire != nil:
		if *st.Expire {
			r.emu.Store().Sessions.Expire("")
		}
	case st.Receiver == "stop":
		if err := r.idle(ctx); err != nil {
			return err
		}
		return r.rcv.stop()
	case st.Receiver == "start":
		return r.rcv.start(ctx)
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

// adminOf is who scenario steps act as: the org's first administrator.
func adminOf(o *org.Org) *org.User {
	for _, u := range o.Users {
		if u.Profile != nil && u.Profile.Name == "System Administrator" {
			return u
		}
	}
	if len(o.Users) > 0 {
		return o.Users[0]
	}
	return nil
}

// idle waits for deliveries in flight to finish.
func (r *run) idle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := r.emu.Outbound().Idle(ctx); err != nil {
		return fmt.Errorf("deliveries did not settle within 30s: %v", err)
	}
	return nil
}

func (r *run) faults(f *FaultsStep) error {
	if f.Clear {
		r.emu.Outbound().SetFaults(outbound.Faults{})
		r.emu.REST().Faults().Clear(0)
	}
	if of := f.Outbound; of != nil {
		faults := outbound.Faults{Seed: of.Seed, Message: of.Message, DuplicateProbability: of.DuplicateProbability,
			ReorderProbability: of.ReorderProbability, DelayProbability: of.DelayProbability}
		for _, d := range []struct {
			name, text string
			dst        *time.Duration
		}{{"duplicate_after", of.DuplicateAfter, &faults.DuplicateAfter}, {"reorder_hold", of.ReorderHold, &faults.ReorderHold}, {"delay", of.Delay, &faults.Delay}} {
			if d.text == "" {
				continue
			}
			v, err := time.ParseDuration(d.text)
			if err != nil {
				return fmt.Errorf("faults.outbound.%s %q is not a duration", d.name, d.text)
			}
			*d.dst = v
		}
		r.emu.Outbound().SetFaults(faults)
	}
	for _, rf := range f.REST {
		fault := rest.Fault{Org: r.org.Name, Method: rf.Method, Path: rf.Path, Status: rf.Status, ErrorCode: rf.ErrorCode,
			Message: rf.Message, ExpireSession: rf.ExpireSession, Times: rf.Times}
		if rf.Latency != "" {
			d, err := time.ParseDuration(rf.Latency)
			if err != nil {
				return fmt.Errorf("faults.rest latency %q is not a duration", rf.Latency)
			}
			fault.Latency = d
		}
		if _, err := r.emu.REST().Faults().Add(fault); err != nil {
			return fmt.Errorf("faults.rest: %v", err)
		}
	}
	return nil
}
