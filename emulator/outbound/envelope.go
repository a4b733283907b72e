package outbound

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfemu/sfemu/emulator/org"
)

// Namespaces of the outbound-message envelope and WSDL.
const (
	soapEnvelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"
	outboundNS     = "http://soap.sforce.com/2005/09/outbound"
	enterpriseNS   = "urn:enterprise.soap.sforce.com"
	sobjectNS      = "urn:sobject.enterprise.soap.sforce.com"
	xsdNS          = "http://www.w3.org/2001/XMLSchema"
	xsiNS          = "http://www.w3.org/2001/XMLSchema-instance"
)

// Notification is one notification of a message: its 04l id and the record
// as read at send time.
type Notification struct {
	ID       org.ID      // 04l…
	RecordID org.ID      // the record it is about
	Record   *org.Record // nil when the record was deleted before sending
}

// Envelope is everything one SOAP request carries.
type Envelope struct {
	OrganizationID org.ID // 18 chars
	ActionID       org.ID
	SessionID      string // "" → <SessionId xsi:nil="true"/>
	// EnterpriseURL is e.g.
	// https://acme.my.salesforce.com/services/Soap/c/60.0/00Dxx0000001gPF.
	EnterpriseURL string
	PartnerURL    string
	ObjectName    string // sObject xsi:type="sf:<ObjectName>"
	// Fields are the selected fields, Id first then alphabetically, as
	// org.OutboundMessage.Fields lists them.
	Fields []*org.Field
	// Notifications are 1 to 100 notifications.
	Notifications []Notification
}

// EndpointURLs returns the EnterpriseUrl and PartnerUrl a message carries:
// the org's SOAP endpoints for the definition's API version, ending in the
// 15-character org id as Salesforce writes them.
func EndpointURLs(baseURL string, orgID org.ID, apiVersion string) (enterprise, partner string) {
	base := strings.TrimRight(baseURL, "/")
	tail := "/" + apiVersion + "/" + orgID.Short()
	return base + "/services/Soap/c" + tail, base + "/services/Soap/u" + tail
}

// AppendXML appends the exact request body Salesforce posts for e.
func (e *Envelope) AppendXML(b []byte) []byte {
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<soapenv:Envelope xmlns:soapenv="`+soapEnvelopeNS+`" xmlns:xsd="`+xsdNS+`" xmlns:xsi="`+xsiNS+`">`+"\n"+
		" <soapenv:Body>\n"+
		`  <notifications xmlns="`+outboundNS+`">`+"\n"...)
	b = appendTextElement(b, "   ", "OrganizationId", string(e.OrganizationID))
	b = appendTextElement(b, "   ", "ActionId", string(e.ActionID))
	if e.SessionID == "" {
		b = append(b, "   <SessionId xsi:nil=\"true\"/>\n"...)
	} else {
		b = appendTextElement(b, "   ", "SessionId", e.SessionID)
	}
	b = appendTextElement(b, "   ", "EnterpriseUrl", e.EnterpriseURL)
	b = appendTextElement(b, "   ", "PartnerUrl", e.PartnerURL)
	for i := range e.Notifications {
		b = e.appendNotification(b, &e.Notifications[i])
	}
	return append(b, "  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>\n"...)
}

func (e *Envelope) appendNotification(b []byte, n *Notification) []byte {
	b = append(b, "   <Notification>\n"...)
	b = appendTextElement(b, "    ", "Id", string(n.ID))
	b = append(b, `    <sObject xsi:type="sf:`...)
	b = appendEscapedText(b, e.ObjectName)
	b = append(b, `" xmlns:sf="`+sobjectNS+`">`+"\n"...)
	if n.Record == nil {
		b = appendDeletedRecordSObject(b, n.RecordID)
	} else {
		b = e.appendRecordFields(b, n.Record)
	}
	return append(b, "    </sObject>\n   </Notification>\n"...)
}

// appendDeletedRecordSObject is the body of the sObject of a record deleted
// between queuing and sending. Salesforce says such a notification "contains
// no data" without showing it; sfemu sends the record's Id alone, because the
// definition's WSDL requires the sObject and its Id, so this is the only
// "no data" shape a receiver generated from that WSDL accepts.
func appendDeletedRecordSObject(b []byte, recordID org.ID) []byte {
	return appendTextElement(b, "     ", "sf:Id", string(recordID))
}

// appendRecordFields writes sf:Id, then each selected field that is not null,
// in the definition's order.
func (e *Envelope) appendRecordFields(b []byte, r *org.Record) []byte {
	b = appendTextElement(b, "     ", "sf:Id", string(r.ID))
	for _, f := range e.Fields {
		if f == nil || f.Name == "Id" {
			continue
		}
		v := r.Get(f)
		if v == nil {
			continue
		}
		start := len(b)
		b = append(b, "     <sf:"...)
		b = append(b, f.Name...)
		b = append(b, '>')
		valueStart := len(b)
		b = appendFieldValue(b, f, v)
		if len(b) == valueStart { // "" is null to Salesforce: omitted
			b = b[:start]
			continue
		}
		b = append(b, "</sf:"...)
		b = append(b, f.Name...)
		b = append(b, ">\n"...)
	}
	return b
}

// appendFieldValue writes a record value in the lexical form Salesforce's
// SOAP sender uses for the field's type.
func appendFieldValue(b []byte, f *org.Field, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendEscapedText(b, x)
	case org.ID:
		return appendEscapedText(b, string(x))
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		x = x.UTC()
		if f.Type == org.TypeDate {
			return x.AppendFormat(b, time.DateOnly)
		}
		return x.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	case float64:
		if f.Type == org.TypeInt {
			return appendIntValue(b, x)
		}
		return appendJavaDouble(b, x)
	case float32:
		return appendFieldValue(b, f, float64(x))
	case int:
		return appendFieldValue(b, f, float64(x))
	case int64:
		return appendFieldValue(b, f, float64(x))
	}
	return b
}

// appendIntValue writes an int field (xsd:int): digits, no point.
func appendIntValue(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return b
	}
	return strconv.AppendFloat(b, math.Trunc(x), 'f', -1, 64)
}

// appendJavaDouble writes x as the SOAP API's xsd:double (see
// org.AppendJavaDouble). NaN and infinities cannot be stored in a Salesforce
// field; they are written as nothing, that is as null.
func appendJavaDouble(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return b
	}
	return org.AppendJavaDouble(b, x)
}

// appendTextElement writes indent<name>text</name> and a newline.
func appendTextElement(b []byte, indent, name, text string) []byte {
	b = append(b, indent...)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscapedText(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, ">\n"...)
}

// appendEscapedText escapes element content the way the JDK's XML serializer
// does: &, < and > as entities (a real capture shows "&lt;br&gt;"), carriage
// return as &#13; (so that it survives line-end normalisation), quotes and
// apostrophes as they are. Characters XML 1.0 cannot carry at all (other
// control characters, invalid UTF-8) become U+FFFD, so the document always
// parses.
func appendEscapedText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '\r':
				b = append(b, "&#13;"...)
			case c == '\t' || c == '\n' || c >= 0x20:
				b = append(b, c)
			default:
				b = append(b, "\uFFFD"...)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
