package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
)

// quietFixture is the Outbound Messaging chapter's cure for circular
// updates (SOAP API Developer Guide, "Setting Up User Profiles"): the send user's
// profile has "Disable Outbound Messages"; the admin's has not.
const quietFixture = `
org: {name: Acme}
profiles: [{name: Integration, disable_outbound_messages: true}]
users:
  - {username: sender@acme.example, profile: Integration}
  - {username: admin@acme.example, profile: System Administrator}
records:
  Account: [{Name: Edge Communications}]
outbound_messages:
  - name: Account_Saved
    object: Account
    endpoint_url: http://127.0.0.1:1024/outbound   # nothing listens: notifications stay queued
    user_to_send_as: sender@acme.example
    rules: [{name: Any_Save, when: created_or_edited}, {name: Account_Flow, kind: flow, when: created_or_edited}]
`

// queued counts the notifications ever queued.
func queued(t *testing.T, srv *httptest.Server) int {
	t.Helper()
	_, body := doJSON(t, "GET", srv.URL+"/_sfemu/outbound/queue?all=true", "", "")
	var q []any
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		t.Fatalf("queue: %s", body)
	}
	return len(q)
}

func soapCall(t *testing.T, url, token, call string) string {
	t.Helper()
	return soapCallWith(t, url, token, "", call)
}

// soapCallWith is soapCall with more SOAP headers (Partner's urn: prefix).
func soapCallWith(t *testing.T, url, token, headers, call string) string {
	t.Helper()
	env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com">` +
		`<soapenv:Header><urn:SessionHeader><urn:sessionId>` + token + `</urn:sessionId></urn:SessionHeader>` + headers + `</soapenv:Header>` +
		`<soapenv:Body>` + call + `</soapenv:Body></soapenv:Envelope>`
	req, _ := http.NewRequest("POST", url, strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// saveOps change the Account (id) once each, as a client of one API does.
var saveOps = []struct {
	name string
	save func(t *testing.T, srv *httptest.Server, token, id string)
}{
	{"REST sObject PATCH", func(t *testing.T, srv *httptest.Server, token, id string) {
		if code, body := doJSON(t, "PATCH", srv.URL+"/services/data/v60.0/sobjects/Account/"+id, token, `{"Site":"HQ"}`); code != 204 {
			t.Fatalf("%d %s", code, body)
		}
	}},
	{"REST sObject create", func(t *testing.T, srv *httptest.Server, token, _ string) {
		if code, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Account", token, `{"Name":"New"}`); code != 201 {
			t.Fatalf("%d %s", code, body)
		}
	}},
	{"REST composite", func(t *testing.T, srv *httptest.Server, token, id string) {
		body := `{"compositeRequest":[{"method":"PATCH","url":"/services/data/v60.0/sobjects/Account/` + id + `","referenceId":"a","body":{"Site":"HQ"}}]}`
		if code, resp := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite", token, body); code != 200 || !strings.Contains(resp, `"httpStatusCode":204`) {
			t.Fatalf("%d %s", code, resp)
		}
	}},
	{"REST sObject collections", func(t *testing.T, srv *httptest.Server, token, id string) {
		body := `{"records":[{"attributes":{"type":"Account"},"id":"` + id + `","Site":"HQ"}]}`
		if code, resp := doJSON(t, "PATCH", srv.URL+"/services/data/v60.0/composite/sobjects", token, body); code != 200 || !strings.Contains(resp, `"success":true`) {
			t.Fatalf("%d %s", code, resp)
		}
	}},
	{"SOAP update", func(t *testing.T, srv *httptest.Server, token, id string) {
		resp := soapCall(t, srv.URL+"/services/Soap/u/60.0", token, `<urn:update><urn:sObjects><sf:type>Account</sf:type><sf:Id>`+id+`</sf:Id><sf:Site>HQ</sf:Site></urn:sObjects></urn:update>`)
		if !strings.Contains(resp, "<success>true</success>") {
			t.Fatal(resp)
		}
	}},
	{"Bulk API 2.0 update", func(t *testing.T, srv *httptest.Server, token, id string) {
		base := srv.URL + "/services/data/v60.0/jobs/ingest"
		code, body := doJSON(t, "POST", base, token, `{"object":"Account","operation":"update"}`)
		var job struct{ ID string }
		if json.Unmarshal([]byte(body), &job); code != 200 || job.ID == "" {
			t.Fatalf("create job: %d %s", code, body)
		}
		req, _ := http.NewRequest("PUT", base+"/"+job.ID+"/batches", strings.NewReader("Id,Site\n"+id+",HQ\n"))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "text/csv")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
			t.Fatalf("upload: %v %v", resp, err)
		}
		if code, body := doJSON(t, "PATCH", base+"/"+job.ID, token, `{"state":"UploadComplete"}`); code != 200 {
			t.Fatalf("close: %d %s", code, body)
		}
		doJSON(t, "POST", srv.URL+"/_sfemu/clock/advance", "", `{"by":"1s"}`)
		if _, body := doJSON(t, "GET", base+"/"+job.ID, token, ""); !strings.Contains(body, `"JobComplete"`) {
			t.Fatalf("job: %s", body)
		}
	}},
}

