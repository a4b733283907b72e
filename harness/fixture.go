package harness

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/wire"
)

// identityKeys name the key that identifies an item of a list, for merging
// a patch list into a fixture list item by item.
var identityKeys = []string{"name", "username", "_ref"}

// orgFixture builds the org fixture for one phase: the scenario's fixture,
// its patch merged in, the phase's session-ID era, and every outbound
// message pointed at the receiver (unless the patch gives the endpoint as a
// template, e.g. "{{.ReceiverURL}}/wrong-path"). The certificates it names
// travel with it, so an emulator in another process or container can load
// it as it is.
func (sc *Scenario) orgFixture(phase string, vars *templateVars, profilePatch map[string]any) (wire.Fixture, *fixtureOrigin, error) {
	var data []byte
	var readFile func(string) ([]byte, error)
	name := sc.Org.Fixture
	if name == "default" {
		def := fixtures.DefaultOrg()
		data, readFile = def.Data, def.ReadFile
	} else {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(sc.File), path)
		}
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return wire.Fixture{}, nil, sc.errAt("$.org.fixture", "org.fixture: %v", err)
		}
		dir := filepath.Dir(path)
		readFile = func(rel string) ([]byte, error) {
			if !filepath.IsAbs(rel) {
				rel = filepath.Join(dir, rel)
			}
			return os.ReadFile(rel)
		}
		name = path
	}
	var doc yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.UseOrderedMap()); err != nil {
		return wire.Fixture{}, nil, fmt.Errorf("%s: %v", name, err)
	}
	original := toOrderedCopy(doc)
	// The receiver's profile patches first (the fields it writes), then the
	// scenario, whose patch may name the profile's fields by template.
	withProfile, err := mergeValue(doc, toOrdered(profilePatch), "the profile's org_patch")
	if err != nil {
		return wire.Fixture{}, nil, fmt.Errorf("%s: %v", name, err)
	}
	patch, err := renderPatch(toOrdered(sc.Org.Patch), vars)
	if err != nil {
		return wire.Fixture{}, nil, sc.errAt("$.org.patch", "%v", err)
	}
	merged, err := mergeValue(withProfile, patch, "patch")
	if err != nil {
		return wire.Fixture{}, nil, sc.errAt("$.org.patch", "%v", err)
	}
	doc = merged.(yaml.MapSlice)
	// The phase is a release: it decides the org's dated changes, the
	// session-ID era among them, whatever the fixture said of the era.
	rel, _ := org.LookupRelease(phase)
	doc = setPath(doc, []string{"org", "release"}, rel.Name)
	doc = deletePath(doc, []string{"org", "outbound_session_id"})
	if err := pointOutbound(doc, vars); err != nil {
		return wire.Fixture{}, nil, sc.errAt("$.org.patch", "%v", err)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return wire.Fixture{}, nil, err
	}
	fx := wire.Fixture{Name: fmt.Sprintf("%s (patched by %s, %s phase)", name, filepath.Base(sc.File), phase), YAML: string(out), Files: map[string]string{}}
	origin := &fixtureOrigin{sc: sc, fixtureName: name, fixtureData: data, fixtureDoc: original, patch: patch,
		generated: fx.YAML, generatedAs: fx.Name}
	var gen yaml.MapSlice
	if yaml.UnmarshalWithOptions(out, &gen, yaml.UseOrderedMap()) == nil {
		origin.generatedDoc = gen
	}
	for _, ref := range certificateRefs(doc) {
		// A certificate that cannot be read is left out: the emulator then
		// reports it at its line in the fixture.
		if data, err := readFile(ref); err == nil {
			fx.Files[ref] = string(data)
		}
	}
	return fx, origin, nil
}

// toOrderedCopy decodes a fixture again, so later merges cannot touch it.
func toOrderedCopy(doc yaml.MapSlice) any {
	text, err := yaml.Marshal(doc)
	if err != nil {
		return nil
	}
	var out yaml.MapSlice
	if yaml.UnmarshalWithOptions(text, &out, yaml.UseOrderedMap()) != nil {
		return nil
	}
	return out
}

