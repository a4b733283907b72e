package outbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/redact"
	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// Settings are the sender's behaviours. Salesforce documents a 24-hour
// retry window, exponential intervals up to 2 hours, a 60-second timeout and
// batches of up to 100; the exact schedule is UNKNOWN, so it is set here.
type Settings struct {
	// FirstRetry is the wait after the first failed attempt; each further
	// failure doubles it, up to MaxInterval.
	FirstRetry  time.Duration
	MaxInterval time.Duration
	// TTL is how long after queuing a notification is given up (dropped,
	// its last failure reason kept).
	TTL time.Duration
	// Timeout is how long one attempt waits for an answer.
	Timeout time.Duration
	// MaxBatch caps the notifications in one message (Salesforce: 100).
	MaxBatch int
	// BatchWindow is how long, in real time, newly queued notifications
	// wait for companions to share a message.
	BatchWindow time.Duration
	// Concurrency is how many messages may be in flight to one endpoint;
	// the sender keeps as many idle connections per endpoint.
	Concurrency int
	// UserAgent of the requests. UNKNOWN in Salesforce's docs; the default
	// is the one a public capture of a real delivery shows.
	UserAgent string
	// SessionOverHTTP lets a legacy session ID go to an http:// endpoint;
	// Salesforce sent sessions to https endpoints only.
	SessionOverHTTP bool
	// Ports is which endpoint ports are allowed: "current" (80, 443,
	// 1024–65535; newer docs), "legacy" (80, 443, 7000–10000; older docs)
	// or "any".
	Ports string
	// JournalBodyBytes bounds the request and response bodies kept per attempt.
	JournalBodyBytes int
	// QueueLimit caps one org's notifications waiting for delivery
	// (pending or in flight). UNKNOWN in Salesforce: its Outbound Messaging
	// docs ("Understanding Notifications") name no cap, only that messages
	// stay queued until delivered or 24 hours old. The default, 50,000,
	// bounds memory (about 270 bytes a notification: 13 MB an org) far
	// above what a test queues. When it is reached, Send refuses with a
	// *QueueFullError and a rule's notification is dropped (Fire);
	// notifications already queued are never touched (queuelimit.go).
	QueueLimit int
	// TLS trusts these CAs for https endpoints and presents a client
	// certificate (mutual TLS) when set.
	TLS *tls.Config
}

// DefaultSettings are the documented defaults.
func DefaultSettings() Settings {
	return Settings{
		FirstRetry:       5 * time.Second,
		MaxInterval:      2 * time.Hour,
		TTL:              24 * time.Hour,
		Timeout:          60 * time.Second,
		MaxBatch:         100,
		BatchWindow:      5 * time.Millisecond,
		Concurrency:      8,
		UserAgent:        "Jakarta Commons-HttpClient/3.1",
		Ports:            "current",
		JournalBodyBytes: 4096,
		QueueLimit:       50000,
	}
}

// Faults disturb deliveries the way Salesforce does in the wild, seeded so
// a run is reproducible (see wire.OutboundFaults).
type Faults = wire.OutboundFaults

// Config configures a Dispatcher.
type Config struct {
	Store *org.Store
	Clock clock.Clock
	// Virtual is the virtual clock, when time is virtual: retries then run
	// when it is advanced, before Advance returns.
	Virtual *clock.Virtual
	// BaseURL returns the emulator's public base URL, for the Enterprise and
	// Partner URLs in envelopes (receivers call back to that instance).
	BaseURL  func() string
	Settings Settings
	Logger   *slog.Logger
	// OnChange, when set, is called after the queue or the delivery
	// journal changed: a notification queued, retried, deleted, or an
	// attempt made.
	OnChange func()
	// Journal keeps the queue and the attempts across restarts
	// (`sfemu serve --data-dir`); nil: in memory.
	Journal Journal
}

// Attempt is one delivery attempt as the journal keeps it (wire.Delivery).
type Attempt = wire.Delivery

