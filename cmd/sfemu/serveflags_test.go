package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/internal/envflag"
	"github.com/sfemu/sfemu/wire"
)

// ackingReceiver acks every message and keeps the bodies.
type ackingReceiver struct {
	mu     sync.Mutex
	bodies []string
}

func (a *ackingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.bodies = append(a.bodies, string(body))
	a.mu.Unlock()
	io.WriteString(w, ackXML)
}

func (a *ackingReceiver) got() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.bodies...)
}

// sendAndWait sends message for the records matching where, waits until
// nothing is in flight and returns the notification ids.
func sendAndWait(t *testing.T, base, message, where string) []string {
	t.Helper()
	c, ctx := control.New(base), context.Background()
	sent, err := c.SendOutbound(ctx, message, wire.Send{Where: where})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	return sent.Notifications
}

func clockOf(t *testing.T, base string) wire.Clock {
	t.Helper()
	c, err := control.New(base).Clock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func orgFixture(name, user, endpoint string) string {
	return "org: {name: " + name + "}\n" +
		"users: [{username: " + user + "@example.com, profile: Standard User}]\n" +
		"records: {Account: [{Name: One}]}\n" +
		"outbound_messages:\n" +
		"  - {name: Notify, object: Account, fields: [Name], endpoint_url: \"" + endpoint + "\", user_to_send_as: " + user + "@example.com}\n"
}

// TestServeConfiguredByTheEnvironmentAlone is the image as a CI service
// container: no arguments, every setting from a variable.
func TestServeConfiguredByTheEnvironmentAlone(t *testing.T) {
	rcv := &ackingReceiver{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	r := startServingEnv(t, map[string]string{
		"SFEMU_LISTEN":               "127.0.0.1:0",
		"SFEMU_CLOCK_START":          "2020-02-03T04:05:06Z",
		"SFEMU_ENDPOINT":             receiver.URL + "/outbound",
		"SFEMU_NOTIFICATION_ID_BASE": "0",
		"SFEMU_UNRELATED":            "ignored",
	})
	if c := clockOf(t, r.base); c.Mode != "virtual" || !c.Now.Equal(time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("clock %+v, want virtual at 2020-02-03T04:05:06Z", c)
	}
	for _, want := range []string{"(clock: virtual, at 2020-02-03T04:05:06Z)", "Account_Changed (Account) → " + receiver.URL + "/outbound"} {
		if !strings.Contains(r.banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, r.banner)
		}
	}
	ids := sendAndWait(t, r.base, "Account_Changed", "Name = 'Edge Communications'")
	if len(ids) != 1 || ids[0] != "04lxx0000000001AAA" {
		t.Errorf("ids %v, want [04lxx0000000001AAA] ($SFEMU_NOTIFICATION_ID_BASE=0)", ids)
	}
	if got := rcv.got(); len(got) != 1 || !strings.Contains(got[0], "<Id>04lxx0000000001AAA</Id>") {
		t.Errorf("the receiver at $SFEMU_ENDPOINT got %d messages: %v", len(got), got)
	}
}

func TestServeFlagsWinOverTheEnvironment(t *testing.T) {
	a := writeFile(t, "a.yaml", orgFixture("Acme", "a", "http://127.0.0.1:9001/a"))
	b := writeFile(t, "b.yaml", orgFixture("Globex", "b", "http://127.0.0.1:9001/b"))
	c := writeFile(t, "c.yaml", orgFixture("Initech", "c", "http://127.0.0.1:9001/c"))
	orgNames := func(base string) string {
		orgs, err := control.New(base).Orgs(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range orgs {
			names = append(names, o.Name)
		}
		return strings.Join(names, " ")
	}
	env := map[string]string{"SFEMU_ORG": a + ",\n " + b + "\n", "SFEMU_CLOCK_START": "2020-01-01T00:00:00Z", "SFEMU_LISTEN": "127.0.0.1:0"}

	r := startServingEnv(t, env)
	if got := orgNames(r.base); got != "Acme Globex" {
		t.Errorf("$SFEMU_ORG with a comma and newlines: orgs %q, want Acme Globex", got)
	}
	r = startServingEnv(t, env, "--org", c, "--clock-start", "2021-06-01T12:00:00+02:00")
	if got := orgNames(r.base); got != "Initech" {
		t.Errorf("--org over $SFEMU_ORG: orgs %q, want only Initech", got)
	}
	if now := clockOf(t, r.base).Now; !now.Equal(time.Date(2021, 6, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("--clock-start over $SFEMU_CLOCK_START: clock at %s", now)
	}
}

func TestServeConfigurationErrorsNameTheFlagOrVariable(t *testing.T) {
	noPEM := writeFile(t, "ca.pem", "not a certificate\n")
	for _, tc := range []struct {
		args []string
		env  map[string]string
		code int
		want string
	}{
		{env: map[string]string{"SFEMU_CLOCK_START": "yesterday"}, code: 2, want: `$SFEMU_CLOCK_START "yesterday": want an RFC 3339 time`},
		{args: []string{"--clock-start", "2026-01-05"}, code: 2, want: `--clock-start "2026-01-05": want an RFC 3339 time`},
		{args: []string{"--clock", "real", "--clock-start", "2026-01-05T00:00:00Z"}, code: 2, want: "--clock-start is for the virtual clock, not --clock real"},
		{env: map[string]string{"SFEMU_CLOCK": "real", "SFEMU_CLOCK_START": "2026-01-05T00:00:00Z"}, code: 2, want: "$SFEMU_CLOCK_START is for the virtual clock, not $SFEMU_CLOCK real"},
		{env: map[string]string{"SFEMU_CLOCK": "sundial"}, code: 2, want: `$SFEMU_CLOCK "sundial": want real or virtual`},
		{env: map[string]string{"SFEMU_TRUST_FORWARDED_FOR": "maybe"}, code: 2, want: `$SFEMU_TRUST_FORWARDED_FOR="maybe"`},
		{env: map[string]string{"SFEMU_LOG": "loud"}, code: 2, want: `$SFEMU_LOG "loud": want text, json or off`},
		{env: map[string]string{"SFEMU_ENDPOINT": "ftp://r.example/"}, code: 2, want: `$SFEMU_ENDPOINT "ftp://r.example/": want URL or ORG=URL`},
		{args: []string{"--endpoint", "Acme="}, code: 2, want: `--endpoint "Acme=": want an http:// or https:// URL`},
		{args: []string{"--endpoint", "Initech=https://r.example/"}, code: 1, want: `org "Initech": no such org (loaded: "Default")`},
		{args: []string{"--endpoint", "https://r.example:22/"}, code: 1, want: "uses port 22"},
		{args: []string{"--trust-ca", noPEM}, code: 1, want: "--trust-ca " + noPEM + ": no PEM certificate"},
		{env: map[string]string{"SFEMU_TRUST_CA": "/nonexistent/ca.pem"}, code: 1, want: "$SFEMU_TRUST_CA: open /nonexistent/ca.pem"},
		{args: []string{"--notification-id-base", "-1"}, code: 2, want: "want a whole number"},
		{args: []string{"--outbound-queue-limit", "0"}, code: 2, want: "--outbound-queue-limit 0: want 1 or more"},
		{args: []string{"--data-dir-reset"}, code: 2, want: "--data-dir-reset is for a data dir: give --data-dir too"},
		{env: map[string]string{"SFEMU_OUTBOUND_QUEUE_LIMIT": "lots"}, code: 2, want: `$SFEMU_OUTBOUND_QUEUE_LIMIT="lots"`},
		{env: map[string]string{"SFEMU_TLS_NAME": "sfemu"}, code: 2, want: "need --tls"},
		{args: []string{"--read-timeout", "0"}, code: 2, want: "--read-timeout 0s: want a positive duration"},
		{env: map[string]string{"SFEMU_IDLE_TIMEOUT": "-1s"}, code: 2, want: "$SFEMU_IDLE_TIMEOUT -1s: want a positive duration"},
		{env: map[string]string{"SFEMU_WRITE_TIMEOUT": "soon"}, code: 2, want: `$SFEMU_WRITE_TIMEOUT="soon"`},
		{args: []string{"--max-header-bytes", "4096"}, code: 2, want: "--max-header-bytes 4096: want at least 16384"},
		{env: map[string]string{"SFEMU_MAX_CONNECTIONS": "-1"}, code: 2, want: "$SFEMU_MAX_CONNECTIONS -1: want 1 or more"},
	} {
		var stdout, stderr bytes.Buffer
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		// A start that should have failed is stopped at once.
		ctx, cancel := context.WithCancel(context.Background())
		code := serve(ctx, append(tc.args, "--listen", "127.0.0.1:0"), lookup, &stdout, &stderr, func(string) { cancel() })
		cancel()
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("args %v env %v: exit %d, stderr %q; want exit %d and %q", tc.args, tc.env, code, stderr.String(), tc.code, tc.want)
		}
	}
}

// TestServeTLSDirFromTheEnvironmentNeedsNoTLS: the image sets
// SFEMU_TLS_DIR=/tls whether or not https is on.
func TestServeTLSDirFromTheEnvironmentNeedsNoTLS(t *testing.T) {
	startServingEnv(t, map[string]string{"SFEMU_TLS_DIR": t.TempDir()}, "--listen", "127.0.0.1:0")
}

func TestServeHelpNamesEachFlagsVariable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := serve(context.Background(), []string{"--help"}, noEnv, &stdout, &stderr, nil); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	help := stderr.String()
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var f serveFlags
	f.register(fs)
	n := 0
	fs.VisitAll(func(fl *flag.Flag) {
		n++
		if !strings.Contains(help, "-"+fl.Name+" ") && !strings.Contains(help, "-"+fl.Name+"\n") {
			t.Errorf("--help does not list -%s", fl.Name)
		}
		if !strings.Contains(help, "[$"+envflag.Name(fl.Name)) {
			t.Errorf("--help does not name $%s for -%s", envflag.Name(fl.Name), fl.Name)
		}
	})
	for _, want := range []string{"[$SFEMU_ORG, comma-separated]", "[$SFEMU_CLOCK_START]", "[$SFEMU_TRUST_CA, comma-separated]", "[$SFEMU_TLS_LISTEN]", "the flag wins"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q:\n%s", want, help)
		}
	}
	if n < 18 {
		t.Errorf("only %d flags registered", n)
	}
}

