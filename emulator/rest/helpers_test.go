package rest

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/route"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

var update = flag.Bool("update", false, "rewrite golden files")

// restNow is the virtual time of these tests: Monday 2 March 2026, 10:00 UTC.
var restNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// acmeOrg is a customer org like a booking or call-tracking vendor meets.
const acmeOrg = `
org: {name: Acme, time_zone: Asia/Tokyo}
profiles: [{name: Integration, session_timeout: 2h}]
users:
  - {username: sender@acme.example, first_name: Send, last_name: User, profile: Integration}
objects:
  Lead:
    fields:
      Rating__c: {type: picklist, values: [Hot, Warm], restricted: true}
      Region__c: {type: text, required: true}
  Account:
    fields:
      External_Key__c: {type: text, external_id: true, length: 40}
      Score__c: {type: number, precision: 5, scale: 2}
records:
  Account:
    - {_ref: edge, Name: Edge Communications, Industry: Energy, AnnualRevenue: 139000000, NumberOfEmployees: 1000, External_Key__c: EDGE-1}
    - {_ref: burlington, Name: Burlington Textiles, Industry: Apparel, AnnualRevenue: 350000.5, External_Key__c: DUP}
    - {Name: Pyramid Construction, External_Key__c: DUP}
  Contact:
    - {LastName: Gonzalez, FirstName: Rose, Email: rose@edge.example, AccountId: "@edge", Birthdate: 1980-05-17}
    - {LastName: Forbes, FirstName: Sean, Email: sean@edge.example, AccountId: "@edge"}
    - {LastName: Rogers, FirstName: Jack, Email: jack@burlington.example, AccountId: "@burlington"}
    - {LastName: Orphan, Email: orphan@nowhere.example}
  Lead:
    - {LastName: Boxer, FirstName: Bertha, Company: Farmers Coop, Email: bertha@fcof.example, Region__c: APAC, Rating__c: Hot}
`

const otherOrg = `
org: {name: Other}
users:
  - {username: sender@other.example, profile: Standard User}
records:
  Account:
    - {Name: Other Corp}
`

type env struct {
	t     *testing.T
	store *org.Store
	svc   *Service
	gw    *gateway.Gateway
	clock *clock.Virtual
	srv   *httptest.Server
	token string // sender@acme's access token
	acme  *org.Org
}

func newEnv(t *testing.T) *env { t.Helper(); return newEnvWith(t, acmeOrg) }

// newEnvWith is newEnv with another Acme fixture.
func newEnvWith(t *testing.T, fixture string) *env {
	t.Helper()
	clk := clock.NewVirtual(restNow)
	store, err := org.NewStore(clk,
		org.Source{Name: "acme.yaml", Data: []byte(fixture)},
		org.Source{Name: "other.yaml", Data: []byte(otherOrg)})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Store: store})
	gw := gateway.New(gateway.Config{Store: store, BaseURL: gateway.RequestBaseURL})
	r := &route.Router{}
	gw.Mount(r, Prefix, svc.Surface(), svc.Routes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	acme := store.Org("Acme")
	sess := store.Sessions.Open(store.User("sender@acme.example"), nil, 2*time.Hour, true)
	return &env{t: t, store: store, svc: svc, gw: gw, clock: clk, srv: srv, token: sess.Token, acme: acme}
}

func (e *env) tokenFor(username string) string {
	return e.store.Sessions.Open(e.store.User(username), nil, 2*time.Hour, true).Token
}

type response struct {
	status int
	body   string
	header http.Header
}

// do sends a request as sender@acme (or with the given token when non-empty; "-" for none).
func (e *env) do(method, path, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	token := e.token
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "token" {
			token = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	if token != "-" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}
}

// golden compares got, a JSON body, with testdata/name (kept indented for
// reading; key order and values are compared exactly), rewriting it under -update.
func golden(t *testing.T, name string, body string) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(body), "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, body)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}
