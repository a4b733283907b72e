package controlapi

import (
	"fmt"
	"io"
	"net/http"

	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/wire"
)

// testReceiver answers outbound messages the ways receivers get it wrong,
// so a scenario or a developer can point a definition at a known answer:
// POST /_sfemu/test-receiver/{answer}.
func testReceiver(w http.ResponseWriter, r *http.Request, v route.Vars) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	const envelope = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>`
	write := func(status int, contentType, body string) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
	ack := func(v string) string {
		return `<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>` + v + `</Ack></notificationsResponse>`
	}
	switch v.Get("answer") {
	case "ack":
		write(http.StatusOK, "text/xml; charset=utf-8", fmt.Sprintf(envelope, ack("true")))
	case "nack":
		write(http.StatusOK, "text/xml; charset=utf-8", fmt.Sprintf(envelope, ack("false")))
	case "text":
		write(http.StatusOK, "text/plain", "OK")
	case "html":
		write(http.StatusOK, "text/html", "<!DOCTYPE html><html><head><title>Please sign in</title></head><body>Sign in to continue</body></html>")
	case "fault":
		write(http.StatusInternalServerError, "text/xml; charset=utf-8", fmt.Sprintf(envelope,
			`<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>receiver failed on purpose</faultstring></soapenv:Fault>`))
	case "404":
		write(http.StatusNotFound, "text/html", "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>")
	default:
		writeError(w, wire.NotFound("test receiver answers: ack, nack, text, html, fault, 404"))
	}
}
