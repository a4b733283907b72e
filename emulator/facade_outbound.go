package emulator

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/changes"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/wire"
)

// OutboundMessages lists every org's outbound message definitions.
func (e *Emulator) OutboundMessages(context.Context) ([]wire.OutboundMessage, error) {
	out := []wire.OutboundMessage{}
	for _, o := range e.store().Orgs() {
		for _, m := range o.OutboundMessages {
			s := wire.OutboundMessage{ActionID: string(m.ID), Name: m.Name, Org: o.Name, Object: m.Object.Name, EndpointURL: m.EndpointURL,
				UserToSendAs: m.UserToSendAs.Username, IncludeSessionID: m.IncludeSessionID, APIVersion: m.APIVersion,
				SessionIDSent: m.IncludeSessionID && o.OutboundSessionID == org.SessionIDLegacy, Fields: []string{}}
			for _, f := range m.Fields {
				s.Fields = append(s.Fields, f.Name)
			}
			var summary []string
			for _, r := range m.Rules {
				s.Rules = append(s.Rules, wire.OutboundRule{Name: r.Name, Kind: r.Kind, When: r.When, Condition: r.Condition, Active: r.Active})
				text := r.When
				if r.Condition != "" {
					text += " when " + r.Condition
				}
				if r.Name != "" {
					text = r.Label() + ": " + text
				}
				if !r.Active {
					text += " (inactive)"
				}
				summary = append(summary, text)
			}
			s.Rule = strings.Join(summary, "; ")
			out = append(out, s)
		}
	}
	return out, nil
}

