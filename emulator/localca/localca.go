// Package localca is sfemu's own certificate authority, so that `sfemu
// serve --tls` can speak https to clients that refuse plain http (Python's
// simple-salesforce, go-soapforce's login, anything with https:// wired
// into its login URL) without anyone touching openssl.
//
// The CA is made on first use and kept as PEM in a directory (DefaultDir:
// $SFEMU_TLS_DIR, else the user's config directory's sfemu/tls), so a client
// told to trust it once keeps trusting it on every later start. Server
// certificates are cheap and short-lived: they are issued in memory at each
// start (and again when the names they must cover change) and never written.
// When the directory cannot be written, Open falls back to a CA in memory
// only and says why (CA.Unsaved), as https with a CA to download beats no
// https at all — in a FROM scratch image there is not even a home.
//
// It is test tooling: the key sits unencrypted next to the certificate.
// Trust the CA in the clients under test (curl --cacert, REQUESTS_CA_BUNDLE,
// a Go tls.Config), not system-wide, unless you keep the key as safe as the
// machine.
package localca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/internal/userfile"
)

const (
	// CertFile and KeyFile are the CA's files in its directory. Another CA
	// can be put there instead (an unencrypted PEM key, PKCS#8, SEC 1 or
	// PKCS#1): sfemu then issues from it.
	CertFile = "ca.pem"
	KeyFile  = "ca-key.pem"
	// CommonName is the subject of the CAs this package makes, so that the
	// certificate says what it is wherever it ends up trusted.
	CommonName = "sfemu local CA (test only)"
	// EnvDir overrides DefaultDir.
	EnvDir = "SFEMU_TLS_DIR"

	// caValidity is long, as re-trusting a CA in every client is the chore
	// this package exists to avoid.
	caValidity = 10 * 365 * 24 * time.Hour
	// LeafValidity is how long a server certificate is valid. Browsers and
	// Apple's TLS stack refuse server certificates valid for more than 398
	// days; leaves are re-issued at each start anyway.
	LeafValidity = 365 * 24 * time.Hour
	// backdate covers clocks a little behind this one (a VM, a container).
	backdate = time.Hour
)

// CA is a certificate authority sfemu issues server certificates from.
type CA struct {
	// Cert is the CA certificate and CertPEM the same as PEM: what clients
	// trust.
	Cert    *x509.Certificate
	CertPEM []byte
	key     crypto.Signer

	// Dir is the directory the CA is kept in; "" for a CA in memory only.
	Dir string
	// Created reports that Open made the CA now rather than loading it.
	Created bool
	// Unsaved says why a CA that Open was to keep is in memory only (the
	// directory could not be found, made or written); nil otherwise.
	Unsaved error
}

// CertPath is where the CA certificate is kept, or "" in memory.
func (ca *CA) CertPath() string {
	if ca.Dir == "" {
		return ""
	}
	return filepath.Join(ca.Dir, CertFile)
}

// DefaultDir is where the CA is kept unless told otherwise: $SFEMU_TLS_DIR,
// else sfemu/tls in the user's config directory ($XDG_CONFIG_HOME or
// ~/.config on Linux; os.UserConfigDir elsewhere). It fails when there is
// no such directory to name (no $HOME, as in a FROM scratch image).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no directory for the local CA (set %s or --tls-dir): %w", EnvDir, err)
	}
	return filepath.Join(cfg, "sfemu", "tls"), nil
}

// New makes a CA in memory: ECDSA P-256, valid for ten years.
func New() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	return selfSign(key, time.Now())
}

// selfSign makes the CA certificate for key.
func selfSign(key crypto.Signer, now time.Time) (*CA, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: CommonName, Organization: []string{"sfemu"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		// It signs server certificates only, never another CA.
		MaxPathLen:     0,
		MaxPathLenZero: true,
		KeyUsage:       x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

// serial is a random 128-bit serial number (RFC 5280 asks for positive
// and at most 20 bytes).
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1))
}

