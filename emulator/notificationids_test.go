package emulator_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

// sendAll queues Account_Changed for every Account of emu's org.
func sendAll(t *testing.T, emu *emulator.Emulator) []string {
	t.Helper()
	sent, err := emu.SendOutbound(context.Background(), "Account_Changed", wire.Send{Where: "Name != null"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sent.Notifications
}

func startAccountChanged(t *testing.T, receiverURL string, opts emulator.Options) *emulator.Emulator {
	t.Helper()
	fixture := `
org: {name: Acme}
users: [{username: sender@acme.example, profile: Standard User}]
records:
  Account: [{Name: Edge Communications}, {Name: Burlington Textiles}, {Name: Pyramid Construction}]
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name], endpoint_url: "` + receiverURL + `", user_to_send_as: sender@acme.example}
`
	opts.Fixtures = []wire.Fixture{{Name: "acme.yaml", YAML: fixture}}
	opts.Clock = emulator.VirtualClock
	opts.VirtualStart = virtualStart
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	return emu
}

// TestNotificationIDsAreNeverReusedByTheNextEmulator: a receiver that
// dedupes on the Notification Id, outliving one emulator (and its reset),
// sees only new ids from the next, in increasing order, as from one org.
func TestNotificationIDsAreNeverReusedByTheNextEmulator(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()

	first := startAccountChanged(t, receiver.URL, emulator.Options{})
	ids := sendAll(t, first)
	if _, err := first.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, sendAll(t, first)...)
	first.Close()
	second := startAccountChanged(t, receiver.URL, emulator.Options{})
	later := sendAll(t, second)

	seen := map[string]bool{}
	for _, id := range append(slices.Clone(ids), later...) {
		if seen[id] {
			t.Fatalf("Notification Id %s sent twice: first %v, then %v", id, ids, later)
		}
		seen[id] = true
	}
	// Base-62 digits in ASCII order: the string order is the number order.
	if slices.Max(ids) >= slices.Min(later) {
		t.Errorf("the second emulator's ids %v do not all follow the first's %v", later, ids)
	}
	if got := rcv.count(); got != 3 { // three sends, one batch each
		t.Errorf("%d deliveries, want 3", got)
	}
}

// TestFixedNotificationIDsRepeatOnEveryStart: tests that compare ids ask
// for them.
func TestFixedNotificationIDsRepeatOnEveryStart(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	want := []string{"04lxx0000000001AAA", "04lxx0000000002AAA", "04lxx0000000003AAA"}
	for range 2 {
		emu := startAccountChanged(t, receiver.URL, emulator.Options{FixedNotificationIDs: true})
		if got := sendAll(t, emu); !slices.Equal(got, want) {
			t.Errorf("ids %v, want %v", got, want)
		}
		emu.Close()
	}
	emu := startAccountChanged(t, receiver.URL, emulator.Options{NotificationIDBase: 61})
	if got := sendAll(t, emu); got[0] != "04lxx0000000010AAA" {
		t.Errorf("from base 61: %v, want 04lxx0000000010AAA first (62 in base 62)", got)
	}
}