// findOutbound resolves a definition by name, in one org or the only org that has it.
func (e *Emulator) findOutbound(name, orgName string) (*org.OutboundMessage, error) {
	orgs := e.store().Orgs()
	if orgName != "" {
		o, err := e.org(orgName)
		if err != nil {
			return nil, err
		}
		orgs = []*org.Org{o}
	}
	var found []*org.OutboundMessage
	for _, o := range orgs {
		if m := o.OutboundMessage(name); m != nil {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return nil, wire.NotFound("no outbound message %q (GET %s/outbound/messages lists them)", name, ControlPrefix)
	case 1:
		return found[0], nil
	}
	return nil, wire.BadRequest("outbound message %q exists in several orgs: give \"org\"", name)
}

// SendOutbound queues notifications of a definition for the given
// records, or for the records matching a SOQL condition ("where").
func (e *Emulator) SendOutbound(_ context.Context, name string, req wire.Send) (wire.Sent, error) {
	m, err := e.findOutbound(name, req.Org)
	if err != nil {
		return wire.Sent{}, err
	}
	var ids []org.ID
	for _, r := range req.Records {
		id, err := org.ParseID(r)
		if err != nil {
			return wire.Sent{}, wire.BadRequest("%v", err)
		}
		rec := m.Org.Data.Get(id)
		if rec == nil || rec.Object != m.Object {
			return wire.Sent{}, wire.BadRequest("record %s is not a%s %s of org %q", r, article(m.Object.Name), m.Object.Name, m.Org.Name)
		}
		ids = append(ids, id)
	}
	if req.Where != "" {
		matched, err := e.matching(m.Org, m.Object, req.Where)
		if err != nil {
			return wire.Sent{}, err
		}
		ids = append(ids, matched...)
	}
	if len(ids) == 0 {
		return wire.Sent{}, wire.BadRequest("no records to send: give record ids or a where condition that matches some")
	}
	queued, err := e.dispatcher().Send(m, ids)
	if errors.Is(err, outbound.ErrQueueFull) {
		// 429: the request is right, the org's queue has no room now.
		return wire.Sent{}, wire.Errorf(http.StatusTooManyRequests, "%v", err)
	}
	if err != nil {
		return wire.Sent{}, wire.BadRequest("%v", err)
	}
	out := wire.Sent{Notifications: make([]string, len(queued))}
	for i, id := range queued {
		out.Notifications[i] = string(id)
	}
	return out, nil
}

func article(s string) string {
	if s != "" && strings.ContainsRune("AEIOU", rune(s[0])) {
		return "n"
	}
	return ""
}

// matching runs SELECT Id FROM object WHERE condition in o.
func (e *Emulator) matching(o *org.Org, obj *org.Object, condition string) ([]org.ID, error) {
	res, err := e.runSOQL(o, "SELECT Id FROM "+obj.Name+" WHERE "+condition, "where: ")
	if err != nil {
		return nil, err
	}
	ids := make([]org.ID, 0, len(res.Rows))
	for _, row := range res.Rows {
		ids = append(ids, row.ID)
	}
	return ids, nil
}

// Queue is the delivery status page: pending and in-flight notifications,
// and with all the delivered and dropped ones too.
func (e *Emulator) Queue(_ context.Context, all bool) ([]wire.QueueEntry, error) {
	out := e.dispatcher().Queue(all)
	if out == nil {
		out = []wire.QueueEntry{}
	}
	return out, nil
}

// queuedID parses a notification id of the queue.
func queuedID(s string) (org.ID, error) {
	id, err := org.ParseID(s)
	if err != nil {
		return "", wire.BadRequest("%v", err)
	}
	return id, nil
}

// RetryNow sets a queued notification's next attempt to now (Setup's Retry).
func (e *Emulator) RetryNow(_ context.Context, notification string) error {
	id, err := queuedID(notification)
	if err != nil {
		return err
	}
	if err := e.dispatcher().RetryNow(id); err != nil {
		return wire.NotFound("%s: %v", id, err)
	}
	return nil
}

// DeleteQueued removes a queued notification (Setup's Del).
func (e *Emulator) DeleteQueued(_ context.Context, notification string) error {
	id, err := queuedID(notification)
	if err != nil {
		return err
	}
	if err := e.dispatcher().Delete(id); err != nil {
		return wire.NotFound("%s: %v", id, err)
	}
	return nil
}

// Deliveries is the delivery attempt journal, oldest first.
func (e *Emulator) Deliveries(context.Context) ([]wire.Delivery, error) {
	return e.dispatcher().Attempts(), nil
}

// OutboundFaults are the outbound faults in force.
func (e *Emulator) OutboundFaults(context.Context) (wire.OutboundFaults, error) {
	return e.dispatcher().Faults(), nil
}

// SetOutboundFaults replaces the outbound faults; the zero value clears them.
func (e *Emulator) SetOutboundFaults(_ context.Context, f wire.OutboundFaults) (wire.OutboundFaults, error) {
	for _, p := range []float64{f.DuplicateProbability, f.ReorderProbability, f.DelayProbability} {
		if p < 0 || p > 1 {
			return f, wire.BadRequest("probabilities are between 0 and 1, got %v", p)
		}
	}
	for name, d := range map[string]wire.Duration{"duplicate_after": f.DuplicateAfter, "reorder_hold": f.ReorderHold, "delay": f.Delay} {
		if d < 0 {
			return f, wire.BadRequest("%s %s: want a duration of 0 or more", name, d)
		}
	}
	e.dispatcher().SetFaults(f)
	e.changes.Bump(changes.Faults)
	return f, nil
}

// Idle waits until no delivery is due in real time or in flight.
func (e *Emulator) Idle(ctx context.Context) error {
	if err := e.dispatcher().Idle(ctx); err != nil {
		return wire.Errorf(http.StatusGatewayTimeout, "deliveries still running: %v", err)
	}
	return nil
}

// OutboundWSDL is the WSDL Setup's "Click for WSDL" gives for a definition.
func (e *Emulator) OutboundWSDL(_ context.Context, message, orgName string) ([]byte, error) {
	m, err := e.findOutbound(message, orgName)
	if err != nil {
		return nil, err
	}
	return outbound.WSDL(m), nil
}
