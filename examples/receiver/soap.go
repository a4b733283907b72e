package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// XML namespaces of an outbound message. Elements are matched by namespace,
// never by prefix: Salesforce's prefixes are soapenv and sf, but a proxy or
// another sender may choose others.
const (
	nsSOAPEnv   = "http://schemas.xmlsoap.org/soap/envelope/"
	nsOutbound  = "http://soap.sforce.com/2005/09/outbound"
	nsSObject   = "urn:sobject.enterprise.soap.sforce.com"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"
	maxBodySize = 1 << 20 // 1 MiB: 100 notifications of a wide object fit with room to spare
)

// OutboundMessage is the body of one delivery: the <notifications> element.
type OutboundMessage struct {
	OrganizationID string
	ActionID       string
	// SessionID is empty when the element is missing, empty, or xsi:nil.
	SessionID     string
	EnterpriseURL string
	PartnerURL    string
	Notifications []Notification
}

// Notification is one <Notification>: its 04l id and the record's data.
type Notification struct {
	ID string
	// Object is the sObject's type without its prefix ("Account" for
	// xsi:type="sf:Account"); empty when the sender gave none.
	Object   string
	RecordID string
	// Fields holds the sent fields (Id included) by name; a field sent as
	// xsi:nil has an empty value and is listed in Nil.
	Fields map[string]string
	Nil    []string
}

