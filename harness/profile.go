package harness

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/examples"
	"github.com/sfemu/sfemu/internal/safeyaml"
	"github.com/sfemu/sfemu/internal/userfile"
)

// Profile says what a receiver does that Salesforce can see: how it calls
// back, what a processed notification leaves in the org, how it answers
// when it cannot process one. Scenarios state their expectations through it
// (effect: applied) and their requires: lists are checked against it, so
// the shared catalogue tests any receiver, not one receiver's habits
// (docs/RECEIVERS.md).
type Profile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Receiver is how to run it; sfemu run's flags win.
	Receiver ProfileReceiver `yaml:"receiver"`
	// API is how it calls Salesforce back: rest or soap.
	API string `yaml:"api"`
	// Login is jwt, soap-login, or session-only (never migrated).
	Login string `yaml:"login"`
	// APIVersion is "from-message" (the PartnerUrl's version) or a fixed
	// version such as "60.0".
	APIVersion string `yaml:"api_version"`
	// UsesSessionID: it uses the message's SessionId when it has one.
	UsesSessionID bool `yaml:"uses_session_id"`
	// Effect is what a processed notification leaves in the org.
	Effect Effect `yaml:"effect"`
	// Unprocessable is its answer when it cannot process a notification:
	// fault, nack or ack.
	Unprocessable string `yaml:"unprocessable"`
	// FaultNamesCause: its faultstring names Salesforce's error
	// (invalid_app_access, REQUIRED_FIELD_MISSING…), so scenarios may check
	// the Delivery Failure Reason for it (deliveries.cause).
	FaultNamesCause bool `yaml:"fault_names_cause"`
	// Dedupes: a repeated Notification Id is processed once.
	Dedupes bool `yaml:"dedupes"`
	// ChecksOrgID: it refuses a message whose OrganizationId is not SF_ORG_ID.
	ChecksOrgID bool `yaml:"checks_org_id"`
	// Relogin: it logs in again once on INVALID_SESSION_ID.
	Relogin bool `yaml:"relogin_on_invalid_session"`
	// OrgPatch is merged into every scenario's org before the scenario's
	// patch: the fields the receiver writes, for example.
	OrgPatch map[string]any `yaml:"org_patch"`
	// Modes are named variants a scenario may need (the bundled receiver's
	// SOAP mode, say): overrides of the settings above, plus environment.
	Modes []Mode `yaml:"modes"`

	// Bundled marks sfemu's own receivers' profiles.
	Bundled bool `yaml:"-"`
	// File is where the profile came from; Mode the mode applied, if any.
	File string `yaml:"-"`
	Mode string `yaml:"-"`
}

// ProfileReceiver is how to run a receiver: where it is ready, where it
// takes messages, its port in a container and its environment.
type ProfileReceiver struct {
	Ready        string            `yaml:"ready"`
	EndpointPath string            `yaml:"endpoint_path"`
	Port         int               `yaml:"port"`
	Env          map[string]string `yaml:"env"`
}

// Effect is what a processed notification leaves in the org.
type Effect struct {
	// Kind is update (a field of the notified record), create (a record of
	// Object) or read (nothing).
	Kind   string `yaml:"kind"`
	Object string `yaml:"object"`
	Field  string `yaml:"field"`
	// Applied is SOQL, a template of {{.Object}} and {{.RecordID}}: a row
	// means the effect is on that record. Empty: the record's notification
	// was acknowledged.
	Applied string `yaml:"applied"`
}

// Mode is a named variant of a profile.
type Mode struct {
	Name            string            `yaml:"name"`
	API             *string           `yaml:"api"`
	Login           *string           `yaml:"login"`
	APIVersion      *string           `yaml:"api_version"`
	UsesSessionID   *bool             `yaml:"uses_session_id"`
	Effect          *Effect           `yaml:"effect"`
	Unprocessable   *string           `yaml:"unprocessable"`
	FaultNamesCause *bool             `yaml:"fault_names_cause"`
	Dedupes         *bool             `yaml:"dedupes"`
	ChecksOrgID     *bool             `yaml:"checks_org_id"`
	Relogin         *bool             `yaml:"relogin_on_invalid_session"`
	Env             map[string]string `yaml:"env"`
	OrgPatch        map[string]any    `yaml:"org_patch"`
}

