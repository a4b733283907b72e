package console

import (
	"strings"
	"testing"
	"time"
)

func TestPrettyXML(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"an envelope, prefixes kept, text on its element's line",
			`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><Ack>true</Ack><empty/></soapenv:Body></soapenv:Envelope>`,
			`<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
  <soapenv:Body>
    <Ack>true</Ack>
    <empty></empty>
  </soapenv:Body>
</soapenv:Envelope>`},
		{"escapes stay escaped", `<a x="1 &amp; 2">&lt;b&gt;</a>`, `<a x="1 &amp; 2">&lt;b&gt;</a>`},
		{"a clipped body shows the rest as it came", `<a><b>one</b><c>tw… (9000 bytes)`, "<a>\n  <b>one</b>\n  <c>\n    tw… (9000 bytes)"},
		{"not XML at all", `<<<`, `<<<`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := prettyXML(tc.in); got != tc.want {
				t.Errorf("prettyXML(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestPrettyRedactsAndIndents(t *testing.T) {
	if got := pretty("text/xml", `<h><sessionId>00D!secret</sessionId></h>`); got != "<h>\n  <sessionId>(redacted)</sessionId>\n</h>" {
		t.Errorf("XML: %s", got)
	}
	if got := pretty("application/json", `{"a":1,"refresh_token":"x"}`); got != "{\n  \"a\": 1,\n  \"refresh_token\": \"(redacted)\"\n}" {
		t.Errorf("JSON: %s", got)
	}
	if got := pretty("", "plain text"); got != "plain text" {
		t.Errorf("text: %s", got)
	}
}

func TestTimesInWords(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{now, "now"},
		{now.Add(10 * time.Second), "in 10s"},
		{now.Add(-(3*time.Minute + 20*time.Second)), "3m 20s ago"},
		{now.Add(26 * time.Hour), "in 1d 2h"},
		{now.Add(2 * 365 * 24 * time.Hour), "in 2.0 years"},
		{time.Time{}, ""},
	} {
		if got := rel(tc.t, now); got != tc.want {
			t.Errorf("rel(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	for d, want := range map[time.Duration]string{2 * time.Hour: "2h", 90 * time.Minute: "1h30m", 5 * time.Minute: "5m", 1500 * time.Millisecond: "1.5s"} {
		if got := durText(d); got != want {
			t.Errorf("durText(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzPretty: whatever a receiver or a client sent, showing it does not
// panic, and text that is not XML or JSON comes back as it was (redacted).
func FuzzPretty(f *testing.F) {
	for _, s := range []string{`<a><b>x</b></a>`, `<?xml version="1.0"?><e:E xmlns:e="u"><e:B/></e:E>`, `{"a":[1,2]}`, `<a x="1`, `]]>`, "plain", `<sessionId>s</sessionId>`} {
		f.Add("text/xml", s)
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		out := pretty(contentType, body)
		if trimmed := strings.TrimSpace(body); trimmed != "" && !strings.HasPrefix(trimmed, "<") && !strings.HasPrefix(trimmed, "{") &&
			!strings.HasPrefix(trimmed, "[") && !strings.Contains(strings.ToLower(contentType), "x-www-form") && out == "" {
			t.Errorf("pretty(%q, %q) lost the text", contentType, body)
		}
	})
}
