package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hungReceiver accepts every request and never answers until the test
// ends; held counts the requests it holds.
func hungReceiver(t *testing.T) (url string, held *atomic.Int64) {
	t.Helper()
	release := make(chan struct{})
	held = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv.URL, held
}

// TestResetCancelsADeliveryInFlight: POST /_sfemu/reset answers within a
// second while a receiver holds a message unanswered (the sender's
// timeout is the default 60 s), and the queue starts empty.
// (Issue 15: reset waited for the post to time out: 118.6 s.)
func TestResetCancelsADeliveryInFlight(t *testing.T) {
	url, held := hungReceiver(t)
	emu, srv := startWithOutbound(t, "removed", url)
	o := emu.Store().Orgs()[0]
	token := emu.Store().Sessions.Open(o.Users[0], nil, time.Hour, false).Token
	if code, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Lead", token, `{"LastName":"Doe","Company":"Coal Co","Industry":"Energy"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	waitFor(t, "the receiver to hold the message", func() bool { return held.Load() == 1 })
	start := time.Now()
	code, body := doJSON(t, "POST", srv.URL+"/_sfemu/reset", "", "")
	if took := time.Since(start); took > time.Second {
		t.Errorf("reset took %s with a delivery in flight, want under 1s", took)
	}
	if code != 200 {
		t.Fatalf("reset: %d %s", code, body)
	}
	if _, q := doJSON(t, "GET", srv.URL+"/_sfemu/outbound/queue?all=true", "", ""); strings.TrimSpace(q) != "[]" {
		t.Errorf("queue after reset: %s", q)
	}
}

// TestCloseCancelsADeliveryInFlight: Emulator.Close returns within a
// second whatever the receiver does.
func TestCloseCancelsADeliveryInFlight(t *testing.T) {
	url, held := hungReceiver(t)
	emu, srv := startWithOutbound(t, "removed", url)
	token := emu.Store().Sessions.Open(emu.Store().Orgs()[0].Users[0], nil, time.Hour, false).Token
	if code, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Lead", token, `{"LastName":"Doe","Company":"Coal Co","Industry":"Energy"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	waitFor(t, "the receiver to hold the message", func() bool { return held.Load() == 1 })
	done := make(chan struct{})
	go func() { emu.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Close did not return within 1s with a delivery in flight")
	}
}
