package outbound

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	ackTrue = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">
   <Ack>true</Ack>
  </notificationsResponse>
 </soapenv:Body>
</soapenv:Envelope>`
	soapFault = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>
<faultcode>soapenv:Server</faultcode><faultstring>java.lang.NullPointerException
	at Listener.handle</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
)

// ackWith is a response whose Ack element is written as given.
func ackWith(ack string) string {
	return `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><out:notificationsResponse xmlns:out="http://soap.sforce.com/2005/09/outbound">` +
		ack + `</out:notificationsResponse></S:Body></S:Envelope>`
}

func TestParseAck(t *testing.T) {
	const sax = "org.xml.sax.SAXParseException; "
	for _, tt := range []struct {
		name        string
		status      int
		contentType string
		body        string
		acked       bool
		reason      string // exact when exact, else a substring
		exact       bool
	}{
		// Acknowledged.
		{name: "200 with Ack true acknowledges", status: 200, body: ackTrue, acked: true},
		{name: "any prefix works: namespaces decide", status: 200, body: ackWith("<out:Ack>true</out:Ack>"), acked: true},
		{name: "Ack 1 is xsd:boolean true", status: 200, body: ackWith("<out:Ack>1</out:Ack>"), acked: true},
		{name: "whitespace around the boolean is collapsed", status: 200, body: ackWith("<out:Ack>\n\t true \r\n</out:Ack>"), acked: true},
		{name: "202 is a 2xx too", status: 202, body: ackTrue, acked: true},
		{name: "a SOAP Header before the Body is fine", status: 200, acked: true,
			body: `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header/><e:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></e:Body></e:Envelope>`},
		{name: "a UTF-8 byte order mark is allowed", status: 200, body: "\xef\xbb\xbf" + ackTrue, acked: true},
		{name: "an ISO-8859-1 declaration is read", status: 200, acked: true,
			body: `<?xml version="1.0" encoding="ISO-8859-1"?>` + ackWith("<out:Ack>true</out:Ack>")},
		{name: "the content type does not matter", status: 200, contentType: "text/html", body: ackTrue, acked: true},

		// Salesforce's own texts.
		{name: "Ack false is a nack", status: 200, body: ackWith("<out:Ack>false</out:Ack>"), reason: "SOAP response was a nack", exact: true},
		{name: "Ack 0 is a nack", status: 200, body: ackWith("<out:Ack> 0 </out:Ack>"), reason: "SOAP response was a nack", exact: true},
		{name: "plain text is content in the prolog", status: 200, contentType: "text/plain", body: "OK",
			reason: sax + "lineNumber: 1; columnNumber: 1; Content is not allowed in prolog.", exact: true},
		{name: "JSON is content in the prolog", status: 200, contentType: "application/json", body: `{"ok":true}`,
			reason: sax + "lineNumber: 1; columnNumber: 1; Content is not allowed in prolog.", exact: true},
		{name: "the position counts leading whitespace as Xerces does", status: 200, body: "\r\n\n   ok",
			reason: sax + "lineNumber: 3; columnNumber: 4; Content is not allowed in prolog.", exact: true},
		{name: "an empty 200 is a premature end of file", status: 200, body: "",
			reason: sax + "lineNumber: 1; columnNumber: 1; Premature end of file.", exact: true},
		{name: "a 204 with only whitespace is a premature end of file", status: 204, body: "\n  ",
			reason: sax + "lineNumber: 2; columnNumber: 3; Premature end of file.", exact: true},
		{name: "a blank line before the XML declaration", status: 200, body: "\n" + ackTrue,
			reason: sax + `lineNumber: 2; columnNumber: 6; The processing instruction target matching "[xX][mM][lL]" is not allowed.`, exact: true},

		// Wrong namespace, wrong shape.
		{name: "notificationsResponse without a namespace fails", status: 200,
			body:   `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`,
			reason: `notificationsResponse is in namespace "" (no namespace), not http://soap.sforce.com/2005/09/outbound (Salesforce matches it by namespace, not by prefix)`, exact: true},
		{name: "a familiar prefix bound to another namespace fails", status: 200,
			body:   `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><out:notificationsResponse xmlns:out="http://soap.sforce.com/2006/04/metadata"><out:Ack>true</out:Ack></out:notificationsResponse></soapenv:Body></soapenv:Envelope>`,
			reason: "notificationsResponse is in namespace http://soap.sforce.com/2006/04/metadata"},
		{name: "an Ack outside the outbound namespace fails", status: 200,
			body:   `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><o:notificationsResponse xmlns:o="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></o:notificationsResponse></soapenv:Body></soapenv:Envelope>`,
			reason: `notificationsResponse has its Ack in namespace "" (no namespace)`},
		{name: "an unbound prefix is not well-formed", status: 200,
			body:   `<soap:Envelope><soap:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soap:Body></soap:Envelope>`,
			reason: `response is not well-formed XML: line 1, column 16: The prefix "soap" for element "soap:Envelope" is not bound.`, exact: true},
		{name: "a notificationsResponse without Ack fails", status: 200, body: ackWith(""), reason: "notificationsResponse has no Ack element", exact: true},
		{name: "an Ack that is not a boolean fails", status: 200, body: ackWith("<out:Ack>yes</out:Ack>"),
			reason: `Ack "yes" is not an xsd:boolean (true, false, 1 or 0)`, exact: true},
		{name: "Ack TRUE in capitals is not an xsd:boolean", status: 200, body: ackWith("<out:Ack>TRUE</out:Ack>"), reason: `Ack "TRUE" is not an xsd:boolean`},
		{name: "a nil Ack fails", status: 200,
			body:   ackWith(`<out:Ack xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"/>`),
			reason: `Ack is xsi:nil="true"`},
		{name: "an empty SOAP Body fails", status: 200,
			body:   `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`,
			reason: "SOAP Body is empty: expected notificationsResponse", exact: true},
		{name: "an envelope without Body fails", status: 200,
			body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>`, reason: "SOAP envelope has no Body", exact: true},
		{name: "another operation's response fails", status: 200,
			body:   `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ok xmlns="urn:x">true</ok></soapenv:Body></soapenv:Envelope>`,
			reason: "expected notificationsResponse in the SOAP Body, got <ok> in namespace urn:x", exact: true},
		{name: "a SOAP 1.2 envelope is not what Salesforce speaks", status: 200,
			body:   `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></env:Body></env:Envelope>`,
			reason: "got a SOAP 1.2 envelope"},
		{name: "2xx with XML that is not SOAP fails", status: 200, contentType: "application/xml",
			body: `<?xml version="1.0"?><result><Ack>true</Ack></result>`, reason: "expected a SOAP 1.1 Envelope, got the XML element <result> (no namespace)", exact: true},
		{name: "a bare notificationsResponse without envelope fails", status: 200,
			body: `<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>`, reason: "expected a SOAP 1.1 Envelope"},
		{name: "an Ack true followed by junk is not well-formed", status: 200, body: ackTrue + "\nOK",
			reason: "Content is not allowed in trailing section."},
		{name: "a second root element is not well-formed", status: 200, body: ackTrue + "<again/>",
			reason: "The markup in the document following the root element must be well-formed."},
		{name: "a truncated response is not well-formed", status: 200, body: ackTrue[:len(ackTrue)-20],
			reason: "XML document structures must start and end within the same entity"},
		{name: "mismatched end tags are not well-formed", status: 200,
			body: ackWith("<out:Ack>true</Ack>"), reason: `The element type "out:Ack" must be terminated by the matching end-tag "</out:Ack>".`},
		{name: "an HTML entity is not XML", status: 200, body: ackWith("<out:Ack>true&nbsp;</out:Ack>"), reason: "response is not well-formed XML"},
		{name: "an unknown encoding is named", status: 200, body: `<?xml version="1.0" encoding="EBCDIC-CP-US"?><a/>`, reason: `encoding "EBCDIC-CP-US" is not supported`},

		// SOAP faults.
		{name: "a SOAP fault on 500 names its code and string", status: 500, contentType: "text/xml", body: soapFault,
			reason: "HTTP 500 Internal Server Error: SOAP Fault: soapenv:Server: java.lang.NullPointerException at Listener.handle", exact: true},
		{name: "a SOAP fault on 200 is still a failure", status: 200, body: soapFault,
			reason: "SOAP Fault: soapenv:Server: java.lang.NullPointerException at Listener.handle", exact: true},
		{name: "a fault without details still says it is a fault", status: 200,
			body:   `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault/></soapenv:Body></soapenv:Envelope>`,
			reason: "SOAP Fault without faultcode or faultstring", exact: true},

		// HTML pages.
		{name: "a 200 HTML login page is named by its title", status: 200, contentType: "text/html; charset=utf-8",
			body:   "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in · Acme\n SSO</title></head><body><form></form></body></html>",
			reason: `expected a SOAP notificationsResponse, got an HTML page (HTTP 200): HTML page (text/html; charset=utf-8) titled "Sign in · Acme SSO"`, exact: true},
		{name: "a well-formed XHTML page is still an HTML page", status: 200,
			body: `<html xmlns="http://www.w3.org/1999/xhtml"><head><title>It works!</title></head><body/></html>`, reason: `titled "It works!"`},
		{name: "an HTML page without title shows its text", status: 200, body: "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>",
			reason: `HTML page: "502 Bad Gateway nginx"`},

		// Other statuses.
		{name: "404 with an nginx page", status: 404, contentType: "text/html",
			body: "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", reason: `HTTP 404 Not Found: HTML page (text/html) titled "404 Not Found"`, exact: true},
		{name: "503 with a text body quotes it", status: 503, contentType: "text/plain", body: "down for maintenance\n",
			reason: `HTTP 503 Service Unavailable (text/plain): "down for maintenance"`, exact: true},
		{name: "401 with an empty body", status: 401, body: "", reason: "HTTP 401 Unauthorized (empty body)", exact: true},
		{name: "an Ack true on 500 is still a failure", status: 500, body: ackTrue,
			reason: "HTTP 500 Internal Server Error: the body acknowledged the message (Ack true), but only a 2xx status counts as delivered", exact: true},
		{name: "a redirect is not followed", status: 302, body: "", reason: "HTTP 302 Found (empty body)", exact: true},
		{name: "a status without a name", status: 599, body: "x", reason: `HTTP 599: "x"`, exact: true},
		{name: "a 1xx is not a 2xx", status: 100, body: ackTrue, reason: "HTTP 100 Continue"},
	} {
		got := ParseAck(tt.status, tt.contentType, []byte(tt.body))
		if got.Acked != tt.acked {
			t.Errorf("%s: acked = %v, want %v (reason %q)", tt.name, got.Acked, tt.acked, got.Reason)
			continue
		}
		switch {
		case tt.acked && got.Reason != "":
			t.Errorf("%s: an Ack has no reason, got %q", tt.name, got.Reason)
		case tt.exact && got.Reason != tt.reason:
			t.Errorf("%s:\n got reason %q\nwant reason %q", tt.name, got.Reason, tt.reason)
		case !tt.exact && !strings.Contains(got.Reason, tt.reason):
			t.Errorf("%s:\n got reason %q\nwant it to contain %q", tt.name, got.Reason, tt.reason)
		}
	}
}

func TestAckReasonsAreBoundedAndSingleLine(t *testing.T) {
	huge := strings.Repeat("lorem ipsum\n\x00\x1b[31m ", 20000) // ~400 KB, control characters included
	for _, tt := range []struct {
		name   string
		status int
		body   string
	}{
		{"a huge non-2xx text body", 500, huge},
		{"a huge fault string", 500, `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault><faultcode>e:Server</faultcode><faultstring>` +
			strings.Repeat("stack frame\n", 10000) + `</faultstring></e:Fault></e:Body></e:Envelope>`},
		{"a huge HTML title", 200, "<html><title>" + strings.Repeat("T", 100000) + "</title></html>"},
		{"a huge non-boolean Ack", 200, ackWith("<out:Ack>" + strings.Repeat("y", 50000) + "</out:Ack>")},
		{"a huge valid ack beyond the 64 KiB look", 200, ackWith(strings.Repeat(" ", 70000) + "<out:Ack>true</out:Ack>")},
	} {
		got := ParseAck(tt.status, "text/plain", []byte(tt.body))
		if got.Acked {
			t.Errorf("%s: acked", tt.name)
		}
		if strings.ContainsAny(got.Reason, "\n\r\x00\x1b") || !utf8.ValidString(got.Reason) {
			t.Errorf("%s: reason is not a clean single line: %q", tt.name, got.Reason)
		}
		if n := utf8.RuneCountInString(got.Reason); n > 400 {
			t.Errorf("%s: reason has %d characters", tt.name, n)
		}
	}
}

func TestExcerpt(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"whitespace runs collapse", "  a \n\t b  ", "a b"},
		{"control characters are replaced", "a\x00b\x1bc", "a\uFFFDb\uFFFDc"},
		{"invalid UTF-8 is replaced", "a\xffb", "a\uFFFDb"},
		{"200 characters at most, with an ellipsis", strings.Repeat("é", 300), strings.Repeat("é", 199) + "…"},
		{"exactly 200 characters stay whole", strings.Repeat("x", 200), strings.Repeat("x", 200)},
	} {
		if got := excerpt(tt.in); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// ackOracle decides, independently of ParseAck, whether a body holds
// Envelope/Body/notificationsResponse/Ack = true in the right namespaces.
func ackOracle(body []byte) bool {
	var env struct {
		XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
		Body    struct {
			Resp struct {
				Ack []string `xml:"http://soap.sforce.com/2005/09/outbound Ack"`
			} `xml:"http://soap.sforce.com/2005/09/outbound notificationsResponse"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.CharsetReader = ackCharsetReader
	if err := d.Decode(&env); err != nil || len(env.Body.Resp.Ack) == 0 {
		return false
	}
	v := strings.Trim(env.Body.Resp.Ack[0], " \t\r\n")
	return v == "true" || v == "1"
}

