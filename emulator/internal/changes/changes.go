// Package changes is the emulator's change feed: a counter per kind of
// state a person watches (logins, the request journal, the outbound queue,
// the clock, faults, the orgs), bumped where that state changes, and a
// broadcast that wakes every watcher at the next bump.
//
// Watchers never queue anything: a watcher is woken, reads the counters
// and compares them with what it last saw, so a slow watcher misses
// nothing but intermediate values, and a thousand bumps cost it one wake.
// Bumping with no watcher costs an atomic add and an atomic load.
package changes

import (
	"sync"
	"sync/atomic"

	"github.com/sfemu/sfemu/wire"
)

// Topic is one kind of change.
type Topic int

// Topics, as wire.Changes names them.
const (
	Logins Topic = iota
	Requests
	Outbound
	Clock
	Faults
	Orgs
	numTopics
)

// Feed counts changes and wakes watchers. The zero value is ready.
type Feed struct {
	counts  [numTopics]atomic.Uint64
	waiting atomic.Bool // someone holds the current channel

	mu sync.Mutex
	ch chan struct{} // closed at the next bump
}

// Bump counts a change of topic t and wakes the watchers.
func (f *Feed) Bump(t Topic) {
	f.counts[t].Add(1)
	f.wake()
}

// BumpAll counts a change of everything (a reset).
func (f *Feed) BumpAll() {
	for i := range f.counts {
		f.counts[i].Add(1)
	}
	f.wake()
}

func (f *Feed) wake() {
	if !f.waiting.Load() {
		return
	}
	f.mu.Lock()
	if f.ch != nil {
		close(f.ch)
		f.ch = nil
	}
	f.waiting.Store(false)
	f.mu.Unlock()
}

// Watch returns the counts now and a channel closed at the next bump after
// them (maybe sooner: a watcher compares counts, it does not count wakes).
func (f *Feed) Watch() (wire.Changes, <-chan struct{}) {
	f.mu.Lock()
	if f.ch == nil {
		f.ch = make(chan struct{})
	}
	ch := f.ch
	f.waiting.Store(true)
	f.mu.Unlock()
	// Read after waiting is set: a bump the snapshot misses sees waiting
	// and closes ch.
	return f.Snapshot(), ch
}

// Snapshot returns the counts now.
func (f *Feed) Snapshot() wire.Changes {
	return wire.Changes{
		Logins:   f.counts[Logins].Load(),
		Requests: f.counts[Requests].Load(),
		Outbound: f.counts[Outbound].Load(),
		Clock:    f.counts[Clock].Load(),
		Faults:   f.counts[Faults].Load(),
		Orgs:     f.counts[Orgs].Load(),
	}
}
