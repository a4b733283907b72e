package outbound

// A lane is one endpoint's share of the sender: at most
// Settings.Concurrency messages in flight to it, and the messages taken
// from the queue that wait for one of its connections. The dispatcher's
// loop hands a batch to its lane and moves on; it never waits for a
// receiver, so an endpoint that accepts and never answers delays only its
// own messages. (Salesforce's Outbound Messaging considerations say a
// message "can be delayed by other, long-running messages in the queue";
// how far one endpoint delays another there is UNKNOWN. sfemu keeps
// endpoints apart, the behaviour a receiver's tests can rely on.)
//
// Waiting batches cost a slice entry each, not a goroutine: a worker that
// finishes a delivery takes the next waiting batch of its lane itself.
type lane struct {
	busy    int       // deliveries running, at most Settings.Concurrency
	waiting [][]*Item // batches taken from the queue, oldest first
}

// start sends batch now if its endpoint has a free connection, or queues
// it in the endpoint's lane.
func (d *Dispatcher) start(batch []*Item) {
	endpoint := batch[0].Endpoint
	d.laneMu.Lock()
	l := d.lanes[endpoint]
	if l == nil {
		l = &lane{}
		d.lanes[endpoint] = l
	}
	if l.busy >= d.cfg.Settings.Concurrency || d.ctx.Err() != nil {
		l.waiting = append(l.waiting, batch)
		d.laneMu.Unlock()
		return
	}
	l.busy++
	d.inflight.Add(1)
	d.laneMu.Unlock()
	go d.work(l, batch)
}

// work delivers batch, then the lane's waiting batches one by one, until
// none waits or the dispatcher closes.
func (d *Dispatcher) work(l *lane, batch []*Item) {
	defer d.inflight.Done()
	for batch != nil {
		d.deliver(batch, d.cfg.Clock.Now())
		d.laneMu.Lock()
		batch = nil
		if len(l.waiting) > 0 && d.ctx.Err() == nil {
			batch = l.waiting[0]
			l.waiting[0] = nil
			l.waiting = l.waiting[1:]
		} else {
			l.busy--
		}
		d.laneMu.Unlock()
	}
}

// requeueWaiting puts the batches still waiting for a connection back in
// the queue, pending as they were before they were taken.
func (d *Dispatcher) requeueWaiting() {
	d.laneMu.Lock()
	var items []*Item
	for _, l := range d.lanes {
		for _, b := range l.waiting {
			items = append(items, b...)
		}
		l.waiting = nil
	}
	d.laneMu.Unlock()
	d.q.mu.Lock()
	for _, it := range items {
		if it.State == InFlight {
			it.State, it.firstAttemptNow = Pending, true // it was due when taken
			d.q.keepLocked(it)
		}
	}
	d.q.mu.Unlock()
}
