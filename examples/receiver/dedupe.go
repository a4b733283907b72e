package main

import (
	"context"
	"sync"
)

// Dedupe remembers processed Notification Ids. Salesforce may deliver a
// notification more than once, even after an Ack, so a receiver processes
// each Id once. Memory is bounded: past Limit ids the oldest is forgotten.
//
// A notification being processed is claimed: a duplicate arriving
// meanwhile waits for the first to finish rather than running beside it.
type Dedupe struct {
	limit int

	mu       sync.Mutex
	done     map[string]struct{}
	ring     []string // processed ids, oldest at start once full
	start    int
	inflight map[string]chan struct{}
}

// NewDedupe remembers up to limit ids.
func NewDedupe(limit int) *Dedupe {
	if limit < 1 {
		limit = 1
	}
	return &Dedupe{limit: limit, done: map[string]struct{}{}, inflight: map[string]chan struct{}{}}
}

// Claim returns duplicate=true when id was processed already. Otherwise id
// is claimed and the caller must call Finish. ctx bounds the wait for a
// concurrent claim of the same id.
func (d *Dedupe) Claim(ctx context.Context, id string) (duplicate bool, err error) {
	for {
		d.mu.Lock()
		if _, ok := d.done[id]; ok {
			d.mu.Unlock()
			return true, nil
		}
		wait, busy := d.inflight[id]
		if !busy {
			d.inflight[id] = make(chan struct{})
			d.mu.Unlock()
			return false, nil
		}
		d.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// Finish releases a claim; processed records id as done.
func (d *Dedupe) Finish(id string, processed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if processed {
		if _, ok := d.done[id]; !ok {
			if len(d.ring) < d.limit {
				d.ring = append(d.ring, id)
			} else {
				delete(d.done, d.ring[d.start])
				d.ring[d.start] = id
				d.start = (d.start + 1) % d.limit
			}
			d.done[id] = struct{}{}
		}
	}
	if ch, ok := d.inflight[id]; ok {
		close(ch)
		delete(d.inflight, id)
	}
}

// Processed lists the remembered ids, oldest first.
func (d *Dedupe) Processed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.ring))
	out = append(out, d.ring[d.start:]...)
	return append(out, d.ring[:d.start]...)
}
