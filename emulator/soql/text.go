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

// compareFold orders a and b ignoring case.
func compareFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
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

// hasPrefixFold reports whether s starts with lowered prefix p (ASCII p).
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lowerASCII(s[i]) != p[i] {
			return false
		}
	}
	return true
}

func hasSuffixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	return hasPrefixFold(s[len(s)-len(p):], p)
}

// indexFold finds lowered ASCII sub in s ignoring case, or -1.
func indexFold(s, sub string) int {
	if len(sub) == 0 {
		return 0
	}
	f0 := sub[0]
	f1 := f0
	if f0 >= 'a' && f0 <= 'z' {
		f1 = f0 - 'a' + 'A'
	}
	last := len(s) - len(sub)
	for i := 0; i <= last; i++ {
		c := s[i]
		if c != f0 && c != f1 {
			continue
		}
		j := 1
		for j < len(sub) && lowerASCII(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

// likePattern is a compiled LIKE pattern: % matches any run of characters,
// _ any one character, \% and \_ match themselves; case-insensitive.
type likePattern struct {
	kind  likeKind
	lit   string  // lowered literal for the fast paths
	elems []rune  // general form: lowered runes, with wildcards below
	wild  []uint8 // per elem: 0 literal, 1 '_', 2 '%'
	ascii bool
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
	p.ascii = isASCII(p.lit)
	return p
}

func toLowerRune(r rune) rune {
	if r < utf8.RuneSelf {
		return rune(lowerASCII(byte(r)))
	}
	return []rune(strings.ToLower(string(r)))[0]
}

func (p *likePattern) match(s string) bool {
	if p.kind != likeGeneral && p.kind != likeAny && (!p.ascii || !isASCII(s)) {
		return p.matchGeneral([]rune(strings.ToLower(s)))
	}
	switch p.kind {
	case likeAny:
		return true
	case likeEqual:
		return len(s) == len(p.lit) && hasPrefixFold(s, p.lit)
	case likePrefix:
		return hasPrefixFold(s, p.lit)
	case likeSuffix:
		return hasSuffixFold(s, p.lit)
	case likeContains:
		return indexFold(s, p.lit) >= 0
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
