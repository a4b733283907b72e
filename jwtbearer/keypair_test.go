package jwtbearer

import (
	"crypto/rsa"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestGenerateKeyPair(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name      string
		opt       KeyPairOptions
		wantLabel string
		wantBits  int
		wantCN    string
		expired   bool
	}{
		{"defaults: 2048-bit PKCS#8 key, CN sfemu test, valid now", KeyPairOptions{},
			"PRIVATE KEY", 2048, "sfemu test", false},
		{"PKCS#1 when asked", KeyPairOptions{PKCS1: true, Bits: 1024, CommonName: "acme app"},
			"RSA PRIVATE KEY", 1024, "acme app", false},
		{"an already-expired certificate", KeyPairOptions{Bits: 1024, NotBefore: now.AddDate(0, 0, -2), NotAfter: now.AddDate(0, 0, -1)},
			"PRIVATE KEY", 1024, "sfemu test", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyPEM, certPEM, err := GenerateKeyPair(tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(keyPEM)
			if block == nil || block.Type != tt.wantLabel {
				t.Fatalf("key PEM %q: want a %q block", firstLine(keyPEM), tt.wantLabel)
			}
			key, err := LoadPrivateKey(keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			if key.N.BitLen() != tt.wantBits {
				t.Errorf("key has %d bits, want %d", key.N.BitLen(), tt.wantBits)
			}
			cert := parseCert(t, certPEM)
			if !key.PublicKey.Equal(cert.PublicKey.(*rsa.PublicKey)) {
				t.Error("certificate is not for the generated key")
			}
			if err := cert.CheckSignatureFrom(cert); err != nil {
				t.Errorf("certificate is not self-signed: %v", err)
			}
			if cert.Subject.CommonName != tt.wantCN {
				t.Errorf("CN = %q, want %q", cert.Subject.CommonName, tt.wantCN)
			}
			if expired := cert.NotAfter.Before(time.Now()); expired != tt.expired {
				t.Errorf("NotAfter %s: expired = %v, want %v", cert.NotAfter, expired, tt.expired)
			}
			if !tt.opt.NotAfter.IsZero() && !cert.NotAfter.Equal(tt.opt.NotAfter.Truncate(time.Second)) {
				t.Errorf("NotAfter = %s, want %s", cert.NotAfter, tt.opt.NotAfter)
			}
		})
	}
}

func TestSelfSignedCertificateForAnExistingKey(t *testing.T) {
	key := testKey()
	notBefore := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	certPEM, err := SelfSignedCertificate(key, "expired one", notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	cert := parseCert(t, certPEM)
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Error("certificate is not for the key")
	}
	if !cert.NotBefore.Equal(notBefore) || !cert.NotAfter.Equal(notAfter) {
		t.Errorf("validity %s – %s, want %s – %s", cert.NotBefore, cert.NotAfter, notBefore, notAfter)
	}
	if cert.Subject.CommonName != "expired one" {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
}

func TestKeyPairErrors(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"GenerateKeyPair: NotAfter before NotBefore", func() error {
			_, _, err := GenerateKeyPair(KeyPairOptions{NotBefore: now, NotAfter: now.Add(-time.Hour)})
			return err
		}, "generate key pair: NotAfter (…) is not after NotBefore (…)"},
		{"SelfSignedCertificate: no key", func() error {
			_, err := SelfSignedCertificate(nil, "x", now, now.Add(time.Hour))
			return err
		}, "self-signed certificate: no private key"},
		{"SelfSignedCertificate: empty validity", func() error {
			_, err := SelfSignedCertificate(testKey(), "x", now, now)
			return err
		}, "self-signed certificate: NotAfter (…) is not after NotBefore (…)"},
		{"GenerateKeyPair: a key too small for crypto/rsa", func() error {
			_, _, err := GenerateKeyPair(KeyPairOptions{Bits: 512})
			return err
		}, "generate key pair: crypto/rsa: …"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			assertMessage(t, err.Error(), tt.want)
		})
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}
