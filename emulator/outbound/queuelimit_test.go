package outbound

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
)

// downURL is an endpoint nothing listens at: notifications sent there
// fail their first attempt and stay queued for a retry.
func downURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func waitingIDs(d *Dispatcher) []string {
	var ids []string
	for _, s := range d.Queue(false) {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestAFullQueueRefusesMoreAndKeepsWhatItHolds: with a limit of 3, a send
// that does not fit queues nothing and names the org, the limit and the
// count; a rule's notification that does not fit is dropped with its
// reason in the history; what was queued stays queued.
func TestAFullQueueRefusesMoreAndKeepsWhatItHolds(t *testing.T) {
	f := newFixture(t, downURL(t), "removed", Settings{QueueLimit: 3})
	m := f.org.OutboundMessage("Account_Changed")
	acct := f.accounts()
	first := f.send(t, acct[0], acct[1])
	_, err := f.d.Send(m, acct)
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a send past the limit: %v, want ErrQueueFull", err)
	}
	for _, want := range []string{`org "Acme"`, "has 2 outbound notifications waiting", "holds at most 3", "none of the 2 notifications was queued", "--outbound-queue-limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var full *QueueFullError
	if !errors.As(err, &full) || full.Org != "Acme" || full.OrgID != f.org.ID || full.Limit != 3 || full.Waiting != 2 || full.Asked != 2 {
		t.Errorf("QueueFullError %+v", full)
	}
	third := f.send(t, acct[1]) // one more fits exactly
	queued := waitingIDs(f.d)
	want := []string{string(first[0]), string(first[1]), string(third[0])}
	slices.Sort(want)
	if !slices.Equal(queued, want) {
		t.Fatalf("queue %v, want %v", queued, want)
	}

	id, err := f.d.Fire(m, acct[0])
	if !errors.Is(err, ErrQueueFull) || id == "" {
		t.Fatalf("a rule's notification past the limit: %q %v", id, err)
	}
	if got := waitingIDs(f.d); !slices.Equal(got, want) {
		t.Errorf("after a refused rule the queue is %v, want %v unchanged", got, want)
	}
	var dropped []Status
	for _, s := range f.d.Queue(true) {
		if s.ID == string(id) {
			dropped = append(dropped, s)
		}
	}
	if len(dropped) != 1 || dropped[0].State != Dropped || dropped[0].Attempts != 0 || dropped[0].DroppedAt == nil ||
		!strings.Contains(dropped[0].DeliveryFailureReason, `not queued: org "Acme" had 3 outbound notifications waiting`) ||
		!strings.Contains(dropped[0].DeliveryFailureReason, "the save that fired the rule was kept") {
		t.Errorf("the refused rule's notification in the history: %+v", dropped)
	}

	// Room again once one leaves the queue.
	if err := f.d.Delete(third[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Fire(m, acct[0]); err != nil {
		t.Errorf("a rule after a Del made room: %v", err)
	}
}

// TestTheQueueLimitIsPerOrg: one org at its limit does not stop another.
func TestTheQueueLimitIsPerOrg(t *testing.T) {
	f := newFixture(t, downURL(t), "removed", Settings{QueueLimit: 1})
	other, err := org.NewStore(f.clock, org.Source{Name: "globex.yaml", Data: []byte(`
org: {name: Globex}
users: [{username: s@globex.example, profile: Standard User}]
records:
  Account: [{Name: One}]
outbound_messages:
  - {name: M, object: Account, fields: [Name], endpoint_url: "` + downURL(t) + `", user_to_send_as: s@globex.example}
`)})
	if err != nil {
		t.Fatal(err)
	}
	g := other.Orgs()[0]
	var rec org.ID
	g.Data.Scan(g.Schema.Object("Account"), false, func(r *org.Record) bool { rec = r.ID; return false })
	f.send(t, f.accounts()[0])
	if _, err := f.d.Send(f.org.OutboundMessage("Account_Changed"), f.accounts()[:1]); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Acme past its limit: %v", err)
	}
	if _, err := f.d.Send(g.OutboundMessage("M"), []org.ID{rec}); err != nil {
		t.Errorf("Globex, with an empty queue, refused: %v", err)
	}
}

// TestSendingToAFullQueueDoesNotGrowTheHeap: once an org's queue is at
// its limit, 200,000 more sends and 20,000 rule firings leave the heap
// where it was, give or take the bounded history. (Issue 15: the queue had
// no cap: with it lifted, the same sends hold 80 MB more.)
func TestSendingToAFullQueueDoesNotGrowTheHeap(t *testing.T) {
	const limit = 1000
	f := newFixture(t, downURL(t), "removed", Settings{QueueLimit: limit})
	m := f.org.OutboundMessage("Account_Changed")
	rec := f.accounts()[0]
	fill := make([]org.ID, limit)
	for i := range fill {
		fill[i] = rec
	}
	f.send(t, fill...)
	one := []org.ID{rec}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 200_000 {
		if _, err := f.d.Send(m, one); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("send to a full queue: %v", err)
		}
	}
	for range 20_000 {
		if _, err := f.d.Fire(m, rec); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("rule on a full queue: %v", err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew %d KiB", grew>>10)
	// The history keeps at most 10,000 dropped notifications (~3 MB).
	if grew > 8<<20 {
		t.Errorf("the heap grew %d MiB after sends to a full queue, want < 8 MiB", grew>>20)
	}
	if n := len(f.d.Queue(false)); n != limit {
		t.Errorf("%d notifications queued, want the %d that filled it", n, limit)
	}
}
