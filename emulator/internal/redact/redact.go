// Package redact prepares what the emulator keeps of requests and answers
// for people to read (the journals, Login History, the console): it takes
// credentials out, so no page and no journal entry shows a session ID, a
// password or a token, and it clips every kept string (Clip), so no entry
// grows with what a client sends.
//
// It is deliberately blunt: it works on text, clipped or not, without
// parsing it, and replaces every value that looks like a credential.
package redact

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// Mark replaces each redacted value.
const Mark = "(redacted)"

// The expressions are compiled at first use, not at start-up: every
// sfemu command pays package initialisation, and most bodies never get here
// (the callers check for a secret's name first).

// xmlSecret matches a SOAP element holding a credential: <sessionId>,
// <password> (SOAP login()), <sf:sessionId>… with its content.
var xmlSecret = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?is)(<(?:[a-z_][\w.-]*:)?(?:sessionId|password)(?:\s[^>]*)?>)([^<]*)(</)`)
})

// jsonSecret matches a JSON member whose key names a password, secret or
// token, with a string value.
var jsonSecret = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)("[^"\\]*(?:password|secret|token)[^"\\]*"\s*:\s*)"(?:[^"\\]|\\.)*"`)
})

// formSecret matches a form field (or query parameter) naming a credential.
var formSecret = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)((?:^|&)(?:[^=&]*(?:password|secret|token)[^=&]*|assertion|code|code_verifier)=)[^&]*`)
})

// XML replaces the content of sessionId and password elements.
func XML(s string) string {
	if !strings.Contains(s, "<") || !mentions(s, "sessionid", "password") {
		return s
	}
	return xmlSecret().ReplaceAllString(s, "${1}"+Mark+"${3}")
}

// JSON replaces string values of keys naming a password, secret or token.
func JSON(s string) string {
	if !mentions(s, "password", "secret", "token") {
		return s
	}
	return jsonSecret().ReplaceAllString(s, `${1}"`+Mark+`"`)
}

// mentions reports whether s holds one of words (lower-case ASCII) in any
// case: one pass that lets the regular expressions, which backtrack over
// every quoted string, skip the bodies with nothing to redact — nearly all
// of them (they were an eighth of a 200-record create's time).
func mentions(s string, words ...string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		for _, w := range words {
			if c == w[0] && len(s)-i >= len(w) && strings.EqualFold(s[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}

// Form replaces the values of form fields that carry credentials
// (client_secret, password, refresh_token, assertion, code…).
func Form(s string) string {
	return formSecret().ReplaceAllString(s, "${1}"+Mark)
}

// Body redacts a body by what it looks like: XML, JSON or a form.
func Body(contentType, s string) string {
	ct := strings.ToLower(contentType)
	trimmed := strings.TrimLeft(s, " \t\r\n\ufeff")
	switch {
	case strings.Contains(ct, "xml") || strings.HasPrefix(trimmed, "<"):
		return XML(s)
	case strings.Contains(ct, "json") || strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "["):
		return JSON(s)
	case strings.Contains(ct, "x-www-form-urlencoded"):
		return Form(s)
	}
	return JSON(XML(s))
}

// secretHeaders carry credentials whole.
var secretHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Set-Cookie": true, "Proxy-Authorization": true}

// Header copies h for keeping: at most maxHeaders headers, each name and
// value clipped (names to MaxKept bytes, values to maxValue), credentials replaced by Mark.
// Nil for none.
func Header(h http.Header, maxHeaders, maxValue int) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, min(len(h), maxHeaders))
	for k, vs := range h {
		if len(out) == maxHeaders {
			break
		}
		kept := make([]string, len(vs))
		for i, v := range vs {
			if secretHeaders[http.CanonicalHeaderKey(k)] {
				kept[i] = Mark
				continue
			}
			kept[i] = ClipTo(v, maxValue)
		}
		out[Clip(k)] = kept
	}
	return out
}
