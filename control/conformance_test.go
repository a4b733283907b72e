package control_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

// start is where both emulators' virtual clocks start.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const conformanceToken = "conformance-test-control-token"

const (
	orgName     = "Acme Corp" // a space, so the client's path escaping is exercised
	sendUser    = "sender@acme.example"
	consumerKey = "3MVG9acmeConformanceTestOnlyKey"
)

// conformanceFixture is a small org: a JWT-capable app, records, and two
// outbound messages to the test receiver at receiverBase — one it
// acknowledges, one it refuses.
func conformanceFixture(receiverBase string) string {
	return `
org: {name: ` + orgName + `, type: production, my_domain: acme-conformance, time_zone: Europe/Paris, outbound_session_id: removed}
profiles:
  - {name: Integration, session_timeout: 30m}
permission_sets:
  - name: IntegrationPS
users:
  - {username: ` + sendUser + `, first_name: Send, last_name: User, profile: Integration, permission_sets: [IntegrationPS]}
  - {username: admin@acme.example, first_name: Ada, last_name: Admin, profile: System Administrator}
apps:
  - name: acme_eca
    kind: external_client_app
    consumer_key: ` + consumerKey + `
    certificate: server.crt
    policy: {permitted_users: admin_approved, permission_sets: [IntegrationPS], ip_relaxation: relax}
records:
  Account:
    - {_ref: edge, Name: Edge Communications, Industry: Energy, AnnualRevenue: 139000000, NumberOfEmployees: 1000}
    - {Name: Burlington Textiles, Industry: Apparel}
  Contact:
    - {FirstName: Rose, LastName: Gonzalez, AccountId: "@edge"}
    - {FirstName: Sean, LastName: Forbes, AccountId: "@edge"}
  Lead:
    - {LastName: Boxer, Company: Farmers Coop}
    - {LastName: Vale, Company: Vale Mills}
outbound_messages:
  - name: Account_Changed
    object: Account
    fields: [Name, Industry, AnnualRevenue]
    endpoint_url: "` + receiverBase + `/_sfemu/test-receiver/ack"
    user_to_send_as: ` + sendUser + `
    api_version: "60.0"
  - name: Lead_Refused
    object: Lead
    fields: [LastName, Company]
    endpoint_url: "` + receiverBase + `/_sfemu/test-receiver/nack"
    user_to_send_as: ` + sendUser + `
`
}

// side is one way to reach an emulator: the emulator itself, or the
// control client over HTTP. Each side has its own emulator, served (for
// logins and the test receiver) by its own server.
type side struct {
	name string
	ctl  wire.Control
	emu  *emulator.Emulator
	srv  *httptest.Server
	// vars are values earlier steps found (record and notification ids),
	// so later steps use each side's own.
	vars map[string]string
}

func newSide(t *testing.T, name string) *side {
	t.Helper()
	// Fixed Notification Ids: both sides' must match, step by step. The
	// client's emulator asks for a control token, which the client sends on
	// every call (the test receiver and the health check ask for none).
	opts := emulator.Options{Clock: emulator.VirtualClock, VirtualStart: start, FixedNotificationIDs: true}
	if name == "client" {
		opts.ControlToken = conformanceToken
	}
	emu, err := emulator.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	s := &side{name: name, ctl: emu, emu: emu, srv: srv, vars: map[string]string{}}
	if name == "client" {
		s.ctl = control.WithToken(srv.URL, conformanceToken)
	}
	return s
}

