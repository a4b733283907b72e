package outbound

import "sort"

// Journal is where the queue's changes go so that `sfemu serve --data-dir`
// brings the queue back after a restart (package emulator/persist keeps
// it on disk); nil: in memory. The calls are made under the queue's lock
// (or the attempt journal's), in the order of the changes, so they must be
// quick: the journal notes them and writes them before the next HTTP
// answer.
type Journal interface {
	// Notification notes a notification's state after a change.
	Notification(n KeptNotification)
	// ForgetNotification notes that the bounded history let the
	// notification numbered seq go.
	ForgetNotification(seq uint64)
	// Attempt notes a delivery attempt; forgotten, when not 0, is the
	// attempt the bounded attempt journal let go.
	Attempt(a Attempt, forgotten int64)
}

// KeptNotification is a notification as the journal keeps it: an item
// in flight is kept as pending and due at once, since after a restart
// nothing is in flight (Close puts cancelled ones back the same way).
type KeptNotification struct {
	Item
	// Seq numbers the notification in queue order, for the whole queue's
	// life: a duplicate shares its original's Id, not its Seq.
	Seq uint64
	// DueNow is whether its next attempt is due in real time, whatever the
	// emulator's clock says (just queued, retried by hand).
	DueNow bool
}

// keepLocked tells the journal of it's current state, under the queue lock.
func (q *queue) keepLocked(it *Item) {
	if q.journal == nil {
		return
	}
	k := KeptNotification{Item: *it, Seq: it.seq, DueNow: it.firstAttemptNow}
	if k.State == InFlight {
		k.State, k.DueNow = Pending, true
	}
	q.journal.Notification(k)
}

// Reload puts back kept notifications and attempts (any order) at
// start-up, before the first is sent: the pending in the queue, the
// delivered and dropped in the history. It tells no journal.
func (d *Dispatcher) Reload(kept []KeptNotification, attempts []Attempt) {
	sort.Slice(kept, func(i, j int) bool { return kept[i].Seq < kept[j].Seq })
	sort.Slice(attempts, func(i, j int) bool { return attempts[i].ID < attempts[j].ID })
	d.q.mu.Lock()
	for _, k := range kept {
		it := new(Item)
		*it = k.Item
		it.seq, it.firstAttemptNow = k.Seq, k.DueNow
		d.q.seq = max(d.q.seq, k.Seq)
		switch it.State {
		case Pending, InFlight:
			it.State = Pending
			d.q.items[it.ID] = it
			d.q.waiting[it.Message.Org]++
		default:
			d.q.history.Add(it)
		}
	}
	d.q.mu.Unlock()
	d.attempts.Do(func(add func(Attempt)) {
		for _, a := range attempts {
			add(a)
			d.attemptN = max(d.attemptN, a.ID)
		}
	})
	d.q.notify()
	d.changed()
}
