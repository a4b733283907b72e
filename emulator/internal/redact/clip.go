package redact

import (
	"strconv"
	"strings"
)

// MaxKept bounds each string a journal entry keeps (a path, a query, a
// grant_type, a username, a reason…). The journals bound their entries by
// count (10,000 each); without a bound on each string, a client sending a
// 1 MB query string or grant_type would make every entry a megabyte — and
// needs no credentials to do it.
const MaxKept = 2 << 10

// MaxKeptItems bounds the strings kept of a list (a JWT's aud array).
const MaxKeptItems = 16

// cutMark is what a clipped string ends with: the bytes left out.
func cutMark(n int) string { return "…[cut " + strconv.Itoa(n) + " bytes]" }

// maxMark is the longest cutMark.
const maxMark = len("…[cut  bytes]") + 20

// clipped reports whether s ends with a cut mark: clipping again what was
// clipped leaves it alone.
func clipped(s string) bool {
	i := strings.LastIndex(s, "…[cut ")
	return i >= 0 && i >= len(s)-maxMark && strings.HasSuffix(s, " bytes]")
}

// Clip is s cut to MaxKept bytes, marked "…[cut N bytes]" where N is how
// many bytes were left out; s itself when short enough.
func Clip(s string) string { return ClipTo(s, MaxKept) }

// ClipTo is s cut to at most n bytes on a UTF-8 boundary and marked as
// Clip marks it. The kept part is a copy, so a journal entry never holds
// on to the megabyte-long request string it was cut from.
func ClipTo(s string, n int) string {
	if len(s) <= n || len(s) <= n+maxMark && clipped(s) {
		return s
	}
	cut := max(n, 0)
	// Back up to the start of a rune (at most 3 continuation bytes).
	for i := 0; i < 3 && cut > 0 && s[cut]&0xC0 == 0x80; i++ {
		cut--
	}
	var b strings.Builder
	b.Grow(cut + 24)
	b.WriteString(s[:cut])
	b.WriteString(cutMark(len(s) - cut))
	return b.String()
}

// Keep is Clip, and a copy even when s is short enough to keep whole: a
// string parsed out of a request (a form value, a path variable, the
// method of the request line) shares the memory of what it was cut from,
// so a short value kept from a long request would keep the whole request.
func Keep(s string) string {
	if len(s) > MaxKept {
		return Clip(s)
	}
	return strings.Clone(s)
}

// ClipAll clips each string of ss and keeps at most MaxKeptItems of them;
// when more were given, the last kept item says how many were left out
// ("…[cut 3 more]"). ss itself when nothing needs cutting.
func ClipAll(ss []string) []string {
	need := len(ss) > MaxKeptItems
	for _, s := range ss {
		need = need || len(s) > MaxKept
	}
	if !need {
		return ss
	}
	return each(ss, Clip)
}

// KeepAll is ClipAll whose items are Keep's copies.
func KeepAll(ss []string) []string {
	if ss == nil {
		return nil
	}
	return each(ss, Keep)
}

func each(ss []string, keep func(string) string) []string {
	n := min(len(ss), MaxKeptItems)
	out := make([]string, n)
	for i := range n {
		out[i] = keep(ss[i])
	}
	if len(ss) > n {
		out[n-1] = "…[cut " + strconv.Itoa(len(ss)-n+1) + " more]"
	}
	return out
}