// login logs the send user in with the JWT bearer flow at the side's own
// server and returns the token endpoint's status.
func (s *side) login(t *testing.T) int {
	t.Helper()
	key, err := jwtbearer.LoadPrivateKeyFile("../fixtures/keys/server.key")
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{Issuer: consumerKey, Subject: sendUser,
		Audience: "https://login.salesforce.com", Expiry: start.Add(3 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.srv.Client().PostForm(s.srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

// outcome is what one step gave on one side: its value, or its error as a
// *wire.Error carries it.
type outcome struct {
	Value any
	Err   *errorOutcome
}

type errorOutcome struct {
	Status  int
	Code    string
	Message string
	// NotWireError names the type of an error that is not a *wire.Error.
	NotWireError string
}

func outcomeOf(v any, err error) outcome {
	if err == nil {
		return outcome{Value: v}
	}
	var we *wire.Error
	if !errors.As(err, &we) {
		return outcome{Err: &errorOutcome{NotWireError: fmt.Sprintf("%T: %v", err, err)}}
	}
	// The value beside an error is not part of the contract.
	return outcome{Err: &errorOutcome{Status: we.Status, Code: we.Code, Message: we.Message}}
}

// step is one operation, run the same way on both sides.
type step struct {
	name string
	do   func(ctx context.Context, t *testing.T, s *side) (any, error)
	// wantErr, when set, is the status the step must fail with (on both
	// sides); otherwise it must succeed.
	wantErr int
	// wantCode is the Salesforce error code a failing step must carry.
	wantCode string
}

// conformanceOptions ignore what legitimately differs between two
// emulators: random session tokens and wall-clock durations.
var conformanceOptions = cmp.Options{
	cmpopts.IgnoreFields(wire.Session{}, "Token", "TokenPrefix"),
	cmpopts.IgnoreFields(wire.Delivery{}, "Duration"),
	// A receiver's Date header is the wall clock's.
	cmpopts.IgnoreMapEntries(func(k string, _ []string) bool { return k == "Date" }),
}

func ignoreErr(err error) (any, error) { return nil, err }

func ids(n wire.Sent) []string { return n.Notifications }

// conformanceSteps is the sequence both sides run, in order.
func conformanceSteps(receiverBase string) []step {
	fixture := wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: conformanceFixture(receiverBase),
		Files: map[string]string{"server.crt": mustRead("../fixtures/keys/server.crt")}}}}
	return []step{
		{name: "Health", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Health(ctx) }},
		{name: "LoadOrgs with a small fixture", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.LoadOrgs(ctx, fixture)
		}},
		{name: "Orgs", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Orgs(ctx) }},
		{name: "Users", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Users(ctx, orgName) }},
		{name: "Profiles", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Profiles(ctx, orgName) }},
		{name: "Apps", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Apps(ctx) }},
		{name: "OutboundMessages", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.OutboundMessages(ctx) }},

		// Records and queries.
		{name: "CreateRecord", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			rec, err := s.ctl.CreateRecord(ctx, orgName, wire.CreateRecord{Object: "Account",
				Fields: map[string]any{"Name": "Globex", "Industry": "Energy", "NumberOfEmployees": 12.0, "AnnualRevenue": 2.5e6}})
			s.vars["globex"] = rec.ID
			return rec, err
		}},
		{name: "CreateRecord as the send user", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.CreateRecord(ctx, orgName, wire.CreateRecord{Object: "Contact", As: sendUser,
				Fields: map[string]any{"LastName": "Doe", "AccountId": s.vars["globex"]}})
		}},
		{name: "UpdateRecord", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.UpdateRecord(ctx, orgName, s.vars["globex"], wire.UpdateRecord{Fields: map[string]any{"Industry": "Chemicals"}})
		}},
		{name: "UpdateRecord by a 15-character id", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.UpdateRecord(ctx, orgName, s.vars["globex"][:15], wire.UpdateRecord{Fields: map[string]any{"NumberOfEmployees": 13.0}})
		}},
		{name: "Query of scalar fields", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT Id, Name, Industry, AnnualRevenue, NumberOfEmployees, CreatedDate, LastModifiedDate FROM Account ORDER BY Name")
		}},
		{name: "Query of parent fields", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT LastName, Account.Name, Account.AnnualRevenue, CreatedBy.Username FROM Contact ORDER BY LastName")
		}},
		{name: "Query with a child subquery", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT Name, (SELECT LastName FROM Contacts) FROM Account ORDER BY Name")
		}},
		{name: "Query of COUNT()", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT COUNT() FROM Account")
		}},
		{name: "Query of an aggregate", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT Industry, COUNT(Id) n, SUM(AnnualRevenue) total FROM Account GROUP BY Industry ORDER BY Industry")
		}},
		{name: "QueryPage of parent fields", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.QueryPage(ctx, orgName, wire.QueryPage{Query: "SELECT LastName, Account.Name FROM Contact ORDER BY LastName", Offset: 1, Limit: 2})
		}},
		{name: "QueryPage past the last row", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.QueryPage(ctx, orgName, wire.QueryPage{Query: "SELECT Name FROM Account", Offset: 50})
		}},
		{name: "Query of a date literal", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT Name FROM Account WHERE CreatedDate = TODAY ORDER BY Name")
		}},

		// Outbound messages.
		{name: "SendOutbound to the test receiver", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			sent, err := s.ctl.SendOutbound(ctx, "Account_Changed", wire.Send{Org: orgName, Records: []string{s.vars["globex"]}})
			return ids(sent), err
		}},
		{name: "Idle after an acknowledged delivery", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.Idle(ctx))
		}},
		{name: "Queue without history", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, false) }},
		{name: "Queue with history", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, true) }},
		{name: "Deliveries", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Deliveries(ctx) }},
		{name: "SendOutbound where the receiver refuses", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			sent, err := s.ctl.SendOutbound(ctx, "Lead_Refused", wire.Send{Where: "LastName != null"})
			if len(sent.Notifications) == 2 {
				s.vars["refused1"], s.vars["refused2"] = sent.Notifications[0], sent.Notifications[1]
			}
			return ids(sent), err
		}},
		{name: "Idle after a refused delivery", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.Idle(ctx))
		}},
		{name: "Queue of refused notifications", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, false) }},
		{name: "RetryNow", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			if err := s.ctl.RetryNow(ctx, s.vars["refused1"]); err != nil {
				return nil, err
			}
			return ignoreErr(s.ctl.Idle(ctx))
		}},
		{name: "Queue after RetryNow", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, false) }},
		{name: "DeleteQueued", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.DeleteQueued(ctx, s.vars["refused2"]))
		}},
		{name: "Queue with history after DeleteQueued", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, true) }},
		{name: "OutboundWSDL", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			b, err := s.ctl.OutboundWSDL(ctx, "Account_Changed", orgName)
			return string(b), err
		}},
		{name: "ClientCertificate", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			// Each emulator makes its own key: compare what it is, not its bytes.
			b, err := s.ctl.ClientCertificate(ctx)
			if block, _ := pem.Decode(b); block != nil {
				return block.Type, err
			}
			return fmt.Sprintf("not PEM: %q", b), err
		}},

		{name: "TLSCA when TLS is off", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			b, err := s.ctl.TLSCA(ctx)
			return string(b), err
		}},

		// API faults.
		{name: "AddFault", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.AddFault(ctx, wire.Fault{Org: orgName, Method: "GET", Path: "/query", ErrorCode: "REQUEST_LIMIT_EXCEEDED", Times: 1})
		}},
		{name: "AddFault with a latency", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.AddFault(ctx, wire.Fault{Surface: "oauth", Latency: wire.Duration(time.Millisecond)})
		}},
		{name: "Faults", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Faults(ctx) }},
		{name: "ClearFaults of one", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			if err := s.ctl.ClearFaults(ctx, 1); err != nil {
				return nil, err
			}
			return s.ctl.Faults(ctx)
		}},
		{name: "ClearFaults of all", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			if err := s.ctl.ClearFaults(ctx, 0); err != nil {
				return nil, err
			}
			return s.ctl.Faults(ctx)
		}},

		// Outbound faults.
		{name: "SetOutboundFaults", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.SetOutboundFaults(ctx, wire.OutboundFaults{Seed: 42, Message: "Account_Changed", DuplicateProbability: 1,
				DuplicateAfter: wire.Duration(30 * time.Second), ReorderProbability: 0.25, ReorderHold: wire.Duration(2 * time.Second)})
		}},
		{name: "OutboundFaults", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.OutboundFaults(ctx) }},
		{name: "SendOutbound with a duplicate fault", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			sent, err := s.ctl.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name = 'Edge Communications'"})
			if err != nil {
				return nil, err
			}
			if err := s.ctl.Idle(ctx); err != nil {
				return nil, err
			}
			return ids(sent), nil
		}},
		{name: "SetOutboundFaults to the zero value clears them", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			if _, err := s.ctl.SetOutboundFaults(ctx, wire.OutboundFaults{}); err != nil {
				return nil, err
			}
			return s.ctl.OutboundFaults(ctx)
		}},

		// Sessions, journals, client IP.
		{name: "Sessions after a JWT login", do: func(ctx context.Context, t *testing.T, s *side) (any, error) {
			if status := s.login(t); status != http.StatusOK {
				t.Errorf("%s: JWT login answered %d", s.name, status)
			}
			return s.ctl.Sessions(ctx)
		}},
		{name: "TokenRequests", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.TokenRequests(ctx) }},
		{name: "APIRequests", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.APIRequests(ctx) }},
		{name: "APIRequest of the first", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.APIRequest(ctx, 1) }},
		{name: "LoginHistory", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.LoginHistory(ctx, orgName) }},
		{name: "ExpireSessions of another user", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.ExpireSessions(ctx, "admin@acme.example")
		}},
		{name: "ExpireSessions of the send user", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.ExpireSessions(ctx, sendUser)
		}},
		{name: "ExpireSessions of everyone", do: func(ctx context.Context, t *testing.T, s *side) (any, error) {
			s.login(t)
			return s.ctl.ExpireSessions(ctx, "")
		}},
		{name: "Sessions after ExpireSessions", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Sessions(ctx) }},
		{name: "SetClientIP", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			if err := s.ctl.SetClientIP(ctx, orgName, "54.249.48.100"); err != nil {
				return nil, err
			}
			return s.ctl.Orgs(ctx)
		}},
		{name: "SetClientIP to empty clears it", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			if err := s.ctl.SetClientIP(ctx, orgName, ""); err != nil {
				return nil, err
			}
			return s.ctl.Orgs(ctx)
		}},

		// Time.
		{name: "Clock", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Clock(ctx) }},
		{name: "Advance by an hour runs the retries that fall due", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Advance(ctx, wire.Advance{By: wire.Duration(time.Hour)})
		}},
		{name: "Queue after Advance", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, true) }},
		{name: "Deliveries after Advance", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Deliveries(ctx) }},
		{name: "Advance to a time", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Advance(ctx, wire.Advance{To: time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)})
		}},
		{name: "Clock after Advance", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Clock(ctx) }},

		// Errors come back alike.
		{name: "Users of an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Users(ctx, "Nowhere")
		}},
		{name: "LoginHistory of an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.LoginHistory(ctx, "Nowhere")
		}},
		{name: "Profiles of an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Profiles(ctx, "Nowhere")
		}},
		{name: "QueryPage with a negative offset", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.QueryPage(ctx, orgName, wire.QueryPage{Query: "SELECT Id FROM Account", Offset: -1})
		}},
		{name: "QueryPage of an empty query", wantErr: 400, wantCode: "MALFORMED_QUERY", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.QueryPage(ctx, orgName, wire.QueryPage{})
		}},
		{name: "APIRequest never made", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.APIRequest(ctx, 1e6)
		}},
		{name: "Query of an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, "Nowhere", "SELECT Id FROM Account")
		}},
		{name: "CreateRecord missing a required field", wantErr: 400, wantCode: "REQUIRED_FIELD_MISSING", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.CreateRecord(ctx, orgName, wire.CreateRecord{Object: "Account", Fields: map[string]any{"Industry": "Energy"}})
		}},
		{name: "UpdateRecord blanking a required field", wantErr: 400, wantCode: "REQUIRED_FIELD_MISSING", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.UpdateRecord(ctx, orgName, s.vars["globex"], wire.UpdateRecord{Fields: map[string]any{"Name": nil}})
		}},
		{name: "UpdateRecord of a malformed id", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.UpdateRecord(ctx, orgName, "nope", wire.UpdateRecord{Fields: map[string]any{"Name": "x"}})
		}},
		{name: "CreateRecord as an unknown user", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.CreateRecord(ctx, orgName, wire.CreateRecord{Object: "Account", As: "ghost@acme.example", Fields: map[string]any{"Name": "x"}})
		}},
		{name: "Query with an unknown field", wantErr: 400, wantCode: "INVALID_FIELD", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT Nope__c FROM Account")
		}},
		{name: "Query that is not SOQL", wantErr: 400, wantCode: "MALFORMED_QUERY", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELEKT Id FROM Account")
		}},
		{name: "SendOutbound of an unknown message", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.SendOutbound(ctx, "No_Such", wire.Send{Where: "Name != null"})
		}},
		{name: "SendOutbound with a bad where", wantErr: 400, wantCode: "INVALID_FIELD", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Nope__c = 1"})
		}},
		{name: "RetryNow of a delivered notification", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.RetryNow(ctx, s.vars["refused2"]))
		}},
		{name: "DeleteQueued of a malformed id", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.DeleteQueued(ctx, "04l-nope"))
		}},
		{name: "AddFault with no effect", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.AddFault(ctx, wire.Fault{Path: "/query"})
		}},
		{name: "AddFault for an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.AddFault(ctx, wire.Fault{Org: "Nowhere", Status: 500})
		}},
		{name: "ClearFaults of a fault that is not there", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.ClearFaults(ctx, 99))
		}},
		{name: "SetOutboundFaults with a probability over 1", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.SetOutboundFaults(ctx, wire.OutboundFaults{DelayProbability: 1.5})
		}},
		{name: "SetOutboundFaults with a negative duration", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.SetOutboundFaults(ctx, wire.OutboundFaults{ReorderHold: wire.Duration(-time.Second)})
		}},
		{name: "SetClientIP with a bad IP", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.SetClientIP(ctx, orgName, "54.249.48"))
		}},
		{name: "SetClientIP of an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return ignoreErr(s.ctl.SetClientIP(ctx, "Nowhere", "10.0.0.1"))
		}},
		{name: "Advance by and to", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Advance(ctx, wire.Advance{By: wire.Duration(time.Hour), To: start.Add(48 * time.Hour)})
		}},
		{name: "Advance by nothing", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Advance(ctx, wire.Advance{})
		}},
		{name: "Advance backwards", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Advance(ctx, wire.Advance{By: wire.Duration(-time.Hour)})
		}},
		{name: "Advance to the past", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Advance(ctx, wire.Advance{To: start})
		}},
		{name: "OutboundWSDL of an unknown org", wantErr: 404, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			b, err := s.ctl.OutboundWSDL(ctx, "Account_Changed", "Nowhere")
			return string(b), err
		}},
		{name: "LoadOrgs with no fixtures", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.LoadOrgs(ctx, wire.LoadOrgs{})
		}},
		{name: "LoadOrgs with a fixture that does not load", wantErr: 400, do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.LoadOrgs(ctx, wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "broken.yaml", YAML: "org: {name: [\n"}}})
		}},

		// Reset.
		{name: "Reset", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Reset(ctx) }},
		{name: "Orgs after Reset are the loaded fixture's", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Orgs(ctx) }},
		{name: "Query after Reset has the fixture's records only", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) {
			return s.ctl.Query(ctx, orgName, "SELECT Name FROM Account ORDER BY Name")
		}},
		{name: "Queue after Reset is empty", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Queue(ctx, true) }},
		{name: "Sessions after Reset", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Sessions(ctx) }},
		{name: "Clock after Reset keeps its time", do: func(ctx context.Context, _ *testing.T, s *side) (any, error) { return s.ctl.Clock(ctx) }},
	}
}

