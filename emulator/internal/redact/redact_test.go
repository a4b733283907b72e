package redact

import (
	"net/http"
	"strings"
	"testing"
)

func TestBody(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, in, want string
	}{
		{"SOAP session header", "text/xml", `<soapenv:Header><urn:SessionHeader><urn:sessionId>00D!AQ.secret</urn:sessionId></urn:SessionHeader>`,
			`<soapenv:Header><urn:SessionHeader><urn:sessionId>(redacted)</urn:sessionId></urn:SessionHeader>`},
		{"SOAP login password", "text/xml; charset=utf-8", `<login><username>u@x</username><password>pw123TOKEN</password></login>`,
			`<login><username>u@x</username><password>(redacted)</password></login>`},
		{"login result", "", `<result><serverUrl>x</serverUrl><sessionId xsi:type="xsd:string">00D!abc</sessionId></result>`,
			`<result><serverUrl>x</serverUrl><sessionId xsi:type="xsd:string">(redacted)</sessionId></result>`},
		{"a legacy outbound session ID", "text/xml", `<ActionId>04k</ActionId><SessionId>00Dxx!AQ4AQ.legacy</SessionId>`,
			`<ActionId>04k</ActionId><SessionId>(redacted)</SessionId>`},
		{"outbound nil session kept as is", "text/xml", `<sessionId xsi:nil="true"/>`, `<sessionId xsi:nil="true"/>`},
		{"JSON password", "application/json", `{"NewPassword" : "s3cret", "Name":"x"}`, `{"NewPassword" : "(redacted)", "Name":"x"}`},
		{"JSON token with escapes", "", `{"access_token":"a\"b","n":1}`, `{"access_token":"(redacted)","n":1}`},
		{"JSON without secrets", "application/json", `{"Name":"Edge","Token__c":5}`, `{"Name":"Edge","Token__c":5}`},
		{"form", "application/x-www-form-urlencoded", "grant_type=password&client_id=3MVG&client_secret=abc&password=pw&code=xyz",
			"grant_type=password&client_id=3MVG&client_secret=(redacted)&password=(redacted)&code=(redacted)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Body(tc.contentType, tc.in); got != tc.want {
				t.Errorf("Body(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	h := http.Header{"Authorization": {"Bearer 00D!x"}, "Cookie": {"sid=1"}, "Content-Type": {"text/xml"}, "X-Long": {strings.Repeat("a", 20)}}
	got := Header(h, 10, 8)
	if got["Authorization"][0] != Mark || got["Cookie"][0] != Mark {
		t.Errorf("credentials kept: %v", got)
	}
	if got["Content-Type"][0] != "text/xml" || got["X-Long"][0] != "aaaaaaaa…[cut 12 bytes]" {
		t.Errorf("headers %v", got)
	}
	if n := len(Header(h, 2, 8)); n != 2 {
		t.Errorf("kept %d headers, want at most 2", n)
	}
	if Header(nil, 2, 8) != nil {
		t.Error("no headers: want nil")
	}
}

// FuzzRedactionSkipsOnlyWhatHasNothingToRedact: the one-pass pre-check
// never skips an ASCII body the regular expressions would change.
func FuzzRedactionSkipsOnlyWhatHasNothingToRedact(f *testing.F) {
	f.Add(`{"access_token":"00Dxx!AQ","Name":"x"}`)
	f.Add(`<soapenv:Body><sf:sessionId>00D!x</sf:sessionId></soapenv:Body>`)
	f.Add(`{"records":[{"Name":"Edge","Client_Secret__c":"s"}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return
			}
		}
		if got, want := JSON(s), jsonSecret().ReplaceAllString(s, `${1}"`+Mark+`"`); got != want {
			t.Errorf("JSON(%q) = %q, want %q", s, got, want)
		}
		if strings.Contains(s, "<") {
			if got, want := XML(s), xmlSecret().ReplaceAllString(s, "${1}"+Mark+"${3}"); got != want {
				t.Errorf("XML(%q) = %q, want %q", s, got, want)
			}
		}
	})
}
