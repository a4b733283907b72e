package gateway

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/sfemu/sfemu/emulator/internal/redact"
	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/wire"
)

// DefaultJournalSize bounds the request journal.
const DefaultJournalSize = 10000

// Bounds of what the journal keeps of requests' headers and bodies: the
// bodies of the DefaultBodiesKept most recent requests, each clipped to
// DefaultBodyBytes, at most maxHeaders headers of maxHeaderValue bytes.
const (
	DefaultBodiesKept = 1000
	DefaultBodyBytes  = 4096
	maxHeaders        = 64
	maxHeaderValue    = 512
)

// Journal keeps the most recent API requests of every surface, bounded,
// with the headers and bodies of the latest of them, and counts each org's
// API calls (for /limits and Sforce-Limit-Info).
type Journal struct {
	r      *ring.Ring[wire.APIRequest]
	bodies *ring.Ring[wire.APIExchange]
	seq    int64 // under r's lock
	onAdd  func(wire.APIRequest)
	mu     sync.Mutex
	perOrg map[string]int
}

func newJournal(limit, bodies int, onAdd func(wire.APIRequest)) *Journal {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	if bodies <= 0 {
		bodies = DefaultBodiesKept
	}
	return &Journal{r: ring.New[wire.APIRequest](limit), bodies: ring.New[wire.APIExchange](bodies), perOrg: map[string]int{}, onAdd: onAdd}
}

// add journals e, numbering it; ex, when not nil, is what is kept of its
// headers and bodies. The caller has bounded e's strings (keepEntry).
func (j *Journal) add(e *wire.APIRequest, countsAPI bool, ex *wire.APIExchange) {
	if countsAPI && e.OrgID != "" {
		j.mu.Lock()
		j.perOrg[e.OrgID]++
		j.mu.Unlock()
	}
	j.r.Do(func(add func(wire.APIRequest)) {
		j.seq++
		e.ID = j.seq
		add(*e)
	})
	if ex != nil {
		ex.ID = e.ID
		j.bodies.Add(*ex)
	}
	if j.onAdd != nil {
		j.onAdd(*e)
	}
}

// keepEntry bounds every string of a journal entry, so that 10,000
// entries stay a few megabytes whatever the paths and query strings
// clients send: each is clipped (redact.Clip), and the method, path, query
// and API version — cut from the request line, whose memory they share —
// are copies when that line (requestURI bytes long) is longer than what a
// journal keeps of a string (redact.Keep), or a 3-byte "GET" would keep a
// 16 KB line alive.
func keepEntry(e *wire.APIRequest, requestURI int) {
	if requestURI > redact.MaxKept || len(e.Path)+len(e.Query) > redact.MaxKept {
		e.Method = method(e.Method)
		for _, s := range []*string{&e.Path, &e.Query, &e.APIVersion} {
			*s = redact.Keep(*s)
		}
	}
	for _, s := range []*string{&e.Operation, &e.Username, &e.OrgID, &e.ErrorCode, &e.Fault, &e.Reason} {
		*s = redact.Clip(*s)
	}
}

// method is an HTTP method as a string of its own: the standard ones as
// constants, any other kept.
func method(m string) string {
	for _, known := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions} {
		if m == known {
			return known
		}
	}
	return redact.Keep(m)
}

// Entries returns the kept requests, oldest first.
func (j *Journal) Entries() []wire.APIRequest { return j.r.Items() }

// Page returns at most limit kept requests numbered after after, of one
// surface ("" for all), oldest first, and whether more follow.
func (j *Journal) Page(after int64, surface string, limit int) ([]wire.APIRequest, bool) {
	var match func(wire.APIRequest) bool
	if surface != "" {
		match = func(e wire.APIRequest) bool { return e.Surface == surface }
	}
	return j.r.Page(func(e wire.APIRequest) bool { return e.ID > after }, match, limit)
}

// Exchange returns the request numbered id with what is still kept of its
// headers and bodies; false once the journal has dropped it.
func (j *Journal) Exchange(id int64) (wire.APIExchange, bool) {
	e, ok := j.r.Find(func(e wire.APIRequest) bool { return e.ID <= id })
	if !ok || e.ID != id {
		return wire.APIExchange{}, false
	}
	out, kept := j.bodies.Find(func(x wire.APIExchange) bool { return x.ID <= id })
	if !kept || out.ID != id {
		return wire.APIExchange{APIRequest: e}, true
	}
	out.APIRequest, out.BodiesKept = e, true
	return out, true
}

// CountForOrg is the org's API calls since the emulator (re)started.
func (j *Journal) CountForOrg(orgID string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.perOrg[orgID]
}

// exchange is what the journal keeps of a call's headers and bodies (before
// the answer is compressed), credentials redacted. The OAuth surface's
// bodies carry secrets, assertions and tokens by design: only its headers
// are kept.
func (g *Gateway) exchange(c *Call, resp Response) *wire.APIExchange {
	limit := g.cfg.BodyBytes
	if limit == 0 {
		limit = DefaultBodyBytes
	}
	if limit < 0 {
		return nil
	}
	ex := &wire.APIExchange{RequestHeaders: redact.Header(c.Request.Header, maxHeaders, maxHeaderValue)}
	respHeader := make(http.Header, len(resp.Header)+1)
	for k, v := range resp.Header {
		respHeader[k] = v
	}
	if resp.ContentType != "" {
		respHeader.Set("Content-Type", resp.ContentType)
	}
	ex.ResponseHeaders = redact.Header(respHeader, maxHeaders, maxHeaderValue)
	if c.Surface.Name() == wire.SurfaceOAuth {
		return ex
	}
	if c.read && len(c.body) > 0 {
		ex.RequestBody = redact.Body(c.Request.Header.Get("Content-Type"), clip(c.body, limit))
	}
	if len(resp.Body) > 0 {
		ex.ResponseBody = redact.Body(resp.ContentType, clip(resp.Body, limit))
	}
	return ex
}

// clip is b as text, cut to n bytes (on a UTF-8 boundary) with a note of
// its full length.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && cut > n-4 && b[cut]&0xC0 == 0x80 {
		cut--
	}
	return string(b[:cut]) + "… (" + strconv.Itoa(len(b)) + " bytes)"
}
