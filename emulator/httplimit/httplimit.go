// Package httplimit is how every HTTP server sfemu starts (`sfemu serve`'s
// listeners, the harness's emulator) keeps slow and stalled clients from
// holding connections and memory: a bound on the request's headers, a
// deadline for them, deadlines for its body and for its response that
// follow progress, a deadline for idle keep-alive connections, and
// counters of the connections each of them cut (GET /_sfemu/health).
//
// Bodies and responses are not given one deadline for the whole request,
// as http.Server's ReadTimeout and WriteTimeout would: a large Bulk API
// upload or query result over a slow link takes minutes, and must not be
// cut for it. Instead each 64 KiB of a body must arrive within ReadTimeout
// of the previous 64 KiB (of the request's start, for the first), and each
// 64 KiB of a response must be taken within WriteTimeout — so a body
// dripping a byte a second, or a client that stops reading, is cut after
// one timeout, and a transfer that keeps moving at a few KB/s never is.
//
// A handler that manages its own deadlines through http.ResponseController
// (the console's live-update stream extends its write deadline before each
// event) keeps them: once it sets one, this package leaves that direction
// alone for the rest of the request.
//
// It owns no routes and knows nothing of Salesforce: Salesforce's own URI
// and header bound (16,384 bytes, a 414 or 431) is the emulator's
// (gateway.LimitRequestSize); MaxHeaderBytes here is the server's outer
// bound, above it.
package httplimit

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Limits are one server's bounds. The defaults (Defaults) are sfemu's
// choices: Salesforce documents none of these for its own servers, and a
// client can notice only that a slow or stalled connection is closed.
type Limits struct {
	// ReadHeaderTimeout bounds the wait for a request's line and headers
	// (and a TLS handshake) from the connection's first byte or the end of
	// its previous request.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the wait for each ChunkBytes of a request's body:
	// a body that stops or drips is cut, one that keeps arriving is not.
	ReadTimeout time.Duration
	// WriteTimeout bounds the wait for the client to take each ChunkBytes
	// of a response.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request for this
	// long.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers (net/http adds
	// 4 KiB of slack); a longer one gets net/http's 431.
	MaxHeaderBytes int
	// MaxConnections caps the connections open at once (Capacity); 0:
	// DefaultMaxConnections(), from the process's open-file limit.
	MaxConnections int
}

// ChunkBytes is the progress each ReadTimeout and WriteTimeout waits for.
const ChunkBytes = 64 << 10

// Defaults are the bounds sfemu's servers take unless told otherwise
// (`sfemu serve --read-timeout` …):
//
//   - headers within 10 s, the bound `sfemu serve` always had;
//   - each 64 KiB of a body within 30 s, and of a response within 30 s:
//     at least about 2 KB/s, which any client on any link keeps up, while a
//     dripping or stalled one is cut in half a minute;
//   - idle connections closed after 60 s, about what common servers do
//     (nginx's keepalive_timeout is 75 s), so idle clients cannot pile up
//     until the process runs out of file descriptors;
//   - headers of at most 64 KiB, four times Salesforce's 16,384 bytes, so
//     that a longer request still reaches the emulator's Salesforce-like
//     414 and 431 up to there.
func Defaults() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// Check refuses bounds that would leave a server unprotected or unusable:
// a timeout of 0 (net/http's "none") or less, or a header bound below
// Salesforce's 16,384 bytes. ref names a bound for the message, from its
// flag's name ("read-timeout"); nil keeps that name.
func (l Limits) Check(ref func(string) string) error {
	if ref == nil {
		ref = func(s string) string { return s }
	}
	var errs []error
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"read-header-timeout", l.ReadHeaderTimeout}, {"read-timeout", l.ReadTimeout}, {"write-timeout", l.WriteTimeout}, {"idle-timeout", l.IdleTimeout}} {
		if d.d <= 0 {
			errs = append(errs, fmt.Errorf("%s %v: want a positive duration such as 30s (a server without it keeps stalled clients for ever)", ref(d.name), d.d))
		}
	}
	if l.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("%s %d: want 1 or more (0: from the open-file limit)", ref("max-connections"), l.MaxConnections))
	}
	if l.MaxHeaderBytes < 16384 {
		errs = append(errs, fmt.Errorf("%s %d: want at least 16384 (Salesforce's bound on a request's URI and headers)", ref("max-header-bytes"), l.MaxHeaderBytes))
	}
	return errors.Join(errs...)
}

// Configure applies l to srv: the header bound and deadlines, the idle
// timeout, the per-chunk body and response deadlines around srv.Handler
// (set it first), and the connection counting of c (nil: none; the
// listeners must then come from c.Listen). srv's own ReadTimeout and
// WriteTimeout stay 0: whole-request deadlines would cut slow uploads.
func Configure(srv *http.Server, l Limits, c *Counters) {
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.IdleTimeout = l.IdleTimeout
	srv.MaxHeaderBytes = l.MaxHeaderBytes
	srv.ReadTimeout, srv.WriteTimeout = 0, 0
	srv.Handler = Handler(srv.Handler, l)
	if c != nil {
		prev := srv.ConnState
		srv.ConnState = func(conn net.Conn, state http.ConnState) {
			c.connState(conn, state)
			if prev != nil {
				prev(conn, state)
			}
		}
	}
}

// Handler is next with l's per-chunk body and response deadlines.
func Handler(next http.Handler, l Limits) http.Handler {
	if next == nil {
		next = http.DefaultServeMux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, timeout: l.WriteTimeout}
		if r.Body != nil && r.Body != http.NoBody && l.ReadTimeout > 0 {
			db := &deadlineBody{ReadCloser: r.Body, rc: rc, timeout: l.ReadTimeout, owner: dw}
			db.extend()
			r.Body = db
		}
		next.ServeHTTP(dw, r)
		if !dw.ownWrite && l.WriteTimeout > 0 {
			// What the handler left buffered is written after it returns.
			_ = rc.SetWriteDeadline(time.Now().Add(l.WriteTimeout))
		}
	})
}
