// Package fixturedoc works on org fixtures as ordered YAML documents. An
// org is often written in layers — Setup read from metadata files, a YAML
// fixture with users and records, a receiver profile's patch, a scenario's
// patch — and the emulator loads the one fixture they merge into. This
// package does the merge, and traces an error the emulator reports about
// the merged fixture back to the layer, file and line its text came from,
// so people are sent to a line they can open.
package fixturedoc

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/internal/safeyaml"
)

// IdentityKeys name the key that identifies an item of a list, for merging
// a patch list into a fixture list item by item (users by username,
// profiles and apps by name, records by _ref).
var IdentityKeys = []string{"name", "username", "_ref"}

// Decode reads a YAML fixture into an ordered document, within the YAML
// budget (internal/safeyaml): everything done to the document afterwards —
// merging, copying, marshalling the merged fixture — walks every alias's
// copy, so a bomb is refused here, before any of it. Errors start with
// name.
func Decode(name string, data []byte) (yaml.MapSlice, error) {
	var doc yaml.MapSlice
	if err := safeyaml.Unmarshal(name, data, &doc, yaml.UseOrderedMap()); err != nil {
		if se := (*safeyaml.Error)(nil); errors.As(err, &se) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return doc, nil
}

// Copy is a deep copy of an ordered document, so later merges cannot touch
// the original.
func Copy(v any) any {
	switch x := v.(type) {
	case yaml.MapSlice:
		out := make(yaml.MapSlice, len(x))
		for i, it := range x {
			out[i] = yaml.MapItem{Key: it.Key, Value: Copy(it.Value)}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Copy(e)
		}
		return out
	}
	return v
}

// Ordered turns a decoded patch (maps in no order) into ordered maps,
// sorting keys so a patch applies the same way every run.
func Ordered(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := yaml.MapSlice{}
		for _, k := range keys {
			out = append(out, yaml.MapItem{Key: k, Value: Ordered(x[k])})
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Ordered(e)
		}
		return out
	}
	return v
}

// Merge lays patch over base. Mappings merge key by key (a key whose patch
// value is null is removed; a nil patch keeps base); a list whose items
// all carry an identity key (IdentityKeys) merges item by item — an item
// with `_delete: true` removes its namesake — and any other list replaces
// the base's. where names the patch in errors ("patch").
func Merge(base, patch any, where string) (any, error) {
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
				if fmt.Sprint(out[i].Key) != k {
					continue
				}
				found = true
				if item.Value == nil {
					// key: null removes the key (rule: null: the message has no rule).
					out = append(out[:i], out[i+1:]...)
					break
				}
				v, err := Merge(out[i].Value, item.Value, where+"."+k)
				if err != nil {
					return nil, err
				}
				out[i].Value = v
				break
			}
			if !found && item.Value != nil {
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
			key, id := Identity(pm)
			idx := -1
			for i, e := range out {
				if em, ok := e.(yaml.MapSlice); ok {
					if k2, id2 := Identity(em); k2 == key && strings.EqualFold(id2, id) {
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
			v, err := Merge(out[idx], pm, fmt.Sprintf("%s[%s=%s]", where, key, id))
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
		if k, _ := Identity(m); k == "" {
			return false
		}
	}
	return true
}

// Identity is the identity key of a list item and its value ("", "" when
// it has none).
func Identity(m yaml.MapSlice) (string, string) {
	for _, key := range IdentityKeys {
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

// SetPath sets the value at a path of mapping keys, creating mappings on
// the way.
func SetPath(doc yaml.MapSlice, path []string, value any) yaml.MapSlice {
	for i := range doc {
		if fmt.Sprint(doc[i].Key) != path[0] {
			continue
		}
		if len(path) == 1 {
			doc[i].Value = value
			return doc
		}
		sub, _ := doc[i].Value.(yaml.MapSlice)
		doc[i].Value = SetPath(sub, path[1:], value)
		return doc
	}
	if len(path) == 1 {
		return append(doc, yaml.MapItem{Key: path[0], Value: value})
	}
	return append(doc, yaml.MapItem{Key: path[0], Value: SetPath(nil, path[1:], value)})
}

// DeletePath removes the key at a path of mapping keys, if it is there.
func DeletePath(doc yaml.MapSlice, path []string) yaml.MapSlice {
	for i := range doc {
		if fmt.Sprint(doc[i].Key) != path[0] {
			continue
		}
		if len(path) == 1 {
			return append(doc[:i:i], doc[i+1:]...)
		}
		if sub, ok := doc[i].Value.(yaml.MapSlice); ok {
			doc[i].Value = DeletePath(sub, path[1:])
		}
		return doc
	}
	return doc
}

// Lookup is the value of a key of a mapping (nil when absent).
func Lookup(doc yaml.MapSlice, key string) any {
	for _, it := range doc {
		if fmt.Sprint(it.Key) == key {
			return it.Value
		}
	}
	return nil
}
