package soap

import (
	"strings"
	"testing"
)

// A compound address is written as the WSDLs' address type, in both APIs;
// the golden responses are validated against the WSDLs (xmllint) too.
func TestCompoundAddressInQueries(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	created := e.partnerCall(tok, "", `<urn:create><urn:sObjects><urn1:type>Account</urn1:type><urn1:Name>Austin Office</urn1:Name>`+
		`<urn1:BillingStreet>312 Constitution Place</urn1:BillingStreet><urn1:BillingCity>Austin</urn1:BillingCity>`+
		`<urn1:BillingLatitude>30.2672</urn1:BillingLatitude></urn:sObjects></urn:create>`)
	if !strings.Contains(created.body, "<success>true</success>") {
		t.Fatalf("create: %s", created.body)
	}
	q := `<urn:query><urn:queryString>SELECT Name, BillingAddress, ShippingAddress FROM Account WHERE Name = 'Austin Office'</urn:queryString></urn:query>`
	for _, tt := range []struct{ golden, api, ns string }{
		{"query_partner_address.xml", "u", partner.ns},
		{"query_enterprise_address.xml", "c", enterprise.ns},
	} {
		got := e.post("/services/Soap/"+tt.api+"/66.0/00Dxx0000001gPL", envelope(tt.ns, tok, "", q))
		if got.status != 200 {
			t.Errorf("%s: %d %s", tt.golden, got.status, got.body)
			continue
		}
		golden(t, tt.golden, strings.ReplaceAll(got.body, e.srv.URL, "http://sfemu"))
	}
	// Setting it is refused like any read-only field.
	refused := e.partnerCall(tok, "", `<urn:create><urn:sObjects><urn1:type>Account</urn1:type><urn1:Name>X</urn1:Name>`+
		`<urn1:BillingAddress>Paris</urn1:BillingAddress></urn:sObjects></urn:create>`)
	if !strings.Contains(refused.body, "INVALID_FIELD_FOR_INSERT_UPDATE") {
		t.Errorf("create with BillingAddress: %s", refused.body)
	}
}
