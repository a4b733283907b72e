package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// The Partner API, written by hand the way receivers built before February
// 2026 called back the PartnerUrl of an outbound message: a SOAP 1.1
// envelope with the session in a SessionHeader, generic sObjects (type and
// fields by name), faults with faultcode sf:<CODE>. Answers are read by
// namespace, never by prefix, as the outbound-message parser reads messages.

const (
	soapEnvNS     = "http://schemas.xmlsoap.org/soap/envelope/"
	partnerNS     = "urn:partner.soap.sforce.com"
	partnerObjNS  = "urn:sobject.partner.soap.sforce.com"
	partnerFltNS  = "urn:fault.partner.soap.sforce.com"
	xsiNS         = "http://www.w3.org/2001/XMLSchema-instance"
	maxSOAPAnswer = maxResponseSize
	// maxAnswerDepth bounds the nesting of an answer: a query result with a
	// parent relationship and a subquery is under 12 levels.
	maxAnswerDepth = 64
)

// SOAPFault is a fault the SOAP API answered: HTTP 500, faultcode
// (sf:INVALID_FIELD), faultstring ("INVALID_FIELD: No such column …") and,
// from Salesforce, a detail with exceptionCode and exceptionMessage.
type SOAPFault struct {
	Status int
	// Code is the faultcode as sent; CodeNS the namespace its prefix is
	// bound to ("" when unbound).
	Code, CodeNS string
	// String is the faultstring.
	String string
	// ExceptionCode and ExceptionMessage are the detail's, when it has them.
	ExceptionCode, ExceptionMessage string
}

// ExceptionName is the fault's Salesforce code: the detail's exceptionCode,
// else the faultcode's local part (INVALID_SESSION_ID), or the whole
// faultcode for SOAP's own codes (soapenv:Client).
func (f *SOAPFault) ExceptionName() string {
	if f.ExceptionCode != "" {
		return f.ExceptionCode
	}
	if f.CodeNS == soapEnvNS {
		return f.Code
	}
	if i := strings.LastIndexByte(f.Code, ':'); i >= 0 {
		return f.Code[i+1:]
	}
	return f.Code
}

// Error is "faultcode: faultstring", without the code twice: Salesforce's
// faultstring already starts with it ("INVALID_FIELD: No such column …").
func (f *SOAPFault) Error() string {
	code := f.ExceptionName()
	text := strings.TrimSpace(f.String)
	if text == "" {
		text = f.ExceptionMessage
	}
	text = strings.TrimPrefix(text, code+": ")
	switch {
	case code == "" && text == "":
		return fmt.Sprintf("SOAP fault without faultcode or faultstring (HTTP %d)", f.Status)
	case code == "":
		return text
	case text == "":
		return code
	}
	return code + ": " + text
}

// SaveError is a create or update whose SaveResult has success false:
// its errors, worded as REST's ("statusCode: message").
type SaveError struct {
	Call, Object string
	Errors       []RESTError // ErrorCode holds the statusCode
}

func (e *SaveError) Error() string {
	if len(e.Errors) == 0 {
		return fmt.Sprintf("%s %s: the SaveResult has success false and no errors", e.Call, e.Object)
	}
	return (&APIError{Errors: e.Errors}).Error()
}

// xmlNode is an element of a SOAP answer, its name namespace-resolved.
type xmlNode struct {
	name     xml.Name
	parent   *xmlNode
	decls    map[string]string // namespace prefixes the element declares
	children []*xmlNode
	text     strings.Builder
	isNil    bool
}

