// Package safeyaml is the one way sfemu reads a YAML document it is given —
// org fixtures, scenarios, receiver profiles, the layers a fixture is
// merged from — so a small hostile or mistaken file cannot take the
// process down. Before anything expands the document it checks it against
// a budget (Limits): its size in bytes, how deep its collections nest, and
// how many nodes and bytes of text its aliases and merge keys (<<) add once
// expanded. A
// document over budget is refused with file:line:column and the reason
// ("alias *a5 expands the document by more than 1000000 nodes (YAML
// bomb?)"); one within budget is parsed once and decoded as before.
//
// Why each check sits where it does, for github.com/goccy/go-yaml v1.19:
//   - Nesting is checked on the lexer's tokens, before the parser runs: the
//     parser's cost grows with the square of the depth (each node stores
//     its full path), so 40 KB of "[" costs it 640 MB and 3 s, and 100,000
//     levels would cost gigabytes before a tree exists to look at.
//   - Aliases and merge keys are counted on the parsed tree, each anchor
//     once (memoised), so the check is linear in the document as written.
//     The library shares an anchor's decoded value between its aliases, so
//     decoding a billion-laughs document is cheap — but everything that
//     then walks the value (the fixture builder stringifying a field, the
//     harness marshalling a merged fixture) meets every expanded node, and
//     merge keys are expanded at decode time: a 600-byte chain of 18
//     merges cost 1 s and 165 MB to decode, doubling with each link.
//
// It owns the budget and the checks; what a document means, and the error
// types its callers report in, stay with them (an *Error converts to
// either).
package safeyaml

import (
	"fmt"

	"github.com/sfemu/sfemu/internal/srcpos"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/sfemu/sfemu/internal/userfile"
)

// The default budget. Real documents stay far inside it: sfemu's own
// fixtures and scenarios nest at most a dozen levels and use no aliases,
// and a 100,000-record fixture is about 11 MB.
const (
	// DefaultMaxBytes is the longest document read: as long as a YAML file
	// sfemu reads (userfile.MaxYAML, 32 MiB), since the YAML library holds
	// about 75 bytes of heap per byte of a typical fixture while parsing it
	// (830 MB for 100,000 records in 11 MB), and up to 300 for text that
	// is all brackets.
	DefaultMaxBytes = userfile.MaxYAML
	// DefaultMaxDepth is how deep collections may nest, counted as written
	// and through aliases. 200 is ten times what any fixture or scenario
	// needs and small enough that every recursive walk stays shallow.
	DefaultMaxDepth = 200
	// DefaultMaxExpansion is how many nodes aliases and merge keys may add
	// to a document, all together: a million nodes is a few hundred
	// megabytes at worst once walked, and ten times what anchors used for
	// shared defaults add to a large fixture.
	DefaultMaxExpansion = 1_000_000
	// DefaultMaxExpansionBytes is how much scalar text aliases may add:
	// as much as a whole document may hold, so one long anchored value
	// aliased a million times (a node each, but megabytes each once
	// copied) is refused too.
	DefaultMaxExpansionBytes = DefaultMaxBytes
)

// Limits is a budget for one document. A zero field means its default.
type Limits struct {
	// MaxBytes is the longest document, in bytes.
	MaxBytes int
	// MaxDepth is how deep collections may nest (a scalar at the top is
	// depth 0, a mapping of scalars depth 1).
	MaxDepth int
	// MaxExpansion is how many nodes aliases and merge keys may add,
	// counted as a walk of the decoded tree would meet them.
	MaxExpansion int
	// MaxExpansionBytes is how many bytes of scalar text aliases and merge
	// keys may add, counted the same way.
	MaxExpansionBytes int
}

// Default is the budget Parse and Unmarshal use.
var Default = Limits{MaxBytes: DefaultMaxBytes, MaxDepth: DefaultMaxDepth, MaxExpansion: DefaultMaxExpansion, MaxExpansionBytes: DefaultMaxExpansionBytes}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxExpansion <= 0 {
		l.MaxExpansion = DefaultMaxExpansion
	}
	if l.MaxExpansionBytes <= 0 {
		l.MaxExpansionBytes = DefaultMaxExpansionBytes
	}
	return l
}

// Error is a document over budget, or one the YAML library could not read
// at all (it panicked), at a line and column when known.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string { return srcpos.Format(e.File, e.Line, e.Column, e.Msg) }