func FuzzAck(f *testing.F) {
	for _, s := range []string{ackTrue, soapFault, ackWith("<out:Ack>false</out:Ack>"), ackWith("<out:Ack>1</out:Ack>"), "", "OK", "\n<?xml version=\"1.0\"?><a/>",
		"<!DOCTYPE html><html><title>x</title></html>", `<a xmlns:b="u"><b:c/></a>`, ackWith("<Ack>true</Ack>")} {
		for _, status := range []int{200, 500} {
			f.Add(status, "text/xml", []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		got := ParseAck(status, contentType, body)
		if !got.Acked {
			if got.Reason == "" {
				t.Fatalf("not acked without a reason: %d %q", status, body)
			}
			if strings.ContainsAny(got.Reason, "\n\r") {
				t.Fatalf("reason spans lines: %q", got.Reason)
			}
			return
		}
		if got.Reason != "" {
			t.Fatalf("acked with a reason %q", got.Reason)
		}
		if status < 200 || status > 299 {
			t.Fatalf("acked on HTTP %d", status)
		}
		if !ackOracle(body) {
			t.Fatalf("acked, but the body holds no Ack true in the outbound namespace: %q", body)
		}
	})
}

func BenchmarkParseAck(b *testing.B) {
	body := []byte(ackTrue)
	b.ReportAllocs()
	for b.Loop() {
		if !ParseAck(200, "text/xml", body).Acked {
			b.Fatal("not acked")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acks/s")
}
