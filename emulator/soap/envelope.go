package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
)

// Parsing limits. The body itself is bounded by Config.MaxRequestBytes
// (Salesforce: 50 MB); these bound what a body within it can make the
// parser build.
const (
	// maxDepth bounds element nesting: envelope, body, call, sObjects,
	// field — real requests never go past 8.
	maxDepth = 32
	// maxElements bounds the elements of one request: 200 records of a few
	// hundred fields each fit with room to spare.
	maxElements = 250_000
)

// request is one parsed SOAP call.
type request struct {
	op     string // the call: query, create, login…
	opNS   string // the namespace its element is in
	header header
	body   *node // the call's element, e.g. <query><queryString>…</queryString></query>
}

// header is what sfemu reads of the SOAP header.
type header struct {
	sessionID  string
	hasSession bool
	batchSize  int // QueryOptions.batchSize; 0: not given
	allOrNone  bool
	client     string // CallOptions.client
	// assignment is AssignmentRuleHeader's: useDefaultRule runs the active
	// lead assignment rule, assignmentRuleId that rule; none without it.
	assignment org.Assignment
}

// node is an element of the call's body, namespaces resolved.
type node struct {
	space, local string
	attrs        []xml.Attr
	children     []*node
	text         strings.Builder
	isNil        bool
}

// child returns the first child element named local, or nil.
func (n *node) child(local string) *node {
	for _, c := range n.children {
		if c.local == local {
			return c
		}
	}
	return nil
}

// all returns every child element named local, in order.
func (n *node) all(local string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.local == local {
			out = append(out, c)
		}
	}
	return out
}

// childText is the text of the first child named local, "" when absent.
func (n *node) childText(local string) string {
	if c := n.child(local); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

// xsiType is the local name of the element's xsi:type ("Account" for
// xsi:type="urn1:Account"), "" when it has none.
func (n *node) xsiType() string {
	for _, a := range n.attrs {
		if a.Name.Space == soapxml.XSINS && a.Name.Local == "type" {
			v := a.Value
			if i := strings.LastIndexByte(v, ':'); i >= 0 {
				v = v[i+1:]
			}
			return v
		}
	}
	return ""
}

// parseRequest reads a SOAP 1.1 envelope. Anything but a well-formed
// envelope with one call in its body is a client fault that says where and
// what: a DOCTYPE (so no entity can be declared, let alone expanded), an
// unknown entity, another character set than UTF-8, a SOAP 1.2 envelope,
// nesting or element counts past the limits above.
func parseRequest(body []byte) (*request, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported: send UTF-8", label)
	}
	req := &request{}
	var (
		stack    []*node // open elements below the call (or in a header)
		depth    int
		elements int
		inHeader bool
		inBody   bool
		seenEnv  bool
		headerEl *node
	)
	fail := func(format string, args ...any) error {
		line, col := d.InputPos()
		return clientFault(fmt.Sprintf(format, args...)+" at [row,col {unknown-source}]: [%d,%d]", line, col)
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fail("%s", syntaxText(se.Msg))
			}
			return nil, fail("%v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return nil, fail("DOCTYPE is disallowed: a SOAP message must not contain a document type declaration")
			}
			return nil, fail("unexpected markup <!%s>", truncate(string(t), 40))
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, fail("processing instruction <?%s?> is not allowed in a SOAP message", t.Target)
			}
		case xml.StartElement:
			depth++
			elements++
			if depth > maxDepth {
				return nil, fail("elements nested deeper than %d levels", maxDepth)
			}
			if elements > maxElements {
				return nil, &fault{code: "EXCEEDED_MAX_SIZE_REQUEST", kind: "UnexpectedErrorFault",
					message: fmt.Sprintf("request has more than %d elements", maxElements)}
			}
			switch {
			case depth == 1:
				if t.Name.Local != "Envelope" {
					return nil, fail("the root element is <%s>, not a SOAP Envelope", t.Name.Local)
				}
				if t.Name.Space != soapxml.EnvelopeNS {
					if t.Name.Space == soap12NS {
						return nil, &fault{soapCode: "soapenv:VersionMismatch", message: "SOAP 1.2 is not supported: send a SOAP 1.1 envelope (namespace " + soapxml.EnvelopeNS + ")"}
					}
					return nil, fail("the Envelope is in namespace %q, not %s", t.Name.Space, soapxml.EnvelopeNS)
				}
				seenEnv = true
			case depth == 2:
				switch {
				case t.Name.Space == soapxml.EnvelopeNS && t.Name.Local == "Header" && !inBody:
					inHeader = true
				case t.Name.Space == soapxml.EnvelopeNS && t.Name.Local == "Body":
					inBody = true
				default:
					return nil, fail("unexpected element <%s> in the Envelope: want Header and Body", t.Name.Local)
				}
			case depth == 3 && inHeader:
				headerEl = newNode(t)
				stack = append(stack[:0], headerEl)
			case depth == 3 && inBody:
				if req.body != nil {
					return nil, fail("the Body holds more than one call (<%s> after <%s>)", t.Name.Local, req.op)
				}
				req.body = newNode(t)
				req.op, req.opNS = t.Name.Local, t.Name.Space
				stack = append(stack[:0], req.body)
			default:
				n := newNode(t)
				if len(stack) > 0 {
					parent := stack[len(stack)-1]
					parent.children = append(parent.children, n)
				}
				stack = append(stack, n)
			}
		case xml.EndElement:
			if depth >= 3 && len(stack) > 0 {
				stack = stack[:len(stack)-1]
				if depth == 3 && inHeader && headerEl != nil {
					if err := req.header.read(headerEl); err != nil {
						return nil, err
					}
					headerEl = nil
				}
			}
			if depth == 2 {
				inHeader = false
			}
			depth--
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if depth > 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, fail("text %q where only elements may be", truncate(strings.TrimSpace(string(t)), 20))
			}
		}
	}
	switch {
	case !seenEnv:
		return nil, clientFault("Unexpected EOF in prolog at [row,col {unknown-source}]: [1,0]")
	case !inBody && req.body == nil:
		return nil, clientFault("the Envelope has no Body")
	case req.body == nil:
		return nil, clientFault("the Body is empty: it must hold one call such as <query> or <login>")
	}
	return req, nil
}

