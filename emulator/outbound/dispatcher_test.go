package outbound

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

var sendNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const ackBody = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>`

// receiver is a test endpoint that records what it is sent and answers
// with answer(n), n counting requests from 1.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	requests []received
	answer   func(n int, w http.ResponseWriter)
}

type received struct {
	header        http.Header
	body          string
	notifications []string // Notification Ids in order
	sessionID     string
	nilSession    bool
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	rc := &receiver{answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got := parseEnvelope(t, body)
		got.header = r.Header.Clone()
		rc.mu.Lock()
		rc.requests = append(rc.requests, got)
		n := len(rc.requests)
		rc.mu.Unlock()
		rc.answer(n, w)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

func acking(n int, w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, ackBody)
}

// downReceiver answers 503 until fail is set to false, then acks.
func downReceiver(t *testing.T) (*receiver, *atomic.Bool) {
	fail := &atomic.Bool{}
	fail.Store(true)
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if fail.Load() {
			http.Error(w, "down", 503)
			return
		}
		acking(n, w)
	})
	return rc, fail
}

func parseEnvelope(t *testing.T, body []byte) received {
	var env struct {
		Body struct {
			Notifications struct {
				SessionID struct {
					Value string `xml:",chardata"`
					Nil   string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
				} `xml:"SessionId"`
				Notification []struct {
					ID string `xml:"Id"`
				} `xml:"Notification"`
			} `xml:"http://soap.sforce.com/2005/09/outbound notifications"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		t.Errorf("the envelope is not XML: %v\n%s", err, body)
	}
	got := received{body: string(body), sessionID: env.Body.Notifications.SessionID.Value, nilSession: env.Body.Notifications.SessionID.Nil == "true"}
	for _, n := range env.Body.Notifications.Notification {
		got.notifications = append(got.notifications, n.ID)
	}
	return got
}

type fixture struct {
	store *org.Store
	org   *org.Org
	clock *clock.Virtual
	d     *Dispatcher
}

// newFixture loads an org whose message Account_Changed goes to endpoint.
func newFixture(t *testing.T, endpoint, era string, settings Settings) *fixture {
	t.Helper()
	clk := clock.NewVirtual(sendNow)
	store, err := org.NewStore(clk, org.Source{Name: "acme.yaml", Data: []byte(fmt.Sprintf(`
org: {name: Acme, outbound_session_id: %s}
users: [{username: sender@acme.example, profile: Standard User}]
records:
  Account:
    - {Name: Edge Communications, Industry: Energy}
    - {Name: Burlington Textiles, Industry: Apparel}
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name, Industry], endpoint_url: "%s", user_to_send_as: sender@acme.example, include_session_id: true, api_version: "60.0"}
`, era, endpoint))})
	if err != nil {
		t.Fatal(err)
	}
	d := New(Config{Store: store, Clock: clk, Virtual: clk, BaseURL: func() string { return "https://acme.my.salesforce.com" }, Settings: settings})
	t.Cleanup(d.Close)
	return &fixture{store: store, org: store.Orgs()[0], clock: clk, d: d}
}

func (f *fixture) accounts() []org.ID {
	var ids []org.ID
	f.org.Data.Scan(f.org.Schema.Object("Account"), false, func(r *org.Record) bool { ids = append(ids, r.ID); return true })
	return ids
}

func (f *fixture) send(t *testing.T, ids ...org.ID) []org.ID {
	t.Helper()
	out, err := f.d.Send(f.org.OutboundMessage("Account_Changed"), ids)
	if err != nil {
		t.Fatal(err)
	}
	f.idle(t)
	return out
}

func (f *fixture) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.d.Idle(ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) advance(t *testing.T, d time.Duration) {
	t.Helper()
	if _, err := f.clock.Advance(d); err != nil {
		t.Fatal(err)
	}
	f.idle(t)
}

