package emulator_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
)

const soapAck = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`

// sink is a receiver that keeps each envelope's session ID and partner URL.
type sink struct {
	mu       sync.Mutex
	sessions []string
	partners []string
	bodies   []string
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var env struct {
		Body struct {
			N struct {
				SessionID  string `xml:"SessionId"`
				PartnerURL string `xml:"PartnerUrl"`
			} `xml:"http://soap.sforce.com/2005/09/outbound notifications"`
		} `xml:"Body"`
	}
	xml.Unmarshal(body, &env)
	s.mu.Lock()
	s.sessions = append(s.sessions, env.Body.N.SessionID)
	s.partners = append(s.partners, env.Body.N.PartnerURL)
	s.bodies = append(s.bodies, string(body))
	s.mu.Unlock()
	io.WriteString(w, soapAck)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func startWithOutbound(t *testing.T, era, receiverURL string) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	fixture := `
org: {name: Acme, outbound_session_id: ` + era + `}
profiles: [{name: Integration, session_timeout: 2h}]
users: [{username: sender@acme.example, profile: Integration}]
records:
  Account: [{Name: Edge Communications, Industry: Energy}]
outbound_messages:
  - name: New_Energy_Lead
    object: Lead
    fields: [Company, Email]
    endpoint_url: "` + receiverURL + `"
    user_to_send_as: sender@acme.example
    include_session_id: true
    rule: {when: created, condition: "Industry = 'Energy'"}
