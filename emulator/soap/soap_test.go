package soap

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

const (
	loginCall = `<urn:login><urn:username>%s</urn:username><urn:password>%s</urn:password></urn:login>`
	// loginPath is a version login() still answers in a current org (it is
	// not available from API 65.0).
	loginPath = "/services/Soap/u/64.0"
)

func (e *env) login(username, password string, extra ...string) answer {
	e.t.Helper()
	return e.post(loginPath, envelope(partner.ns, "", "", fmt.Sprintf(loginCall, username, password)), extra...)
}

// text is the text of the first element named local in an answer.
func text(body, local string) string {
	d := xml.NewDecoder(strings.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			var s string
			_ = d.DecodeElement(&s, &se)
			return s
		}
	}
}

func count(body, local string) int {
	d := xml.NewDecoder(strings.NewReader(body))
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return n
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == local {
			n++
		}
	}
}

func TestLoginOpensASessionTheOtherCallsTake(t *testing.T) {
	e := newEnv(t)
	got := e.login("sender@acme.example", "s3cret")
	if got.status != 200 {
		t.Fatalf("login: %d %s", got.status, got.body)
	}
	if want := e.srv.URL + "/services/Soap/u/64.0/00Dxx0000001gPL"; text(got.body, "serverUrl") != want {
		t.Errorf("serverUrl = %q, want %q", text(got.body, "serverUrl"), want)
	}
	if text(got.body, "userName") != "sender@acme.example" || text(got.body, "organizationId") != "00Dxx0000001gPLEAY" ||
		text(got.body, "sessionSecondsValid") != "7200" || text(got.body, "sandbox") != "false" {
		t.Errorf("login result: %s", got.body)
	}
	golden(t, "login.xml", strings.ReplaceAll(got.body, e.srv.URL, "http://sfemu"))
	sid := text(got.body, "sessionId")
	q := e.post("/services/Soap/u/64.0/00Dxx0000001gPL", envelope(partner.ns, sid, "", `<urn:getUserInfo/>`))
	if q.status != 200 || text(q.body, "userFullName") != "Send User" {
		t.Errorf("getUserInfo with the login's session: %d %s", q.status, q.body)
	}
	rows := e.acme.LoginHistory().Events()
	last := rows[len(rows)-1]
	if last.Status != org.LoginSuccess || last.LoginType != LoginType || last.APIType != "SOAP Partner" || last.APIVersion != "64.0" {
		t.Errorf("Login History row: %+v", last)
	}
	if out := e.post("/services/Soap/u/64.0", envelope(partner.ns, sid, "", `<urn:logout/>`)); out.status != 200 || !strings.Contains(out.body, "<logoutResponse/>") {
		t.Errorf("logout: %d %s", out.status, out.body)
	}
	if after := e.post("/services/Soap/u/64.0", envelope(partner.ns, sid, "", `<urn:getUserInfo/>`)); text(after.body, "faultcode") != "sf:INVALID_SESSION_ID" {
		t.Errorf("the session still works after logout: %s", after.body)
	}
}

