package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

// clientCert is the certificate the outbound sender presents to receivers
// that ask for mutual TLS, like the one Salesforce offers for download in
// Setup → API. It is made on first use (an RSA key costs tens of
// milliseconds, which start-up should not pay) and kept across resets, so a
// receiver configured to trust it keeps trusting it.
type clientCert struct {
	once    sync.Once
	cert    tls.Certificate
	certPEM []byte
	err     error
}

func (c *clientCert) get() (*tls.Certificate, []byte, error) {
	c.once.Do(func() {
		now := time.Now()
		keyPEM, certPEM, err := jwtbearer.GenerateKeyPair(jwtbearer.KeyPairOptions{
			CommonName: "sfemu outbound messaging client (test only)",
			NotBefore:  now.Add(-time.Hour),
			NotAfter:   now.AddDate(2, 0, 0),
		})
		if err != nil {
			c.err = err
			return
		}
		c.cert, c.err = tls.X509KeyPair(certPEM, keyPEM)
		c.certPEM = certPEM
	})
	return &c.cert, c.certPEM, c.err
}

// outboundTLS is the TLS configuration of the outbound sender: the
// receivers' CAs to trust (system roots plus Options.OutboundTrustedCAs) and
// the client certificate, presented when a receiver asks for one.
func (e *Emulator) outboundTLS() (*tls.Config, error) {
	// Nil RootCAs means the system roots, loaded on first use; loading them
	// here would cost start-up ~15 ms. Only extra CAs force a pool now.
	var roots *x509.CertPool
	if len(e.opts.OutboundTrustedCAs) > 0 {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(e.opts.OutboundTrustedCAs) {
			return nil, fmt.Errorf("emulator: OutboundTrustedCAs holds no PEM certificate")
		}
	}
	return &tls.Config{
		RootCAs:    roots,
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _, err := e.clientCert.get()
			return cert, err
		},
	}, nil
}

// ClientCertificate is the outbound sender's client certificate (PEM), for
// receivers that require mutual TLS to trust; Setup → API offers the same
// for download.
func (e *Emulator) ClientCertificate(context.Context) ([]byte, error) {
	_, pemBytes, err := e.clientCert.get()
	if err != nil {
		return nil, wire.Errorf(http.StatusInternalServerError, "client certificate: %v", err)
	}
	return pemBytes, nil
}
