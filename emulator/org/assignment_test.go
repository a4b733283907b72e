package org

import (
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
)

const assignHead = `org: {name: A}
users:
  - {username: tokyo@a.example, profile: Standard User}
  - {username: queue@a.example, profile: Standard User}
lead_assignment_rules:
`

func TestLeadAssignmentRules(t *testing.T) {
	t.Parallel()
	s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(assignHead + `  - name: Standard
    entries:
      - {criteria: "Country = 'Japan'", assign_to: tokyo@a.example}
      - {assign_to: QUEUE@a.example}
  - {name: Old, id: 01Qxx0000000042, active: false, entries: [{assign_to: queue@a.example}]}
`)})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Orgs()[0]
	id, err := ParseID("01Qxx0000000042")
	if err != nil {
		t.Fatal(err)
	}
	std, old := o.ActiveLeadAssignmentRule(), o.LeadAssignmentRule(id)
	if std == nil || std.Name != "Standard" || !std.Active || std.ID.Prefix() != PrefixAssignRule {
		t.Fatalf("active rule = %+v", std)
	}
	if len(std.Entries) != 2 || std.Entries[0].Criteria != "Country = 'Japan'" || std.Entries[0].AssignTo.Username != "tokyo@a.example" ||
		std.Entries[1].Criteria != "" || std.Entries[1].AssignTo.Username != "queue@a.example" {
		t.Errorf("entries = %+v %+v", std.Entries[0], std.Entries[1])
	}
	if old == nil || old.Name != "Old" || old.Active {
		t.Errorf("rule by id = %+v", old)
	}
	if got := (Assignment{UseActive: true}).rule(o); got != std {
		t.Errorf("the active rule: %v", got)
	}
	if got := (Assignment{RuleID: old.ID}).rule(o); got != old {
		t.Errorf("an inactive rule by its id: %v", got)
	}
	if got := (Assignment{}).rule(o); got != nil {
		t.Errorf("no assignment asked: %v", got)
	}
}

func TestLeadAssignmentRuleErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, yaml, want string }{
		{"an unknown assignee", "  - name: R\n    entries:\n      - {criteria: \"Country = 'Japan'\", assign_to: osaka@a.example}\n",
			`a.yaml:8:52: lead assignment rule "R": entries[0].assign_to "osaka@a.example" is not a user of org "A"`},
		{"an entry without assign_to", "  - name: R\n    entries:\n      - {criteria: \"Country = 'Japan'\"}\n",
			`a.yaml:8:9: lead assignment rule "R": entries[0].assign_to is required`},
		{"two active rules", "  - {name: R1, entries: [{assign_to: tokyo@a.example}]}\n  - {name: R2, entries: [{assign_to: tokyo@a.example}]}\n",
			`a.yaml:7:5: lead assignment rule "R2" is active, and so is "R1" (line 6): an org has at most one active lead assignment rule`},
		{"a rule without entries", "  - {name: R}\n", `a.yaml:6:6: lead assignment rule "R" has no entries`},
		{"a rule without a name", "  - {entries: [{assign_to: tokyo@a.example}]}\n", `a.yaml:6:5: lead_assignment_rules[0].name is required`},
		{"the same name twice", "  - {name: R, entries: [{assign_to: tokyo@a.example}]}\n  - {name: r, active: false, entries: [{assign_to: tokyo@a.example}]}\n",
			`a.yaml:7:12: lead assignment rule "r" is declared twice`},
		{"an id that is not an AssignmentRule id", "  - {name: R, id: 00Qxx0000000001, entries: [{assign_to: tokyo@a.example}]}\n",
			`a.yaml:6:19: lead assignment rule "R": id "00Qxx0000000001" is not an AssignmentRule id (15 or 18 characters starting with 01Q)`},
		{"an unknown key in an entry", "  - {name: R, entries: [{assign_to: tokyo@a.example, owner: x}]}\n", `a.yaml:6:`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(assignHead + tt.yaml)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant it to contain %s", err, tt.want)
			}
		})
	}
}
