// Package schedule runs background work at a time on the emulator's clock:
// Bulk API jobs and anything else that Salesforce does "later".
//
// On the real clock a task runs when a timer fires at its time. On the
// virtual clock nothing runs until the clock is advanced past a task's time;
// the tasks that fall due then run before Advance returns, in time order, so
// a story that spans a day runs in milliseconds and is deterministic. A task
// due already (at or before now) when it is scheduled runs at once, on a
// goroutine of the scheduler's, on either clock.
//
// The scheduler is bounded (at most Max pending tasks) and stops cleanly:
// Close drops what is pending, cancels the context running tasks were given
// and waits for them to return.
package schedule

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

// DefaultMax bounds the pending tasks of a scheduler made with max 0.
const DefaultMax = 10000

// Errors of At.
var (
	ErrFull   = errors.New("schedule: too many pending tasks")
	ErrClosed = errors.New("schedule: scheduler closed")
)

// Task is work to run; ctx is cancelled when the scheduler closes, now is
// the clock's time when it runs.
type Task func(ctx context.Context, now time.Time)

// Scheduler runs tasks at clock times.
type Scheduler struct {
	clk     clock.Clock
	virtual bool
	max     int
	ctx     context.Context
	cancel  context.CancelFunc
	remove  func()
	wake    chan struct{}
	done    chan struct{}
	running sync.WaitGroup
	// runMu lets one runDue pop and run at a time: the loop's (a task due
	// when scheduled) and an Advance's. Without it an Advance could return
	// while the loop still ran a task it had popped — one of two tasks due
	// at the same time was seen to run after Advance returned.
	runMu sync.Mutex

	mu      sync.Mutex
	pending taskHeap
	seq     uint64
	closed  bool
	active  int // tasks running now
	idle    *sync.Cond
}

type item struct {
	at   time.Time
	seq  uint64
	f    Task
	slot int
}

type taskHeap []*item

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].slot = i; h[j].slot = j }
func (h *taskHeap) Push(x any)   { it := x.(*item); it.slot = len(*h); *h = append(*h, it) }
func (h *taskHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil // the backing array must not keep a task (and what it holds) alive
	*h = old[:len(old)-1]
	it.slot = -1
	return it
}

// New returns a running scheduler on clk. When clk is a *clock.Virtual, due
// tasks run when it is advanced. max bounds the pending tasks (0: DefaultMax).
func New(clk clock.Clock, max int) *Scheduler {
	if max <= 0 {
		max = DefaultMax
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{clk: clk, max: max, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.idle = sync.NewCond(&s.mu)
	if v, ok := clk.(*clock.Virtual); ok {
		s.virtual = true
		s.remove = v.OnAdvance(func(now time.Time) { s.runDue(now) })
	}
	go s.loop()
	return s
}

// At schedules f to run at clock time t, and returns a function that
// cancels it if it has not started (reporting whether it did cancel).
func (s *Scheduler) At(t time.Time, f Task) (cancel func() bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if len(s.pending) >= s.max {
		return nil, ErrFull
	}
	s.seq++
	it := &item{at: t, seq: s.seq, f: f}
	heap.Push(&s.pending, it)
	s.poke()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if it.slot < 0 {
			return false
		}
		heap.Remove(&s.pending, it.slot)
		s.idle.Broadcast()
		return true
	}, nil
}

// After schedules f to run d from now on the clock.
func (s *Scheduler) After(d time.Duration, f Task) (cancel func() bool, err error) {
	return s.At(s.clk.Now().Add(d), f)
}

// Pending is the number of tasks waiting for their time.
func (s *Scheduler) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// loop runs due tasks: on the real clock when the earliest one's timer
// fires; on the virtual clock only the ones due when scheduled (the rest
// run from Advance).
func (s *Scheduler) loop() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.clk.Now()
		s.runDue(now)
		s.mu.Lock()
		closed := s.closed
		var next time.Time
		if len(s.pending) > 0 {
			next = s.pending[0].at
		}
		s.mu.Unlock()
		if closed {
			return
		}
		var timerC <-chan time.Time
		if !s.virtual && !next.IsZero() {
			timer.Reset(max(next.Sub(s.clk.Now()), 0))
			timerC = timer.C
		}
		select {
		case <-s.wake:
		case <-timerC:
		case <-s.ctx.Done():
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// runDue runs, in time order, every task due at now. A task must not
// advance the virtual clock (it would wait for itself).
func (s *Scheduler) runDue(now time.Time) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	for {
		s.mu.Lock()
		if s.closed || len(s.pending) == 0 || s.pending[0].at.After(now) {
			s.mu.Unlock()
			return
		}
		it := heap.Pop(&s.pending).(*item)
		s.active++
		s.running.Add(1)
		s.mu.Unlock()
		s.run(it, now)
	}
}

func (s *Scheduler) run(it *item, now time.Time) {
	defer func() {
		s.mu.Lock()
		s.active--
		s.idle.Broadcast()
		s.mu.Unlock()
		s.running.Done()
	}()
	it.f(s.ctx, now)
}

// Wait blocks until no task is running and none is due at the clock's
// current time (tasks due later do not count).
func (s *Scheduler) Wait() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !s.closed && (s.active > 0 || len(s.pending) > 0 && !s.pending[0].at.After(s.clk.Now())) {
		s.idle.Wait()
	}
}

// Close drops the pending tasks, cancels the running ones' context and
// waits for them to return. Calling it from a task deadlocks.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.pending = nil
	s.idle.Broadcast()
	s.mu.Unlock()
	if s.remove != nil {
		s.remove()
	}
	s.cancel()
	<-s.done
	s.running.Wait()
}
