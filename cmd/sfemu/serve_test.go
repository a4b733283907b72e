package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/syncbuf"
)

// syncBuffer is a buffer safe to write from the server goroutine.
type syncBuffer = syncbuf.Buffer

func TestServeDefaultOrgThenShutDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	baseCh := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, []string{"--listen", "127.0.0.1:0", "--log", "off"}, noEnv, &stdout, &stderr, func(base string) { baseCh <- base })
	}()
	var base string
	select {
	case base = <-baseCh:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	resp, err := http.Get(base + "/_sfemu/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health: %d", resp.StatusCode)
	}
	banner := stdout.String()
	for _, want := range []string{
		"serving on " + base,
		"user            sender@sfemu.example",
		"consumer key 3MVG9sfemuDefaultTestOnlyConsumerKey.receiver",
		"sign JWTs with the test-only key fixtures/keys/server.key",
		"state           in memory: a restart begins again from the fixtures (--data-dir DIR keeps it)",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("graceful shutdown exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeRefusesABadFixtureWithFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acme.yaml")
	os.WriteFile(path, []byte("org:\n  name: Acme\nusers:\n  - {username: s@acme.example, profile: Integration}\n"), 0o644)
	var stdout, stderr bytes.Buffer
	code := serve(context.Background(), []string{"--org", path, "--listen", "127.0.0.1:0"}, noEnv, &stdout, &stderr, nil)
	if code != 1 || !strings.Contains(stderr.String(), path+":4:") || !strings.Contains(stderr.String(), `profile "Integration" does not exist`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--clock", "sundial", "--listen", "127.0.0.1:0"}, {"stray.yaml"}, {"--log", "loud"}} {
		var stdout, stderr bytes.Buffer
		code := serve(context.Background(), args, noEnv, &stdout, &stderr, nil)
		if code == 0 || stderr.Len() == 0 {
			t.Errorf("serve %v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}

// noEnv is an empty environment.
func noEnv(string) (string, bool) { return "", false }

// TestServeStopsWithinSecondsWhileAReceiverHangs: SIGTERM (the context
// runServe cancels on it) stops serve within a few seconds while a
// receiver holds an outbound message unanswered, the sender's timeout
// being the default 60 s. (Issue 15: SIGTERM took 118.7 s.)
func TestServeStopsWithinSecondsWhileAReceiverHangs(t *testing.T) {
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := startServeUntil(t, ctx, "--endpoint", rcv.URL+"/outbound")
	resp, err := http.Post(s.base+"/_sfemu/outbound/Account_Changed/send", "application/json", strings.NewReader(`{"where":"Name != null"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	select {
	case <-held:
	case <-time.After(5 * time.Second):
		t.Fatal("the receiver never got the message")
	}
	start := time.Now()
	cancel()
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, s.stderr.String())
		}
		t.Logf("stopped in %s", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop within 5s while a receiver hung")
	}
}