// Parse checks data against the Default budget and parses it. name is the
// file name errors start with. A syntax error is the parser's own (a
// yaml.Error with its token's position), as parser.ParseBytes gives it.
func Parse(name string, data []byte) (*ast.File, error) { return Default.Parse(name, data) }

// Unmarshal checks data against the Default budget and decodes its first
// document into v, as yaml.UnmarshalWithOptions would. A document with no
// content leaves v as it is.
func Unmarshal(name string, data []byte, v any, opts ...yaml.DecodeOption) error {
	return Default.Unmarshal(name, data, v, opts...)
}

// Parse checks data against the budget and parses it.
func (l Limits) Parse(name string, data []byte) (file *ast.File, err error) {
	l = l.withDefaults()
	defer func() {
		// The library panics on some malformed input (FuzzFixture and
		// FuzzLoadScenario found such); a document gets an error instead.
		if p := recover(); p != nil {
			file, err = nil, &Error{File: name, Msg: fmt.Sprintf("malformed YAML the parser could not read (%v): check indentation and quoting", p)}
		}
	}()
	if len(data) > l.MaxBytes {
		return nil, &Error{File: name, Msg: fmt.Sprintf("the document is %d bytes, more than the %s sfemu reads", len(data), userfile.Size(int64(l.MaxBytes)))}
	}
	tokens := lexer.Tokenize(string(data))
	if err := checkTokenDepth(name, tokens, l.MaxDepth); err != nil {
		return nil, err
	}
	file, err = parser.Parse(tokens, 0)
	if err != nil {
		return nil, err
	}
	c := &checker{name: name, lim: l, anchors: map[string]weight{}}
	for _, doc := range file.Docs {
		c.walk(doc.Body, 0, false)
		if c.err != nil {
			return nil, c.err
		}
	}
	return file, nil
}

// Unmarshal checks data against the budget and decodes its first document
// with content into v.
func (l Limits) Unmarshal(name string, data []byte, v any, opts ...yaml.DecodeOption) (err error) {
	file, err := l.Parse(name, data)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = &Error{File: name, Msg: fmt.Sprintf("malformed YAML the decoder could not read (%v)", p)}
		}
	}()
	for _, doc := range file.Docs {
		if doc.Body != nil {
			return yaml.NodeToValue(doc.Body, v, opts...)
		}
	}
	return nil
}

// checkTokenDepth finds how deep the collections of a token stream nest,
// without parsing it: flow collections by their brackets, block ones by a
// stack of the columns where their entries ("- ") and keys ("k:") start —
// an entry or key at a column closes what was opened to its right. It may
// count a level too many in rare layouts (an explicit "? key"), never one
// too few, and costs one pass over the tokens.
func checkTokenDepth(name string, tokens token.Tokens, maxDepth int) error {
	type open struct {
		col int
		seq bool
	}
	var block []open
	flow := 0
	// at opens (or continues) a block collection whose items start at col.
	at := func(col int, seq bool) {
		for len(block) > 0 {
			top := block[len(block)-1]
			// A key at the column of a sequence closes it ("k:\n- a\nk2:").
			if top.col > col || (top.col == col && top.seq && !seq) {
				block = block[:len(block)-1]
				continue
			}
			break
		}
		if len(block) == 0 || block[len(block)-1].col != col {
			block = append(block, open{col, seq})
		}
	}
	for i, tk := range tokens {
		if tk.Position == nil || (i > 0 && tokens[i-1].Position == nil) {
			continue
		}
		switch tk.Type {
		case token.DocumentHeaderType, token.DocumentEndType:
			block, flow = block[:0], 0
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
		case token.SequenceEntryType:
			if flow == 0 {
				at(tk.Position.Column, true)
			}
		case token.MappingKeyType:
			if flow == 0 {
				at(tk.Position.Column, false)
			}
		case token.MappingValueType:
			if flow == 0 && i > 0 {
				tk = tokens[i-1] // the key
				at(tk.Position.Column, false)
			}
		default:
			continue
		}
		if len(block)+flow > maxDepth {
			return &Error{File: name, Line: tk.Position.Line, Column: tk.Position.Column, Msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
		}
	}
	return nil
}

// weight is what a value costs once its aliases are expanded.
type weight struct {
	nodes  int // collections and scalars
	text   int // bytes of scalar text
	height int // how deep its collections nest
}

func (w weight) plus(o weight) weight {
	return weight{nodes: w.nodes + o.nodes, text: w.text + o.text, height: max(w.height, o.height)}
}

// checker walks a parsed document once, as written, weighing each anchor
// when it is defined, so an alias costs a map lookup however large its
// anchor is and the check is linear in the document.
type checker struct {
	name    string
	lim     Limits
	anchors map[string]weight // the latest definition of each name, in document order (as the decoder resolves them)
	added   weight            // what aliases have added so far (height unused)
	err     error
}

func (c *checker) fail(tk *token.Token, format string, args ...any) {
	e := &Error{File: c.name, Msg: fmt.Sprintf(format, args...)}
	if tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
	}
	c.err = e
}