// TestClientConformsToTheEmulator runs one sequence of operations on an
// emulator in-process and, through the control client, on an identical
// emulator over HTTP: every answer and every error must be the same.
func TestClientConformsToTheEmulator(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	direct, remote := newSide(t, "emulator"), newSide(t, "client")
	// Both fixtures name the same receiver, so every answer can match.
	steps := conformanceSteps(remote.srv.URL)
	for i, st := range steps {
		want := outcomeOf(st.do(ctx, t, direct))
		got := outcomeOf(st.do(ctx, t, remote))
		if diff := cmp.Diff(want, got, conformanceOptions); diff != "" {
			t.Errorf("step %d %q: the client disagrees with the emulator (-emulator +client):\n%s", i, st.name, diff)
		}
		switch {
		case st.wantErr == 0 && want.Err != nil:
			t.Errorf("step %d %q failed: %+v", i, st.name, *want.Err)
		case st.wantErr != 0 && (want.Err == nil || want.Err.Status != st.wantErr):
			t.Errorf("step %d %q: %+v, want an error with status %d", i, st.name, want, st.wantErr)
		case st.wantCode != "" && want.Err.Code != st.wantCode:
			t.Errorf("step %d %q: code %q, want %q", i, st.name, want.Err.Code, st.wantCode)
		}
	}
	// Spot checks that the sequence did what it says, so agreement is not
	// agreement on nothing.
	checkSequence(ctx, t, direct)
}

