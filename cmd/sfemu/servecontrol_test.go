package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
)

const testToken = "cmd-test-control-token-0001"

// TestServeRefusesAnOpenControlAPIOnTheNetwork: a non-loopback listener
// starts only with a control token (or --control-open), and says so.
func TestServeRefusesAnOpenControlAPIOnTheNetwork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"--listen", "0.0.0.0:0"}, want: "--listen 0.0.0.0:0 is not a loopback address"},
		{args: []string{"--listen", ":0"}, want: "--listen :0 is not a loopback address"},
		{env: map[string]string{"SFEMU_LISTEN": "0.0.0.0:0"}, want: "$SFEMU_LISTEN 0.0.0.0:0 is not a loopback address"},
		{args: []string{"--listen", "127.0.0.1:0", "--tls-listen", "0.0.0.0:0"}, want: "--tls-listen 0.0.0.0:0 is not a loopback address"},
		{args: []string{"--listen", "127.0.0.1:0", "--control-token", "short"}, want: "--control-token: a control token has at least 16 characters"},
		{env: map[string]string{"SFEMU_CONTROL_TOKEN": "with spaces in the token"}, want: "$SFEMU_CONTROL_TOKEN: a control token is printable ASCII"},
		{args: []string{"--listen", "127.0.0.1:0", "--allow-host", "http://sfemu:8085"}, want: `--allow-host "http://sfemu:8085"`},
		{env: map[string]string{"SFEMU_CONTROL_OPEN": "sometimes"}, want: `$SFEMU_CONTROL_OPEN="sometimes"`},
	} {
		var stdout, stderr bytes.Buffer
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		ctx, cancel := context.WithCancel(context.Background())
		code := serve(ctx, tc.args, lookup, &stdout, &stderr, func(string) { cancel() })
		cancel()
		if code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("serve %v env %v: exit %d, stderr %q; want exit 2 and %q", tc.args, tc.env, code, stderr.String(), tc.want)
		}
		if strings.Contains(tc.want, "loopback") && (!strings.Contains(stderr.String(), "--control-token TOKEN (or $SFEMU_CONTROL_TOKEN)") || !strings.Contains(stderr.String(), "--control-open")) {
			t.Errorf("the refusal does not say what to do: %s", stderr.String())
		}
	}
}

// TestServeWithAControlToken: on every interface with a token, the control
// API asks for it, the health check does not, and the CLI sends it from
// $SFEMU_CONTROL_TOKEN or --control-token.
func TestServeWithAControlToken(t *testing.T) {
	r := startServingEnv(t, map[string]string{"SFEMU_CONTROL_TOKEN": testToken}, "--listen", "0.0.0.0:0", "--clock", "virtual")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(r.base, "http://"))
	base := "http://127.0.0.1:" + port
	if !strings.Contains(r.banner, "control token   asked under /_sfemu/") || strings.Contains(r.banner, testToken) {
		t.Errorf("the banner should say a token is asked, and not print it:\n%s", r.banner)
	}
	if _, err := control.New(base).Orgs(context.Background()); !isStatus(err, 401) {
		t.Errorf("GET /orgs without the token: %v, want a 401", err)
	}
	if resp, err := http.Get(base + "/_sfemu/health"); err != nil || resp.StatusCode != 200 {
		t.Errorf("health without the token: %v %v", resp, err)
	}
	if _, err := control.WithToken(base, testToken).Orgs(context.Background()); err != nil {
		t.Errorf("GET /orgs with the token: %v", err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"queue", "--emulator", base}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "control token") {
		t.Errorf("sfemu queue without the token: exit %d, %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"queue", "--emulator", base, "--control-token", testToken}, &stdout, &stderr); code != 0 {
		t.Errorf("sfemu queue --control-token: exit %d, %s", code, stderr.String())
	}
	t.Setenv("SFEMU_CONTROL_TOKEN", testToken)
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"send", "--emulator", base, "--message", "Account_Changed", "--where", "Name = 'Edge Communications'"}, &stdout, &stderr); code != 0 {
		t.Errorf("sfemu send with $SFEMU_CONTROL_TOKEN: exit %d, %s", code, stderr.String())
	}
}

// TestServeControlOpen: --control-open serves a non-loopback listener
// without a token (the image), the Host check still on.
func TestServeControlOpen(t *testing.T) {
	r := startServing(t, "--listen", "0.0.0.0:0", "--control-open", "--allow-host", "sfemu")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(r.base, "http://"))
	base := "http://127.0.0.1:" + port
	if _, err := control.New(base).Orgs(context.Background()); err != nil {
		t.Errorf("GET /orgs: %v", err)
	}
	for host, want := range map[string]int{"sfemu:" + port: 200, "rebind.example:" + port: 403} {
		req, _ := http.NewRequest("GET", base+"/_sfemu/orgs", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

func isStatus(err error, status int) bool {
	var e *wire.Error
	return errors.As(err, &e) && e.Status == status
}
