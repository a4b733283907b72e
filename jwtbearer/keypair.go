package jwtbearer

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// KeyPairOptions configures GenerateKeyPair. Zero values take defaults.
type KeyPairOptions struct {
	Bits       int       // RSA key size; default 2048 (what Salesforce's guides use)
	CommonName string    // certificate subject CN; default "sfemu test"
	NotBefore  time.Time // default: one minute ago
	NotAfter   time.Time // default: NotBefore + 365 days; may be in the past, for an expired certificate
	PKCS1      bool      // encode the key as PKCS#1 "RSA PRIVATE KEY" instead of PKCS#8 "PRIVATE KEY"
}

// defaultCommonName is the certificate CN GenerateKeyPair uses when none is given.
const defaultCommonName = "sfemu test"

// GenerateKeyPair does what the openssl steps in vendor guides do (openssl genrsa 2048; openssl req -new
// -x509 -days N): it makes a fresh RSA key and a self-signed certificate for it, the certificate that is
// uploaded to the External Client App. It returns PEM: the key as PKCS#8 "PRIVATE KEY" (or PKCS#1
// "RSA PRIVATE KEY" when opt.PKCS1 is set) and the certificate as "CERTIFICATE".
func GenerateKeyPair(opt KeyPairOptions) (keyPEM, certPEM []byte, err error) {
	bits := opt.Bits
	if bits == 0 {
		bits = 2048
	}
	cn := opt.CommonName
	if cn == "" {
		cn = defaultCommonName
	}
	notBefore := opt.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Minute)
	}
	notAfter := opt.NotAfter
	if notAfter.IsZero() {
		notAfter = notBefore.AddDate(0, 0, 365)
	}
	if !notAfter.After(notBefore) { // check before spending time on a key
		return nil, nil, fmt.Errorf("generate key pair: NotAfter (%s) is not after NotBefore (%s)",
			notAfter.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key pair: %w", err)
	}
	certPEM, err = SelfSignedCertificate(key, cn, notBefore, notAfter)
	if err != nil {
		return nil, nil, err
	}
	if opt.PKCS1 {
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, fmt.Errorf("generate key pair: %w", err)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return keyPEM, certPEM, nil
}

// SelfSignedCertificate makes a PEM "CERTIFICATE" for an existing key, signed by that key (SHA-256 with
// RSA), valid from notBefore to notAfter — which may both be in the past, to make an expired certificate
// for the same key.
func SelfSignedCertificate(key *rsa.PrivateKey, commonName string, notBefore, notAfter time.Time) ([]byte, error) {
	if key == nil {
		return nil, errors.New("self-signed certificate: no private key")
	}
	if !notAfter.After(notBefore) {
		return nil, fmt.Errorf("self-signed certificate: NotAfter (%s) is not after NotBefore (%s)",
			notAfter.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	}
	template := &x509.Certificate{
		// SerialNumber left nil: CreateCertificate picks a random RFC 5280 one.
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true, // as `openssl req -x509` makes it
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
