package jwtbearer

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The test-only keys in fixtures/keys are what the README there says they are.
func TestFixtureKeys(t *testing.T) {
	dir := filepath.Join("..", "fixtures", "keys")
	const banner = "TEST-ONLY KEY MATERIAL FOR sfemu - public in the repository, never use it for a real org\n"
	readPEM := func(t *testing.T, name string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte(banner+"-----BEGIN ")) {
			t.Errorf("%s does not start with the TEST-ONLY line followed by -----BEGIN", name)
		}
		return data
	}
	loadKey := func(t *testing.T, name, wantLabel string) *rsa.PrivateKey {
		t.Helper()
		data := readPEM(t, name)
		if block, _ := pem.Decode(data); block == nil || block.Type != wantLabel {
			t.Errorf("%s: encoding/pem does not find a %q block", name, wantLabel)
		}
		key, err := LoadPrivateKeyFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	loadCert := func(t *testing.T, name string) *x509.Certificate {
		t.Helper()
		return parseCert(t, readPEM(t, name)) // through encoding/pem, skipping the TEST-ONLY line
	}
	day := func(y int) time.Time { return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC) }

	server := loadKey(t, "server.key", "PRIVATE KEY")
	other := loadKey(t, "other.key", "PRIVATE KEY")
	tests := []struct {
		cert          string
		key           *rsa.PrivateKey
		cn            string
		from, until   time.Time
		matchesServer bool
	}{
		{"server.crt", server, "sfemu test-only server", day(2026), day(2036), true},
		{"server-expired.crt", server, "sfemu test-only server", day(2024), day(2025), true},
		{"other.crt", other, "sfemu test-only other", day(2026), day(2036), false},
	}
	for _, tt := range tests {
		t.Run(tt.cert, func(t *testing.T) {
			cert := loadCert(t, tt.cert)
			if !tt.key.PublicKey.Equal(cert.PublicKey) {
				t.Errorf("%s is not the certificate of its key", tt.cert)
			}
			if got := server.PublicKey.Equal(cert.PublicKey); got != tt.matchesServer {
				t.Errorf("%s matches server.key: %v, want %v", tt.cert, got, tt.matchesServer)
			}
			if cert.Subject.CommonName != tt.cn || !cert.NotBefore.Equal(tt.from) || !cert.NotAfter.Equal(tt.until) {
				t.Errorf("%s: CN %q valid %s – %s, want %q %s – %s", tt.cert, cert.Subject.CommonName,
					cert.NotBefore, cert.NotAfter, tt.cn, tt.from, tt.until)
			}
			if tt.key.N.BitLen() != 2048 {
				t.Errorf("key of %s has %d bits, want 2048", tt.cert, tt.key.N.BitLen())
			}
			// An assertion signed with the key verifies against the certificate.
			token, err := Mint(tt.key, Claims{Issuer: "CK", Subject: "u@x.example", Audience: "https://login.salesforce.com",
				Expiry: time.Now().Add(3 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return cert.PublicKey, nil }); err != nil {
				t.Errorf("assertion signed with the key does not verify with %s: %v", tt.cert, err)
			}
		})
	}
	t.Run("server-pkcs1.key", func(t *testing.T) {
		if pkcs1 := loadKey(t, "server-pkcs1.key", "RSA PRIVATE KEY"); !pkcs1.Equal(server) {
			t.Error("server-pkcs1.key is not server.key")
		}
	})
	t.Run("README says test-only", func(t *testing.T) {
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "TEST-ONLY") {
			t.Error("fixtures/keys/README.md does not say TEST-ONLY")
		}
	})
}
