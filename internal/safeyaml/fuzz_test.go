package safeyaml

import (
	"testing"

	"github.com/goccy/go-yaml"
)

// fuzzLimits is a small budget, so what the fuzzer finds within it can be
// walked in full on every input.
var fuzzLimits = Limits{MaxDepth: 40, MaxExpansion: 2000, MaxExpansionBytes: 1 << 16}

// FuzzDecode: whatever the bytes, decoding never panics, and a document
// that passes the check decodes to a value whose full walk — what the
// fixture builder and the harness do to it — meets no more nodes and text
// than the document as written plus the budget.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("org: {name: Acme}\nusers:\n  - {username: a@b.example, profile: Standard User}\n"))
	f.Add([]byte(billionLaughs()))
	f.Add([]byte(mergeChain(12)))
	f.Add([]byte(aliasStairs(12)))
	f.Add([]byte("a: &a {x: 1}\nb: {<<: [*a, *a], y: 2}\nc: !!str &s text\nd: [*s, *s]\n"))
	f.Add([]byte("- - - - [[{a: [b]}]]\n? k\n: v\n--- |\n  [[[\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if err := fuzzLimits.Unmarshal("fuzz.yaml", data, &v); err != nil {
			return
		}
		var ordered yaml.MapSlice
		_ = fuzzLimits.Unmarshal("fuzz.yaml", data, &ordered, yaml.UseOrderedMap())
		for _, got := range []any{v, ordered} {
			nodes, text := walkValue(got, 0)
			if max := len(data) + fuzzLimits.MaxExpansion; nodes > max {
				t.Fatalf("decoded value has %d nodes, want at most %d (the document's %d bytes plus the budget)", nodes, max, len(data))
			}
			// A scalar decodes to at most a few times its written bytes
			// (escapes, a folded block's indentation), plus what aliases
			// may add; numbers and booleans decode to short text.
			if max := 4*len(data) + fuzzLimits.MaxExpansionBytes + 32*nodes; text > max {
				t.Fatalf("decoded value has %d bytes of text, want at most %d", text, max)
			}
		}
	})
}

// walkValue counts the nodes and the text of a decoded value, visiting
// every alias's copy as a consumer would. It gives up (returning huge
// numbers) past the depth any accepted document can reach.
func walkValue(v any, depth int) (nodes, text int) {
	if depth > 2*fuzzLimits.MaxDepth+2 {
		return 1 << 40, 0
	}
	switch x := v.(type) {
	case map[string]any:
		nodes = 1
		for k, e := range x {
			n, t := walkValue(e, depth+1)
			nodes, text = nodes+n+1, text+t+len(k)
		}
	case yaml.MapSlice:
		nodes = 1
		for _, it := range x {
			kn, kt := walkValue(it.Key, depth+1)
			n, t := walkValue(it.Value, depth+1)
			nodes, text = nodes+kn+n, text+kt+t
		}
	case []any:
		nodes = 1
		for _, e := range x {
			n, t := walkValue(e, depth+1)
			nodes, text = nodes+n, text+t
		}
	case map[any]any:
		nodes = 1
		for k, e := range x {
			kn, kt := walkValue(k, depth+1)
			n, t := walkValue(e, depth+1)
			nodes, text = nodes+kn+n, text+kt+t
		}
	case string:
		return 1, len(x)
	default:
		return 1, 0
	}
	return nodes, text
}
