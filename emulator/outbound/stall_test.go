package outbound

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// hungReceiver accepts every request and never answers, until the test
// ends; it counts the requests it holds.
func hungReceiver(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	release := make(chan struct{})
	var held atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	// Cleanups run last-registered first: release the handlers, then close.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv, &held
}

// twoEndpoints is an org with a message to a hung receiver and one to a
// healthy one, on the real clock (the dispatcher's own loop sends).
type twoEndpoints struct {
	org     *org.Org
	d       *Dispatcher
	account org.ID
}

func newTwoEndpoints(t *testing.T, hungURL, okURL string, s Settings) *twoEndpoints {
	t.Helper()
	clk := clock.Real{}
	store, err := org.NewStore(clk, org.Source{Name: "two.yaml", Data: []byte(`
org: {name: Two}
users: [{username: s@two.example, profile: Standard User}]
records:
  Account: [{Name: One}]
outbound_messages:
  - {name: To_Hung, object: Account, fields: [Name], endpoint_url: "` + hungURL + `", user_to_send_as: s@two.example}
  - {name: To_Healthy, object: Account, fields: [Name], endpoint_url: "` + okURL + `", user_to_send_as: s@two.example}
`)})
	if err != nil {
		t.Fatal(err)
	}
	o := store.Orgs()[0]
	d := New(Config{Store: store, Clock: clk, BaseURL: func() string { return "https://two.example" }, Settings: s})
	t.Cleanup(d.Close)
	f := &twoEndpoints{org: o, d: d}
	o.Data.Scan(o.Schema.Object("Account"), false, func(r *org.Record) bool { f.account = r.ID; return false })
	return f
}

func (f *twoEndpoints) send(t *testing.T, message string) {
	t.Helper()
	if _, err := f.d.Send(f.org.OutboundMessage(message), []org.ID{f.account}); err != nil {
		t.Fatal(err)
	}
}

// waitUntil polls cond for up to limit, a bounded loop.
func waitUntil(limit time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestAHungReceiverDoesNotDelayAnotherEndpoint: with one connection per
// endpoint and several messages queued to a receiver that accepts and
// never answers, a healthy endpoint's message is still delivered at once.
// (Issue 15: the dispatcher's loop waited for the hung endpoint's slot, and
// the healthy endpoint got its message only when the first post timed out.)
func TestAHungReceiverDoesNotDelayAnotherEndpoint(t *testing.T) {
	hung, held := hungReceiver(t)
	ok := newReceiver(t, acking)
	f := newTwoEndpoints(t, hung.URL, ok.srv.URL, Settings{Concurrency: 1, MaxBatch: 1})
	for range 3 {
		f.send(t, "To_Hung") // three messages: one in flight, two waiting for the endpoint's one connection
	}
	if !waitUntil(time.Second, func() bool { return held.Load() == 1 }) {
		t.Fatalf("the hung receiver holds %d requests, want 1", held.Load())
	}
	f.send(t, "To_Healthy")
	delivered := func() bool {
		for _, s := range f.d.Queue(true) {
			if s.Message == "To_Healthy" && s.State == Delivered {
				return true
			}
		}
		return false
	}
	if !waitUntil(time.Second, delivered) {
		t.Fatal("the healthy endpoint's message was not delivered within 1s while another endpoint hung")
	}
	if n := held.Load(); n != 1 {
		t.Errorf("the hung receiver got %d requests at once, want 1 (Concurrency 1)", n)
	}
	waiting := 0
	for _, s := range f.d.Queue(false) {
		if s.Message == "To_Hung" {
			waiting++
		}
	}
	if waiting != 3 {
		t.Errorf("%d of the hung endpoint's notifications queued, want all 3", waiting)
	}
}

// TestCloseCancelsAPostInFlight: Close returns at once with a receiver
// that never answers (default 60 s timeout), and the cancelled attempt is
// journaled as cancelled, not as the receiver's failure, and schedules no
// backoff: the notification is pending again, due at once.
// (Issue 15: shutdown waited for in-flight posts, 118 s.)
func TestCloseCancelsAPostInFlight(t *testing.T) {
	hung, held := hungReceiver(t)
	ok := newReceiver(t, acking)
	f := newTwoEndpoints(t, hung.URL, ok.srv.URL, Settings{Concurrency: 1, MaxBatch: 1})
	f.send(t, "To_Hung")
	f.send(t, "To_Hung") // waits for the endpoint's connection
	if !waitUntil(time.Second, func() bool { return held.Load() == 1 }) {
		t.Fatalf("the hung receiver holds %d requests, want 1", held.Load())
	}
	start := time.Now()
	done := make(chan struct{})
	go func() { f.d.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Close did not return within 1s with a post in flight")
	}
	t.Logf("Close took %s", time.Since(start))
	atts := f.d.Attempts()
	if len(atts) != 1 {
		t.Fatalf("%d attempts journaled, want 1: %+v", len(atts), atts)
	}
	if a := atts[0]; a.Acked || !strings.Contains(a.Reason, "cancelled") || strings.Contains(a.Reason, "timed out") {
		t.Errorf("the cancelled attempt is journaled as %q", a.Reason)
	}
	q := f.d.Queue(false)
	if len(q) != 2 {
		t.Fatalf("after Close the queue holds %d notifications, want both: %+v", len(q), q)
	}
	for _, s := range q {
		if s.State != Pending {
			t.Errorf("%s is %s after Close, want pending (not lost, not in flight)", s.ID, s.State)
		}
		if s.NextAttempt == nil || s.NextAttempt.After(time.Now()) {
			t.Errorf("%s: next attempt %v, want due now (a cancelled attempt is no failure to back off from)", s.ID, s.NextAttempt)
		}
	}
}

// TestCloseCancelsARetryTheVirtualClockRuns: a retry that Advance runs,
// to a receiver that has started to hang, ends when the dispatcher closes
// (a reset), so Advance returns.
func TestCloseCancelsARetryTheVirtualClockRuns(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		select { // from the second request on: accept, never answer
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	f := newFixture(t, srv.URL, "removed", Settings{})
	f.send(t, f.accounts()[0]) // the first attempt fails: a retry is due in 5 s
	advanced := make(chan error, 1)
	go func() { _, err := f.clock.Advance(5 * time.Second); advanced <- err }()
	if !waitUntil(time.Second, func() bool { return n.Load() == 2 }) {
		t.Fatalf("the receiver got %d requests, want the retry too", n.Load())
	}
	closed := make(chan struct{})
	go func() { f.d.Close(); close(closed) }()
	for what, ch := range map[string]<-chan struct{}{"Close": closed, "Advance": chanOf(advanced)} {
		select {
		case <-ch:
		case <-time.After(time.Second):
			t.Fatalf("%s did not return within 1s with a retry in flight", what)
		}
	}
	atts := f.d.Attempts()
	if len(atts) != 2 || !strings.Contains(atts[1].Reason, "cancelled") {
		t.Errorf("attempts: %+v", atts)
	}
}

// chanOf is closed once c yields a value.
func chanOf[T any](c <-chan T) <-chan struct{} {
	out := make(chan struct{})
	go func() { <-c; close(out) }()
	return out
}
