package rest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/soql"
)

// Query batch sizes: Sforce-Query-Options: batchSize=N is honoured within [200, 2000].
const (
	defaultBatchSize = 2000
	minBatchSize     = 200
)

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
		res, err := parsed.RunCursor(soql.Env{Schema: c.org.Schema, Data: c.org.Data, Now: c.now, Location: c.org.TimeZone, IncludeDeleted: all, User: c.user()})
		if err != nil {
			return gateway.Response{}, err
		}
		batch := batchSize(c.r)
		if res.Len() <= batch {
			return pageBody(func(b []byte) []byte { return appendQueryResult(b, c, res, 0, batch, true, "") }), nil
		}
		cur := s.cursors.Open(res, c.session.User, batch)
		next := c.urlPrefix() + "/query/" + cur.ID + "-" + strconv.Itoa(batch)
		return pageBody(func(b []byte) []byte { return appendQueryResult(b, c, res, 0, batch, false, next) }), nil
	}
}

// queryMore serves GET /query/{locator}, the nextRecordsUrl of a query.
func (s *Service) queryMore(c *call) (gateway.Response, error) {
	locator := c.Var("locator")
	id, offText, _ := strings.Cut(locator, "-")
	offset, err := strconv.Atoi(offText)
	cur := s.cursors.Get(id, c.session.User)
	if cur == nil || err != nil || offset < 0 || offset > cur.Result.Len() {
		return gateway.Response{}, badRequest("INVALID_QUERY_LOCATOR", "invalid query locator")
	}
	end := min(offset+cur.Batch, cur.Result.Len())
	done := end == cur.Result.Len()
	next := ""
	if done {
		s.cursors.Close(cur.ID)
	} else {
		next = c.urlPrefix() + "/query/" + cur.ID + "-" + strconv.Itoa(end)
	}
	return pageBody(func(b []byte) []byte { return appendQueryResult(b, c, cur.Result, offset, end, done, next) }), nil
}

// pageBuffers hold the bodies of query pages between requests: a client
// paging through 100,000 records asks for fifty half-megabyte pages, which
// allocated afresh were a fifth of what the scan allocated.
var pageBuffers sync.Pool

// maxPooledPage keeps an unusually large page's buffer out of the pool.
const maxPooledPage = 4 << 20

// pageBody is a 200 whose JSON body write appends to a pooled buffer,
// given back once the gateway has written it (gateway.Response.Release).
func pageBody(write func([]byte) []byte) gateway.Response {
	buf, _ := pageBuffers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	body := write((*buf)[:0])
	resp := gateway.Bytes(http.StatusOK, gateway.JSONContentType, body)
	resp.Release = func() {
		if cap(body) <= maxPooledPage {
			*buf = body[:0]
			pageBuffers.Put(buf)
		}
	}
	return resp
}

// appendQueryResult writes {"totalSize","done","nextRecordsUrl"?,"records"}
// with rows [from, to) of res, each projected as it is written
// (soql.Result.Each).
func appendQueryResult(b []byte, c *call, res *soql.Result, from, to int, done bool, next string) []byte {
	if n := min(to, res.Len()) - from; n > 0 {
		// One growth for the page instead of a doubling series of copies:
		// a row takes its attributes (≈ 100 bytes) and ≈ 40 bytes a field.
		b = slices.Grow(b, n*(100+40*len(res.Columns)))
	}
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(res.TotalSize), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if next != "" {
		b = append(b, `,"nextRecordsUrl":`...)
		b = appendString(b, next)
	}
	b = append(b, `,"records":[`...)
	first := true
	res.Each(from, to, func(row *soql.Row) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendRow(b, c, row)
	})
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
		// recordURL written in place: object names, versions and ids need
		// no JSON escaping, and a string per record was a third of the
		// page's allocations.
		b = append(b, `,"url":"/services/data/v`...)
		b = append(b, c.version...)
		b = append(b, "/sobjects/"...)
		b = append(b, row.Object.Name...)
		b = append(b, '/')
		b = append(b, row.ID...)
		b = append(b, `"}`...)
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
				b = appendQueryResult(b, c, v, 0, v.Len(), true, "")
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
	res, err := parsed.Run(soql.Env{Schema: c.org.Schema, Data: c.org.Data, Now: c.now, Location: c.org.TimeZone, User: c.user()})
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
