// Package soapxml is the XML Salesforce's SOAP services write: the
// namespaces, element-content and attribute escaping as the JDK's
// serializer does it, and the lexical form of each field type's values
// (dateTime with milliseconds and Z, double as Java's Double.toString,
// int without a point). The outbound-message sender and the SOAP API write
// records the same way, so they share these.
package soapxml

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfemu/sfemu/emulator/org"
)

// Namespaces.
const (
	EnvelopeNS = "http://schemas.xmlsoap.org/soap/envelope/"
	XSDNS      = "http://www.w3.org/2001/XMLSchema"
	XSINS      = "http://www.w3.org/2001/XMLSchema-instance"
	OutboundNS = "http://soap.sforce.com/2005/09/outbound"

	PartnerNS           = "urn:partner.soap.sforce.com"
	PartnerSObjectNS    = "urn:sobject.partner.soap.sforce.com"
	PartnerFaultNS      = "urn:fault.partner.soap.sforce.com"
	EnterpriseNS        = "urn:enterprise.soap.sforce.com"
	EnterpriseSObjectNS = "urn:sobject.enterprise.soap.sforce.com"
	EnterpriseFaultNS   = "urn:fault.enterprise.soap.sforce.com"
)

// DateTimeLayout is the SOAP API's xsd:dateTime: UTC, milliseconds, Z.
const DateTimeLayout = "2006-01-02T15:04:05.000Z"

// AppendValue writes a record value of field f in the lexical form
// Salesforce's SOAP services use for its type. A value with no lexical form
// (NaN) writes nothing, which a caller treats as null.
func AppendValue(b []byte, f *org.Field, v any) []byte {
	switch x := v.(type) {
	case string:
		return AppendText(b, x)
	case org.ID:
		return AppendText(b, string(x))
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		x = x.UTC()
		if f != nil && f.Type == org.TypeDate {
			return x.AppendFormat(b, time.DateOnly)
		}
		return x.AppendFormat(b, DateTimeLayout)
	case float64:
		if f != nil && f.Type == org.TypeInt {
			return appendInt(b, x)
		}
		return appendJavaDouble(b, x)
	case float32:
		return AppendValue(b, f, float64(x))
	case int:
		return AppendValue(b, f, float64(x))
	case int64:
		return AppendValue(b, f, float64(x))
	}
	return b
}

// appendInt writes an int field (xsd:int): digits, no point.
func appendInt(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return b
	}
	return strconv.AppendFloat(b, math.Trunc(x), 'f', -1, 64)
}

// appendJavaDouble writes x as xsd:double (see org.AppendJavaDouble). NaN
// and infinities cannot be stored in a Salesforce field; they are written
// as nothing, that is as null.
func appendJavaDouble(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return b
	}
	return org.AppendJavaDouble(b, x)
}

// AppendText escapes element content the way the JDK's XML serializer
// does: &, < and > as entities (a real capture shows "&lt;br&gt;"), carriage
// return as &#13; (so that it survives line-end normalisation), quotes and
// apostrophes as they are. Characters XML 1.0 cannot carry at all (other
// control characters, invalid UTF-8) become U+FFFD, so the document always
// parses.
func AppendText(b []byte, s string) []byte {
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

// AppendElement appends <name>text</name>, text escaped.
func AppendElement(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = AppendText(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// AppendAttr escapes an attribute value written in double quotes.
func AppendAttr(b []byte, s string) []byte {
	for _, c := range AppendText(nil, s) {
		switch c {
		case '"':
			b = append(b, "&quot;"...)
		case '\n':
			b = append(b, "&#10;"...)
		case '\t':
			b = append(b, "&#9;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// Attr is AppendAttr as a string, for templates.
func Attr(s string) string { return string(AppendAttr(nil, s)) }

// Comment makes s safe inside an XML comment.
func Comment(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	return strings.TrimSuffix(s, "-")
}
