package harness

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// keyProblem is a key of a YAML mapping the Go type it decodes into has no
// field for, at its place in the file.
type keyProblem struct {
	path      string // $.steps[2].expect
	key       string
	line, col int
	known     []string
}

func (k keyProblem) message() string {
	msg := fmt.Sprintf("unknown key %q", k.key)
	if near := nearest(k.key, k.known); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return msg
}

// unknownKeys walks a YAML node against the Go type it decodes into (the
// yaml tags of structs, maps, slices) and lists every key nothing takes.
// The decoder stops at the first; a person fixing a file wants them all.
func unknownKeys(n ast.Node, t reflect.Type, path string) []keyProblem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := n.(type) {
	case nil:
		return nil
	case *ast.TagNode:
		return unknownKeys(x.Value, t, path)
	case *ast.AnchorNode:
		return unknownKeys(x.Value, t, path)
	case *ast.DocumentNode:
		return unknownKeys(x.Body, t, path)
	case *ast.SequenceNode:
		if t.Kind() != reflect.Slice || t == reflect.TypeOf(yaml.MapSlice{}) {
			return nil
		}
		var out []keyProblem
		for i, v := range x.Values {
			out = append(out, unknownKeys(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case *ast.MappingNode:
		var out []keyProblem
		for _, mv := range x.Values {
			out = append(out, unknownKeys(mv, t, path)...)
		}
		return out
	case *ast.MappingValueNode:
		if x.Key == nil || x.Key.GetToken() == nil {
			return nil
		}
		key := x.Key.GetToken().Value
		switch t.Kind() {
		case reflect.Map:
			return unknownKeys(x.Value, t.Elem(), path+"."+key)
		case reflect.Struct:
			fields := yamlFields(t)
			ft, ok := fields[key]
			if !ok {
				known := make([]string, 0, len(fields))
				for k := range fields {
					known = append(known, k)
				}
				sort.Strings(known)
				tok := x.Key.GetToken()
				return []keyProblem{{path: path, key: key, line: tok.Position.Line, col: tok.Position.Column, known: known}}
			}
			return unknownKeys(x.Value, ft, path+"."+key)
		}
	}
	return nil
}

// yamlFields maps a struct's yaml keys to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// nearest is the known key within two edits of key, if one is.
func nearest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