// renderPatch renders the templates in a patch's keys and values
// ({{.Profile.Effect.Field}}), except endpoint_url values, which
// pointOutbound renders: a templated endpoint is what keeps it from being
// pointed at the receiver.
func renderPatch(v any, vars *templateVars) (any, error) {
	switch x := v.(type) {
	case yaml.MapSlice:
		out := make(yaml.MapSlice, 0, len(x))
		for _, it := range x {
			key := fmt.Sprint(it.Key)
			if strings.Contains(key, "{{") {
				rendered, err := vars.render(key)
				if err != nil {
					return nil, err
				}
				key = rendered
			}
			value := it.Value
			if key != "endpoint_url" {
				var err error
				if value, err = renderPatch(value, vars); err != nil {
					return nil, err
				}
			}
			out = append(out, yaml.MapItem{Key: key, Value: value})
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = renderPatch(e, vars); err != nil {
				return nil, err
			}
		}
		return out, nil
	case string:
		if strings.Contains(x, "{{") {
			return vars.render(x)
		}
	}
	return v, nil
}

// certificateRefs are the files a fixture names: its apps' certificates.
func certificateRefs(doc yaml.MapSlice) []string {
	var refs []string
	apps, _ := lookup(doc, "apps").([]any)
	for _, a := range apps {
		if am, ok := a.(yaml.MapSlice); ok {
			if c, ok := lookup(am, "certificate").(string); ok && c != "" {
				refs = append(refs, c)
			}
		}
	}
	return refs
}

// toOrdered turns a decoded patch into ordered maps, sorting keys so a
// patch applies the same way every run.
func toOrdered(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := yaml.MapSlice{}
		for _, k := range keys {
			out = append(out, yaml.MapItem{Key: k, Value: toOrdered(x[k])})
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toOrdered(e)
		}
		return out
	}
	return v
}

func mergeValue(base, patch any, where string) (any, error) {
	switch p := patch.(type) {
	case nil:
		return base, nil
	case yaml.MapSlice:
		b, ok := base.(yaml.MapSlice)
		if !ok {
			if base != nil {
				return nil, fmt.Errorf("%s: the fixture has a %T here, the patch a mapping", where, base)
			}
			b = yaml.MapSlice{}
		}
		out := append(yaml.MapSlice{}, b...)
		for _, item := range p {
			k := fmt.Sprint(item.Key)
			found := false
			for i := range out {
				if fmt.Sprint(out[i].Key) == k {
					v, err := mergeValue(out[i].Value, item.Value, where+"."+k)
					if err != nil {
						return nil, err
					}
					out[i].Value = v
					found = true
					break
				}
			}
			if !found {
				out = append(out, yaml.MapItem{Key: k, Value: stripDelete(item.Value)})
			}
		}
		return out, nil
	case []any:
		b, _ := base.([]any)
		if !namedList(p) {
			return stripDelete(p), nil
		}
		out := append([]any{}, b...)
		for _, item := range p {
			pm := item.(yaml.MapSlice)
			key, id := identity(pm)
			idx := -1
			for i, e := range out {
				if em, ok := e.(yaml.MapSlice); ok {
					if k2, id2 := identity(em); k2 == key && strings.EqualFold(id2, id) {
						idx = i
						break
					}
				}
			}
			if isDelete(pm) {
				if idx < 0 {
					return nil, fmt.Errorf("%s: no item with %s %q to delete", where, key, id)
				}
				out = append(out[:idx], out[idx+1:]...)
				continue
			}
			if idx < 0 {
				out = append(out, stripDelete(pm))
				continue
			}
			v, err := mergeValue(out[idx], pm, fmt.Sprintf("%s[%s=%s]", where, key, id))
			if err != nil {
				return nil, err
			}
			out[idx] = v
		}
		return out, nil
	}
	return patch, nil
}

// namedList reports whether every item of a patch list is a mapping with
// an identity key, so it merges item by item.
func namedList(items []any) bool {
	if len(items) == 0 {
		return false
	}
	for _, it := range items {
		m, ok := it.(yaml.MapSlice)
		if !ok {
			return false
		}
		if k, _ := identity(m); k == "" {
			return false
		}
	}
	return true
}

func identity(m yaml.MapSlice) (string, string) {
	for _, key := range identityKeys {
		for _, it := range m {
			if fmt.Sprint(it.Key) == key {
				return key, fmt.Sprint(it.Value)
			}
		}
	}
	return "", ""
}

func isDelete(m yaml.MapSlice) bool {
	for _, it := range m {
		if fmt.Sprint(it.Key) == "_delete" {
			b, _ := it.Value.(bool)
			return b
		}
	}
	return false
}

