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
	var header struct {
		Alg any `json:"alg"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return "", fmt.Errorf("JWT header is not a JSON object: %v", err)
	}
	alg, ok := header.Alg.(string)
	if !ok {
		return "", fmt.Errorf("JWT header: alg is missing or not a string")
	}
	return alg, nil
}

func decodeSegment(s string) ([]byte, error) {
	// Padding is not part of the compact form, but some clients leave it on.
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// wellTypedClaims is the claims set as well-behaved clients send it; one
// json.Unmarshal reads it. Anything else goes through readClaimsSlowly,
// which names the claim that is wrong.
type wellTypedClaims struct {
	Iss *string     `json:"iss"`
	Sub *string     `json:"sub"`
	Prn *string     `json:"prn"`
	Aud *string     `json:"aud"`
	Exp json.Number `json:"exp"` // a JSON number, or a string of digits
}

func (a *assertion) readClaims(data []byte) error {
	var c wellTypedClaims
	if json.Unmarshal(data, &c) != nil || c.Aud == nil || !exactClaimNames(data, &c) {
		return a.readClaimsSlowly(data)
	}
	a.issuer, a.subject, a.audience = deref(c.Iss), deref(c.Sub), []string{*c.Aud}
	if p := deref(c.Prn); p != "" {
		a.subject = p
	}
	if c.Exp != "" {
		exp, err := numericDate(json.RawMessage(c.Exp))
		if err != nil {
			return fmt.Errorf("claim exp: %v", err)
		}
		a.expiry, a.hasExpiry = exp, true
	}
	return nil
}

// exactClaimNames guards against encoding/json's case-insensitive field
// matching: a claim spelt "Sub" is not sub.
func exactClaimNames(data []byte, c *wellTypedClaims) bool {
	for _, claim := range []struct {
		present bool
		quoted  string
	}{{c.Iss != nil, `"iss"`}, {c.Sub != nil, `"sub"`}, {c.Prn != nil, `"prn"`}, {c.Aud != nil, `"aud"`}, {c.Exp != "", `"exp"`}} {
		if claim.present && !bytes.Contains(data, []byte(claim.quoted)) {
			return false
		}
	}
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *assertion) readClaimsSlowly(data []byte) error {
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(data, &claims); err != nil || claims == nil {
		if err == nil {
			err = fmt.Errorf("null")
		}
		return fmt.Errorf("JWT claims are not a JSON object: %v", err)
	}
	str := func(name string) (string, error) {
		raw, ok := claims[name]
		if !ok {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("claim %s: want a string, got %s", name, abbreviate(raw))
		}
		return s, nil
	}
	var err error
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
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			a.audience = []string{one}
		case json.Unmarshal(raw, &many) == nil:
			a.audience = many
		default:
			return fmt.Errorf("claim aud: want a string or an array of strings, got %s", abbreviate(raw))
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