// Profile values.
const (
	APIRest = "rest"
	APISOAP = "soap"

	LoginJWT         = "jwt"
	LoginSOAP        = "soap-login"
	LoginSessionOnly = "session-only"

	EffectUpdate = "update"
	EffectCreate = "create"
	EffectRead   = "read"
	// EffectPublish: the receiver publishes a platform event (Object, an
	// __e) whose Field holds the notified record's id.
	EffectPublish = "publish"

	AnswerFault = "fault"
	AnswerNack  = "nack"
	AnswerAck   = "ack"

	VersionFromMessage = "from-message"
)

// MinimalProfile is what the harness assumes of a receiver it knows nothing
// about: it calls REST after a JWT login and does nothing Salesforce can
// check but acknowledge; scenarios that need more are skipped.
func MinimalProfile() *Profile {
	return &Profile{Name: "minimal (no --profile given)", API: APIRest, Login: LoginJWT, APIVersion: "60.0",
		Effect: Effect{Kind: EffectRead}, Unprocessable: AnswerFault}
}

// BundledProfile is the Go example receiver's profile
// (examples/receiver/profile.yaml).
func BundledProfile() *Profile {
	bundledOnce.Do(func() {
		p, err := ParseProfile("examples/receiver/profile.yaml", examples.ReceiverProfile)
		if err != nil {
			panic(err) // a test keeps it valid
		}
		p.Bundled = true
		bundled = p
	})
	return bundled
}

var (
	bundledOnce sync.Once
	bundled     *Profile
)

// LoadProfile reads and checks a profile file; errors name file:line. The
// bundled receiver's own file counts as bundled.
func LoadProfile(path string) (*Profile, error) {
	data, err := userfile.Read(path, userfile.MaxYAML)
	if err != nil {
		return nil, err
	}
	p, err := ParseProfile(path, data)
	if err == nil && bytes.Equal(data, examples.ReceiverProfile) {
		p.Bundled = true
	}
	return p, err
}

