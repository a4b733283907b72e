package outbound

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AckResult is the outcome of one delivery attempt.
type AckResult struct {
	Acked bool
	// Reason is the "Delivery Failure Reason" a person can act on,
	// Salesforce's text where known; empty when Acked.
	Reason string
}

// Failure reasons whose text is Salesforce's own.
const (
	// reasonNack is Salesforce's reason for an Ack of false.
	reasonNack = "SOAP response was a nack"
	// saxPrefix starts the reason for a body the SAX parser rejects, as
	// org.xml.sax.SAXParseException.toString writes it.
	saxPrefix = "org.xml.sax.SAXParseException"
)

const (
	// ackBodyLimit bounds how much of a body ParseAck looks at.
	ackBodyLimit = 64 << 10
	// ackExcerptLimit bounds excerpts of a body quoted in a reason, in runes.
	ackExcerptLimit = 200
)

// ParseAck judges a receiver's answer as Salesforce does. Success needs both a
// 2xx status and a well-formed SOAP 1.1 envelope whose Body holds
// notificationsResponse with an Ack of xsd:boolean true ("true" or "1",
// surrounding whitespace allowed), both matched by namespace
// (http://soap.sforce.com/2005/09/outbound), never by prefix. One Ack covers
// every notification of the message.
//
// Every other answer fails with a reason: Salesforce's texts where they are
// known (an Ack of false is "SOAP response was a nack"; a body that is not
// XML gets the Xerces SAXParseException text Salesforce shows, with the line
// and column Xerces would report), otherwise sfemu's wording naming what was
// wrong. Only the first 64 KiB of body are looked at; excerpts quoted in a
// reason are single-line and at most 200 characters. contentType only feeds
// the reason: like Salesforce, the judgement rests on the body.
func ParseAck(status int, contentType string, body []byte) AckResult {
	truncated := len(body) > ackBodyLimit
	if truncated {
		body = body[:ackBodyLimit]
	}
	a := readAckBody(body, truncated)
	if status < 200 || status > 299 {
		return AckResult{Reason: httpStatusReason(status, contentType, body, a)}
	}
	if a.acked {
		return AckResult{Acked: true}
	}
	if a.html {
		return AckResult{Reason: htmlReason(status, contentType, body)}
	}
	return AckResult{Reason: a.reason}
}

// ackAnswer is what a response body turned out to hold.
type ackAnswer struct {
	acked bool
	// reason says why the body is not an Ack of true.
	reason string
	// html is set when the body is an HTML page.
	html bool
	// fault is set when the body is a SOAP Fault; reason then describes it.
	fault bool
	// wellFormed is set when the body is a well-formed XML document.
	wellFormed bool
}

