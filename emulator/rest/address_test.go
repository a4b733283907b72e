package rest

import (
	"strings"
	"testing"
)

// addressOrg has an Account with a billing address and none for shipping.
const addressOrg = `
org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Integration}
profiles: [{name: Integration}]
records:
  Account:
    - {Name: Edge Communications, BillingStreet: 312 Constitution Place, BillingCity: Austin, BillingState: TX, BillingPostalCode: "78767", BillingCountry: USA, BillingLatitude: 30.2672, BillingLongitude: -97.7431}
    - {Name: Blank}
  Lead:
    - {LastName: Boxer, Company: Farmers Coop, City: Tokyo}
`

func TestCompoundAddressFields(t *testing.T) {
	e := newEnvWith(t, addressOrg)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	billing := `{"city":"Austin","country":"USA","geocodeAccuracy":null,"latitude":30.2672,"longitude":-97.7431,"postalCode":"78767","state":"TX","street":"312 Constitution Place"}`
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string // the body, or a fragment of it after "…"
	}{
		{"record GET", "GET", "/sobjects/Account/" + edge + "?fields=BillingAddress,ShippingAddress", ``, 200,
			`{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"BillingAddress":` + billing + `,"ShippingAddress":null}`},
		{"full record GET", "GET", "/sobjects/Account/" + edge, ``, 200, `…"BillingAddress":` + billing + `,"ShippingAddress":null`},
		{"query", "GET", "/query?q=" + q("SELECT BillingAddress FROM Account ORDER BY Name"), ``, 200,
			`{"totalSize":2,"done":true,"records":[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` +
				acmeRecordID(e, "Account", "Name", "Blank") + `"},"BillingAddress":null},{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"BillingAddress":` + billing + `}]}`},
		{"Lead Address", "GET", "/query?q=" + q("SELECT Address FROM Lead"), ``, 200,
			`…"Address":{"city":"Tokyo","country":null,"geocodeAccuracy":null,"latitude":null,"longitude":null,"postalCode":null,"state":null,"street":null}}]}`},
		{"through a lookup", "GET", "/query?q=" + q("SELECT Owner.Address FROM Account WHERE Name = 'Blank'"), ``, 200, `…"Address":null}}]}`},
		{"WHERE", "GET", "/query?q=" + q("SELECT Id FROM Account WHERE BillingAddress != null"), ``, 400,
			`[{"message":"\nSELECT Id FROM Account WHERE BillingAddress != null\n                             ^\nERROR at Row:1:Column:30\nfield 'BillingAddress' can not be filtered in query call","errorCode":"INVALID_FIELD"}]`},
		{"ORDER BY", "GET", "/query?q=" + q("SELECT Id FROM Account ORDER BY BillingAddress"), ``, 400, `…can not be sorted in query call","errorCode":"INVALID_FIELD"}]`},
		{"GROUP BY", "GET", "/query?q=" + q("SELECT COUNT(Id) FROM Account GROUP BY BillingAddress"), ``, 400, `…can not be grouped in query call","errorCode":"INVALID_FIELD"}]`},
		{"insert sets it", "POST", "/sobjects/Account", `{"Name":"x","BillingAddress":{"city":"Paris"}}`, 400,
			`[{"message":"Unable to create fields: BillingAddress. Please check the security settings of this field and verify that it is read/write for your profile or permission set.","errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["BillingAddress"]}]`},
		{"update sets it", "PATCH", "/sobjects/Account/" + edge, `{"BillingAddress":null}`, 400,
			`…"errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["BillingAddress"]}]`},
		{"describe", "GET", "/sobjects/Account/describe", ``, 200, `…"compoundFieldName":"BillingAddress"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do(tt.method, "/services/data/v66.0"+tt.path, tt.body)
			ok := got.body == tt.want
			if frag, isFrag := strings.CutPrefix(tt.want, "…"); isFrag {
				ok = strings.Contains(got.body, frag)
			}
			if got.status != tt.status || !ok {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.want)
			}
		})
	}
}
