package org

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sfemu/sfemu/internal/srcpos"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/internal/safeyaml"
	"github.com/sfemu/sfemu/internal/userfile"
	"github.com/sfemu/sfemu/wire"
)

// Source is one org fixture: its YAML and a way to read the files it names
// (certificates, CSV files of records) relative to it.
type Source struct {
	// Name is shown in error messages, e.g. "fixtures/orgs/acme.yaml".
	Name string
	Data []byte
	// ReadFile reads a path the fixture names, relative to the fixture.
	ReadFile func(rel string) ([]byte, error)
	// Dir is the directory ReadFile reads relative paths from, if it is
	// one on disk: an error in a CSV file of records then names the file
	// as Dir/rel, a path an editor opens, not only as the fixture wrote it.
	Dir string
}

// FileSource reads a fixture from disk; paths inside it are relative to its
// directory. Only regular files are read, within their limits
// (internal/userfile): a fixture, or a certificate it names, that is
// /dev/zero, a FIFO or a directory is an error, not a read that never ends.
func FileSource(path string) (Source, error) {
	data, err := userfile.Read(path, userfile.MaxYAML)
	if err != nil {
		return Source{}, err
	}
	dir := filepath.Dir(path)
	return Source{
		Name: path,
		Data: data,
		Dir:  dir,
		ReadFile: func(rel string) ([]byte, error) {
			if !filepath.IsAbs(rel) {
				rel = filepath.Join(dir, rel)
			}
			return userfile.Read(rel, userfile.MaxData)
		},
	}, nil
}

// FixtureError is a problem in a fixture, at a line and column when known.
type FixtureError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *FixtureError) Error() string { return srcpos.Format(e.File, e.Line, e.Column, e.Msg) }

// The YAML shape of an org fixture (DESIGN.md). Unknown keys are errors.
type fixtureYAML struct {
	Org              orgYAML               `yaml:"org"`
	Settings         settingsYAML          `yaml:"settings"`
	NetworkAccess    networkYAML           `yaml:"network_access"`
	Profiles         []profileYAML         `yaml:"profiles"`
	PermissionSets   []permSetYAML         `yaml:"permission_sets"`
	Users            []userYAML            `yaml:"users"`
	Apps             []appYAML             `yaml:"apps"`
	Objects          map[string]objectYAML `yaml:"objects"`
	Records          yaml.MapSlice         `yaml:"records"`
	OutboundMessages []outboundYAML        `yaml:"outbound_messages"`
	// LeadAssignmentRules is Setup → Lead Assignment Rules.
	LeadAssignmentRules []assignRuleYAML `yaml:"lead_assignment_rules"`
}

// FixtureType is the Go type a fixture decodes into, for tools that check
// a fixture's keys before it loads (the harness checks scenarios' patches
// with it, so a typo is reported where the patch makes it).
func FixtureType() reflect.Type { return reflect.TypeOf(fixtureYAML{}) }

type orgYAML struct {
	Name              string   `yaml:"name"`
	ID                string   `yaml:"id"`
	Type              string   `yaml:"type"`
	MyDomain          string   `yaml:"my_domain"`
	SandboxName       string   `yaml:"sandbox_name"`
	TimeZone          string   `yaml:"time_zone"`
	OutboundSessionID string   `yaml:"outbound_session_id"`
	Release           string   `yaml:"release"`
	SessionTimeout    string   `yaml:"session_timeout"`
	ExtraAudiences    []string `yaml:"extra_audiences"`
	// Edition is developer, enterprise, unlimited, performance,
	// professional, essentials or group; APIAccess overrides whether it has
	// API access (Professional Edition with the API add-on).
	Edition   string `yaml:"edition"`
	APIAccess *bool  `yaml:"api_access"`
}

type settingsYAML struct {
	StrictCertificateExpiry *bool   `yaml:"strict_certificate_expiry"`
	LegacyApprovalError     *bool   `yaml:"legacy_approval_error"`
	IPRestrictedText        *string `yaml:"ip_restricted_text"`
	UnknownUserText         *string `yaml:"unknown_user_text"`
	InactiveUserText        *string `yaml:"inactive_user_text"`
	FrozenUserText          *string `yaml:"frozen_user_text"`
	RateLimitText           *string `yaml:"rate_limit_text"`
	TokenResponseSignature  *bool   `yaml:"token_response_signature"`
	ReuseSessions           *bool   `yaml:"reuse_sessions"`
	LoginRateLimitPerHour   *int    `yaml:"login_rate_limit_per_hour"`
	LoginHistoryLimit       *int    `yaml:"login_history_limit"`
	AssertionClockSkew      string  `yaml:"assertion_clock_skew"`
	MaxAssertionLifetime    string  `yaml:"max_assertion_lifetime"`
	ClientIP                string  `yaml:"client_ip"`
	IntFractions            string  `yaml:"int_fractions"`

	APIRetiredBelow          string  `yaml:"api_retired_below"`
	APIDeprecatedBelow       string  `yaml:"api_deprecated_below"`
	APIRetiredText           *string `yaml:"api_retired_text"`
	APIDeprecatedWarning     *string `yaml:"api_deprecated_warning"`
	SOAPLogin                string  `yaml:"soap_login"`
	SOAPLoginMaxVersion      string  `yaml:"soap_login_max_version"`
	SOAPLoginFaultCode       *string `yaml:"soap_login_fault_code"`
	SOAPLoginDisabledText    *string `yaml:"soap_login_disabled_text"`
	SOAPLoginUnavailableText *string `yaml:"soap_login_unavailable_text"`
	SOAPLoginRetiredText     *string `yaml:"soap_login_retired_text"`
	SOAPInvalidSessionText   *string `yaml:"soap_invalid_session_text"`

	APIDisabledRESTText     *string `yaml:"api_disabled_rest_text"`
	APIDisabledSOAPOrgText  *string `yaml:"api_disabled_soap_org_text"`
	APIDisabledSOAPUserText *string `yaml:"api_disabled_soap_user_text"`
	SOAPLoginChecksAPI      *bool   `yaml:"soap_login_checks_api"`

	UsernamePasswordFlow  *bool  `yaml:"username_password_flow"`
	TokenEndpointAudience *bool  `yaml:"token_endpoint_audience"`
	EmulatorHost          string `yaml:"emulator_host"`
}

