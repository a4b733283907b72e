package wire

import "time"

// OutboundMessage is an outbound message definition.
type OutboundMessage struct {
	ActionID         string   `json:"action_id"`
	Name             string   `json:"name"`
	Org              string   `json:"org"`
	Object           string   `json:"object"`
	Fields           []string `json:"fields"`
	EndpointURL      string   `json:"endpoint_url"`
	UserToSendAs     string   `json:"user_to_send_as"`
	IncludeSessionID bool     `json:"include_session_id"`
	SessionIDSent    bool     `json:"session_id_sent"`
	APIVersion       string   `json:"api_version"`
	// Rule summarises Rules in one line ("created_or_edited when Industry =
	// 'Energy'"; named ones with their kind and name, inactive ones marked).
	Rule  string         `json:"rule,omitempty"`
	Rules []OutboundRule `json:"rules,omitempty"`
}

// OutboundRule is a workflow rule or record-triggered flow that sends a
// message on saves.
type OutboundRule struct {
	Name      string `json:"name,omitempty"` // "" for a fixture's unnamed rule:
	Kind      string `json:"kind"`           // workflow_rule or flow
	When      string `json:"when"`           // created, created_or_edited, created_or_edited_to_meet_criteria
	Condition string `json:"condition,omitempty"`
	Active    bool   `json:"active"`
}

// Send is POST /_sfemu/outbound/{name}/send: notify about these records,
// or the records matching a SOQL condition.
type Send struct {
	Org     string   `json:"org,omitempty"`
	Records []string `json:"records,omitempty"`
	Where   string   `json:"where,omitempty"`
}

// Sent answers Send with the queued notifications' ids (04l…).
type Sent struct {
	Notifications []string `json:"notifications"`
}

// Notification states, as the delivery status page would show them.
const (
	Pending   = "pending"   // waiting for its first or next attempt
	InFlight  = "in_flight" // being sent now
	Delivered = "delivered" // acknowledged
	Dropped   = "dropped"   // gave up 24 hours after queuing, or deleted
)

// QueueEntry is one notification as Setup → Monitoring → Outbound Messages
// lists it.
type QueueEntry struct {
	ID      string `json:"id"` // the notification id (04l…)
	Message string `json:"message"`
	// Org and OrgID are the org the message belongs to: its name and id.
	Org         string     `json:"org"`
	OrgID       string     `json:"org_id"`
	Object      string     `json:"object"`
	RecordID    string     `json:"record_id"`
	Endpoint    string     `json:"endpoint"`
	State       string     `json:"state"`
	QueuedAt    time.Time  `json:"queued_at"`
	Age         Duration   `json:"age"`
	Attempts    int        `json:"attempts"`
	LastAttempt *time.Time `json:"last_attempt,omitempty"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	// DroppedAt is when a dropped notification left the queue: the end of
	// its 24-hour retry window, or when it was deleted.
	DroppedAt *time.Time `json:"dropped_at,omitempty"`
	// DeliveryFailureReason is the last failure, as Setup shows it; a
	// dropped notification's says why it was dropped.
	DeliveryFailureReason string `json:"delivery_failure_reason,omitempty"`
	DuplicateOf           string `json:"duplicate_of,omitempty"`
}

// Delivery is one delivery attempt: a SOAP message carrying one or more
// notifications, and the receiver's answer.
type Delivery struct {
	// ID is the attempt's place in the delivery journal, from 1 since the
	// last reset.
	ID            int64     `json:"id"`
	Time          time.Time `json:"time"`
	Endpoint      string    `json:"endpoint"`
	Message       string    `json:"message"`
	Org           string    `json:"org"`    // the message's org, by name
	OrgID         string    `json:"org_id"` // and by id
	Notifications []string  `json:"notifications"`
	Records       []string  `json:"records"`
	SessionID     bool      `json:"session_id"`
	Status        int       `json:"status,omitempty"`
	Acked         bool      `json:"acked"`
	Reason        string    `json:"reason,omitempty"`
	Duration      Duration  `json:"duration"`
	Request       string    `json:"request"`
	Response      string    `json:"response,omitempty"`
	// RequestHeaders are the headers the message was posted with;
	// ResponseHeaders the receiver's (at most 64, values clipped).
	RequestHeaders  map[string][]string `json:"request_headers,omitempty"`
	ResponseHeaders map[string][]string `json:"response_headers,omitempty"`
}

// OutboundFaults disturb deliveries the way Salesforce does in the wild,
// seeded so a run is reproducible. Probabilities are in [0, 1].
type OutboundFaults struct {
	Seed int64 `json:"seed"`
	// Message limits the faults to one definition; empty: all.
	Message string `json:"message,omitempty"`
	// DuplicateProbability re-sends an acknowledged notification (same
	// Notification Id) DuplicateAfter later (0: right after the Ack).
	DuplicateProbability float64  `json:"duplicate_probability,omitempty"`
	DuplicateAfter       Duration `json:"duplicate_after,omitempty"`
	// ReorderProbability holds a new notification back by ReorderHold, so
	// those queued after it arrive first.
	ReorderProbability float64  `json:"reorder_probability,omitempty"`
	ReorderHold        Duration `json:"reorder_hold,omitempty"`
	// DelayProbability postpones a new notification's first attempt by Delay.
	DelayProbability float64  `json:"delay_probability,omitempty"`
	Delay            Duration `json:"delay,omitempty"`
}