func TestLoginFailures(t *testing.T) {
	invalid := "sf:INVALID_LOGIN"
	tests := []struct {
		name, username, password, extra string
		path                            string
		faultcode, message, history     string
	}{
		{"unknown username: INVALID_LOGIN and no Login History row", "nobody@acme.example", "s3cret", "", "", invalid, "Invalid username, password, security token; or user locked out.", ""},
		{"wrong password", "sender@acme.example", "wrong", "", "", invalid, "", org.LoginInvalidPassword},
		{"password with the security token appended works", "sender@acme.example", "s3cretTOKEN123", "", "", "", "", org.LoginSuccess},
		{"a user with no password in the fixture", "nopassword@acme.example", "", "", "", invalid, "", org.LoginInvalidPassword},
		{"inactive user", "gone@acme.example", "s3cret", "", "", invalid, "", org.LoginUserInactive},
		{"outside the profile's Login IP Ranges", "office@acme.example", "s3cret", "", "", invalid, "", org.LoginRestrictedIP},
		{"login() is not available from API 65.0", "sender@acme.example", "s3cret", "", "/services/Soap/u/65.0", "sf:INVALID_OPERATION", "not available in API version 65.0", statusLoginBlocked},
		{"login() disabled in the org", "sender@acme.example", "s3cret", "settings: {soap_login: disabled}", "", "sf:INVALID_OPERATION", "disabled in this org", statusLoginBlocked},
		{"login() retired (Summer '27)", "sender@acme.example", "s3cret", "", "/services/Soap/u/60.0", "sf:INVALID_OPERATION", "retired", statusLoginBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := tt.extra
			if strings.Contains(tt.name, "Summer '27") {
				extra = "settings: {soap_login: retired}"
			}
			e := newEnv(t, extra)
			path := tt.path
			if path == "" {
				path = loginPath
			}
			got := e.post(path, envelope(partner.ns, "", "", fmt.Sprintf(loginCall, tt.username, tt.password)))
			if fc := text(got.body, "faultcode"); fc != tt.faultcode {
				t.Fatalf("faultcode %q, want %q: %d %s", fc, tt.faultcode, got.status, got.body)
			}
			if tt.faultcode != "" && (got.status != 500 || !strings.Contains(got.body, `xsi:type="sf:LoginFault"`) || !strings.Contains(text(got.body, "exceptionMessage"), tt.message)) {
				t.Errorf("fault: %d %s", got.status, got.body)
			}
			rows := e.acme.LoginHistory().Events()
			switch {
			case tt.history == "" && len(rows) != 0:
				t.Errorf("Login History has %d rows, want none", len(rows))
			case tt.history != "" && (len(rows) != 1 || rows[0].Status != tt.history):
				t.Errorf("Login History = %+v, want one row with status %q", rows, tt.history)
			}
			if entries := e.gw.Journal().Entries(); tt.faultcode != "" && (len(entries) != 1 || entries[0].Operation != "login" || entries[0].Reason == "") {
				t.Errorf("journal: %+v (want the login with sfemu's reason)", entries)
			}
		})
	}
}

func TestInvalidSessionFaultMatchesARealCapture(t *testing.T) {
	e := newEnv(t)
	got := e.partnerCall("00Dxx0000001gPL!nope", "", `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`)
	want := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session</faultstring><detail><sf:UnexpectedErrorFault xsi:type="sf:UnexpectedErrorFault"><sf:exceptionCode>INVALID_SESSION_ID</sf:exceptionCode><sf:exceptionMessage>Invalid Session ID found in SessionHeader: Illegal Session</sf:exceptionMessage></sf:UnexpectedErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	if got.status != 500 || got.body != want || got.header.Get("Content-Type") != "text/xml;charset=UTF-8" {
		t.Errorf("got %d %s %s", got.status, got.header.Get("Content-Type"), got.body)
	}
	ent := e.enterpriseCall("", "", `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`)
	if !strings.Contains(ent.body, `xmlns:sf="urn:fault.enterprise.soap.sforce.com"`) || text(ent.body, "faultcode") != "sf:INVALID_SESSION_ID" {
		t.Errorf("Enterprise, no SessionHeader: %s", ent.body)
	}
}

