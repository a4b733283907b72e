package localca_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/localca"
)

// verify checks that cert chains to ca for host.
func verify(t *testing.T, ca *localca.CA, leaf *x509.Certificate, host string) error {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

func TestOpenMakesTheCAOnceAndReusesIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "tls")
	first, err := localca.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.Unsaved != nil || first.Dir != dir || first.CertPath() != filepath.Join(dir, "ca.pem") {
		t.Errorf("first Open: created %v, unsaved %v, dir %q, cert %q", first.Created, first.Unsaved, first.Dir, first.CertPath())
	}
	if first.Cert.Subject.CommonName != localca.CommonName || !first.Cert.IsCA {
		t.Errorf("CA subject %s, IsCA %v", first.Cert.Subject, first.Cert.IsCA)
	}
	if years := first.Cert.NotAfter.Sub(first.Cert.NotBefore).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("CA valid %.1f years, want about 10", years)
	}
	if _, ok := first.Cert.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("CA key is %T, want ECDSA", first.Cert.PublicKey)
	}
	onDisk, err := os.ReadFile(first.CertPath())
	if err != nil || !bytes.Equal(onDisk, first.CertPEM) {
		t.Errorf("ca.pem on disk differs from CertPEM (%v)", err)
	}
	if runtime.GOOS != "windows" {
		for file, want := range map[string]os.FileMode{"ca-key.pem": 0o600, "ca.pem": 0o644} {
			info, err := os.Stat(filepath.Join(dir, file))
			if err != nil || info.Mode().Perm() != want {
				t.Errorf("%s: mode %v (%v), want %v", file, info.Mode().Perm(), err, want)
			}
		}
	}
	second, err := localca.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || !bytes.Equal(second.CertPEM, first.CertPEM) {
		t.Errorf("second Open made a new CA (created %v)", second.Created)
	}
	// A certificate from the second is trusted by whoever trusted the first.
	leaf, err := second.Issue([]string{"localhost"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, first, leaf.Leaf, "localhost"); err != nil {
		t.Errorf("a certificate from the reopened CA does not verify against the first: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"ca-key.pem", "ca.pem"}) {
		t.Errorf("the directory holds %v, want only ca-key.pem and ca.pem (no temporary files)", names)
	}
}

// TestConcurrentOpensAgree: sfemu processes starting at once on an empty
// directory all end up with the one CA on disk.
func TestConcurrentOpensAgree(t *testing.T) {
	dir := t.TempDir()
	const n = 16
	cas := make([]*localca.CA, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { cas[i], errs[i] = localca.Open(dir) })
	}
	wg.Wait()
	onDisk, err := os.ReadFile(filepath.Join(dir, localca.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		if !bytes.Equal(cas[i].CertPEM, onDisk) {
			t.Errorf("Open %d has a CA other than the one on disk", i)
		}
	}
	if _, err := localca.Open(dir); err != nil {
		t.Errorf("the pair left on disk does not load: %v", err)
	}
}

func TestOpenFallsBackToMemoryWhenTheDirectoryIsUnwritable(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, []byte("x"), 0o644)
	dirs := []string{notADir, filepath.Join(notADir, "tls")}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		// A directory this user may not write (root may write any).
		readOnly := t.TempDir()
		if err := os.Chmod(readOnly, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(readOnly, 0o700) })
		dirs = append(dirs, readOnly, filepath.Join(readOnly, "tls"))
	}
	for _, dir := range dirs {
		ca, err := localca.Open(dir)
		if err != nil {
			t.Fatalf("Open(%s): %v", dir, err)
		}
		if ca.Unsaved == nil || !strings.Contains(ca.Unsaved.Error(), dir) || ca.Dir != "" || ca.CertPath() != "" {
			t.Errorf("Open(%s): unsaved %v, dir %q: want an in-memory CA saying why", dir, ca.Unsaved, ca.Dir)
		}
		if _, err := ca.Issue([]string{"127.0.0.1"}, time.Now()); err != nil {
			t.Errorf("the in-memory CA cannot issue: %v", err)
		}
	}
}

