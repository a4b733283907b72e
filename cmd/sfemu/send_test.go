package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const ackXML = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`

// startServe runs `sfemu serve` on a fixture and returns its base URL.
func startServe(t *testing.T, fixture string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(fixture), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	baseCh := make(chan string, 1)
	done := make(chan int, 1)
	var stderr syncBuffer
	go func() {
		done <- serve(ctx, []string{"--org", path, "--listen", "127.0.0.1:0", "--log", "off", "--clock", "virtual"}, noEnv, io.Discard, &stderr, func(b string) { baseCh <- b })
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case b := <-baseCh:
		return b
	case <-done:
		t.Fatalf("serve exited: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func TestSendAndQueueCommands(t *testing.T) {
	var fail atomic.Bool
	var got atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if fail.Load() {
			http.Error(w, "down for maintenance", 503)
			return
		}
		io.WriteString(w, ackXML)
	}))
	defer rcv.Close()
	base := startServe(t, `
org: {name: Acme}
users: [{username: sender@acme.example, profile: Standard User}]
records:
  Account: [{Name: Edge Communications, Industry: Energy}, {Name: Burlington, Industry: Apparel}]
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name], endpoint_url: "`+rcv.URL+`", user_to_send_as: sender@acme.example}
`)
	fail.Store(true)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"send", "--emulator", base, "--message", "Account_Changed", "--where", "Industry = 'Energy'"}, &stdout, &stderr); code != 0 {
		t.Fatalf("send: %d %s", code, stderr.String())
	}
	id := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(id, "04l") || strings.Contains(id, "\n") {
		t.Fatalf("send printed %q, want one 04l id", id)
	}
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	var table bytes.Buffer
	for time.Now().Before(deadline) {
		table.Reset()
		run([]string{"queue", "--emulator", base}, &table, &stderr)
		if strings.Contains(table.String(), "503") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(table.String(), id) || !strings.Contains(table.String(), "503") {
		t.Fatalf("queue table:\n%s", table.String())
	}
	fail.Store(false)
	if code := run([]string{"queue", "--emulator", base, "--retry", id}, &stdout, &stderr); code != 0 {
		t.Fatalf("retry: %s", stderr.String())
	}
	for time.Now().Before(deadline) {
		table.Reset()
		run([]string{"queue", "--emulator", base}, &table, &stderr)
		if !strings.Contains(table.String(), id) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if strings.Contains(table.String(), id) {
		t.Errorf("still queued after the retry:\n%s", table.String())
	}
	stderr.Reset()
	if code := run([]string{"send", "--emulator", base, "--message", "Nope", "--record", "001xx0000000001AAA"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), `no outbound message "Nope"`) {
		t.Errorf("unknown message: %d %s", code, stderr.String())
	}
	if code := run([]string{"send", "--message", "X"}, &stdout, &stderr); code != 2 {
		t.Errorf("send without records: %d", code)
	}
}
