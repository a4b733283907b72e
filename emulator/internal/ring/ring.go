// Package ring is a bounded, concurrency-safe log of the most recent
// items: the journals and histories the emulator keeps for people and
// tests to read, which must not grow with load.
package ring

import "sync"

// Ring keeps the last Limit items added, oldest dropped first.
type Ring[T any] struct {
	mu    sync.Mutex
	items []T
	start int // oldest item once full
	limit int
}

// New returns a ring of the given capacity (at least 1).
func New[T any](limit int) *Ring[T] {
	return &Ring[T]{limit: max(limit, 1)}
}

// Add appends x, dropping the oldest item when full.
func (r *Ring[T]) Add(x T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(x)
}

func (r *Ring[T]) addLocked(x T) {
	if len(r.items) < r.limit {
		r.items = append(r.items, x)
		return
	}
	r.items[r.start] = x
	r.start = (r.start + 1) % r.limit
}

// Push is Add, returning the item it dropped to make room, if any: for
// callers that keep a copy of the ring elsewhere (on disk) in step.
func (r *Ring[T]) Push(x T) (dropped T, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.items) == r.limit {
		dropped, ok = r.items[r.start], true
	}
	r.addLocked(x)
	return dropped, ok
}

// Do runs f with the ring locked, for callers that must add and read
// atomically with other state of theirs.
func (r *Ring[T]) Do(f func(add func(T))) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.addLocked)
}

// Items returns the kept items, oldest first.
func (r *Ring[T]) Items() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, len(r.items))
	out = append(out, r.items[r.start:]...)
	return append(out, r.items[:r.start]...)
}

// Find returns the most recent item match accepts, looking from the newest
// back, without copying the ring.
func (r *Ring[T]) Find(match func(T) bool) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.items)
	for i := n - 1; i >= 0; i-- {
		x := r.items[(r.start+i)%n]
		if match(x) {
			return x, true
		}
	}
	var zero T
	return zero, false
}

// Len is the number of items kept.
func (r *Ring[T]) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.items)
}

// Page returns, oldest first, at most limit kept items that match accepts
// (nil: every item), starting with the first item from accepts; more
// reports whether matching items follow. Items must be in the order from
// divides them: rejected ones first, then accepted ones — as a journal's
// increasing ids and "id > cursor" are. It copies only the page.
func (r *Ring[T]) Page(from, match func(T) bool, limit int) (page []T, more bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.items)
	at := func(i int) T { return r.items[(r.start+i)%n] }
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if from(at(mid)) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	for i := lo; i < n; i++ {
		x := at(i)
		if match != nil && !match(x) {
			continue
		}
		if len(page) == limit {
			return page, true
		}
		page = append(page, x)
	}
	return page, false
}