// Open loads the CA kept in dir ("": DefaultDir), making it on first use.
//
// Two sfemu starting at once on an empty directory end up with the same
// CA: each file is written to a temporary name and then hard-linked into
// place, which, unlike a rename, fails when another process got there
// first; the key is written first and the certificate is derived from the
// key on disk, so the pair on disk always matches.
//
// When dir cannot be named, made or written, Open returns a CA in memory
// only, with Unsaved saying why. A CA that is there but unreadable, a file
// that is not the PEM it should be, a key that does not match the
// certificate, or a certificate that is not a CA or has expired, is an
// error naming the file: sfemu never replaces a CA someone may trust.
func Open(dir string) (*CA, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return inMemory("", err)
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return inMemory(dir, err)
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	created := false
	// Each round either returns or puts a missing file in place (or finds
	// that another process just did); a few rounds are plenty.
	for range 5 {
		keyPEM, kerr := userfile.Read(keyPath, userfile.MaxPEM)
		certPEM, cerr := userfile.Read(certPath, userfile.MaxPEM)
		switch {
		case kerr != nil && !errors.Is(kerr, fs.ErrNotExist):
			return nil, fmt.Errorf("local CA: %w", kerr)
		case cerr != nil && !errors.Is(cerr, fs.ErrNotExist):
			return nil, fmt.Errorf("local CA: %w", cerr)
		case kerr == nil && cerr == nil:
			ca, err := Parse(certPEM, keyPEM, certPath, keyPath)
			if err != nil {
				return nil, err
			}
			if now := time.Now(); now.After(ca.Cert.NotAfter) {
				return nil, fmt.Errorf("local CA: %s expired on %s: remove %s and %s to make a new CA (and trust the new one)",
					certPath, ca.Cert.NotAfter.Format(time.DateOnly), certPath, keyPath)
			}
			ca.Dir, ca.Created = dir, created
			return ca, nil
		case kerr != nil && cerr == nil:
			// Keys are written first, so this is not another sfemu half way.
			return nil, fmt.Errorf("local CA: %s is there but its key %s is missing: put the key back, or remove %s to make a new CA",
				certPath, keyPath, certPath)
		case kerr == nil:
			// The key without its certificate: another sfemu is about to
			// write it, or was stopped before it could. Either way, a
			// certificate for the key on disk is the right one; whoever
			// links it first wins.
			key, err := parseKey(keyPEM, keyPath)
			if err != nil {
				return nil, err
			}
			ca, err := selfSign(key, time.Now())
			if err != nil {
				return nil, err
			}
			if err := createFile(certPath, ca.CertPEM, 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
				return inMemory(dir, err)
			}
			created = true
		default:
			ca, err := New()
			if err != nil {
				return nil, err
			}
			keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
			if err != nil {
				return nil, fmt.Errorf("local CA: %w", err)
			}
			err = createFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
			switch {
			case errors.Is(err, fs.ErrExist):
				continue // another sfemu's key: read it and follow it
			case err != nil:
				return inMemory(dir, err)
			}
			if err := createFile(certPath, ca.CertPEM, 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
				return inMemory(dir, err)
			}
			created = true
		}
	}
	return nil, fmt.Errorf("local CA: %s and %s keep changing under sfemu: is something else writing %s?", certPath, keyPath, dir)
}

// inMemory is the fallback CA when dir cannot hold one.
func inMemory(dir string, why error) (*CA, error) {
	ca, err := New()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		why = fmt.Errorf("cannot keep the CA in %s: %w", dir, why)
	}
	ca.Unsaved = why
	return ca, nil
}

// createFile puts data at path only if nothing is there yet, atomically:
// readers see no file or the whole file, never a part. It returns an error
// wrapping fs.ErrExist when path already exists.
func createFile(path string, data []byte, mode fs.FileMode) error {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// A file system without hard links: rename, unless the file appeared.
	// This leaves a small window in which two starts may both write; the
	// later one then reads the other's key with its own certificate and
	// says they do not match, naming the files.
	if _, serr := os.Lstat(path); serr == nil {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	return os.Rename(tmp.Name(), path)
}

// Parse reads a CA from its certificate and key PEM; certName and keyName
// are the files they came from, for the errors.
func Parse(certPEM, keyPEM []byte, certName, keyName string) (*CA, error) {
	cert, der, err := parseCert(certPEM, certName)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM, keyName)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("local CA: the key in %s does not match the certificate in %s: put back the pair that belongs together, or remove both to make a new CA",
			keyName, certName)
	}
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

// parseCert reads the first certificate of certPEM, which must be a CA's.
func parseCert(certPEM []byte, name string) (*x509.Certificate, []byte, error) {
	rest := certPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, nil, fmt.Errorf("local CA: %s holds no PEM CERTIFICATE block", name)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("local CA: %s: its CERTIFICATE block is not a valid certificate: %w", name, err)
		}
		if !cert.IsCA || !cert.BasicConstraintsValid {
			return nil, nil, fmt.Errorf("local CA: %s (%s) is not a CA certificate (no basic constraints CA:TRUE), so it cannot sign sfemu's server certificate",
				name, cert.Subject)
		}
		if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			return nil, nil, fmt.Errorf("local CA: %s (%s) may not sign certificates (its key usage lacks keyCertSign)", name, cert.Subject)
		}
		return cert, block.Bytes, nil
	}
}