func TestQueryShapes(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	for _, tt := range []struct{ golden, api, query string }{
		{"query_partner.xml", "u", "SELECT Id, Name, AnnualRevenue, NumberOfEmployees, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Edge Communications'"},
		{"query_partner_parent.xml", "u", "SELECT LastName, Email, Account.Name FROM Contact ORDER BY LastName"},
		{"query_partner_count.xml", "u", "SELECT COUNT() FROM Contact"},
		{"query_partner_aggregate.xml", "u", "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry ORDER BY Industry"},
		{"query_enterprise.xml", "c", "SELECT Name, Id, Industry, CreatedDate, (SELECT LastName FROM Contacts) FROM Account WHERE Name = 'Edge Communications'"},
		{"query_enterprise_parent.xml", "c", "SELECT LastName, Account.Name FROM Contact WHERE LastName = 'Orphan'"},
	} {
		ns := partner.ns
		if tt.api == "c" {
			ns = enterprise.ns
		}
		got := e.post("/services/Soap/"+tt.api+"/66.0/00Dxx0000001gPL", envelope(ns, tok, "", `<urn:query><urn:queryString>`+tt.query+`</urn:queryString></urn:query>`))
		if got.status != 200 {
			t.Errorf("%s: %d %s", tt.query, got.status, got.body)
			continue
		}
		golden(t, tt.golden, strings.ReplaceAll(got.body, e.srv.URL, "http://sfemu"))
	}
}

func TestQueryMorePagesWithQueryOptions(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	acct := e.acme.Schema.Object("Account")
	for i := 0; i < 547; i++ {
		if _, errs := e.acme.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Bulk %03d", i)}, e.store.User("sender@acme.example"), soapNow, org.DMLOptions{}); errs != nil {
			t.Fatal(errs)
		}
	}
	opts := `<urn:QueryOptions><urn:batchSize>200</urn:batchSize></urn:QueryOptions>`
	got := e.partnerCall(tok, opts, `<urn:query><urn:queryString>SELECT Name FROM Account</urn:queryString></urn:query>`)
	seen := count(got.body, "records")
	pages := 1
	for text(got.body, "done") == "false" {
		loc := text(got.body, "queryLocator")
		got = e.partnerCall(tok, opts, `<urn:queryMore><urn:queryLocator>`+loc+`</urn:queryLocator></urn:queryMore>`)
		if got.status != 200 {
			t.Fatalf("queryMore %s: %d %s", loc, got.status, got.body)
		}
		seen += count(got.body, "records")
		pages++
	}
	if seen != 550 || pages != 3 || text(got.body, "size") != "550" {
		t.Errorf("%d records in %d pages (size %s), want 550 in 3", seen, pages, text(got.body, "size"))
	}
	bad := e.partnerCall(tok, "", `<urn:queryMore><urn:queryLocator>01gxx0000000009AAA-200</urn:queryLocator></urn:queryMore>`)
	if text(bad.body, "faultcode") != "sf:INVALID_QUERY_LOCATOR" || !strings.Contains(bad.body, "sf:InvalidQueryLocatorFault") {
		t.Errorf("a freed locator: %s", bad.body)
	}
	def := e.partnerCall(tok, "", `<urn:query><urn:queryString>SELECT Name FROM Account</urn:queryString></urn:query>`)
	if n := count(def.body, "records"); n != 500 {
		t.Errorf("default batch: %d records, want 500", n)
	}
}

func TestQueryFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	for _, tt := range []struct{ query, faultcode, kind string }{
		{"SELECT Idd FROM Account", "sf:INVALID_FIELD", "InvalidFieldFault"},
		{"SELECT Id FROM Acount", "sf:INVALID_TYPE", "InvalidSObjectFault"},
		{"SELECT Id FROM Account WHERE", "sf:MALFORMED_QUERY", "MalformedQueryFault"},
	} {
		got := e.partnerCall(tok, "", `<urn:query><urn:queryString>`+tt.query+`</urn:queryString></urn:query>`)
		if got.status != 500 || text(got.body, "faultcode") != tt.faultcode || !strings.Contains(got.body, `xsi:type="sf:`+tt.kind+`"`) ||
			text(got.body, "row") != "1" || text(got.body, "column") == "" {
			t.Errorf("%s: %d %s", tt.query, got.status, got.body)
		}
	}
}