func TestDeliversOneMessageAndHonoursTheAck(t *testing.T) {
	rc := newReceiver(t, acking)
	f := newFixture(t, rc.srv.URL+"/outbound", "removed", Settings{})
	ids := f.send(t, f.accounts()[0])
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	h := got[0].header
	if h.Get("Content-Type") != "text/xml; charset=UTF-8" || h.Get("SOAPAction") != `""` {
		t.Errorf("headers: Content-Type %q SOAPAction %q", h.Get("Content-Type"), h.Get("SOAPAction"))
	}
	if len(got[0].notifications) != 1 || got[0].notifications[0] != string(ids[0]) || !strings.HasPrefix(string(ids[0]), "04l") {
		t.Errorf("notifications %v, want [%s]", got[0].notifications, ids[0])
	}
	if !got[0].nilSession {
		t.Error("after the change the SessionId must be xsi:nil")
	}
	if q := f.d.Queue(false); len(q) != 0 {
		t.Errorf("queue after the Ack: %+v", q)
	}
	hist := f.d.Queue(true)
	if len(hist) != 1 || hist[0].State != Delivered || hist[0].Attempts != 1 {
		t.Errorf("history: %+v", hist)
	}
	atts := f.d.Attempts()
	if len(atts) != 1 || !atts[0].Acked || atts[0].Status != 200 || !strings.Contains(atts[0].Request, "<notifications") {
		t.Errorf("journal: %+v", atts)
	}
}

// TestRetriesUntilAckedOnTheVirtualClock: a receiver that fails three
// times then acks gets tries at 0, +5s, +10s, +20s.
func TestRetriesUntilAckedOnTheVirtualClock(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n <= 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		acking(n, w)
	})
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	f.send(t, f.accounts()[0])
	q := f.d.Queue(false)
	if len(q) != 1 || q[0].Attempts != 1 || !q[0].NextAttempt.Equal(sendNow.Add(5*time.Second)) || !strings.Contains(q[0].DeliveryFailureReason, "503") {
		t.Fatalf("after the first failure: %+v", q)
	}
	f.advance(t, 4*time.Second)
	if n := len(rc.received()); n != 1 {
		t.Fatalf("%d requests before the retry was due", n)
	}
	f.advance(t, 31*time.Second) // to +35s: retries at +5s, +15s and +35s all fall due
	var times []time.Duration
	for _, a := range f.d.Attempts() {
		times = append(times, a.Time.Sub(sendNow))
	}
	if fmt.Sprint(times) != "[0s 5s 15s 35s]" {
		t.Errorf("attempt times %v, want [0s 5s 15s 35s] (5s, doubling)", times)
	}
	if hist := f.d.Queue(true); len(hist) != 1 || hist[0].State != Delivered || hist[0].Attempts != 4 {
		t.Errorf("history: %+v", hist)
	}
}

func TestDownForMoreThanADayIsDroppedWithItsReason(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	f := newFixture(t, url, "removed", Settings{})
	f.send(t, f.accounts()[0])
	f.advance(t, 25*time.Hour)
	hist := f.d.Queue(true)
	if len(hist) != 1 || hist[0].State != Dropped || !strings.Contains(hist[0].DeliveryFailureReason, "connection refused") {
		t.Fatalf("after 25h down: %+v", hist)
	}
	// 5s doubling to the 2h cap, then every 2h, within 24h of queuing.
	if a := hist[0].Attempts; a < 20 || a > 25 {
		t.Errorf("%d attempts in 24h", a)
	}
	last := f.d.Attempts()[len(f.d.Attempts())-1].Time
	if last.After(sendNow.Add(24 * time.Hour)) {
		t.Errorf("an attempt at %s, after the 24h window", last.Sub(sendNow))
	}
}

