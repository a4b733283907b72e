package outbound

import (
	"sort"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// State of a queued notification: wire.Pending, InFlight, Delivered or Dropped.
type State = string

// States, as the delivery status page shows them.
const (
	Pending   = wire.Pending
	InFlight  = wire.InFlight
	Delivered = wire.Delivered
	Dropped   = wire.Dropped
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
	// DroppedAt is when the notification was given up (its retry window
	// ended) or deleted from the queue.
	DroppedAt time.Time
	State     State
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
type Status = wire.QueueEntry

func (it *Item) status(now time.Time) Status {
	s := Status{ID: string(it.ID), Message: it.Message.Name, Org: it.Message.Org.Name, OrgID: string(it.Message.Org.ID), Object: it.Message.Object.Name, RecordID: string(it.RecordID),
		Endpoint: it.Endpoint, State: it.State, QueuedAt: it.QueuedAt, Age: wire.Duration(now.Sub(it.QueuedAt).Round(time.Second)),
		Attempts: it.Attempts, DeliveryFailureReason: it.LastFailure, DuplicateOf: string(it.DuplicateOf)}
	if !it.LastAttempt.IsZero() {
		la := it.LastAttempt
		s.LastAttempt = &la
	}
	if it.State == Pending {
		na := it.NextAttempt
		s.NextAttempt = &na
	}
	if !it.DroppedAt.IsZero() {
		da := it.DroppedAt
		s.DroppedAt = &da
	}
	return s
}

// queue holds every notification not yet delivered or dropped, plus a
// bounded history of those that were.
type queue struct {
	mu      sync.Mutex
	items   map[org.ID]*Item  // pending and in flight
	history *ring.Ring[*Item] // delivered and dropped
	// waiting counts each org's items: what Settings.QueueLimit caps.
	waiting map[*org.Org]int
	seq     uint64
	// changed is signalled (non-blocking) when items become due in real time.
	changed chan struct{}
	// journal keeps the queue across restarts (nil: in memory).
	journal Journal
}

// historyLimit bounds the delivered/dropped items kept for inspection.
const historyLimit = 10000

func newQueue() *queue {
	return &queue{items: map[org.ID]*Item{}, history: ring.New[*Item](historyLimit), waiting: map[*org.Org]int{}, changed: make(chan struct{}, 1)}
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
		q.waiting[it.Message.Org]++
		q.keepLocked(it)
	}
}

// room checks, without queuing, that o's queue has room for n more under
// limit.
func (q *queue) room(o *org.Org, n, limit int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.roomLocked(o, n, limit)
}

func (q *queue) roomLocked(o *org.Org, n, limit int) error {
	if w := q.waiting[o]; w+n > limit {
		return &QueueFullError{Org: o.Name, OrgID: o.ID, Limit: limit, Waiting: w, Asked: n}
	}
	return nil
}

// addWithin queues items, all of one org, if they all fit under limit;
// otherwise it queues none and says why.
func (q *queue) addWithin(limit int, items []*Item) error {
	if len(items) == 0 {
		return nil
	}
	q.mu.Lock()
	err := q.roomLocked(items[0].Message.Org, len(items), limit)
	if err == nil {
		q.addLocked(items...)
	}
	q.mu.Unlock()
	if err == nil {
		q.notify()
	}
	return err
}

// finish moves an item out of the queue into the history.
func (q *queue) finishLocked(it *Item, state State) {
	it.State = state
	delete(q.items, it.ID)
	if o := it.Message.Org; q.waiting[o] <= 1 {
		delete(q.waiting, o)
	} else {
		q.waiting[o]--
	}
	q.addHistoryLocked(it)
}

// addHistoryLocked puts a delivered or dropped item in the bounded
// history, numbering it if it never was queued (Fire into a full queue).
func (q *queue) addHistoryLocked(it *Item) {
	if it.seq == 0 {
		q.seq++
		it.seq = q.seq
	}
	dropped, ok := q.history.Push(it)
	q.keepLocked(it)
	if ok && q.journal != nil {
		q.journal.ForgetNotification(dropped.seq)
	}
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
