package soap

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/soql"
)

// Query batch sizes: the SOAP API pages 500 rows unless QueryOptions says
// otherwise, within [200, 2000] (SOAP API Developer Guide, QueryOptions).
const (
	defaultBatchSize = 500
	minBatchSize     = 200
	maxBatchSize     = 2000
)

func (c *call) batchSize() int {
	n := c.req.header.batchSize
	if n == 0 {
		return defaultBatchSize
	}
	return min(max(n, minBatchSize), maxBatchSize)
}

func (c *call) env(includeDeleted bool) soql.Env {
	return soql.Env{Schema: c.org.Schema, Data: c.org.Data, Now: c.Now, Location: c.org.TimeZone, IncludeDeleted: includeDeleted, User: c.user()}
}

// queryOp is query and queryAll (which includes deleted records): the first
// page, and a QueryLocator for queryMore while rows remain.
func queryOp(all bool) func(c *call, b []byte) ([]byte, error) {
	name := "queryResponse"
	if all {
		name = "queryAllResponse"
	}
	return func(c *call, b []byte) ([]byte, error) {
		q, err := soql.Parse(c.req.body.childText("queryString"))
		if err != nil {
			return nil, queryFault(err)
		}
		res, err := q.RunCursor(c.env(all))
		if err != nil {
			return nil, queryFault(err)
		}
		batch := c.batchSize()
		done, locator := true, ""
		if res.Len() > batch {
			cur := c.s.cursors.Open(res, c.session.User, batch)
			done, locator = false, cur.ID+"-"+strconv.Itoa(batch)
		}
		return c.appendQueryResponse(b, name, res, res.Slice(0, batch), done, locator), nil
	}
}

func (c *call) appendQueryResponse(b []byte, name string, res *soql.Result, rows []*soql.Row, done bool, locator string) []byte {
	// One growth for the page, not a doubling series of copies: a record
	// takes some 500 bytes with ten fields.
	b = slices.Grow(b, 64*(len(rows)+1)*(1+len(firstFields(rows))))
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, `><result xsi:type="QueryResult">`...)
	b = c.appendQueryResultBody(b, res, rows, done, locator)
	b = append(b, "</result></"...)
	b = append(b, name...)
	return append(b, '>')
}

func firstFields(rows []*soql.Row) []soql.FieldValue {
	if len(rows) == 0 {
		return nil
	}
	return rows[0].Fields
}

// queryMore serves the next page of a QueryLocator (id-offset, as query
// and the REST API's nextRecordsUrl hand them out).
func queryMore(c *call, b []byte) ([]byte, error) {
	locator := c.req.body.childText("queryLocator")
	id, offText, _ := strings.Cut(locator, "-")
	offset, err := strconv.Atoi(offText)
	cur := c.s.cursors.Get(id, c.session.User)
	if cur == nil || err != nil || offset < 0 || offset > cur.Result.Len() {
		return nil, &fault{code: "INVALID_QUERY_LOCATOR", message: "invalid query locator", kind: "InvalidQueryLocatorFault"}
	}
	batch := c.batchSize()
	end := min(offset+batch, cur.Result.Len())
	done, next := end == cur.Result.Len(), ""
	if done {
		c.s.cursors.Close(cur.ID)
	} else {
		next = cur.ID + "-" + strconv.Itoa(end)
	}
	return c.appendQueryResponse(b, "queryMoreResponse", cur.Result, cur.Result.Slice(offset, end), done, next), nil
}

// retrieve reads records by id: the fields of fieldList (relationship paths
// too), one result per id in the order asked, nil for an id that names no
// live record of the type.
func retrieve(c *call, b []byte) ([]byte, error) {
	body := c.req.body
	object, fieldList := body.childText("sObjectType"), body.childText("fieldList")
	obj := c.org.Schema.Object(object)
	if obj == nil {
		return nil, &fault{code: "INVALID_TYPE", kind: "InvalidSObjectFault",
			message: soql.UnsupportedTypeText(object)}
	}
	var ids []string
	for _, n := range body.all("ids") {
		ids = append(ids, strings.TrimSpace(n.text.String()))
	}
	if len(ids) > maxRecords {
		return nil, tooManyRecords()
	}
	byID := map[string]*soql.Row{}
	if len(ids) > 0 && strings.TrimSpace(fieldList) != "" {
		quoted := make([]string, len(ids))
		for i, id := range ids {
			quoted[i] = "'" + strings.ReplaceAll(id, "'", "") + "'"
		}
		q, err := soql.Parse("SELECT " + fieldList + " FROM " + obj.Name + " WHERE Id IN (" + strings.Join(quoted, ",") + ")")
		if err != nil {
			return nil, queryFault(err)
		}
		res, err := q.Run(c.env(false))
		if err != nil {
			return nil, queryFault(err)
		}
		for _, row := range res.Rows {
			byID[string(row.ID)] = row
			byID[row.ID.Short()] = row
		}
	} else if strings.TrimSpace(fieldList) == "" {
		return nil, unexpected("MALFORMED_QUERY", "retrieve needs a fieldList")
	}
	b = append(b, "<retrieveResponse>"...)
	for _, id := range ids {
		if row := byID[id]; row != nil {
			b = c.appendRecord(b, "result", row)
		} else {
			b = appendNil(b, "result")
		}
	}
	return append(b, "</retrieveResponse>"...), nil
}

// search runs SOSL (the soql package's, as REST's search does).
func search(c *call, b []byte) ([]byte, error) {
	q, err := soql.ParseSOSL(c.req.body.childText("searchString"))
	if err != nil {
		return nil, queryFault(err)
	}
	rows, err := q.Run(c.env(false))
	if err != nil {
		return nil, queryFault(err)
	}
	b = append(b, "<searchResponse><result><queryId/>"...)
	for _, row := range rows {
		b = append(b, "<searchRecords>"...)
		b = c.appendRecord(b, "record", row)
		b = append(b, "</searchRecords>"...)
	}
	return append(b, "</result></searchResponse>"...), nil
}
