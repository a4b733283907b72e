package harness

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/control"
)

// TestKeepOnFailure: a failed run's emulator and receiver stay up, with
// what happened in them, until the Kept is closed; a passing run's do not.
func TestKeepOnFailure(t *testing.T) {
	results, err := Run(context.Background(), Options{KeepOnFailure: true},
		"testdata/must-fail/wrong-expectation.yaml", "../scenarios/session-id/works-after-removal-with-jwt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseKept(results)
	var kept *Kept
	for _, r := range results {
		switch {
		case r.Outcome == Failed && r.Kept == nil:
			t.Errorf("%s failed and was not kept", r.Name())
		case r.Outcome == Failed:
			kept = r.Kept
		case r.Kept != nil:
			t.Errorf("%s (%s) was kept", r.Name(), r.Outcome)
		}
	}
	if kept == nil {
		t.Fatal("nothing kept")
	}
	if kept.ConsoleURL != kept.EmulatorURL+"/_sfemu/ui/" || kept.ControlToken != "" || !strings.HasPrefix(kept.Receiver, "process ") {
		t.Errorf("kept %+v: want the console under the emulator, no token on loopback, the receiver process", kept)
	}
	d, err := control.New(kept.EmulatorURL).Deliveries(context.Background())
	if err != nil || len(d) == 0 {
		t.Errorf("the kept emulator's deliveries: %v %v, want the failed run's", d, err)
	}
	endpoint := kept.Receiver[strings.LastIndex(kept.Receiver, " ")+1:]
	healthz := strings.TrimSuffix(endpoint, "/outbound") + "/healthz"
	if resp, err := http.Get(healthz); err != nil {
		t.Errorf("the kept receiver at %s: %v", healthz, err)
	} else {
		resp.Body.Close()
	}
	kept.Close()
	kept.Close() // twice is once
	if resp, err := http.Get(kept.EmulatorURL + "/_sfemu/health"); err == nil {
		resp.Body.Close()
		t.Error("the emulator still answers after Close")
	}
	if resp, err := http.Get(healthz); err == nil {
		resp.Body.Close()
		t.Error("the receiver still answers after Close")
	}

	if _, err := Run(context.Background(), Options{KeepOnFailure: true, EmulatorURL: "http://127.0.0.1:1"}, "testdata/must-fail"); err == nil {
		t.Error("KeepOnFailure with EmulatorURL: no error")
	}
}