func TestOpenWithNoDirectoryToNameFallsBackToMemory(t *testing.T) {
	// As in a FROM scratch image: no $HOME, no $XDG_CONFIG_HOME.
	t.Setenv(localca.EnvDir, "")
	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if runtime.GOOS != "linux" {
		t.Skip("os.UserConfigDir looks elsewhere than $HOME here")
	}
	ca, err := localca.Open("")
	if err != nil {
		t.Fatal(err)
	}
	if ca.Unsaved == nil || !strings.Contains(ca.Unsaved.Error(), localca.EnvDir) {
		t.Errorf("unsaved = %v, want it to name %s", ca.Unsaved, localca.EnvDir)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(localca.EnvDir, "/srv/sfemu-tls")
	if d, err := localca.DefaultDir(); d != "/srv/sfemu-tls" || err != nil {
		t.Errorf("with %s set: %q, %v", localca.EnvDir, d, err)
	}
	if runtime.GOOS == "linux" {
		t.Setenv(localca.EnvDir, "")
		t.Setenv("XDG_CONFIG_HOME", "/home/ada/.cfg")
		if d, err := localca.DefaultDir(); d != "/home/ada/.cfg/sfemu/tls" || err != nil {
			t.Errorf("with XDG_CONFIG_HOME set: %q, %v", d, err)
		}
	}
}

// writeCA puts a CA of its own in a fresh directory and returns it with
// the pair's PEM.
func writeCA(t *testing.T) (dir string, certPEM, keyPEM []byte) {
	t.Helper()
	dir = t.TempDir()
	if _, err := localca.Open(dir); err != nil {
		t.Fatal(err)
	}
	certPEM, _ = os.ReadFile(filepath.Join(dir, localca.CertFile))
	keyPEM, _ = os.ReadFile(filepath.Join(dir, localca.KeyFile))
	return dir, certPEM, keyPEM
}

func TestBadFilesAreErrorsNamingTheFile(t *testing.T) {
	_, otherCert, otherKey := writeCA(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	cases := []struct {
		name     string
		cert     func(good []byte) []byte // nil: leave it
		key      func(good []byte) []byte
		file     string // the file the error must name
		wantText string
	}{
		{name: "certificate that is not PEM", cert: func([]byte) []byte { return []byte("hello") }, file: localca.CertFile, wantText: "no PEM CERTIFICATE"},
		{name: "certificate cut short", cert: func(g []byte) []byte { return g[:len(g)/2] }, file: localca.CertFile, wantText: "no PEM CERTIFICATE"},
		{name: "certificate block of garbage", cert: func([]byte) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})
		}, file: localca.CertFile, wantText: "not a valid certificate"},
		{name: "key that is not PEM", key: func([]byte) []byte { return []byte("{}") }, file: localca.KeyFile, wantText: "no PEM private key"},
		{name: "key block of garbage", key: func([]byte) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")})
		}, file: localca.KeyFile, wantText: "not a valid key"},
		{name: "encrypted key", key: func([]byte) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("x")})
		}, file: localca.KeyFile, wantText: "encrypted"},
		{name: "another CA's key", key: func([]byte) []byte { return otherKey }, file: localca.KeyFile, wantText: "does not match the certificate"},
		{name: "another CA's certificate", cert: func([]byte) []byte { return otherCert }, file: localca.CertFile, wantText: "does not match"},
		{name: "an RSA key that is not the certificate's", key: func([]byte) []byte { return pkcs1 }, file: localca.KeyFile, wantText: "does not match"},
		{name: "certificate that is not a CA", cert: func([]byte) []byte {
			ca, _ := localca.New()
			leaf, _ := ca.Issue([]string{"localhost"}, time.Now())
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})
		}, file: localca.CertFile, wantText: "not a CA certificate"},
		{name: "key removed", key: func([]byte) []byte { return nil }, file: localca.KeyFile, wantText: "is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, goodCert, goodKey := writeCA(t)
			certPath, keyPath := filepath.Join(dir, localca.CertFile), filepath.Join(dir, localca.KeyFile)
			var written []byte
			if tc.cert != nil {
				written = tc.cert(goodCert)
				os.WriteFile(certPath, written, 0o644)
			}
			if tc.key != nil {
				if k := tc.key(goodKey); k == nil {
					os.Remove(keyPath)
				} else {
					os.WriteFile(keyPath, k, 0o600)
				}
			}
			ca, err := localca.Open(dir)
			if err == nil {
				t.Fatalf("Open accepted it (created %v)", ca.Created)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, tc.file)) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q, want it to name %s and say %q", err, tc.file, tc.wantText)
			}
			// The files someone may trust are left as they were.
			if tc.cert != nil {
				if got, _ := os.ReadFile(certPath); !bytes.Equal(got, written) {
					t.Errorf("Open rewrote %s", certPath)
				}
			}
		})
	}
}

// TestAKeyWithoutItsCertificateGetsOne: an sfemu stopped between writing
// the key and the certificate leaves a key; the next start completes the
// pair instead of failing.
func TestAKeyWithoutItsCertificateGetsOne(t *testing.T) {
	dir, _, keyPEM := writeCA(t)
	os.Remove(filepath.Join(dir, localca.CertFile))
	ca, err := localca.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := localca.Open(dir)
	if err != nil || !bytes.Equal(again.CertPEM, ca.CertPEM) {
		t.Fatalf("reopen: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, localca.KeyFile)); !bytes.Equal(got, keyPEM) {
		t.Error("the key was replaced")
	}
}

func TestAnExpiredCAIsAnErrorSayingSo(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "old CA"},
		NotBefore: time.Now().AddDate(-3, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, localca.CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, localca.KeyFile), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	_, err = localca.Open(dir)
	if err == nil || !strings.Contains(err.Error(), "expired") || !strings.Contains(err.Error(), filepath.Join(dir, localca.CertFile)) {
		t.Errorf("Open of an expired CA: %v", err)
	}
}