// checkSequence checks, on the emulator side, facts the sequence above
// should have produced.
func checkSequence(ctx context.Context, t *testing.T, s *side) {
	t.Helper()
	clock, _ := s.ctl.Clock(ctx)
	if want := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC); !clock.Now.Equal(want) {
		t.Errorf("clock at the end = %v, want %v", clock.Now, want)
	}
	orgs, _ := s.ctl.Orgs(ctx)
	if len(orgs) != 1 || orgs[0].Name != orgName {
		t.Errorf("orgs after Reset = %+v, want the loaded fixture's", orgs)
	}
}

// TestGoNumbersInRecordFieldsWorkOnBothSides: wire.CreateRecord.Fields is
// a map[string]any, so Go callers write ints; both sides must take them.
func TestGoNumbersInRecordFieldsWorkOnBothSides(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct, remote := newSide(t, "emulator"), newSide(t, "client")
	for _, s := range []*side{direct, remote} {
		rec, err := s.ctl.CreateRecord(ctx, "Default", wire.CreateRecord{Object: "Account", Fields: map[string]any{"Name": "Initech", "NumberOfEmployees": 12}})
		if err != nil {
			t.Errorf("%s: CreateRecord with NumberOfEmployees int 12: %v", s.name, err)
			continue
		}
		if _, err := s.ctl.UpdateRecord(ctx, "Default", rec.ID, wire.UpdateRecord{Fields: map[string]any{"NumberOfEmployees": int64(14), "AnnualRevenue": 5}}); err != nil {
			t.Errorf("%s: UpdateRecord with int64 and int values: %v", s.name, err)
		}
		rows, err := s.ctl.Query(ctx, "Default", "SELECT NumberOfEmployees, AnnualRevenue FROM Account WHERE Name = 'Initech'")
		if want := []map[string]any{{"NumberOfEmployees": 14.0, "AnnualRevenue": 5.0}}; err != nil || !cmp.Equal(rows.Rows, want) {
			t.Errorf("%s: after the update: %+v %v, want %v", s.name, rows.Rows, err, want)
		}
	}
}

