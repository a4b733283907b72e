package schedule

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestVirtualClockRunsTasksWhenAdvancedPastTheirTime(t *testing.T) {
	v := clock.NewVirtual(start)
	s := New(v, 0)
	defer s.Close()
	var mu sync.Mutex
	var ran []string
	add := func(name string, d time.Duration) {
		if _, err := s.At(start.Add(d), func(_ context.Context, now time.Time) {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, name+"@"+now.Sub(start).String())
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("day", 24*time.Hour)
	add("hour", time.Hour)
	add("hour2", time.Hour)
	if _, err := v.Advance(59 * time.Minute); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(ran) != 0 {
		t.Fatalf("ran early: %v", ran)
	}
	mu.Unlock()
	if _, err := v.Advance(48 * time.Hour); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"hour@48h59m0s", "hour2@48h59m0s", "day@48h59m0s"}
	if len(ran) != 3 || ran[0] != want[0] || ran[1] != want[1] || ran[2] != want[2] {
		t.Fatalf("ran %v, want %v", ran, want)
	}
}

func TestDueTaskRunsAtOnceOnTheVirtualClock(t *testing.T) {
	v := clock.NewVirtual(start)
	s := New(v, 0)
	defer s.Close()
	done := make(chan struct{})
	if _, err := s.At(start, func(context.Context, time.Time) { close(done) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("due task did not run")
	}
}

func TestRealClockRunsAfterATimer(t *testing.T) {
	s := New(clock.Real{}, 0)
	defer s.Close()
	done := make(chan time.Time, 1)
	begin := time.Now()
	if _, err := s.After(30*time.Millisecond, func(_ context.Context, now time.Time) { done <- now }); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-done:
		if at.Sub(begin) < 30*time.Millisecond {
			t.Fatalf("ran after %s, before its time", at.Sub(begin))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("task did not run")
	}
}

func TestCancelBoundAndClose(t *testing.T) {
	v := clock.NewVirtual(start)
	s := New(v, 2)
	var n atomic.Int32
	inc := func(context.Context, time.Time) { n.Add(1) }
	cancel, err := s.At(start.Add(time.Minute), inc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.At(start.Add(time.Minute), inc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.At(start.Add(time.Minute), inc); err != ErrFull {
		t.Fatalf("third task: %v, want ErrFull", err)
	}
	if !cancel() || cancel() {
		t.Fatal("cancel should succeed once")
	}
	v.Advance(time.Hour)
	if n.Load() != 1 {
		t.Fatalf("ran %d tasks, want 1", n.Load())
	}
	// A running task sees its context cancelled by Close, which waits for it.
	started := make(chan struct{})
	var sawCancel atomic.Bool
	if _, err := s.At(v.Now(), func(ctx context.Context, _ time.Time) {
		close(started)
		<-ctx.Done()
		sawCancel.Store(true)
	}); err != nil {
		t.Fatal(err)
	}
	<-started
	if _, err := s.At(v.Now().Add(time.Hour), inc); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if !sawCancel.Load() {
		t.Fatal("Close returned before the running task")
	}
	v.Advance(2 * time.Hour)
	if n.Load() != 1 {
		t.Fatal("a pending task ran after Close")
	}
	if _, err := s.At(v.Now(), inc); err != ErrClosed {
		t.Fatalf("At after Close: %v", err)
	}
	s.Close() // twice is fine
}

func TestWaitReturnsWhenDueWorkIsDone(t *testing.T) {
	s := New(clock.Real{}, 0)
	defer s.Close()
	var n atomic.Int32
	for range 10 {
		if _, err := s.After(0, func(context.Context, time.Time) { time.Sleep(time.Millisecond); n.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	s.Wait()
	if n.Load() != 10 {
		t.Fatalf("Wait returned with %d of 10 done", n.Load())
	}
}

// TestRunTasksAreNotKeptAlive: once a task has run or been cancelled, the
// scheduler holds nothing of it (a finished Bulk job's results are freed
// when the job is deleted).
func TestRunTasksAreNotKeptAlive(t *testing.T) {
	clk := clock.NewVirtual(start)
	s := New(clk, 0)
	defer s.Close()
	freed := make(chan string, 2)
	for _, name := range []string{"run", "cancelled"} {
		payload := new([1 << 16]byte)
		runtime.AddCleanup(payload, func(n string) { freed <- n }, name)
		cancel, err := s.After(time.Second, func(context.Context, time.Time) { payload[0]++ })
		if err != nil {
			t.Fatal(err)
		}
		if name == "cancelled" {
			cancel()
		}
	}
	if _, err := clk.Advance(time.Minute); err != nil {
		t.Fatal(err)
	}
	s.Wait()
	got := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		runtime.GC()
		select {
		case n := <-freed:
			got[n] = true
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !got["run"] || !got["cancelled"] {
		t.Errorf("freed %v: the scheduler keeps a task it is done with alive", got)
	}
}
