package main

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServePrintsTheConsoleAndStopsWithAStreamOpen: the banner names the
// console's URL, and a browser tab watching it live does not hold up the
// graceful shutdown.
func TestServePrintsTheConsoleAndStopsWithAStreamOpen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
	if want := "console         " + base + "/_sfemu/ui/"; !strings.Contains(stdout.String(), want) {
		t.Errorf("banner lacks %q:\n%s", want, stdout.String())
	}
	resp, err := http.Get(base + "/_sfemu/ui/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("the live stream began %q, %v", line, err)
	}
	began := time.Now()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("shutdown with a live stream open exited %d: %s", code, stderr.String())
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("shutdown took %v with a live stream open", took)
		}
	case <-time.After(12 * time.Second):
		t.Fatal("serve did not stop")
	}
}
