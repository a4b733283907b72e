package emulator_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

func endpointsOf(t *testing.T, emu *emulator.Emulator) map[string]string {
	t.Helper()
	msgs, err := emu.OutboundMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range msgs {
		out[m.Org+"/"+m.Name] = m.EndpointURL
	}
	return out
}

// TestEndpointOverrideSendsTheDefaultOrgsMessageElsewhere: the embedded
// default org's message, whose fixture says 127.0.0.1:8086, reaches a
// receiver elsewhere, also after a reset.
func TestEndpointOverrideSendsTheDefaultOrgsMessageElsewhere(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: virtualStart,
		OutboundEndpoints: []emulator.EndpointOverride{{URL: receiver.URL + "/outbound"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	ctx := context.Background()
	for round := range 2 {
		if got := endpointsOf(t, emu); len(got) != 1 || got["Default/Account_Changed"] != receiver.URL+"/outbound" {
			t.Fatalf("round %d: endpoints %v", round, got)
		}
		sent, err := emu.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name != null"})
		if err != nil {
			t.Fatal(err)
		}
		if err := emu.Idle(ctx); err != nil {
			t.Fatal(err)
		}
		rcv.mu.Lock()
		bodies := append([]string(nil), rcv.bodies...)
		rcv.mu.Unlock()
		if len(bodies) != round+1 || !strings.Contains(bodies[round], sent.Notifications[0]) {
			t.Fatalf("round %d: the receiver got %d messages, want %d carrying %s", round, len(bodies), round+1, sent.Notifications[0])
		}
		if _, err := emu.Reset(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Orgs loaded later bring their own endpoints.
	if _, err := emu.LoadOrgs(ctx, wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: twoOrgFixture("Acme", "a")}}}); err != nil {
		t.Fatal(err)
	}
	if got := endpointsOf(t, emu)["Acme/Notify"]; got != "http://127.0.0.1:9001/a" {
		t.Errorf("a loaded org's endpoint %s, want its fixture's", got)
	}
}

func twoOrgFixture(name, user string) string {
	return `
org: {name: ` + name + `}
users: [{username: ` + user + `@example.com, profile: Standard User}]
records: {Account: [{Name: One}]}
outbound_messages:
  - {name: Notify, object: Account, fields: [Name], endpoint_url: "http://127.0.0.1:9001/` + user + `", user_to_send_as: ` + user + `@example.com}
`
}

func TestEndpointOverrideForOneOfSeveralOrgs(t *testing.T) {
	fixtures := []wire.Fixture{{Name: "acme.yaml", YAML: twoOrgFixture("Acme", "a")}, {Name: "globex.yaml", YAML: twoOrgFixture("Globex", "g")}}
	start := func(ov ...emulator.EndpointOverride) (*emulator.Emulator, error) {
		emu, err := emulator.New(emulator.Options{Fixtures: fixtures, Clock: emulator.VirtualClock, VirtualStart: virtualStart, OutboundEndpoints: ov})
		if err == nil {
			t.Cleanup(emu.Close)
		}
		return emu, err
	}
	emu, err := start(emulator.EndpointOverride{Org: "globex", URL: "https://receiver.example/globex"})
	if err != nil {
		t.Fatal(err)
	}
	if got := endpointsOf(t, emu); got["Acme/Notify"] != "http://127.0.0.1:9001/a" || got["Globex/Notify"] != "https://receiver.example/globex" {
		t.Errorf("endpoints %v: want only Globex's changed", got)
	}
	emu, err = start(emulator.EndpointOverride{URL: "https://receiver.example/all"}, emulator.EndpointOverride{Org: "Acme", URL: "https://receiver.example/acme"})
	if err != nil {
		t.Fatal(err)
	}
	if got := endpointsOf(t, emu); got["Acme/Notify"] != "https://receiver.example/acme" || got["Globex/Notify"] != "https://receiver.example/all" {
		t.Errorf("endpoints %v: want Acme's own, Globex the common one", got)
	}

	for _, tc := range []struct {
		ov   []emulator.EndpointOverride
		want string
	}{
		{[]emulator.EndpointOverride{{Org: "Initech", URL: "https://r.example/"}}, `endpoint https://r.example/ for org "Initech": no such org (loaded: "Acme", "Globex")`},
		{[]emulator.EndpointOverride{{URL: "ftp://r.example/"}}, `is not an http(s) URL`},
		{[]emulator.EndpointOverride{{URL: "http://r.example:22/"}}, `uses port 22`},
		{[]emulator.EndpointOverride{{URL: "https://r.example/1"}, {URL: "https://r.example/2"}}, `two endpoints for every org's messages`},
		{[]emulator.EndpointOverride{{Org: "Acme", URL: "https://r.example/1"}, {Org: "acme", URL: "https://r.example/2"}}, `two endpoints for org "Acme"`},
	} {
		if _, err := start(tc.ov...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.ov, err, tc.want)
		}
	}
}