// TestDisableOutboundMessagesOnEverySurface: a save through any API fires
// the message unless the saving user has "Disable Outbound Messages".
func TestDisableOutboundMessagesOnEverySurface(t *testing.T) {
	for _, op := range saveOps {
		for _, who := range []struct {
			user  string
			fires int
		}{
			{"sender@acme.example", 0},
			{"admin@acme.example", 1},
		} {
			t.Run(op.name+" as "+who.user, func(t *testing.T) {
				emu, srv := startOutboundFixture(t, quietFixture)
				store := emu.Store()
				token := store.Sessions.Open(store.User(who.user), nil, time.Hour, false).Token
				o := store.Orgs()[0]
				var id string
				o.Data.Scan(o.Schema.Object("Account"), false, func(r *org.Record) bool { id = string(r.ID); return false })
				op.save(t, srv, token, id)
				if got := queued(t, srv); got != who.fires {
					t.Errorf("%d notifications queued, want %d", got, who.fires)
				}
			})
		}
	}
}

// TestControlAPIListsRulesWithTheirActiveState: GET /outbound/messages
// shows each rule and flow of a definition, inactive ones too.
func TestControlAPIListsRulesWithTheirActiveState(t *testing.T) {
	_, srv := startOutboundFixture(t, strings.Replace(quietFixture, "kind: flow, when: created_or_edited}", "kind: flow, when: created, active: false}", 1))
	code, body := doJSON(t, "GET", srv.URL+"/_sfemu/outbound/messages", "", "")
	var msgs []struct {
		Rule  string
		Rules []struct {
			Name, Kind, When string
			Active           bool
		}
	}
	if err := json.Unmarshal([]byte(body), &msgs); code != 200 || err != nil || len(msgs) != 1 {
		t.Fatalf("%d %s", code, body)
	}
	m := msgs[0]
	if len(m.Rules) != 2 || m.Rules[0].Name != "Any_Save" || m.Rules[0].Kind != "workflow_rule" || !m.Rules[0].Active ||
		m.Rules[1].Name != "Account_Flow" || m.Rules[1].Kind != "flow" || m.Rules[1].When != "created" || m.Rules[1].Active {
		t.Errorf("rules = %+v", m.Rules)
	}
	if want := `workflow rule "Any_Save": created_or_edited; flow "Account_Flow": created (inactive)`; m.Rule != want {
		t.Errorf("rule = %q, want %q", m.Rule, want)
	}
}

// startDefaultWith serves the default org fixture with edits (old → new
// text) on the virtual clock.
func startDefaultWith(t *testing.T, edits ...string) *httptest.Server {
	t.Helper()
	src, err := org.FileSource("../fixtures/orgs/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src.Data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(text, edits[i]) {
			t.Fatalf("the default fixture lacks %q", edits[i])
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	src.Data = []byte(text)
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{src}, Clock: emulator.VirtualClock, VirtualStart: virtualStart})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	return srv
}

