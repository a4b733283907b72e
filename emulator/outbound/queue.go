package outbound

import (
	"sort"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/emulator/org"
)

// State of a queued notification.
type State string

// States, as the delivery status page would show them.
const (
	Pending   State = "pending"   // waiting for its first or next attempt
	InFlight  State = "in_flight" // being sent now
	Delivered State = "delivered" // acknowledged
	Dropped   State = "dropped"   // gave up 24 hours after queuing, or deleted
)

// Item is one queued notification: the unit Salesforce's delivery status
// page lists, retries and deletes.
type Item struct {
	ID          org.ID // the notification's 04l id
	Message     *org.OutboundMessage
	RecordID    org.ID
	Endpoint    string
	QueuedAt    time.Time
	Attempts    int
	NextAttempt time.Time
	LastFailure string
	LastAttempt time.Time
	State       State
	// DuplicateOf is set on a copy the duplicate-delivery fault re-sends
	// after the original was acknowledged.
	DuplicateOf org.ID
	// firstAttemptNow marks an item whose next attempt is due in real time
	// (just queued, or retried by hand), whatever the emulator's clock.
	firstAttemptNow bool
	seq             uint64 // queue order, for stable sorting
}

// Status is an Item as the control API shows it (Setup → Monitoring →
// Outbound Messages).
type Status struct {
	ID          org.ID     `json:"id"`
	Message     string     `json:"message"`
	Object      string     `json:"object"`
	RecordID    org.ID     `json:"record_id"`
	Endpoint    string     `json:"endpoint"`
	State       State      `json:"state"`
	QueuedAt    time.Time  `json:"queued_at"`
	Age         string     `json:"age"`
	Attempts    int        `json:"attempts"`
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastFailure string     `json:"delivery_failure_reason,omitempty"`
	DuplicateOf org.ID     `json:"duplicate_of,omitempty"`
}

func (it *Item) status(now time.Time) Status {
	s := Status{ID: it.ID, Message: it.Message.Name, Object: it.Message.Object.Name, RecordID: it.RecordID,
		Endpoint: it.Endpoint, State: it.State, QueuedAt: it.QueuedAt, Age: now.Sub(it.QueuedAt).Round(time.Second).String(),
		Attempts: it.Attempts, LastFailure: it.LastFailure, DuplicateOf: it.DuplicateOf}
	if !it.LastAttempt.IsZero() {
		la := it.LastAttempt
		s.LastAttempt = &la
	}
	if it.State == Pending {
		na := it.NextAttempt
		s.NextAttempt = &na
	}
	return s
}

// queue holds every notification not yet delivered or dropped, plus a
// bounded history of those that were.
type queue struct {
	mu      sync.Mutex
	items   map[org.ID]*Item  // pending and in flight
	history *ring.Ring[*Item] // delivered and dropped
	seq     uint64
	// changed is signalled (non-blocking) when items become due in real time.
	changed chan struct{}
}

// historyLimit bounds the delivered/dropped items kept for inspection.
const historyLimit = 10000

func newQueue() *queue {
	return &queue{items: map[org.ID]*Item{}, history: ring.New[*Item](historyLimit), changed: make(chan struct{}, 1)}
}

func (q *queue) notify() {
	select {
	case q.changed <- struct{}{}:
	default:
	}
}

// add queues items together, so a sender never sees only some of them.
func (q *queue) add(items ...*Item) {
	q.mu.Lock()
	q.addLocked(items...)
	q.mu.Unlock()
	q.notify()
}

func (q *queue) addLocked(items ...*Item) {
	for _, it := range items {
		q.seq++
		it.seq = q.seq
		q.items[it.ID] = it
	}
}

// finish moves an item out of the queue into the history.
func (q *queue) finishLocked(it *Item, state State) {
	it.State = state
	delete(q.items, it.ID)
	q.history.Add(it)
}

// batchKey groups notifications that may travel in one message: the same
// definition (so one ActionId and one object type) to the same endpoint.
type batchKey struct {
	message  *org.OutboundMessage
	endpoint string
}

// takeDue marks as in flight, and returns grouped into batches of at most
// maxBatch, the pending items due by now on the emulator's clock (or due in
// real time), earliest first.
func (q *queue) takeDue(now time.Time, maxBatch int, realTimeOnly bool) [][]*Item {
	q.mu.Lock()
	defer q.mu.Unlock()
	var due []*Item
	for _, it := range q.items {
		if it.State != Pending {
			continue
		}
		if it.firstAttemptNow || (!realTimeOnly && !it.NextAttempt.After(now)) {
			due = append(due, it)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].NextAttempt.Equal(due[j].NextAttempt) {
			return due[i].NextAttempt.Before(due[j].NextAttempt)
		}
		return due[i].seq < due[j].seq
	})
	var batches [][]*Item
	open := map[batchKey]int{}
	for _, it := range due {
		it.State = InFlight
		it.firstAttemptNow = false
		k := batchKey{it.Message, it.Endpoint}
		if i, ok := open[k]; ok && len(batches[i]) < maxBatch {
			batches[i] = append(batches[i], it)
			continue
		}
		open[k] = len(batches)
		batches = append(batches, []*Item{it})
	}
	return batches
}

// earliest is the soonest next attempt of a pending item on the emulator's clock.
func (q *queue) earliest() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var t time.Time
	found := false
	for _, it := range q.items {
		if it.State == Pending && (!found || it.NextAttempt.Before(t)) {
			t, found = it.NextAttempt, true
		}
	}
	return t, found
}

func (q *queue) statuses(now time.Time, includeHistory bool) []Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []Status
	for _, it := range q.items {
		out = append(out, it.status(now))
	}
	if includeHistory {
		for _, it := range q.history.Items() {
			out = append(out, it.status(now))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].QueuedAt.Equal(out[j].QueuedAt) {
			return out[i].QueuedAt.Before(out[j].QueuedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
