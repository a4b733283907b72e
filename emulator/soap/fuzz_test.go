package soap

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseRequest: whatever arrives, the parser answers a call or a fault
// — never a panic, never a call without an operation.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(envelope(partner.ns, "00Dxx!abc", `<urn:QueryOptions><urn:batchSize>200</urn:batchSize></urn:QueryOptions>`,
		`<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`)))
	f.Add([]byte(envelope(enterprise.ns, "", "", `<urn:create><urn:sObjects xsi:type="urn1:Lead"><urn1:LastName>x</urn1:LastName></urn:sObjects></urn:create>`)))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`))
	f.Add([]byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a><b/></a><c/></soapenv:Body></soapenv:Envelope>`))
	f.Add([]byte("\xef\xbb\xbf<x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body)
		if err != nil {
			var ft *fault
			if !errors.As(err, &ft) {
				t.Fatalf("error is not a fault: %v", err)
			}
			if ft.message == "" {
				t.Fatal("a fault without a message")
			}
			return
		}
		if req.op == "" || req.body == nil {
			t.Fatalf("a call without an operation: %+v", req)
		}
		if strings.TrimSpace(req.op) != req.op {
			t.Fatalf("operation %q", req.op)
		}
	})
}

// FuzzCall sends arbitrary calls, with a valid session, through the whole
// service: every answer is a SOAP envelope with a status Salesforce uses.
func FuzzCall(f *testing.F) {
	for _, call := range []string{
		`<urn:query><urn:queryString>SELECT Id, Name FROM Account</urn:queryString></urn:query>`,
		`<urn:create><urn:sObjects><urn1:type>Lead</urn1:type><urn1:LastName>x</urn1:LastName></urn:sObjects></urn:create>`,
		`<urn:upsert><urn:externalIDFieldName>External_Key__c</urn:externalIDFieldName><urn:sObjects><urn1:type>Account</urn1:type></urn:sObjects></urn:upsert>`,
		`<urn:retrieve><urn:fieldList>Name</urn:fieldList><urn:sObjectType>Account</urn:sObjectType><urn:ids>001</urn:ids></urn:retrieve>`,
		`<urn:queryMore><urn:queryLocator>01gxx-9</urn:queryLocator></urn:queryMore>`,
		`<urn:describeSObjects><urn:sObjectType>Nope</urn:sObjectType></urn:describeSObjects>`,
		`<urn:login><urn:username>sender@acme.example</urn:username><urn:password>x</urn:password></urn:login>`,
	} {
		f.Add(call)
	}
	e := newEnv(&testing.T{})
	tok := e.session("sender@acme.example")
	h := e.srv.Config.Handler
	f.Fuzz(func(t *testing.T, call string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/services/Soap/u/64.0", strings.NewReader(envelope(partner.ns, tok, "", call)))
		h.ServeHTTP(rec, req)
		if s := rec.Code; s != 200 && s != 500 {
			t.Fatalf("status %d: %s", s, rec.Body.String())
		}
		if !strings.HasPrefix(rec.Body.String(), `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope`) {
			t.Fatalf("not a SOAP envelope: %.200s", rec.Body.String())
		}
	})
}
