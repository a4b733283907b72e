package bulk

import (
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// createQuery serves POST /jobs/query: a job in state UploadComplete,
// processed Delay later. SOQL that does not parse or bind fails the job
// (errorMessage is the query engine's error); see docs/BULK.md.
func (s *Service) createQuery(c *gateway.Call) (gateway.Response, error) {
	j, req, err := s.newJob(c, kindQuery)
	if err != nil {
		return gateway.Response{}, err
	}
	if req.Operation != "query" && req.Operation != "queryAll" {
		return gateway.Response{}, badRequest("INVALIDJOB", "Invalid operation: %s. Valid values are query, queryAll", req.Operation)
	}
	if req.Query == "" {
		return gateway.Response{}, badRequest("INVALIDJOB", "The query field is required")
	}
	j.query, j.state = req.Query, stateUploadComplete
	if q, err := soql.Parse(req.Query); err == nil {
		if o := c.Org.Schema.Object(q.From.Text); o != nil {
			j.object = o.Name
		} else {
			j.object = q.From.Text
		}
	}
	if err := s.add(j); err != nil {
		return gateway.Response{}, err
	}
	j.mu.Lock()
	err = s.schedule(j, c.Now)
	j.mu.Unlock()
	if err != nil {
		s.drop(j)
		return gateway.Response{}, err
	}
	return gateway.JSON(http.StatusOK, j.shortInfo())
}

// runQuery runs a query job's SOQL; a non-empty answer fails the job.
func (s *Service) runQuery(j *job) string {
	q, err := soql.Parse(j.query)
	if err != nil {
		return err.Error()
	}
	// The job's user: field-level security applies as to a REST query.
	res, err := q.RunCursor(soql.Env{Schema: j.org.Schema, Data: j.org.Data, Now: s.store.Clock.Now(), Location: j.org.TimeZone,
		IncludeDeleted: j.operation == "queryAll", User: j.user})
	if err != nil {
		return err.Error()
	}
	if res.Aggregate || res.CountOnly {
		return "FeatureNotEnabled : Aggregate queries are not supported by Bulk API 2.0 query jobs"
	}
	for _, col := range res.Columns {
		if col.Aggregate {
			return "FeatureNotEnabled : Nested queries are not supported by Bulk API 2.0 query jobs"
		}
	}
	j.mu.Lock()
	j.result, j.processed = res, res.Len()
	j.mu.Unlock()
	return ""
}

// queryResults serves GET /jobs/query/{id}/results?maxRecords=N&locator=L:
// a page of CSV, with Sforce-Locator ("null" on the last page) and
// Sforce-NumberOfRecords.
func (s *Service) queryResults(c *gateway.Call) (gateway.Response, error) {
	j, err := s.jobFor(c, kindQuery)
	if err != nil {
		return gateway.Response{}, err
	}
	j.mu.Lock()
	state, res := j.state, j.result
	j.mu.Unlock()
	if state != stateJobComplete || res == nil {
		return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Results are not available: the job is in state %s", state)
	}
	q := c.Request.URL.Query()
	limit := DefaultMaxRecords
	if v := q.Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return gateway.Response{}, badRequest("INVALIDPARAMETER", "maxRecords must be a positive integer: %s", v)
		}
		limit = n
	}
	offset := 0
	if loc := q.Get("locator"); loc != "" && loc != "null" {
		n, err := decodeLocator(loc)
		if err != nil || n > res.Len() {
			return gateway.Response{}, badRequest("INVALID_QUERY_LOCATOR", "Invalid locator: %s", loc)
		}
		offset = n
	}
	end := offset + min(limit, res.Len()-offset)
	body := appendCSV(nil, j, res, res.Slice(offset, end))
	resp := gateway.Bytes(http.StatusOK, "text/csv", body)
	locator := "null"
	if end < res.Len() {
		locator = base64.RawStdEncoding.EncodeToString(strconv.AppendInt(nil, int64(end), 10))
	}
	resp.SetHeader("Sforce-Locator", locator)
	resp.SetHeader("Sforce-NumberOfRecords", strconv.Itoa(end-offset))
	return resp, nil
}

func decodeLocator(loc string) (int, error) {
	raw, err := base64.RawStdEncoding.DecodeString(loc)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 {
		return 0, errors.New("bad locator")
	}
	return n, nil
}

// appendCSV writes the header (leaf columns, dotted through parents:
// Account.Name) and rows, each value quoted, null as an empty unquoted value.
func appendCSV(b []byte, j *job, res *soql.Result, rows []*soql.Row) []byte {
	if b == nil {
		b = make([]byte, 0, 64+len(rows)*16*max(len(res.Columns), 1))
	}
	w := &csvWriter{b: b, delim: j.delim, eol: "\n"}
	if j.crlf() {
		w.eol = "\r\n"
	}
	// Flatten the columns to the index paths of their leaves.
	var leaves [][]int
	var names []string
	var walk func(cols []soql.Column, path []int)
	walk = func(cols []soql.Column, path []int) {
		for i, col := range cols {
			p := append(append([]int(nil), path...), i)
			if len(col.JoinColumns) > 0 {
				walk(col.JoinColumns, p)
				continue
			}
			leaves = append(leaves, p)
			names = append(names, col.DisplayName)
		}
	}
	walk(res.Columns, nil)
	for i, name := range names {
		w.field(name, i == 0)
	}
	w.endRow()
	for _, row := range rows {
		for i, path := range leaves {
			if i > 0 {
				w.b = append(w.b, w.delim)
			}
			fv, ok := leafValue(row, path)
			if !ok || fv.Value == nil {
				continue // null: an empty, unquoted value
			}
			if s, isString := fv.Value.(string); isString {
				w.field(s, true)
				continue
			}
			w.b = append(w.b, '"')
			w.b = appendValue(w.b, fv.Field, fv.Value)
			w.b = append(w.b, '"')
		}
		w.endRow()
	}
	return w.b
}

// leafValue follows path through a row's parents.
func leafValue(row *soql.Row, path []int) (soql.FieldValue, bool) {
	for depth, i := range path {
		if row == nil || i >= len(row.Fields) {
			return soql.FieldValue{}, false
		}
		fv := row.Fields[i]
		if depth == len(path)-1 {
			return fv, true
		}
		row, _ = fv.Value.(*soql.Row)
	}
	return soql.FieldValue{}, false
}

// appendValue formats a value as Bulk API CSV does: dates yyyy-MM-dd,
// datetimes with milliseconds and Z, numbers as Salesforce's JSON does.
func appendValue(b []byte, f *org.Field, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		if f != nil && f.Type == org.TypeInt {
			return strconv.AppendInt(b, int64(x), 10)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return b
		}
		return org.AppendJavaDouble(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case time.Time:
		if f != nil && f.Type == org.TypeDate {
			return x.UTC().AppendFormat(b, time.DateOnly)
		}
		return x.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	}
	return b
}
