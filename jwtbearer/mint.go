package jwtbearer

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims of a Salesforce JWT bearer assertion.
//
// A zero field is left out of the token, so tests can build incomplete assertions; Extra may then supply
// that claim instead (for instance "exp" as a JSON string, as one popular client sends it, or "aud" as an
// array). Precedence: a non-zero field always provides its claim, and Extra setting the same claim as a
// non-zero field is an error — Extra never silently overrides a field, nor a field Extra.
type Claims struct {
	Issuer   string         // iss: the app's consumer key
	Subject  string         // sub: the username
	Audience string         // aud: https://login.salesforce.com, https://test.salesforce.com, or a My Domain URL
	Expiry   time.Time      // exp, as whole seconds since the epoch
	Extra    map[string]any // optional extra claims (e.g. "prn", "jti"); see the precedence above
}

// Mint signs claims with RS256 and returns the compact JWT. The header is exactly {"alg":"RS256","typ":"JWT"};
// the claims are the non-zero fields of c plus c.Extra, as JSON with sorted keys.
func Mint(key *rsa.PrivateKey, c Claims) (string, error) {
	if key == nil {
		return "", errors.New("mint JWT: no private key")
	}
	claims := jwt.MapClaims{}
	for k, v := range c.Extra {
		claims[k] = v
	}
	named := []struct {
		name string
		set  bool
		val  any
		fld  string
	}{
		{"iss", c.Issuer != "", c.Issuer, "Issuer"},
		{"sub", c.Subject != "", c.Subject, "Subject"},
		{"aud", c.Audience != "", c.Audience, "Audience"},
		{"exp", !c.Expiry.IsZero(), c.Expiry.Unix(), "Expiry"},
	}
	for _, n := range named {
		if !n.set {
			continue
		}
		if _, dup := c.Extra[n.name]; dup {
			return "", fmt.Errorf("mint JWT: claim %q is set both by Claims.%s and by Claims.Extra; set it in one place", n.name, n.fld)
		}
		claims[n.name] = n.val
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("mint JWT: %w", err)
	}
	return signed, nil
}
