package harness

// Container receivers reused across the scenarios of one run.
//
// Creating, starting, stopping and removing a container is the Docker
// engine's own floor (docs/PERFORMANCE.md, "A container scenario": create
// ≈ 0.1 s, start ≈ 0.6 s, stop ≈ 0.2 s, remove ≈ 0.1–0.25 s here), and a
// fresh container per scenario paid all four. A slot keeps what a container
// receiver's environment names — the address its scenario's emulator
// listens on (on the run's network gateway) and the host port its own port
// is published on — the same from one scenario to the next, so the
// environment, fixed when a container is created, is the same too and the
// container can serve the next scenario:
//
//   - ReuseRestart (the default): the container is stopped when its
//     scenario ends and started for the next one — a new process, with
//     nothing in memory (cached tokens, dedupe sets), but the same file
//     system (what it wrote stays; with ReuseNone it does not).
//   - ReuseRunning: the process keeps running into the next scenario —
//     no Docker work at all, but whatever it holds in memory goes along: a
//     token cached from the last scenario's emulator is refused by the
//     next one (INVALID_SESSION_ID, then a login the scenario did not ask
//     for). For receivers that hold nothing across messages, or runs that
//     want speed over isolation.
//   - ReuseNone: a container per scenario, removed at its end.
//
// A scenario whose receiver's environment differs from the slot's
// container's (another org, user, phase variable, image) gets a new
// container in that slot; slots are matched on what decides that, so runs
// that alternate two environments keep one container each.

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/httplimit"
)

// ContainerReuse says what a run's container receivers carry from one
// scenario to the next.
type ContainerReuse string

const (
	// ReuseRestart restarts the same container for the next scenario: a
	// fresh process, the same file system. The default.
	ReuseRestart ContainerReuse = "restart"
	// ReuseRunning keeps the receiver's process running into the next
	// scenario, with what it holds in memory.
	ReuseRunning ContainerReuse = "running"
	// ReuseNone creates a container for each scenario and removes it at the
	// scenario's end.
	ReuseNone ContainerReuse = "none"
)

// ParseContainerReuse reads a --container-reuse value ("" is the default).
func ParseContainerReuse(s string) (ContainerReuse, error) {
	switch r := ContainerReuse(s); r {
	case "":
		return ReuseRestart, nil
	case ReuseRestart, ReuseRunning, ReuseNone:
		return r, nil
	}
	return "", fmt.Errorf("container reuse %q: want restart, running or none", s)
}

func (o Options) containerReuse() ContainerReuse {
	if o.ContainerReuse == "" {
		return ReuseRestart
	}
	return o.ContainerReuse
}

// containerSlot is one reusable place for a container receiver: the
// emulator server its environment names, its published host port, and the
// container, if one has been made.
type containerSlot struct {
	pool     *containerPool
	key      string // what the receiver's environment is made from
	srv      *httptest.Server
	cuts     *httplimit.Counters
	hostPort int
	// current is the run the slot serves now (nil between runs): srv hands
	// its requests to that run's emulator.
	current atomic.Pointer[run]
	rcv     *containerReceiver
	// detached: a kept run owns the slot, and closing that run removes it.
	detached bool
}

// containerPool holds a run's slots.
type containerPool struct {
	mu       sync.Mutex
	changed  *sync.Cond
	idle     []*containerSlot
	busy     int
	stopping int
	closed   bool
}

func newContainerPool() *containerPool {
	p := &containerPool{}
	p.changed = sync.NewCond(&p.mu)
	return p
}

// acquire gives a run a slot: an idle one made for the same environment,
// else a new one while fewer than limit exist, else any idle one (its
// container is replaced); it waits for containers being stopped rather than
// make more.
func (p *containerPool) acquire(key, gateway string, limits httplimit.Limits, limit int) (*containerSlot, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			return nil, fmt.Errorf("the run's container receivers are closed")
		}
		if i := slices.IndexFunc(p.idle, func(s *containerSlot) bool { return s.key == key }); i >= 0 {
			return p.take(i), nil
		}
		if p.stopping == 0 {
			if len(p.idle)+p.busy < max(limit, 1) || len(p.idle) == 0 {
				s, err := p.newSlot(key, gateway, limits)
				if err != nil {
					return nil, err
				}
				p.busy++
				return s, nil
			}
			s := p.take(0)
			s.key = key
			return s, nil
		}
		p.changed.Wait()
	}
}

func (p *containerPool) take(i int) *containerSlot {
	s := p.idle[i]
	p.idle = slices.Delete(p.idle, i, i+1)
	p.busy++
	s.cuts.Reset()
	return s
}

