package gateway

import (
	"net/http"
	"strconv"
	"strings"
)

// MaxURIAndHeaderBytes is Salesforce's bound on a request's URI and
// headers together: "In each REST call, the maximum length for the
// combined URI and headers is 16,384 bytes. A request exceeding this limit
// returns a 431 Request Header Fields Too Large error. If the URI itself
// exceeds this limit, the request returns a 414 URI Too Long error"
// (Salesforce Help knowledge article 000386264, "Maximum number of rows
// returned by SOQL queries over the REST API").
const MaxURIAndHeaderBytes = 16384

// LimitRequestSize answers a request whose URI, or URI and headers, are
// over MaxURIAndHeaderBytes the way Salesforce's front end does, before
// any surface sees it (so it is not journaled: it never reached the API),
// and passes every other request to next. Paths under exempt (sfemu's own
// /_sfemu/, whose console takes queries of 20,000 characters in its URL)
// are left to the server's header bound.
//
// The body is the web server's own error page, as clients quote it: "<h1>Bad
// Message 414</h1><pre>reason: URI Too Long</pre>" (a 414 from a Salesforce
// org, quoted in dxatscale/sfpowerscripts issue #860). The 431 page is
// UNKNOWN: the same server's page for that status is assumed.
func LimitRequestSize(next http.Handler, exempt string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt != "" && r.URL != nil && (r.URL.Path == exempt || strings.HasPrefix(r.URL.Path, exempt+"/")) {
			next.ServeHTTP(w, r)
			return
		}
		uri := len(r.RequestURI)
		if uri == 0 && r.URL != nil {
			uri = len(r.URL.RequestURI())
		}
		switch {
		case uri > MaxURIAndHeaderBytes:
			badMessage(w, http.StatusRequestURITooLong)
			return
		case uri+headerBytes(r) > MaxURIAndHeaderBytes:
			badMessage(w, http.StatusRequestHeaderFieldsTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headerBytes is the size of r's header lines as sent ("Name: value\r\n"),
// the Host line included.
func headerBytes(r *http.Request) int {
	n := 0
	if r.Host != "" {
		n += len("Host: \r\n") + len(r.Host)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// badMessage writes the front end's error page for status and closes the
// connection, as that server does after a request it cannot take.
func badMessage(w http.ResponseWriter, status int) {
	reason := http.StatusText(status)
	if status == http.StatusRequestURITooLong {
		reason = "URI Too Long" // RFC 9110's name, which that server prints; Go's is "Request URI Too Long"
	}
	body := "<h1>Bad Message " + strconv.Itoa(status) + "</h1><pre>reason: " + reason + "</pre>"
	h := w.Header()
	h.Set("Content-Type", "text/html;charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