const soap12NS = "http://www.w3.org/2003/05/soap-envelope"

func newNode(t xml.StartElement) *node {
	n := &node{space: t.Name.Space, local: t.Name.Local, attrs: t.Attr}
	for _, a := range t.Attr {
		if a.Name.Space == soapxml.XSINS && a.Name.Local == "nil" && (a.Value == "true" || a.Value == "1") {
			n.isNil = true
		}
	}
	return n
}

// read takes what sfemu uses from one header element; others are ignored,
// as Salesforce ignores headers a call does not use.
func (h *header) read(n *node) error {
	switch n.local {
	case "SessionHeader":
		h.sessionID, h.hasSession = n.childText("sessionId"), true
	case "QueryOptions":
		if s := n.childText("batchSize"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return &fault{code: "INVALID_SOAP_HEADER", kind: "UnexpectedErrorFault",
					message: fmt.Sprintf("QueryOptions batchSize %q is not an integer", s)}
			}
			h.batchSize = v
		}
	case "AllOrNoneHeader":
		h.allOrNone = parseBool(n.childText("allOrNone"))
	case "CallOptions":
		h.client = n.childText("client")
	case "AssignmentRuleHeader":
		// SOAP API Developer Guide, "AssignmentRuleHeader": an id not in
		// the 15- or 18-character form fails the call with MALFORMED_ID
		// (the fault's text is UNKNOWN); with an id, useDefaultRule is not
		// to be given, and is ignored.
		if v := strings.TrimSpace(n.childText("assignmentRuleId")); v != "" {
			id, err := org.ParseID(v)
			if err != nil {
				return unexpected("MALFORMED_ID", "AssignmentRuleHeader assignmentRuleId: invalid id: "+v)
			}
			h.assignment = org.Assignment{RuleID: id}
		} else if parseBool(n.childText("useDefaultRule")) {
			h.assignment = org.Assignment{UseActive: true}
		}
	}
	return nil
}

func parseBool(s string) bool { return s == "true" || s == "1" }

// syntaxText words an encoding/xml syntax error for the fault string.
func syntaxText(msg string) string {
	if strings.HasPrefix(msg, "invalid character entity") {
		return msg + " (only the five predefined entities and character references are allowed)"
	}
	return msg
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
