package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"loaded fixtures answer 200: healthy", http.StatusOK, `{"status":"ok","orgs":1}`, 0, `{"status":"ok","orgs":1}`, ""},
		{"not ready answers 503: unhealthy", http.StatusServiceUnavailable, `{"error":"loading fixtures"}`, 1, "", "answered HTTP 503: {\"error\":\"loading fixtures\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotPath string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.Method + " " + r.URL.Path
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			var stdout, stderr bytes.Buffer
			code := runHealth([]string{"--url", srv.URL + "/"}, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if gotPath != "GET /_sfemu/health" {
				t.Errorf("request = %q, want GET /_sfemu/health", gotPath)
			}
			if got := strings.TrimSpace(stdout.String()); got != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestHealthNothingListening(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	var stdout, stderr bytes.Buffer
	if code := runHealth([]string{"--url", url}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code = %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "is not answering") {
		t.Errorf("stderr = %q, want it to say the emulator is not answering", stderr.String())
	}
}

func TestHealthTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	var stdout, stderr bytes.Buffer
	if code := runHealth([]string{"--url", srv.URL}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit code = %d, want 1", code)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("health waited %s; it must give up after %s", elapsed, healthTimeout)
	}
	if !strings.Contains(stderr.String(), "deadline exceeded") {
		t.Errorf("stderr = %q, want a timeout", stderr.String())
	}
}

func TestHealthRejectsArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runHealth([]string{"extra"}, &stdout, &stderr); code != 2 {
		t.Fatalf("exit code = %d, want 2", code)
	}
}

// TestHealthFollowsSFEMU_LISTEN: in the image, $SFEMU_LISTEN moves the
// listener and the built-in health check follows it.
func TestHealthFollowsSFEMU_LISTEN(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{"", "http://127.0.0.1:8085"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000"},
		{":9001", "http://127.0.0.1:9001"},
		{"[::]:9002", "http://127.0.0.1:9002"},
		{"192.0.2.10:9003", "http://192.0.2.10:9003"},
		{"[::1]:9004", "http://[::1]:9004"},
	} {
		env := func(k string) (string, bool) { return tc.listen, k == "SFEMU_LISTEN" && tc.listen != "" }
		if got := healthURL(env); got != tc.want {
			t.Errorf("SFEMU_LISTEN=%q: health URL %s, want %s", tc.listen, got, tc.want)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok","orgs":1}`)) }))
	defer srv.Close()
	listen := strings.Replace(strings.TrimPrefix(srv.URL, "http://"), "127.0.0.1", "0.0.0.0", 1)
	var stdout, stderr bytes.Buffer
	env := func(k string) (string, bool) { return listen, k == "SFEMU_LISTEN" }
	if code := health(nil, env, &stdout, &stderr); code != 0 {
		t.Errorf("with SFEMU_LISTEN=%s: exit %d, %s", listen, code, stderr.String())
	}
}
