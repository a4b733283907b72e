// Package clock is the emulator's notion of "now": the wall clock, or a virtual
// clock that only moves when told to. Sessions (inactivity timeouts), login
// history, SOQL date literals and the outbound dispatcher all read the same
// Clock, so advancing a virtual clock by 24 hours makes a whole day of
// Salesforce behaviour happen at once and deterministically.
//
// It owns no scheduling policy: packages that need to act when time passes
// subscribe with Virtual.OnAdvance.
package clock

import (
	"fmt"
	"sync"
	"time"
)

// Clock tells the time. Implementations are safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Virtual is a clock that stands still until Advance or Set moves it.
type Virtual struct {
	mu        sync.Mutex
	now       time.Time
	listeners []*listener
}

type listener struct{ f func(time.Time) }

// NewVirtual returns a virtual clock reading start.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{now: start}
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Advance moves the clock forward by d and returns the new time. Listeners
// registered with OnAdvance run, in registration order, before Advance
// returns, so whatever falls due has happened when the caller looks.
func (v *Virtual) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return v.Now(), fmt.Errorf("clock: cannot advance by a negative duration %s", d)
	}
	v.mu.Lock()
	v.now = v.now.Add(d)
	now := v.now
	listeners := append([]*listener{}, v.listeners...)
	v.mu.Unlock()
	for _, l := range listeners {
		l.f(now)
	}
	return now, nil
}

// Set moves the clock to t, which must not be earlier than the current time:
// time never runs backwards for sessions or queued messages.
func (v *Virtual) Set(t time.Time) (time.Time, error) {
	now := v.Now()
	if t.Before(now) {
		return now, fmt.Errorf("clock: cannot go back from %s to %s", now.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	return v.Advance(t.Sub(now))
}

// Restart puts the clock at t, earlier or later, without calling the
// listeners: only for a fresh start with nothing keeping time (the
// emulator loading new orgs, whose queue and sessions start empty).
func (v *Virtual) Restart(t time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = t
}

// OnAdvance registers f to be called with the new time after every Advance
// or Set, and returns a function that unregisters it. f must not call
// Advance or Set.
func (v *Virtual) OnAdvance(f func(now time.Time)) (remove func()) {
	l := &listener{f}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.listeners = append(v.listeners, l)
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		for i, x := range v.listeners {
			if x == l {
				v.listeners = append(v.listeners[:i:i], v.listeners[i+1:]...)
				return
			}
		}
	}
}
