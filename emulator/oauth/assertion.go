package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// assertion is a JWT bearer assertion split into the parts the token
// endpoint checks. Parsing checks only syntax; every judgement (issuer,
// signature, audience, expiry, subject) is the endpoint's, in Salesforce's order.
type assertion struct {
	alg          string
	issuer       string
	subject      string // prn when present (it wins over sub), else sub
	audience     []string
	expiry       time.Time
	hasExpiry    bool
	signingInput string // base64url(header) "." base64url(claims)
	signature    []byte
}

// maxAssertionBytes bounds what is decoded; real assertions are under 2 KiB.
const maxAssertionBytes = 16 << 10

// parseAssertion reads a compact JWT. Its errors say which part or claim is
// wrong, for the request journal and Login History reason; the client only
// ever sees "invalid assertion".
func parseAssertion(compact string) (*assertion, error) {
	if compact == "" {
		return nil, fmt.Errorf("the assertion parameter is missing or empty")
	}
	if len(compact) > maxAssertionBytes {
		return nil, fmt.Errorf("the assertion is %d bytes, over the %d-byte limit", len(compact), maxAssertionBytes)
	}
	headerB64, rest, ok1 := strings.Cut(compact, ".")
	claimsB64, sigB64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sigB64, ".") {
		return nil, fmt.Errorf("the assertion is not a compact JWT: want 3 dot-separated parts (header.claims.signature), got %d", strings.Count(compact, ".")+1)
	}
	alg, err := readAlg(headerB64)
	if err != nil {
		return nil, err
	}
	claimsJSON, err := decodeSegment(claimsB64)
	if err != nil {
		return nil, fmt.Errorf("JWT claims are not base64url: %v", err)
	}
	a := &assertion{alg: alg, signingInput: compact[:len(headerB64)+1+len(claimsB64)]}
	if err := a.readClaims(claimsJSON); err != nil {
		return nil, err
	}
	if a.signature, err = decodeSegment(sigB64); err != nil {
		return nil, fmt.Errorf("JWT signature is not base64url: %v", err)
	}
	return a, nil
}

// The header nearly every client sends, base64url-encoded, read without decoding.
var (
	headerRS256JWT = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	headerRS256    = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`))
)

func readAlg(headerB64 string) (string, error) {
	if headerB64 == headerRS256JWT || headerB64 == headerRS256 {
		return "RS256", nil
	}
	headerJSON, err := decodeSegment(headerB64)
	if err != nil {
		return "", fmt.Errorf("JWT header is not base64url: %v", err)
	}
	header, err := exactMembers(headerPart, headerJSON)
	if err != nil {
		return "", err
	}
	var alg string
	if raw, ok := header["alg"]; !ok || json.Unmarshal(raw, &alg) != nil {
		return "", fmt.Errorf("JWT header: alg is missing or not a string")
	}
	return alg, nil
}

func decodeSegment(s string) ([]byte, error) {
	// Padding is not part of the compact form, but some clients leave it on.
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// readClaims reads the claims set: a JSON object whose member names are
// matched exactly, as RFC 7519 §4 says claim names are case-sensitive
// ("Sub" is not sub, unlike encoding/json's field matching), and whose
// names appear once: RFC 7519 §4 lets a parser reject duplicate claim
// names, and sfemu does, since which one Salesforce would take is unknown
// and {"sub":a,"sub":b} is how a token smuggles a second user past a
// check that reads the first.
func (a *assertion) readClaims(data []byte) error {
	claims, err := exactMembers(claimsPart, data)
	if err != nil {
		return err
	}
	str := func(name string) (string, error) {
		raw, ok := claims[name]
		if !ok {
			return "", nil
		}
		s, ok := jsonString(raw)
		if !ok {
			return "", fmt.Errorf("claim %s: want a string, got %s", name, abbreviate(raw))
		}
		return s, nil
	}
	if a.issuer, err = str("iss"); err != nil {
		return err
	}
	sub, err := str("sub")
	if err != nil {
		return err
	}
	prn, err := str("prn")
	if err != nil {
		return err
	}
	a.subject = sub
	if prn != "" {
		a.subject = prn
	}
	if raw, ok := claims["aud"]; ok {
		var many []string
		if one, ok := jsonString(raw); ok {
			a.audience = []string{one}
		} else {
			switch {
			case json.Unmarshal(raw, &many) == nil:
				a.audience = many
			default:
				return fmt.Errorf("claim aud: want a string or an array of strings, got %s", abbreviate(raw))
			}
		}
	}
	if raw, ok := claims["exp"]; ok {
		exp, err := numericDate(raw)
		if err != nil {
			return fmt.Errorf("claim exp: %v", err)
		}
		a.expiry, a.hasExpiry = exp, true
	}
	return nil
}

// jwtPart names a JSON part of a JWT in exactMembers' errors.
type jwtPart struct{ name, verb, member string }

var (
	headerPart = jwtPart{"JWT header", "is", "parameter"}
	claimsPart = jwtPart{"JWT claims", "are", "claim"}
)

// exactMembers reads a JSON object's members by their exact names,
// refusing a name that appears twice. It scans the object once (after
// json.Valid, so the scan can trust the syntax) instead of going through
// encoding/json's token reader, which cost more than the rest of the
// parse together.
func exactMembers(part jwtPart, data []byte) (map[string]json.RawMessage, error) {
	notObject := func(detail any) error {
		return fmt.Errorf("%s %s not a JSON object: %v", part.name, part.verb, detail)
	}
	if !json.Valid(data) {
		var v any
		return nil, notObject(json.Unmarshal(data, &v))
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return nil, notObject(abbreviate(data))
	}
	members := map[string]json.RawMessage{}
	i = skipSpace(data, i+1)
	for data[i] != '}' {
		end := skipValue(data, i) // the name: a JSON string
		name := string(data[i+1 : end-1])
		if bytes.IndexByte(data[i:end], '\\') >= 0 || !utf8.Valid(data[i:end]) {
			_ = json.Unmarshal(data[i:end], &name) // valid, so it decodes (as encoding/json reads it)
		}
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // the colon
		end = skipValue(data, i)
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("%s: %s %q appears twice (RFC 7519 §4: a name appears once)", part.name, part.member, abbreviate([]byte(name)))
		}
		members[name] = data[i:end:end]
		i = skipSpace(data, end)
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	if skipSpace(data, i+1) != len(data) {
		return nil, notObject("data follows the object")
	}
	return members, nil
}

// jsonString is the string a valid JSON value holds, if it is one.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at data[i]; data is
// valid JSON.
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		for i++; data[i] != '"'; i++ {
			if data[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = skipValue(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) {
		i++
	}
	return i
}

// numericDate reads seconds since the epoch as a JSON number, or as a JSON
// string of digits (one popular Go client sends that; Salesforce accepts it).
func numericDate(raw json.RawMessage) (time.Time, error) {
	var s string
	text := string(raw)
	if json.Unmarshal(raw, &s) == nil {
		text = s
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("want seconds since 1970-01-01T00:00:00Z, got %s", abbreviate(raw))
	}
	if f > 1e12 || f < -1e12 {
		return time.Time{}, fmt.Errorf("%s is out of range (milliseconds instead of seconds?)", abbreviate(raw))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

func abbreviate(raw []byte) string {
	if len(raw) > 40 {
		return string(raw[:37]) + "..."
	}
	return string(raw)
}
