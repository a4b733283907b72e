package soap

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/soql"
)

// fault is a SOAP fault as Salesforce sends it: HTTP 500, faultcode
// sf:<code>, faultstring "<code>: <message>", and a typed detail element
// (UnexpectedErrorFault, LoginFault, MalformedQueryFault with row and
// column…) carrying exceptionCode and exceptionMessage. The shape is taken
// from bodies captured against real orgs and kept in public repositories
// (an INVALID_SESSION_ID fault quoted by a shell client's test, an
// INVALID_LOGIN LoginFault served by a Perl client's mock).
//
// A fault with soapCode set is a SOAP-level fault instead (soapenv:Client
// for a request that is not a well-formed call): no sf: code, no detail.
type fault struct {
	code     string // the exception code, e.g. INVALID_SESSION_ID
	message  string
	kind     string // the detail element; "" with soapCode
	row, col int    // for query faults (MalformedQueryFault, InvalidFieldFault…)
	soapCode string
	status   int // HTTP status; 0: 500
}

func (f *fault) Error() string {
	if f.soapCode != "" {
		return f.soapCode + ": " + f.message
	}
	return f.code + ": " + f.message
}

// ErrorCode is the journal's error code.
func (f *fault) ErrorCode() string {
	if f.code == "" {
		return f.soapCode
	}
	return f.code
}

// clientFault is a request that is not a well-formed SOAP call.
func clientFault(format string, args ...any) *fault {
	return &fault{soapCode: "soapenv:Client", message: fmt.Sprintf(format, args...)}
}

func unexpected(code, message string) *fault {
	return &fault{code: code, message: message, kind: "UnexpectedErrorFault"}
}

// queryFault is a SOQL or SOSL error as the SOAP API reports it: the typed
// fault for its code, with the row and column the message names.
func queryFault(err error) *fault {
	var qe *soql.Error
	if !errors.As(err, &qe) {
		return unexpected("UNKNOWN_EXCEPTION", err.Error())
	}
	kind := "UnexpectedErrorFault"
	switch qe.Code {
	case soql.CodeMalformedQuery:
		kind = "MalformedQueryFault"
	case soql.CodeInvalidField:
		kind = "InvalidFieldFault"
	case soql.CodeInvalidType:
		kind = "InvalidSObjectFault"
	case "MALFORMED_SEARCH":
		kind = "MalformedSearchFault"
	}
	f := &fault{code: qe.Code, message: qe.Message, kind: kind}
	if kind != "UnexpectedErrorFault" {
		f.row, f.col = qe.Row, qe.Column
	}
	return f
}

// appendFault writes the fault envelope in api's fault namespace.
func appendFault(b []byte, api *api, f *fault) []byte {
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="`+soapxml.EnvelopeNS+`" xmlns:sf="`...)
	b = append(b, api.faultNS...)
	b = append(b, `" xmlns:xsi="`+soapxml.XSINS+`"><soapenv:Body><soapenv:Fault><faultcode>`...)
	if f.soapCode != "" {
		b = append(b, f.soapCode...)
		b = append(b, "</faultcode><faultstring>"...)
		b = soapxml.AppendText(b, f.message)
		return append(b, "</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"...)
	}
	b = append(b, "sf:"...)
	b = append(b, f.code...)
	b = append(b, "</faultcode><faultstring>"...)
	b = soapxml.AppendText(b, f.code+": "+f.message)
	b = append(b, "</faultstring><detail><sf:"...)
	b = append(b, f.kind...)
	b = append(b, ` xsi:type="sf:`...)
	b = append(b, f.kind...)
	b = append(b, `"><sf:exceptionCode>`...)
	b = append(b, f.code...)
	b = append(b, "</sf:exceptionCode><sf:exceptionMessage>"...)
	b = soapxml.AppendText(b, f.message)
	b = append(b, "</sf:exceptionMessage>"...)
	if f.kind == "MalformedQueryFault" || f.kind == "InvalidFieldFault" || f.kind == "InvalidSObjectFault" || f.kind == "MalformedSearchFault" {
		b = append(b, "<sf:row>"...)
		b = appendInt(b, f.row)
		b = append(b, "</sf:row><sf:column>"...)
		b = appendInt(b, f.col)
		b = append(b, "</sf:column>"...)
	}
	b = append(b, "</sf:"...)
	b = append(b, f.kind...)
	return append(b, "></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"...)
}

// encode answers err as a SOAP fault (status 500 unless the fault says).
func encode(c *gateway.Call, err error) gateway.Response {
	api := apiOf(c)
	var f *fault
	var be *gateway.BodyError
	switch {
	case errors.As(err, &f):
	case errors.As(err, &be) && be.TooLarge:
		f = unexpected("EXCEEDED_MAX_SIZE_REQUEST", fmt.Sprintf("request body is over the %d-byte limit for a SOAP request", be.Limit))
	case errors.As(err, &be):
		f = clientFault("%s", be.Error())
	default:
		f = unexpected("UNKNOWN_EXCEPTION", err.Error())
	}
	status := f.status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return gateway.Bytes(status, contentType, appendFault(nil, api, f))
}