`
	return startOutboundFixture(t, fixture)
}

// startOutboundFixture serves fixture (an org named in acme.yaml) on the
// virtual clock, with session IDs allowed over http, at an httptest URL
// that outbound messages carry.
func startOutboundFixture(t *testing.T, fixture string) (*emulator.Emulator, *httptest.Server) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{
		Orgs:         []org.Source{{Name: "acme.yaml", Data: []byte(fixture)}},
		Clock:        emulator.VirtualClock,
		VirtualStart: virtualStart,
		Outbound:     outbound.Settings{SessionOverHTTP: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	emu.SetPublicURL(srv.URL)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	return emu, srv
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestWorkflowRuleSendsOnRESTCreateWithAUsableSession: a record created
// through the REST API that meets the rule goes out; before the change the
// message's session ID works on the REST API of the instance in PartnerUrl.
func TestWorkflowRuleSendsOnRESTCreateWithAUsableSession(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	emu, srv := startWithOutbound(t, "legacy", receiver.URL)
	token := emu.Store().Sessions.Open(emu.Store().User("sender@acme.example"), nil, time.Hour, false).Token

	create := func(body string) {
		code, resp := doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Lead", token, body)
		if code != 201 {
			t.Fatalf("create: %d %s", code, resp)
		}
	}
	create(`{"LastName":"Doe","Company":"Coal Co","Industry":"Energy"}`)
	create(`{"LastName":"Roe","Company":"Shirts Inc","Industry":"Apparel"}`) // does not meet the rule
	waitFor(t, "the rule's message", func() bool { return rcv.count() == 1 })
	time.Sleep(20 * time.Millisecond)
	if n := rcv.count(); n != 1 {
		t.Fatalf("%d messages, want 1 (only the Energy lead meets the rule)", n)
	}
	rcv.mu.Lock()
	session, partner, body := rcv.sessions[0], rcv.partners[0], rcv.bodies[0]
	rcv.mu.Unlock()
	if !strings.Contains(body, "<sf:Company>Coal Co</sf:Company>") {
		t.Errorf("envelope lacks the lead's data:\n%s", body)
	}
	instance := partner[:strings.Index(partner, "/services/Soap/")]
	if instance != srv.URL {
		t.Errorf("PartnerUrl %s should point at the emulator %s", partner, srv.URL)
	}
	if code, resp := doJSON(t, "GET", instance+"/services/data/v60.0/query?q=SELECT+Id+FROM+Lead", session, ""); code != 200 {
		t.Errorf("the outbound session ID does not work on the REST API: %d %s", code, resp)
	}
}

func TestAfterTheChangeNoSessionIsSent(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	emu, srv := startWithOutbound(t, "removed", receiver.URL)
	token := emu.Store().Sessions.Open(emu.Store().User("sender@acme.example"), nil, time.Hour, false).Token
	doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Lead", token, `{"LastName":"Doe","Company":"Coal Co","Industry":"Energy"}`)
	waitFor(t, "the message", func() bool { return rcv.count() == 1 })
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.sessions[0] != "" || !strings.Contains(rcv.bodies[0], `<SessionId xsi:nil="true"/>`) {
		t.Errorf("removed era: session %q", rcv.sessions[0])
	}
}

// TestOutboundControlAPI drives a 24-hour outage through the control API:
// send, watch the queue, advance the virtual clock, read the journal.
func TestOutboundControlAPI(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	emu, srv := startWithOutbound(t, "removed", downURL)
	o := emu.Store().Orgs()[0]
	lead, errs := o.Data.Insert(o.Schema.Object("Lead"), map[string]any{"LastName": "X", "Company": "Y"}, o.Users[0], virtualStart, org.DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	code, body := doJSON(t, "POST", srv.URL+"/_sfemu/outbound/New_Energy_Lead/send", "", `{"records":["`+string(lead.ID)+`"]}`)
	if code != 202 || !strings.Contains(body, `"04l`) {
		t.Fatalf("send: %d %s", code, body)
	}
	doJSON(t, "POST", srv.URL+"/_sfemu/outbound/idle", "", "")
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/outbound/queue", "", "")
	var q []outbound.Status
	json.Unmarshal([]byte(body), &q)
	if code != 200 || len(q) != 1 || q[0].Attempts != 1 || !strings.Contains(q[0].DeliveryFailureReason, "connection refused") {
		t.Fatalf("queue: %d %s", code, body)
	}
	if code, body := doJSON(t, "POST", srv.URL+"/_sfemu/clock/advance", "", `{"by":"25h"}`); code != 200 {
		t.Fatalf("advance: %d %s", code, body)
	}
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/outbound/queue?all=true", "", "")
	json.Unmarshal([]byte(body), &q)
	if len(q) != 1 || q[0].State != outbound.Dropped || q[0].Attempts < 20 {
		t.Errorf("after 25 hours: %s", body)
	}
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/outbound/deliveries", "", "")
	if code != 200 || strings.Count(body, `"acked": false`) != q[0].Attempts {
		t.Errorf("journal has %d failed attempts, want %d", strings.Count(body, `"acked": false`), q[0].Attempts)
	}
	code, body = doJSON(t, "GET", srv.URL+"/_sfemu/outbound/New_Energy_Lead/wsdl", "", "")
	if code != 200 || !strings.Contains(body, "NotificationService") {
		t.Errorf("wsdl: %d %.200s", code, body)
	}
	for _, tt := range []struct{ path, body, want string }{
		{"/_sfemu/outbound/Nope/send", `{"records":["` + string(lead.ID) + `"]}`, `no outbound message \"Nope\"`},
		{"/_sfemu/outbound/New_Energy_Lead/send", `{"where":"Nmae = 'x'"}`, `INVALID_FIELD`},
		{"/_sfemu/outbound/New_Energy_Lead/send", `{}`, `no records to send`},
	} {
		if code, body := doJSON(t, "POST", srv.URL+tt.path, "", tt.body); code < 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s: %d %s", tt.path, tt.body, code, body)
		}
	}
}

