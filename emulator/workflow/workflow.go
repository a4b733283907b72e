// Package workflow decides which outbound messages a record save sends:
// the workflow rules and record-triggered flows of an org's outbound
// message definitions, with their evaluation criteria — created, created
// or edited, created or edited to subsequently meet criteria — and their
// active state (an inactive rule or flow fires nothing).
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
	"slices"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// Rules are an org's compiled rules.
type Rules struct {
	org   *org.Org
	rules []rule
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
	return rs, nil
}

// compileCondition parses SELECT Id FROM <object> WHERE <condition> and
// binds it against the schema once (over no records) to surface name errors.
func compileCondition(o *org.Org, m *org.OutboundMessage, def *org.OutboundRule) (*soql.Query, error) {
	text := "SELECT Id FROM " + m.Object.Name + " WHERE " + def.Condition
	q, err := soql.Parse(text)
	if err == nil {
		_, err = q.Run(soql.Env{Schema: o.Schema, Data: o.Data.Only(&org.Record{Object: m.Object}), Location: o.TimeZone})
	}
	if err != nil {
		where := def.Label() + ".condition"
		if def.Name != "" {
			where = def.Label() + " condition"
		}
		return nil, def.Pos.Errorf("outbound message %q: %s %q: %s", m.Name, where, def.Condition, conditionError(err))
	}
	return q, nil
}

// conditionError is the SOQL error's code and first line: the window and
// caret point into the SELECT sfemu wrapped the condition in.
func conditionError(err error) string {
	var qe *soql.Error
	if errors.As(err, &qe) {
		msg := qe.Message
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return qe.Code + ": " + msg
	}
	return err.Error()
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
