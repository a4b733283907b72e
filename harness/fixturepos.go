package harness

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// fixtureOrigin maps a place in the fixture a scenario run generates (the
// fixture with the profile's and the scenario's patches merged) back to
// where its text came from: the scenario's org.patch, or the fixture's own
// file. An emulator refusing the generated fixture then names a line
// people can open (broken-org.yaml:12:14: … (patched by x.yaml)).
type fixtureOrigin struct {
	sc           *Scenario
	fixtureName  string    // as the fixture was named: a path, or "default"
	fixtureData  []byte    // its text
	fixtureDoc   any       // decoded, in order
	patch        any       // the scenario's patch, rendered, in order
	generated    string    // what the emulator was given
	generatedDoc any       // decoded, in order
	generatedAs  string    // the name the emulator's errors carry
	parsedFile   *ast.File // fixtureData, parsed on first use
	parsedGen    *ast.File // generated, parsed on first use
}

// locate rewrites an emulator error about the generated fixture
// ("NAME:LINE:COL: msg") to the place the offending text came from. An
// error it cannot place is returned as it is.
func (o *fixtureOrigin) locate(err error) error {
	if o == nil || err == nil {
		return err
	}
	text := err.Error()
	i := strings.Index(text, o.generatedAs+":")
	if i < 0 {
		return err
	}
	rest := text[i+len(o.generatedAs)+1:]
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return err
	}
	line, err1 := strconv.Atoi(parts[0])
	col, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return err
	}
	msg := strings.TrimSpace(parts[2])
	if o.parsedGen == nil {
		f, perr := parser.ParseBytes([]byte(o.generated), 0)
		if perr != nil {
			return err
		}
		o.parsedGen = f
	}
	segs := pathAt(o.parsedGen.Docs[0].Body, line, col, o.generatedDoc, nil)
	if segs == nil {
		return err
	}
	if p, ok := resolveSegments(segs, o.patch); ok {
		l, c := 0, 0
		if o.sc.lines != nil {
			l = o.sc.lines("$.org.patch" + p)
		}
		if o.sc.cols != nil {
			c = o.sc.cols("$.org.patch" + p)
		}
		if l > 0 {
			return fmt.Errorf("%s:%d:%d: %s (in org.patch, over %s)", o.sc.File, l, c, msg, o.fixtureName)
		}
	}
	if p, ok := resolveSegments(segs, o.fixtureDoc); ok {
		if o.parsedFile == nil {
			f, perr := parser.ParseBytes(o.fixtureData, 0)
			if perr != nil {
				return err
			}
			o.parsedFile = f
		}
		if l, c := posOf(o.parsedFile, "$"+p); l > 0 {
			return fmt.Errorf("%s:%d:%d: %s (patched by %s)", o.fixtureName, l, c, msg, o.sc.File)
		}
	}
	return err
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
					s.idKey, s.idText = identity(m)
				}
			}
			if p := pathAt(v, line, col, item, append(append([]segment(nil), prefix...), s)); p != nil {
				return p
			}
		}
	}
	return nil
}

// resolveSegments turns a path into a positional YAML path ($.users[1].x)
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
					if k, id := identity(m); k == s.idKey && strings.EqualFold(id, s.idText) {
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
		return lookup(m, key)
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