// TestTheLastAttemptLandsAtTheDeadline: queued at t and never answered,
// a notification is tried at t+24h exactly, then dropped then, saying why.
func TestTheLastAttemptLandsAtTheDeadline(t *testing.T) {
	rc, _ := downReceiver(t)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	ids := f.send(t, f.accounts()[0])
	deadline := sendNow.Add(24 * time.Hour)

	f.advance(t, 24*time.Hour-time.Second)
	q := f.d.Queue(false)
	if len(q) != 1 || q[0].State != Pending || q[0].NextAttempt == nil || !q[0].NextAttempt.Equal(deadline) {
		t.Fatalf("one second before the deadline: %+v; want it pending, next attempt at the deadline %s", q, deadline)
	}
	before := len(rc.received())

	f.advance(t, time.Second)
	atts := f.d.Attempts()
	if got := len(rc.received()); got != before+1 || !atts[len(atts)-1].Time.Equal(deadline) {
		t.Fatalf("at the deadline: %d requests (want %d), last attempt at %s (want %s)", got, before+1, atts[len(atts)-1].Time, deadline)
	}
	if q := f.d.Queue(false); len(q) != 0 {
		t.Fatalf("still queued after the attempt at the deadline failed: %+v", q)
	}
	hist := f.d.Queue(true)
	if len(hist) != 1 || hist[0].ID != string(ids[0]) || hist[0].State != Dropped {
		t.Fatalf("history: %+v", hist)
	}
	if hist[0].DroppedAt == nil || !hist[0].DroppedAt.Equal(deadline) {
		t.Errorf("dropped at %v, want the deadline %s", hist[0].DroppedAt, deadline)
	}
	reason := hist[0].DeliveryFailureReason
	for _, want := range []string{"503", "dropped: not delivered within 24 hours of being queued at 2026-03-02T10:00:00Z"} {
		if !strings.Contains(reason, want) {
			t.Errorf("Delivery Failure Reason %q lacks %q", reason, want)
		}
	}

	f.advance(t, 48*time.Hour)
	if got := len(rc.received()); got != before+1 {
		t.Errorf("%d requests after the drop, want %d: a dropped notification is not sent again", got, before+1)
	}
}

// TestAReceiverBackJustBeforeTheDeadlineGetsTheMessage: down for 23h59m,
// then up; the attempt at the 24-hour mark delivers.
func TestAReceiverBackJustBeforeTheDeadlineGetsTheMessage(t *testing.T) {
	rc, fail := downReceiver(t)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	ids := f.send(t, f.accounts()[0])
	f.advance(t, 23*time.Hour+59*time.Minute)
	fail.Store(false)
	f.advance(t, time.Minute)
	hist := f.d.Queue(true)
	if len(hist) != 1 || hist[0].State != Delivered || hist[0].LastAttempt == nil || !hist[0].LastAttempt.Equal(sendNow.Add(24*time.Hour)) {
		t.Fatalf("history: %+v; want %s delivered at the 24-hour mark", hist, ids[0])
	}
	got := rc.received()
	if last := got[len(got)-1]; len(last.notifications) != 1 || last.notifications[0] != string(ids[0]) {
		t.Errorf("the last request carried %v, want [%s]", last.notifications, ids[0])
	}
}

// TestNextAttemptRule: the retry rule at the edges, on both clocks' idea
// of when an attempt ended.
func TestNextAttemptRule(t *testing.T) {
	d := &Dispatcher{cfg: Config{Settings: Settings{FirstRetry: 5 * time.Second, MaxInterval: 2 * time.Hour, TTL: 24 * time.Hour}}}
	deadline := sendNow.Add(24 * time.Hour)
	for _, tc := range []struct {
		name     string
		attempts int
		at, done time.Time
		want     time.Time // zero: dropped
	}{
		{"first failure", 1, sendNow, sendNow, sendNow.Add(5 * time.Second)},
		{"a retry that would pass the deadline is made at it", 20, deadline.Add(-time.Hour), deadline.Add(-time.Hour), deadline},
		{"a retry due a second before the deadline stays", 20, deadline.Add(-2*time.Hour - time.Second), deadline.Add(-2*time.Hour - time.Second), deadline.Add(-time.Second)},
		{"the attempt at the deadline failed", 21, deadline, deadline, time.Time{}},
		{"an attempt that ended after the deadline (real clock, slow receiver)", 20, deadline.Add(-30 * time.Second), deadline.Add(30 * time.Second), time.Time{}},
		{"an attempt that ended at the deadline gets one more", 20, deadline.Add(-30 * time.Second), deadline, deadline},
	} {
		it := &Item{QueuedAt: sendNow, Attempts: tc.attempts}
		next, ok := d.nextAttempt(it, tc.at, tc.done)
		if ok != !tc.want.IsZero() || !next.Equal(tc.want) {
			t.Errorf("%s: next %s, %v; want %s", tc.name, next, ok, tc.want)
		}
	}
}

