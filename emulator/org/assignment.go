package org

import (
	"fmt"
	"strings"
	"time"
)

// LeadAssignmentRule is a lead assignment rule (Setup → Lead Assignment
// Rules): entries tried in order, the first whose criteria a new Lead
// meets giving its owner. An org has at most one active rule; an API
// client may ask for another by its id.
type LeadAssignmentRule struct {
	ID      ID // 01Q, the AssignmentRule id a client names
	Name    string
	Active  bool
	Entries []*AssignmentEntry
}

// AssignmentEntry is one rule entry.
type AssignmentEntry struct {
	// Criteria is a SOQL WHERE expression over the Lead; empty: every Lead.
	Criteria string
	// AssignTo is the user who becomes the owner.
	AssignTo *User
	// Pos is where the criteria are written, for errors about them.
	Pos Position
}

// Assignment says which lead assignment rule a create runs: none (the
// zero value), the org's active one, or one by id (active or not), as
// the REST API's Sforce-Auto-Assign header and the SOAP API's
// AssignmentRuleHeader ask.
type Assignment struct {
	UseActive bool
	RuleID    ID
}

// rule is the rule the assignment asks for in o, or nil.
func (a Assignment) rule(o *Org) *LeadAssignmentRule {
	switch {
	case a.RuleID != "":
		return o.LeadAssignmentRule(a.RuleID)
	case a.UseActive:
		return o.ActiveLeadAssignmentRule()
	}
	return nil
}

// ActiveLeadAssignmentRule is the org's active lead assignment rule, or nil.
func (o *Org) ActiveLeadAssignmentRule() *LeadAssignmentRule {
	for _, r := range o.LeadAssignmentRules {
		if r.Active {
			return r
		}
	}
	return nil
}

// LeadAssignmentRule is the rule with this id, or nil.
func (o *Org) LeadAssignmentRule(id ID) *LeadAssignmentRule {
	for _, r := range o.LeadAssignmentRules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Assigner picks the owner a lead assignment rule gives a new record (nil:
// no entry matched, the owner stays). The emulator sets one (the workflow
// package judges the criteria); without one, no rule runs.
type Assigner func(rec *Record, rule *LeadAssignmentRule, now time.Time) *User

// SetAssigner sets the function that runs lead assignment rules.
func (d *Data) SetAssigner(a Assigner) {
	d.hooksMu.Lock()
	defer d.hooksMu.Unlock()
	d.assigner = a
}

// runAssignment runs the assignment rule opt asks for on a just-stored Lead and
// returns the record as it now is (with its new OwnerId, if a rule entry
// matched). Salesforce runs assignment rules after the save and before
// workflow rules, so OnSave hooks see the assigned owner.
func (d *Data) runAssignment(r *Record, opt DMLOptions, now time.Time) *Record {
	if r.Object.Name != "Lead" || (opt.Assignment == Assignment{}) {
		return r
	}
	d.hooksMu.RLock()
	assigner := d.assigner
	d.hooksMu.RUnlock()
	rule := opt.Assignment.rule(d.org)
	if assigner == nil || rule == nil {
		return r
	}
	owner := assigner(r, rule, now)
	f := r.Object.Field("OwnerId")
	if owner == nil || f == nil {
		return r
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.byID[r.ID]
	if cur == nil {
		return r
	}
	values := fullValues(cur)
	values[f.Index] = owner.idValue()
	r = d.replaceLocked(cur, values)
	d.keptLocked(opt.Tx, r.ID)
	return r
}

type assignRuleYAML struct {
	Name    string            `yaml:"name"`
	ID      string            `yaml:"id"`
	Active  *bool             `yaml:"active"`
	Entries []assignEntryYAML `yaml:"entries"`
}

type assignEntryYAML struct {
	Criteria string `yaml:"criteria"`
	AssignTo string `yaml:"assign_to"`
}

func (b *fixtureBuilder) buildAssignmentRules(raws []assignRuleYAML) error {
	o := b.org
	var active *LeadAssignmentRule
	activeLine := 0
	for i, r := range raws {
		path := fmt.Sprintf("$.lead_assignment_rules[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return b.errAt(path, "lead_assignment_rules[%d].name is required", i)
		}
		rule := &LeadAssignmentRule{Name: r.Name, Active: r.Active == nil || *r.Active}
		for _, other := range o.LeadAssignmentRules {
			if strings.EqualFold(other.Name, r.Name) {
				return b.errAt(path+".name", "lead assignment rule %q is declared twice", r.Name)
			}
		}
		if r.ID != "" {
			id, err := ParseID(r.ID)
			if err != nil || id.Prefix() != PrefixAssignRule {
				return b.errAt(path+".id", "lead assignment rule %q: id %q is not an AssignmentRule id (15 or 18 characters starting with %s)", r.Name, r.ID, PrefixAssignRule)
			}
			if other := o.LeadAssignmentRule(id); other != nil {
				return b.errAt(path+".id", "lead assignment rule %q has the id of rule %q", r.Name, other.Name)
			}
			rule.ID = id
		} else {
			rule.ID = b.ids.Next(PrefixAssignRule)
		}
		if rule.Active {
			if active != nil {
				return b.errAt(path, "lead assignment rule %q is active, and so is %q (line %d): an org has at most one active lead assignment rule (give the others active: false)", r.Name, active.Name, activeLine)
			}
			active = rule
			activeLine, _ = b.locate(path)
		}
		if len(r.Entries) == 0 {
			return b.errAtKey(path+".name", "lead assignment rule %q has no entries: give entries: [{criteria: …, assign_to: a username}]", r.Name)
		}
		for j, e := range r.Entries {
			ep := fmt.Sprintf("%s.entries[%d]", path, j)
			if e.AssignTo == "" {
				return b.errAt(ep, "lead assignment rule %q: entries[%d].assign_to is required (the username that becomes the owner)", r.Name, j)
			}
			u := o.userByName(e.AssignTo)
			if u == nil {
				return b.errAt(ep+".assign_to", "lead assignment rule %q: entries[%d].assign_to %q is not a user of org %q", r.Name, j, e.AssignTo, o.Name)
			}
			line, col := b.locate(ep + ".criteria")
			rule.Entries = append(rule.Entries, &AssignmentEntry{Criteria: strings.TrimSpace(e.Criteria), AssignTo: u, Pos: Position{b.src.Name, line, col}})
		}
		o.LeadAssignmentRules = append(o.LeadAssignmentRules, rule)
	}
	return nil
}