// collection weighs a mapping or sequence of n children at depth, the
// child at i weighed by child: one node, one level taller than its
// tallest child; refused past MaxDepth.
func (c *checker) collection(n ast.Node, depth, children int, child func(i int) weight) weight {
	if depth+1 > c.lim.MaxDepth {
		c.fail(n.GetToken(), "nesting deeper than %d levels", c.lim.MaxDepth)
		return weight{}
	}
	w := weight{nodes: 1}
	for i := range children {
		w = w.plus(child(i))
	}
	w.height++
	return w
}

// walk weighs n, found at depth (the number of collections around it);
// merge says n is the value of a merge key. It stops at the first problem
// (c.err). Weights cannot overflow: the walk stops once aliases have added
// more than the budget, so every weight stays under the document as
// written plus twice the budget.
func (c *checker) walk(n ast.Node, depth int, merge bool) weight {
	if c.err != nil || n == nil {
		return weight{}
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		return c.collection(n, depth, len(n.Values), func(i int) weight { return c.walk(n.Values[i], depth+1, false) })
	case *ast.SequenceNode:
		// A merge key's sequence is a list of mappings to merge.
		return c.collection(n, depth, len(n.Values), func(i int) weight { return c.walk(n.Values[i], depth+1, merge) })
	case *ast.MappingValueNode:
		k := c.walk(n.Key, depth, false)
		return k.plus(c.walk(n.Value, depth, n.Key != nil && n.Key.IsMergeKey()))
	case *ast.MappingKeyNode:
		return c.walk(n.Value, depth, false)
	case *ast.TagNode:
		return c.walk(n.Value, depth, merge)
	case *ast.AnchorNode:
		w := c.walk(n.Value, depth, merge)
		if n.Name != nil && n.Name.GetToken() != nil {
			c.anchors[n.Name.GetToken().Value] = w
		}
		return w
	case *ast.AliasNode:
		return c.alias(n, depth, merge)
	case *ast.CommentGroupNode:
		return weight{}
	case *ast.LiteralNode:
		if n.Value != nil {
			return weight{nodes: 1, text: len(n.Value.Value)}
		}
		return weight{nodes: 1}
	}
	if tk := n.GetToken(); tk != nil {
		return weight{nodes: 1, text: len(tk.Value)}
	}
	return weight{nodes: 1}
}

// alias weighs an alias as the anchored value it stands for, and charges
// what that adds to the document to the budget.
func (c *checker) alias(n *ast.AliasNode, depth int, merge bool) weight {
	if n.Value == nil || n.Value.GetToken() == nil {
		return weight{nodes: 1}
	}
	name := n.Value.GetToken().Value
	a, ok := c.anchors[name]
	if !ok {
		return weight{nodes: 1} // the decoder reports an alias to no anchor
	}
	what := "alias *" + name
	if merge {
		what = "merge key <<: *" + name
	}
	if depth+a.height > c.lim.MaxDepth {
		c.fail(n.GetToken(), "%s nests the document deeper than %d levels", what, c.lim.MaxDepth)
		return weight{}
	}
	// Written, the alias is one node with its name as text.
	c.added.nodes += max(a.nodes-1, 0)
	c.added.text += max(a.text-len(name), 0)
	switch {
	case c.added.nodes > c.lim.MaxExpansion:
		c.fail(n.GetToken(), "%s expands the document by more than %d nodes (YAML bomb?)", what, c.lim.MaxExpansion)
		return weight{}
	case c.added.text > c.lim.MaxExpansionBytes:
		c.fail(n.GetToken(), "%s expands the document by more than %s of text (YAML bomb?)", what, userfile.Size(int64(c.lim.MaxExpansionBytes)))
		return weight{}
	}
	return a
}