type networkYAML struct {
	TrustedIPRanges []ipRangeYAML `yaml:"trusted_ip_ranges"`
}

type ipRangeYAML struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

type profileYAML struct {
	Name           string                  `yaml:"name"`
	SessionTimeout string                  `yaml:"session_timeout"`
	LoginIPRanges  []ipRangeYAML           `yaml:"login_ip_ranges"`
	LoginHours     map[string]dayHoursYAML `yaml:"login_hours"`
	// FieldPermissions maps Object.Field to none, read or edit.
	FieldPermissions map[string]string `yaml:"field_permissions"`
	// APIEnabled is "API Enabled" (default true); DisableOutboundMessages
	// "Disable Outbound Messages" (default false); UserPermissions further
	// system permissions it enables, by Metadata API name.
	APIEnabled              *bool    `yaml:"api_enabled"`
	DisableOutboundMessages *bool    `yaml:"disable_outbound_messages"`
	UserPermissions         []string `yaml:"user_permissions"`
}

type dayHoursYAML struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

type permSetYAML struct {
	Name            string `yaml:"name"`
	UseAnyAPIClient bool   `yaml:"use_any_api_client"`
	// FieldPermissions maps Object.Field to none, read or edit.
	FieldPermissions map[string]string `yaml:"field_permissions"`
	// UserPermissions are the system permissions it grants, by Metadata API name.
	UserPermissions []string `yaml:"user_permissions"`
}

type userYAML struct {
	Username       string   `yaml:"username"`
	ID             string   `yaml:"id"`
	Email          string   `yaml:"email"`
	FirstName      string   `yaml:"first_name"`
	LastName       string   `yaml:"last_name"`
	Profile        string   `yaml:"profile"`
	PermissionSets []string `yaml:"permission_sets"`
	Active         *bool    `yaml:"active"`
	Frozen         bool     `yaml:"frozen"`
	ApprovedApps   []string `yaml:"approved_apps"`
	Password       string   `yaml:"password"`
	SecurityToken  string   `yaml:"security_token"`
}

type appYAML struct {
	Name           string     `yaml:"name"`
	Kind           string     `yaml:"kind"`
	ConsumerKey    string     `yaml:"consumer_key"`
	ConsumerSecret string     `yaml:"consumer_secret"`
	Certificate    string     `yaml:"certificate"`
	CertificatePEM string     `yaml:"certificate_pem"`
	JWTEnabled     *bool      `yaml:"jwt_enabled"`
	Installed      *bool      `yaml:"installed"`
	Scopes         []string   `yaml:"scopes"`
	Policy         policyYAML `yaml:"policy"`

	CallbackURLs            []string `yaml:"callback_urls"`
	RequirePKCE             bool     `yaml:"require_pkce"`
	RequireSecret           *bool    `yaml:"require_secret"`
	RequireSecretForRefresh *bool    `yaml:"require_secret_for_refresh"`
	ClientCredentials       bool     `yaml:"client_credentials"`
}

type policyYAML struct {
	PermittedUsers string   `yaml:"permitted_users"`
	Profiles       []string `yaml:"profiles"`
	PermissionSets []string `yaml:"permission_sets"`
	IPRelaxation   string   `yaml:"ip_relaxation"`
	SessionTimeout string   `yaml:"session_timeout"`
	// RefreshTokenPolicy is until_revoked (default), immediately,
	// expire_after or expire_if_unused; RefreshTokenValidity the N of the
	// last two.
	RefreshTokenPolicy   string `yaml:"refresh_token_policy"`
	RefreshTokenValidity string `yaml:"refresh_token_validity"`
	// RunAs is the username the client credentials flow runs as.
	RunAs string `yaml:"run_as"`
}

// Built-in profiles every org has, so a minimal fixture need not declare them.
var builtinProfiles = []string{"System Administrator", "Standard User", "Minimum Access - Salesforce"}

// ParsedFixture is one fixture turned into an Org, with the apps it declares
// (which the Store shares across orgs by consumer key).
type ParsedFixture struct {
	Org  *Org
	Apps []*App

	locate func(path string) (line, col int)
}

// ParseFixture reads and validates one org fixture. ids assigns sequence
// numbers so every loaded object gets a distinct, deterministic id.
func ParseFixture(src Source, ids *IDSequence, now time.Time) (pf *ParsedFixture, err error) {
	return parseFixture(src, ids, now, true)
}

// parseFixture is ParseFixture; fast false reads the records: section with
// the library too (tests compare the two).
func parseFixture(src Source, ids *IDSequence, now time.Time, fast bool) (pf *ParsedFixture, err error) {
	// The YAML library can panic on some malformed input (found by
	// FuzzFixture); a fixture must get an error, never crash the emulator.
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, &FixtureError{File: src.Name, Msg: fmt.Sprintf("malformed YAML the parser could not read (%v): check indentation and quoting", p)}
		}
	}()
	// The records: section read by the fast reader, the rest by the
	// library (fixture_yamlrecords.go); anything either declines or finds
	// wrong is read again the whole way, so its error is the library's.
	if fast && len(src.Data) <= safeyaml.DefaultMaxBytes {
		if pf, ok := parseFixtureFast(src, ids, now); ok {
			return pf.pf, pf.err
		}
	}
	// Checked against the YAML budget (aliases, merge keys, nesting, size)
	// before anything expands it.
	file, err := safeyaml.Parse(src.Name, src.Data)
	if err != nil {
		return nil, yamlError(src.Name, err)
	}
	var raw fixtureYAML
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, &FixtureError{File: src.Name, Msg: "want one YAML document with an org: section"}
	}
	if err := yaml.NodeToValue(file.Docs[0].Body, &raw, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(src.Name, err)
	}
	b := &fixtureBuilder{src: src, file: file, ids: ids, now: now}
	return b.build(&raw)
}