func TestDeliveryFailureReasons(t *testing.T) {
	tests := []struct {
		name   string
		answer func(n int, w http.ResponseWriter)
		want   string
	}{
		{"Ack false", func(n int, w http.ResponseWriter) { io.WriteString(w, strings.Replace(ackBody, "true", "false", 1)) }, "SOAP response was a nack"},
		{"not XML", func(n int, w http.ResponseWriter) { io.WriteString(w, "OK") }, "org.xml.sax.SAXParseException; lineNumber: 1; columnNumber: 1; Content is not allowed in prolog."},
		{"an HTML page (a login or error page in front of the receiver)", func(n int, w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>")
		}, "Sign in"},
		{"HTTP 404 from a wrong custom endpoint", func(n int, w http.ResponseWriter) { http.NotFound(w, nil) }, "404"},
		{"SOAP fault", func(n int, w http.ResponseWriter) {
			w.WriteHeader(500)
			io.WriteString(w, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>token expired</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
		}, "token expired"},
		{"no answer in time", func(n int, w http.ResponseWriter) { time.Sleep(300 * time.Millisecond); acking(n, w) }, "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answer)
			f := newFixture(t, rc.srv.URL, "removed", Settings{Timeout: 100 * time.Millisecond})
			f.send(t, f.accounts()[0])
			q := f.d.Queue(false)
			if len(q) != 1 || !strings.Contains(q[0].DeliveryFailureReason, tt.want) {
				t.Errorf("queue %+v, want a failure reason containing %q", q, tt.want)
			}
		})
	}
}

func TestBatchesOfAtMostAHundred(t *testing.T) {
	rc := newReceiver(t, acking)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	acct := f.org.Schema.Object("Account")
	var ids []org.ID
	for i := 0; i < 150; i++ {
		r, _ := f.org.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("A%03d", i)}, f.org.Users[0], sendNow, org.DMLOptions{})
		ids = append(ids, r.ID)
	}
	sent := f.send(t, ids...)
	var sizes []int
	var all []string
	for _, r := range rc.received() {
		sizes = append(sizes, len(r.notifications))
		all = append(all, r.notifications...)
	}
	slices.Sort(sizes)
	if fmt.Sprint(sizes) != "[50 100]" {
		t.Errorf("message sizes %v, want one of 100 and one of 50", sizes)
	}
	slices.Sort(all)
	want := make([]string, len(sent))
	for i, id := range sent {
		want[i] = string(id)
	}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Errorf("delivered %d notifications, want each of the %d queued once", len(all), len(sent))
	}
}

func TestSessionIDEras(t *testing.T) {
	tests := []struct {
		name, era   string
		settings    Settings
		wantSession bool
	}{
		{"legacy org, definition asks, http allowed", "legacy", Settings{SessionOverHTTP: true}, true},
		{"legacy org to an http endpoint (Salesforce sent sessions to https only)", "legacy", Settings{}, false},
		{"after the change the flag is ignored", "removed", Settings{SessionOverHTTP: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, acking)
			f := newFixture(t, rc.srv.URL, tt.era, tt.settings)
			f.send(t, f.accounts()[0])
			got := rc.received()[0]
			if tt.wantSession {
				if got.nilSession || !strings.HasPrefix(got.sessionID, f.org.ID.Short()+"!") {
					t.Fatalf("SessionId %q nil=%v, want a session of the user to send as", got.sessionID, got.nilSession)
				}
				sess := f.store.Sessions.Use(got.sessionID)
				if sess == nil || sess.User.Username != "sender@acme.example" {
					t.Errorf("the session ID is not a live API session of the user to send as")
				}
				// The journal says a session went, never which: the
				// deliveries listing would hand out a working session.
				for _, a := range f.d.Attempts() {
					if strings.Contains(a.Request, got.sessionID) || !a.SessionID || !strings.Contains(a.Request, "SessionId>(redacted)<") {
						t.Errorf("the attempt journal keeps the session ID: %.300s", a.Request)
					}
				}
				return
			}
			if !got.nilSession || got.sessionID != "" {
				t.Errorf("SessionId %q nil=%v, want xsi:nil", got.sessionID, got.nilSession)
			}
		})
	}
}

