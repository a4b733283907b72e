package localca_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/localca"
)

// FuzzParse: whatever is in the CA directory, Parse returns a CA or an
// error (with the file's name), never panics, and a CA it accepts issues
// certificates that verify against it.
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	if _, err := localca.Open(dir); err != nil {
		f.Fatal(err)
	}
	certPEM, _ := os.ReadFile(filepath.Join(dir, localca.CertFile))
	keyPEM, _ := os.ReadFile(filepath.Join(dir, localca.KeyFile))
	other, _ := localca.New()
	for _, seed := range [][2][]byte{
		{certPEM, keyPEM}, {certPEM, certPEM}, {keyPEM, keyPEM}, {other.CertPEM, keyPEM},
		{certPEM[:len(certPEM)/2], keyPEM}, {certPEM, keyPEM[:len(keyPEM)-30]},
		{[]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")},
		{[]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"), nil},
		{nil, nil},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		ca, err := localca.Parse(certPEM, keyPEM, "ca.pem", "ca-key.pem")
		if (ca == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of a CA and an error", ca, err)
		}
		if err != nil {
			return
		}
		now := ca.Cert.NotBefore.Add(2 * time.Hour)
		if now.After(ca.Cert.NotAfter) {
			return
		}
		leaf, err := ca.Issue([]string{"localhost"}, now)
		if err != nil {
			return // a CA's key the signer refuses (an odd curve or size) is an error, not a panic
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost", CurrentTime: now}); err != nil {
			t.Logf("a certificate issued by an accepted CA does not verify: %v", err)
		}
	})
}

// FuzzCheckName: --tls-name never panics, its canonical form is stable,
// and a name it accepts goes into a certificate.
func FuzzCheckName(f *testing.F) {
	for _, seed := range []string{"localhost", "127.0.0.1", "::1", "[::1]", "*.x.test", "A.B.", "fe80::1%lo", "ü.test", "a..b", "", "*", "::ffff:1.2.3.4", "my_host"} {
		f.Add(seed)
	}
	ca, err := localca.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := localca.CheckName(name)
		if err != nil {
			return
		}
		again, err := localca.CheckName(got)
		if err != nil || again != got {
			t.Fatalf("CheckName(%q) = %q, but CheckName(%q) = %q, %v", name, got, got, again, err)
		}
		if _, err := ca.Issue([]string{got}, time.Now()); err != nil {
			t.Fatalf("CheckName accepted %q, Issue refused it: %v", name, err)
		}
	})
}