// TestErrorsAreWireErrorsOnBothSides: a caller that branches on
// *wire.Error sees the same Status and Code whichever side it drives.
func TestErrorsAreWireErrorsOnBothSides(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	direct, remote := newSide(t, "emulator"), newSide(t, "client")
	cases := []struct {
		name   string
		status int
		code   string
		do     func(c wire.Control) error
	}{
		{"unknown org", 404, "", func(c wire.Control) error { _, err := c.Users(ctx, "Nowhere"); return err }},
		{"DML error", 400, "REQUIRED_FIELD_MISSING", func(c wire.Control) error {
			_, err := c.CreateRecord(ctx, "Default", wire.CreateRecord{Object: "Contact", Fields: map[string]any{"FirstName": "No Last Name"}})
			return err
		}},
		{"SOQL error", 400, "MALFORMED_QUERY", func(c wire.Control) error { _, err := c.Query(ctx, "Default", "SELECT FROM"); return err }},
		{"unknown outbound message", 404, "", func(c wire.Control) error {
			_, err := c.OutboundWSDL(ctx, "No_Such", "")
			return err
		}},
		{"unknown fault", 404, "", func(c wire.Control) error { return c.ClearFaults(ctx, 7) }},
	}
	for _, tc := range cases {
		for _, s := range []*side{direct, remote} {
			err := tc.do(s.ctl)
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Errorf("%s on the %s: %T %v, want a *wire.Error", tc.name, s.name, err, err)
				continue
			}
			if we.Status != tc.status || we.Code != tc.code || wire.StatusOf(err) != tc.status {
				t.Errorf("%s on the %s: status %d code %q, want %d %q", tc.name, s.name, we.Status, we.Code, tc.status, tc.code)
			}
			if tc.code != "" && !strings.HasPrefix(we.Error(), tc.code) {
				t.Errorf("%s on the %s: Error() = %q should start with the code", tc.name, s.name, we.Error())
			}
		}
	}
}

