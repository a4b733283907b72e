package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/localca"
	"github.com/sfemu/sfemu/internal/envflag"
)

// tlsFlags are `sfemu serve`'s https flags (docs/TLS.md). https exists for
// clients that refuse http (simple-salesforce, go-soapforce's login); the
// certificate comes from sfemu's local CA unless the user brings one.
type tlsFlags struct {
	tls      bool
	listen   string
	names    envflag.StringList
	dir      string
	certFile string
	keyFile  string
	// dirFromEnv: dir came from $SFEMU_TLS_DIR, which may be set whether
	// or not https is on.
	dirFromEnv bool
}

func (f *tlsFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.tls, "tls", false, "serve https instead of http on --listen, with a certificate from sfemu's local CA (docs/TLS.md)")
	fs.StringVar(&f.listen, "tls-listen", "", "`ADDR` of an https listener besides --listen's (http and https side by side)")
	fs.Var(&f.names, "tls-name", "one more host `NAME` or IP address for the https certificate (repeatable)")
	fs.StringVar(&f.dir, "tls-dir", "", "`DIR` the local CA is kept in (default sfemu/tls in the user config directory)")
	fs.StringVar(&f.certFile, "tls-cert", "", "serve your own certificate `FILE` (PEM, chain after it) instead of one from the local CA; with --tls-key")
	fs.StringVar(&f.keyFile, "tls-key", "", "the private key `FILE` of --tls-cert")
}

// on reports whether anything is served over https.
func (f *tlsFlags) on() bool { return f.tls || f.listen != "" }

// check refuses flag combinations that would do nothing, silently.
func (f *tlsFlags) check() error {
	if !f.on() {
		if len(f.names) > 0 || (f.dir != "" && !f.dirFromEnv) || f.certFile != "" || f.keyFile != "" {
			return errors.New("--tls-name, --tls-dir, --tls-cert and --tls-key need --tls (https on --listen) or --tls-listen ADDR")
		}
		return nil
	}
	if (f.certFile == "") != (f.keyFile == "") {
		return errors.New("--tls-cert FILE and --tls-key FILE go together")
	}
	if f.certFile != "" && (len(f.names) > 0 || (f.dir != "" && !f.dirFromEnv)) {
		return errors.New("--tls-name and --tls-dir are for sfemu's own certificate; with --tls-cert the names are your certificate's")
	}
	for i, n := range f.names {
		c, err := localca.CheckName(n)
		if err != nil {
			return fmt.Errorf("--tls-name: %w", err)
		}
		f.names[i] = c
	}
	return nil
}

// baseNames are in every certificate sfemu issues: its own addresses, and
// Salesforce's login hosts for clients that have them built in (pointed at
// sfemu by a hosts-file entry or a proxy).
var baseNames = []string{"127.0.0.1", "::1", "localhost", "login.salesforce.com", "test.salesforce.com"}

// httpsSetup is what the https listeners serve, and what the banner says
// about it.
type httpsSetup struct {
	config *tls.Config
	ca     *localca.CA      // the local CA; nil with --tls-cert
	own    *tls.Certificate // --tls-cert's
	flags  *tlsFlags
	// leaf is the certificate served now.
	leaf func() (*tls.Certificate, error)
}

// setup loads the certificate: the user's, or the local CA's (made on
// first use) with a server certificate for the base names, the hosts of
// publicURL and of the listen addresses, --tls-name, and the loaded orgs'
// My Domains (myDomains, asked at each handshake: orgs change at run time).
func (f *tlsFlags) setup(publicURL string, listen []string, myDomains func() []string) (*httpsSetup, error) {
	s := &httpsSetup{flags: f, config: &tls.Config{MinVersion: tls.VersionTLS12}}
	if f.certFile != "" {
		cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", f.certFile, f.keyFile, err)
		}
		s.own = &cert
		s.config.Certificates = []tls.Certificate{cert}
		s.leaf = func() (*tls.Certificate, error) { return s.own, nil }
		return s, nil
	}
	ca, err := localca.Open(f.dir)
	if err != nil {
		return nil, err
	}
	static := slices.Clone(baseNames)
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		static = append(static, u.Hostname())
	}
	for _, addr := range listen {
		if host, _, err := net.SplitHostPort(addr); err == nil && host != "" {
			if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
				static = append(static, host)
			}
		}
	}
	static = append(static, f.names...)
	server := &localca.Server{CA: ca, Names: func() []string { return append(slices.Clone(static), myDomains()...) }}
	s.ca, s.leaf = ca, server.Certificate
	s.config.GetCertificate = server.GetCertificate
	return s, nil
}

// issue makes the first certificate.
func (s *httpsSetup) issue() error {
	_, err := s.leaf()
	return err
}

// servedListener is a listener and whether it speaks https.
type servedListener struct {
	net.Listener
	tls bool
}

// url is the listener's base URL.
func (l servedListener) url() string {
	if l.tls {
		return "https://" + l.Addr().String()
	}
	return "http://" + l.Addr().String()
}

// printBanner says where https is served, what the certificate covers,
// and how to trust it.
func (s *httpsSetup) printBanner(w io.Writer, listeners []servedListener) {
	var httpsURL, httpURL string
	for _, l := range listeners {
		if l.tls && httpsURL == "" {
			httpsURL = l.url()
		}
		if !l.tls && httpURL == "" {
			httpURL = l.url()
		}
		if l.tls {
			fmt.Fprintf(w, "  https           %s\n", l.url())
		}
	}
	leaf, _ := s.leaf()
	if leaf != nil && leaf.Leaf != nil {
		fmt.Fprintf(w, "  certificate     for %s; until %s\n", strings.Join(certNames(leaf), ", "), leaf.Leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	if s.own != nil {
		fmt.Fprintf(w, "  certificate     yours, from %s\n", s.flags.certFile)
		return
	}
	caURL := httpsURL + emulator.ControlPrefix + "/tls/ca.pem"
	if httpURL != "" {
		caURL = httpURL + emulator.ControlPrefix + "/tls/ca.pem"
	}
	health := httpsURL + emulator.ControlPrefix + "/health"
	if path := s.ca.CertPath(); path != "" {
		made := "reused: clients that trust it keep trusting it"
		if s.ca.Created {
			made = "made now, kept for later starts"
		}
		fmt.Fprintf(w, "  CA              %s (%s; also GET %s)\n", path, made, caURL)
		fmt.Fprintf(w, "  trust it with   curl --cacert %s %s\n", path, health)
		return
	}
	fmt.Fprintf(w, "  CA              in memory only, a new one at each start (%v); download it from %s\n", s.ca.Unsaved, caURL)
	insecure := ""
	if httpURL == "" {
		insecure = "k" // the one download that cannot verify yet
	}
	fmt.Fprintf(w, "  trust it with   curl -s%s %s -o sfemu-ca.pem && curl --cacert sfemu-ca.pem %s\n", insecure, caURL, health)
}

// certNames are the DNS names and IP addresses a certificate covers.
func certNames(c *tls.Certificate) []string {
	names := slices.Clone(c.Leaf.DNSNames)
	for _, ip := range c.Leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}
