package fixturedoc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/internal/srcpos"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/sfemu/sfemu/internal/safeyaml"
)

// Place is where a piece of a layer is written.
type Place struct {
	File         string
	Line, Column int
	// Note is added after the message, e.g. "(in org.patch, over x.yaml)".
	Note string
}

// Layer is one layer of a merged fixture: its document, and where each of
// its nodes is written.
type Layer struct {
	Doc any
	// Where returns the place of the node at a positional YAML path into
	// Doc ("$.profiles[1].login_ip_ranges[0].start"); ok false when the
	// layer cannot say.
	Where func(path string) (Place, bool)
}

// Trace leads errors about a generated fixture back to its layers.
type Trace struct {
	// Generated is the merged fixture's text and GeneratedAs the name the
	// emulator's errors give it ("NAME:LINE:COL: msg").
	Generated, GeneratedAs string
	// Layers, the last applied first: the first layer that holds the node
	// an error points at names the place.
	Layers []Layer

	genDoc  any
	genFile *ast.File
}

// Locate rewrites an emulator error about the generated fixture to the
// place in a layer the offending text came from. An error it cannot place
// is returned as it is.
func (t *Trace) Locate(err error) error {
	if t == nil || err == nil {
		return err
	}
	text := err.Error()
	i := strings.Index(text, t.GeneratedAs+":")
	if i < 0 {
		return err
	}
	parts := strings.SplitN(text[i+len(t.GeneratedAs)+1:], ":", 3)
	if len(parts) != 3 {
		return err
	}
	line, err1 := strconv.Atoi(parts[0])
	col, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return err
	}
	msg := strings.TrimSpace(parts[2])
	if t.genFile == nil {
		f, perr := safeyaml.Parse(t.GeneratedAs, []byte(t.Generated))
		if perr != nil || len(f.Docs) == 0 {
			return err
		}
		t.genFile = f
		if doc, derr := Decode(t.GeneratedAs, []byte(t.Generated)); derr == nil {
			t.genDoc = doc
		}
	}
	segs := pathAt(t.genFile.Docs[0].Body, line, col, t.genDoc, nil)
	if segs == nil {
		return err
	}
	for _, l := range t.Layers {
		p, ok := resolveSegments(segs, l.Doc)
		if !ok || l.Where == nil {
			continue
		}
		if pl, ok := l.Where("$" + p); ok && pl.Line > 0 {
			out := srcpos.Format(pl.File, pl.Line, pl.Column, msg)
			if pl.Note != "" {
				out += " " + pl.Note
			}
			return fmt.Errorf("%s", out)
		}
	}
	return err
}

// FileLayer is a layer read from a YAML file: its places are the file's
// lines, found through the parsed text on first use.
func FileLayer(name string, data []byte, doc any, note string) Layer {
	var file *ast.File
	parsed := false
	return Layer{Doc: doc, Where: func(path string) (Place, bool) {
		if !parsed {
			parsed = true
			if f, err := safeyaml.Parse(name, data); err == nil {
				file = f
			}
		}
		if file == nil {
			return Place{}, false
		}
		if l, c := PosOf(file, path); l > 0 {
			return Place{File: name, Line: l, Column: c, Note: note}, true
		}
		return Place{}, false
	}}
}

// PosOf is the line and column of the node at a YAML path (0, 0: none).
func PosOf(file *ast.File, path string) (int, int) {
	p, err := yaml.PathString(path)
	if err != nil {
		return 0, 0
	}
	n, err := p.FilterFile(file)
	if err != nil || n == nil || n.GetToken() == nil {
		return 0, 0
	}
	return n.GetToken().Position.Line, n.GetToken().Position.Column
}

// segment is one step of a path into a fixture: a mapping key, or a list
// item known by its identity (name, username, _ref) or else its index.
type segment struct {
	key           string
	index         int
	idKey, idText string
	isIndex       bool
}

// pathAt finds the node whose token starts at line:col and returns the
// path to it, list items named by identity where they have one (data is
// the same document decoded, to read those identities).
func pathAt(n ast.Node, line, col int, data any, prefix []segment) []segment {
	if n == nil {
		return nil
	}
	if tok := n.GetToken(); tok != nil && tok.Position.Line == line && tok.Position.Column == col {
		if _, isMapping := n.(*ast.MappingValueNode); !isMapping {
			return append([]segment(nil), prefix...)
		}
	}
	switch x := n.(type) {
	case *ast.TagNode:
		return pathAt(x.Value, line, col, data, prefix)
	case *ast.AnchorNode:
		return pathAt(x.Value, line, col, data, prefix)
	case *ast.MappingNode:
		for _, mv := range x.Values {
			if p := pathAt(mv, line, col, data, prefix); p != nil {
				return p
			}
		}
	case *ast.MappingValueNode:
		if x.Key == nil || x.Key.GetToken() == nil {
			return nil
		}
		key := x.Key.GetToken().Value
		seg := append(append([]segment(nil), prefix...), segment{key: key})
		if kt := x.Key.GetToken(); kt.Position.Line == line && kt.Position.Column == col {
			return seg
		}
		return pathAt(x.Value, line, col, lookupAny(data, key), seg)
	case *ast.SequenceNode:
		items, _ := data.([]any)
		for i, v := range x.Values {
			s := segment{index: i, isIndex: true}
			var item any
			if i < len(items) {
				item = items[i]
				if m, ok := item.(yaml.MapSlice); ok {
					s.idKey, s.idText = Identity(m)
				}
			}
			if p := pathAt(v, line, col, item, append(append([]segment(nil), prefix...), s)); p != nil {
				return p
			}
		}
	}
	return nil
}

// resolveSegments turns a path into a positional YAML path (.users[1].x)
// within data, finding list items by identity; ok is false when data has
// no such node.
func resolveSegments(segs []segment, data any) (string, bool) {
	var b strings.Builder
	cur := data
	for _, s := range segs {
		if !s.isIndex {
			v := lookupAny(cur, s.key)
			if v == nil && !hasKey(cur, s.key) {
				return "", false
			}
			fmt.Fprintf(&b, ".%s", s.key)
			cur = v
			continue
		}
		items, ok := cur.([]any)
		if !ok {
			return "", false
		}
		idx := -1
		if s.idKey != "" {
			for i, it := range items {
				if m, ok := it.(yaml.MapSlice); ok {
					if k, id := Identity(m); k == s.idKey && strings.EqualFold(id, s.idText) {
						idx = i
						break
					}
				}
			}
		} else if s.index < len(items) {
			idx = s.index
		}
		if idx < 0 {
			return "", false
		}
		fmt.Fprintf(&b, "[%d]", idx)
		cur = items[idx]
	}
	return b.String(), true
}

func lookupAny(v any, key string) any {
	if m, ok := v.(yaml.MapSlice); ok {
		return Lookup(m, key)
	}
	return nil
}

func hasKey(v any, key string) bool {
	m, ok := v.(yaml.MapSlice)
	if !ok {
		return false
	}
	for _, it := range m {
		if fmt.Sprint(it.Key) == key {
			return true
		}
	}
	return false
}

// ParentPath drops the last step of a YAML path ("$.users[2].profile" →
// "$.users[2]" → "$.users" → "$").
func ParentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndex(p, "."); i > 0 {
		return p[:i]
	}
	return "$"
}
