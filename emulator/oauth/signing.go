package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// SigningKey is the RSA key sfemu signs id_tokens with and publishes at
// /id/keys, as Salesforce publishes its own. It is made on first use (an RSA
// key costs tens of milliseconds, which start-up should not pay) and the
// emulator keeps one across resets, so a client that cached the key set
// keeps verifying.
type SigningKey struct {
	once sync.Once
	key  *rsa.PrivateKey
	kid  string
	err  error
}

// NewSigningKey returns a key that is generated when first needed.
func NewSigningKey() *SigningKey { return &SigningKey{} }

func (k *SigningKey) get() (*rsa.PrivateKey, string, error) {
	k.once.Do(func() {
		k.key, k.err = rsa.GenerateKey(rand.Reader, 2048)
		if k.err != nil {
			return
		}
		der, _ := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
		sum := sha256.Sum256(der)
		k.kid = hex.EncodeToString(sum[:8])
	})
	return k.key, k.kid, k.err
}

// Public returns the public key and its key id, for tests and tools.
func (k *SigningKey) Public() (*rsa.PublicKey, string, error) {
	key, kid, err := k.get()
	if err != nil {
		return nil, "", err
	}
	return &key.PublicKey, kid, nil
}

// idTokenLifetime is how long an id_token is valid. Salesforce's is UNKNOWN
// to the minute; sfemu uses 5 minutes.
const idTokenLifetime = 5 * time.Minute

// idToken is the OpenID Connect ID token of a session: RS256 with the
// signing key, iss the host the client reached, aud the consumer key.
func (s *Service) idToken(base string, sess *org.Session, nonce string, now time.Time) string {
	key, kid, err := s.cfg.SigningKey.get()
	if err != nil {
		return ""
	}
	u := sess.User
	claims := jwt.MapClaims{
		"iss":                base,
		"sub":                gateway.IdentityURL(base, u),
		"aud":                appKey(sess.App),
		"exp":                now.Add(idTokenLifetime).Unix(),
		"iat":                now.Unix(),
		"at_hash":            atHash(sess.Token),
		"name":               u.Name(),
		"preferred_username": u.Username,
		"nickname":           nickname(u),
		"given_name":         u.FirstName,
		"family_name":        u.LastName,
		"email":              u.Email,
		"email_verified":     true,
		"zoneinfo":           u.Org.TimeZone.String(),
		"user_id":            string(u.ID),
		"organization_id":    string(u.Org.ID),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	signed, err := t.SignedString(key)
	if err != nil {
		return ""
	}
	return signed
}

func appKey(app *org.App) string {
	if app == nil {
		return ""
	}
	return app.ConsumerKey
}

// atHash is OpenID Connect's at_hash: the left half of SHA-256 of the
// access token, base64url (OpenID Connect Core 1.0 §3.1.3.6).
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// jwk is one key of the JWKS at /id/keys (RFC 7517).
type jwk struct {
	Kty string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
}

func publicJWK(pub *rsa.PublicKey, kid string) jwk {
	e := big.NewInt(int64(pub.E)).Bytes()
	return jwk{Kty: "RSA", N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()), E: base64.RawURLEncoding.EncodeToString(e), Alg: "RS256", Use: "sig", Kid: kid}
}

// trimSlash is a base URL without its trailing slash.
func trimSlash(s string) string { return strings.TrimSuffix(s, "/") }
