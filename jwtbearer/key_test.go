package jwtbearer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPrivateKeyAcceptsTheFormsKeysTake(t *testing.T) {
	key := testKey()
	p1, p8 := pkcs1PEM(key), pkcs8PEM(t, key)
	pkcs8Body := strings.NewReplacer("-----BEGIN PRIVATE KEY-----", "", "-----END PRIVATE KEY-----", "").Replace(p8)
	pkcs1Body := strings.NewReplacer("-----BEGIN RSA PRIVATE KEY-----", "", "-----END RSA PRIVATE KEY-----", "").Replace(p1)

	tests := []struct {
		name  string
		input string
	}{
		{"PKCS#1 RSA PRIVATE KEY", p1},
		{"PKCS#8 PRIVATE KEY", p8},
		{`one line with \n escapes, as pasted into a secret store`, oneLine(p8)},
		{`one-line PKCS#1 without the trailing \n`, strings.TrimSuffix(oneLine(p1), `\n`)},
		{`one line with \r\n escapes`, strings.ReplaceAll(p8, "\n", `\r\n`)},
		{`doubly escaped \\n from JSON inside JSON`, strings.ReplaceAll(p8, "\n", `\\n`)},
		{"one-line form in double quotes", `"` + oneLine(p8) + `"`},
		{"one-line form in single quotes", `'` + oneLine(p1) + `'`},
		{"quoted multi-line value", "\"" + p8 + "\"\n"},
		{"CRLF line ends", strings.ReplaceAll(p1, "\n", "\r\n")},
		{"surrounding whitespace and a byte-order mark", "\ufeff  \n\t" + p8 + "\n\n  "},
		{"explanatory text before -----BEGIN", "TEST-ONLY KEY: never use it for a real org\n" + p8},
		{"explanatory text after -----END", p1 + "this key is for the staging app\n"},
		{"newlines turned into spaces", strings.ReplaceAll(strings.TrimSpace(p8), "\n", " ")},
		{"JSON-escaped slashes", strings.ReplaceAll(oneLine(p8), "/", `\/`)},
		{"PKCS#8 body mislabelled RSA PRIVATE KEY", "-----BEGIN RSA PRIVATE KEY-----" + pkcs8Body + "-----END RSA PRIVATE KEY-----\n"},
		{"PKCS#1 body mislabelled PRIVATE KEY", "-----BEGIN PRIVATE KEY-----" + pkcs1Body + "-----END PRIVATE KEY-----\n"},
		{"certificate then key, as in a bundle", certFor(t, key) + p8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadPrivateKey([]byte(tt.input))
			if err != nil {
				t.Fatalf("LoadPrivateKey: %v", err)
			}
			if !got.Equal(key) {
				t.Fatal("LoadPrivateKey returned a different key")
			}
		})
	}
}