type fastParse struct {
	pf  *ParsedFixture
	err error
}

// parseFixtureFast is ParseFixture with the records: section read by the
// fast reader; ok is false where it, or the library reading the rest,
// declines or fails (the caller then reads the whole document as before,
// for the library's own error).
func parseFixtureFast(src Source, ids *IDSequence, now time.Time) (fastParse, bool) {
	fr, file, raw, ok := readFixtureFast(src)
	if !ok {
		return fastParse{}, false
	}
	b := &fixtureBuilder{src: src, file: file, ids: ids, now: now, fast: fr}
	pf, err := b.build(raw)
	return fastParse{pf, err}, true
}

// readFixtureFast reads src with the fast reader of records, the rest by
// the library; ok is false where either declines, fails or panics.
func readFixtureFast(src Source) (fr *fastRecords, file *ast.File, raw *fixtureYAML, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
		}
	}()
	fr, rest, ok := splitRecords(src.Data)
	if !ok {
		return nil, nil, nil, false
	}
	file, err := safeyaml.Parse(src.Name, rest)
	if err != nil || len(file.Docs) != 1 || file.Docs[0].Body == nil || !recordsKeyBlanked(file.Docs[0].Body, fr.line) {
		return nil, nil, nil, false
	}
	raw = &fixtureYAML{}
	if err := yaml.NodeToValue(file.Docs[0].Body, raw, yaml.DisallowUnknownField()); err != nil {
		return nil, nil, nil, false
	}
	raw.Records = fr.items()
	return fr, file, raw, true
}

// recordsKeyBlanked checks that the library read the document with the
// section blanked as the fast reader did: records: a key of the
// top-level mapping at the line it found, column 1, its value now null.
// (Were the line inside a quoted or block scalar, or a flow collection,
// the library would not have a key there.)
func recordsKeyBlanked(body ast.Node, line int) bool {
	m, ok := body.(*ast.MappingNode)
	if !ok {
		if mv, ok := body.(*ast.MappingValueNode); ok {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			return false
		}
	}
	found := false
	for _, mv := range m.Values {
		k, ok := mv.Key.(*ast.StringNode)
		if !ok || k.Value != "records" {
			if mv.Key != nil && mv.Key.GetToken() != nil && mv.Key.GetToken().Value == "records" {
				return false
			}
			continue
		}
		pos := k.GetToken().Position
		if found || pos.Line != line || pos.Column != 1 || k.GetToken().Type != token.StringType {
			return false
		}
		if _, null := mv.Value.(*ast.NullNode); !null {
			return false
		}
		found = true
	}
	return found
}

func yamlError(name string, err error) error {
	if se := (*safeyaml.Error)(nil); errors.As(err, &se) {
		return &FixtureError{File: se.File, Line: se.Line, Column: se.Column, Msg: se.Msg}
	}
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		msg := ye.GetMessage()
		if u := (*yaml.UnknownFieldError)(nil); errors.As(err, &u) {
			msg = "unknown key: " + strings.TrimPrefix(msg, "unknown field ")
		}
		return &FixtureError{File: name, Line: pos.Line, Column: pos.Column, Msg: msg}
	}
	return &FixtureError{File: name, Msg: err.Error()}
}

type fixtureBuilder struct {
	src  Source
	file *ast.File
	ids  *IDSequence
	org  *Org
	now  time.Time // when the fixture's records are created
	// fast is the records: section when the fast reader read it (file
	// then has it blanked): records' paths are located in it.
	fast *fastRecords

	runAs []runAsRef // policies' run_as users, resolved after the users
}

