package main

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A Partner query answer as sfemu and Salesforce send it (prefixes: the
// default namespace for the call's elements, sf for the sObject's).
const queryAnswer = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="urn:sobject.partner.soap.sforce.com"><soapenv:Header><LimitInfoHeader><limitInfo><current>1</current><limit>100000</limit><type>API REQUESTS</type></limitInfo></LimitInfoHeader></soapenv:Header><soapenv:Body><queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/><records xsi:type="sf:sObject"><sf:type>Account</sf:type><sf:Id>001xx0000000001AAA</sf:Id><sf:Id>001xx0000000001AAA</sf:Id><sf:Name>Edge &amp; Co</sf:Name><sf:Phone xsi:nil="true"/><sf:Owner xsi:type="sf:sObject"><sf:type>User</sf:type><sf:Id xsi:nil="true"/><sf:Alias>ssend</sf:Alias></sf:Owner><sf:Contacts xsi:type="QueryResult"><done>true</done><size>0</size></sf:Contacts></records><size>1</size></result></queryResponse></soapenv:Body></soapenv:Envelope>`

const invalidSessionAnswer = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session</faultstring><detail><sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault"><sf:exceptionCode>INVALID_SESSION_ID</sf:exceptionCode><sf:exceptionMessage>Invalid Session ID found in SessionHeader: Illegal Session</sf:exceptionMessage></sf:UnexpectedErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

// FuzzParseSOAPAnswer: whatever a server answers, the Partner client gets a
// Body (with or without a fault) or an error, never a panic, and reading
// records, faults and results from it never panics either.
func FuzzParseSOAPAnswer(f *testing.F) {
	f.Add([]byte(queryAnswer))
	f.Add([]byte(invalidSessionAnswer))
	f.Add([]byte(`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault><faultcode xmlns:x="urn:x">x:Y</faultcode></e:Fault></e:Body></e:Envelope>`))
	f.Add([]byte(`<a><b>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := parseSOAPAnswer(data)
		if err != nil {
			return
		}
		if body == nil || body.name != (xml.Name{Space: soapEnvNS, Local: "Body"}) {
			t.Fatalf("no Body and no error: %+v", body)
		}
		if fault := faultOf(body, 500); fault != nil {
			_ = fault.Error()
		}
		if res, err := soapResult(body, "query"); err == nil {
			for _, rec := range res.all(partnerNS, "records") {
				_ = soapRecord(rec)
			}
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

func TestSOAPRecordsAreReadByNamespace(t *testing.T) {
	// The same answer with other prefixes: ns0 for Partner, s for sObjects,
	// env for the envelope — and decoys in other namespaces.
	renamed := `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
		`<env:Body><ns0:queryResponse xmlns:ns0="urn:partner.soap.sforce.com" xmlns:s="urn:sobject.partner.soap.sforce.com">` +
		`<ns0:result><ns0:records><s:type>Lead</s:type><s:Id i:nil="1"/><s:Id>00Qxx0000000001AAA</s:Id>` +
		`<s:Company>Farmers Coop</s:Company><s:Email i:nil="true"/><x:Decoy xmlns:x="urn:elsewhere">no</x:Decoy></ns0:records>` +
		`<records><s:Name>not a Partner record: default namespace is none</s:Name></records></ns0:result></ns0:queryResponse></env:Body></env:Envelope>`
	for _, tt := range []struct {
		name, answer string
		want         []map[string]any
	}{
		{"sfemu's prefixes", queryAnswer, []map[string]any{{"Id": "001xx0000000001AAA", "Name": "Edge & Co", "Phone": nil,
			"Owner": map[string]any{"Id": nil, "Alias": "ssend"}}}},
		{"other prefixes, decoys in other namespaces, xsi:nil=\"1\", a nil Id before the real one", renamed,
			[]map[string]any{{"Id": "00Qxx0000000001AAA", "Company": "Farmers Coop", "Email": nil}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakePartner(t, http.StatusOK, tt.answer)
			got, err := testClient().soapQuery(context.Background(), srv.URL, "sid", "SELECT Id FROM Account")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSOAPAnswersThatAreNotPartnerAnswers(t *testing.T) {
	for _, tt := range []struct {
		name, answer string
		status       int
		wantErr      string
	}{
		{"a SOAP 1.2 envelope", `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>`, 200,
			`not a SOAP 1.1 envelope: the root is <Envelope> in namespace "http://www.w3.org/2003/05/soap-envelope"`},
		{"an HTML error page", `<html><body>Bad Gateway</body></html>`, 502, "HTTP 502: the answer is not a SOAP 1.1 envelope"},
		{"not XML", `{"error":"nope"}`, 500, "HTTP 500: the answer has no element"},
		{"a queryResponse in the Enterprise namespace", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
			`<queryResponse xmlns="urn:enterprise.soap.sforce.com"><result/></queryResponse></s:Body></s:Envelope>`, 200,
			"query: the answer has no queryResponse/result in namespace urn:partner.soap.sforce.com"},
		{"a 500 that is no fault", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>`, 500,
			"HTTP 500 without a fault"},
		{"an answer over the size limit", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
			strings.Repeat(" ", maxSOAPAnswer) + `</s:Body></s:Envelope>`, 200, "over 8388608 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakePartner(t, tt.status, tt.answer)
			_, err := testClient().soapQuery(context.Background(), srv.URL, "sid", "SELECT Id FROM Account")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSOAPFaults(t *testing.T) {
	for _, tt := range []struct {
		name, answer    string
		wantErr, wantEx string
		invalidSession  bool
	}{
		{"Salesforce's INVALID_SESSION_ID, code once", invalidSessionAnswer,
			"INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session", "INVALID_SESSION_ID", true},
		{"no detail: the faultcode's local part, whatever its prefix",
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault xmlns:f="urn:fault.partner.soap.sforce.com">` +
				`<faultcode>f:INVALID_SESSION_ID</faultcode><faultstring>Session expired or invalid</faultstring></s:Fault></s:Body></s:Envelope>`,
			"INVALID_SESSION_ID: Session expired or invalid", "INVALID_SESSION_ID", true},
		{"a SOAP-level fault keeps its soapenv code",
			`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
				`<faultcode>soapenv:Client</faultcode><faultstring>the Body is empty</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
			"soapenv:Client: the Body is empty", "soapenv:Client", false},
		{"a detail in another namespace is not Salesforce's",
			`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:sf="urn:fault.partner.soap.sforce.com">sf:INVALID_FIELD</faultcode>` +
				`<faultstring>INVALID_FIELD: No such column</faultstring><detail><x:F xmlns:x="urn:other"><x:exceptionCode>INVALID_SESSION_ID</x:exceptionCode></x:F></detail></s:Fault></s:Body></s:Envelope>`,
			"INVALID_FIELD: No such column", "INVALID_FIELD", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := fakePartner(t, http.StatusInternalServerError, tt.answer)
			_, err := testClient().soapQuery(context.Background(), srv.URL, "sid", "SELECT Id FROM Account")
			var f *SOAPFault
			if !errors.As(err, &f) {
				t.Fatalf("error = %v; want a *SOAPFault", err)
			}
			if err.Error() != tt.wantErr || f.ExceptionName() != tt.wantEx || isInvalidSession(err) != tt.invalidSession {
				t.Errorf("fault %q (code %q, invalid session %v); want %q (%q, %v)", err, f.ExceptionName(), isInvalidSession(err),
					tt.wantErr, tt.wantEx, tt.invalidSession)
			}
		})
	}
}

func TestSOAPSaveResults(t *testing.T) {
	ok := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body>` +
		`<createResponse><result><id>00Txx0000000001AAA</id><success>true</success></result></createResponse></soapenv:Body></soapenv:Envelope>`
	failed := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>` +
		`<updateResponse><result><errors><fields>Receiver_Status__c</fields><message>Receiver Status: bad value for restricted picklist field: processed 04l</message>` +
		`<statusCode>INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST</statusCode></errors><errors><message>second</message><statusCode>OTHER</statusCode></errors>` +
		`<id xsi:nil="true"/><success>false</success></result></updateResponse></soapenv:Body></soapenv:Envelope>`

	srv, _ := fakePartner(t, http.StatusOK, ok)
	id, err := testClient().soapSave(context.Background(), srv.URL, "sid", "create", "Task", map[string]any{"Subject": "x"})
	if err != nil || id != "00Txx0000000001AAA" {
		t.Errorf("create = %q, %v; want the new id", id, err)
	}

	srv, _ = fakePartner(t, http.StatusOK, failed)
	_, err = testClient().soapSave(context.Background(), srv.URL, "sid", "update", "Lead", map[string]any{"Id": "00Q", "Receiver_Status__c": "processed 04l"})
	var se *SaveError
	want := "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Receiver Status: bad value for restricted picklist field: processed 04l; OTHER: second"
	if !errors.As(err, &se) || err.Error() != want || se.Errors[0].Fields[0] != "Receiver_Status__c" {
		t.Errorf("update error = %v; want a *SaveError %q (as REST words errors)", err, want)
	}
}

// TestSOAPRequestsEscapeEveryValue: the session, the SOQL, the login's
// username and password and every field value reach the server as the
// text they were, in well-formed envelopes.
func TestSOAPRequestsEscapeEveryValue(t *testing.T) {
	const hostile = `a<b>&c"d'e]]></urn:sessionId>`
	login := `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body>` +
		`<loginResponse><result><passwordExpired>false</passwordExpired><serverUrl>http://127.0.0.1:1/services/Soap/u/60.0/00Dxx0000001gPL</serverUrl>` +
		`<sessionId>00D!sid</sessionId></result></loginResponse></soapenv:Body></soapenv:Envelope>`
	srv, bodies := fakePartner(t, http.StatusOK, login)
	sf := testClient()
	tok, err := sf.soapLogin(context.Background(), &OrgConfig{LoginURL: srv.URL, Username: hostile, Password: hostile}, "60.0")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "00D!sid" || tok.SOAPURL != "http://127.0.0.1:1/services/Soap/u/60.0/00Dxx0000001gPL" || tok.InstanceURL != "http://127.0.0.1:1" {
		t.Errorf("login token = %+v", tok)
	}
	_, _ = sf.soapQuery(context.Background(), srv.URL, hostile, "SELECT Id FROM Account WHERE Name = '"+hostile+"'")
	_, _ = sf.soapSave(context.Background(), srv.URL, hostile, "update", "Account", map[string]any{"Id": "001", "Receiver_Status__c": hostile})

	got := bodies()
	if len(got) != 3 {
		t.Fatalf("%d requests; want 3", len(got))
	}
	var sent []sentEnvelope
	for i, b := range got {
		sent = append(sent, sentEnvelope{})
		if err := xml.Unmarshal([]byte(b), &sent[i]); err != nil {
			t.Fatalf("request %d is not well-formed XML: %v\n%s", i, err, b)
		}
	}
	if l := sent[0].Body.Login; l.Username != hostile || l.Password != hostile || sent[0].Header.SessionHeader != nil {
		t.Errorf("login sent username %q password %q (SessionHeader %v); want %q and no SessionHeader", l.Username, l.Password, sent[0].Header.SessionHeader, hostile)
	}
	if h := sent[1].Header.SessionHeader; h == nil || h.SessionID != hostile || !strings.HasSuffix(sent[1].Body.Query.QueryString, "'"+hostile+"'") {
		t.Errorf("query sent %+v %q", h, sent[1].Body.Query.QueryString)
	}
	if u := sent[2].Body.Update.SObjects; u.Type != "Account" || u.ID != "001" || u.Status != hostile {
		t.Errorf("update sent %+v; want type Account, Id 001, the status %q", u, hostile)
	}
	if i, j := strings.Index(got[2], "urn1:Id>"), strings.Index(got[2], "urn1:Receiver_Status__c>"); i < 0 || j < i {
		t.Errorf("update: Id after the fields (or missing): %s", got[2])
	}
}

// sentEnvelope is what the tests read back of a request, by namespace.
type sentEnvelope struct {
	Header struct {
		SessionHeader *struct {
			SessionID string `xml:"urn:partner.soap.sforce.com sessionId"`
		} `xml:"urn:partner.soap.sforce.com SessionHeader"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Body struct {
		Login struct {
			Username string `xml:"urn:partner.soap.sforce.com username"`
			Password string `xml:"urn:partner.soap.sforce.com password"`
		} `xml:"urn:partner.soap.sforce.com login"`
		Query struct {
			QueryString string `xml:"urn:partner.soap.sforce.com queryString"`
		} `xml:"urn:partner.soap.sforce.com query"`
		Update struct {
			SObjects struct {
				Type   string `xml:"urn:sobject.partner.soap.sforce.com type"`
				ID     string `xml:"urn:sobject.partner.soap.sforce.com Id"`
				Status string `xml:"urn:sobject.partner.soap.sforce.com Receiver_Status__c"`
			} `xml:"urn:partner.soap.sforce.com sObjects"`
		} `xml:"urn:partner.soap.sforce.com update"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

func testClient() *Salesforce { return NewSalesforce(nil, "60.0", LoginSOAPLogin) }

// fakePartner answers every POST with status and answer; bodies returns
// the requests' bodies so far.
func fakePartner(t *testing.T, status int, answer string) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/xml") || r.Header.Get("SOAPAction") == "" {
			t.Errorf("request %s with Content-Type %q SOAPAction %q; want a SOAP 1.1 POST", r.Method, r.Header.Get("Content-Type"), r.Header.Get("SOAPAction"))
		}
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bodies...)
	}
}