// TestYourOwnCAInTheDirectory: a CA made elsewhere (RSA, PKCS#1 key, EC
// PARAMETERS before an EC key …) issues sfemu's certificates.
func TestYourOwnCAInTheDirectory(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalECPrivateKey(ecKey)
	for _, tc := range []struct {
		name   string
		signer any
		keyPEM []byte
	}{
		{"RSA, PKCS#1", rsaKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})},
		{"EC, SEC 1 after EC PARAMETERS", ecKey, append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Acme test CA"},
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
				IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
			var pub any
			switch k := tc.signer.(type) {
			case *rsa.PrivateKey:
				pub = &k.PublicKey
			case *ecdsa.PrivateKey:
				pub = &k.PublicKey
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, tc.signer)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, localca.CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
			os.WriteFile(filepath.Join(dir, localca.KeyFile), tc.keyPEM, 0o600)
			ca, err := localca.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := ca.Issue([]string{"localhost"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if err := verify(t, ca, leaf.Leaf, "localhost"); err != nil {
				t.Error(err)
			}
			// A leaf never outlives the CA.
			if leaf.Leaf.NotAfter.After(ca.Cert.NotAfter) {
				t.Errorf("leaf until %v, CA until %v", leaf.Leaf.NotAfter, ca.Cert.NotAfter)
			}
		})
	}
}

func TestIssueCoversTheNamesAndNothingElse(t *testing.T) {
	ca, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, err := ca.Issue([]string{"127.0.0.1", "::1", "localhost", "LOGIN.salesforce.com.", "acme--uat.sandbox.my.salesforce.com", "[::1]", "*.sfemu.test", "my_sfemu"}, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := cert.Leaf
	if got, want := leaf.DNSNames, []string{"localhost", "login.salesforce.com", "acme--uat.sandbox.my.salesforce.com", "*.sfemu.test", "my_sfemu"}; !slices.Equal(got, want) {
		t.Errorf("DNS names %v, want %v", got, want)
	}
	if len(leaf.IPAddresses) != 2 || leaf.IPAddresses[0].String() != "127.0.0.1" || leaf.IPAddresses[1].String() != "::1" {
		t.Errorf("IP addresses %v, want 127.0.0.1 and ::1", leaf.IPAddresses)
	}
	if d := leaf.NotAfter.Sub(now); d > 397*24*time.Hour || d < 300*24*time.Hour {
		t.Errorf("leaf valid for %v after now, want at most 397 days", d)
	}
	if leaf.IsCA {
		t.Error("the server certificate is a CA")
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "login.salesforce.com", "acme--uat.sandbox.my.salesforce.com", "x.sfemu.test"} {
		if err := verify(t, ca, leaf, host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	for _, host := range []string{"test.salesforce.com", "example.com", "10.0.0.1"} {
		if err := verify(t, ca, leaf, host); err == nil {
			t.Errorf("%s verifies, but was not asked for", host)
		}
	}
	if _, err := ca.Issue(nil, now); err == nil {
		t.Error("a certificate for no name was issued")
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "sfemu", want: "sfemu"},
		{in: "Sfemu.Example.", want: "sfemu.example"},
		{in: "10.1.2.3", want: "10.1.2.3"},
		{in: "[2001:db8::1]", want: "2001:db8::1"},
		{in: "::ffff:10.0.0.1", want: "10.0.0.1"},
		{in: "*.sfemu.test", want: "*.sfemu.test"},
		{in: "", err: "want a host name"},
		{in: "fe80::1%eth0", err: "zone"},
		{in: "127.0.0.1:8443", err: `':'`},
		{in: "a..b", err: "1 to 63"},
		{in: "*", err: `'*'`},
		{in: "a.*.b", err: `'*'`},
		{in: strings.Repeat("a", 64) + ".test", err: "1 to 63"},
		{in: "bücher.example", err: "punycode"},
		{in: "https://sfemu", err: `':'`},
	} {
		got, err := localca.CheckName(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("CheckName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.in)):
			t.Errorf("CheckName(%q) = %q, %v; want an error naming it and saying %q", tc.in, got, err, tc.err)
		}
	}
}

// TestServerReissuesOnlyWhenTheNamesChange: orgs loaded at run time get
// their My Domain into the certificate; handshakes otherwise share one.
func TestServerReissuesOnlyWhenTheNamesChange(t *testing.T) {
	ca, _ := localca.New()
	names := []string{"localhost", "127.0.0.1"}
	var mu sync.Mutex
	s := &localca.Server{CA: ca, Names: func() []string { mu.Lock(); defer mu.Unlock(); return names }}
	a, err := s.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	names = []string{"127.0.0.1", "LOCALHOST"} // the same, in another order and case
	mu.Unlock()
	if b, _ := s.Certificate(); b != a {
		t.Error("the same names got a new certificate")
	}
	mu.Lock()
	names = append(names, "acme.my.salesforce.com")
	mu.Unlock()
	c, err := s.GetCertificate(nil)
	if err != nil || c == a || !slices.Contains(c.Leaf.DNSNames, "acme.my.salesforce.com") {
		t.Errorf("after a new name: %v %v", c.Leaf.DNSNames, err)
	}
}
