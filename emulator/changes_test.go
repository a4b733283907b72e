package emulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

// TestChangesCountWhatTheConsoleWatches: each kind of change moves its
// counter, and wakes a watcher.
func TestChangesCountWhatTheConsoleWatches(t *testing.T) {
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); srv.Close() })
	emu.SetPublicURL(srv.URL)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		do     func() error
		moved  func(before, after wire.Changes) bool
		stayed func(before, after wire.Changes) bool
	}{
		{"a token request is a login and a request", func() error {
			resp, err := http.PostForm(srv.URL+"/services/oauth2/token", url.Values{"grant_type": {"password"}})
			if err == nil {
				resp.Body.Close()
			}
			return err
		}, func(b, a wire.Changes) bool { return a.Logins > b.Logins && a.Requests > b.Requests },
			func(b, a wire.Changes) bool { return a.Outbound == b.Outbound && a.Clock == b.Clock }},
		{"a REST call is a request, not a login", func() error {
			resp, err := http.Get(srv.URL + "/services/data/")
			if err == nil {
				resp.Body.Close()
			}
			return err
		}, func(b, a wire.Changes) bool { return a.Requests > b.Requests },
			func(b, a wire.Changes) bool { return a.Logins == b.Logins }},
		{"queuing a notification moves the queue", func() error {
			_, err := emu.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name != null"})
			return err
		}, func(b, a wire.Changes) bool { return a.Outbound > b.Outbound },
			func(b, a wire.Changes) bool { return a.Faults == b.Faults }},
		{"advancing the clock", func() error {
			_, err := emu.Advance(ctx, wire.Advance{By: wire.Duration(time.Minute)})
			return err
		}, func(b, a wire.Changes) bool { return a.Clock > b.Clock }, nil},
		{"adding a fault", func() error {
			_, err := emu.AddFault(ctx, wire.Fault{Status: 503})
			return err
		}, func(b, a wire.Changes) bool { return a.Faults > b.Faults }, nil},
		{"setting outbound faults", func() error {
			_, err := emu.SetOutboundFaults(ctx, wire.OutboundFaults{Seed: 1})
			return err
		}, func(b, a wire.Changes) bool { return a.Faults > b.Faults }, nil},
		{"setting the client IP changes the org", func() error { return emu.SetClientIP(ctx, "Default", "54.249.48.100") },
			func(b, a wire.Changes) bool { return a.Orgs > b.Orgs }, nil},
		{"a reset changes everything", func() error { _, err := emu.Reset(ctx); return err },
			func(b, a wire.Changes) bool {
				return a.Orgs > b.Orgs && a.Logins > b.Logins && a.Requests > b.Requests && a.Outbound > b.Outbound && a.Clock > b.Clock && a.Faults > b.Faults
			}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := emu.Idle(ctx); err != nil {
				t.Fatal(err)
			}
			before, woken := emu.Changes()
			if err := tc.do(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-woken:
			case <-time.After(5 * time.Second):
				t.Fatal("the watcher was not woken")
			}
			after, _ := emu.Changes()
			if !tc.moved(before, after) || tc.stayed != nil && !tc.stayed(before, after) {
				t.Errorf("changes went from %+v to %+v", before, after)
			}
		})
	}
}
