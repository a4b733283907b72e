package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator/metadata"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/internal/userfile"
	"github.com/sfemu/sfemu/wire"
)

// orgFixture builds the org fixture for one phase: the scenario's fixture,
// its patch merged in, the phase's session-ID era, and every outbound
// message pointed at the receiver (unless the patch gives the endpoint as a
// template, e.g. "{{.ReceiverURL}}/wrong-path"). The certificates and CSV
// files of records it names travel with it, so an emulator in another process or container can load
// it as it is.
func (sc *Scenario) orgFixture(phase string, vars *templateVars, profilePatch map[string]any) (wire.Fixture, *fixturedoc.Trace, error) {
	name, data, readFile, err := sc.fixtureFile()
	if err != nil {
		return wire.Fixture{}, nil, err
	}
	var doc yaml.MapSlice
	if data != nil {
		if doc, err = fixturedoc.Decode(name, data); err != nil {
			return wire.Fixture{}, nil, err
		}
	}
	original := fixturedoc.Copy(doc)
	var layers []fixturedoc.Layer
	if len(sc.Org.Metadata) > 0 {
		// Setup read from metadata is the bottom layer; the fixture, the
		// profile's patch and the scenario's lie over it.
		var dirs []string
		for _, d := range sc.Org.Metadata {
			if !filepath.IsAbs(d) {
				d = filepath.Join(filepath.Dir(sc.File), d)
			}
			dirs = append(dirs, d)
		}
		res, err := metadata.Read(dirs...)
		if err != nil {
			return wire.Fixture{}, nil, sc.errAt("$.org.metadata", "org.metadata: %v", err)
		}
		merged, err := fixturedoc.Merge(fixturedoc.Copy(res.Doc), doc, name)
		if err != nil {
			return wire.Fixture{}, nil, err
		}
		doc = merged.(yaml.MapSlice)
		layers = append(layers, res.Layer())
		if data == nil {
			name = "metadata " + sc.Org.Metadata[0]
		}
	}
	// The receiver's profile patches first (the fields it writes), then the
	// scenario, whose patch may name the profile's fields by template.
	withProfile, err := fixturedoc.Merge(doc, fixturedoc.Ordered(profilePatch), "the profile's org_patch")
	if err != nil {
		return wire.Fixture{}, nil, fmt.Errorf("%s: %v", name, err)
	}
	patch, err := renderPatch(fixturedoc.Ordered(sc.Org.Patch), vars)
	if err != nil {
		return wire.Fixture{}, nil, sc.errAt("$.org.patch", "%v", err)
	}
	merged, err := fixturedoc.Merge(withProfile, patch, "patch")
	if err != nil {
		return wire.Fixture{}, nil, sc.errAt("$.org.patch", "%v", err)
	}
	doc = merged.(yaml.MapSlice)
	// The phase is a release: it decides the org's dated changes, the
	// session-ID era among them, whatever the fixture said of the era.
	rel, _ := org.LookupRelease(phase)
	doc = fixturedoc.SetPath(doc, []string{"org", "release"}, rel.Name)
	doc = fixturedoc.DeletePath(doc, []string{"org", "outbound_session_id"})
	if err := pointOutbound(doc, vars); err != nil {
		return wire.Fixture{}, nil, sc.errAt("$.org.patch", "%v", err)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return wire.Fixture{}, nil, err
	}
	fx := wire.Fixture{Name: fmt.Sprintf("%s (patched by %s, %s phase)", name, filepath.Base(sc.File), phase), YAML: string(out), Files: map[string]string{}}
	trace := &fixturedoc.Trace{Generated: fx.YAML, GeneratedAs: fx.Name, Layers: append([]fixturedoc.Layer{
		sc.patchLayer(patch, name),
		fixturedoc.FileLayer(name, data, original, "(patched by "+sc.File+")"),
	}, layers...)}
	for _, ref := range fileRefs(doc) {
		// A file that is missing is left out: the emulator then reports it
		// at its line in the fixture. One that is there but not a file
		// sfemu reads (/dev/zero, a directory, too large) is reported
		// here, since the emulator only learns it was not sent.
		data, err := readFile(ref.path)
		switch {
		case err == nil:
			fx.Files[ref.path] = string(data)
		case errors.Is(err, userfile.ErrNotRegular) || errors.Is(err, userfile.ErrTooLarge):
			return wire.Fixture{}, nil, fmt.Errorf("%s: %s %q: %w", name, ref.what, ref.path, err)
		}
	}
	return fx, trace, nil
}

// fixtureFile reads the scenario's org.fixture: its name as errors give
// it, its text (nil when the scenario has only org.metadata) and a way to
// read the files it names.
func (sc *Scenario) fixtureFile() (string, []byte, func(string) ([]byte, error), error) {
	name := sc.Org.Fixture
	switch name {
	case "":
		return "", nil, func(rel string) ([]byte, error) {
			return nil, fmt.Errorf("%s: no org.fixture to read it relative to", rel)
		}, nil
	case "default":
		def := fixtures.DefaultOrg()
		return name, def.Data, def.ReadFile, nil
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(sc.File), path)
	}
	data, err := userfile.Read(path, userfile.MaxYAML)
	if err != nil {
		return "", nil, nil, sc.errAt("$.org.fixture", "org.fixture: %v", err)
	}
	dir := filepath.Dir(path)
	return path, data, func(rel string) ([]byte, error) {
		if !filepath.IsAbs(rel) {
			rel = filepath.Join(dir, rel)
		}
		return userfile.Read(rel, userfile.MaxData)
	}, nil
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

// fileRef is a file a fixture names, relative to it, and what it is.
type fileRef struct{ what, path string }

// fileRefs are the files a fixture names: its apps' certificates and the
// CSV files of its records (records: {Account: accounts.csv}).
func fileRefs(doc yaml.MapSlice) []fileRef {
	var refs []fileRef
	apps, _ := fixturedoc.Lookup(doc, "apps").([]any)
	for _, a := range apps {
		if am, ok := a.(yaml.MapSlice); ok {
			if c, ok := fixturedoc.Lookup(am, "certificate").(string); ok && c != "" {
				refs = append(refs, fileRef{"certificate", c})
			}
		}
	}
	records, _ := fixturedoc.Lookup(doc, "records").(yaml.MapSlice)
	for _, r := range records {
		if p, ok := r.Value.(string); ok && p != "" {
			refs = append(refs, fileRef{fmt.Sprintf("records.%v: CSV file", r.Key), p})
		}
	}
	return refs
}

// pointOutbound sends every outbound message to the receiver's endpoint; an
// endpoint_url written as a template is rendered instead.
func pointOutbound(doc yaml.MapSlice, vars *templateVars) error {
	msgs, _ := fixturedoc.Lookup(doc, "outbound_messages").([]any)
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