// TestOddArgumentsFailAlikeOnBothSides: arguments a caller should not
// pass (empty ids and names, a SOQL query of nothing) are refused with the
// same Status and Code by the emulator and by the client.
func TestOddArgumentsFailAlikeOnBothSides(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		do   func(ctx context.Context, c wire.Control) error
	}{
		{name: "Users of an empty org name", do: func(ctx context.Context, c wire.Control) error { _, err := c.Users(ctx, ""); return err }},
		{name: "SetClientIP of an empty org name", do: func(ctx context.Context, c wire.Control) error { return c.SetClientIP(ctx, "", "") }},
		{name: "SendOutbound of an empty message name", do: func(ctx context.Context, c wire.Control) error {
			_, err := c.SendOutbound(ctx, "", wire.Send{Where: "Name != null"})
			return err
		}},
		{name: "OutboundWSDL of an empty message name", do: func(ctx context.Context, c wire.Control) error {
			_, err := c.OutboundWSDL(ctx, "", "")
			return err
		}},
		{name: "ClearFaults of a negative id", do: func(ctx context.Context, c wire.Control) error { return c.ClearFaults(ctx, -1) }},
		{name: "UpdateRecord of an empty id", do: func(ctx context.Context, c wire.Control) error {
			_, err := c.UpdateRecord(ctx, "Default", "", wire.UpdateRecord{Fields: map[string]any{"Name": "x"}})
			return err
		}},
		{name: "RetryNow of an empty id", do: func(ctx context.Context, c wire.Control) error { return c.RetryNow(ctx, "") }},
		{name: "DeleteQueued of an id with a slash", do: func(ctx context.Context, c wire.Control) error {
			return c.DeleteQueued(ctx, "04l/1")
		}},
		{name: "Query of an empty SOQL string",
			do: func(ctx context.Context, c wire.Control) error { _, err := c.Query(ctx, "Default", ""); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			direct, remote := newSide(t, "emulator"), newSide(t, "client")
			want, got := outcomeOf(nil, tc.do(ctx, direct.ctl)), outcomeOf(nil, tc.do(ctx, remote.ctl))
			if want.Err == nil || got.Err == nil {
				t.Fatalf("emulator %+v, client %+v: want both to fail", want.Err, got.Err)
			}
			if want.Err.Status != got.Err.Status || want.Err.Code != got.Err.Code {
				t.Errorf("emulator %d %q (%s), client %d %q (%s)", want.Err.Status, want.Err.Code, want.Err.Message,
					got.Err.Status, got.Err.Code, got.Err.Message)
			}
		})
	}
}

