package soap

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
)

// wsdl serves /soap/wsdl.jsp, where Setup → API's links point: the
// Enterprise WSDL with ?type=* (generated from the org's schema), the
// Partner WSDL without. Salesforce wants a logged-in session (the sid
// cookie); sfemu serves it to anyone, for the org of the session if one is
// given, else ?org= (id or name), else the first org. ?version= picks the
// API version (default: the newest served). The service address is this
// emulator's SOAP endpoint, so a client generated from it calls sfemu.
func (s *Service) wsdl(c *gateway.Call) (gateway.Response, error) {
	q := c.Request.URL.Query()
	version := strconv.FormatFloat(s.cfg.LatestVersion, 'f', 1, 64)
	if v := q.Get("version"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < OldestVersion || f > s.cfg.LatestVersion || f != float64(int(f)) {
			return gateway.Response{}, clientFault("version %q is not an API version sfemu serves (%.1f to %.1f)", v, OldestVersion, s.cfg.LatestVersion)
		}
		version = strconv.FormatFloat(f, 'f', 1, 64)
	}
	if q.Get("type") != "*" {
		return gateway.Bytes(http.StatusOK, contentType, PartnerWSDL(version, c.BaseURL+Prefix+"/u/"+version)), nil
	}
	o := c.Org
	if name := q.Get("org"); name != "" && o == nil {
		if o = s.store.Org(name); o == nil {
			f := clientFault("no org %q", name)
			f.status = http.StatusNotFound
			return gateway.Response{}, f
		}
	}
	if o == nil {
		o = c.DefaultOrg()
	}
	if o == nil {
		return gateway.Response{}, fmt.Errorf("the emulator serves no org")
	}
	return gateway.Bytes(http.StatusOK, contentType, EnterpriseWSDL(o, version, c.BaseURL+Prefix+"/c/"+version)), nil
}
