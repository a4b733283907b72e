package metadata

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
)

// node is a value of the fixture being built, with the place in the
// metadata it was read from.
type node struct {
	val any // string, bool, int, *mapping or []*node
	at  fixturedoc.Place
}

// mapping is an ordered fixture mapping under construction.
type mapping struct {
	keys []string
	vals map[string]*node
}

func newMapping() *mapping { return &mapping{vals: map[string]*node{}} }

// set gives key a value read at a place; a later set replaces it.
func (m *mapping) set(key string, val any, at fixturedoc.Place) {
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = &node{val: val, at: at}
}

// sub is the mapping under key, made when absent.
func (m *mapping) sub(key string, at fixturedoc.Place) *mapping {
	if n, ok := m.vals[key]; ok {
		if sm, ok := n.val.(*mapping); ok {
			return sm
		}
	}
	sm := newMapping()
	m.set(key, sm, at)
	return sm
}

// add appends to the list under key.
func (m *mapping) add(key string, val any, at fixturedoc.Place) {
	n, ok := m.vals[key]
	if !ok {
		m.set(key, []*node{}, at)
		n = m.vals[key]
	}
	list, _ := n.val.([]*node)
	n.val = append(list, &node{val: val, at: at})
}

func (m *mapping) has(key string) bool { _, ok := m.vals[key]; return ok }

// flatten turns the built value into the fixture document, recording each
// node's place under its positional path.
func flatten(n *node, path string, places map[string]fixturedoc.Place) any {
	if n.at.File != "" {
		places[path] = n.at
	}
	switch x := n.val.(type) {
	case *mapping:
		out := yaml.MapSlice{}
		for _, k := range x.keys {
			out = append(out, yaml.MapItem{Key: k, Value: flatten(x.vals[k], path+"."+k, places)})
		}
		return out
	case []*node:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = flatten(e, fmt.Sprintf("%s[%d]", path, i), places)
		}
		return out
	}
	return n.val
}

// named is a list of components kept in the order first read, found by
// name case-insensitively (Salesforce names are).
type named struct {
	order []string
	byKey map[string]*mapping
	at    map[string]fixturedoc.Place
}

func newNamed() *named {
	return &named{byKey: map[string]*mapping{}, at: map[string]fixturedoc.Place{}}
}

// get is the component called name, made (with name: set) when absent.
func (n *named) get(name string, at fixturedoc.Place) *mapping {
	k := strings.ToLower(name)
	if m, ok := n.byKey[k]; ok {
		return m
	}
	m := newMapping()
	m.set("name", name, at)
	n.byKey[k] = m
	n.at[k] = at
	n.order = append(n.order, k)
	return m
}

func (n *named) lookup(name string) *mapping { return n.byKey[strings.ToLower(name)] }

func (n *named) list() []*node {
	out := make([]*node, 0, len(n.order))
	for _, k := range n.order {
		out = append(out, &node{val: n.byKey[k], at: n.at[k]})
	}
	return out
}

// reader holds what has been read so far.
type reader struct {
	errs      []error
	ignored   []Ignored
	ignoredAt map[string]int
	walked    int
	files     int
	bytes     int

	projectName string

	apps        *named // external client apps and connected apps, by name
	appKinds    map[string]string
	profiles    *named
	permSets    *named
	objects     map[string]*mapping // by object API name
	objectOrder []string
	objectAt    map[string]fixturedoc.Place
	outbound    *named // outbound messages by name
	leadRules   *named // Lead assignment rules
	triggers    []trigger
	certs       map[string]string // Certificate name → PEM
	certRefs    []certRef
}

func newReader() *reader {
	return &reader{
		ignoredAt: map[string]int{},
		apps:      newNamed(), appKinds: map[string]string{},
		profiles: newNamed(), permSets: newNamed(),
		objects: map[string]*mapping{}, objectAt: map[string]fixturedoc.Place{},
		outbound: newNamed(), leadRules: newNamed(),
		certs: map[string]string{},
	}
}

// object is the objects: entry of an object, made when absent.
func (rd *reader) object(name string, at fixturedoc.Place) *mapping {
	for k, m := range rd.objects {
		if strings.EqualFold(k, name) {
			return m
		}
	}
	m := newMapping()
	rd.objects[name] = m
	rd.objectAt[name] = at
	rd.objectOrder = append(rd.objectOrder, name)
	return m
}

// assemble builds the fixture layer from everything read.
func (rd *reader) assemble() *Result {
	rd.resolveCertificates()
	rd.attachTriggers()
	top := newMapping()
	orgm := top.sub("org", fixturedoc.Place{})
	name := rd.projectName
	if name == "" {
		name = "metadata"
	}
	orgm.set("name", name, fixturedoc.Place{})
	if len(rd.profiles.order) > 0 {
		top.set("profiles", rd.profiles.list(), fixturedoc.Place{})
	}
	if len(rd.permSets.order) > 0 {
		top.set("permission_sets", rd.permSets.list(), fixturedoc.Place{})
	}
	if len(rd.apps.order) > 0 {
		top.set("apps", rd.apps.list(), fixturedoc.Place{})
	}
	if len(rd.objectOrder) > 0 {
		objs := newMapping()
		for _, n := range rd.objectOrder {
			objs.set(n, rd.objects[n], rd.objectAt[n])
		}
		top.set("objects", objs, fixturedoc.Place{})
	}
	if len(rd.outbound.order) > 0 {
		top.set("outbound_messages", rd.outbound.list(), fixturedoc.Place{})
	}
	if len(rd.leadRules.order) > 0 {
		top.set("lead_assignment_rules", rd.leadRules.list(), fixturedoc.Place{})
	}
	places := map[string]fixturedoc.Place{}
	doc := flatten(&node{val: top}, "$", places).(yaml.MapSlice)
	return &Result{Doc: doc, Ignored: rd.ignored, Files: rd.files, places: places}
}
