package emulator

import (
	"context"
	"net/url"

	"github.com/sfemu/sfemu/wire"
)

// TLSCA is the certificate (PEM) of the CA that signed the https
// listeners' certificate (Options.TLSCA), for clients to trust; a 404 when
// sfemu serves no https of its own.
func (e *Emulator) TLSCA(context.Context) ([]byte, error) {
	if len(e.opts.TLSCA) == 0 {
		return nil, wire.NotFound("TLS is not enabled: start sfemu with `sfemu serve --tls` (or --tls-listen ADDR) for https with its local CA; with --tls-cert, trust your certificate's own issuer")
	}
	return e.opts.TLSCA, nil
}

// MyDomainHosts are the host names of the loaded orgs' My Domains
// (acme.my.salesforce.com), which the https certificate must cover for
// clients that reach sfemu under them (a hosts-file entry, a proxy). They
// follow the orgs: a reset or PUT /_sfemu/orgs changes them.
func (e *Emulator) MyDomainHosts() []string {
	var hosts []string
	for _, o := range e.store().Orgs() {
		if u, err := url.Parse(o.MyDomainURL()); err == nil && u.Hostname() != "" {
			hosts = append(hosts, u.Hostname())
		}
	}
	return hosts
}
