package console

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/redact"
	"github.com/sfemu/sfemu/wire"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"ts":      ts,
	"tsp":     func(t *time.Time) string { return tsPtr(t) },
	"rel":     rel,
	"relp":    relPtr,
	"dur":     func(d wire.Duration) string { return durText(d.D()) },
	"took":    func(d wire.Duration) string { return took(d.D()) },
	"join":    func(ss []string, sep string) string { return strings.Join(ss, sep) },
	"headers": sortedHeaders,
	"pretty":  pretty,
	"shortGrant": func(g string) string {
		return shortGrant(g)
	},
	"cell":      cell,
	"statusCls": statusClass,
	"add":       func(a, b int) int { return a + b },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
	"query": redact.Form,
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	// anyTime: login hours of null allow any time; [] allow none.
	"anyTime": func(h []wire.LoginWindow) bool { return h == nil },
}

// ts writes a time as the console shows every time: UTC, to the second.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func tsPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

// rel says how far t is from now in words a person reads at a glance:
// "in 5s", "3m 20s ago", "now".
func rel(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := t.Sub(now).Round(time.Second)
	switch {
	case d == 0:
		return "now"
	case d > 0:
		return "in " + short(d)
	}
	return short(-d) + " ago"
}

func relPtr(t *time.Time, now time.Time) string {
	if t == nil {
		return ""
	}
	return rel(*t, now)
}

// durText writes a duration as Go does, without zero tails: 2h, 1h30m, 5m.
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// took writes how long an attempt took, to a useful precision.
func took(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// short writes a duration to the two largest units: 1d 2h, 3m 20s, 45s;
// a year or more in years.
func short(d time.Duration) string {
	if year := 365 * 24 * time.Hour; d >= year {
		return fmt.Sprintf("%.1f years", float64(d)/float64(year))
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	s := (d - m*time.Minute) / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// shortGrant names a grant type as people say it.
func shortGrant(g string) string {
	switch g {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		return "JWT bearer"
	case "authorization_code":
		return "authorization code"
	case "refresh_token":
		return "refresh token"
	case "client_credentials":
		return "client credentials"
	case "password":
		return "username-password"
	case "":
		return "(none)"
	}
	return g
}

// statusClass is the CSS class of an HTTP status: ok, warn (3xx, 0) or bad.
func statusClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "ok"
	case status >= 400:
		return "bad"
	}
	return "warn"
}

// header is one header line, for templates.
type header struct{ Name, Value string }

// sortedHeaders lists headers by name, one line per value.
func sortedHeaders(h map[string][]string) []header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []header
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, header{k, v})
		}
	}
	return out
}

// cell writes a query result's value as a table cell: null, numbers
// without exponents, the rest as text.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprint(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// pretty is a body as a person reads it: credentials redacted, XML and
// JSON indented; what does not parse is shown as it came.
func pretty(contentType, body string) string {
	body = redact.Body(contentType, body)
	trimmed := strings.TrimSpace(body)
	switch {
	case trimmed == "":
		return ""
	case strings.HasPrefix(trimmed, "<"):
		return prettyXML(trimmed)
	case strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "["):
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(trimmed), "", "  ") == nil {
			return buf.String()
		}
	}
	return body
}

// prettyXML indents XML, one element a line, an element holding only text
// on one line with it. Prefixes stay as written (no namespace
// rewriting). Where the XML stops parsing (a clipped body), the rest is
// shown as it came.
func prettyXML(s string) string {
	d := xml.NewDecoder(strings.NewReader(s))
	var toks []xml.Token
	var offset int64
	var tail string
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			tail = s[offset:]
			break
		}
		toks = append(toks, xml.CopyToken(tok))
		offset = d.InputOffset()
	}
	var b strings.Builder
	depth := 0
	indent := func() {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("  ", depth))
	}
	for i := 0; i < len(toks); i++ {
		switch t := toks[i].(type) {
		case xml.StartElement:
			indent()
			writeStart(&b, t)
			// <a>text</a> and <a></a> stay on one line.
			if i+2 < len(toks) {
				if cd, ok := toks[i+1].(xml.CharData); ok {
					if _, ok := toks[i+2].(xml.EndElement); ok {
						_ = xml.EscapeText(&b, cd)
						writeEnd(&b, toks[i+2].(xml.EndElement))
						i += 2
						continue
					}
				}
			}
			if i+1 < len(toks) {
				if e, ok := toks[i+1].(xml.EndElement); ok {
					writeEnd(&b, e)
					i++
					continue
				}
			}
			depth++
		case xml.EndElement:
			depth = max(depth-1, 0)
			indent()
			writeEnd(&b, t)
		case xml.CharData:
			if text := strings.TrimSpace(string(t)); text != "" {
				indent()
				_ = xml.EscapeText(&b, []byte(text))
			}
		case xml.Comment:
			indent()
			b.WriteString("<!--" + string(t) + "-->")
		case xml.ProcInst:
			indent()
			b.WriteString("<?" + t.Target + " " + string(t.Inst) + "?>")
		case xml.Directive:
			indent()
			b.WriteString("<!" + string(t) + ">")
		}
	}
	if tail = strings.TrimSpace(tail); tail != "" {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(tail)
	}
	return b.String()
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func writeStart(b *strings.Builder, t xml.StartElement) {
	b.WriteString("<" + xmlName(t.Name))
	for _, a := range t.Attr {
		b.WriteString(" " + xmlName(a.Name) + `="`)
		_ = xml.EscapeText(b, []byte(a.Value))
		b.WriteString(`"`)
	}
	b.WriteString(">")
}

func writeEnd(b *strings.Builder, t xml.EndElement) {
	b.WriteString("</" + xmlName(t.Name) + ">")
}
