package org

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
	// Rule, when set, sends the message as a workflow rule or flow would.
	Rule *OutboundRule
	Org  *Org
}

// Evaluation criteria of a rule, as Salesforce names them.
const (
	RuleOnCreate            = "created"
	RuleOnCreateOrEdit      = "created_or_edited"
	RuleOnCreateOrEditToMet = "created_or_edited_to_meet_criteria"
)

// OutboundRule fires an outbound message on record saves.
type OutboundRule struct {
	// When is RuleOnCreate, RuleOnCreateOrEdit (every save that meets the
	// condition) or RuleOnCreateOrEditToMet (only saves that newly meet it).
	When string
	// Condition is a SOQL WHERE expression over the record; empty: always.
	Condition string
	// Pos is where the condition is written, for errors about it.
	Pos Position
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
	Rule             *struct {
		When      string `yaml:"when"`
		Condition string `yaml:"condition"`
	} `yaml:"rule"`
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
		if r.Rule != nil {
			when := r.Rule.When
			if when == "" {
				when = RuleOnCreateOrEdit
			}
			switch when {
			case RuleOnCreate, RuleOnCreateOrEdit, RuleOnCreateOrEditToMet:
			default:
				return b.errAt(path+".rule.when", "outbound message %q: rule.when %q: want %s, %s or %s", r.Name, when, RuleOnCreate, RuleOnCreateOrEdit, RuleOnCreateOrEditToMet)
			}
			line, col := b.locate(path + ".rule.condition")
			m.Rule = &OutboundRule{When: when, Condition: strings.TrimSpace(r.Rule.Condition), Pos: Position{b.src.Name, line, col}}
		}
		o.OutboundMessages = append(o.OutboundMessages, m)
	}
	return nil
}

func (o *Org) userByName(username string) *User {
	for _, u := range o.Users {
		if strings.EqualFold(u.Username, username) {
			return u
		}
	}
	return nil
}
