package org

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/wire"
)

// OutboundMessage is an outbound message definition (Setup → Outbound
// Messages): which fields of which object go to which endpoint, sent as
// which user, with or without a session ID.
type OutboundMessage struct {
	ID     ID // the 04k ActionId
	Name   string
	Object *Object
	// Fields are the selected fields: Id first, then the rest alphabetically,
	// the order the SOAP envelope lists them in.
	Fields      []*Field
	EndpointURL string
	// UserToSendAs is the user whose session a legacy message carries.
	UserToSendAs *User
	// IncludeSessionID is the "Send Session ID" checkbox. After the February
	// 2026 change (org outbound_session_id: removed) it is ignored.
	IncludeSessionID bool
	// APIVersion decides the Enterprise and Partner URLs' version.
	APIVersion string
	// Rules are the workflow rules and record-triggered flows that send the
	// message on record saves; none: it is sent only when asked (the
	// control API). A fixture's rule: is one unnamed workflow rule.
	Rules []*OutboundRule
	Org   *Org
}

// Evaluation criteria of a rule, as Salesforce names them.
const (
	RuleOnCreate            = "created"
	RuleOnCreateOrEdit      = "created_or_edited"
	RuleOnCreateOrEditToMet = "created_or_edited_to_meet_criteria"
)

// Kinds of automation that send an outbound message: a workflow rule
// with the message among its actions, or a record-triggered flow with an
// outbound message action.
const (
	RuleKindWorkflow = "workflow_rule"
	RuleKindFlow     = "flow"
)

// OutboundRule is a workflow rule or record-triggered flow that fires an
// outbound message on record saves. One rule sending two messages appears
// under both, with the same name and the same criteria.
type OutboundRule struct {
	// Name is the rule's or flow's name; "" for a fixture's rule: (the
	// message's one unnamed workflow rule).
	Name string
	// Kind is RuleKindWorkflow or RuleKindFlow.
	Kind string
	// When is RuleOnCreate, RuleOnCreateOrEdit (every save that meets the
	// condition) or RuleOnCreateOrEditToMet (only saves that newly meet it).
	When string
	// Condition is a SOQL WHERE expression over the record; empty: always.
	Condition string
	// Active is Setup's Active checkbox (a flow's activated version): an
	// inactive rule fires nothing.
	Active bool
	// Pos is where the condition is written, for errors about it.
	Pos Position
}

// Label names the rule in messages: "rule" for an unnamed one, else its
// kind and name (workflow rule "X", flow "Y").
func (r *OutboundRule) Label() string {
	switch {
	case r.Name == "":
		return "rule"
	case r.Kind == RuleKindFlow:
		return fmt.Sprintf("flow %q", r.Name)
	}
	return fmt.Sprintf("workflow rule %q", r.Name)
}

// Position is a place in a fixture: file, line and column.
type Position struct {
	File         string
	Line, Column int
}

// Errorf makes a *FixtureError at p.
func (p Position) Errorf(format string, args ...any) *FixtureError {
	return &FixtureError{File: p.File, Line: p.Line, Column: p.Column, Msg: fmt.Sprintf(format, args...)}
}

// DefaultOutboundAPIVersion is the API version of definitions that do not name one.
const DefaultOutboundAPIVersion = "66.0"

type outboundYAML struct {
	Name             string   `yaml:"name"`
	Object           string   `yaml:"object"`
	Fields           []string `yaml:"fields"`
	EndpointURL      string   `yaml:"endpoint_url"`
	UserToSendAs     string   `yaml:"user_to_send_as"`
	IncludeSessionID bool     `yaml:"include_session_id"`
	APIVersion       string   `yaml:"api_version"`
	// Rule is one unnamed workflow rule; Rules the list form (named rules
	// and flows). Not both.
	Rule  *unnamedRuleYAML   `yaml:"rule"`
	Rules []outboundRuleYAML `yaml:"rules"`
}