func (n *xmlNode) child(space, local string) *xmlNode {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

func (n *xmlNode) all(space, local string) []*xmlNode {
	if n == nil {
		return nil
	}
	var out []*xmlNode
	for _, c := range n.children {
		if c.name.Space == space && c.name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

func (n *xmlNode) childText(space, local string) string {
	if c := n.child(space, local); c != nil {
		return strings.TrimSpace(c.text.String())
	}
	return ""
}

// resolve is the namespace prefix is bound to where n is ("" when unbound).
// encoding/xml resolves element and attribute names, not QName values such
// as a faultcode's.
func (n *xmlNode) resolve(prefix string) string {
	for ; n != nil; n = n.parent {
		if ns, ok := n.decls[prefix]; ok {
			return ns
		}
	}
	return ""
}

// parseSOAPAnswer reads a SOAP 1.1 envelope into a tree and returns its
// Body. It never panics; what is not such an envelope is an error.
func parseSOAPAnswer(data []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the answer is not XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxAnswerDepth {
				return nil, fmt.Errorf("the answer nests elements deeper than %d levels", maxAnswerDepth)
			}
			if root != nil && len(stack) == 0 {
				return nil, errors.New("the answer has more than one root element")
			}
			n := &xmlNode{name: t.Name}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.declare(a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.declare("", a.Value)
				case a.Name.Space == xsiNS && a.Name.Local == "nil":
					n.isNil = isTrue(a.Value)
				}
			}
			if len(stack) > 0 {
				n.parent = stack[len(stack)-1]
				n.parent.children = append(n.parent.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("the answer has no element")
	}
	if root.name.Space != soapEnvNS || root.name.Local != "Envelope" {
		return nil, fmt.Errorf("the answer is not a SOAP 1.1 envelope: the root is <%s> in namespace %q", root.name.Local, root.name.Space)
	}
	body := root.child(soapEnvNS, "Body")
	if body == nil {
		return nil, errors.New("the answer's envelope has no Body")
	}
	return body, nil
}

func (n *xmlNode) declare(prefix, ns string) {
	if n.decls == nil {
		n.decls = map[string]string{}
	}
	n.decls[prefix] = ns
}

// faultOf reads a Body's soapenv:Fault, nil when there is none.
func faultOf(body *xmlNode, status int) *SOAPFault {
	f := body.child(soapEnvNS, "Fault")
	if f == nil {
		return nil
	}
	sf := &SOAPFault{Status: status, String: f.childText("", "faultstring")}
	if fc := f.child("", "faultcode"); fc != nil {
		sf.Code = strings.TrimSpace(fc.text.String())
		prefix, _, found := strings.Cut(sf.Code, ":")
		if !found {
			prefix = ""
		}
		sf.CodeNS = fc.resolve(prefix)
	}
	// detail holds one typed element (sf:UnexpectedErrorFault, sf:LoginFault…).
	if detail := f.child("", "detail"); detail != nil {
		for _, typed := range detail.children {
			if typed.name.Space != partnerFltNS {
				continue
			}
			sf.ExceptionCode = typed.childText(partnerFltNS, "exceptionCode")
			sf.ExceptionMessage = typed.childText(partnerFltNS, "exceptionMessage")
			break
		}
	}
	return sf
}

// soapPost sends one Partner call to endpoint and returns the answer's
// Body; a SOAP fault is a *SOAPFault. Every value in call must be escaped
// already (escape).
func (sf *Salesforce) soapPost(ctx context.Context, endpoint, session, call string) (*xmlNode, error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="` + soapEnvNS + `" xmlns:urn="` + partnerNS +
		`" xmlns:urn1="` + partnerObjNS + `" xmlns:xsi="` + xsiNS + `"><soapenv:Header>`)
	if session != "" {
		b.WriteString("<urn:SessionHeader><urn:sessionId>")
		b.WriteString(escape(session))
		b.WriteString("</urn:sessionId></urn:SessionHeader>")
	}
	b.WriteString("</soapenv:Header><soapenv:Body>")
	b.WriteString(call)
	b.WriteString("</soapenv:Body></soapenv:Envelope>")
	where := shortURL(endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(b.String()))
	if err != nil {
		return nil, fmt.Errorf("SOAP call to %s: %v", where, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := sf.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("SOAP call to %s: %v", where, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSOAPAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("SOAP answer from %s: %v", where, err)
	}
	if len(data) > maxSOAPAnswer {
		return nil, fmt.Errorf("SOAP answer from %s: HTTP %d: over %d bytes", where, resp.StatusCode, maxSOAPAnswer)
	}
	body, perr := parseSOAPAnswer(data)
	if perr != nil {
		return nil, fmt.Errorf("SOAP call to %s: HTTP %d: %v: %s", where, resp.StatusCode, perr, excerpt(data))
	}
	if f := faultOf(body, resp.StatusCode); f != nil {
		return nil, f
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("SOAP call to %s: HTTP %d without a fault: %s", where, resp.StatusCode, excerpt(data))
	}
	return body, nil
}

// escape makes s safe as XML text content.
func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapResult is the <result> of a call's <{call}Response>, or an error
// saying the answer has none.
func soapResult(body *xmlNode, call string) (*xmlNode, error) {
	res := body.child(partnerNS, call+"Response").child(partnerNS, "result")
	if res == nil {
		return nil, fmt.Errorf("%s: the answer has no %sResponse/result in namespace %s", call, call, partnerNS)
	}
	return res, nil
}

// soapLogin calls login() at the login URL's Partner endpoint of version
// and returns the session as a token, with the serverUrl later calls go to.
func (sf *Salesforce) soapLogin(ctx context.Context, o *OrgConfig, version string) (*Token, error) {
	endpoint := o.LoginURL + "/services/Soap/u/" + version
	call := "<urn:login><urn:username>" + escape(o.Username) + "</urn:username><urn:password>" + escape(o.Password) + "</urn:password></urn:login>"
	body, err := sf.soapPost(ctx, endpoint, "", call)
	if err != nil {
		return nil, fmt.Errorf("soap login(): %w", err)
	}
	res, err := soapResult(body, "login")
	if err != nil {
		return nil, fmt.Errorf("soap login(): %v", err)
	}
	if isTrue(res.childText(partnerNS, "passwordExpired")) {
		return nil, fmt.Errorf("soap login(): the password of %s has expired: only setPassword() is allowed until it is changed", o.Username)
	}
	server, session := res.childText(partnerNS, "serverUrl"), res.childText(partnerNS, "sessionId")
	instance, err := instanceOf(server)
	if err != nil || session == "" {
		return nil, fmt.Errorf("soap login(): no usable serverUrl and sessionId in the answer (serverUrl %q)", server)
	}
	return &Token{AccessToken: session, InstanceURL: instance, SOAPURL: server}, nil
}

// soapQuery runs SOQL and returns the records' fields by name (nil for
// xsi:nil; a parent relationship as a nested map), Id included.
func (sf *Salesforce) soapQuery(ctx context.Context, endpoint, session, soql string) ([]map[string]any, error) {
	body, err := sf.soapPost(ctx, endpoint, session, "<urn:query><urn:queryString>"+escape(soql)+"</urn:queryString></urn:query>")
	if err != nil {
		return nil, err
	}
	res, err := soapResult(body, "query")
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, rec := range res.all(partnerNS, "records") {
		out = append(out, soapRecord(rec))
	}
	return out, nil
}

// soapRecord reads a Partner sObject: <sf:type>, then its fields in the
// sObject namespace. The Id comes twice (the sObject's and the field
// queried); a nil one does not hide the other.
func soapRecord(rec *xmlNode) map[string]any {
	m := map[string]any{}
	for _, f := range rec.children {
		if f.name.Space != partnerObjNS || f.name.Local == "type" {
			continue
		}
		switch {
		case f.isNil:
			if _, seen := m[f.name.Local]; !seen {
				m[f.name.Local] = nil
			}
		case f.child(partnerObjNS, "type") != nil: // a parent relationship
			m[f.name.Local] = soapRecord(f)
		case len(f.children) > 0: // a subquery's QueryResult: not read
		default:
			m[f.name.Local] = strings.TrimSpace(f.text.String())
		}
	}
	return m
}

// soapSave runs create or update of one sObject and returns its id; a
// SaveResult with success false is a *SaveError. Field names are API names
// (checked by the configuration); values are escaped.
func (sf *Salesforce) soapSave(ctx context.Context, endpoint, session, call, object string, fields map[string]any) (string, error) {
	var b strings.Builder
	b.WriteString("<urn:" + call + "><urn:sObjects><urn1:type>" + escape(object) + "</urn1:type>")
	names := make([]string, 0, len(fields))
	for k := range fields {
		if k != "Id" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if _, ok := fields["Id"]; ok { // Id first, as the WSDL orders sObject
		names = append([]string{"Id"}, names...)
	}
	for _, k := range names {
		fmt.Fprintf(&b, "<urn1:%s>%s</urn1:%s>", k, escape(fmt.Sprint(fields[k])), k)
	}
	b.WriteString("</urn:sObjects></urn:" + call + ">")
	body, err := sf.soapPost(ctx, endpoint, session, b.String())
	if err != nil {
		return "", err
	}
	res, err := soapResult(body, call)
	if err != nil {
		return "", err
	}
	if !isTrue(res.childText(partnerNS, "success")) {
		se := &SaveError{Call: call, Object: object}
		for _, e := range res.all(partnerNS, "errors") {
			re := RESTError{ErrorCode: e.childText(partnerNS, "statusCode"), Message: e.childText(partnerNS, "message")}
			for _, f := range e.all(partnerNS, "fields") {
				re.Fields = append(re.Fields, strings.TrimSpace(f.text.String()))
			}
			se.Errors = append(se.Errors, re)
		}
		return "", se
	}
	return res.childText(partnerNS, "id"), nil
}

// partnerURL is the Partner endpoint of version for org orgID at instance.
func partnerURL(instance, version, orgID string) string {
	return strings.TrimRight(instance, "/") + "/services/Soap/u/" + version + "/" + orgKey(orgID)
}

// versionOf is the API version in a Partner or Enterprise URL
// (…/services/Soap/u/60.0/00D…), or fallback when it has none.
func versionOf(soapURL, fallback string) string {
	u, err := url.Parse(soapURL)
	if err != nil {
		return fallback
	}
	parts := strings.Split(u.Path, "/")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "Soap" && (parts[i+1] == "u" || parts[i+1] == "c") {
			if v, err := normalizeAPIVersion(parts[i+2]); err == nil {
				return v
			}
		}
	}
	return fallback
}

// shortURL is an endpoint without its query, for error messages.
func shortURL(endpoint string) string {
	if i := strings.IndexAny(endpoint, "?#"); i >= 0 {
		return endpoint[:i]
	}
	return endpoint
}
