package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/emulator/httplimit"
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestTheRunsEmulatorServerHasTimeouts: the harness's emulator server set
// no timeout at all, so a stalled receiver or script held its connections
// for ever. It now has `sfemu serve`'s bounds (shorter here), and its
// health counts what they cut.
func TestTheRunsEmulatorServerHasTimeouts(t *testing.T) {
	short := httplimit.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
		WriteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 64 << 10}
	results, err := Run(context.Background(), Options{KeepOnFailure: true, ServerLimits: short}, "testdata/must-fail/wrong-expectation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseKept(results)
	if len(results) == 0 || results[0].Kept == nil {
		t.Fatalf("results %+v: want the failed run kept", results)
	}
	kept := results[0].Kept
	addr := strings.TrimPrefix(kept.EmulatorURL, "http://")
	for _, tc := range []struct{ name, send string }{
		{"headers that never end", "GET /_sfemu/health HTTP/1.1\r\n"},
		{"a body that never comes", "POST /services/oauth2/token HTTP/1.1\r\nHost: " + addr + "\r\nContent-Length: 100\r\n\r\ngrant"},
		{"an idle keep-alive connection", "GET /_sfemu/health HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprint(conn, tc.send)
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.Copy(io.Discard, conn); isTimeout(err) { // EOF or a reset: closed by the server
			t.Errorf("%s: the connection was still open after 3 s (timeouts of 300 ms)", tc.name)
		}
		conn.Close()
	}
	h, err := control.New(kept.EmulatorURL).Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := h.Connections; c == nil || c.SlowHeaders < 1 || c.SlowBodies < 1 || c.IdleClosed < 1 {
		t.Errorf("health counted %+v", c)
	}
}
