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
// fields by name), faults with faultcode sf:<CODE>.

const (
	soapEnvNS     = "http://schemas.xmlsoap.org/soap/envelope/"
	partnerNS     = "urn:partner.soap.sforce.com"
	partnerObjNS  = "urn:sobject.partner.soap.sforce.com"
	xsiNS         = "http://www.w3.org/2001/XMLSchema-instance"
	maxSOAPAnswer = maxResponseSize
)

// SOAPFault is a fault the SOAP API answered: faultcode (sf:INVALID_FIELD)
// and faultstring ("INVALID_FIELD: No such column …").
type SOAPFault struct {
	Status int
	Code   string
	String string
}

func (f *SOAPFault) Error() string {
	if f.String == "" {
		return f.Code
	}
	return f.String
}

// ExceptionCode is the fault's code without its prefix (INVALID_SESSION_ID).
func (f *SOAPFault) ExceptionCode() string {
	if i := strings.IndexByte(f.Code, ':'); i >= 0 {
		return f.Code[i+1:]
	}
	return f.Code
}

// xmlNode is an element of a SOAP answer, by local name.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	children []*xmlNode
	text     string
	isNil    bool
}

func (n *xmlNode) child(name string) *xmlNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (n *xmlNode) all(name string) []*xmlNode {
	var out []*xmlNode
	for _, c := range n.children {
		if c.name == name {
			out = append(out, c)
		}
	}
	return out
}

func (n *xmlNode) childText(name string) string {
	if c := n.child(name); c != nil {
		return strings.TrimSpace(c.text)
	}
	return ""
}

// maxAnswerDepth bounds the nesting of a SOAP answer sfemu-like servers send.
const maxAnswerDepth = 64

// parseSOAPAnswer reads an envelope into a tree and returns its Body.
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
				return nil, errors.New("the answer nests deeper than any SOAP answer")
			}
			n := &xmlNode{name: t.Name.Local, attrs: t.Attr}
			for _, a := range t.Attr {
				if a.Name.Space == xsiNS && a.Name.Local == "nil" && a.Value == "true" {
					n.isNil = true
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil || root.name != "Envelope" || root.child("Body") == nil {
		return nil, errors.New("the answer is not a SOAP envelope")
	}
	return root.child("Body"), nil
}

// soapPost sends one call to endpoint and returns the answer's Body; a SOAP
// fault is a *SOAPFault.
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(b.String()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := sf.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("SOAP call to %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSOAPAnswer))
	if err != nil {
		return nil, fmt.Errorf("SOAP answer from %s: %v", endpoint, err)
	}
	body, perr := parseSOAPAnswer(data)
	if perr != nil {
		return nil, fmt.Errorf("SOAP call to %s: HTTP %d: %v: %s", endpoint, resp.StatusCode, perr, excerpt(data))
	}
	if f := body.child("Fault"); f != nil {
		return nil, &SOAPFault{Status: resp.StatusCode, Code: f.childText("faultcode"), String: f.childText("faultstring")}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("SOAP call to %s: HTTP %d: %s", endpoint, resp.StatusCode, excerpt(data))
	}
	return body, nil
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// soapLogin calls login() at loginURL's Partner endpoint of version and
// returns the session as a token, with the serverUrl later calls go to.
func (sf *Salesforce) soapLogin(ctx context.Context, o *OrgConfig, version string) (*Token, error) {
	endpoint := o.LoginURL + "/services/Soap/u/" + version
	call := "<urn:login><urn:username>" + escape(o.Username) + "</urn:username><urn:password>" + escape(o.Password) + "</urn:password></urn:login>"
	body, err := sf.soapPost(ctx, endpoint, "", call)
	if err != nil {
		return nil, fmt.Errorf("soap login(): %w", err)
	}
	res := body.child("loginResponse")
	if res == nil || res.child("result") == nil {
		return nil, errors.New("soap login(): the answer has no loginResponse result")
	}
	server, session := res.child("result").childText("serverUrl"), res.child("result").childText("sessionId")
	instance, err := instanceOf(server)
	if err != nil || session == "" {
		return nil, fmt.Errorf("soap login(): no usable serverUrl and sessionId in the answer (serverUrl %q)", server)
	}
	return &Token{AccessToken: session, InstanceURL: instance, SOAPURL: server}, nil
}

// soapQuery runs SOQL and returns the records' fields by name (nil for
// xsi:nil), Id included.
func (sf *Salesforce) soapQuery(ctx context.Context, endpoint, session, soql string) ([]map[string]any, error) {
	body, err := sf.soapPost(ctx, endpoint, session, "<urn:query><urn:queryString>"+escape(soql)+"</urn:queryString></urn:query>")
	if err != nil {
		return nil, err
	}
	qr := body.child("queryResponse")
	if qr == nil || qr.child("result") == nil {
		return nil, errors.New("query: the answer has no queryResponse result")
	}
	var out []map[string]any
	for _, rec := range qr.child("result").all("records") {
		m := map[string]any{}
		for _, f := range rec.children {
			switch {
			case f.name == "type":
			case f.isNil:
				if _, seen := m[f.name]; !seen {
					m[f.name] = nil
				}
			default:
				m[f.name] = strings.TrimSpace(f.text)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// soapSave runs create or update of one sObject and returns its id; a
// SaveResult with success false is an error "statusCode: message".
func (sf *Salesforce) soapSave(ctx context.Context, endpoint, session, call, object string, fields map[string]any) (string, error) {
	var b strings.Builder
	b.WriteString("<urn:" + call + "><urn:sObjects><urn1:type>" + escape(object) + "</urn1:type>")
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "<urn1:%s>%s</urn1:%s>", k, escape(fmt.Sprint(fields[k])), k)
	}
	b.WriteString("</urn:sObjects></urn:" + call + ">")
	body, err := sf.soapPost(ctx, endpoint, session, b.String())
	if err != nil {
		return "", err
	}
	resp := body.child(call + "Response")
	if resp == nil || resp.child("result") == nil {
		return "", fmt.Errorf("%s: the answer has no %sResponse result", call, call)
	}
	res := resp.child("result")
	if res.childText("success") != "true" {
		var parts []string
		for _, e := range res.all("errors") {
			parts = append(parts, e.childText("statusCode")+": "+e.childText("message"))
		}
		if len(parts) == 0 {
			parts = []string{"success false without errors"}
		}
		return "", fmt.Errorf("%s %s: %s", call, object, strings.Join(parts, "; "))
	}
	return res.childText("id"), nil
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
