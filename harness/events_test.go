package harness

import (
	"context"
	"testing"
)

// TestExpectEventsChecksThePublishedEvents: a platform event created in a
// step is on the org's bus, and events: / events_include: match it by its
// object and fields.
func TestExpectEventsChecksThePublishedEvents(t *testing.T) {
	scenario := func(expect string) string {
		return `name: events
org:
  fixture: default
  patch:
    objects:
      Call_Ended__e:
        fields:
          Call_Id__c: {type: text, required: true}
receiver: {url: "http://127.0.0.1:9/outbound"}
phases: [removed]
steps:
  - create: {object: Call_Ended__e, fields: {Call_Id__c: c-1}}
  - create: {object: Call_Ended__e, fields: {Call_Id__c: c-2}}
  - expect:
` + expect
	}
	tests := []struct {
		name, expect string
		want         Outcome
		failure      []string
	}{
		{"both events, in order", "      events: [{object: Call_Ended__e, Call_Id__c: c-1}, {Call_Id__c: c-2, replay_id: 2}]\n", Passed, nil},
		{"one of them, among others", "      events_include: [{Call_Id__c: c-2}]\n", Passed, nil},
		{"an event never published", "      events_include: [{Call_Id__c: c-9}]\n", Failed, []string{"platform events", "c-9"}},
		{"the wrong order", "      events: [{Call_Id__c: c-2}, {Call_Id__c: c-1}]\n", Failed, []string{"platform events"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Load("testdata/events.yaml", []byte(scenario(tt.expect)))
			if err != nil {
				t.Fatalf("the scenario does not load:\n%v", err)
			}
			checkOutcome(t, RunScenario(context.Background(), sc, PhaseRemoved, Options{}), tt.want, tt.failure)
		})
	}
}