func stripDelete(v any) any {
	m, ok := v.(yaml.MapSlice)
	if !ok {
		return v
	}
	out := yaml.MapSlice{}
	for _, it := range m {
		if fmt.Sprint(it.Key) != "_delete" {
			out = append(out, it)
		}
	}
	return out
}

func setPath(doc yaml.MapSlice, path []string, value any) yaml.MapSlice {
	for i := range doc {
		if fmt.Sprint(doc[i].Key) != path[0] {
			continue
		}
		if len(path) == 1 {
			doc[i].Value = value
			return doc
		}
		sub, _ := doc[i].Value.(yaml.MapSlice)
		doc[i].Value = setPath(sub, path[1:], value)
		return doc
	}
	if len(path) == 1 {
		return append(doc, yaml.MapItem{Key: path[0], Value: value})
	}
	return append(doc, yaml.MapItem{Key: path[0], Value: setPath(nil, path[1:], value)})
}

func deletePath(doc yaml.MapSlice, path []string) yaml.MapSlice {
	for i := range doc {
		if fmt.Sprint(doc[i].Key) != path[0] {
			continue
		}
		if len(path) == 1 {
			return append(doc[:i:i], doc[i+1:]...)
		}
		if sub, ok := doc[i].Value.(yaml.MapSlice); ok {
			doc[i].Value = deletePath(sub, path[1:])
		}
		return doc
	}
	return doc
}

func lookup(doc yaml.MapSlice, key string) any {
	for _, it := range doc {
		if fmt.Sprint(it.Key) == key {
			return it.Value
		}
	}
	return nil
}

// pointOutbound sends every outbound message to the receiver's endpoint; an
// endpoint_url written as a template is rendered instead.
func pointOutbound(doc yaml.MapSlice, vars *templateVars) error {
	msgs, _ := lookup(doc, "outbound_messages").([]any)
	for _, m := range msgs {
		mm, ok := m.(yaml.MapSlice)
		if !ok {
			continue
		}
		for i := range mm {
			if fmt.Sprint(mm[i].Key) != "endpoint_url" {
				continue
			}
			url := fmt.Sprint(mm[i].Value)
			if strings.Contains(url, "{{") {
				// The emulator sends there: {{.EmulatorURL}} is how it
				// reaches itself.
				self := *vars
				if self.EmulatorSelf != "" {
					self.EmulatorURL = self.EmulatorSelf
				}
				rendered, err := self.render(url)
				if err != nil {
					return err
				}
				mm[i].Value = rendered
			} else {
				mm[i].Value = vars.Endpoint
			}
		}
	}
	return nil
}

// templateVars are what receiver env values and templated endpoints may use.
type templateVars struct {
	EmulatorURL  string // the emulator's base URL: token endpoint host and instance
	ReceiverHost string // where a process receiver listens: 127.0.0.1, or Options.ReceiverHost
	ReceiverURL  string // the receiver's base URL, http://ReceiverHost:PORT
	// EmulatorSelf is how the emulator reaches itself: {{.EmulatorURL}} in
	// an outbound endpoint means this (the same, unless the emulator runs
	// in a container).
	EmulatorSelf  string
	Endpoint      string // where outbound messages go
	Port          int    // the receiver's port on this machine
	ContainerPort int    // the port a container receiver listens on inside its container
	Phase         string // the phase: legacy, removed or a release name
	APIVersion    string // the newest API version of the phase's release the emulator serves: 65.0, 66.0
	OrgID         string // the scenario org's 18-character id
	Username      string // the user to send as of the first outbound message
	ConsumerKey   string // the first app with a certificate installed in the org
	Audience      string // the org type's login audience
	MyDomainHost  string // the org's My Domain host name (acme.my.salesforce.com), if it has one
	KeysDir       string // fixtures/keys, absolute
	KeyFile       string // KeysDir/server.key
	// Profile is the receiver's (with its mode): {{.Profile.Effect.Field}}
	// in a patch names the field the receiver writes.
	Profile *Profile
}

func (v *templateVars) render(text string) (string, error) {
	t, err := template.New("v").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %q: %v", text, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("template %q: %v", text, err)
	}
	return b.String(), nil
}

// findKeysDir locates fixtures/keys from the working directory upwards.
func findKeysDir() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, "fixtures", "keys", "server.key")); err == nil && !st.IsDir() {
			return filepath.Join(d, "fixtures", "keys")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
