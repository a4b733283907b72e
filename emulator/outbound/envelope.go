package outbound

import (
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
)

// Namespaces of the outbound-message envelope and WSDL.
const (
	soapEnvelopeNS = soapxml.EnvelopeNS
	outboundNS     = soapxml.OutboundNS
	enterpriseNS   = soapxml.EnterpriseNS
	sobjectNS      = soapxml.EnterpriseSObjectNS
	xsdNS          = soapxml.XSDNS
	xsiNS          = soapxml.XSINS
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
	b = soapxml.AppendText(b, e.ObjectName)
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
		b = soapxml.AppendValue(b, f, v)
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

// appendTextElement writes indent<name>text</name> and a newline.
func appendTextElement(b []byte, indent, name, text string) []byte {
	b = append(b, indent...)
	b = soapxml.AppendElement(b, name, text)
	return append(b, '\n')
}
