package metadata

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
)

// Source lays a YAML fixture (the users and records; nil: none) over the
// Setup read from metadata, making the one fixture the emulator loads, and
// a trace that leads the emulator's errors about it back to the metadata
// file or the fixture line they came from. Keys the fixture also gives win
// (an app's consumer_key, an org's name); lists merge by name.
func (r *Result) Source(label string, fixture *org.Source) (org.Source, *fixturedoc.Trace, error) {
	layers := []fixturedoc.Layer{r.Layer()}
	var merged any = fixturedoc.Copy(r.Doc)
	name := label
	var readFile func(string) ([]byte, error)
	if fixture != nil {
		doc, err := fixturedoc.Decode(fixture.Name, fixture.Data)
		if err != nil {
			return org.Source{}, nil, err
		}
		layers = append([]fixturedoc.Layer{fixturedoc.FileLayer(fixture.Name, fixture.Data, fixturedoc.Copy(doc), "")}, layers...)
		if merged, err = fixturedoc.Merge(merged, doc, fixture.Name); err != nil {
			return org.Source{}, nil, err
		}
		name = label + " + " + fixture.Name
		readFile = fixture.ReadFile
	}
	out, err := yaml.Marshal(merged)
	if err != nil {
		return org.Source{}, nil, err
	}
	if readFile == nil {
		readFile = func(rel string) ([]byte, error) {
			return nil, fmt.Errorf("no fixture file to read %s relative to", rel)
		}
	}
	src := org.Source{Name: name, Data: out, ReadFile: readFile}
	return src, &fixturedoc.Trace{Generated: string(out), GeneratedAs: name, Layers: layers}, nil
}

// Summary is one line on what was read, for a start-up log:
// "12 metadata files: 1 app, 2 profiles, …; 5 things ignored".
func (r *Result) Summary() string {
	count := func(key string) int {
		switch v := fixturedoc.Lookup(r.Doc, key).(type) {
		case []any:
			return len(v)
		case yaml.MapSlice:
			return len(v)
		}
		return 0
	}
	var parts []string
	for _, k := range []struct{ key, one, many string }{
		{"apps", "app", "apps"}, {"profiles", "profile", "profiles"},
		{"permission_sets", "permission set", "permission sets"}, {"objects", "object", "objects"},
		{"outbound_messages", "outbound message", "outbound messages"},
	} {
		if n := count(k.key); n > 0 {
			w := k.many
			if n == 1 {
				w = k.one
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	s := fmt.Sprintf("%d metadata files", r.Files)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if n := len(r.Ignored); n > 0 {
		s += fmt.Sprintf("; %d kinds of element or file ignored", n)
	}
	return s
}
