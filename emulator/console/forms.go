package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfemu/sfemu/wire"
)

// recordsPage is a SOQL box over one org.
type recordsPage struct {
	Orgs  []wire.Org
	Org   *wire.Org
	Query string
	Ran   bool
	Rows  wire.Rows
	Pager pager
	// Err is the engine's answer to a bad query, exactly as it gave it.
	Err *wire.Error
}

func (recordsPage) title() (string, string) { return "Records", "records" }

// Examples are queries the page offers to start from.
func (recordsPage) Examples() []string {
	return []string{
		"SELECT Id, Name, Industry, LastModifiedDate FROM Account ORDER BY Name",
		"SELECT Id, LastName, Account.Name FROM Contact",
		"SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry",
	}
}

func (c *Console) records(rq *request) (string, int, any) {
	p := recordsPage{}
	var err error
	if p.Orgs, err = c.ctl.Orgs(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	p.Org = pickOrg(rq, p.Orgs)
	per := rq.per()
	q := rq.query.Get("q")
	switch {
	case !utf8.ValidString(q):
		rq.problem("q: the query is not UTF-8.")
		return "records", 0, p
	case utf8.RuneCountInString(q) > maxSOQL:
		rq.problem("q: a query of at most %d characters, please (this one has %d).", maxSOQL, utf8.RuneCountInString(q))
		return "records", 0, p
	}
	p.Query = q
	if strings.TrimSpace(q) == "" || p.Org == nil {
		return "records", 0, p
	}
	// The page number first, checked against the total once it is known.
	page := 1
	if s := rq.query.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			rq.problem("page %q: give a page number from 1; showing page 1.", clipText(s))
		} else {
			page = n
		}
	}
	run := func(page int) error {
		var err error
		p.Rows, err = c.ctl.QueryPage(rq.ctx, p.Org.ID, wire.QueryPage{Query: q, Offset: (page - 1) * per, Limit: per})
		return err
	}
	err = run(page)
	if err == nil && page > 1 && len(p.Rows.Rows) == 0 {
		last := max(1, (p.Rows.TotalSize+per-1)/per)
		if page > last {
			rq.problem("page %d: the query has %d rows, %d pages of %d; showing page %d.", page, p.Rows.TotalSize, last, per, last)
			page = last
			err = run(page)
		}
	}
	var we *wire.Error
	switch {
	case errors.As(err, &we) && we.Status == http.StatusBadRequest:
		p.Err = we
		return "records", http.StatusBadRequest, p
	case err != nil:
		return c.fail(rq, err)
	}
	p.Ran = true
	p.Pager = pager{Param: "page", Page: page, Per: per, Total: p.Rows.TotalSize, query: rq.query, path: rq.r.URL.Path}
	if len(p.Rows.Rows) == 0 && len(p.Rows.Columns) == 0 {
		p.Pager.Total = 0 // COUNT(): one number, no rows
	}
	return "records", 0, p
}

// clockPage is the virtual clock and the faults in force.
type clockPage struct {
	Virtual  bool
	Steps    []string
	Faults   []wire.Fault
	Outbound wire.OutboundFaults
	Orgs     []wire.Org
	Messages []string
}

func (clockPage) title() (string, string) { return "Clock and faults", "clock" }

// advanceSteps are the clock page's one-press advances: the first retry,
// a backoff step, the 2-hour cap, the 24-hour window.
var advanceSteps = []string{"5s", "1m", "10m", "1h", "2h", "24h"}