// readAckBody parses body and looks for notificationsResponse/Ack.
func readAckBody(body []byte, truncated bool) ackAnswer {
	if r, ok := xercesPrologError(body); ok {
		return ackAnswer{reason: r}
	}
	root, err := parseAckXML(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if err != nil {
		r := "response is not well-formed XML: " + err.Error()
		if truncated {
			r += " (only the first 64 KiB of the response were read)"
		}
		return ackAnswer{reason: r, html: looksLikeHTML(body)}
	}
	a := ackAnswer{wellFormed: true}
	switch {
	case strings.EqualFold(root.name.Local, "html"):
		a.html = true
		a.reason = "expected a SOAP envelope, got an HTML page"
	case root.name.Local == "Envelope" && root.name.Space == "http://www.w3.org/2003/05/soap-envelope":
		a.reason = "expected a SOAP 1.1 envelope (namespace " + soapEnvelopeNS +
			"), got a SOAP 1.2 envelope (namespace http://www.w3.org/2003/05/soap-envelope)"
	case root.name != xml.Name{Space: soapEnvelopeNS, Local: "Envelope"}:
		a.reason = "expected a SOAP 1.1 Envelope, got the XML element " + describeName(root.name)
	default:
		a.judgeEnvelope(root)
	}
	return a
}

// judgeEnvelope looks into a SOAP 1.1 envelope's Body.
func (a *ackAnswer) judgeEnvelope(env *ackNode) {
	body := env.child(soapEnvelopeNS, "Body")
	if body == nil {
		a.reason = "SOAP envelope has no Body"
		return
	}
	if len(body.children) == 0 {
		a.reason = "SOAP Body is empty: expected notificationsResponse"
		return
	}
	resp := body.children[0]
	switch {
	case resp.name == xml.Name{Space: soapEnvelopeNS, Local: "Fault"}:
		a.fault = true
		a.reason = faultReason(resp)
	case resp.name == xml.Name{Space: outboundNS, Local: "notificationsResponse"}:
		a.judgeResponse(resp)
	case resp.name.Local == "notificationsResponse":
		a.reason = "notificationsResponse is in namespace " + quoteNS(resp.name.Space) + ", not " + outboundNS +
			" (Salesforce matches it by namespace, not by prefix)"
	default:
		a.reason = "expected notificationsResponse in the SOAP Body, got " + describeName(resp.name)
	}
}

// judgeResponse reads notificationsResponse/Ack.
func (a *ackAnswer) judgeResponse(resp *ackNode) {
	ack := resp.child(outboundNS, "Ack")
	if ack == nil {
		if other := resp.childLocal("Ack"); other != nil {
			a.reason = "notificationsResponse has its Ack in namespace " + quoteNS(other.name.Space) + ", not " + outboundNS +
				" (Salesforce matches it by namespace, not by prefix)"
		} else {
			a.reason = "notificationsResponse has no Ack element"
		}
		return
	}
	if ack.nil() {
		a.reason = `Ack is xsi:nil="true"; only an Ack of true acknowledges the message`
		return
	}
	if len(ack.children) > 0 {
		a.reason = "Ack holds elements instead of true or false"
		return
	}
	switch v := strings.Trim(ack.text.String(), " \t\r\n"); v {
	case "true", "1":
		a.acked = true
	case "false", "0":
		a.reason = reasonNack
	default:
		a.reason = fmt.Sprintf("Ack %s is not an xsd:boolean (true, false, 1 or 0)", quoteExcerpt(v))
	}
}

// faultReason words a SOAP 1.1 Fault.
func faultReason(f *ackNode) string {
	code, text := "", ""
	if c := f.childLocal("faultcode"); c != nil {
		code = excerpt(c.text.String())
	}
	if s := f.childLocal("faultstring"); s != nil {
		text = excerpt(s.text.String())
	}
	switch {
	case code != "" && text != "":
		return "SOAP Fault: " + code + ": " + text
	case code != "":
		return "SOAP Fault: " + code
	case text != "":
		return "SOAP Fault: " + text
	}
	return "SOAP Fault without faultcode or faultstring"
}

// httpStatusReason words a non-2xx answer: the status, then what the body
// says, briefly.
func httpStatusReason(status int, contentType string, body []byte, a ackAnswer) string {
	r := fmt.Sprintf("HTTP %d", status)
	if t := http.StatusText(status); t != "" {
		r += " " + t
	}
	switch {
	case a.fault:
		return r + ": " + a.reason
	case a.acked:
		return r + ": the body acknowledged the message (Ack true), but only a 2xx status counts as delivered"
	case a.html || looksLikeHTML(body):
		return r + ": " + htmlSummary(contentType, body)
	case len(bytes.TrimSpace(body)) == 0:
		return r + " (empty body)"
	}
	if contentType != "" {
		r += " (" + excerpt(contentType) + ")"
	}
	return r + ": " + quoteExcerpt(string(body))
}

// htmlReason words a 2xx answer that is an HTML page: typically a login page,
// a proxy's error page or a web server's default page answering in place of
// the listener. Salesforce's text for it is unknown.
func htmlReason(status int, contentType string, body []byte) string {
	return fmt.Sprintf("expected a SOAP notificationsResponse, got an HTML page (HTTP %d): %s", status, htmlSummary(contentType, body))
}

// htmlSummary is an HTML page's title, or the start of its text.
func htmlSummary(contentType string, body []byte) string {
	s := "HTML page"
	if contentType != "" {
		s += " (" + excerpt(contentType) + ")"
	}
	if t := htmlTitle(body); t != "" {
		return s + " titled " + quoteExcerpt(t)
	}
	if t := excerpt(stripTags(body)); t != "" {
		return s + ": " + quoteExcerpt(t)
	}
	return s
}

// looksLikeHTML reports whether a body is an HTML page.
func looksLikeHTML(body []byte) bool {
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(b) > 512 {
		b = b[:512]
	}
	l := bytes.ToLower(b)
	return bytes.HasPrefix(l, []byte("<!doctype html")) || bytes.HasPrefix(l, []byte("<html")) ||
		bytes.Contains(l, []byte("<html")) && !bytes.Contains(l, []byte("envelope"))
}

// htmlTitle returns the text of an HTML page's <title>, or "".
func htmlTitle(body []byte) string {
	l := bytes.ToLower(body)
	i := bytes.Index(l, []byte("<title"))
	if i < 0 {
		return ""
	}
	gt := bytes.IndexByte(l[i:], '>')
	if gt < 0 {
		return ""
	}
	start := i + gt + 1
	end := bytes.Index(l[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	return excerpt(string(body[start : start+end]))
}

// stripTags drops <…> markup, crudely, to show a page's text.
func stripTags(body []byte) string {
	var b strings.Builder
	in := false
	for _, c := range body {
		switch {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteByte(c)
		}
		if b.Len() > 4*ackExcerptLimit {
			break
		}
	}
	return b.String()
}

// excerpt makes s safe to show on one line: whitespace runs collapsed to
// one space, control characters and invalid UTF-8 replaced by U+FFFD, at
// most 200 characters (the 200th being "…" when s was longer).
func excerpt(s string) string {
	out := make([]rune, 0, min(len(s), ackExcerptLimit+1))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = len(out) > 0
			continue
		case r == utf8.RuneError || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			r = '\uFFFD'
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, r)
		if len(out) > ackExcerptLimit {
			break
		}
	}
	if len(out) > ackExcerptLimit {
		out = append(out[:ackExcerptLimit-1], '…')
	}
	return string(out)
}

// quoteExcerpt is excerpt(s) in double quotes.
func quoteExcerpt(s string) string { return `"` + excerpt(s) + `"` }

func quoteNS(ns string) string {
	if ns == "" {
		return `"" (no namespace)`
	}
	return excerpt(ns)
}

func describeName(n xml.Name) string {
	if n.Space == "" {
		return "<" + excerpt(n.Local) + "> (no namespace)"
	}
	return "<" + excerpt(n.Local) + "> in namespace " + excerpt(n.Space)
}

// xercesPrologError reports the failures a Xerces SAX parser meets before the
// first markup, with the texts and positions it reports: an empty body
// ("Premature end of file."), text before the first '<' ("Content is not
// allowed in prolog.", the case Salesforce documents for non-XML bodies),
// and whitespace before the XML declaration (the reserved "xml" processing
// instruction target). Lines and columns count from 1; CR LF is one line end.
func xercesPrologError(body []byte) (string, bool) {
	b := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	line, col := 1, 1
	i := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t':
			col++
			continue
		case '\n':
			line, col = line+1, 1
			continue
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			line, col = line+1, 1
			continue
		}
		break
	}
	switch {
	case i == len(b):
		return saxError(line, col, "Premature end of file."), true
	case b[i] != '<':
		return saxError(line, col, "Content is not allowed in prolog."), true
	case i > 0 && len(b) >= i+6 && strings.EqualFold(string(b[i+2:i+5]), "xml") && b[i+1] == '?' &&
		strings.ContainsRune(" \t\r\n?", rune(b[i+5])):
		// Xerces reports it once the target name is read.
		return saxError(line, col+5, `The processing instruction target matching "[xX][mM][lL]" is not allowed.`), true
	}
	return "", false
}