// TestAPIAccess: an org whose edition has no API, or a send user without
// API Enabled, still gets its token; its API calls are refused.
func TestAPIAccess(t *testing.T) {
	const (
		restText  = `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]`
		orgFault  = `<faultcode>sf:API_DISABLED_FOR_ORG</faultcode><faultstring>API_DISABLED_FOR_ORG: API is not enabled for this Organization or Partner</faultstring>`
		userFault = `<faultcode>sf:API_CURRENTLY_DISABLED</faultcode><faultstring>API_CURRENTLY_DISABLED: API is disabled for this User</faultstring>`
	)
	edition := func(e string) []string {
		return []string{"  type: production\n", "  type: production\n  edition: " + e + "\n"}
	}
	for _, tt := range []struct {
		name      string
		edits     []string
		rest      string // the REST query's answer: "" for 200
		soapFault string // the SOAP query's fault: "" for none
	}{
		{"the default org: Enterprise Edition, API Enabled", nil, "", ""},
		{"Professional Edition has no API", edition("professional"), restText, orgFault},
		{"Professional Edition with the API add-on", append(edition("professional"), "  outbound_session_id: removed\n", "  outbound_session_id: removed\n  api_access: true\n"), "", ""},
		{"Group Edition has no API", edition("group"), restText, orgFault},
		{"Essentials has no API", edition("essentials"), restText, orgFault},
		{"Developer Edition has the API", edition("developer"), "", ""},
		{"api_access: false switches an Enterprise org's API off", []string{"  outbound_session_id: removed\n", "  outbound_session_id: removed\n  api_access: false\n"}, restText, orgFault},
		{"a send user whose profile is not API Enabled", []string{"    session_timeout: 2h\n", "    session_timeout: 2h\n    api_enabled: false\n"}, restText, userFault},
		{"API Enabled from the send user's permission set", []string{"    session_timeout: 2h\n", "    session_timeout: 2h\n    api_enabled: false\n",
			"  - name: SendUserPS\n", "  - name: SendUserPS\n    user_permissions: [ApiEnabled]\n"}, "", ""},
		{"the texts are settings", append(edition("professional"), "permission_sets:", "settings: {api_disabled_rest_text: Nope., api_disabled_soap_org_text: No API here}\npermission_sets:"),
			`[{"message":"Nope.","errorCode":"API_DISABLED_FOR_ORG"}]`, `<faultstring>API_DISABLED_FOR_ORG: No API here</faultstring>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startDefaultWith(t, tt.edits...)
			status, tok := defaultLogin(t, srv.URL, virtualStart.Add(3*time.Minute))
			if status != 200 {
				t.Fatalf("token: %d %v; the token is issued whatever the API access", status, tok)
			}
			token := tok["access_token"]
			code, body := doJSON(t, "GET", srv.URL+"/services/data/v60.0/query?q=SELECT+Id+FROM+Account", token, "")
			switch {
			case tt.rest == "" && code != 200:
				t.Errorf("REST query: %d %s", code, body)
			case tt.rest != "" && (code != 403 || body != tt.rest):
				t.Errorf("REST query: %d %s, want 403 %s", code, body, tt.rest)
			}
			code, body = doJSON(t, "POST", srv.URL+"/services/data/v60.0/jobs/ingest", token, `{"object":"Account","operation":"insert"}`)
			if (tt.rest == "") != (code == 200) || (tt.rest != "" && (code != 403 || !strings.Contains(body, "API_DISABLED_FOR_ORG"))) {
				t.Errorf("Bulk job: %d %s", code, body)
			}
			if code, body := doJSON(t, "GET", srv.URL+"/services/data/", "", ""); code != 200 {
				t.Errorf("the version list needs no API access: %d %s", code, body)
			}
			resp := soapCall(t, srv.URL+"/services/Soap/u/60.0", token, `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`)
			switch {
			case tt.soapFault == "" && !strings.Contains(resp, "<queryResponse>"):
				t.Errorf("SOAP query: %s", resp)
			case tt.soapFault != "" && !strings.Contains(resp, tt.soapFault):
				t.Errorf("SOAP query: %s\nwant %s", resp, tt.soapFault)
			}
		})
	}
}

// TestSOAPLoginWithoutAPIEnabled: login() answers a user without API
// Enabled unless settings.soap_login_checks_api says it refuses.
func TestSOAPLoginWithoutAPIEnabled(t *testing.T) {
	noAPI := []string{"    session_timeout: 2h\n", "    session_timeout: 2h\n    api_enabled: false\n",
		"    permission_sets: [SendUserPS]\n", "    permission_sets: [SendUserPS]\n    password: Send-Pass1\n"}
	for _, tt := range []struct {
		name  string
		edits []string
		want  string
	}{
		{"login() succeeds by default; the calls after it fail", noAPI, "<loginResponse>"},
		{"soap_login_checks_api refuses the login", append(noAPI, "permission_sets:", "settings: {soap_login_checks_api: true}\npermission_sets:"),
			"<faultcode>sf:API_CURRENTLY_DISABLED</faultcode>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startDefaultWith(t, tt.edits...)
			resp := soapCall(t, srv.URL+"/services/Soap/u/60.0", "", `<urn:login><urn:username>sender@sfemu.example</urn:username><urn:password>Send-Pass1</urn:password></urn:login>`)
			if !strings.Contains(resp, tt.want) {
				t.Errorf("login: %s\nwant %s", resp, tt.want)
			}
		})
	}
}

const assignFixture = `
org: {name: Acme}
users:
  - {username: sender@acme.example, profile: System Administrator}
  - {username: tokyo@acme.example, profile: Standard User}
  - {username: queue@acme.example, profile: Standard User}
lead_assignment_rules:
  - {name: Standard, entries: [{criteria: "Country = 'Japan'", assign_to: tokyo@acme.example}]}
  - {name: Everyone_To_Queue, id: 01Qxx0000000099, active: false, entries: [{assign_to: queue@acme.example}]}
outbound_messages:
  - name: Tokyo_Leads
    object: Lead
    endpoint_url: http://127.0.0.1:1024/outbound
    user_to_send_as: sender@acme.example
    rule: {when: created, condition: "Owner.Username = 'tokyo@acme.example'"}
`

// TestLeadAssignmentOnCreate: a Lead created through the API gets the
// owner the assignment rule its request asks for, before workflow rules
// judge it.
func TestLeadAssignmentOnCreate(t *testing.T) {
	const japan = `{"LastName":"Sato","Company":"Sato KK","Country":"Japan"}`
	restCreate := func(header string) func(t *testing.T, srv *httptest.Server, token string) string {
		return func(t *testing.T, srv *httptest.Server, token string) string {
			req, _ := http.NewRequest("POST", srv.URL+"/services/data/v60.0/sobjects/Lead", strings.NewReader(japan))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			if header != "" {
				req.Header.Set("Sforce-Auto-Assign", header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct{ ID string }
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 201 {
				t.Fatalf("create: %d %v", resp.StatusCode, err)
			}
			return out.ID
		}
	}
	composite := func(outer string, sub string) func(t *testing.T, srv *httptest.Server, token string) string {
		return func(t *testing.T, srv *httptest.Server, token string) string {
			body := `{"compositeRequest":[{"method":"POST","url":"/services/data/v60.0/sobjects/Lead","referenceId":"l","body":` + japan + sub + `}]}`
			req, _ := http.NewRequest("POST", srv.URL+"/services/data/v60.0/composite", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			if outer != "" {
				req.Header.Set("Sforce-Auto-Assign", outer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out struct {
				CompositeResponse []struct {
					Body struct{ ID string }
				}
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.CompositeResponse) != 1 || out.CompositeResponse[0].Body.ID == "" {
				t.Fatalf("composite: %d %v %+v", resp.StatusCode, err, out)
			}
			return out.CompositeResponse[0].Body.ID
		}
	}
	soapCreate := func(header string) func(t *testing.T, srv *httptest.Server, token string) string {
		return func(t *testing.T, srv *httptest.Server, token string) string {
			env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com">` +
				`<soapenv:Header><urn:SessionHeader><urn:sessionId>` + token + `</urn:sessionId></urn:SessionHeader>` + header + `</soapenv:Header>` +
				`<soapenv:Body><urn:create><urn:sObjects><sf:type>Lead</sf:type><sf:LastName>Sato</sf:LastName><sf:Company>Sato KK</sf:Company><sf:Country>Japan</sf:Country></urn:sObjects></urn:create></soapenv:Body></soapenv:Envelope>`
			req, _ := http.NewRequest("POST", srv.URL+"/services/Soap/u/60.0", strings.NewReader(env))
			req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
			req.Header.Set("SOAPAction", `""`)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			text := string(b)
			i := strings.Index(text, "<id>")
			if i < 0 {
				return text // a fault: the row names what it must say
			}
			return text[i+4 : i+4+18]
		}
	}
	for _, tt := range []struct {
		name   string
		create func(t *testing.T, srv *httptest.Server, token string) string
		owner  string // the Lead's owner; or, for a SOAP fault, text it contains
		fires  int
	}{
		{"REST without the header runs the active rule", restCreate(""), "tokyo@acme.example", 1},
		{"REST Sforce-Auto-Assign: FALSE runs none: the creator owns it", restCreate("FALSE"), "sender@acme.example", 0},
		{"REST Sforce-Auto-Assign: true, in any case", restCreate("true"), "tokyo@acme.example", 1},
		{"REST Sforce-Auto-Assign: an AssignmentRule id runs that rule, inactive or not", restCreate("01Qxx0000000099"), "queue@acme.example", 0},
		{"REST Sforce-Auto-Assign: anything else runs none", restCreate("maybe"), "sender@acme.example", 0},
		{"a composite sub-request runs the active rule", composite("", ""), "tokyo@acme.example", 1},
		{"a composite request's FALSE holds for its sub-requests", composite("FALSE", ""), "sender@acme.example", 0},
		{"a sub-request's own header wins", composite("FALSE", `,"httpHeaders":{"Sforce-Auto-Assign":"TRUE"}`), "tokyo@acme.example", 1},
		{"SOAP create without AssignmentRuleHeader runs none", soapCreate(""), "sender@acme.example", 0},
		{"SOAP AssignmentRuleHeader useDefaultRule runs the active rule", soapCreate(`<urn:AssignmentRuleHeader><urn:useDefaultRule>true</urn:useDefaultRule></urn:AssignmentRuleHeader>`), "tokyo@acme.example", 1},
		{"SOAP AssignmentRuleHeader assignmentRuleId runs that rule", soapCreate(`<urn:AssignmentRuleHeader><urn:assignmentRuleId>01Qxx0000000099</urn:assignmentRuleId></urn:AssignmentRuleHeader>`), "queue@acme.example", 0},
		{"SOAP AssignmentRuleHeader with a malformed id fails the call", soapCreate(`<urn:AssignmentRuleHeader><urn:assignmentRuleId>not-an-id</urn:assignmentRuleId></urn:AssignmentRuleHeader>`), "<faultcode>sf:MALFORMED_ID</faultcode>", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			emu, srv := startOutboundFixture(t, assignFixture)
			store := emu.Store()
			token := store.Sessions.Open(store.User("sender@acme.example"), nil, time.Hour, false).Token
			got := tt.create(t, srv, token)
			if strings.HasPrefix(tt.owner, "<") {
				if !strings.Contains(got, tt.owner) {
					t.Errorf("answer %s, want %s", got, tt.owner)
				}
				return
			}
			id, err := org.ParseID(got)
			if err != nil {
				t.Fatalf("no Lead id in %q", got)
			}
			rec := store.Orgs()[0].Data.Get(id)
			if owner := rec.GetName("OwnerId"); owner != string(store.User(tt.owner).ID) {
				t.Errorf("OwnerId %v, want %s's %s", owner, tt.owner, store.User(tt.owner).ID)
			}
			if n := queued(t, srv); n != tt.fires {
				t.Errorf("%d notifications: the workflow rule judges the assigned owner; want %d", n, tt.fires)
			}
		})
	}
}
