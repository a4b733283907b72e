package soap

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/internal/route"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// newFLSEnv is newEnv with acmeOrg's Integration profile hiding
// Account.Receiver_Status__c and making Account.Industry read only.
func newFLSEnv(t *testing.T) *env {
	t.Helper()
	fixture := strings.Replace(acmeOrg, "  - {name: Integration, session_timeout: 2h}\n",
		"  - {name: Integration, session_timeout: 2h, field_permissions: {Account.Receiver_Status__c: none, Account.Industry: read}}\n", 1)
	clk := clock.NewVirtual(soapNow)
	store, err := org.NewStore(clk, org.Source{Name: "acme.yaml", Data: []byte(fixture)})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(Config{Store: store, MaxRequestBytes: 1 << 20})
	gw := gateway.New(gateway.Config{Store: store, BaseURL: gateway.RequestBaseURL})
	r := &route.Router{}
	gw.Mount(r, Prefix, svc.Surface(), svc.Routes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, svc: svc, gw: gw, clock: clk, srv: srv, acme: store.Org("Acme")}
}

func TestSOAPHonoursFieldLevelSecurity(t *testing.T) {
	e := newFLSEnv(t)
	tok := e.session("sender@acme.example")
	var edge string
	e.acme.Data.Scan(e.acme.Schema.Object("Account"), false, func(r *org.Record) bool {
		if r.GetName("Name") == "Edge Communications" {
			edge = string(r.ID)
		}
		return edge == ""
	})
	const noColumn = "No such column 'Receiver_Status__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	tests := []struct {
		name, call string
		faultcode  string // "": no fault
		want       string // faultstring, or text the answer must contain
	}{
		{"query a hidden field", `<urn:query><urn:queryString>SELECT Receiver_Status__c FROM Account</urn:queryString></urn:query>`,
			"sf:INVALID_FIELD", noColumn},
		{"retrieve a hidden field", `<urn:retrieve><urn:fieldList>Name, Receiver_Status__c</urn:fieldList><urn:sObjectType>Account</urn:sObjectType><urn:ids>` + edge + `</urn:ids></urn:retrieve>`,
			"sf:INVALID_FIELD", noColumn},
		{"create with a hidden field fails the whole call", `<urn:create><urn:sObjects><urn1:type>Account</urn1:type><urn1:Name>N</urn1:Name><urn1:Receiver_Status__c>x</urn1:Receiver_Status__c></urn:sObjects></urn:create>`,
			"sf:INVALID_FIELD", "INVALID_FIELD: " + noColumn},
		{"update a read-only field", `<urn:update><urn:sObjects><urn1:type>Account</urn1:type><urn1:Id>` + edge + `</urn1:Id><urn1:Industry>Media</urn1:Industry></urn:sObjects></urn:update>`,
			"", "<message>Unable to update fields: Industry. Please check the security settings of this field and verify that it is read/write for your profile or permission set.</message><statusCode>INVALID_FIELD_FOR_INSERT_UPDATE</statusCode>"},
		{"a read-only field can be queried", `<urn:query><urn:queryString>SELECT Industry FROM Account WHERE Name = 'Edge Communications'</urn:queryString></urn:query>`,
			"", "<sf:Industry>Energy</sf:Industry>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.partnerCall(tok, "", tt.call)
			if tt.faultcode != "" {
				if fc, fs := text(got.body, "faultcode"), text(got.body, "faultstring"); fc != tt.faultcode || !strings.HasSuffix(fs, tt.want) {
					t.Errorf("%d %s\nwant %s ending %q", got.status, got.body, tt.faultcode, tt.want)
				}
				return
			}
			if got.status != 200 || !strings.Contains(got.body, tt.want) {
				t.Errorf("%d %s\nwant it to contain %s", got.status, got.body, tt.want)
			}
		})
	}
	desc := e.partnerCall(tok, "", `<urn:describeSObject><urn:sObjectType>Account</urn:sObjectType></urn:describeSObject>`)
	if strings.Contains(desc.body, "<name>Receiver_Status__c</name>") {
		t.Error("describeSObject lists a hidden field")
	}
	i := strings.Index(desc.body, "<name>Industry</name>")
	if i < 0 {
		t.Fatal("describeSObject lacks a read-only field")
	}
	field := desc.body[strings.LastIndex(desc.body[:i], "<fields>"):]
	field = field[:strings.Index(field, "</fields>")]
	if !strings.Contains(field, "<createable>false</createable>") || !strings.Contains(field, "<updateable>false</updateable>") {
		t.Errorf("a read-only field must be neither createable nor updateable: %s", field)
	}
}