func (c *Console) clockPage(rq *request) (string, int, any) {
	clk, err := c.ctl.Clock(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	p := clockPage{Virtual: clk.Mode == "virtual", Steps: advanceSteps}
	if p.Faults, err = c.ctl.Faults(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	if p.Outbound, err = c.ctl.OutboundFaults(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	if p.Orgs, err = c.ctl.Orgs(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	defs, err := c.ctl.OutboundMessages(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	for _, d := range defs {
		p.Messages = append(p.Messages, d.Name)
	}
	return "clock", 0, p
}

// formError is a form field that does not hold what it must.
func formError(field, format string, args ...any) error {
	return wire.BadRequest("%s: %s", field, fmt.Sprintf(format, args...))
}

// maxAdvance bounds one press of the advance form.
const maxAdvance = 400 * 24 * time.Hour

// advance is the clock form: by a duration, or to a time.
func (c *Console) advance(rq *request) (string, error) {
	f := rq.r.PostForm
	by, to := strings.TrimSpace(f.Get("by")), strings.TrimSpace(f.Get("to"))
	var a wire.Advance
	switch {
	case by != "" && to != "":
		return "", wire.BadRequest("give by or to, not both")
	case by != "":
		d, err := time.ParseDuration(by)
		if err != nil {
			return "", formError("by", "%q is not a duration such as 30s, 10m, 2h or 24h", clipText(by))
		}
		if d <= 0 || d > maxAdvance {
			return "", formError("by", "%s: the clock moves forward, by at most %s at a time", d, maxAdvance)
		}
		a.By = wire.Duration(d)
	case to != "":
		t, err := parseTime(to)
		if err != nil {
			return "", formError("to", "%q is not a time such as 2026-03-02T09:00:00Z (RFC 3339; UTC if no zone)", clipText(to))
		}
		a.To = t
	default:
		return "", wire.BadRequest("give by (a duration such as 1h) or to (a time such as 2026-03-02T09:00:00Z)")
	}
	if _, err := c.ctl.Advance(rq.ctx, a); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/clock", "advanced"), nil
}

// parseTime reads RFC 3339, or the browser's datetime-local value in UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a time")
}

// isErrorCode: an upper-case letter, then up to 99 upper-case letters,
// digits or underscores (INVALID_SESSION_ID). A loop, not a regular
// expression: `{0,99}` compiles to a hundred-state program, a millisecond of
// every start-up.
func isErrorCode(s string) bool {
	return isName(s, func(c byte) bool { return c >= 'A' && c <= 'Z' }, func(c byte) bool {
		return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	})
}

// isOperation: a letter, then up to 99 letters or digits (queryMore).
func isOperation(s string) bool {
	letter := func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
	return isName(s, letter, func(c byte) bool { return letter(c) || c >= '0' && c <= '9' })
}

func isName(s string, first, rest func(byte) bool) bool {
	if len(s) == 0 || len(s) > 100 || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !rest(s[i]) {
			return false
		}
	}
	return true
}

// addFault is the API fault form.
func (c *Console) addFault(rq *request) (string, error) {
	form := rq.r.PostForm
	get := func(name string, limit int) (string, error) {
		s := strings.TrimSpace(form.Get(name))
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > limit {
			return "", formError(name, "at most %d characters of text", limit)
		}
		return s, nil
	}
	var f wire.Fault
	var err error
	if f.Surface, err = get("surface", 10); err != nil {
		return "", err
	}
	switch f.Surface {
	case "", wire.SurfaceREST, wire.SurfaceSOAP, wire.SurfaceOAuth:
	default:
		return "", formError("surface", "%q: give rest, soap or oauth", clipText(f.Surface))
	}
	if f.Org, err = get("org", maxText); err != nil {
		return "", err
	}
	if f.Method, err = get("method", 10); err != nil {
		return "", err
	}
	switch f.Method = strings.ToUpper(f.Method); f.Method {
	case "", http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
	default:
		return "", formError("method", "%q: give GET, POST, PATCH, PUT, DELETE or none (any)", clipText(f.Method))
	}
	if f.Path, err = get("path", maxText); err != nil {
		return "", err
	}
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		return "", formError("path", "%q: a path inside the surface starts with / (e.g. /query, /token)", clipText(f.Path))
	}
	if f.Operation, err = get("operation", 100); err != nil {
		return "", err
	}
	if f.Operation != "" && !isOperation(f.Operation) {
		return "", formError("operation", "%q: a SOAP call's name, such as query or create", clipText(f.Operation))
	}
	if f.ErrorCode, err = get("error_code", 100); err != nil {
		return "", err
	}
	if f.ErrorCode != "" && !isErrorCode(f.ErrorCode) {
		return "", formError("error_code", "%q: a Salesforce error code in capitals, such as REQUEST_LIMIT_EXCEEDED", clipText(f.ErrorCode))
	}
	if f.Message, err = get("message", 1000); err != nil {
		return "", err
	}
	if f.Status, err = intField(form.Get("status"), "status", 0, 100, 599); err != nil {
		return "", err
	}
	if f.Times, err = intField(form.Get("times"), "times", 0, 0, 1_000_000); err != nil {
		return "", err
	}
	d, err := durationField(form.Get("latency"), "latency", time.Minute)
	if err != nil {
		return "", err
	}
	f.Latency = wire.Duration(d)
	switch v := form.Get("expire_session"); v {
	case "":
	case "on", "true":
		f.ExpireSession = true
	default:
		return "", formError("expire_session", "%q: check the box or leave it", clipText(v))
	}
	if _, err := c.ctl.AddFault(rq.ctx, f); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/clock", "fault-added"), nil
}

// intField reads an optional whole number in [lo, hi]; "" is zero (and
// zero is allowed besides [lo, hi]).
func intField(s, name string, zero, lo, hi int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return zero, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || (n != 0 && (n < lo || n > hi)) {
		return 0, formError(name, "%q: give a whole number from %d to %d", clipText(s), lo, hi)
	}
	return n, nil
}

// durationField reads an optional duration in [0, limit].
func durationField(s, name string, limit time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > limit {
		return 0, formError(name, "%q: give a duration from 0 to %s, such as 250ms or 30s", clipText(s), limit)
	}
	return d, nil
}

// probField reads an optional probability in [0, 1].
func probField(s, name string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 || p != p {
		return 0, formError(name, "%q: give a probability from 0 to 1, such as 0.25", clipText(s))
	}
	return p, nil
}

func (c *Console) clearFault(rq *request) (string, error) {
	s := rq.r.PathValue("id")
	id, err := strconv.Atoi(s)
	if err != nil || id < 1 {
		return "", wire.BadRequest("fault %q: want the number the table shows", clipText(s))
	}
	if err := c.ctl.ClearFaults(rq.ctx, id); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/clock", "fault-cleared"), nil
}

func (c *Console) clearFaults(rq *request) (string, error) {
	if err := c.ctl.ClearFaults(rq.ctx, 0); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/clock", "faults-cleared"), nil
}

// maxFaultDelay bounds the outbound faults' holds and delays.
const maxFaultDelay = 48 * time.Hour

// setOutboundFaults is the outbound fault form.
func (c *Console) setOutboundFaults(rq *request) (string, error) {
	form := rq.r.PostForm
	var f wire.OutboundFaults
	if s := strings.TrimSpace(form.Get("seed")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", formError("seed", "%q: give a whole number", clipText(s))
		}
		f.Seed = n
	}
	f.Message = strings.TrimSpace(form.Get("message"))
	if utf8.RuneCountInString(f.Message) > maxText {
		return "", formError("message", "at most %d characters", maxText)
	}
	var err error
	for _, x := range []struct {
		name string
		dst  *float64
	}{{"duplicate_probability", &f.DuplicateProbability}, {"reorder_probability", &f.ReorderProbability}, {"delay_probability", &f.DelayProbability}} {
		if *x.dst, err = probField(form.Get(x.name), x.name); err != nil {
			return "", err
		}
	}
	for _, x := range []struct {
		name string
		dst  *wire.Duration
	}{{"duplicate_after", &f.DuplicateAfter}, {"reorder_hold", &f.ReorderHold}, {"delay", &f.Delay}} {
		d, err := durationField(form.Get(x.name), x.name, maxFaultDelay)
		if err != nil {
			return "", err
		}
		*x.dst = wire.Duration(d)
	}
	if _, err := c.ctl.SetOutboundFaults(rq.ctx, f); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/clock", "outbound-faults-set"), nil
}

func (c *Console) clearOutboundFaults(rq *request) (string, error) {
	if _, err := c.ctl.SetOutboundFaults(rq.ctx, wire.OutboundFaults{}); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/clock", "outbound-faults-cleared"), nil
}

// reset is the overview's Reset: the fixtures reloaded, sessions, Login
// History, journals and queues gone, the clock where it is — what
// POST /_sfemu/reset does. It asks for the box to be ticked, so a stray
// press does not wipe what a person was reading.
func (c *Console) reset(rq *request) (string, error) {
	if rq.r.PostForm.Get("confirm") != "on" {
		return "", formError("confirm", "tick the box to reset: it ends every session and empties the journals and the queue")
	}
	if _, err := c.ctl.Reset(rq.ctx); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/", "reset"), nil
}