// wire types: namespace-qualified struct tags, so only the right elements
// match whatever prefixes the sender used.
type wireEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Body    struct {
		Notifications *wireNotifications `xml:"http://soap.sforce.com/2005/09/outbound notifications"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type wireNotifications struct {
	OrganizationID string             `xml:"http://soap.sforce.com/2005/09/outbound OrganizationId"`
	ActionID       string             `xml:"http://soap.sforce.com/2005/09/outbound ActionId"`
	SessionID      wireNillable       `xml:"http://soap.sforce.com/2005/09/outbound SessionId"`
	EnterpriseURL  string             `xml:"http://soap.sforce.com/2005/09/outbound EnterpriseUrl"`
	PartnerURL     string             `xml:"http://soap.sforce.com/2005/09/outbound PartnerUrl"`
	Notifications  []wireNotification `xml:"http://soap.sforce.com/2005/09/outbound Notification"`
}

type wireNillable struct {
	Nil   string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
	Value string `xml:",chardata"`
}

func (n wireNillable) value() string {
	if isTrue(n.Nil) {
		return ""
	}
	return strings.TrimSpace(n.Value)
}

type wireNotification struct {
	ID      string      `xml:"http://soap.sforce.com/2005/09/outbound Id"`
	SObject wireSObject `xml:"http://soap.sforce.com/2005/09/outbound sObject"`
}

// wireSObject reads the sObject's fields generically: every child element
// in the sObject namespace is a field.
type wireSObject struct {
	Type   string
	Fields map[string]string
	Nil    []string
}

func (s *wireSObject) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	s.Type = qnameLocal(start, xml.Name{Space: nsXSI, Local: "type"})
	s.Fields = map[string]string{}
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != nsSObject {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var f wireNillable
			if err := d.DecodeElement(&f, &t); err != nil {
				return err
			}
			if isTrue(f.Nil) {
				s.Nil = append(s.Nil, t.Name.Local)
				s.Fields[t.Name.Local] = ""
				continue
			}
			s.Fields[t.Name.Local] = f.Value
		case xml.EndElement:
			return nil
		}
	}
}

// qnameLocal returns the local part of a QName-valued attribute such as
// xsi:type="sf:Account". encoding/xml does not resolve prefixes inside
// attribute values; the object name is the local part whatever the prefix.
func qnameLocal(start xml.StartElement, attr xml.Name) string {
	for _, a := range start.Attr {
		if a.Name == attr {
			v := strings.TrimSpace(a.Value)
			if i := strings.LastIndexByte(v, ':'); i >= 0 {
				v = v[i+1:]
			}
			return v
		}
	}
	return ""
}

func isTrue(s string) bool {
	s = strings.TrimSpace(s)
	return s == "true" || s == "1"
}

// ErrNotNotifications is returned for a well-formed SOAP envelope whose body
// holds no outbound-message <notifications>.
var ErrNotNotifications = errors.New("the SOAP body holds no notifications element in namespace " + nsOutbound)

// ParseOutboundMessage reads one SOAP 1.1 outbound message. It never panics;
// malformed input is an error saying what is wrong.
func ParseOutboundMessage(body []byte) (*OutboundMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("empty body: want a SOAP envelope with outbound-message notifications")
	}
	if err := checkRoot(body); err != nil {
		return nil, err
	}
	var env wireEnvelope
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&env); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("not XML: %v", err)
		}
		return nil, fmt.Errorf("malformed SOAP envelope: %v", err)
	}
	w := env.Body.Notifications
	if w == nil {
		return nil, ErrNotNotifications
	}
	msg := &OutboundMessage{
		OrganizationID: strings.TrimSpace(w.OrganizationID),
		ActionID:       strings.TrimSpace(w.ActionID),
		SessionID:      w.SessionID.value(),
		EnterpriseURL:  strings.TrimSpace(w.EnterpriseURL),
		PartnerURL:     strings.TrimSpace(w.PartnerURL),
	}
	if msg.OrganizationID == "" {
		return nil, errors.New("the notifications element has no OrganizationId")
	}
	if len(w.Notifications) == 0 {
		return nil, errors.New("the notifications element holds no Notification")
	}
	for i, wn := range w.Notifications {
		n := Notification{
			ID:     strings.TrimSpace(wn.ID),
			Object: wn.SObject.Type,
			Fields: wn.SObject.Fields,
			Nil:    wn.SObject.Nil,
		}
		if n.Fields == nil {
			n.Fields = map[string]string{}
		}
		n.RecordID = strings.TrimSpace(n.Fields["Id"])
		if n.ID == "" {
			return nil, fmt.Errorf("notification %d has no Id", i+1)
		}
		msg.Notifications = append(msg.Notifications, n)
	}
	return msg, nil
}

// errBodyTooLarge refuses bodies over maxBodySize.
var errBodyTooLarge = fmt.Errorf("message body exceeds %d bytes (1 MiB)", maxBodySize)

// checkRoot says what the document is when it is not a SOAP 1.1 envelope.
func checkRoot(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return errors.New("not XML: no element")
		}
		if err != nil {
			return fmt.Errorf("not XML: %v", err)
		}
		if start, ok := tok.(xml.StartElement); ok {
			if start.Name.Space != nsSOAPEnv || start.Name.Local != "Envelope" {
				return fmt.Errorf("not a SOAP 1.1 envelope: the root element is <%s> in namespace %q; want Envelope in %s",
					start.Name.Local, start.Name.Space, nsSOAPEnv)
			}
			return nil
		}
	}
}

// readBody reads at most maxBodySize bytes; a larger body is errBodyTooLarge.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errBodyTooLarge
	}
	return body, err
}

const soapAck = `<?xml version="1.0" encoding="UTF-8"?>` +
	`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
	`<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body>` +
	`</soapenv:Envelope>`

// writeAck answers the only success Salesforce accepts: 200 with Ack true.
func writeAck(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, soapAck)
}

// Fault codes (SOAP 1.1): the sender's message is wrong, or this receiver failed.
const (
	faultClient = "soapenv:Client"
	faultServer = "soapenv:Server"
)

// writeFault answers a SOAP 1.1 Fault. Salesforce records the fault as the
// Delivery Failure Reason and retries the message.
func writeFault(w http.ResponseWriter, status int, code, reason string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>`)
	b.WriteString(code)
	b.WriteString(`</faultcode><faultstring>`)
	xml.EscapeText(&b, []byte(reason))
	b.WriteString(`</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}
