package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
)

// TestServeCutsSlowAndStalledClients: `sfemu serve` set only a header
// timeout, so 100 of 100 drip-fed bodies were still held after 40 s, 300
// idle keep-alive connections stayed open, and 60 clients that never read
// a large query held theirs (and +86 MB). With short bounds given as
// flags, each kind is cut, and counted in GET /_sfemu/health.
func TestServeCutsSlowAndStalledClients(t *testing.T) {
	base := startServeArgs(t, "--read-header-timeout", "300ms", "--read-timeout", "300ms", "--write-timeout", "300ms", "--idle-timeout", "300ms")
	addr := strings.TrimPrefix(base, "http://")
	ctx := context.Background()
	c := control.New(base)
	// A large answer: 400 Accounts of 30,000-character descriptions, 12 MB.
	for i := range 400 {
		if _, err := c.CreateRecord(ctx, "Default", wire.CreateRecord{Object: "Account", Fields: map[string]any{"Name": fmt.Sprint("A", i), "Description": strings.Repeat("d", 30_000)}}); err != nil {
			t.Fatal(err)
		}
	}
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// closed: the server ended the connection (an end of stream, or a
	// reset when it closed with the client's bytes unread) within the time.
	closed := func(conn net.Conn, within time.Duration) bool {
		_ = conn.SetReadDeadline(time.Now().Add(within))
		_, err := io.Copy(io.Discard, conn)
		var ne net.Error
		return !errors.As(err, &ne) || !ne.Timeout()
	}

	drip := dial()
	fmt.Fprintf(drip, "POST /services/oauth2/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=", addr)
	go func() {
		for range 100 {
			time.Sleep(50 * time.Millisecond)
			if _, err := drip.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	idle := dial()
	fmt.Fprintf(idle, "GET /_sfemu/health HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	stalled := dial()
	if tc, ok := stalled.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	fmt.Fprintf(stalled, "GET /_sfemu/orgs/Default/query?q=SELECT+Id,Description+FROM+Account HTTP/1.1\r\nHost: %s\r\n\r\n", addr)

	if !closed(drip, 3*time.Second) {
		t.Error("a drip-fed token request still held its connection after 3 s (--read-timeout 300ms)")
	}
	if !closed(idle, 3*time.Second) {
		t.Error("an idle keep-alive connection was still open after 3 s (--idle-timeout 300ms)")
	}
	var cuts *wire.ConnectionCuts
	// The stalled answer is counted when its write deadline fires, after the
	// emulator has built its 12 MB: 2–3 s under the race detector here, more
	// on a loaded machine — hence a wide bound, left as soon as all count.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		h, err := c.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cuts = h.Connections; cuts != nil && cuts.SlowBodies >= 1 && cuts.IdleClosed >= 1 && cuts.StalledResponses >= 1 {
			break
		}
	}
	if cuts == nil || cuts.SlowBodies < 1 || cuts.IdleClosed < 1 || cuts.StalledResponses < 1 {
		t.Errorf("health counted %+v; want a slow body, an idle connection and a stalled response", cuts)
	}
	// The connection of the client that stopped reading is gone: what it
	// reads now ends before the 12 MB answer does.
	_ = stalled.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, _ := io.Copy(io.Discard, stalled)
	if n >= 12_000_000 {
		t.Errorf("the stalled client still got the whole answer (%d bytes)", n)
	}
}

// TestServeHealthShowsNoCutsAtFirst: the counters are there from the start.
func TestServeHealthShowsNoCutsAtFirst(t *testing.T) {
	base := startServeArgs(t)
	resp, err := http.Get(base + "/_sfemu/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(b, []byte(`"connections": {`)) || !bytes.Contains(b, []byte(`"slow_bodies": 0`)) {
		t.Errorf("health: %s", b)
	}
}
