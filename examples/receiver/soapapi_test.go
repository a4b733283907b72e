package main

import "testing"

// FuzzParseSOAPAnswer: whatever a server answers, the Partner client gets a
// Body or an error, never a panic.
func FuzzParseSOAPAnswer(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="urn:sobject.partner.soap.sforce.com"><soapenv:Body><queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/><records xsi:type="sf:sObject"><sf:type>Account</sf:type><sf:Id>001xx0000000001AAA</sf:Id><sf:Name>Edge</sf:Name></records><size>1</size></result></queryResponse></soapenv:Body></soapenv:Envelope>`))
	f.Add([]byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>x</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`))
	f.Add([]byte(`<a><b>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := parseSOAPAnswer(data)
		if err == nil && (body == nil || body.name != "Body") {
			t.Fatalf("no Body and no error: %+v", body)
		}
	})
}

func TestVersionOfAPartnerURL(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://acme.my.salesforce.com/services/Soap/u/29.0/00Dxx0000001gPL", "29.0"},
		{"http://127.0.0.1:8085/services/Soap/c/66.0/00Dxx0000001gPL", "66.0"},
		{"", "60.0"},
		{"http://x/services/Soap/u/latest/00D", "60.0"},
	} {
		if got := versionOf(tt.url, "60.0"); got != tt.want {
			t.Errorf("versionOf(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