func TestDMLRoundTrip(t *testing.T) {
	for _, api := range []string{"partner", "enterprise"} {
		t.Run(api, func(t *testing.T) {
			e := newEnv(t)
			tok := e.session("sender@acme.example")
			do := e.partnerCall
			sobj := func(typ, fields string) string {
				return `<urn:sObjects><urn1:type>` + typ + `</urn1:type>` + fields + `</urn:sObjects>`
			}
			if api == "enterprise" {
				do = e.enterpriseCall
				sobj = func(typ, fields string) string {
					return `<urn:sObjects xsi:type="urn1:` + typ + `">` + fields + `</urn:sObjects>`
				}
			}
			created := do(tok, "", `<urn:create>`+sobj("Lead", `<urn1:LastName>Doe</urn1:LastName><urn1:Company>Example</urn1:Company><urn1:NumberOfEmployees>12</urn1:NumberOfEmployees>`)+
				sobj("Lead", `<urn1:LastName>Roe</urn1:LastName>`)+`</urn:create>`)
			if count(created.body, "result") != 2 || !strings.Contains(created.body, "<statusCode>REQUIRED_FIELD_MISSING</statusCode>") {
				t.Fatalf("create: %s", created.body)
			}
			id := text(created.body, "id")
			rec := e.acme.Data.Get(org.ID(id))
			if rec == nil || rec.GetName("NumberOfEmployees") != float64(12) {
				t.Fatalf("created record %s: %+v", id, rec)
			}
			upd := do(tok, "", `<urn:update>`+sobj("Lead", `<urn1:Id>`+id+`</urn1:Id><urn1:Company>Renamed</urn1:Company><urn1:fieldsToNull>NumberOfEmployees</urn1:fieldsToNull>`)+`</urn:update>`)
			if text(upd.body, "success") != "true" || e.acme.Data.Get(org.ID(id)).GetName("Company") != "Renamed" || e.acme.Data.Get(org.ID(id)).GetName("NumberOfEmployees") != nil {
				t.Fatalf("update: %s", upd.body)
			}
			del := do(tok, "", `<urn:delete><urn:ids>`+id+`</urn:ids><urn:ids>00Qxx0000000zzz</urn:ids></urn:delete>`)
			if count(del.body, "result") != 2 || !e.acme.Data.Get(org.ID(id)).Deleted() || !strings.Contains(del.body, "INVALID_CROSS_REFERENCE_KEY") {
				t.Fatalf("delete: %s", del.body)
			}
			und := do(tok, "", `<urn:undelete><urn:ids>`+id+`</urn:ids></urn:undelete>`)
			if text(und.body, "success") != "true" || e.acme.Data.Get(org.ID(id)).Deleted() {
				t.Fatalf("undelete: %s", und.body)
			}
			again := do(tok, "", `<urn:undelete><urn:ids>`+id+`</urn:ids></urn:undelete>`)
			if !strings.Contains(again.body, "<statusCode>UNDELETE_FAILED</statusCode>") {
				t.Errorf("undelete of a live record: %s", again.body)
			}
			ups := do(tok, "", `<urn:upsert><urn:externalIDFieldName>External_Key__c</urn:externalIDFieldName>`+
				sobj("Account", `<urn1:External_Key__c>EDGE-1</urn1:External_Key__c><urn1:Industry>Utilities</urn1:Industry>`)+
				sobj("Account", `<urn1:External_Key__c>NEW-1</urn1:External_Key__c><urn1:Name>New Co</urn1:Name>`)+
				sobj("Account", `<urn1:External_Key__c>DUP</urn1:External_Key__c><urn1:Name>Twice</urn1:Name>`)+`</urn:upsert>`)
			if count(ups.body, "result") != 3 || !strings.Contains(ups.body, "<result><created>false</created><id>") ||
				!strings.Contains(ups.body, "<created>true</created>") || !strings.Contains(ups.body, "DUPLICATE_EXTERNAL_ID") {
				t.Errorf("upsert: %s", ups.body)
			}
		})
	}
}

