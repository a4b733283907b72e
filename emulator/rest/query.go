package rest

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// Query batch sizes: Sforce-Query-Options: batchSize=N is honoured within [200, 2000].
const (
	defaultBatchSize = 2000
	minBatchSize     = 200
)

// PrefixQueryLocator is the key prefix of query cursor ids (nextRecordsUrl).
const PrefixQueryLocator = "01g"

// A user may hold 10 query cursors; opening an eleventh releases the
// oldest, as Salesforce documents for QueryLocator cursors. maxCursors bounds
// them across all users.
const (
	maxCursorsPerUser = 10
	maxCursors        = 1000
)

type cursor struct {
	id       string
	result   *soql.Result
	user     *org.User
	batch    int
	lastUsed time.Time
	opened   int // order of opening
}

// cursors holds the rest of query results a client pages through, freed
// after an idle time on the emulator's clock so abandoned cursors do not
// accumulate.
type cursors struct {
	clock clock.Clock
	idle  time.Duration
	ids   org.IDSequence

	mu     sync.Mutex
	byID   map[string]*cursor
	opened int
}

func newCursors(clk clock.Clock, idle time.Duration) *cursors {
	return &cursors{clock: clk, idle: idle, byID: map[string]*cursor{}}
}

func (cs *cursors) open(res *soql.Result, user *org.User, batch int) *cursor {
	now := cs.clock.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.sweepLocked(now)
	cs.releaseOldestLocked(func(c *cursor) bool { return c.user == user }, maxCursorsPerUser)
	cs.releaseOldestLocked(func(*cursor) bool { return true }, maxCursors)
	c := &cursor{id: string(cs.ids.Next(PrefixQueryLocator)), result: res, user: user, batch: batch, lastUsed: now, opened: cs.opened}
	cs.opened++
	cs.byID[c.id] = c
	return c
}

// releaseOldestLocked closes the oldest-opened cursors among those that
// match until fewer than limit remain.
func (cs *cursors) releaseOldestLocked(match func(*cursor) bool, limit int) {
	for {
		var oldest *cursor
		n := 0
		for _, c := range cs.byID {
			if !match(c) {
				continue
			}
			n++
			if oldest == nil || c.opened < oldest.opened {
				oldest = c
			}
		}
		if n < limit {
			return
		}
		delete(cs.byID, oldest.id)
	}
}

func (cs *cursors) get(id string, user *org.User) *cursor {
	now := cs.clock.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.sweepLocked(now)
	c := cs.byID[id]
	if c == nil || c.user != user {
		return nil
	}
	c.lastUsed = now
	return c
}

func (cs *cursors) close(id string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.byID, id)
}

// Len is the number of open cursors.
func (cs *cursors) Len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.byID)
}

func (cs *cursors) sweepLocked(now time.Time) {
	for id, c := range cs.byID {
		if now.Sub(c.lastUsed) >= cs.idle {
			delete(cs.byID, id)
		}
	}
}

// OpenCursors is the number of query cursors held, for tests and the control API.
func (s *Service) OpenCursors() int { return s.cursors.Len() }

// batchSize reads Sforce-Query-Options: batchSize=N.
func batchSize(r *http.Request) int {
	for _, opt := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			continue
		}
		return min(max(n, minBatchSize), defaultBatchSize)
	}
	return defaultBatchSize
}

// query serves GET /query?q= and /queryAll?q= (queryAll includes deleted records).
func (s *Service) query(all bool) handler {
	return func(c *call) (gateway.Response, error) {
		q := c.r.URL.Query().Get("q")
		parsed, err := soql.Parse(q)
		if err != nil {
			return gateway.Response{}, err
		}
		if strings.EqualFold(c.r.URL.Query().Get("columns"), "true") {
			return s.columns(c, parsed)
		}
		res, err := parsed.Run(soql.Env{Schema: c.org.Schema, Data: c.org.Data, Now: c.now, Location: c.org.TimeZone, IncludeDeleted: all})
		if err != nil {
			return gateway.Response{}, err
		}
		batch := batchSize(c.r)
		if len(res.Rows) <= batch {
			return jsonBody(http.StatusOK, appendQueryResult(nil, c, res, res.Rows, true, ""))
		}
		cur := s.cursors.open(res, c.session.User, batch)
		next := c.urlPrefix() + "/query/" + cur.id + "-" + strconv.Itoa(batch)
		return jsonBody(http.StatusOK, appendQueryResult(nil, c, res, res.Rows[:batch], false, next))
	}
}