// TestDMLErrorTextNamesTheCodeOnce: Error() of a DML failure reads
// "CODE: message", as it does for a SOQL failure.
func TestDMLErrorTextNamesTheCodeOnce(t *testing.T) {
	t.Parallel()
	s := newSide(t, "emulator")
	_, err := s.ctl.CreateRecord(context.Background(), "Default", wire.CreateRecord{Object: "Account", Fields: map[string]any{}})
	if err == nil || strings.Count(err.Error(), "REQUIRED_FIELD_MISSING") != 1 {
		t.Errorf("Error() = %q, want the code once", err)
	}
}

// TestClientSpeaksTheWireJSON: what the client sends decodes on the
// server into the same wire values (durations as strings included), by
// recording the bodies a stand-in server receives.
func TestClientSpeaksTheWireJSON(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&v)
		mu.Lock()
		bodies = append(bodies, r.Method+" "+r.URL.RequestURI()+" "+string(v))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := control.New(srv.URL)
	ctx := context.Background()
	_, _ = c.SetOutboundFaults(ctx, wire.OutboundFaults{Seed: 1, DuplicateProbability: 1, DuplicateAfter: wire.Duration(30 * time.Second)})
	_, _ = c.SetOutboundFaults(ctx, wire.OutboundFaults{})
	_, _ = c.Advance(ctx, wire.Advance{By: wire.Duration(90 * time.Minute)})
	_, _ = c.AddFault(ctx, wire.Fault{Latency: wire.Duration(250 * time.Millisecond)})
	_, _ = c.ExpireSessions(ctx, "")
	_ = c.SetClientIP(ctx, orgName, "10.0.0.1")
	_ = c.SetClientIP(ctx, orgName, "")
	_, _ = c.Query(ctx, orgName, "SELECT Id FROM Account WHERE Name = 'A&B'")
	_ = c.ClearFaults(ctx, 3)
	_, _ = c.Queue(ctx, true)
	_, _ = c.OutboundWSDL(ctx, "M", orgName)
	want := []string{
		`PUT /_sfemu/outbound/faults {"seed":1,"duplicate_probability":1,"duplicate_after":"30s"}`,
		`DELETE /_sfemu/outbound/faults `,
		`POST /_sfemu/clock/advance {"by":"1h30m0s"}`,
		`POST /_sfemu/faults {"id":0,"latency":"250ms","hits":0}`,
		`POST /_sfemu/sessions/expire {}`,
		`PUT /_sfemu/orgs/Acme%20Corp/client-ip {"ip":"10.0.0.1"}`,
		`DELETE /_sfemu/orgs/Acme%20Corp/client-ip `,
		`GET /_sfemu/orgs/Acme%20Corp/query?q=SELECT+Id+FROM+Account+WHERE+Name+%3D+%27A%26B%27 `,
		`DELETE /_sfemu/faults/3 `,
		`GET /_sfemu/outbound/queue?all=true&limit=10000 `, // the client pages, MaxPageLimit at a time
		`GET /_sfemu/outbound/M/wsdl?org=Acme+Corp `,
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("requests the client sent (-want +got):\n%s", diff)
	}
}

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}