// newSlot starts the slot's emulator server on the network's gateway;
// it serves whichever run holds the slot.
func (p *containerPool) newSlot(key, gateway string, limits httplimit.Limits) (*containerSlot, error) {
	ln, err := listenOn(gateway)
	if err != nil {
		return nil, fmt.Errorf("listen on the Docker network's gateway %s: %w", gateway, err)
	}
	port, err := freePort()
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &containerSlot{pool: p, key: key, hostPort: port, cuts: &httplimit.Counters{}}
	s.srv = startEmulatorServer(ln, limits, s.cuts, func() *emulator.Emulator {
		if r := s.current.Load(); r != nil {
			return r.served.Load()
		}
		return nil
	})
	return s, nil
}

// release gives the slot back when its run ends: the container is stopped
// first with ReuseRestart (in the background; acquire waits for it), kept
// running with ReuseRunning; a slot whose container failed is removed.
func (p *containerPool) release(s *containerSlot, mode ContainerReuse, healthy bool) {
	s.current.Store(nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy--
	if s.detached {
		return
	}
	if !healthy || p.closed || s.rcv == nil {
		go s.remove()
		return
	}
	if mode != ReuseRestart {
		p.idle = append(p.idle, s)
		p.changed.Broadcast()
		return
	}
	p.stopping++
	go func() {
		err := s.rcv.stop()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.stopping--
		if err != nil || p.closed {
			go s.remove()
		} else {
			p.idle = append(p.idle, s)
		}
		p.changed.Broadcast()
	}()
}

// detach hands the slot to a kept run: it leaves the pool, and the kept
// run's close removes it.
func (p *containerPool) detach(s *containerSlot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.detached = true
}

// remove removes the slot's container and stops its emulator server.
func (s *containerSlot) remove() {
	if s.rcv != nil {
		_ = s.rcv.terminate()
	}
	s.srv.Close()
}

// close removes every idle slot's container, after the ones being stopped.
func (p *containerPool) close() {
	p.mu.Lock()
	p.closed = true
	for p.stopping > 0 {
		p.changed.Wait()
	}
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range idle {
		wg.Go(s.remove)
	}
	wg.Wait()
}

// receiver is the container receiver the slot's run uses: the slot's own
// container when it was made the same way (the log goes to the new run
// now), else want, after the slot's container is removed.
func (s *containerSlot) receiver(want *containerReceiver) *containerReceiver {
	if s.rcv != nil && s.rcv.sameAs(want) {
		s.rcv.reuse(want.log, want.url)
		return s.rcv
	}
	if s.rcv != nil {
		_ = s.rcv.terminate()
	}
	s.rcv = want
	return want
}

// startEmulatorServer serves the emulator serve returns (503 while there is
// none) on ln, with the bounds `sfemu serve` has: a receiver or script that
// stalls cannot hold the run's emulator.
func startEmulatorServer(ln net.Listener, limits httplimit.Limits, cuts *httplimit.Counters, serve func() *emulator.Emulator) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if emu := serve(); emu != nil {
			emu.ServeHTTP(w, req)
			return
		}
		http.Error(w, "the scenario's emulator is not ready yet", http.StatusServiceUnavailable)
	}))
	if limits == (httplimit.Limits{}) {
		limits = httplimit.Defaults()
	}
	httplimit.Configure(srv.Config, limits, cuts)
	srv.Listener.Close()
	srv.Listener = cuts.Listen(httplimit.NewCapacity(limits.MaxConnections, cuts).Listen(ln))
	srv.Start()
	return srv
}

// poolKey is what a container receiver's environment is made from, before
// the values of its slot and org: runs with the same key can share a
// container when their org's values agree too.
func poolKey(spec ReceiverSpec, profile *Profile, phase string) string {
	env := receiverEnvTemplates(spec, profile)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	key := fmt.Sprintf("%+v|%s|%s|%s|%s|%s|%d", *spec.Container, spec.Ready, profile.Receiver.Ready, spec.EndpointPath, phase, apiVersion(phase), profile.Receiver.Port)
	for _, k := range keys {
		key += "|" + k + "=" + env[k]
	}
	return key
}

// openContainerSlot gives the run a slot of the run's pool, or nil with
// ReuseNone.
func (r *run) openContainerSlot(spec ReceiverSpec) (*containerSlot, error) {
	if r.opts.containerReuse() == ReuseNone {
		return nil, nil
	}
	ce := r.opts.containers
	// Twice as many slots as runs at once: a run that alternates two
	// environments (a scenario with its own receiver env between ones
	// without) keeps a container for each.
	s, err := ce.pool.acquire(poolKey(spec, r.profile, r.phase), ce.gateway, r.opts.ServerLimits, 2*r.opts.parallel())
	if err != nil {
		return nil, err
	}
	s.current.Store(r)
	return s, nil
}