// errAt makes an error located at a YAML path such as "$.users[2].profile".
func (b *fixtureBuilder) errAt(path string, format string, args ...any) error {
	line, col := b.locate(path)
	return &FixtureError{File: b.src.Name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// isRecordsPath: path is $.records or under it.
func isRecordsPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "$.records")
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// errAtKey makes an error located at the key that ends path (say, the
// object name in "$.objects.Invoice"), not at its value.
func (b *fixtureBuilder) errAtKey(path string, format string, args ...any) error {
	if b.fast != nil && isRecordsPath(path) {
		if line, col, ok := b.fast.keyAt(path); ok {
			return &FixtureError{File: b.src.Name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
		}
		return b.errAt(path, format, args...)
	}
	parent, key := fixturedoc.ParentPath(path), path[strings.LastIndex(path, ".")+1:]
	if yp, err := yaml.PathString(parent); err == nil {
		if n, err := yp.FilterFile(b.file); err == nil {
			if m, ok := n.(*ast.MappingNode); ok {
				for _, mv := range m.Values {
					if mv.Key != nil && mv.Key.GetToken() != nil && mv.Key.GetToken().Value == key {
						pos := mv.Key.GetToken().Position
						return &FixtureError{File: b.src.Name, Line: pos.Line, Column: pos.Column, Msg: fmt.Sprintf(format, args...)}
					}
				}
			}
		}
	}
	return b.errAt(path, format, args...)
}

func (b *fixtureBuilder) locate(path string) (int, int) {
	if b.fast != nil && isRecordsPath(path) {
		if line, col, ok := b.fast.locate(path); ok {
			return line, col
		}
		// A path the fast reader's positions cannot answer: the library's
		// tree of the whole document can (slow, and only for an error).
		b.fast = nil
		file, err := safeyaml.Parse(b.src.Name, b.src.Data)
		if err != nil {
			return 0, 0
		}
		b.file = file
	}
	for p := path; p != "$" && p != ""; p = fixturedoc.ParentPath(p) {
		yp, err := yaml.PathString(p)
		if err != nil {
			continue
		}
		n, err := yp.FilterFile(b.file)
		if err != nil || n == nil || n.GetToken() == nil {
			continue
		}
		pos := n.GetToken().Position
		return pos.Line, pos.Column
	}
	return 0, 0
}

func (b *fixtureBuilder) build(raw *fixtureYAML) (*ParsedFixture, error) {
	o, err := b.buildOrg(raw)
	if err != nil {
		return nil, err
	}
	b.org = o
	if err := b.buildProfiles(raw.Profiles); err != nil {
		return nil, err
	}
	if err := b.buildPermissionSets(raw.PermissionSets); err != nil {
		return nil, err
	}
	pf := &ParsedFixture{Org: o, locate: b.locate}
	if err := b.buildApps(raw.Apps, pf); err != nil {
		return nil, err
	}
	if err := b.buildUsers(raw.Users, pf); err != nil {
		return nil, err
	}
	if err := b.resolveRunAs(); err != nil {
		return nil, err
	}
	o.loginHistory = newLoginHistory(o.Settings.LoginHistoryLimit)
	o.eventBus = newEventBus(0)
	schema, err := b.buildSchema(raw.Objects)
	if err != nil {
		return nil, err
	}
	o.Schema = schema
	if err := b.buildFieldPermissions(raw); err != nil {
		return nil, err
	}
	o.Data = newData(o, schema, b.ids)
	b.putSystemRecords(b.now)
	if err := b.loadRecords(raw.Records, b.now); err != nil {
		return nil, err
	}
	if err := b.buildOutbound(raw.OutboundMessages); err != nil {
		return nil, err
	}
	if err := b.buildAssignmentRules(raw.LeadAssignmentRules); err != nil {
		return nil, err
	}
	return pf, nil
}

func (b *fixtureBuilder) buildOrg(raw *fixtureYAML) (*Org, error) {
	r := raw.Org
	if strings.TrimSpace(r.Name) == "" {
		return nil, b.errAt("$.org", "org.name is required")
	}
	o := &Org{
		Name:              r.Name,
		Type:              Production,
		MyDomain:          strings.ToLower(r.MyDomain),
		SandboxName:       strings.ToLower(r.SandboxName),
		TimeZone:          time.UTC,
		OutboundSessionID: SessionIDRemoved,
		SessionTimeout:    DefaultSessionTimeout,
		ExtraAudiences:    r.ExtraAudiences,
		Profiles:          map[string]*Profile{},
		PermissionSets:    map[string]*PermissionSet{},
		Installations:     map[string]*Installation{},
		Source:            b.src.Name,
		Settings:          DefaultSettings(),
	}
	if r.ID != "" {
		id, err := ParseID(r.ID)
		if err != nil || id.Prefix() != PrefixOrganization {
			return nil, b.errAt("$.org.id", "org.id %q is not an organization id (15 or 18 characters starting with 00D)", r.ID)
		}
		o.ID = id
	} else {
		o.ID = b.ids.Next(PrefixOrganization)
	}
	if r.Type != "" {
		switch t := Type(strings.ToLower(r.Type)); t {
		case Production, Developer, Sandbox, Scratch:
			o.Type = t
		default:
			return nil, b.errAt("$.org.type", "org.type %q: want production, developer, sandbox or scratch", r.Type)
		}
	}
	o.Edition = EditionEnterprise
	if o.Type == Developer {
		o.Edition = EditionDeveloper
	}
	if r.Edition != "" {
		e := Edition(strings.ToLower(r.Edition))
		if !slices.Contains(editions, e) {
			var names []string
			for _, e := range editions {
				names = append(names, string(e))
			}
			return nil, b.errAt("$.org.edition", "org.edition %q: want %s", r.Edition, strings.Join(names, ", "))
		}
		o.Edition = e
	}
	o.APIAccess = o.Edition.HasAPIAccess()
	if r.APIAccess != nil {
		o.APIAccess = *r.APIAccess
	}
	if r.TimeZone != "" {
		loc, err := time.LoadLocation(r.TimeZone)
		if err != nil {
			return nil, b.errAt("$.org.time_zone", "org.time_zone %q is not a known time zone (use an IANA name such as Asia/Tokyo)", r.TimeZone)
		}
		o.TimeZone = loc
	}
	release := CurrentRelease
	if r.Release != "" {
		release = r.Release
	}
	rel, ok := LookupRelease(release)
	if !ok {
		return nil, b.errAt("$.org.release", "%s", releaseError(r.Release))
	}
	o.Release = rel
	releaseSettings(rel, &o.Settings, &o.OutboundSessionID)
	if r.OutboundSessionID != "" {
		switch e := SessionIDEra(strings.ToLower(r.OutboundSessionID)); e {
		case SessionIDLegacy, SessionIDRemoved:
			o.OutboundSessionID = e
		default:
			return nil, b.errAt("$.org.outbound_session_id", "org.outbound_session_id %q: want legacy (before the February 2026 change) or removed (after)", r.OutboundSessionID)
		}
	}
	var err error
	if o.SessionTimeout, err = b.duration("$.org.session_timeout", r.SessionTimeout, DefaultSessionTimeout); err != nil {
		return nil, err
	}
	for i, rg := range raw.NetworkAccess.TrustedIPRanges {
		r, err := b.ipRange(fmt.Sprintf("$.network_access.trusted_ip_ranges[%d]", i), rg)
		if err != nil {
			return nil, err
		}
		o.TrustedIPRanges = append(o.TrustedIPRanges, r)
	}
	if err := b.applySettings(&o.Settings, raw.Settings); err != nil {
		return nil, err
	}
	return o, nil
}

func (b *fixtureBuilder) applySettings(s *Settings, r settingsYAML) error {
	setBool := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setString := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setBool(&s.StrictCertificateExpiry, r.StrictCertificateExpiry)
	setBool(&s.LegacyApprovalError, r.LegacyApprovalError)
	setBool(&s.TokenResponseSignature, r.TokenResponseSignature)
	setBool(&s.ReuseSessions, r.ReuseSessions)
	setBool(&s.UsernamePasswordFlow, r.UsernamePasswordFlow)
	setBool(&s.TokenEndpointAudience, r.TokenEndpointAudience)
	switch h := EmulatorHost(strings.ToLower(r.EmulatorHost)); h {
	case "":
	case EmulatorHostMyDomain, EmulatorHostLogin:
		s.EmulatorHost = h
	default:
		return b.errAt("$.settings.emulator_host", "settings.emulator_host %q: want my_domain or login", r.EmulatorHost)
	}
	switch v := IntFractions(strings.ToLower(r.IntFractions)); v {
	case "":
	case IntFractionsReject, IntFractionsTruncate:
		s.IntFractions = v
	default:
		return b.errAt("$.settings.int_fractions", "settings.int_fractions %q: want reject or truncate", r.IntFractions)
	}
	setString(&s.IPRestrictedText, r.IPRestrictedText)
	setString(&s.UnknownUserText, r.UnknownUserText)
	setString(&s.InactiveUserText, r.InactiveUserText)
	setString(&s.FrozenUserText, r.FrozenUserText)
	setString(&s.RateLimitText, r.RateLimitText)
	if r.LoginRateLimitPerHour != nil {
		if *r.LoginRateLimitPerHour < 0 {
			return b.errAt("$.settings.login_rate_limit_per_hour", "settings.login_rate_limit_per_hour must be 0 (no limit) or more")
		}
		s.LoginRateLimitPerHour = *r.LoginRateLimitPerHour
	}
	if r.LoginHistoryLimit != nil {
		if *r.LoginHistoryLimit < 1 {
			return b.errAt("$.settings.login_history_limit", "settings.login_history_limit must be at least 1")
		}
		s.LoginHistoryLimit = *r.LoginHistoryLimit
	}
	var err error
	if s.AssertionClockSkew, err = b.duration("$.settings.assertion_clock_skew", r.AssertionClockSkew, 0); err != nil {
		return err
	}
	if s.MaxAssertionLifetime, err = b.duration("$.settings.max_assertion_lifetime", r.MaxAssertionLifetime, 0); err != nil {
		return err
	}
	if r.ClientIP != "" {
		a, err := netip.ParseAddr(r.ClientIP)
		if err != nil {
			return b.errAt("$.settings.client_ip", "settings.client_ip %q is not an IP address", r.ClientIP)
		}
		s.ClientIP = a.Unmap()
	}
	for _, v := range []struct {
		key, text string
		dst       *float64
	}{
		{"api_retired_below", r.APIRetiredBelow, &s.APIRetiredBelow},
		{"api_deprecated_below", r.APIDeprecatedBelow, &s.APIDeprecatedBelow},
		{"soap_login_max_version", r.SOAPLoginMaxVersion, &s.SOAPLoginMaxVersion},
	} {
		if v.text == "" {
			continue
		}
		f, err := strconv.ParseFloat(v.text, 64)
		if err != nil || f < 0 || f != float64(int(f)) {
			return b.errAt("$.settings."+v.key, "settings.%s %q is not an API version such as 31.0 (0: none)", v.key, v.text)
		}
		*v.dst = f
	}
	switch strings.ToLower(r.SOAPLogin) {
	case "":
	case SOAPLoginEnabled, SOAPLoginDisabled, SOAPLoginRetired:
		s.SOAPLogin = strings.ToLower(r.SOAPLogin)
	default:
		return b.errAt("$.settings.soap_login", "settings.soap_login %q: want enabled, disabled or retired", r.SOAPLogin)
	}
	setString(&s.APIRetiredText, r.APIRetiredText)
	setString(&s.APIDeprecatedWarning, r.APIDeprecatedWarning)
	setString(&s.SOAPLoginFaultCode, r.SOAPLoginFaultCode)
	setString(&s.SOAPLoginDisabledText, r.SOAPLoginDisabledText)
	setString(&s.SOAPLoginUnavailableText, r.SOAPLoginUnavailableText)
	setString(&s.SOAPLoginRetiredText, r.SOAPLoginRetiredText)
	setString(&s.SOAPInvalidSessionText, r.SOAPInvalidSessionText)
	setString(&s.APIDisabledRESTText, r.APIDisabledRESTText)
	setString(&s.APIDisabledSOAPOrgText, r.APIDisabledSOAPOrgText)
	setString(&s.APIDisabledSOAPUserText, r.APIDisabledSOAPUserText)
	setBool(&s.SOAPLoginChecksAPI, r.SOAPLoginChecksAPI)
	return nil
}

func (b *fixtureBuilder) duration(path, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, b.errAt(path, "%s %q is not a duration such as 15m, 2h or 24h", yamlKey(path), s)
	}
	return d, nil
}

func yamlKey(path string) string {
	return strings.TrimPrefix(path, "$.")
}

func (b *fixtureBuilder) ipRange(path string, r ipRangeYAML) (IPRange, error) {
	start, err := netip.ParseAddr(r.Start)
	if err != nil {
		return IPRange{}, b.errAt(path+".start", "%s.start %q is not an IP address", yamlKey(path), r.Start)
	}
	end, err := netip.ParseAddr(r.End)
	if err != nil {
		return IPRange{}, b.errAt(path+".end", "%s.end %q is not an IP address", yamlKey(path), r.End)
	}
	start, end = start.Unmap(), end.Unmap()
	if start.BitLen() != end.BitLen() {
		return IPRange{}, b.errAt(path, "%s mixes IPv4 and IPv6 addresses", yamlKey(path))
	}
	if end.Less(start) {
		return IPRange{}, b.errAt(path, "%s: start %s is after end %s", yamlKey(path), start, end)
	}
	return IPRange{Start: start, End: end}, nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func (b *fixtureBuilder) buildProfiles(raws []profileYAML) error {
	o := b.org
	for _, name := range builtinProfiles {
		o.Profiles[strings.ToLower(name)] = &Profile{ID: b.ids.Next(PrefixProfile), Name: name, UserPermissions: UserPermissions{PermAPIEnabled: true}}
	}
	declared := map[string]bool{}
	for i, r := range raws {
		path := fmt.Sprintf("$.profiles[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return b.errAt(path, "profiles[%d].name is required", i)
		}
		key := strings.ToLower(r.Name)
		if declared[key] {
			return b.errAt(path+".name", "profile %q is declared twice", r.Name)
		}
		declared[key] = true
		p := &Profile{ID: b.ids.Next(PrefixProfile), Name: r.Name}
		var err error
		if p.UserPermissions, err = b.profilePermissions(path, r); err != nil {
			return err
		}
		if p.SessionTimeout, err = b.duration(path+".session_timeout", r.SessionTimeout, 0); err != nil {
			return err
		}
		for j, rg := range r.LoginIPRanges {
			ipr, err := b.ipRange(fmt.Sprintf("%s.login_ip_ranges[%d]", path, j), rg)
			if err != nil {
				return err
			}
			p.LoginIPRanges = append(p.LoginIPRanges, ipr)
		}
		if r.LoginHours != nil {
			p.LoginHours = LoginHours{}
			for day, h := range r.LoginHours {
				wd, ok := weekdays[strings.ToLower(day)]
				hp := path + ".login_hours." + day
				if !ok {
					return b.errAt(hp, "login_hours: %q is not a weekday (monday … sunday)", day)
				}
				start, err1 := clockTime(h.Start)
				end, err2 := clockTime(h.End)
				if err1 != nil || err2 != nil || end <= start {
					return b.errAt(hp, "login_hours.%s: want start and end as HH:MM with start before end, got %q–%q", day, h.Start, h.End)
				}
				p.LoginHours[wd] = DayWindow{Start: start, End: end}
			}
		}
		o.Profiles[key] = p
	}
	return nil
}

// clockTime parses "HH:MM" (24:00 allowed) as an offset from midnight.
func clockTime(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func (b *fixtureBuilder) buildPermissionSets(raws []permSetYAML) error {
	for i, r := range raws {
		path := fmt.Sprintf("$.permission_sets[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return b.errAt(path, "permission_sets[%d].name is required", i)
		}
		key := strings.ToLower(r.Name)
		if _, dup := b.org.PermissionSets[key]; dup {
			return b.errAt(path+".name", "permission set %q is declared twice", r.Name)
		}
		perms, err := b.userPermissions(path, "permission set "+strconv.Quote(r.Name), r.UserPermissions)
		if err != nil {
			return err
		}
		if r.UseAnyAPIClient {
			perms[PermUseAnyAPIClient] = true
		}
		b.org.PermissionSets[key] = &PermissionSet{ID: b.ids.Next(PrefixPermSet), Name: r.Name, UserPermissions: perms}
	}
	return nil
}

// userPermissions reads a user_permissions list: Metadata API names sfemu
// knows, in any case.
func (b *fixtureBuilder) userPermissions(path, owner string, names []string) (UserPermissions, error) {
	perms := UserPermissions{}
	for j, name := range names {
		canonical, ok := UserPermissionName(name)
		if !ok {
			return nil, b.errAt(fmt.Sprintf("%s.user_permissions[%d]", path, j), "%s: user permission %q is not one sfemu knows (Metadata API names: %s)", owner, name, strings.Join(KnownUserPermissions(), ", "))
		}
		perms[canonical] = true
	}
	return perms, nil
}

// profilePermissions reads a profile's user_permissions, api_enabled
// (default true) and disable_outbound_messages; a checkbox turned off that
// the list turns on is an error.
func (b *fixtureBuilder) profilePermissions(path string, r profileYAML) (UserPermissions, error) {
	owner := "profile " + strconv.Quote(r.Name)
	perms, err := b.userPermissions(path, owner, r.UserPermissions)
	if err != nil {
		return nil, err
	}
	for _, c := range []struct {
		key, perm string
		v         *bool
		def       bool
	}{
		{"api_enabled", PermAPIEnabled, r.APIEnabled, true},
		{"disable_outbound_messages", PermDisableNotifications, r.DisableOutboundMessages, false},
	} {
		on := c.def
		if c.v != nil {
			on = *c.v
			if !on && perms[c.perm] {
				return nil, b.errAt(path+"."+c.key, "%s: %s is false but user_permissions lists %s: say it once", owner, c.key, c.perm)
			}
		}
		if on {
			perms[c.perm] = true
		}
	}
	return perms, nil
}

func (b *fixtureBuilder) profileNames() string {
	var names []string
	for _, p := range b.org.Profiles {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (b *fixtureBuilder) permSetNames() string {
	var names []string
	for _, p := range b.org.PermissionSets {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none declared"
	}
	return strings.Join(names, ", ")
}

func (b *fixtureBuilder) buildApps(raws []appYAML, pf *ParsedFixture) error {
	o := b.org
	for i, r := range raws {
		path := fmt.Sprintf("$.apps[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			return b.errAt(path, "apps[%d].name is required", i)
		}
		if strings.TrimSpace(r.ConsumerKey) == "" {
			return b.errAt(path, "app %q needs a consumer_key", r.Name)
		}
		for _, other := range pf.Apps {
			if other.ConsumerKey == r.ConsumerKey {
				return b.errAt(path+".consumer_key", "app %q has the same consumer_key as app %q", r.Name, other.Name)
			}
			if strings.EqualFold(other.Name, r.Name) {
				return b.errAt(path+".name", "app %q is declared twice", r.Name)
			}
		}
		app := &App{
			ID:             b.ids.Next(PrefixConnectedApp),
			Name:           r.Name,
			Kind:           ExternalClientApp,
			ConsumerKey:    r.ConsumerKey,
			ConsumerSecret: r.ConsumerSecret,
			Scopes:         r.Scopes,

			CallbackURLs:           r.CallbackURLs,
			RequirePKCE:            r.RequirePKCE,
			RequireSecretWebServer: r.RequireSecret == nil || *r.RequireSecret,
			RequireSecretRefresh:   r.RequireSecretForRefresh == nil || *r.RequireSecretForRefresh,
			ClientCredentials:      r.ClientCredentials,
		}
		if len(app.Scopes) == 0 {
			app.Scopes = []string{"api"}
		}
		for j, sc := range app.Scopes {
			if !KnownScope(sc) {
				return b.errAt(fmt.Sprintf("%s.scopes[%d]", path, j), "app %q: scope %q is not an OAuth scope Salesforce offers (%s)", r.Name, sc, strings.Join(ScopeNames(), ", "))
			}
		}
		for j, cb := range r.CallbackURLs {
			if u, err := url.Parse(cb); err != nil || u.Scheme == "" || u.Fragment != "" {
				return b.errAt(fmt.Sprintf("%s.callback_urls[%d]", path, j), "app %q: callback URL %q is not an absolute URL without a fragment", r.Name, cb)
			}
		}
		if r.ClientCredentials && r.ConsumerSecret == "" {
			return b.errAt(path+".client_credentials", "app %q enables the client credentials flow but has no consumer_secret", r.Name)
		}
		if r.Kind != "" {
			switch k := AppKind(strings.ToLower(r.Kind)); k {
			case ConnectedApp, ExternalClientApp:
				app.Kind = k
			default:
				return b.errAt(path+".kind", "app %q: kind %q: want external_client_app or connected_app", r.Name, r.Kind)
			}
		}
		if err := b.loadCertificate(path, r, app); err != nil {
			return err
		}
		app.JWTEnabled = app.Certificate != nil
		if r.JWTEnabled != nil {
			if *r.JWTEnabled && app.Certificate == nil {
				return b.errAt(path+".jwt_enabled", "app %q enables the JWT bearer flow but has no certificate", r.Name)
			}
			app.JWTEnabled = *r.JWTEnabled
		}
		pol, err := b.policy(path+".policy", r.Name, r.Policy)
		if err != nil {
			return err
		}
		pf.Apps = append(pf.Apps, app)
		if r.Installed == nil || *r.Installed {
			o.Installations[app.ConsumerKey] = &Installation{App: app, Org: o, Policy: pol}
			if r.Policy.RunAs != "" {
				b.runAs = append(b.runAs, runAsRef{path: path + ".policy.run_as", app: app, username: r.Policy.RunAs})
			}
		}
	}
	return nil
}

func (b *fixtureBuilder) loadCertificate(path string, r appYAML, app *App) error {
	var data []byte
	switch {
	case r.Certificate != "" && r.CertificatePEM != "":
		return b.errAt(path+".certificate", "app %q: give certificate (a file) or certificate_pem, not both", r.Name)
	case r.Certificate != "":
		if b.src.ReadFile == nil {
			return b.errAt(path+".certificate", "app %q: certificate %q cannot be read: this fixture has no directory", r.Name, r.Certificate)
		}
		var err error
		if data, err = b.src.ReadFile(r.Certificate); err != nil {
			return b.errAt(path+".certificate", "app %q: certificate %q is unreadable: %v", r.Name, r.Certificate, unwrapPathError(err))
		}
	case r.CertificatePEM != "":
		data = []byte(r.CertificatePEM)
	default:
		return nil
	}
	where := path + ".certificate"
	if r.CertificatePEM != "" {
		where = path + ".certificate_pem"
	}
	if len(data) > userfile.MaxPEM {
		what := "certificate_pem"
		if r.Certificate != "" {
			what = fmt.Sprintf("certificate %q", r.Certificate)
		}
		return b.errAt(where, "app %q: %s is larger than %s: name the certificate file (PEM), which is a few KiB", r.Name, what, userfile.Size(userfile.MaxPEM))
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return b.errAt(where, "app %q: %v", r.Name, err)
	}
	app.Certificate = cert
	app.PublicKey = cert.PublicKey.(*rsa.PublicKey)
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseCertificatePEM reads the X.509 certificate an app's JWT assertions
// are checked against. It must hold an RSA key, since Salesforce signs and
// verifies JWT bearer assertions with RS256.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if bytes.Contains(data, []byte("-----BEGIN")) {
				return nil, errors.New("no CERTIFICATE block found in the PEM data")
			}
			return nil, errors.New("not a certificate: no -----BEGIN CERTIFICATE----- block (give the .crt file, PEM-encoded)")
		}
		switch {
		case block.Type == "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the certificate is corrupt: %v", err)
			}
			if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
				return nil, fmt.Errorf("the certificate holds a %T key; JWT bearer needs RSA (RS256)", cert.PublicKey)
			}
			return cert, nil
		case strings.Contains(block.Type, "PRIVATE KEY"):
			return nil, errors.New("this is a private key, not a certificate: upload the certificate (.crt) to the app and keep the key with the client")
		}
	}
}

