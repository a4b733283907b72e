package soql

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// likeTestPatterns and likeTestValues cover each fast path of
// likePattern.match next to values that need the rune-by-rune fallback:
// non-ASCII letters, runes whose lower case is ASCII (K Kelvin sign, İ),
// invalid UTF-8, and values shorter than the literal.
var (
	likeTestPatterns = []string{
		"", "%", "%%", "_", "a", "k", "i", "ab", "abc", "straße", "ÄB",
		"k%", "ka%", "i%", "ist%", "%k", "%xk", "%ÄB", "%ab", "%é",
		"%k%", "%xtro%", "%ab%", "%é%", "%ß%", "%%ab%%",
		"a_c", "%a_c%", "_b%", "%b_", "a%c", "%a%c%", `100\%\_off`, `%\%%`, `a\_%`, "é_", "%_é%",
	}
	likeTestValues = []string{
		"", "a", "A", "k", "K", "\u212a", "i", "İ", "İstanbul", "ist", "IST", "ab", "AB", "aB", "abc",
		"xabcx", "xx\u212a", "X\u212a", "Foxtrot", "FOXTROT", "foxtröt", "Foxtrot é", "é", "É", "Éab", "abé",
		"STRASSE", "straße", "STRAẞE", "äb", "ÄB", "xäb", "100%_off", "100%xoff", "a%b", "a_c", "a\u212ac",
		"\xff", "a\xffc", "ab\xff", "\xffab", "x\xe2\x84", "Alpha Foxtrot 001234", "foxtro", "xtr",
	}
)

func TestLikeFastPathsAgreeWithRuneMatch(t *testing.T) {
	for _, raw := range likeTestPatterns {
		p := compileLike(raw)
		for _, v := range likeTestValues {
			if got, want := p.match(v), p.matchRunes(v); got != want {
				t.Errorf("LIKE '%s' on %q: match %v, rune-by-rune %v (kind %d)", raw, v, got, want, p.kind)
			}
		}
	}
}

// compareFoldReference is compareFold as first written: ASCII bytes lowered
// one by one, the rest lower-cased from the first non-ASCII byte of either.
func compareFoldReference(a, b string) int {
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

func TestCompareFoldAgreesWithReference(t *testing.T) {
	for _, a := range likeTestValues {
		for _, b := range likeTestValues {
			if got, want := compareFold(a, b), compareFoldReference(a, b); got != want {
				t.Errorf("compareFold(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func FuzzLikeMatch(f *testing.F) {
	for i, raw := range likeTestPatterns {
		f.Add(raw, likeTestValues[i%len(likeTestValues)])
	}
	f.Fuzz(func(t *testing.T, raw, v string) {
		p := compileLike(raw)
		if got, want := p.match(v), p.matchRunes(v); got != want {
			t.Errorf("LIKE '%s' on %q: match %v, rune-by-rune %v", raw, v, got, want)
		}
		if got, want := compareFold(raw, v), compareFoldReference(raw, v); got != want {
			t.Errorf("compareFold(%q, %q) = %d, want %d", raw, v, got, want)
		}
	})
}