// TestMutualTLSWithTheDownloadedClientCertificate: an https receiver that
// requires a client certificate accepts sfemu's once it trusts the
// certificate served by the control API; sfemu trusts the receiver's CA
// only when told to.
func TestMutualTLSWithTheDownloadedClientCertificate(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewUnstartedServer(rcv)
	receiver.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: x509.NewCertPool()}
	receiver.StartTLS()
	defer receiver.Close()
	receiverCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: receiver.Certificate().Raw})

	start := func(trust []byte) (*emulator.Emulator, *httptest.Server) {
		fixture := `
org: {name: Acme}
users: [{username: sender@acme.example, profile: Standard User}]
records: {Account: [{Name: Edge}]}
outbound_messages:
  - {name: M, object: Account, fields: [Name], endpoint_url: "` + receiver.URL + `", user_to_send_as: sender@acme.example}
`
		emu, err := emulator.New(emulator.Options{Orgs: []org.Source{{Name: "a.yaml", Data: []byte(fixture)}}, Clock: emulator.VirtualClock,
			VirtualStart: virtualStart, OutboundTrustedCAs: trust})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(emu)
		t.Cleanup(func() { srv.Close(); emu.Close() })
		return emu, srv
	}
	deliver := func(srv *httptest.Server) string {
		doJSON(t, "POST", srv.URL+"/_sfemu/outbound/M/send", "", `{"where":"Name = 'Edge'"}`)
		doJSON(t, "POST", srv.URL+"/_sfemu/outbound/idle", "", "")
		_, body := doJSON(t, "GET", srv.URL+"/_sfemu/outbound/queue?all=true", "", "")
		return body
	}

	_, untrusting := start(nil)
	if body := deliver(untrusting); !strings.Contains(body, "not trusted") {
		t.Errorf("a receiver whose CA is not trusted: %s", body)
	}

	_, srv := start(receiverCA)
	code, certPEM := doJSON(t, "GET", srv.URL+"/_sfemu/outbound/client-certificate", "", "")
	block, _ := pem.Decode([]byte(certPEM))
	if code != 200 || block == nil {
		t.Fatalf("client certificate: %d %q", code, certPEM)
	}
	if body := deliver(srv); !strings.Contains(body, "rejected the client certificate") {
		t.Errorf("a receiver that does not trust the client certificate yet should refuse: %s", body)
	}
	clientCert, _ := x509.ParseCertificate(block.Bytes)
	receiver.TLS.ClientCAs.AddCert(clientCert)
	receiver.Config.TLSConfig = receiver.TLS
	before := rcv.count()
	body := deliver(srv)
	if rcv.count() != before+1 || !strings.Contains(body, `"state": "delivered"`) {
		t.Errorf("with the client certificate trusted: %d deliveries, queue %s", rcv.count()-before, body)
	}
}

// TestRuleToMeetCriteriaFiresOnlyWhenNewlyMet: "created, and any time it's
// edited to subsequently meet criteria" — the previous version is judged too.
func TestRuleToMeetCriteriaFiresOnlyWhenNewlyMet(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	fixture := `
org: {name: Acme}
users: [{username: sender@acme.example, profile: Standard User}]
outbound_messages:
  - name: Became_Energy
    object: Account
    fields: [Name, Industry]
    endpoint_url: "` + receiver.URL + `"
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited_to_meet_criteria, condition: "Industry = 'Energy'"}
`
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{{Name: "a.yaml", Data: []byte(fixture)}}, Clock: emulator.VirtualClock, VirtualStart: virtualStart})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	o := emu.Store().Orgs()[0]
	acct := o.Schema.Object("Account")
	settle := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		emu.Idle(ctx)
	}
	rec, _ := o.Data.Insert(acct, map[string]any{"Name": "Shirts", "Industry": "Apparel"}, o.Users[0], virtualStart, org.DMLOptions{})
	settle()
	if n := rcv.count(); n != 0 {
		t.Fatalf("a record created outside the criteria was sent (%d)", n)
	}
	o.Data.Update(rec.ID, map[string]any{"Industry": "Energy"}, o.Users[0], virtualStart)
	settle()
	if n := rcv.count(); n != 1 {
		t.Fatalf("an edit that newly meets the criteria sent %d messages, want 1", n)
	}
	o.Data.Update(rec.ID, map[string]any{"Name": "Shirts and Power"}, o.Users[0], virtualStart)
	settle()
	if n := rcv.count(); n != 1 {
		t.Errorf("an edit of a record that already met the criteria sent again (%d)", n)
	}
}