// ParseProfile parses a profile.
func ParseProfile(name string, data []byte) (p *Profile, err error) {
	defer func() {
		if r := recover(); r != nil { // the YAML library can panic on malformed input
			p, err = nil, &LoadError{File: name, Msg: fmt.Sprintf("malformed YAML (%v)", r)}
		}
	}()
	file, err := safeyaml.Parse(name, data)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, &LoadError{File: name, Msg: "want one YAML document: a receiver profile (docs/RECEIVERS.md)"}
	}
	p = &Profile{File: name}
	if err := yaml.NodeToValue(file.Docs[0].Body, p, yaml.DisallowUnknownField()); err != nil {
		return nil, yamlError(name, err)
	}
	at := func(path, format string, args ...any) error {
		return &LoadError{File: name, Line: lineOf(file, path), Msg: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(p.Name) == "" {
		return nil, at("$", "name is required")
	}
	p.defaults()
	if err := p.check(func(key, format string, args ...any) error { return at("$."+key, format, args...) }); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, m := range p.Modes {
		path := fmt.Sprintf("$.modes[%d]", i)
		if m.Name == "" {
			return nil, at(path, "modes[%d]: a mode needs a name", i)
		}
		if seen[m.Name] {
			return nil, at(path+".name", "mode %q is given twice", m.Name)
		}
		seen[m.Name] = true
		applied := p.WithMode(m.Name)
		if err := applied.check(func(key, format string, args ...any) error {
			return at(path+"."+key, "mode %s: "+format, append([]any{m.Name}, args...)...)
		}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Profile) defaults() {
	if p.API == "" {
		p.API = APIRest
	}
	if p.Login == "" {
		p.Login = LoginJWT
	}
	if p.APIVersion == "" {
		p.APIVersion = VersionFromMessage
	}
	if p.Effect.Kind == "" {
		p.Effect.Kind = EffectRead
	}
	if p.Unprocessable == "" {
		p.Unprocessable = AnswerFault
	}
}

// check names the first setting that is not one of its values.
func (p *Profile) check(at func(key, format string, args ...any) error) error {
	for _, c := range []struct {
		key, value string
		allowed    []string
	}{
		{"api", p.API, []string{APIRest, APISOAP}},
		{"login", p.Login, []string{LoginJWT, LoginSOAP, LoginSessionOnly}},
		{"effect.kind", p.Effect.Kind, []string{EffectUpdate, EffectCreate, EffectRead, EffectPublish}},
		{"unprocessable", p.Unprocessable, []string{AnswerFault, AnswerNack, AnswerAck}},
	} {
		if !slices.Contains(c.allowed, c.value) {
			return at(c.key, "%s %q: want %s", c.key, c.value, strings.Join(c.allowed, ", "))
		}
	}
	if v := p.APIVersion; v != VersionFromMessage && !versionPattern(v) {
		return at("api_version", "api_version %q: want from-message or a version such as 60.0", v)
	}
	switch p.Effect.Kind {
	case EffectCreate:
		if p.Effect.Object == "" || p.Effect.Applied == "" {
			return at("effect", "effect create needs the object it creates and the applied query that finds it")
		}
	case EffectUpdate:
		if p.Effect.Field == "" || p.Effect.Applied == "" {
			return at("effect", "effect update needs the field it writes and the applied query that sees it")
		}
	case EffectPublish:
		if !strings.HasSuffix(p.Effect.Object, "__e") || p.Effect.Field == "" || p.Effect.Applied != "" {
			return at("effect", "effect publish needs the platform event it publishes (object, an __e) and the event field that holds the record's id (field); events are not queryable, so no applied query")
		}
	}
	if p.Effect.Applied != "" {
		if _, err := p.Effect.appliedQuery("Account", "001000000000000AAA"); err != nil {
			return at("effect.applied", "effect.applied: %v", err)
		}
	}
	if r := p.Receiver.Ready; r != "" && !strings.HasPrefix(r, "/") && !strings.HasPrefix(r, "log:") {
		return at("receiver.ready", "receiver.ready %q: want a path (/health) or log:TEXT", r)
	}
	if e := p.Receiver.EndpointPath; e != "" && !strings.HasPrefix(e, "/") {
		return at("receiver.endpoint_path", "receiver.endpoint_path %q: want a path such as /outbound", e)
	}
	if n := p.Receiver.Port; n < 0 || n > 65535 {
		return at("receiver.port", "receiver.port %d is not a port", n)
	}
	return nil
}

func versionPattern(v string) bool {
	var major, minor int
	n, err := fmt.Sscanf(v, "%d.%d", &major, &minor)
	return err == nil && n == 2 && fmt.Sprintf("%d.%d", major, minor) == v
}

// appliedQuery renders the effect's SOQL for one record.
func (e Effect) appliedQuery(object, recordID string) (string, error) {
	t, err := template.New("applied").Option("missingkey=error").Parse(e.Applied)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct{ Object, RecordID string }{object, recordID}); err != nil {
		return "", err
	}
	return b.String(), nil
}

// WithMode is the profile with a mode's overrides; "" is the profile.
func (p *Profile) WithMode(name string) *Profile {
	out := *p
	if name == "" {
		return &out
	}
	for _, m := range p.Modes {
		if m.Name != name {
			continue
		}
		out.Mode = name
		setIf(&out.API, m.API)
		setIf(&out.Login, m.Login)
		setIf(&out.APIVersion, m.APIVersion)
		setIf(&out.UsesSessionID, m.UsesSessionID)
		setIf(&out.Effect, m.Effect)
		setIf(&out.Unprocessable, m.Unprocessable)
		setIf(&out.FaultNamesCause, m.FaultNamesCause)
		setIf(&out.Dedupes, m.Dedupes)
		setIf(&out.ChecksOrgID, m.ChecksOrgID)
		setIf(&out.Relogin, m.Relogin)
		out.Receiver.Env = mergeEnv(p.Receiver.Env, m.Env)
		if m.OrgPatch != nil {
			merged, _ := fixturedoc.Merge(fixturedoc.Ordered(p.OrgPatch), fixturedoc.Ordered(m.OrgPatch), "org_patch")
			out.OrgPatch = orderedToMap(merged)
		}
	}
	return &out
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func mergeEnv(layers ...map[string]string) map[string]string {
	var out map[string]string
	for _, l := range layers {
		for k, v := range l {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// orderedToMap turns a merged patch back into plain maps.
func orderedToMap(v any) map[string]any {
	m, _ := plain(v).(map[string]any)
	return m
}

func plain(v any) any {
	switch x := v.(type) {
	case yaml.MapSlice:
		out := map[string]any{}
		for _, it := range x {
			out[fmt.Sprint(it.Key)] = plain(it.Value)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// Requirements a scenario may name in requires: (docs/RECEIVERS.md).
var requirementNames = []string{
	"api:rest", "api:soap",
	"login:jwt", "login:soap-login", "login:session-only",
	"effect:update", "effect:create", "effect:read", "effect:publish",
	"uses-session-id", "dedupes", "checks-org-id", "relogin", "version-from-message",
	"retries-failures", "stoppable", "configurable", "virtual-clock", "bundled-receiver",
}

// runEnv is what, besides the profile, decides whether a scenario applies:
// how the receiver runs, and whether the emulator's clock can be moved.
type runEnv struct {
	kind      receiverKind
	realClock bool // a running sfemu (--emulator) on the real clock
}

func kindText(reqs []string) string {
	var verbs []string
	if slices.Contains(reqs, "stoppable") {
		verbs = append(verbs, "stop and start")
	}
	if slices.Contains(reqs, "configurable") {
		verbs = append(verbs, "give its own environment")
	}
	return strings.Join(verbs, " and ")
}

// receiverKind is how the harness runs the receiver: what it can do to it.
type receiverKind int

const (
	kindProcess receiverKind = iota
	kindContainer
	kindURL
)

// offers reports whether the profile, run in env, meets one requirement.
func (p *Profile) offers(req string, env runEnv) bool {
	if what, value, ok := strings.Cut(req, ":"); ok {
		switch what {
		case "api":
			return p.API == value
		case "login":
			return p.Login == value
		case "effect":
			return p.Effect.Kind == value
		}
		return false
	}
	switch req {
	case "uses-session-id":
		return p.UsesSessionID
	case "dedupes":
		return p.Dedupes
	case "checks-org-id":
		return p.ChecksOrgID
	case "relogin":
		return p.Relogin
	case "version-from-message":
		return p.APIVersion == VersionFromMessage
	case "retries-failures":
		return p.Unprocessable == AnswerFault || p.Unprocessable == AnswerNack
	case "stoppable", "configurable":
		return env.kind != kindURL
	case "virtual-clock":
		return !env.realClock
	case "bundled-receiver":
		return p.Bundled
	}
	return false
}

// resolve picks, for what a scenario requires, the profile itself or the
// first of its modes that offers everything; otherwise it says why the
// scenario does not apply.
func (p *Profile) resolve(reqs []string, env runEnv) (*Profile, string) {
	missing := func(q *Profile) []string {
		var out []string
		for _, r := range reqs {
			if !q.offers(r, env) {
				out = append(out, r)
			}
		}
		return out
	}
	base := missing(p)
	if len(base) == 0 {
		return p.WithMode(""), ""
	}
	for _, m := range p.Modes {
		q := p.WithMode(m.Name)
		if len(missing(q)) == 0 {
			return q, ""
		}
	}
	var ofProfile, ofKind []string
	clock := false
	for _, r := range base {
		switch r {
		case "stoppable", "configurable":
			ofKind = append(ofKind, r)
		case "virtual-clock":
			clock = true
		default:
			ofProfile = append(ofProfile, r)
		}
	}
	sort.Strings(ofProfile)
	var parts []string
	if len(ofProfile) > 0 {
		parts = append(parts, fmt.Sprintf("needs %s, which profile %q does not offer", strings.Join(ofProfile, ", "), p.Name))
	}
	if len(ofKind) > 0 {
		parts = append(parts, fmt.Sprintf("needs a receiver the harness can %s: a url: receiver runs elsewhere", kindText(ofKind)))
	}
	if clock {
		parts = append(parts, "moves the emulator's clock, and the sfemu it drives runs on the real clock (start it with --clock virtual)")
	}
	return nil, strings.Join(parts, "; ")
}