func (b *fixtureBuilder) policy(path, appName string, r policyYAML) (Policy, error) {
	pol := Policy{PermittedUsers: AdminApproved, IPRelaxation: IPEnforce}
	if r.PermittedUsers != "" {
		switch p := PermittedUsers(strings.ToLower(r.PermittedUsers)); p {
		case AdminApproved, AllUsers:
			pol.PermittedUsers = p
		default:
			return pol, b.errAt(path+".permitted_users", "app %q: permitted_users %q: want admin_approved or all_users", appName, r.PermittedUsers)
		}
	}
	if r.IPRelaxation != "" {
		switch ip := IPRelaxation(strings.ToLower(r.IPRelaxation)); ip {
		case IPEnforce, IPRelax, IPRelaxActivatedDevices, IPRelaxRefreshTokens:
			pol.IPRelaxation = ip
		default:
			return pol, b.errAt(path+".ip_relaxation", "app %q: ip_relaxation %q: want enforce, relax, relax_for_activated_devices or relax_for_refresh_tokens", appName, r.IPRelaxation)
		}
	}
	for j, name := range r.Profiles {
		p := b.org.Profile(name)
		if p == nil {
			return pol, b.errAt(fmt.Sprintf("%s.profiles[%d]", path, j), "app %q: policy names profile %q, which this org does not have (profiles: %s)", appName, name, b.profileNames())
		}
		pol.Profiles = append(pol.Profiles, p)
	}
	for j, name := range r.PermissionSets {
		ps := b.org.PermissionSet(name)
		if ps == nil {
			return pol, b.errAt(fmt.Sprintf("%s.permission_sets[%d]", path, j), "app %q: policy names permission set %q, which this org does not have (permission sets: %s)", appName, name, b.permSetNames())
		}
		pol.PermissionSets = append(pol.PermissionSets, ps)
	}
	var err error
	if pol.SessionTimeout, err = b.duration(path+".session_timeout", r.SessionTimeout, 0); err != nil {
		return pol, err
	}
	pol.RefreshTokens.Kind = RefreshUntilRevoked
	switch k := RefreshTokenKind(strings.ToLower(r.RefreshTokenPolicy)); k {
	case "", RefreshUntilRevoked, RefreshImmediately:
		if r.RefreshTokenValidity != "" {
			return pol, b.errAt(path+".refresh_token_validity", "app %q: refresh_token_validity goes with refresh_token_policy expire_after or expire_if_unused", appName)
		}
		if k != "" {
			pol.RefreshTokens.Kind = k
		}
	case RefreshExpireAfter, RefreshExpireIfUnused:
		pol.RefreshTokens.Kind = k
		if r.RefreshTokenValidity == "" {
			return pol, b.errAt(path+".refresh_token_policy", "app %q: refresh_token_policy %s needs refresh_token_validity (such as 720h)", appName, k)
		}
		if pol.RefreshTokens.For, err = b.duration(path+".refresh_token_validity", r.RefreshTokenValidity, 0); err != nil {
			return pol, err
		}
		if pol.RefreshTokens.For <= 0 {
			return pol, b.errAt(path+".refresh_token_validity", "app %q: refresh_token_validity must be more than 0", appName)
		}
	default:
		return pol, b.errAt(path+".refresh_token_policy", "app %q: refresh_token_policy %q: want until_revoked, immediately, expire_after or expire_if_unused", appName, r.RefreshTokenPolicy)
	}
	return pol, nil
}