// queryMore serves GET /query/{locator}, the nextRecordsUrl of a query.
func (s *Service) queryMore(c *call) (gateway.Response, error) {
	locator := c.Var("locator")
	id, offText, _ := strings.Cut(locator, "-")
	offset, err := strconv.Atoi(offText)
	cur := s.cursors.get(id, c.session.User)
	if cur == nil || err != nil || offset < 0 || offset > len(cur.result.Rows) {
		return gateway.Response{}, badRequest("INVALID_QUERY_LOCATOR", "invalid query locator")
	}
	end := min(offset+cur.batch, len(cur.result.Rows))
	done := end == len(cur.result.Rows)
	next := ""
	if done {
		s.cursors.close(cur.id)
	} else {
		next = c.urlPrefix() + "/query/" + cur.id + "-" + strconv.Itoa(end)
	}
	return jsonBody(http.StatusOK, appendQueryResult(nil, c, cur.result, cur.result.Rows[offset:end], done, next))
}

// appendQueryResult writes {"totalSize","done","nextRecordsUrl"?,"records"}.
func appendQueryResult(b []byte, c *call, res *soql.Result, rows []*soql.Row, done bool, next string) []byte {
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(res.TotalSize), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if next != "" {
		b = append(b, `,"nextRecordsUrl":`...)
		b = appendString(b, next)
	}
	b = append(b, `,"records":[`...)
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRow(b, c, row)
	}
	return append(b, "]}"...)
}

// appendRow writes one query row: attributes, then the selected fields in
// SELECT order, parents as nested records, child subqueries as query results.
func appendRow(b []byte, c *call, row *soql.Row) []byte {
	b = append(b, `{"attributes":{"type":`...)
	if row.Object == nil {
		b = append(b, `"AggregateResult"}`...)
	} else {
		b = appendString(b, row.Object.Name)
		b = append(b, `,"url":`...)
		b = appendString(b, c.recordURL(row.Object, row.ID))
		b = append(b, '}')
	}
	for _, fv := range row.Fields {
		b = append(b, ',')
		b = appendString(b, fv.Name)
		b = append(b, ':')
		switch v := fv.Value.(type) {
		case *soql.Row:
			if v == nil {
				b = append(b, "null"...)
			} else {
				b = appendRow(b, c, v)
			}
		case *soql.Result:
			if v == nil {
				b = append(b, "null"...)
			} else {
				b = appendQueryResult(b, c, v, v.Rows, true, "")
			}
		default:
			b = appendValue(b, fv.Field, v)
		}
	}
	return append(b, '}')
}

// columns serves query?q=…&columns=true, which `sf data query` calls to
// learn the shape of a result before fetching it.
func (s *Service) columns(c *call, parsed *soql.Query) (gateway.Response, error) {
	res, err := parsed.Run(soql.Env{Schema: c.org.Schema, Data: c.org.Data, Now: c.now, Location: c.org.TimeZone})
	if err != nil {
		return gateway.Response{}, err
	}
	cols := res.Columns
	if cols == nil {
		cols = []soql.Column{}
	}
	idSelected := false
	for _, col := range cols {
		idSelected = idSelected || col.ColumnName == "Id"
	}
	return gateway.JSON(http.StatusOK, struct {
		ColumnMetadata []soql.Column `json:"columnMetadata"`
		EntityName     string        `json:"entityName"`
		GroupBy        bool          `json:"groupBy"`
		IDSelected     bool          `json:"idSelected"`
		KeyPrefix      string        `json:"keyPrefix"`
	}{cols, res.Object.Name, res.Aggregate, idSelected, res.Object.KeyPrefix})
}
