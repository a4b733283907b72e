package emulator_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
)

// TestReceiverQueryingAHiddenFieldGetsInvalidField is the call-tracking
// vendor's warning end to end: the integration user's profile hides
// Lead.Secret__c, so the outbound message leaves it out and the receiver's
// query back with the message's session is INVALID_FIELD, exactly as if the
// field did not exist.
func TestReceiverQueryingAHiddenFieldGetsInvalidField(t *testing.T) {
	rcv := &sink{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	fixture := `
org: {name: Acme, outbound_session_id: legacy}
profiles:
  - {name: Integration, session_timeout: 2h, field_permissions: {Lead.Secret__c: none}}
users: [{username: sender@acme.example, profile: Integration}]
objects:
  Lead:
    fields:
      Secret__c: {type: text}
outbound_messages:
  - name: New_Lead
    object: Lead
    fields: [Company, Secret__c]
    endpoint_url: "` + receiver.URL + `"
    user_to_send_as: sender@acme.example
    include_session_id: true
    rule: {when: created}
`
	emu, _ := startOutboundFixture(t, fixture)

	// The lead is created by the system (the control API), with the hidden field set.
	o := emu.Store().Org("Acme")
	if _, errs := o.Data.Insert(o.Schema.Object("Lead"), map[string]any{"LastName": "Doe", "Company": "Coal Co", "Secret__c": "s3cret"}, nil, virtualStart, org.DMLOptions{}); errs != nil {
		t.Fatal(errs)
	}
	waitFor(t, "the rule's message", func() bool { return rcv.count() == 1 })
	rcv.mu.Lock()
	session, partner, body := rcv.sessions[0], rcv.partners[0], rcv.bodies[0]
	rcv.mu.Unlock()
	if strings.Contains(body, "Secret__c") || !strings.Contains(body, "<sf:Company>Coal Co</sf:Company>") {
		t.Errorf("the notification must carry Company and not the hidden Secret__c:\n%s", body)
	}
	instance := partner[:strings.Index(partner, "/services/Soap/")]
	code, resp := doJSON(t, "GET", instance+"/services/data/v60.0/query?q="+url.QueryEscape("SELECT Id, Company, Secret__c FROM Lead"), session, "")
	want := `[{"message":"\nSELECT Id, Company, Secret__c FROM Lead\n                    ^\nERROR at Row:1:Column:21\nNo such column 'Secret__c' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.","errorCode":"INVALID_FIELD"}]`
	if code != 400 || resp != want {
		t.Errorf("query of the hidden field:\n got %d %s\nwant 400 %s", code, resp, want)
	}
	if code, resp := doJSON(t, "GET", instance+"/services/data/v60.0/query?q="+url.QueryEscape("SELECT Id, Company FROM Lead"), session, ""); code != 200 {
		t.Errorf("the visible fields must still query: %d %s", code, resp)
	}
}