type unnamedRuleYAML struct {
	When      string `yaml:"when"`
	Condition string `yaml:"condition"`
	Active    *bool  `yaml:"active"`
}

type outboundRuleYAML struct {
	Name      string `yaml:"name"`
	Kind      string `yaml:"kind"`
	When      string `yaml:"when"`
	Condition string `yaml:"condition"`
	Active    *bool  `yaml:"active"`
}

// OutboundMessage returns the definition with this name (case-insensitive), or nil.
func (o *Org) OutboundMessage(name string) *OutboundMessage {
	for _, m := range o.OutboundMessages {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

func (b *fixtureBuilder) buildOutbound(raws []outboundYAML) error {
	o := b.org
	rules := map[ruleKey]sharedRule{}
	for i, r := range raws {
		path := fmt.Sprintf("$.outbound_messages[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return b.errAt(path, "outbound_messages[%d].name is required", i)
		}
		if o.OutboundMessage(r.Name) != nil {
			return b.errAt(path+".name", "outbound message %q is declared twice", r.Name)
		}
		obj := o.Schema.Object(r.Object)
		if obj == nil {
			return b.errAt(path+".object", "outbound message %q: object %q is not an object of this org", r.Name, r.Object)
		}
		m := &OutboundMessage{ID: b.ids.Next(PrefixActionID), Name: r.Name, Object: obj, IncludeSessionID: r.IncludeSessionID, Org: o, APIVersion: DefaultOutboundAPIVersion}
		seen := map[*Field]bool{obj.Field("Id"): true}
		m.Fields = []*Field{obj.Field("Id")}
		var rest []*Field
		for j, name := range r.Fields {
			f := obj.Field(name)
			if f == nil {
				return b.errAt(fmt.Sprintf("%s.fields[%d]", path, j), "outbound message %q: %s has no field %q", r.Name, obj.Name, name)
			}
			if !seen[f] {
				seen[f] = true
				rest = append(rest, f)
			}
		}
		slices.SortFunc(rest, func(a, b *Field) int { return strings.Compare(a.Name, b.Name) })
		m.Fields = append(m.Fields, rest...)
		u, err := url.Parse(r.EndpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return b.errAt(path+".endpoint_url", "outbound message %q: endpoint_url %q is not an http(s) URL", r.Name, r.EndpointURL)
		}
		m.EndpointURL = r.EndpointURL
		if r.UserToSendAs == "" {
			return b.errAt(path, "outbound message %q needs user_to_send_as", r.Name)
		}
		if m.UserToSendAs = o.userByName(r.UserToSendAs); m.UserToSendAs == nil {
			return b.errAt(path+".user_to_send_as", "outbound message %q: user_to_send_as %q is not a user of org %q", r.Name, r.UserToSendAs, o.Name)
		}
		if r.APIVersion != "" {
			v, err := strconv.ParseFloat(r.APIVersion, 64)
			if err != nil || v < 8 || v != float64(int(v)) {
				return b.errAt(path+".api_version", "outbound message %q: api_version %q is not a version such as 60.0", r.Name, r.APIVersion)
			}
			m.APIVersion = strconv.FormatFloat(v, 'f', 1, 64)
		}
		if err := b.buildRules(path, r, m, rules); err != nil {
			return err
		}
		o.OutboundMessages = append(o.OutboundMessages, m)
	}
	return nil
}

// ruleKey identifies a named rule across messages: a workflow rule and a
// flow may share a name.
type ruleKey struct{ kind, name string }

// sharedRule is a named rule as first declared, for checking its other
// appearances against it.
type sharedRule struct {
	rule   *OutboundRule
	object *Object
	msg    string
	line   int
}

// buildRules reads a definition's rule: or rules:.
func (b *fixtureBuilder) buildRules(path string, r outboundYAML, m *OutboundMessage, shared map[ruleKey]sharedRule) error {
	if r.Rule != nil && len(r.Rules) > 0 {
		return b.errAtKey(path+".rules", "outbound message %q: give rule (one workflow rule) or rules (a list), not both", r.Name)
	}
	if r.Rule != nil {
		rule, err := b.rule(path+".rule", r.Name, "rule.", r.Rule.When, r.Rule.Condition, r.Rule.Active)
		if err != nil {
			return err
		}
		rule.Kind = RuleKindWorkflow
		m.Rules = []*OutboundRule{rule}
		return nil
	}
	for j, rr := range r.Rules {
		rp := fmt.Sprintf("%s.rules[%d]", path, j)
		if strings.TrimSpace(rr.Name) == "" {
			return b.errAt(rp, "outbound message %q: rules[%d].name is required (the workflow rule's or flow's name)", r.Name, j)
		}
		kind := strings.ToLower(rr.Kind)
		switch kind {
		case "":
			kind = RuleKindWorkflow
		case RuleKindWorkflow, RuleKindFlow:
		default:
			return b.errAt(rp+".kind", "outbound message %q: rules[%d].kind %q: want %s or %s", r.Name, j, rr.Kind, RuleKindWorkflow, RuleKindFlow)
		}
		rule, err := b.rule(rp, r.Name, fmt.Sprintf("rules[%d].", j), rr.When, rr.Condition, rr.Active)
		if err != nil {
			return err
		}
		rule.Name, rule.Kind = rr.Name, kind
		for _, other := range m.Rules {
			if other.Kind == kind && strings.EqualFold(other.Name, rr.Name) {
				return b.errAt(rp+".name", "outbound message %q lists %s twice", r.Name, rule.Label())
			}
		}
		key := ruleKey{kind, strings.ToLower(rr.Name)}
		line, _ := b.locate(rp)
		if first, ok := shared[key]; ok {
			if err := b.sameRule(rp, r.Name, m.Object, rule, first); err != nil {
				return err
			}
		} else {
			shared[key] = sharedRule{rule: rule, object: m.Object, msg: r.Name, line: line}
		}
		m.Rules = append(m.Rules, rule)
	}
	return nil
}

// rule reads one rule's when, condition and active.
func (b *fixtureBuilder) rule(path, msg, key, when, condition string, active *bool) (*OutboundRule, error) {
	if when == "" {
		when = RuleOnCreateOrEdit
	}
	switch when {
	case RuleOnCreate, RuleOnCreateOrEdit, RuleOnCreateOrEditToMet:
	default:
		return nil, b.errAt(path+".when", "outbound message %q: %swhen %q: want %s, %s or %s", msg, key, when, RuleOnCreate, RuleOnCreateOrEdit, RuleOnCreateOrEditToMet)
	}
	line, col := b.locate(path + ".condition")
	return &OutboundRule{When: when, Condition: strings.TrimSpace(condition), Active: active == nil || *active,
		Pos: Position{b.src.Name, line, col}}, nil
}

// sameRule checks a named rule met again under another message: one rule
// has one object and one set of criteria, whichever actions it has.
func (b *fixtureBuilder) sameRule(path, msg string, obj *Object, rule *OutboundRule, first sharedRule) error {
	differs := ""
	switch {
	case obj != first.object:
		differs = fmt.Sprintf("object (%s there, %s here)", first.object.Name, obj.Name)
	case rule.When != first.rule.When:
		differs = fmt.Sprintf("when (%s there, %s here)", first.rule.When, rule.When)
	case rule.Condition != first.rule.Condition:
		differs = fmt.Sprintf("condition (%q there, %q here)", first.rule.Condition, rule.Condition)
	case rule.Active != first.rule.Active:
		differs = fmt.Sprintf("active (%v there, %v here)", first.rule.Active, rule.Active)
	default:
		return nil
	}
	return b.errAt(path, "outbound message %q: %s is also an action of message %q (line %d), and its %s differs: one rule has one object and one set of criteria", msg, rule.Label(), first.msg, first.line, differs)
}

func (o *Org) userByName(username string) *User {
	for _, u := range o.Users {
		if wire.SameUsername(u.Username, username) {
			return u
		}
	}
	return nil
}