// TestServeClockStartInThePast: a story set before the February 2026
// change runs on a clock started then, and moves on from there.
func TestServeClockStartInThePast(t *testing.T) {
	rcv := &ackingReceiver{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	r := startServing(t, "--listen", "127.0.0.1:0", "--clock-start", "2019-06-01T00:00:00Z", "--endpoint", receiver.URL)
	start := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	if c := clockOf(t, r.base); c.Mode != "virtual" || !c.Now.Equal(start) {
		t.Fatalf("clock %+v, want virtual at %s", c, start)
	}
	ctl, ctx := control.New(r.base), context.Background()
	if c, err := ctl.Advance(ctx, wire.Advance{By: wire.Duration(time.Hour)}); err != nil || !c.Now.Equal(start.Add(time.Hour)) {
		t.Fatalf("advance an hour: %+v, %v", c, err)
	}
	sendAndWait(t, r.base, "Account_Changed", "Name = 'Edge Communications'")
	d, err := ctl.Deliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 1 || !d[0].Acked || !d[0].Time.Equal(start.Add(time.Hour)) {
		t.Errorf("deliveries %+v, want one acked at %s", d, start.Add(time.Hour))
	}
	q, _ := ctl.Queue(ctx, true)
	if len(q) != 1 || !q[0].QueuedAt.Equal(start.Add(time.Hour)) {
		t.Errorf("queue history %+v, want one queued at %s", q, start.Add(time.Hour))
	}
}

// TestServeTrustCATrustsAReceiversOwnCA: an https receiver whose
// certificate only the --trust-ca file vouches for.
func TestServeTrustCATrustsAReceiversOwnCA(t *testing.T) {
	rcv := &ackingReceiver{}
	receiver := httptest.NewUnstartedServer(rcv)
	receiver.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting sender's "bad certificate"
	receiver.StartTLS()
	defer receiver.Close()
	caFile := writeFile(t, "receiver-ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: receiver.Certificate().Raw})))
	other := httptest.NewTLSServer(http.NotFoundHandler()) // another CA, to prove a list works
	defer other.Close()
	otherFile := writeFile(t, "other-ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Certificate().Raw})))
	fixture := writeFile(t, "acme.yaml", orgFixture("Acme", "a", receiver.URL+"/outbound"))

	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		acked bool
		why   string
	}{
		{name: "without --trust-ca", acked: false, why: "not trusted"},
		{name: "--trust-ca", args: []string{"--trust-ca", caFile}, acked: true},
		{name: "$SFEMU_TRUST_CA, two files", env: map[string]string{"SFEMU_TRUST_CA": otherFile + "," + caFile}, acked: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startServingEnv(t, tc.env, append(tc.args, "--listen", "127.0.0.1:0", "--clock", "virtual", "--org", fixture)...)
			sendAndWait(t, r.base, "Notify", "Name = 'One'")
			d, err := control.New(r.base).Deliveries(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(d) != 1 || d[0].Acked != tc.acked || !strings.Contains(d[0].Reason, tc.why) {
				t.Errorf("deliveries %+v: want acked=%v, reason with %q", d, tc.acked, tc.why)
			}
		})
	}
	if n := len(rcv.got()); n != 2 {
		t.Errorf("the receiver got %d messages, want 2", n)
	}
}

// TestServeEndpointForTheOrgNamed: with several orgs, ORG=URL points one
// org's messages elsewhere, URL every other org's.
func TestServeEndpointForTheOrgNamed(t *testing.T) {
	acme, globex := &ackingReceiver{}, &ackingReceiver{}
	acmeSrv, globexSrv := httptest.NewServer(acme), httptest.NewServer(globex)
	defer acmeSrv.Close()
	defer globexSrv.Close()
	a := writeFile(t, "a.yaml", orgFixture("Acme", "a", "http://127.0.0.1:9001/a"))
	b := writeFile(t, "b.yaml", orgFixture("Globex", "b", "http://127.0.0.1:9001/b"))
	// A query string with "=" is still a plain URL.
	r := startServing(t, "--listen", "127.0.0.1:0", "--clock", "virtual", "--org", a, "--org", b,
		"--endpoint", "Globex="+globexSrv.URL+"/globex", "--endpoint", acmeSrv.URL+"/all?tenant=acme")
	c, ctx := control.New(r.base), context.Background()
	for _, o := range []string{"Acme", "Globex"} {
		if _, err := c.SendOutbound(ctx, "Notify", wire.Send{Org: o, Where: "Name = 'One'"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Idle(ctx); err != nil {
		t.Fatal(err)
	}
	if len(acme.got()) != 1 || len(globex.got()) != 1 {
		t.Errorf("Acme's receiver got %d, Globex's %d; want 1 each", len(acme.got()), len(globex.got()))
	}
	d, _ := c.Deliveries(ctx)
	for _, x := range d {
		u, _ := url.Parse(x.Endpoint)
		if !x.Acked || (u.Path != "/globex" && u.RawQuery != "tenant=acme") {
			t.Errorf("delivery to %s acked=%v", x.Endpoint, x.Acked)
		}
	}
}

// TestServeOutboundQueueLimit: $SFEMU_OUTBOUND_QUEUE_LIMIT caps the
// queue; a send past it answers 429 naming the org and the limit, and
// queues nothing.
func TestServeOutboundQueueLimit(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	r := startServingEnv(t, map[string]string{"SFEMU_LISTEN": "127.0.0.1:0", "SFEMU_CLOCK": "virtual",
		"SFEMU_ENDPOINT": downURL + "/outbound", "SFEMU_OUTBOUND_QUEUE_LIMIT": "1"})
	c, ctx := control.New(r.base), context.Background()
	if _, err := c.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name = 'Edge Communications'"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name = 'Edge Communications'"})
	if wire.StatusOf(err) != http.StatusTooManyRequests || !strings.Contains(err.Error(), `org "Default"`) || !strings.Contains(err.Error(), "holds at most 1") {
		t.Fatalf("a send past the limit: %d %v", wire.StatusOf(err), err)
	}
	if q, err := c.Queue(ctx, true); err != nil || len(q) != 1 {
		t.Errorf("queue %v %v, want the one notification queued before", q, err)
	}
}