// Dispatcher queues notifications and delivers them.
type Dispatcher struct {
	cfg    Config
	q      *queue
	client *http.Client
	log    *slog.Logger

	mu       sync.Mutex
	faults   Faults
	rng      *rand.Rand
	attempts *ring.Ring[Attempt]
	attemptN int64 // attempts numbered, under the attempts ring's lock

	// lanes are the endpoints' connection slots and the messages waiting
	// for one (lane.go), under laneMu.
	laneMu sync.Mutex
	lanes  map[string]*lane

	// ctx is every post's context: Close cancels it, so a receiver that
	// never answers holds neither a reset nor a shutdown.
	ctx      context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
	stop     chan struct{}
	stopped  chan struct{}
	closeMu  sync.Once
	virtualM sync.Mutex // serialises virtual-clock retry runs
	unhook   func()

	userAgent []string
}

// attemptLimit bounds the attempt journal.
const attemptLimit = 10000

// New starts a dispatcher. Close stops it.
func New(cfg Config) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := DefaultSettings()
	s := &cfg.Settings
	if s.FirstRetry == 0 {
		s.FirstRetry = def.FirstRetry
	}
	if s.MaxInterval == 0 {
		s.MaxInterval = def.MaxInterval
	}
	if s.TTL == 0 {
		s.TTL = def.TTL
	}
	if s.Timeout == 0 {
		s.Timeout = def.Timeout
	}
	if s.MaxBatch <= 0 || s.MaxBatch > 100 {
		s.MaxBatch = def.MaxBatch
	}
	if s.Concurrency <= 0 {
		s.Concurrency = def.Concurrency
	}
	if s.UserAgent == "" {
		s.UserAgent = def.UserAgent
	}
	if s.Ports == "" {
		s.Ports = def.Ports
	}
	if s.JournalBodyBytes == 0 {
		s.JournalBodyBytes = def.JournalBodyBytes
	}
	if s.QueueLimit <= 0 {
		s.QueueLimit = def.QueueLimit
	}
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: s.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: s.Concurrency, // Go's default of 2 idle connections per host costs a third of the rate
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     s.TLS,
		ForceAttemptHTTP2:   false,
		// Go's transport would add "Accept-Encoding: gzip" by itself.
		// Salesforce's sender identifies as Jakarta Commons-HttpClient/3.1,
		// whose HttpMethodBase.addRequestHeaders adds only User-Agent, Host,
		// Cookie, (Proxy-)Authorization and Proxy-Connection, and no public
		// capture of a delivery shows an Accept-Encoding: none is sent.
		DisableCompression: true,
	}
	d := &Dispatcher{
		cfg:      cfg,
		q:        newQueue(),
		client:   &http.Client{Transport: transport, Timeout: s.Timeout, CheckRedirect: noRedirects},
		log:      cfg.Logger,
		rng:      rand.New(rand.NewPCG(0, 0)),
		attempts: ring.New[Attempt](attemptLimit),
		lanes:    map[string]*lane{},
		stop:     make(chan struct{}),
		stopped:  make(chan struct{}),

		userAgent: []string{s.UserAgent},
	}
	d.q.journal = cfg.Journal
	d.ctx, d.cancel = context.WithCancel(context.Background())
	if cfg.Virtual != nil {
		d.unhook = cfg.Virtual.OnAdvance(d.runDueOnVirtualClock)
	}
	go d.loop()
	return d
}

// noRedirects: Salesforce does not follow a receiver's redirects; a 3xx is a failed delivery.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Close stops the dispatcher: it cancels the posts in flight (whatever
// the receivers do, it returns as soon as their goroutines see it) and
// puts their notifications, and those waiting for a connection, back in
// the queue as pending, due at once. Nothing queued is lost; a reset
// discards this dispatcher's queue with the rest of the state.
func (d *Dispatcher) Close() {
	d.closeMu.Do(func() {
		if d.unhook != nil {
			d.unhook()
		}
		close(d.stop)
		d.cancel()
		<-d.stopped
		d.inflight.Wait()
		d.requeueWaiting()
		d.client.CloseIdleConnections()
	})
}