// parseKey reads the first private key of keyPEM: PKCS#8, SEC 1 or PKCS#1,
// unencrypted.
func parseKey(keyPEM []byte, name string) (crypto.Signer, error) {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("local CA: %s holds no PEM private key (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block)", name)
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("local CA: %s is encrypted: sfemu needs the key unencrypted", name)
		default:
			continue // EC PARAMETERS, a certificate next to the key …
		}
		if _, encrypted := block.Headers["DEK-Info"]; encrypted {
			return nil, fmt.Errorf("local CA: %s is encrypted: sfemu needs the key unencrypted", name)
		}
		if err != nil {
			return nil, fmt.Errorf("local CA: %s: its %s block is not a valid key: %w", name, block.Type, err)
		}
		switch k := key.(type) {
		case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
			return k.(crypto.Signer), nil
		default:
			return nil, fmt.Errorf("local CA: %s: a %T cannot sign certificates", name, key)
		}
	}
}

// CheckName canonicalises a name a server certificate is to cover: an IP
// address literal (IPv4 or IPv6, no zone) or a DNS name of letters, digits,
// hyphens and underscores (as Docker container names have), optionally a
// wildcard "*.example.test"; lower case, no trailing dot.
func CheckName(name string) (string, error) {
	if ip, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		if ip.Zone() != "" {
			return "", fmt.Errorf("TLS name %q: an IP address with a zone cannot be in a certificate", name)
		}
		return ip.Unmap().String(), nil
	}
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if n == "" || len(n) > 253 {
		return "", fmt.Errorf("TLS name %q: want a host name (up to 253 characters) or an IP address", name)
	}
	for i, label := range strings.Split(n, ".") {
		if label == "*" && i == 0 && strings.Contains(n, ".") {
			continue
		}
		if label == "" || len(label) > 63 {
			return "", fmt.Errorf("TLS name %q: each dot-separated part must be 1 to 63 characters", name)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				if c > 127 {
					return "", fmt.Errorf("TLS name %q: give an internationalised name in its xn-- (punycode) form", name)
				}
				return "", fmt.Errorf("TLS name %q: %q is not allowed in a host name (letters, digits, '-', '_'; '*' only as the first part)", name, c)
			}
		}
	}
	return n, nil
}

// Issue makes a server certificate for names (host names and IP address
// literals, see CheckName), signed by the CA, valid from now (an hour
// back, for clocks behind) for LeafValidity or until the CA expires.
func (ca *CA) Issue(names []string, now time.Time) (*tls.Certificate, error) {
	if len(names) == 0 {
		return nil, errors.New("local CA: a server certificate needs at least one name")
	}
	if now.After(ca.Cert.NotAfter) {
		return nil, fmt.Errorf("local CA: the CA expired on %s", ca.Cert.NotAfter.Format(time.DateOnly))
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "sfemu", Organization: []string{"sfemu (test only)"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(LeafValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if tmpl.NotAfter.After(ca.Cert.NotAfter) {
		tmpl.NotAfter = ca.Cert.NotAfter
	}
	seen := map[string]bool{}
	for _, raw := range names {
		n, err := CheckName(raw)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		if ip, err := netip.ParseAddr(n); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("local CA: server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("local CA: server certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Server hands out the server certificate for a set of names that may
// change while sfemu runs (orgs loaded through the control API bring their
// My Domain host names), issuing a new one only when the names change or
// the current one nears its end. Its GetCertificate is a
// tls.Config.GetCertificate.
type Server struct {
	CA *CA
	// Names are the names the certificate must cover now; called at each
	// handshake, so it must be cheap.
	Names func() []string

	mu   sync.Mutex
	key  string
	cert *tls.Certificate
}

// Certificate is the server certificate for the current names.
func (s *Server) Certificate() (*tls.Certificate, error) {
	names := slices.Clone(s.Names())
	for i, n := range names {
		if c, err := CheckName(n); err == nil {
			names[i] = c
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	key := strings.Join(names, " ")
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert != nil && s.key == key && now.Before(s.cert.Leaf.NotAfter.Add(-24*time.Hour)) {
		return s.cert, nil
	}
	cert, err := s.CA.Issue(names, now)
	if err != nil {
		return nil, err
	}
	s.key, s.cert = key, cert
	return cert, nil
}

// GetCertificate is Certificate for tls.Config.
func (s *Server) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return s.Certificate()
}
