package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/internal/syncbuf"
)

// TestRunKeepOnFailure: `sfemu run --keep-on-failure` leaves a failed
// run's emulator and receiver up, says where and how to stop them, and
// returns only when its context ends (Ctrl-C), with the failure's status.
func TestRunKeepOnFailure(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runScenarios(ctx, []string{"--keep-on-failure", "../../harness/testdata/must-fail/wrong-expectation.yaml"}, &stdout, &stderr)
	}()
	var base string
	deadline := time.After(60 * time.Second)
	for base == "" {
		select {
		case code := <-done:
			t.Fatalf("sfemu run returned %d before its context ended:\n%s\n%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("no kept emulator printed:\n%s\n%s", stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := regexp.MustCompile(`emulator  (http://\S+)`).FindStringSubmatch(stdout.String()); m != nil && strings.Contains(stdout.String(), "Ctrl-C") {
			base = m[1]
		}
	}
	out := stdout.String()
	for _, want := range []string{"console   " + base + "/_sfemu/ui/", "receiver  process ", "sfemu tokens --emulator " + base, "1 kept; they run until you press Ctrl-C"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Still up, with the failed run's state, a while later.
	time.Sleep(100 * time.Millisecond)
	select {
	case code := <-done:
		t.Fatalf("sfemu run returned %d before its context ended", code)
	default:
	}
	if d, err := control.New(base).Deliveries(context.Background()); err != nil || len(d) == 0 {
		t.Errorf("the kept emulator: deliveries %v, %v", d, err)
	}
	// The hint names the sfemu commands that read it (cmd/sfemu tests them).
	if want := "sfemu tokens --emulator " + base; !strings.Contains(stdout.String(), want) {
		t.Errorf("no %q hint in:\n%s", want, stdout.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit %d after the kept emulators were stopped, want 1 (a run failed)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sfemu run did not return after its context ended")
	}
	if !strings.Contains(stdout.String(), "stopped the kept emulators and receivers") {
		t.Errorf("no word of stopping:\n%s", stdout.String())
	}
	if resp, err := http.Get(base + "/_sfemu/health"); err == nil {
		resp.Body.Close()
		t.Error("the kept emulator still answers after sfemu run returned")
	}
}

func TestRunKeepOnFailureUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--keep-on-failure", "--emulator", "http://127.0.0.1:8085"}, "--keep-on-failure keeps the run's own emulators"},
		{[]string{"--keep-on-failure", "--emulator-listen", "127.0.0.1:8085"}, "--keep-on-failure keeps the run's own emulators"},
		{[]string{"--control-token", "short", "--emulator", "http://127.0.0.1:8085"}, "--control-token: a control token has at least 16 characters"},
		{[]string{"--keep-on-failure=maybe"}, "invalid boolean value"},
	} {
		var stdout, stderr bytes.Buffer
		if code := runScenarios(context.Background(), tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("sfemu run %v: exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}