func TestRecordDataIsReadAtSendTime(t *testing.T) {
	rc, fail := downReceiver(t)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	id := f.accounts()[0]
	f.send(t, id)
	if _, errs := f.org.Data.Update(id, map[string]any{"Name": "Edge Renamed"}, f.org.Users[0], sendNow); errs != nil {
		t.Fatal(errs)
	}
	fail.Store(false)
	f.advance(t, 5*time.Second)
	got := rc.received()
	if !strings.Contains(got[0].body, "Edge Communications") || !strings.Contains(got[1].body, "Edge Renamed") {
		t.Error("the retry should carry the record's current data, not a snapshot from trigger time")
	}
}

func TestDeletedRecordIsSentWithoutData(t *testing.T) {
	rc, fail := downReceiver(t)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	id := f.accounts()[0]
	f.send(t, id)
	f.org.Data.Delete(id, f.org.Users[0], sendNow)
	fail.Store(false)
	f.advance(t, 5*time.Second)
	got := rc.received()
	if len(got) != 2 || strings.Contains(got[1].body, "Edge Communications") || len(got[1].notifications) != 1 {
		t.Errorf("the notification for a deleted record should carry no data:\n%s", got[1].body)
	}
}

func TestDuplicateDeliveryFault(t *testing.T) {
	rc := newReceiver(t, acking)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	f.d.SetFaults(Faults{Seed: 1, DuplicateProbability: 1})
	ids := f.send(t, f.accounts()[0])
	f.idle(t)
	got := rc.received()
	if len(got) != 2 || got[0].notifications[0] != string(ids[0]) || got[1].notifications[0] != string(ids[0]) {
		t.Fatalf("want the same notification twice, got %d requests", len(got))
	}
	hist := f.d.Queue(true)
	if len(hist) != 2 || hist[1].DuplicateOf != string(ids[0]) {
		t.Errorf("history: %+v", hist)
	}
}

func TestReorderFaultIsSeededAndDeterministic(t *testing.T) {
	order := func(seed int64) []string {
		rc := newReceiver(t, acking)
		f := newFixture(t, rc.srv.URL, "removed", Settings{MaxBatch: 1, Concurrency: 1})
		f.d.SetFaults(Faults{Seed: seed, ReorderProbability: 0.5, ReorderHold: wire.Duration(10 * time.Second)})
		acct := f.org.Schema.Object("Account")
		var ids []org.ID
		for i := 0; i < 10; i++ {
			r, _ := f.org.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("R%d", i)}, f.org.Users[0], sendNow, org.DMLOptions{})
			ids = append(ids, r.ID)
		}
		sent := f.send(t, ids...)
		f.advance(t, 10*time.Second)
		pos := map[string]int{}
		for i, id := range sent {
			pos[string(id)] = i
		}
		var out []string
		for _, r := range rc.received() {
			out = append(out, fmt.Sprint(pos[r.notifications[0]]))
		}
		return out
	}
	a, b := order(7), order(7)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different orders: %v vs %v", a, b)
	}
	if strings.Join(a, ",") == "0,1,2,3,4,5,6,7,8,9" || len(a) != 10 {
		t.Errorf("no reordering happened: %v", a)
	}
}

func TestRetryNowAndDelete(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			http.Error(w, "down", 503)
			return
		}
		acking(n, w)
	})
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	ids := f.send(t, f.accounts()...)
	if len(f.d.Queue(false)) != 2 {
		t.Fatalf("queue: %+v", f.d.Queue(false))
	}
	if err := f.d.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := f.d.RetryNow(ids[0]); err != nil {
		t.Fatal(err)
	}
	f.idle(t)
	if q := f.d.Queue(false); len(q) != 0 {
		t.Errorf("queue after retry and delete: %+v", q)
	}
	if err := f.d.RetryNow(ids[0]); err == nil {
		t.Error("retrying a delivered notification succeeded")
	}
}