// runAsRef is a policy's run_as, resolved once the users are built.
type runAsRef struct {
	path     string
	app      *App
	username string
}

func (b *fixtureBuilder) resolveRunAs() error {
	for _, ref := range b.runAs {
		var u *User
		for _, cand := range b.org.Users {
			if wire.SameUsername(cand.Username, ref.username) {
				u = cand
			}
		}
		if u == nil {
			return b.errAt(ref.path, "app %q: run_as %q is not a user of this org", ref.app.Name, ref.username)
		}
		b.org.Installations[ref.app.ConsumerKey].Policy.RunAs = u
	}
	return nil
}

func (b *fixtureBuilder) buildUsers(raws []userYAML, pf *ParsedFixture) error {
	o := b.org
	seen := map[string]int{}
	for i, r := range raws {
		path := fmt.Sprintf("$.users[%d]", i)
		if strings.TrimSpace(r.Username) == "" {
			return b.errAt(path, "users[%d].username is required", i)
		}
		if !strings.Contains(r.Username, "@") {
			return b.errAt(path+".username", "username %q is not in e-mail form (name@domain)", r.Username)
		}
		key := wire.UsernameKey(r.Username)
		if first, dup := seen[key]; dup {
			line, _ := b.locate(fmt.Sprintf("$.users[%d].username", first))
			return b.errAt(path+".username", "username %q is already used at line %d: usernames are unique across all orgs", r.Username, line)
		}
		seen[key] = i
		u := &User{
			Username:      r.Username,
			Email:         r.Email,
			FirstName:     r.FirstName,
			LastName:      r.LastName,
			Active:        r.Active == nil || *r.Active,
			Frozen:        r.Frozen,
			Org:           o,
			approvedApps:  map[string]bool{},
			Password:      r.Password,
			SecurityToken: r.SecurityToken,
		}
		if u.Email == "" {
			u.Email = r.Username
		}
		if u.LastName == "" {
			u.LastName = strings.SplitN(r.Username, "@", 2)[0]
		}
		if r.ID != "" {
			id, err := ParseID(r.ID)
			if err != nil || id.Prefix() != PrefixUser {
				return b.errAt(path+".id", "user %q: id %q is not a user id (15 or 18 characters starting with 005)", r.Username, r.ID)
			}
			u.ID = id
		} else {
			u.ID = b.ids.Next(PrefixUser)
		}
		u.boxedID = string(u.ID)
		profileName := r.Profile
		if profileName == "" {
			return b.errAt(path, "user %q needs a profile (profiles: %s)", r.Username, b.profileNames())
		}
		if u.Profile = o.Profile(profileName); u.Profile == nil {
			return b.errAt(path+".profile", "user %q: profile %q does not exist in org %q (profiles: %s)", r.Username, profileName, o.Name, b.profileNames())
		}
		for j, name := range r.PermissionSets {
			ps := o.PermissionSet(name)
			if ps == nil {
				return b.errAt(fmt.Sprintf("%s.permission_sets[%d]", path, j), "user %q: permission set %q does not exist in org %q (permission sets: %s)", r.Username, name, o.Name, b.permSetNames())
			}
			if !slices.Contains(u.PermissionSets, ps) {
				u.PermissionSets = append(u.PermissionSets, ps)
			}
		}
		for j, name := range r.ApprovedApps {
			app := findApp(pf.Apps, name)
			if app == nil {
				return b.errAt(fmt.Sprintf("%s.approved_apps[%d]", path, j), "user %q: approved app %q is not an app of this fixture (by name or consumer key)", r.Username, name)
			}
			u.approvedApps[app.ConsumerKey] = true
		}
		o.Users = append(o.Users, u)
	}
	return nil
}

func findApp(apps []*App, nameOrKey string) *App {
	for _, a := range apps {
		if a.ConsumerKey == nameOrKey || strings.EqualFold(a.Name, nameOrKey) {
			return a
		}
	}
	return nil
}
