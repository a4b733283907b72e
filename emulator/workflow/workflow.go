// Package workflow decides which outbound messages a record save sends:
// the workflow rules and record-triggered flows of an org's outbound
// message definitions, with their evaluation criteria — created, created
// or edited, created or edited to subsequently meet criteria — and their
// active state (an inactive rule or flow fires nothing); and which owner a
// lead assignment rule gives a new Lead.
//
// Conditions are SOQL WHERE expressions compiled when the org loads, so a
// condition naming a field the object lacks is a fixture error with its
// file:line:column, not a log line on every save. Judging a save costs one
// record's evaluation: the condition runs over a view holding only the
// saved record (org.Data.Only), never over the whole table.
//
// It does not send anything: the emulator hands what Fired returns to the
// outbound dispatcher.
package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// Rules are an org's compiled rules: outbound message rules and flows,
// and lead assignment rules.
type Rules struct {
	org     *org.Org
	rules   []rule
	entries map[*org.AssignmentEntry]*soql.Query // nil: the entry matches every Lead
}

type rule struct {
	msg  *org.OutboundMessage
	def  *org.OutboundRule
	cond *soql.Query // nil: every save meets the rule
}

// Compile compiles the rules of o's outbound message definitions, active
// or not (Salesforce checks an inactive rule's criteria when it is saved,
// too). A condition that does not parse or names what the object lacks is
// an *org.FixtureError at the condition.
func Compile(o *org.Org) (*Rules, error) {
	rs := &Rules{org: o}
	for _, m := range o.OutboundMessages {
		for _, def := range m.Rules {
			r := rule{msg: m, def: def}
			if def.Condition != "" {
				q, err := compileCondition(o, m, def)
				if err != nil {
					return nil, err
				}
				r.cond = q
			}
			rs.rules = append(rs.rules, r)
		}
	}
	rs.entries = map[*org.AssignmentEntry]*soql.Query{}
	lead := o.Schema.Object("Lead")
	for _, ar := range o.LeadAssignmentRules {
		for i, e := range ar.Entries {
			if e.Criteria == "" {
				rs.entries[e] = nil
				continue
			}
			q, err := compileWhere(o, lead, e.Criteria, e.Pos, fmt.Sprintf("lead assignment rule %q: entries[%d].criteria", ar.Name, i))
			if err != nil {
				return nil, err
			}
			rs.entries[e] = q
		}
	}
	return rs, nil
}

// AssignOwner runs a lead assignment rule on a saved Lead: its entries in
// order, the first whose criteria rec meets (judged at now) giving the
// owner. nil: no entry matched (Salesforce then gives the Lead Settings'
// default lead owner, which sfemu does not model: the owner stays). An
// error evaluating an entry skips it and is returned.
func (rs *Rules) AssignOwner(rec *org.Record, ar *org.LeadAssignmentRule, now time.Time) (*org.User, error) {
	var errs []error
	for _, e := range ar.Entries {
		q, ok := rs.entries[e]
		if !ok {
			continue // a rule of another org
		}
		if q == nil {
			return e.AssignTo, errors.Join(errs...)
		}
		res, err := q.Run(soql.Env{Schema: rs.org.Schema, Data: rs.org.Data.Only(rec), Now: now, Location: rs.org.TimeZone})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(res.Rows) == 1 {
			return e.AssignTo, errors.Join(errs...)
		}
	}
	return nil, errors.Join(errs...)
}

// compileCondition compiles a rule's condition.
func compileCondition(o *org.Org, m *org.OutboundMessage, def *org.OutboundRule) (*soql.Query, error) {
	where := def.Label() + ".condition"
	if def.Name != "" {
		where = def.Label() + " condition"
	}
	return compileWhere(o, m.Object, def.Condition, def.Pos, fmt.Sprintf("outbound message %q: %s", m.Name, where))
}

// compileWhere parses SELECT Id FROM <object> WHERE <condition> and binds
// it against the schema once (over no records) to surface name errors. The
// condition starts a line of its own, so an error's Row and Column count
// within it. An error is an *org.FixtureError at pos, what naming the
// condition.
func compileWhere(o *org.Org, obj *org.Object, cond string, pos org.Position, what string) (*soql.Query, error) {
	text := "SELECT Id FROM " + obj.Name + " WHERE\n" + cond
	q, err := soql.Parse(text)
	if err == nil {
		_, err = q.Run(soql.Env{Schema: o.Schema, Data: o.Data.Only(&org.Record{Object: obj}), Location: o.TimeZone})
	}
	if err != nil {
		return nil, pos.Errorf("%s %q: %s", what, cond, conditionError(err))
	}
	return q, nil
}

// conditionError is the SOQL error's code and text, and where in the
// condition it is (Row:R:Column:C, as Salesforce's query errors count):
// the window and caret point into the SELECT sfemu wrapped it in.
func conditionError(err error) string {
	var qe *soql.Error
	if !errors.As(err, &qe) {
		return err.Error()
	}
	text := qe.Text
	if text == "" {
		text = qe.Message
		if i := strings.LastIndex(text, "\n"); i >= 0 {
			text = text[i+1:]
		}
	}
	if qe.Row > 1 {
		return fmt.Sprintf("%s: %s (at Row:%d:Column:%d of the condition)", qe.Code, text, qe.Row-1, qe.Column)
	}
	return qe.Code + ": " + text
}

// Fired returns the definitions whose active rules a save fires: a create
// (before is nil) or an update of after's record made by user by (nil: the
// system), judged at now (relative date literals). A user with "Disable
// Outbound Messages" fires none, by workflow rule or flow alike (the SOAP
// API Developer Guide's Outbound Messaging chapter, "Setting Up User
// Profiles": the cure for circular updates by a listener's write-back). A
// definition two of its rules fire is returned once: one notification per
// save (what Salesforce does then is UNKNOWN). An error evaluating one
// rule skips that rule and is returned with the others.
func (rs *Rules) Fired(before, after *org.Record, by *org.User, now time.Time) ([]*org.OutboundMessage, error) {
	if by != nil && by.OutboundMessagesDisabled() {
		return nil, nil
	}
	var fired []*org.OutboundMessage
	var errs []error
	for _, r := range rs.rules {
		if r.msg.Object != after.Object || !r.def.Active || slices.Contains(fired, r.msg) {
			continue
		}
		if r.def.When == org.RuleOnCreate && before != nil {
			continue
		}
		meets, err := rs.meets(r, after, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !meets {
			continue
		}
		if r.def.When == org.RuleOnCreateOrEditToMet && before != nil {
			// Only a save that newly meets the criteria fires: the previous
			// version is judged from the values it had.
			if was, err := rs.meets(r, before, now); err != nil || was {
				continue
			}
		}
		fired = append(fired, r.msg)
	}
	return fired, errors.Join(errs...)
}

func (rs *Rules) meets(r rule, rec *org.Record, now time.Time) (bool, error) {
	if r.cond == nil {
		return true, nil
	}
	res, err := r.cond.Run(soql.Env{Schema: rs.org.Schema, Data: rs.org.Data.Only(rec), Now: now, Location: rs.org.TimeZone})
	if err != nil {
		return false, err
	}
	return len(res.Rows) == 1, nil
}
