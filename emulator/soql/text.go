package soql

import (
	"strings"
	"unicode/utf8"
)

// Case-insensitive text helpers that do not allocate for ASCII input: SOQL
// compares text case-insensitively, and the filter loop runs once per record.

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// compareFold orders a and b ignoring case. Equal bytes, the common case
// between sorted names, cost one comparison each; from the first non-ASCII
// byte on, the rest of both strings is lower-cased and compared.
func compareFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			if ca >= utf8.RuneSelf {
				return strings.Compare(strings.ToLower(a[i:]), strings.ToLower(b[i:]))
			}
			continue
		}
		if ca >= utf8.RuneSelf || cb >= utf8.RuneSelf {
			return strings.Compare(strings.ToLower(a[i:]), strings.ToLower(b[i:]))
		}
		ca, cb = lowerASCII(ca), lowerASCII(cb)
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// likePattern is a compiled LIKE pattern: % matches any run of characters,
// _ any one character, \% and \_ match themselves; case-insensitive.
type likePattern struct {
	kind  likeKind
	lit   string  // lowered literal for the fast paths
	elems []rune  // general form: lowered runes, with wildcards below
	wild  []uint8 // per elem: 0 literal, 1 '_', 2 '%'
	// ascii: every literal element is ASCII, so an ASCII value can be
	// matched byte by byte without lower-casing it into a new string.
	ascii bool
	// lit0, lit0Upper: the literal's first byte in both cases (contains).
	lit0, lit0Upper byte
}

type likeKind uint8

const (
	likeEqual likeKind = iota
	likePrefix
	likeSuffix
	likeContains
	likeAny // just %
	likeGeneral
)

// compileLike compiles the raw text between the quotes of a LIKE literal.
func compileLike(raw string) *likePattern {
	var elems []rune
	var wild []uint8
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			e := raw[i+1]
			var r rune
			switch e {
			case 'n':
				r = '\n'
			case 'r':
				r = '\r'
			case 't':
				r = '\t'
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			default:
				r = rune(e)
			}
			elems, wild = append(elems, r), append(wild, 0)
			i += 2
			continue
		}
		if c == '%' {
			if len(wild) == 0 || wild[len(wild)-1] != 2 {
				elems, wild = append(elems, '%'), append(wild, 2)
			}
			i++
			continue
		}
		if c == '_' {
			elems, wild = append(elems, '_'), append(wild, 1)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(raw[i:])
		elems, wild = append(elems, r), append(wild, 0)
		i += size
	}
	for i, r := range elems {
		if wild[i] == 0 {
			elems[i] = toLowerRune(r)
		}
	}
	p := &likePattern{elems: elems, wild: wild, kind: likeGeneral}
	// Fast paths: lit, lit%, %lit, %lit%, %.
	inner := func(from, to int) (string, bool) {
		var b strings.Builder
		for i := from; i < to; i++ {
			if wild[i] != 0 {
				return "", false
			}
			b.WriteRune(elems[i])
		}
		return b.String(), true
	}
	n := len(elems)
	startsPct := n > 0 && wild[0] == 2
	endsPct := n > 0 && wild[n-1] == 2
	switch {
	case n == 1 && startsPct:
		p.kind = likeAny
	case startsPct && endsPct:
		if s, ok := inner(1, n-1); ok {
			p.kind, p.lit = likeContains, s
		}
	case startsPct:
		if s, ok := inner(1, n); ok {
			p.kind, p.lit = likeSuffix, s
		}
	case endsPct:
		if s, ok := inner(0, n-1); ok {
			p.kind, p.lit = likePrefix, s
		}
	default:
		if s, ok := inner(0, n); ok {
			p.kind, p.lit = likeEqual, s
		}
	}
	p.ascii = true
	for i, r := range elems {
		if wild[i] == 0 && r >= utf8.RuneSelf {
			p.ascii = false
		}
	}
	if p.lit != "" {
		p.lit0, p.lit0Upper = p.lit[0], p.lit[0]
		if 'a' <= p.lit0 && p.lit0 <= 'z' {
			p.lit0Upper -= 'a' - 'A'
		}
	}
	return p
}

func toLowerRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(lowerASCII(byte(r)))
	}
	return []rune(strings.ToLower(string(r)))[0]
}

// match reports whether s matches, ignoring case. With an ASCII pattern
// and an ASCII s it works on the bytes of s and does not allocate; a
// non-ASCII byte in the part of s that decides the answer sends s to
// matchRunes, which lower-cases it as a whole (so, as before, "K" (Kelvin
// sign) matches 'k%'). A match found in the ASCII part stands either way:
// lower-casing leaves ASCII bytes where they are.
func (p *likePattern) match(s string) bool {
	if !p.ascii {
		return p.matchRunes(s)
	}
	lit := p.lit
	switch p.kind {
	case likeAny:
		return true
	case likeEqual, likePrefix:
		// The first len(lit) bytes decide, if they are ASCII: they are then
		// the first runes of s lower-cased, and a longer s has more runes
		// than the literal (lower-casing maps each rune to one rune).
		n := min(len(s), len(lit))
		eq, ascii := foldPrefix(s[:n], lit[:n])
		if !ascii {
			return p.matchRunes(s)
		}
		if p.kind == likeEqual {
			return eq && len(s) == len(lit)
		}
		return eq && len(s) >= len(lit)
	case likeSuffix:
		if len(s) < len(lit) {
			return !isASCII(s) && p.matchRunes(s)
		}
		// An ASCII tail is made of whole runes: the last ones of s.
		eq, ascii := foldPrefix(s[len(s)-len(lit):], lit)
		if !ascii {
			return p.matchRunes(s)
		}
		return eq
	case likeContains:
		return p.contains(s)
	}
	return p.matchASCII(s)
}

// foldPrefix compares the ASCII-lowered bytes of s with lit, a lowered
// ASCII literal of the same length. ascii is false when a non-ASCII byte of
// s is reached before a difference: then the bytes do not decide.
func foldPrefix(s, lit string) (eq, ascii bool) {
	for i := 0; i < len(lit); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false, false
		}
		if lowerASCII(c) != lit[i] {
			return false, true
		}
	}
	return true, true
}

// contains is '%lit%' in one pass over s: candidate positions are found by
// the literal's first byte in either case, and the first non-ASCII byte
// (before a match is found) hands s to matchRunes.
func (p *likePattern) contains(s string) bool {
	lit := p.lit
	if lit == "" {
		return true
	}
	f0, f1 := p.lit0, p.lit0Upper
	last := len(s) - len(lit)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return p.matchRunes(s)
		}
		if (c != f0 && c != f1) || i > last {
			continue
		}
		j := 1
		for j < len(lit) && lowerASCII(s[i+j]) == lit[j] {
			j++
		}
		if j == len(lit) {
			return true
		}
	}
	return false
}

// matchASCII is matchGeneral over the bytes of s, when p and s are ASCII
// (one byte, one character); otherwise it defers to matchRunes.
func (p *likePattern) matchASCII(s string) bool {
	if !isASCII(s) {
		return p.matchRunes(s)
	}
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p.elems) && (p.wild[pi] == 1 || p.wild[pi] == 0 && p.elems[pi] == rune(lowerASCII(s[si]))):
			pi++
			si++
		case pi < len(p.elems) && p.wild[pi] == 2:
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p.elems) && p.wild[pi] == 2 {
		pi++
	}
	return pi == len(p.elems)
}

// matchRunes lower-cases s as a whole and matches it rune by rune: the
// reference semantics the fast paths above agree with.
func (p *likePattern) matchRunes(s string) bool {
	if p.kind == likeAny {
		return true
	}
	return p.matchGeneral([]rune(strings.ToLower(s)))
}

// matchGeneral is a wildcard match with one backtrack point per %.
func (p *likePattern) matchGeneral(s []rune) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p.elems) && (p.wild[pi] == 1 || p.wild[pi] == 0 && p.elems[pi] == s[si]):
			pi++
			si++
		case pi < len(p.elems) && p.wild[pi] == 2:
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p.elems) && p.wild[pi] == 2 {
		pi++
	}
	return pi == len(p.elems)
}
