package soap

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/route"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// soapNow is the virtual time of these tests: Monday 2 March 2026, 10:00 UTC.
var soapNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// acmeOrg is a customer org whose integration user may still log in with
// a password (SOAP login()), as most receivers' orgs could before 2027.
const acmeOrg = `
org: {name: Acme, id: 00Dxx0000001gPL, time_zone: Asia/Tokyo}
profiles:
  - {name: Integration, session_timeout: 2h}
  - {name: Office Only, login_ip_ranges: [{start: 198.51.100.1, end: 198.51.100.9}]}
users:
  - {username: sender@acme.example, first_name: Send, last_name: User, profile: Integration, password: s3cret, security_token: TOKEN123}
  - {username: office@acme.example, profile: Office Only, password: s3cret}
  - {username: gone@acme.example, profile: Integration, password: s3cret, active: false}
  - {username: nopassword@acme.example, profile: Integration}
objects:
  Account:
    fields:
      External_Key__c: {type: text, external_id: true, length: 40}
      Receiver_Status__c: {type: text, length: 255}
  Lead:
    fields:
      Rating__c: {type: picklist, values: [Hot, Warm], restricted: true}
records:
  Account:
    - {_ref: edge, Name: Edge Communications, Industry: Energy, AnnualRevenue: 139000000, NumberOfEmployees: 1000, External_Key__c: EDGE-1}
    - {_ref: burlington, Name: Burlington Textiles, Industry: Apparel, External_Key__c: DUP}
    - {Name: Pyramid Construction, External_Key__c: DUP}
  Contact:
    - {LastName: Gonzalez, FirstName: Rose, Email: rose@edge.example, AccountId: "@edge"}
    - {LastName: Forbes, FirstName: Sean, Email: sean@edge.example, AccountId: "@edge"}
    - {LastName: Orphan, Email: orphan@nowhere.example}
`

type env struct {
	t     *testing.T
	store *org.Store
	svc   *Service
	gw    *gateway.Gateway
	clock *clock.Virtual
	srv   *httptest.Server
	acme  *org.Org
}

func newEnv(t *testing.T, extraYAML ...string) *env {
	t.Helper()
	clk := clock.NewVirtual(soapNow)
	store, err := org.NewStore(clk, org.Source{Name: "acme.yaml", Data: []byte(acmeOrg + strings.Join(extraYAML, "\n"))})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Store: store, MaxRequestBytes: 1 << 20})
	gw := gateway.New(gateway.Config{Store: store, BaseURL: gateway.RequestBaseURL})
	r := &route.Router{}
	gw.Mount(r, Prefix, svc.Surface(), svc.Routes())
	gw.Mount(r, WSDLPrefix, svc.Surface(), svc.WSDLRoutes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, svc: svc, gw: gw, clock: clk, srv: srv, acme: store.Org("Acme")}
}

// session opens a session for username as an OAuth login would.
func (e *env) session(username string) string {
	return e.store.Sessions.Open(e.store.User(username), nil, 2*time.Hour, false).Token
}

type answer struct {
	status int
	body   string
	header http.Header
}

// envelope wraps a call in a SOAP 1.1 envelope, with a SessionHeader when
// session is not empty and more header elements as given.
func envelope(ns, session, headers, call string) string {
	h := ""
	if session != "" {
		h = `<urn:SessionHeader><urn:sessionId>` + session + `</urn:sessionId></urn:SessionHeader>`
	}
	return `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="` + ns +
		`" xmlns:urn1="` + sobjectNSOf(ns) + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Header>` + h + headers +
		`</soapenv:Header><soapenv:Body>` + call + `</soapenv:Body></soapenv:Envelope>`
}

func sobjectNSOf(ns string) string {
	if ns == enterprise.ns {
		return enterprise.sobjectNS
	}
	return partner.sobjectNS
}

// post sends a raw body to path.
func (e *env) post(path, body string, headers ...string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header}
}

// partnerCall posts a Partner call with session (may be "").
func (e *env) partnerCall(session, headers, call string) answer {
	e.t.Helper()
	return e.post("/services/Soap/u/66.0/00Dxx0000001gPL", envelope(partner.ns, session, headers, call))
}

func (e *env) enterpriseCall(session, headers, call string) answer {
	e.t.Helper()
	return e.post("/services/Soap/c/66.0/00Dxx0000001gPL", envelope(enterprise.ns, session, headers, call))
}

var volatile = regexp.MustCompile(`00Dxx0000001gPL![A-Za-z0-9._]+`)

// golden compares a body with testdata/name (rewritten under -update),
// after masking session tokens.
func golden(t *testing.T, name, body string) {
	t.Helper()
	got := []byte(volatile.ReplaceAllString(body, "00Dxx0000001gPL!SESSION"))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func faultOn(operation string) wire.Fault {
	return wire.Fault{Surface: wire.SurfaceSOAP, Operation: operation, ErrorCode: "REQUEST_LIMIT_EXCEEDED"}
}
