package oauth

import (
	"net"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/org"
)

// Salesforce's shared login hosts.
const (
	loginHost = "login.salesforce.com"
	testHost  = "test.salesforce.com"
)

// onLoginHost reports whether r reached the shared login host rather than
// o's My Domain. sfemu serves every host on one listener, so it decides
// from the Host header: login.salesforce.com and test.salesforce.com are the
// login host, o's My Domain host name is My Domain, and any other name (the
// emulator's own address: 127.0.0.1, localhost, a container name) is what
// o's settings.emulator_host says (my_domain by default). Another org's My
// Domain is not o's, so it counts as a login host.
func onLoginHost(r *http.Request, o *org.Org) bool {
	host := hostName(r.Host)
	switch {
	case host == loginHost || host == testHost:
		return true
	case o.MyDomain != "" && host == myDomainHost(o):
		return false
	case strings.HasSuffix(host, ".salesforce.com"):
		return true
	}
	return o.Settings.EmulatorHost == org.EmulatorHostLogin
}

func myDomainHost(o *org.Org) string {
	return strings.TrimPrefix(o.MyDomainURL(), "https://")
}

// hostName is a Host header's name, lower-cased, without the port.
func hostName(hostport string) string {
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host
}
