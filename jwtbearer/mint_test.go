package jwtbearer

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintedAssertionVerifiesAgainstTheCertificate(t *testing.T) {
	keyPEM, certPEM, err := GenerateKeyPair(KeyPairOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadPrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(3 * time.Minute).Truncate(time.Second)
	token, err := Mint(key, Claims{
		Issuer:   "3MVG9acme.consumer.key",
		Subject:  "sender@acme.example",
		Audience: "https://login.salesforce.com",
		Expiry:   exp,
	})
	if err != nil {
		t.Fatal(err)
	}

	// Verified with golang-jwt against the public key in the certificate, as the emulator does.
	cert := parseCert(t, certPEM)
	parsed, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return cert.PublicKey.(*rsa.PublicKey), nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience("https://login.salesforce.com"), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("assertion does not verify with the certificate: %v", err)
	}
	if !parsed.Valid {
		t.Fatal("parsed token not valid")
	}

	segments := strings.Split(token, ".")
	if len(segments) != 3 {
		t.Fatalf("compact JWT has %d segments", len(segments))
	}
	header, err := base64.RawURLEncoding.DecodeString(segments[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(header), `{"alg":"RS256","typ":"JWT"}`; got != want {
		t.Errorf("header = %s, want %s", got, want)
	}
	payload, err := base64.RawURLEncoding.DecodeString(segments[1])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"aud":"https://login.salesforce.com","exp":` + itoa(exp.Unix()) +
		`,"iss":"3MVG9acme.consumer.key","sub":"sender@acme.example"}`
	if string(payload) != want {
		t.Errorf("claims =\n%s\nwant\n%s", payload, want)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestMintClaims(t *testing.T) {
	key := testKey()
	exp := time.Unix(1767225600, 0) // 2026-01-01T00:00:00Z
	base := Claims{Issuer: "CK", Subject: "u@x.example", Audience: "https://test.salesforce.com", Expiry: exp}
	with := func(mod func(*Claims)) Claims {
		c := base
		mod(&c)
		return c
	}

	tests := []struct {
		name    string
		claims  Claims
		want    string // claims JSON
		wantErr string
	}{
		{"the four Salesforce claims", base,
			`{"aud":"https://test.salesforce.com","exp":1767225600,"iss":"CK","sub":"u@x.example"}`, ""},
		{"extra claims are added", with(func(c *Claims) { c.Extra = map[string]any{"prn": "legacy@x.example", "jti": "id-1"} }),
			`{"aud":"https://test.salesforce.com","exp":1767225600,"iss":"CK","jti":"id-1","prn":"legacy@x.example","sub":"u@x.example"}`, ""},
		{"a zero field is left out", with(func(c *Claims) { c.Subject = "" }),
			`{"aud":"https://test.salesforce.com","exp":1767225600,"iss":"CK"}`, ""},
		{"Extra supplies exp as a string when Expiry is zero", with(func(c *Claims) {
			c.Expiry = time.Time{}
			c.Extra = map[string]any{"exp": "1767225600"}
		}), `{"aud":"https://test.salesforce.com","exp":"1767225600","iss":"CK","sub":"u@x.example"}`, ""},
		{"Extra supplies aud as an array when Audience is empty", with(func(c *Claims) {
			c.Audience = ""
			c.Extra = map[string]any{"aud": []string{"https://login.salesforce.com"}}
		}), `{"aud":["https://login.salesforce.com"],"exp":1767225600,"iss":"CK","sub":"u@x.example"}`, ""},
		{"Extra may not silently override a field", with(func(c *Claims) { c.Extra = map[string]any{"sub": "other@x.example"} }),
			"", `mint JWT: claim "sub" is set both by Claims.Subject and by Claims.Extra; set it in one place`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := Mint(key, tt.claims)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
			if err != nil {
				t.Fatal(err)
			}
			if string(payload) != tt.want {
				t.Errorf("claims =\n%s\nwant\n%s", payload, tt.want)
			}
		})
	}
}

func TestMintErrors(t *testing.T) {
	t.Run("no key", func(t *testing.T) {
		if _, err := Mint(nil, Claims{Issuer: "CK"}); err == nil {
			t.Fatal("Mint(nil) succeeded")
		}
	})
	t.Run("an assertion signed by another key does not verify", func(t *testing.T) {
		_, certPEM, err := GenerateKeyPair(KeyPairOptions{Bits: 1024})
		if err != nil {
			t.Fatal(err)
		}
		token, err := Mint(testKey(), Claims{Issuer: "CK", Expiry: time.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		cert := parseCert(t, certPEM)
		_, err = jwt.Parse(token, func(*jwt.Token) (any, error) { return cert.PublicKey, nil })
		if !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			t.Fatalf("err = %v, want a signature error", err)
		}
	})
}

// The signing input is base64url without padding, as RFC 7515 requires.
func TestMintUsesUnpaddedBase64URL(t *testing.T) {
	token, err := Mint(testKey(), Claims{Issuer: "CK?>", Subject: "ü"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny([]byte(token), "=+/") {
		t.Errorf("token %q contains padding or non-URL base64", token)
	}
}
