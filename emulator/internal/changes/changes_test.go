package changes

import (
	"sync"
	"testing"
	"time"
)

func TestWatchWakesAtTheNextBump(t *testing.T) {
	var f Feed
	before, ch := f.Watch()
	select {
	case <-ch:
		t.Fatal("woken before any bump")
	default:
	}
	f.Bump(Outbound)
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("not woken by a bump")
	}
	after := f.Snapshot()
	if after.Outbound != before.Outbound+1 || after.Logins != before.Logins {
		t.Errorf("before %+v, after %+v", before, after)
	}
	f.BumpAll()
	if all := f.Snapshot(); all.Outbound != 2 || all.Logins != 1 || all.Orgs != 1 || all.Clock != 1 || all.Faults != 1 || all.Requests != 1 {
		t.Errorf("after BumpAll: %+v", all)
	}
}

// TestNoWakeIsLost: however bumps and watches interleave, a watcher whose
// snapshot missed a bump is woken.
func TestNoWakeIsLost(t *testing.T) {
	var f Feed
	const bumps = 2000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range bumps {
			f.Bump(Requests)
		}
	}()
	deadline := time.After(10 * time.Second)
	for {
		seen, ch := f.Watch()
		if seen.Requests == bumps {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("stuck at %d of %d bumps", seen.Requests, bumps)
		}
	}
	wg.Wait()
}