func saxError(line, col int, msg string) string {
	return fmt.Sprintf("%s; lineNumber: %d; columnNumber: %d; %s", saxPrefix, line, col, msg)
}

// ackNode is an element of a parsed response.
type ackNode struct {
	name     xml.Name
	qname    string // as written, prefix:local
	attr     []xml.Attr
	text     strings.Builder
	children []*ackNode
}

func (n *ackNode) child(space, local string) *ackNode {
	for _, c := range n.children {
		if c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

func (n *ackNode) childLocal(local string) *ackNode {
	for _, c := range n.children {
		if c.name.Local == local {
			return c
		}
	}
	return nil
}

// nil reports xsi:nil="true" (or "1").
func (n *ackNode) nil() bool {
	for _, a := range n.attr {
		if a.Name.Space == xsiNS && a.Name.Local == "nil" {
			v := strings.Trim(a.Value, " \t\r\n")
			return v == "true" || v == "1"
		}
	}
	return false
}

// errNotWellFormed words the well-formedness errors the decoder leaves to us.
type errNotWellFormed struct {
	line, col int
	msg       string
}

func (e *errNotWellFormed) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg)
}

// parseAckXML parses a whole document, namespaces resolved as a
// namespace-aware SAX parser resolves them (an unbound prefix is an error),
// and returns its root element.
func parseAckXML(body []byte) (*ackNode, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = ackCharsetReader
	var (
		root  *ackNode
		stack []*ackNode
		// bound maps a prefix to its bindings, innermost last; declared[i]
		// lists the prefixes stack[i] declared, to unbind at its end.
		bound    = map[string][]string{}
		declared [][]string
		closed   bool
	)
	lookup := func(prefix string) (string, bool) {
		switch prefix {
		case "xml":
			return "http://www.w3.org/XML/1998/namespace", true
		case "xmlns":
			return "http://www.w3.org/2000/xmlns/", true
		}
		if v := bound[prefix]; len(v) > 0 {
			return v[len(v)-1], true
		}
		return "", prefix == ""
	}
	fail := func(msg string) error {
		line, col := d.InputPos()
		return &errNotWellFormed{line: line, col: col, msg: msg}
	}
	first := true
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if len(stack) > 0 {
				return nil, fail("XML document structures must start and end within the same entity (the response ends inside <" + excerpt(stack[len(stack)-1].name.Local) + ">)")
			}
			if root == nil {
				return nil, fail("the document has no root element")
			}
			return root, nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line, col := d.InputPos()
				return nil, &errNotWellFormed{line: line, col: col, msg: strings.TrimPrefix(se.Msg, "xml: ")}
			}
			return nil, fail(err.Error())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if closed {
				return nil, fail("The markup in the document following the root element must be well-formed.")
			}
			var decl []string
			for _, a := range t.Attr {
				prefix, ok := "", false
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					ok = true
				case a.Name.Space == "xmlns":
					prefix, ok = a.Name.Local, true
				}
				if ok {
					bound[prefix] = append(bound[prefix], a.Value)
					decl = append(decl, prefix)
				}
			}
			declared = append(declared, decl)
			n := &ackNode{name: t.Name, qname: rawQName(t.Name)}
			space, ok := lookup(t.Name.Space)
			if !ok {
				return nil, fail(fmt.Sprintf("The prefix %q for element %q is not bound.", t.Name.Space, t.Name.Space+":"+t.Name.Local))
			}
			n.name.Space = space
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				if a.Name.Space != "" {
					s, ok := lookup(a.Name.Space)
					if !ok {
						return nil, fail(fmt.Sprintf("The prefix %q for attribute %q is not bound.", a.Name.Space, a.Name.Space+":"+a.Name.Local))
					}
					a.Name.Space = s
				}
				n.attr = append(n.attr, a)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fail("unexpected end element </" + excerpt(t.Name.Local) + ">")
			}
			open := stack[len(stack)-1]
			if rawQName(t.Name) != open.qname {
				return nil, fail(fmt.Sprintf("The element type %q must be terminated by the matching end-tag \"</%s>\".", excerpt(open.qname), excerpt(open.qname)))
			}
			stack = stack[:len(stack)-1]
			for _, p := range declared[len(declared)-1] {
				bound[p] = bound[p][:len(bound[p])-1]
			}
			declared = declared[:len(declared)-1]
			if len(stack) == 0 {
				closed = true
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.Trim(t, " \t\r\n")) > 0 {
				if closed {
					return nil, fail("Content is not allowed in trailing section.")
				}
				return nil, fail("Content is not allowed in prolog.")
			}
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") && !first {
				return nil, fail(`The processing instruction target matching "[xX][mM][lL]" is not allowed.`)
			}
		}
		first = false
	}
}

func rawQName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// ackCharsetReader lets responses declare the single-byte encodings Java
// reads; each byte is its Latin-1 code point, which is exact for ISO-8859-1
// and US-ASCII and close for windows-1252.
func ackCharsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", "windows-1252", "cp1252":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return &out, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported; answer in UTF-8", excerpt(charset))
}
