package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// quietFixture is seed 003's cure for circular updates: the send user's
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
	env := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com">` +
		`<soapenv:Header><urn:SessionHeader><urn:sessionId>` + token + `</urn:sessionId></urn:SessionHeader></soapenv:Header>` +
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