// TestUnknownFieldFailsTheWholeCall: an sObject element (or fieldsToNull
// name) the type lacks is an sf:INVALID_FIELD fault for the call, nothing
// saved, as a real Partner update answers (developerforce/
// Force.com-Toolkit-for-PHP issue 25), not a per-record SaveResult as REST.
func TestUnknownFieldFailsTheWholeCall(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	lead := e.acme.Schema.Object("Lead")
	for _, tt := range []struct{ name, call, column string }{
		{"create with an unknown element", `<urn:create><urn:sObjects><urn1:type>Lead</urn1:type><urn1:LastName>Ok</urn1:LastName><urn1:Company>X</urn1:Company></urn:sObjects>` +
			`<urn:sObjects><urn1:type>Lead</urn1:type><urn1:LastName>Doe</urn1:LastName><urn1:Nope__c>x</urn1:Nope__c></urn:sObjects></urn:create>`, "Nope__c"},
		{"update with an empty fieldsToNull", `<urn:update><urn:sObjects><urn1:type>Lead</urn1:type><urn1:Id>00Q000000000001</urn1:Id><urn1:fieldsToNull></urn1:fieldsToNull></urn:sObjects></urn:update>`, ""},
	} {
		before := e.acme.Data.Count(lead)
		got := e.partnerCall(tok, "", tt.call)
		want := "INVALID_FIELD: No such column '" + tt.column + "' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
		if got.status != 500 || text(got.body, "faultcode") != "sf:INVALID_FIELD" || text(got.body, "faultstring") != want ||
			!strings.Contains(got.body, `xsi:type="sf:InvalidFieldFault"`) {
			t.Errorf("%s: %d %s", tt.name, got.status, got.body)
		}
		if after := e.acme.Data.Count(lead); after != before {
			t.Errorf("%s: %d Leads after the fault, want %d", tt.name, after, before)
		}
	}
}

func TestAllOrNoneRollsBack(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	before := e.acme.Data.Count(e.acme.Schema.Object("Lead"))
	got := e.partnerCall(tok, `<urn:AllOrNoneHeader><urn:allOrNone>true</urn:allOrNone></urn:AllOrNoneHeader>`,
		`<urn:create><urn:sObjects><urn1:type>Lead</urn1:type><urn1:LastName>Ok</urn1:LastName><urn1:Company>X</urn1:Company></urn:sObjects>`+
			`<urn:sObjects><urn1:type>Lead</urn1:type><urn1:LastName>Bad</urn1:LastName></urn:sObjects></urn:create>`)
	if !strings.Contains(got.body, "ALL_OR_NONE_OPERATION_ROLLED_BACK") || !strings.Contains(got.body, "REQUIRED_FIELD_MISSING") {
		t.Errorf("results: %s", got.body)
	}
	if after := e.acme.Data.Count(e.acme.Schema.Object("Lead")); after != before {
		t.Errorf("%d Leads after a rolled-back create, want %d", after, before)
	}
}

