package wire

import "context"

// Control is every operation of the control API. The emulator implements
// it in-process (*emulator.Emulator) and the control client implements it
// over HTTP (control.Client), so the harness and tests drive either the
// same way — an emulator of their own, or one already running elsewhere.
//
// org arguments are an org's id (15 or 18 characters) or its name; errors
// are *Error with the HTTP status the control API answers with.
type Control interface {
	Health(ctx context.Context) (Health, error)
	// Reset reloads the fixtures: sessions, Login History, journals, queues
	// and run-time changes are gone; the clock keeps its time.
	Reset(ctx context.Context) (Health, error)
	// LoadOrgs replaces the fixtures and resets.
	LoadOrgs(ctx context.Context, req LoadOrgs) ([]Org, error)

	Orgs(ctx context.Context) ([]Org, error)
	Users(ctx context.Context, org string) ([]User, error)
	// Profiles lists the org's profiles with their Login IP Ranges, login
	// hours and session timeout, sorted by name.
	Profiles(ctx context.Context, org string) ([]Profile, error)
	Apps(ctx context.Context) ([]App, error)
	LoginHistory(ctx context.Context, org string) ([]LoginEvent, error)
	// Events are the platform events published in the org, oldest first.
	Events(ctx context.Context, org string) ([]PlatformEvent, error)
	// SetClientIP makes requests for the org's users appear to come from ip
	// ("" clears it).
	SetClientIP(ctx context.Context, org, ip string) error

	Sessions(ctx context.Context) ([]Session, error)
	// ExpireSessions ends sessions now, as if they had timed out: one
	// user's, or everyone's for "".
	ExpireSessions(ctx context.Context, username string) (int, error)
	TokenRequests(ctx context.Context) ([]TokenRequest, error)
	APIRequests(ctx context.Context) ([]APIRequest, error)
	// APIRequest is one journal entry with its headers and bodies as
	// recorded; NotFound once the journal has dropped it.
	APIRequest(ctx context.Context, id int64) (APIExchange, error)

	Faults(ctx context.Context) ([]Fault, error)
	AddFault(ctx context.Context, f Fault) (Fault, error)
	// ClearFaults removes the fault with this id, or every fault for 0.
	ClearFaults(ctx context.Context, id int) error

	Clock(ctx context.Context) (Clock, error)
	// Advance moves a virtual clock, running the outbound retries that fall
	// due on the way; a real clock is a Conflict.
	Advance(ctx context.Context, a Advance) (Clock, error)

	CreateRecord(ctx context.Context, org string, req CreateRecord) (Record, error)
	UpdateRecord(ctx context.Context, org, id string, req UpdateRecord) (Record, error)
	Query(ctx context.Context, org, soql string) (Rows, error)
	// QueryPage is one page of a query's rows, with their columns.
	QueryPage(ctx context.Context, org string, q QueryPage) (Rows, error)

	OutboundMessages(ctx context.Context) ([]OutboundMessage, error)
	SendOutbound(ctx context.Context, message string, req Send) (Sent, error)
	// Queue is the delivery status page; all adds delivered and dropped
	// notifications.
	Queue(ctx context.Context, all bool) ([]QueueEntry, error)
	RetryNow(ctx context.Context, notification string) error
	DeleteQueued(ctx context.Context, notification string) error
	Deliveries(ctx context.Context) ([]Delivery, error)
	OutboundFaults(ctx context.Context) (OutboundFaults, error)
	// SetOutboundFaults replaces the outbound faults (the zero value clears).
	SetOutboundFaults(ctx context.Context, f OutboundFaults) (OutboundFaults, error)
	// Idle waits until no delivery is due in real time or in flight.
	Idle(ctx context.Context) error
	OutboundWSDL(ctx context.Context, message, org string) ([]byte, error)
	ClientCertificate(ctx context.Context) ([]byte, error)
	// TLSCA is the CA certificate (PEM) `sfemu serve --tls` signs its
	// https certificate with, for clients to trust; NotFound when TLS is off.
	TLSCA(ctx context.Context) ([]byte, error)
}
