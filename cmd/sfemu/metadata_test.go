package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
)

// served is a `sfemu serve` the test started: its base URL, its output
// and its exit code once it stops.
type served struct {
	base           string
	stdout, stderr *syncBuffer
	done           chan int
}

// startServeUntil runs `sfemu serve --listen 127.0.0.1:0 --log off args…` until
// ctx ends, and waits for it to listen.
func startServeUntil(t *testing.T, ctx context.Context, args ...string) *served {
	t.Helper()
	s := &served{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan int, 1)}
	baseCh := make(chan string, 1)
	go func() {
		s.done <- serve(ctx, append([]string{"--listen", "127.0.0.1:0", "--log", "off"}, args...), noEnv, s.stdout, s.stderr, func(base string) { baseCh <- base })
	}()
	select {
	case s.base = <-baseCh:
	case code := <-s.done:
		s.done <- code // for whoever waits for the exit
		t.Fatalf("serve exited %d: %s", code, s.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return s
}

// startServeArgs runs `sfemu serve args…` until the test ends and returns
// its base URL.
func startServeArgs(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := startServeUntil(t, ctx, args...)
	t.Cleanup(func() { cancel(); <-s.done })
	return s.base
}

// A customer's retrieved Setup (Metadata API format: a connected app
// assigned to a profile with Login IP Ranges, a permission set, a
// workflow outbound message) reproduces the two errors support meets most,
// with nothing in YAML but the users.
func TestServeMetadataReproducesCustomerErrors(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.yaml")
	os.WriteFile(users, []byte(`org: {name: Customer, my_domain: customer}
users:
  - {username: booking@customer.example, profile: Booking Integration}
  - {username: intern@customer.example, profile: Standard User}
`), 0o644)
	base := startServeArgs(t, "--metadata", "../../emulator/metadata/testdata/retrieved", "--org", users, "--trust-forwarded-for")
	key, err := jwtbearer.LoadPrivateKeyFile("../../fixtures/keys/server.key")
	if err != nil {
		t.Fatal(err)
	}
	login := func(sub, ip string) (int, string) {
		t.Helper()
		assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{Issuer: "3MVG9sfemuRetrievedTestOnly.booking", Subject: sub,
			Audience: "https://login.salesforce.com", Expiry: time.Now().Add(3 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", base+"/services/oauth2/token", strings.NewReader(url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", ip)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	tests := []struct {
		name, sub, ip string
		status        int
		body          string
	}{
		{"the booking service's address, a user of the assigned profile", "booking@customer.example", "203.0.113.15", 200, `"access_token"`},
		{"another address: the profile's Login IP Ranges refuse it", "booking@customer.example", "198.51.100.7", 400, `{"error":"invalid_grant","error_description":"ip restricted"}`},
		{"a user the app's policy does not pre-approve", "intern@customer.example", "203.0.113.15", 400, `"error":"invalid_app_access"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := login(tt.sub, tt.ip)
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Errorf("got %d %s, want %d with %s", status, body, tt.status, tt.body)
			}
		})
	}
}

// A problem the emulator finds in Setup read from metadata names the
// metadata file and line, not the generated fixture.
func TestServeMetadataErrorNamesTheMetadataFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "profiles"), 0o755)
	os.WriteFile(filepath.Join(dir, "profiles", "Ops.profile-meta.xml"), []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <loginIpRanges>
        <endAddress>10.0.0.1</endAddress>
        <startAddress>10.0.0.300</startAddress>
    </loginIpRanges>
</Profile>
`), 0o644)
	var stdout, stderr bytes.Buffer
	code := serve(context.Background(), []string{"--metadata", dir, "--listen", "127.0.0.1:0"}, noEnv, &stdout, &stderr, nil)
	want := filepath.Join(dir, "profiles", "Ops.profile-meta.xml") + ":5:"
	if code != 1 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "10.0.0.300") {
		t.Errorf("exit %d, stderr %q; want it to name %s", code, stderr.String(), want)
	}
}
