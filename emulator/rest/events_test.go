package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

// eventOrg is acmeOrg with a platform event, as the contact-centre
// integration publishes one when a call ends.
var eventOrg = strings.Replace(acmeOrg, "objects:\n", `objects:
  Call_Ended__e:
    publish_behavior: publish_immediately
    fields:
      Call_Id__c: {type: text, length: 64, required: true}
      Duration__c: {type: int}
`, 1)

func TestPublishingAPlatformEvent(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path, body string
		wantStatus int
		wantBody   string // substring
	}{
		{"a create publishes and answers with the event's id", "POST", "/services/data/v62.0/sobjects/Call_Ended__e", `{"Call_Id__c":"c-1","Duration__c":42}`, 201, `"id":"e00`},
		{"a required field missing is refused like any create", "POST", "/services/data/v62.0/sobjects/Call_Ended__e", `{"Duration__c":42}`, 400, "REQUIRED_FIELD_MISSING"},
		{"an unknown field is refused", "POST", "/services/data/v62.0/sobjects/Call_Ended__e", `{"Call_Id__c":"c-1","Nope__c":1}`, 400, "INVALID_FIELD"},
		{"a collection publishes each event", "POST", "/services/data/v62.0/composite/sobjects", `{"records":[{"attributes":{"type":"Call_Ended__e"},"Call_Id__c":"c-2"},{"attributes":{"type":"Call_Ended__e"},"Call_Id__c":"c-3"}]}`, 200, `"success":true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, eventOrg)
			r := e.do(tt.method, tt.path, tt.body)
			if r.status != tt.wantStatus || !strings.Contains(r.body, tt.wantBody) {
				t.Errorf("%s %s = %d %s; want %d with %s", tt.method, tt.path, r.status, r.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestPublishedEventsAreOnTheBusNotInTheData(t *testing.T) {
	e := newEnvWith(t, eventOrg)
	r := e.do("POST", "/services/data/v62.0/sobjects/Call_Ended__e", `{"Call_Id__c":"c-1","Duration__c":42}`)
	var res struct {
		ID      string
		Success bool
		Errors  []struct{ StatusCode, Message string }
	}
	_ = json.Unmarshal([]byte(r.body), &res)
	events := e.acme.Events().Events()
	if len(events) != 1 {
		t.Fatalf("%d events on the bus; want 1", len(events))
	}
	ev := events[0]
	if !res.Success || len(res.Errors) != 1 || res.Errors[0].StatusCode != "OPERATION_ENQUEUED" || res.Errors[0].Message != ev.EventUUID {
		t.Errorf("publish result %s; want success with OPERATION_ENQUEUED and the EventUuid %s", r.body, ev.EventUUID)
	}
	if ev.Object != "Call_Ended__e" || ev.ReplayID != 1 || ev.Fields["Call_Id__c"] != "c-1" || ev.PublishedBy != "sender@acme.example" || ev.PublishBehavior != "publish_immediately" || len(ev.EventUUID) != 36 {
		t.Errorf("event %+v", ev)
	}
	if got := e.do("GET", "/services/data/v62.0/sobjects/Call_Ended__e/"+res.ID, ""); got.status != 404 {
		t.Errorf("reading the published event as a record = %d %s; want 404", got.status, got.body)
	}
	if got := e.do("GET", "/services/data/v62.0/query?q=SELECT+Id+FROM+Call_Ended__e", ""); got.status != 400 {
		t.Errorf("querying an event object = %d %s; want 400", got.status, got.body)
	}
}