func TestLoadPrivateKeySaysPreciselyWhatIsWrong(t *testing.T) {
	key := testKey()
	p8 := pkcs8PEM(t, key)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	block := func(label, body string) string {
		return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n"
	}
	garbage := base64.StdEncoding.EncodeToString([]byte("this is not ASN.1 at all, just some bytes"))
	lines := strings.Split(p8, "\n")

	tests := []struct {
		name    string
		input   string
		wantIs  error  // nil: no sentinel applies
		wantMsg string // the whole message, or a prefix of it ending in "…"
	}{
		{"empty input", "", ErrNoPEM,
			"no PEM block found: the input is empty"},
		{"only whitespace and quotes", " \"\" \n", ErrNoPEM,
			"no PEM block found: the input is empty"},
		{"random text", "my-secret-password", ErrNoPEM,
			"no PEM block found: the input does not contain a -----BEGIN line (is this the certificate or a file path instead of the key?)"},
		{"a file path instead of the key", "/etc/keys/server.key", ErrNoPEM,
			`no PEM block found: the input is "/etc/keys/server.key", which looks like a file path, not the key itself`},
		{"bare base64 without the armour", base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(key)), ErrNoPEM,
			"no PEM block found: the input is bare base64 without the -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- lines around it"},
		{"binary DER", string(x509.MarshalPKCS1PrivateKey(key)), ErrNoPEM,
			"no PEM block found: the input is binary (DER?), not PEM text…"},
		{"the certificate instead of the key", certFor(t, key), ErrNotPrivateKey,
			"this is a CERTIFICATE, not a private key: the JWT is signed with the private key; the certificate goes into the app"},
		{"the public key instead of the private key", block("PUBLIC KEY", base64.StdEncoding.EncodeToString(pubDER)), ErrNotPrivateKey,
			"this is a PUBLIC KEY, not a private key…"},
		{"a CSR", block("CERTIFICATE REQUEST", garbage), ErrNotPrivateKey,
			"this is a CERTIFICATE REQUEST (CSR), not a private key…"},
		{"legacy encrypted PKCS#1 (Proc-Type: 4,ENCRYPTED)",
			"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n" + garbage + "\n-----END RSA PRIVATE KEY-----\n",
			ErrEncryptedKey, "encrypted private key: decrypt it first (openssl rsa -in key.pem -out plain.pem)"},
		{"encrypted PKCS#8, one-line form", oneLine(block("ENCRYPTED PRIVATE KEY", garbage)),
			ErrEncryptedKey, "encrypted private key: decrypt it first (openssl rsa -in key.pem -out plain.pem)"},
		{"PKCS#8 ECDSA key", pkcs8PEM(t, ecKey), ErrNotRSA,
			"PKCS#8 key is ECDSA P-256, not RSA: Salesforce JWT bearer needs RS256"},
		{"PKCS#8 Ed25519 key", pkcs8PEM(t, edKey), ErrNotRSA,
			"PKCS#8 key is Ed25519, not RSA: Salesforce JWT bearer needs RS256"},
		{"SEC 1 EC PRIVATE KEY", block("EC PRIVATE KEY", base64.StdEncoding.EncodeToString(ecDER)), ErrNotRSA,
			"this is an EC private key, not RSA: Salesforce JWT bearer needs RS256"},
		{"OpenSSH key", block("OPENSSH PRIVATE KEY", garbage), nil,
			"this is an OpenSSH-format private key: convert it to PEM first…"},
		{"valid base64 that is not a key", block("RSA PRIVATE KEY", garbage), nil,
			`PEM block "RSA PRIVATE KEY" is corrupt: asn1: structure error: …`},
		{"a character that is not base64", strings.Replace(p8, lines[3], lines[3][:10]+"!"+lines[3][11:], 1), nil,
			`PEM body of "PRIVATE KEY" is not valid base64: character '!' on line 3 of the body is not a base64 character`},
		{"a character lost when copying", strings.Replace(p8, lines[3]+"\n", lines[3][:len(lines[3])-1]+"\n", 1), nil,
			`PEM body of "PRIVATE KEY" is not valid base64: … is not a multiple of 4, so part of it is missing`},
		{"empty body", block("PRIVATE KEY", ""), nil,
			`PEM block "PRIVATE KEY" is empty`},
		{"cut off before the END line", p8[:len(p8)/2], nil,
			`PEM block "PRIVATE KEY" is truncated: there is no -----END PRIVATE KEY----- line (was the value cut off when it was copied?)`},
		{"END label differs from BEGIN label", strings.Replace(p8, "-----END PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", 1), nil,
			`corrupt PEM: block "PRIVATE KEY" ends with "-----END RSA PRIVATE KEY-----" instead of "-----END PRIVATE KEY-----"`},
		{"BEGIN line never closed", "-----BEGIN PRIVATE KEY\nMIIE\n", nil,
			"corrupt PEM: the -----BEGIN line does not end with -----"},
		{"two private keys", p8 + pkcs1PEM(key), nil,
			`the input holds 2 private keys ("PRIVATE KEY", "RSA PRIVATE KEY"), expected exactly one…`},
	}
	sentinels := []error{ErrNoPEM, ErrNotPrivateKey, ErrEncryptedKey, ErrNotRSA}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadPrivateKey([]byte(tt.input))
			if err == nil {
				t.Fatalf("LoadPrivateKey succeeded (key of %d bits), want error %q", got.N.BitLen(), tt.wantMsg)
			}
			if got != nil {
				t.Errorf("LoadPrivateKey returned a key together with error %v", err)
			}
			assertMessage(t, err.Error(), tt.wantMsg)
			for _, s := range sentinels {
				if is := errors.Is(err, s); is != (s == tt.wantIs) {
					t.Errorf("errors.Is(err, %q) = %v, want %v", s, is, !is)
				}
			}
		})
	}
}

// assertMessage compares an error message with want, where "…" in want stands for any text.
func assertMessage(t *testing.T, got, want string) {
	t.Helper()
	parts := strings.Split(want, "…")
	rest := got
	for i, p := range parts {
		j := strings.Index(rest, p)
		if j < 0 || i == 0 && j != 0 {
			t.Errorf("error message\n got: %s\nwant: %s", got, want)
			return
		}
		rest = rest[j+len(p):]
	}
	if rest != "" && !strings.HasSuffix(want, "…") {
		t.Errorf("error message\n got: %s\nwant: %s", got, want)
	}
}

func TestLoadPrivateKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := testKey()
	good := filepath.Join(dir, "server.key")
	cert := filepath.Join(dir, "server.crt")
	if err := os.WriteFile(good, []byte(pkcs1PEM(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cert, []byte(certFor(t, key)), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("reads a key file", func(t *testing.T) {
		got, err := LoadPrivateKeyFile(good)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(key) {
			t.Fatal("different key")
		}
	})
	t.Run("a missing file is named in the error", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.key")
		_, err := LoadPrivateKeyFile(missing)
		if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err = %v, want one naming %s and matching os.ErrNotExist", err, missing)
		}
	})
	t.Run("the certificate file is named and explained", func(t *testing.T) {
		_, err := LoadPrivateKeyFile(cert)
		assertMessage(t, errText(err), "private key file "+cert+": this is a CERTIFICATE, not a private key…")
		if !errors.Is(err, ErrNotPrivateKey) {
			t.Errorf("errors.Is(err, ErrNotPrivateKey) = false for %v", err)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// The PEM parser in encoding/pem and this package agree on ordinary keys.
func TestLoadPrivateKeyAgreesWithEncodingPEM(t *testing.T) {
	text := "explanatory text\n" + pkcs8PEM(t, testKey())
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatal("encoding/pem does not find the block")
	}
	if _, err := LoadPrivateKey([]byte(text)); err != nil {
		t.Fatal(err)
	}
}
