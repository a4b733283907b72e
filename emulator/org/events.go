package org

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/sfemu/sfemu/wire"
)

// Platform events (Platform Events Developer Guide): objects whose names end
// in __e. Publishing one — a create through REST, collections or SOAP — is
// not a record: nothing is stored or queryable, the event goes on the org's
// event bus with a ReplayId and an EventUuid, and subscribers (here: the
// control API's journal and a scenario's events: expectation) see it.

// PublishBehavior is an event object's "Publish Behavior".
type PublishBehavior string

// Publish behaviors.
const (
	PublishAfterCommit PublishBehavior = "publish_after_commit"
	PublishImmediately PublishBehavior = "publish_immediately"
)

// PublishedEvent is one event on an org's bus (wire.PlatformEvent).
type PublishedEvent = wire.PlatformEvent

// DefaultEventBusLimit bounds the events an org keeps, oldest dropped first.
const DefaultEventBusLimit = 10_000

// EventBus keeps an org's most recent published events.
type EventBus struct {
	mu     sync.Mutex
	events []PublishedEvent
	replay int64
	limit  int
}

func newEventBus(limit int) *EventBus {
	if limit <= 0 {
		limit = DefaultEventBusLimit
	}
	return &EventBus{limit: limit}
}

func (b *EventBus) publish(e PublishedEvent) PublishedEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.replay++
	e.ReplayID = b.replay
	b.events = append(b.events, e)
	if over := len(b.events) - b.limit; over > 0 {
		b.events = append(b.events[:0], b.events[over:]...)
	}
	return e
}

// Events returns the kept events, oldest first.
func (b *EventBus) Events() []PublishedEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append(make([]PublishedEvent, 0, len(b.events)), b.events...)
}

// Events is the org's event bus.
func (o *Org) Events() *EventBus { return o.eventBus }

// publishEvent validates like an insert and puts the event on the bus. The
// returned record carries the id the publish answers with and is stored
// nowhere.
func (d *Data) publishEvent(o *Object, values []any, user *User, now time.Time) *Record {
	d.mu.Lock()
	id := d.nextIDLocked(o)
	d.mu.Unlock()
	fields := map[string]any{}
	for _, f := range o.Fields {
		if v := values[f.Index]; v != nil && f.Custom {
			fields[f.Name] = v
		}
	}
	uuid := newUUID()
	if f := o.Field("EventUuid"); f != nil {
		values[f.Index] = uuid
	}
	if f := o.Field("CreatedDate"); f != nil {
		values[f.Index] = now
	}
	if f := o.Field("CreatedById"); f != nil && user != nil {
		values[f.Index] = string(user.ID)
	}
	ev := PublishedEvent{Object: o.Name, EventUUID: uuid, PublishedAt: now, Fields: fields, PublishBehavior: string(o.PublishBehavior)}
	if user != nil {
		ev.PublishedBy = user.Username
	}
	ev = d.org.eventBus.publish(ev)
	if f := o.Field("ReplayId"); f != nil {
		values[f.Index] = fmt.Sprint(ev.ReplayID)
	}
	return &Record{ID: id, Object: o, Values: values, slot: -1}
}

// newUUID is a random (version 4) UUID, the form of an event's EventUuid.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// PublishNotes are the errors array of a successful save result: empty for
// a record; for a platform event, OPERATION_ENQUEUED with the EventUuid,
// which Salesforce returns to say the publish is asynchronous (Platform
// Events Developer Guide, "Publish Event Messages with Salesforce APIs").
func PublishNotes(r *Record) []DMLError {
	if r == nil || !r.Object.PlatformEvent {
		return []DMLError{}
	}
	uuid, _ := r.GetName("EventUuid").(string)
	return []DMLError{{StatusCode: "OPERATION_ENQUEUED", Message: uuid, Fields: []string{}}}
}