func TestRetrieveSearchDescribe(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	edge := ""
	for _, r := range e.acme.Data.Schema().Objects() {
		if r.Name == "Account" {
			e.acme.Data.Scan(r, false, func(rec *org.Record) bool {
				if rec.GetName("Name") == "Edge Communications" {
					edge = string(rec.ID)
				}
				return edge == ""
			})
		}
	}
	ret := e.partnerCall(tok, "", `<urn:retrieve><urn:fieldList>Name, Industry</urn:fieldList><urn:sObjectType>Account</urn:sObjectType><urn:ids>`+edge+`</urn:ids><urn:ids>001xx0000000zzzAAA</urn:ids></urn:retrieve>`)
	if count(ret.body, "result") != 2 || !strings.Contains(ret.body, `<result xsi:nil="true"/>`) || text(ret.body, "Industry") != "Energy" {
		t.Errorf("retrieve: %s", ret.body)
	}
	srch := e.partnerCall(tok, "", `<urn:search><urn:searchString>FIND {rose} IN EMAIL FIELDS RETURNING Contact(Id, Email)</urn:searchString></urn:search>`)
	if count(srch.body, "searchRecords") != 1 || text(srch.body, "Email") != "rose@edge.example" {
		t.Errorf("search: %s", srch.body)
	}
	glob := e.partnerCall(tok, "", `<urn:describeGlobal/>`)
	if count(glob.body, "sobjects") < 10 || text(glob.body, "maxBatchSize") != "200" {
		t.Errorf("describeGlobal: %.300s", glob.body)
	}
	desc := e.enterpriseCall(tok, "", `<urn:describeSObject><urn:sObjectType>Lead</urn:sObjectType></urn:describeSObject>`)
	if !strings.Contains(desc.body, "<name>Rating__c</name>") || !strings.Contains(desc.body, "<restrictedPicklist>true</restrictedPicklist>") {
		t.Errorf("describeSObject: %.500s", desc.body)
	}
	many := e.partnerCall(tok, "", `<urn:describeSObjects><urn:sObjectType>Account</urn:sObjectType><urn:sObjectType>Contact</urn:sObjectType></urn:describeSObjects>`)
	if count(many.body, "result") != 2 {
		t.Errorf("describeSObjects: %d results", count(many.body, "result"))
	}
	if ts := e.partnerCall(tok, "", `<urn:getServerTimestamp/>`); text(ts.body, "timestamp") != "2026-03-02T10:00:00.000Z" {
		t.Errorf("getServerTimestamp: %s", ts.body)
	}
}

func TestVersionsAndSessions(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	q := `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`
	for _, tt := range []struct{ path, faultcode, message string }{
		{"/services/Soap/u/29.0", "sf:UNSUPPORTED_API_VERSION", "API version 29.0 is retired"},
		{"/services/Soap/u/99.0", "sf:UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL"},
		{"/services/Soap/u/latest", "sf:UNSUPPORTED_API_VERSION", "Invalid Api version"},
		{"/services/Soap/u/31.0", "", ""},
	} {
		got := e.post(tt.path, envelope(partner.ns, tok, "", q))
		if text(got.body, "faultcode") != tt.faultcode || !strings.Contains(got.body, tt.message) {
			t.Errorf("%s: %d %s", tt.path, got.status, got.body)
		}
	}
	// The session a legacy outbound message carried works in the SessionHeader
	// like any other session of the user: both are sessions of the store.
	if got := e.post("/services/Soap/c/60.0/00Dxx0000001gPL", envelope(enterprise.ns, tok, "", q)); got.status != 200 {
		t.Errorf("an API session in the Enterprise SessionHeader: %d %s", got.status, got.body)
	}
}

func TestMalformedRequestsAreClientFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	nested := strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)
	tests := []struct {
		name, body, want string
	}{
		{"not XML", "hello", "soapenv:Client"},
		{"empty body", "", "Unexpected EOF in prolog"},
		{"truncated", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><query>`, "unexpected EOF"},
		{"a DOCTYPE (billion laughs)", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&lol2;</soapenv:Body></soapenv:Envelope>`, "DOCTYPE is disallowed"},
		{"an undeclared entity", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><query>&lol;</query></soapenv:Body></soapenv:Envelope>`, "invalid character entity &amp;lol;"},
		{"a SOAP 1.2 envelope", `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>`, "soapenv:VersionMismatch"},
		{"another root", `<Envelope><Body/></Envelope>`, `the Envelope is in namespace ""`},
		{"no call in the body", envelope(partner.ns, tok, "", ""), "the Body is empty"},
		{"an unknown call", envelope(partner.ns, tok, "", `<urn:frobnicate/>`), "No operation available for request {urn:partner.soap.sforce.com}frobnicate"},
		{"a call in the Enterprise namespace on the Partner URL", envelope(enterprise.ns, tok, "", `<urn:query/>`), "No operation available for request {urn:enterprise.soap.sforce.com}query"},
		{"nesting too deep", envelope(partner.ns, tok, "", `<urn:query>`+nested+`</urn:query>`), "nested deeper than 32"},
		{"ISO-8859-1", `<?xml version="1.0" encoding="ISO-8859-1"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>`, "send UTF-8"},
		{"a bad batchSize", envelope(partner.ns, tok, `<urn:QueryOptions><urn:batchSize>lots</urn:batchSize></urn:QueryOptions>`, `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`), "INVALID_SOAP_HEADER"},
		{"a body over the limit", envelope(partner.ns, tok, "", `<urn:query><urn:queryString>`+strings.Repeat("x", 2<<20)+`</urn:queryString></urn:query>`), "EXCEEDED_MAX_SIZE_REQUEST"},
	}
	for _, tt := range tests {
		got := e.post("/services/Soap/u/66.0", tt.body)
		if got.status != 500 || !strings.Contains(got.body, tt.want) || !strings.HasPrefix(got.body, "<?xml") {
			t.Errorf("%s: %d %.400s\nwant a fault containing %q", tt.name, got.status, got.body, tt.want)
		}
	}
	if got := e.post("/services/Soap/x/66.0", envelope(partner.ns, tok, "", `<urn:getUserInfo/>`)); got.status != 404 || !strings.Contains(got.body, "no SOAP endpoint") {
		t.Errorf("unknown endpoint: %d %s", got.status, got.body)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/services/Soap/u/66.0", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
		t.Errorf("GET on the endpoint: %v %v", resp.StatusCode, err)
	}
}

func TestGzipBothWays(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	io.WriteString(zw, envelope(partner.ns, tok, "", `<urn:query><urn:queryString>SELECT Name FROM Account</urn:queryString></urn:query>`))
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/services/Soap/u/66.0", &zipped)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Content-Type", "text/xml")
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("answer not compressed: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if count(string(body), "records") != 3 {
		t.Errorf("decompressed answer: %s", body)
	}
}

func TestFaultsInjectedOnSOAPLookLikeSOAPFaults(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	if _, err := e.gw.Faults().Add(faultOn("query")); err != nil {
		t.Fatal(err)
	}
	got := e.partnerCall(tok, "", `<urn:query><urn:queryString>SELECT Id FROM Account</urn:queryString></urn:query>`)
	if got.status != 500 || text(got.body, "faultcode") != "sf:REQUEST_LIMIT_EXCEEDED" {
		t.Errorf("injected fault: %d %s", got.status, got.body)
	}
	if ok := e.partnerCall(tok, "", `<urn:getUserInfo/>`); ok.status != 200 {
		t.Errorf("a fault on query hit getUserInfo: %s", ok.body)
	}
	entries := e.gw.Journal().Entries()
	if entries[0].Operation != "query" || entries[0].ErrorCode != "REQUEST_LIMIT_EXCEEDED" || entries[0].Surface != "soap" {
		t.Errorf("journal: %+v", entries[0])
	}
}

func TestSessionRenewedByUse(t *testing.T) {
	e := newEnv(t)
	tok := e.session("sender@acme.example")
	for i := 0; i < 3; i++ {
		e.clock.Advance(time.Hour + 50*time.Minute)
		if got := e.partnerCall(tok, "", `<urn:getUserInfo/>`); got.status != 200 {
			t.Fatalf("call %d, 1h50m after the last: %d (each call renews the session)", i, got.status)
		}
	}
	e.clock.Advance(2*time.Hour + time.Minute)
	if got := e.partnerCall(tok, "", `<urn:getUserInfo/>`); text(got.body, "faultcode") != "sf:INVALID_SESSION_ID" {
		t.Errorf("2h idle: %s", got.body)
	}
}