func TestEndpointPortRules(t *testing.T) {
	f := newFixture(t, "https://receiver.example:8443/outbound", "removed", Settings{Ports: "legacy"})
	for _, tt := range []struct {
		ports, endpoint string
		ok              bool
	}{
		{"legacy", "https://r.example:8443/x", true},
		{"legacy", "https://r.example:11000/x", false},
		{"current", "https://r.example:11000/x", true},
		{"current", "http://r.example:81/x", false},
		{"any", "http://r.example:81/x", true},
	} {
		f.d.cfg.Settings.Ports = tt.ports
		if err := f.d.CheckEndpoint(tt.endpoint); (err == nil) != tt.ok {
			t.Errorf("%s %s: %v", tt.ports, tt.endpoint, err)
		}
	}
}

// TestSoakNothingLostOrAckedTwice sends from several goroutines to a
// receiver that fails every other request, on the real clock with quick
// retries, bounded in count and time.
func TestSoakNothingLostOrAckedTwice(t *testing.T) {
	var n atomic.Int64
	rc := newReceiver(t, func(i int, w http.ResponseWriter) {
		if n.Add(1)%2 == 0 {
			http.Error(w, "flap", 503)
			return
		}
		acking(i, w)
	})
	clk := clock.Real{}
	store, err := org.NewStore(clk, org.Source{Name: "soak.yaml", Data: []byte(`
org: {name: Soak}
users: [{username: s@soak.example, profile: Standard User}]
records:
  Account: [{Name: One}]
outbound_messages:
  - {name: M, object: Account, fields: [Name], endpoint_url: "` + rc.srv.URL + `", user_to_send_as: s@soak.example}
`)})
	if err != nil {
		t.Fatal(err)
	}
	o := store.Orgs()[0]
	d := New(Config{Store: store, Clock: clk, BaseURL: func() string { return "https://soak.example" },
		Settings: Settings{FirstRetry: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxBatch: 7}})
	defer d.Close()
	var rec org.ID
	o.Data.Scan(o.Schema.Object("Account"), false, func(r *org.Record) bool { rec = r.ID; return false })
	const senders, each = 8, 40
	var wg sync.WaitGroup
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := d.Send(o.OutboundMessage("M"), []org.ID{rec}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for len(d.Queue(false)) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if q := d.Queue(false); len(q) > 0 {
		t.Fatalf("%d notifications still queued after 20s", len(q))
	}
	seen := map[string]int{}
	for _, s := range d.Queue(true) {
		if s.State != Delivered {
			t.Errorf("%s ended %s: %s", s.ID, s.State, s.DeliveryFailureReason)
		}
		seen[s.ID]++
	}
	if len(seen) != senders*each {
		t.Errorf("%d distinct notifications delivered, want %d", len(seen), senders*each)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s acknowledged %d times by the queue's bookkeeping", id, c)
		}
	}
}

// TestRequestHeadersAreTheSendersOwn: a delivery carries the headers
// captured deliveries show, and no Accept-Encoding, which Go's transport
// would add by itself and Salesforce's sender (Jakarta Commons-HttpClient
// 3.1) does not send.
func TestRequestHeadersAreTheSendersOwn(t *testing.T) {
	rc := newReceiver(t, acking)
	f := newFixture(t, rc.srv.URL, "removed", Settings{})
	f.send(t, f.accounts()[0])
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	h := got[0].header
	var names []string
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	if want := []string{"Content-Length", "Content-Type", "Soapaction", "User-Agent"}; !slices.Equal(names, want) {
		t.Errorf("request headers %v, want %v", names, want)
	}
	if v, ok := h["Accept-Encoding"]; ok {
		t.Errorf("Accept-Encoding %q sent; Salesforce's sender sends none", v)
	}
}