// SetFaults replaces the delivery faults and reseeds their random source.
func (d *Dispatcher) SetFaults(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
	d.rng = rand.New(rand.NewPCG(uint64(f.Seed), uint64(f.Seed)^0x5f3e))
}

// Faults returns the current faults.
func (d *Dispatcher) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

func (d *Dispatcher) roll(m *org.OutboundMessage, p float64) bool {
	if p <= 0 || (d.faults.Message != "" && !strings.EqualFold(d.faults.Message, m.Name)) {
		return false
	}
	return p >= 1 || d.rng.Float64() < p
}

// ErrPortNotAllowed is returned for an endpoint port Salesforce would refuse.
var ErrPortNotAllowed = errors.New("endpoint port not allowed")

// CheckEndpoint applies the endpoint rules: http(s), and a port Salesforce allows.
func (d *Dispatcher) CheckEndpoint(endpoint string) error {
	return CheckEndpoint(endpoint, d.cfg.Settings.Ports)
}

// CheckEndpoint applies the endpoint rules under a Settings.Ports value
// ("" is "current").
func CheckEndpoint(endpoint, ports string) error {
	if ports == "" {
		ports = DefaultSettings().Ports
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("endpoint %q is not an http(s) URL", endpoint)
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	ok := true
	switch ports {
	case "legacy":
		ok = port == 80 || port == 443 || (port >= 7000 && port <= 10000)
	case "current":
		ok = port == 80 || port == 443 || (port >= 1024 && port <= 65535)
	}
	if !ok {
		return fmt.Errorf("%w: %s uses port %d; Salesforce (%s rules) allows 80, 443 and %s", ErrPortNotAllowed, endpoint, port,
			ports, map[string]string{"legacy": "7000–10000", "current": "1024–65535"}[ports])
	}
	return nil
}

// Send queues one notification per record for message m and returns their
// 04l ids. The records' data is read when each message is sent. When the
// org's queue cannot take them all (Settings.QueueLimit) none is queued
// and the error is a *QueueFullError (errors.Is ErrQueueFull).
func (d *Dispatcher) Send(m *org.OutboundMessage, records []org.ID) ([]org.ID, error) {
	if err := d.CheckEndpoint(m.EndpointURL); err != nil {
		return nil, err
	}
	// Checked before the items are made, so a refused send costs nothing;
	// addWithin checks again, atomically, against concurrent senders.
	if err := d.q.room(m.Org, len(records), d.cfg.Settings.QueueLimit); err != nil {
		return nil, err
	}
	items := d.newItems(m, records)
	if err := d.q.addWithin(d.cfg.Settings.QueueLimit, items); err != nil {
		return nil, err
	}
	ids := make([]org.ID, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	d.changed()
	return ids, nil
}

// newItems makes the notifications of m for records, numbered and with
// the reorder and delay faults applied, not yet queued.
func (d *Dispatcher) newItems(m *org.OutboundMessage, records []org.ID) []*Item {
	now := d.cfg.Clock.Now()
	items := make([]*Item, 0, len(records))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, rid := range records {
		it := &Item{ID: d.cfg.Store.IDs.Next(org.PrefixNotification), Message: m, RecordID: rid, Endpoint: m.EndpointURL,
			QueuedAt: now, NextAttempt: now, State: Pending, firstAttemptNow: true}
		switch {
		case d.roll(m, d.faults.ReorderProbability):
			hold := d.faults.ReorderHold.D()
			if hold <= 0 {
				hold = 2 * time.Second
			}
			it.NextAttempt, it.firstAttemptNow = now.Add(hold), false
		case d.roll(m, d.faults.DelayProbability) && d.faults.Delay > 0:
			it.NextAttempt, it.firstAttemptNow = now.Add(d.faults.Delay.D()), false
		}
		items = append(items, it)
	}
	return items
}

// changed tells Config.OnChange.
func (d *Dispatcher) changed() {
	if d.cfg.OnChange != nil {
		d.cfg.OnChange()
	}
}

// Queue lists the notifications waiting for delivery, as the delivery
// status page does; with history, delivered and dropped ones too.
func (d *Dispatcher) Queue(history bool) []Status {
	return d.q.statuses(d.cfg.Clock.Now(), history)
}

// ErrNotQueued is returned for a notification that is not waiting for delivery.
var ErrNotQueued = errors.New("no such queued notification")

// RetryNow sets a queued notification's next attempt to now (the status
// page's Retry) and sends it at once.
func (d *Dispatcher) RetryNow(id org.ID) error {
	d.q.mu.Lock()
	it, ok := d.q.items[id]
	if ok && it.State == Pending {
		it.NextAttempt, it.firstAttemptNow = d.cfg.Clock.Now(), true
		d.q.keepLocked(it)
	}
	d.q.mu.Unlock()
	if !ok {
		return ErrNotQueued
	}
	d.q.notify()
	d.changed()
	return nil
}

// Delete removes a queued notification (the status page's Del).
func (d *Dispatcher) Delete(id org.ID) error {
	d.q.mu.Lock()
	it, ok := d.q.items[id]
	if !ok || it.State == InFlight {
		d.q.mu.Unlock()
		return ErrNotQueued
	}
	it.LastFailure = strings.TrimSpace(it.LastFailure + " (deleted from the queue)")
	it.DroppedAt = d.cfg.Clock.Now()
	d.q.finishLocked(it, Dropped)
	d.q.mu.Unlock()
	d.changed()
	return nil
}

// Attempts returns the delivery journal, oldest first.
func (d *Dispatcher) Attempts() []Attempt { return d.attempts.Items() }

// Idle waits until nothing is due in real time and nothing is in flight,
// or ctx ends. Tests and the harness use it instead of sleeping.
func (d *Dispatcher) Idle(ctx context.Context) error {
	for {
		d.q.mu.Lock()
		busy := false
		for _, it := range d.q.items {
			if it.State == InFlight || it.firstAttemptNow || (d.cfg.Virtual == nil && !it.NextAttempt.After(d.cfg.Clock.Now())) {
				busy = true
				break
			}
		}
		d.q.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// loop sends what is due in real time: new notifications (after the
// batching window), notifications retried by hand and, on the real clock,
// retries as they fall due.
func (d *Dispatcher) loop() {
	defer close(d.stopped)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := time.Hour
		if d.cfg.Virtual == nil {
			if t, ok := d.q.earliest(); ok {
				wait = max(time.Until(t), 0)
			}
		}
		timer.Reset(wait)
		select {
		case <-d.stop:
			return
		case <-d.q.changed:
			if w := d.cfg.Settings.BatchWindow; w > 0 {
				select {
				case <-d.stop:
					return
				case <-time.After(w):
				}
			}
		case <-timer.C:
		}
		now := d.cfg.Clock.Now()
		for _, batch := range d.q.takeDue(now, d.cfg.Settings.MaxBatch, d.cfg.Virtual != nil) {
			d.start(batch) // never waits: a busy endpoint's batch waits in its lane
		}
	}
}

// runDueOnVirtualClock runs, in order and before the clock's Advance
// returns, every attempt that falls due up to now — including retries of
// retries — each at its own due time. A 24-hour outage runs in milliseconds.
func (d *Dispatcher) runDueOnVirtualClock(now time.Time) {
	d.virtualM.Lock()
	defer d.virtualM.Unlock()
	for d.ctx.Err() == nil { // a closed dispatcher sends nothing more
		t, ok := d.q.earliest()
		if !ok || t.After(now) {
			return
		}
		batches := d.q.takeDue(t, d.cfg.Settings.MaxBatch, false)
		if len(batches) == 0 {
			return
		}
		for _, batch := range batches {
			at := batch[0].NextAttempt
			if at.After(now) {
				at = now
			}
			d.deliver(batch, at)
		}
	}
}

// deliver sends one message carrying the batch's notifications and
// records the outcome on each item; at is the attempt's time on the
// emulator's clock.
func (d *Dispatcher) deliver(batch []*Item, at time.Time) {
	m := batch[0].Message
	o := m.Org
	env := &Envelope{OrganizationID: o.ID, ActionID: m.ID, ObjectName: m.Object.Name, Fields: m.UserToSendAs.ReadableFields(m.Fields)}
	env.EnterpriseURL, env.PartnerURL = EndpointURLs(d.cfg.BaseURL(), o.ID, m.APIVersion)
	env.SessionID = d.sessionFor(m)
	ids := make([]string, len(batch))
	records := make([]string, len(batch))
	for i, it := range batch {
		rec := o.Data.Get(it.RecordID)
		if rec != nil && rec.Deleted() {
			rec = nil
		}
		env.Notifications = append(env.Notifications, Notification{ID: it.ID, RecordID: it.RecordID, Record: rec})
		ids[i], records[i] = string(it.ID), string(it.RecordID)
	}
	body := env.AppendXML(make([]byte, 0, 1024+512*len(batch)))
	att := Attempt{Time: at, Endpoint: m.EndpointURL, Message: m.Name, Org: o.Name, OrgID: string(o.ID), Notifications: ids, Records: records,
		SessionID: env.SessionID != "", Request: clip(journaled(body, env.SessionID != ""), d.cfg.Settings.JournalBodyBytes),
		RequestHeaders: map[string][]string{"Content-Type": soapContentType, "Soapaction": emptySOAPAction, "User-Agent": d.userAgent}}

	start := time.Now()
	ans := d.post(m.EndpointURL, body)
	result, status, respHeader, respBody := ans.result, ans.status, ans.header, ans.body
	att.Duration = wire.Duration(time.Since(start))
	// done is when the attempt ended on the emulator's clock: on the
	// virtual clock an attempt takes no time.
	done := at
	if now := d.cfg.Clock.Now(); d.cfg.Virtual == nil && now.After(at) {
		done = now
	}
	att.Status, att.Acked, att.Reason = status, result.Acked, result.Reason
	att.Response = clip(respBody, d.cfg.Settings.JournalBodyBytes)
	att.ResponseHeaders = redact.Header(respHeader, maxKeptHeaders, maxKeptHeaderValue)
	d.attempts.Do(func(add func(Attempt)) {
		d.attemptN++
		att.ID = d.attemptN
		add(att)
		if d.cfg.Journal != nil {
			d.cfg.Journal.Attempt(att, max(att.ID-attemptLimit, 0))
		}
	})
	d.log.Info("outbound delivery", "message", m.Name, "endpoint", m.EndpointURL, "notifications", len(batch),
		"status", status, "acked", result.Acked, "reason", result.Reason)
	if ans.cancelled {
		d.requeueCancelled(batch, at, result.Reason)
		return
	}

	d.q.mu.Lock()
	var dups []*Item
	for _, it := range batch {
		it.Attempts++
		it.LastAttempt = at
		if result.Acked {
			it.LastFailure = ""
			d.q.finishLocked(it, Delivered)
			d.mu.Lock()
			// A duplicate is not duplicated again.
			dup := it.DuplicateOf == "" && d.roll(m, d.faults.DuplicateProbability)
			after := d.faults.DuplicateAfter.D()
			d.mu.Unlock()
			if dup {
				dups = append(dups, &Item{ID: it.ID, Message: m, RecordID: it.RecordID, Endpoint: it.Endpoint, QueuedAt: at,
					NextAttempt: at.Add(after), State: Pending, DuplicateOf: it.ID, firstAttemptNow: after == 0})
			}
			continue
		}
		it.LastFailure = result.Reason
		next, ok := d.nextAttempt(it, at, done)
		if !ok {
			it.LastFailure = fmt.Sprintf("%s (dropped: not delivered within %s of being queued at %s)",
				result.Reason, ttlWords(d.cfg.Settings.TTL), it.QueuedAt.UTC().Format(time.RFC3339))
			it.DroppedAt = done
			d.q.finishLocked(it, Dropped)
			d.log.Info("outbound notification dropped", "message", m.Name, "notification", it.ID, "queued", it.QueuedAt,
				"attempts", it.Attempts, "reason", result.Reason)
			continue
		}
		it.NextAttempt, it.State = next, Pending
		d.q.keepLocked(it)
	}
	// Duplicates join the queue before the originals' completion is visible,
	// so Idle never sees a gap between an Ack and its duplicate.
	d.q.addLocked(dups...)
	d.q.mu.Unlock()
	if len(dups) > 0 {
		d.q.notify()
	}
	if d.cfg.Virtual == nil {
		d.q.notify() // re-arm the timer for the next retry
	}
	d.changed()
}

// requeueCancelled puts back the notifications of an attempt that Close
// cancelled: pending, due at once, their attempt counted (the receiver may
// have had the message) but no failure of the receiver's to back off from.
func (d *Dispatcher) requeueCancelled(batch []*Item, at time.Time, reason string) {
	d.q.mu.Lock()
	for _, it := range batch {
		it.Attempts++
		it.LastAttempt, it.LastFailure = at, reason
		it.NextAttempt, it.State, it.firstAttemptNow = at, Pending, true
		d.q.keepLocked(it)
	}
	d.q.mu.Unlock()
	d.changed()
}

// nextAttempt is when a notification whose attempt at at failed (ending at
// done) is tried again, or false when it is to be dropped. Salesforce retries
// "until delivered or 24 hours after it was queued": attempts go on while
// the clock is before the deadline (QueuedAt + TTL); a retry that the backoff
// would put after the deadline is made at the deadline, so the last attempt
// may land exactly 24 hours after queuing, and when that one fails the
// notification is dropped then.
func (d *Dispatcher) nextAttempt(it *Item, at, done time.Time) (time.Time, bool) {
	deadline := it.QueuedAt.Add(d.cfg.Settings.TTL)
	if !at.Before(deadline) || done.After(deadline) {
		return time.Time{}, false
	}
	next := at.Add(d.backoff(it.Attempts))
	if next.After(deadline) {
		next = deadline
	}
	return next, true
}

// ttlWords says a retry window the way people do: "24 hours", "90m0s".
func ttlWords(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

// backoff is the wait after the n-th failed attempt: FirstRetry doubling,
// capped at MaxInterval.
func (d *Dispatcher) backoff(n int) time.Duration {
	w := d.cfg.Settings.FirstRetry
	for i := 1; i < n && w < d.cfg.Settings.MaxInterval; i++ {
		w *= 2
	}
	return min(w, d.cfg.Settings.MaxInterval)
}

// sessionFor is the session ID a message carries: a session of the user to
// send as, only before the February 2026 change, only when the definition
// asks, and only to https endpoints unless SessionOverHTTP.
func (d *Dispatcher) sessionFor(m *org.OutboundMessage) string {
	o := m.Org
	if o.OutboundSessionID != org.SessionIDLegacy || !m.IncludeSessionID {
		return ""
	}
	if strings.HasPrefix(m.EndpointURL, "http://") && !d.cfg.Settings.SessionOverHTTP {
		return ""
	}
	u := m.UserToSendAs
	timeout := o.SessionTimeout
	if u.Profile != nil && u.Profile.SessionTimeout > 0 {
		timeout = u.Profile.SessionTimeout
	}
	if timeout <= 0 {
		timeout = org.DefaultSessionTimeout
	}
	return d.cfg.Store.Sessions.Open(u, nil, timeout, true).Token
}

// answer is the outcome of one post: the verdict, the receiver's status,
// headers and (bounded) body; cancelled when Close ended it.
type answer struct {
	result    AckResult
	status    int
	header    http.Header
	body      []byte
	cancelled bool
}

// reasonCancelled is the Delivery Failure Reason of an attempt Close ended.
const reasonCancelled = "cancelled: sfemu was reset or shut down while the message was in flight (the receiver may have received it); the notification stays queued"

// post sends one SOAP request and judges the answer. It carries the
// dispatcher's context: Close cancels it.
func (d *Dispatcher) post(endpoint string, body []byte) answer {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return answer{result: AckResult{Reason: "invalid endpoint URL: " + err.Error()}}
	}
	// The header values are shared, read-only slices: setting them allocates nothing.
	req.Header["Content-Type"] = soapContentType
	req.Header["Soapaction"] = emptySOAPAction
	req.Header["User-Agent"] = d.userAgent
	resp, err := d.client.Do(req)
	if err != nil {
		if d.ctx.Err() != nil {
			return answer{result: AckResult{Reason: reasonCancelled}, cancelled: true}
		}
		return answer{result: AckResult{Reason: transportFailure(err, d.cfg.Settings.Timeout)}}
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxAckBytes))
	if err != nil {
		if d.ctx.Err() != nil {
			return answer{result: AckResult{Reason: reasonCancelled}, status: resp.StatusCode, header: resp.Header, body: respBody, cancelled: true}
		}
		return answer{result: AckResult{Reason: fmt.Sprintf("HTTP %d, and reading the response failed: %v", resp.StatusCode, err)},
			status: resp.StatusCode, header: resp.Header, body: respBody}
	}
	return answer{result: ParseAck(resp.StatusCode, resp.Header.Get("Content-Type"), respBody), status: resp.StatusCode, header: resp.Header, body: respBody}
}

// Bounds of the receiver's headers an attempt keeps.
const (
	maxKeptHeaders     = 64
	maxKeptHeaderValue = 512
)

// Request headers of every delivery (SOAP 1.1, as captured deliveries show).
var (
	soapContentType = []string{"text/xml; charset=UTF-8"}
	emptySOAPAction = []string{`""`}
)

// maxAckBytes bounds how much of a receiver's answer is read.
const maxAckBytes = 64 << 10

// transportFailure words a failed request as a Delivery Failure Reason a
// person can act on.
func transportFailure(err error, timeout time.Duration) string {
	var netErr net.Error
	var tlsErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("timed out: no response within %s", timeout)
	case errors.As(err, &tlsErr):
		return "TLS handshake failed: the receiver's certificate is not trusted: " + tlsErr.Err.Error()
	case errors.As(err, &recordErr):
		return "TLS handshake failed: the endpoint does not speak TLS (https URL for an http server?)"
	case strings.Contains(err.Error(), "remote error: tls: bad certificate"),
		strings.Contains(err.Error(), "remote error: tls: unknown certificate authority"),
		strings.Contains(err.Error(), "remote error: tls: certificate required"):
		return "TLS handshake failed: the receiver rejected the client certificate (mutual TLS); it must trust the certificate from /_sfemu/outbound/client-certificate"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused: nothing is listening at the endpoint"
	case strings.Contains(err.Error(), "no such host"):
		return "unknown host: the endpoint's host name does not resolve"
	case strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"):
		return "TLS handshake failed: " + err.Error()
	}
	return "connection failed: " + err.Error()
}

// journaled is the envelope as the attempt journal keeps it: a legacy
// session ID is a working API session, so the journal (and the control
// API's deliveries listing, and the console) says only that one went.
func journaled(body []byte, hasSession bool) []byte {
	if !hasSession {
		return body
	}
	return []byte(redact.XML(string(body)))
}

func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + fmt.Sprintf("… (%d bytes)", len(b))
}
