package rest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

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
			return jsonBody(http.StatusOK, appendQueryResult(nil, c, res, res.Slice(0, batch), true, ""))
		}
		cur := s.cursors.Open(res, c.session.User, batch)
		next := c.urlPrefix() + "/query/" + cur.ID + "-" + strconv.Itoa(batch)
		return jsonBody(http.StatusOK, appendQueryResult(nil, c, res, res.Slice(0, batch), false, next))
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
	return jsonBody(http.StatusOK, appendQueryResult(nil, c, cur.Result, cur.Result.Slice(offset, end), done, next))
}

// appendQueryResult writes {"totalSize","done","nextRecordsUrl"?,"records"}.
func appendQueryResult(b []byte, c *call, res *soql.Result, rows []*soql.Row, done bool, next string) []byte {
	if len(rows) > 0 {
		// One growth for the page instead of a doubling series of copies:
		// a row takes its attributes (≈ 100 bytes) and ≈ 40 bytes a field.
		b = slices.Grow(b, len(rows)*(100+40*len(rows[0].Fields)))
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
