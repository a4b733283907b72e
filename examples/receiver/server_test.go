package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/examples/internal/orgtest"
)

// TestHTTPSurface pins what the receiver answers before any Salesforce
// call: probes, routing, refused bodies.
func TestHTTPSurface(t *testing.T) {
	cfg, _, err := loadConfig(nil, func(k string) string {
		return map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "RECEIVER_MODE": "unmigrated"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logs := &orgtest.Log{}
	srv := httptest.NewServer(NewReceiver(cfg, slog.New(slog.NewTextHandler(logs, nil)), nil))
	defer srv.Close()

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string
	}{
		{name: "readiness probe", method: "GET", path: "/healthz", wantStatus: 200, wantBody: "ok"},
		{name: "processed ids, none yet", method: "GET", path: "/processed", wantStatus: 200, wantBody: "[]"},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404},
		{name: "GET on the endpoint", method: "GET", path: "/outbound", wantStatus: 405, wantBody: "outbound messages are POSTed"},
		{name: "a body that is not XML gets a SOAP fault", method: "POST", path: "/outbound", body: "hello",
			wantStatus: 500, wantBody: "<faultcode>soapenv:Client</faultcode><faultstring>not an outbound message: not XML"},
		{name: "an envelope without notifications gets a SOAP fault", method: "POST", path: "/outbound",
			body:       `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>`,
			wantStatus: 500, wantBody: "the SOAP body holds no notifications element"},
		{name: "a body over 1 MiB is refused", method: "POST", path: "/outbound",
			body:       envelope("", strings.Repeat(oneAccount, 1<<20/len(oneAccount)+1)),
			wantStatus: 413, wantBody: "message body exceeds 1048576 bytes"},
		{name: "an org not configured", method: "POST", path: "/outbound",
			body:       strings.ReplaceAll(envelope("", oneAccount), "00Dxx0000001gPL", "00Dxx0000009zzz"),
			wantStatus: 500, wantBody: "<faultstring>organization 00Dxx0000009zzzEAY is not configured</faultstring>"},
		{name: "unmigrated receiver, no session ID", method: "POST", path: "/outbound", body: envelope(`<SessionId xsi:nil="true"/>`, oneAccount),
			wantStatus: 500, wantBody: "<faultstring>notification 04lxx000000CaSdAAK: " + notMigratedText + "</faultstring>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s %s = %d %q; want %d containing %q", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	if !strings.Contains(logs.String(), `step=auth error="`+notMigratedText+`"`) {
		t.Errorf("log lacks the unmigrated failure:\n%s", logs)
	}
}

// TestRunServesUntilCancelled runs the binary's main path: config from the
// environment, listen, /healthz, graceful stop.
func TestRunServesUntilCancelled(t *testing.T) {
	env := map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "SF_CONSUMER_KEY": "k", "SF_USERNAME": "u@x.example",
		"SF_PRIVATE_KEY_FILE": keysDir + "/server.key", "RECEIVER_LISTEN": "127.0.0.1:0"}
	stderr := &orgtest.Log{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, stderr) }()

	listening := regexp.MustCompile(`url=(http://\S+)/outbound`)
	var base string
	deadline := time.Now().Add(5 * time.Second)
	for base == "" {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("never listening; stderr:\n%s", stderr)
		}
		time.Sleep(time.Millisecond)
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Errorf("/healthz = %d %q; want 200 ok", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/processed")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	if err := json.NewDecoder(resp.Body).Decode(&ids); err != nil || ids == nil {
		t.Errorf("/processed = %v (%v); want a JSON list", ids, err)
	}
	resp.Body.Close()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit status %d after a stop; want 0", code)
	}
}

func TestRunRefusesABadConfiguration(t *testing.T) {
	var stderr bytes.Buffer
	env := map[string]string{"SF_ORG_ID": "00Dxx0000001gPL", "SF_CONSUMER_KEY": "k", "SF_USERNAME": "u", "SF_PRIVATE_KEY_FILE": "/nonexistent.key"}
	code := run(context.Background(), nil, func(k string) string { return env[k] }, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "receiver: SF_PRIVATE_KEY_FILE: open /nonexistent.key: no such file") {
		t.Errorf("exit %d, stderr %q; want 2 and the variable named", code, stderr.String())
	}
}
