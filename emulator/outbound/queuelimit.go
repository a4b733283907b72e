package outbound

import (
	"errors"
	"fmt"

	"github.com/sfemu/sfemu/emulator/org"
)

// The queue limit (Settings.QueueLimit) keeps an org's queue, and so the
// emulator's memory, bounded whatever its clients do. Salesforce documents
// no such cap, so how sfemu meets it is its own, chosen so that nothing is
// lost silently:
//
//   - a send that asks for more than the queue can take (the control API,
//     the CLI, Send) queues none of it and says so: the org, the limit and
//     how many wait (*QueueFullError; the control API answers 429);
//   - a rule or flow that fires on a save (Fire) cannot fail the save,
//     which has committed: its notification is not queued but goes straight
//     to the history as dropped, the Delivery Failure Reason saying why, and
//     the log has a line; `GET /_sfemu/outbound/queue?all=true` shows it;
//   - notifications already queued are never dropped to make room, and a
//     duplicate the duplicate-delivery fault re-sends is always queued.

// ErrQueueFull is what errors.Is finds in the error of a send refused
// because the org's queue is at its limit.
var ErrQueueFull = errors.New("outbound queue full")

// QueueFullError is a send refused by Settings.QueueLimit.
type QueueFullError struct {
	Org     string // the org's name
	OrgID   org.ID
	Limit   int // Settings.QueueLimit
	Waiting int // notifications pending or in flight for the org
	Asked   int // notifications the send asked for
}

func (e *QueueFullError) Error() string {
	return fmt.Sprintf("org %q (%s) has %d outbound notifications waiting for delivery and its queue holds at most %d "+
		"(sfemu's outbound queue limit, `sfemu serve --outbound-queue-limit`): %s; "+
		"let the receiver catch up, delete queued ones (DELETE /_sfemu/outbound/queue/{id}) or reset",
		e.Org, e.OrgID, e.Waiting, e.Limit, notificationsWord(e.Asked))
}

// Is makes errors.Is(err, ErrQueueFull) true.
func (e *QueueFullError) Is(target error) bool { return target == ErrQueueFull }

func notificationsWord(n int) string {
	if n == 1 {
		return "the notification was not queued"
	}
	return fmt.Sprintf("none of the %d notifications was queued", n)
}

// Fire queues the notification a rule or flow sends for a saved record and
// returns its id. When the org's queue is full it is not queued: it is
// kept in the history as dropped, with the reason, and the error is the
// *QueueFullError (the save stands: it has committed).
func (d *Dispatcher) Fire(m *org.OutboundMessage, record org.ID) (org.ID, error) {
	if err := d.CheckEndpoint(m.EndpointURL); err != nil {
		return "", err
	}
	items := d.newItems(m, []org.ID{record})
	it := items[0]
	err := d.q.addWithin(d.cfg.Settings.QueueLimit, items)
	if err != nil {
		now := d.cfg.Clock.Now()
		d.q.mu.Lock()
		it.State, it.DroppedAt, it.firstAttemptNow = Dropped, now, false
		var full *QueueFullError
		errors.As(err, &full)
		it.LastFailure = fmt.Sprintf("not queued: org %q had %d outbound notifications waiting, its queue's limit "+
			"(sfemu serve --outbound-queue-limit); the save that fired the rule was kept", full.Org, full.Waiting)
		d.q.addHistoryLocked(it)
		d.q.mu.Unlock()
		d.log.Warn("outbound notification dropped: queue full", "message", m.Name, "org", m.Org.Name, "notification", it.ID,
			"record", record, "limit", d.cfg.Settings.QueueLimit)
	}
	d.changed()
	return it.ID, err
}
