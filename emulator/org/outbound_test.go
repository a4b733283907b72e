package org

import (
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
)

// ruleHead is an org with two users and the start of an outbound message;
// the rows below add its rule: or rules: from line 8.
const ruleHead = `org: {name: A}
users: [{username: sender@a.example, profile: Standard User}]
outbound_messages:
  - name: M
    object: Account
    endpoint_url: https://x.example/outbound
    user_to_send_as: sender@a.example
`

func TestOutboundRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		yaml string // after ruleHead
		want []OutboundRule
	}{
		{"no rule: sent only when asked", "", nil},
		{"rule: is one unnamed active workflow rule, created_or_edited by default", "    rule: {condition: \"Industry = 'Energy'\"}\n",
			[]OutboundRule{{Kind: RuleKindWorkflow, When: RuleOnCreateOrEdit, Condition: "Industry = 'Energy'", Active: true}}},
		{"rule: with active: false", "    rule: {when: created, active: false}\n",
			[]OutboundRule{{Kind: RuleKindWorkflow, When: RuleOnCreate, Active: false}}},
		{"rules: names workflow rules and flows, in order", "    rules:\n      - {name: R1}\n      - {name: F1, kind: flow, when: created, active: false}\n",
			[]OutboundRule{{Name: "R1", Kind: RuleKindWorkflow, When: RuleOnCreateOrEdit, Active: true}, {Name: "F1", Kind: RuleKindFlow, When: RuleOnCreate}}},
		{"a workflow rule and a flow may share a name", "    rules: [{name: Sync}, {name: Sync, kind: flow}]\n",
			[]OutboundRule{{Name: "Sync", Kind: RuleKindWorkflow, When: RuleOnCreateOrEdit, Active: true}, {Name: "Sync", Kind: RuleKindFlow, When: RuleOnCreateOrEdit, Active: true}}},
		{"kind is case-insensitive", "    rules: [{name: F, kind: Flow}]\n",
			[]OutboundRule{{Name: "F", Kind: RuleKindFlow, When: RuleOnCreateOrEdit, Active: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(ruleHead + tt.yaml)})
			if err != nil {
				t.Fatal(err)
			}
			m := s.Orgs()[0].OutboundMessage("M")
			if len(m.Rules) != len(tt.want) {
				t.Fatalf("%d rules, want %d", len(m.Rules), len(tt.want))
			}
			for i, r := range m.Rules {
				got := *r
				got.Pos = Position{}
				if got != tt.want[i] {
					t.Errorf("rule %d = %+v, want %+v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestOutboundRuleErrors(t *testing.T) {
	t.Parallel()
	const second = `  - name: N
    object: Account
    endpoint_url: https://x.example/other
    user_to_send_as: sender@a.example
`
	for _, tt := range []struct {
		name string
		yaml string // after ruleHead, from line 8
		want string
	}{
		{"rule and rules together", "    rule: {when: created}\n    rules: [{name: R}]\n",
			`a.yaml:9:5: outbound message "M": give rule (one workflow rule) or rules (a list), not both`},
		{"a rules entry without a name", "    rules:\n      - {when: created}\n",
			`a.yaml:9:9: outbound message "M": rules[0].name is required`},
		{"an unknown kind", "    rules:\n      - {name: R, kind: process_builder}\n",
			`a.yaml:9:25: outbound message "M": rules[0].kind "process_builder": want workflow_rule or flow`},
		{"an unknown when in rules", "    rules:\n      - {name: R, when: updated}\n",
			`a.yaml:9:25: outbound message "M": rules[0].when "updated": want created, created_or_edited or created_or_edited_to_meet_criteria`},
		{"an unknown when in rule", "    rule: {when: edited}\n",
			`a.yaml:8:18: outbound message "M": rule.when "edited"`},
		{"active that is not a boolean", "    rule: {active: maybe}\n", `a.yaml:8:`},
		{"an unknown key in a rules entry", "    rules: [{name: R, enabled: false}]\n", `a.yaml:8:`},
		{"name and kind are not keys of rule:", "    rule: {name: R}\n", `a.yaml:8:`},
		{"the same rule twice in one message", "    rules: [{name: R}, {name: r}]\n",
			`a.yaml:8:31: outbound message "M" lists workflow rule "r" twice`},
		{"one rule under two messages with different criteria", "    rules: [{name: R, condition: \"Industry = 'Energy'\"}]\n" + second + "    rules: [{name: R, condition: \"Industry = 'Banking'\"}]\n",
			`a.yaml:13:13: outbound message "N": workflow rule "R" is also an action of message "M" (line 8), and its condition ("Industry = 'Energy'" there, "Industry = 'Banking'" here) differs`},
		{"one rule under two messages, active in one only", "    rules: [{name: R}]\n" + second + "    rules: [{name: R, active: false}]\n",
			`and its active (true there, false here) differs`},
		{"one rule under messages of two objects", "    rules: [{name: R}]\n" + strings.Replace(second, "Account", "Contact", 1) + "    rules: [{name: R}]\n",
			`and its object (Account there, Contact here) differs`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(ruleHead + tt.yaml)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant it to contain %s", err, tt.want)
			}
		})
	}
}

func TestOneRuleSendingTwoMessages(t *testing.T) {
	t.Parallel()
	yaml := ruleHead + "    rules: [{name: R, when: created}]\n" + `  - name: N
    object: Account
    endpoint_url: https://x.example/other
    user_to_send_as: sender@a.example
    rules: [{name: R, when: created}]
`
	s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(yaml)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"M", "N"} {
		if m := s.Orgs()[0].OutboundMessage(name); len(m.Rules) != 1 || m.Rules[0].Name != "R" {
			t.Errorf("message %s: rules %+v", name, m.Rules)
		}
	}
}
