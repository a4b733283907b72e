package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// maxCompositeRecords is the sObject Collections limit per request.
const maxCompositeRecords = 200

type collectionRequest struct {
	AllOrNone bool              `json:"allOrNone"`
	Records   collectionRecords `json:"records"`
}

// collectionRecords decode one record at a time and stop at the first one
// over maxCompositeRecords, so that an 8 MB body of small records is
// refused without building every one of them (73 MB of maps for 40,000
// records, where 200 are allowed).
type collectionRecords []map[string]any

// errTooManyDecoded stops decoding at record maxCompositeRecords+1.
var errTooManyDecoded = errors.New("too many records")

// recordsError is a record that does not decode, at an offset inside the
// array (records).
type recordsError struct {
	err     error
	offset  int64
	records []byte
}

func (e *recordsError) Error() string { return e.err.Error() }

func (r *collectionRecords) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return &recordsError{err: &json.UnmarshalTypeError{Value: "non-array", Type: reflect.TypeFor[[]map[string]any](), Field: "records"}, records: b}
	}
	var out collectionRecords
	for dec.More() {
		if len(out) == maxCompositeRecords {
			return errTooManyDecoded
		}
		at := dec.InputOffset() // after the previous record: skip to this one
		for at < int64(len(b)) && strings.IndexByte(" \t\r\n,", b[at]) >= 0 {
			at++
		}
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return &recordsError{err: err, offset: at, records: b}
		}
		out = append(out, m)
	}
	*r = out
	return nil
}

type collectionResult struct {
	ID      *org.ID        `json:"id,omitempty"`
	Success bool           `json:"success"`
	Errors  []org.DMLError `json:"errors"`
	Created *bool          `json:"created,omitempty"` // upsert only
}

func readCollection(c *call) (*collectionRequest, error) {
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return nil, err
	}
	return parseCollection(data)
}

// parseCollection decodes an sObject Collections body: JSON_PARSER_ERROR
// naming line and column, or EXCEEDED_ID_LIMIT past 200 records.
func parseCollection(data []byte) (*collectionRequest, error) {
	var req collectionRequest
	err := json.Unmarshal(data, &req)
	if err == nil {
		return &req, nil
	}
	if errors.Is(err, errTooManyDecoded) {
		return nil, errTooManyRecords
	}
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var re *recordsError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &re):
		err, off = re.err, re.offset+offsetIn(data, re.records)
	case errors.As(err, &te):
		off = te.Offset
	}
	line, col := lineCol(data, off)
	return nil, badRequest("JSON_PARSER_ERROR", fmt.Sprintf("%v at [line:%d, column:%d]", err, line, col))
}

// offsetIn is where part, a slice of data that encoding/json handed an
// UnmarshalJSON method, starts in data (0 when it is not one).
func offsetIn(data, part []byte) int64 {
	start := cap(data) - cap(part)
	if start < 0 || start+len(part) > len(data) || len(part) == 0 || &data[start] != &part[0] {
		return 0
	}
	return int64(start)
}

// recordType reads attributes.type of a collection record.
func recordType(c *call, rec map[string]any) (*org.Object, *org.DMLError) {
	attrs, _ := rec["attributes"].(map[string]any)
	name, _ := attrs["type"].(string)
	o, err := c.objectOf(name)
	if err == nil {
		delete(rec, "attributes")
	}
	return o, err
}

// objectOf is the object a collection record's attributes.type names.
func (c *call) objectOf(name string) (*org.Object, *org.DMLError) {
	if name == "" {
		return nil, &org.DMLError{StatusCode: "INVALID_TYPE", Message: "Must send a concrete entity type.", Fields: []string{}}
	}
	o := c.org.Schema.Object(name)
	if o == nil {
		return nil, &org.DMLError{StatusCode: "INVALID_TYPE", Message: fmt.Sprintf("sObject type '%s' is not supported.", name), Fields: []string{}}
	}
	return o, nil
}

// rolledBack is what every record gets when allOrNone undoes a request.
var rolledBack = org.DMLError{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
	Message: "Record rolled back because not all records were valid and the request was using AllOrNone header", Fields: []string{}}

// finish applies allOrNone: when any record failed, tx rolls back and
// every successful record is reported rolled back. Otherwise tx commits:
// the records that succeeded stay, their rules fire (inside an allOrNone
// composite call, when that call commits).
func finish(allOrNone bool, results []collectionResult, tx *org.Tx) (gateway.Response, error) {
	failed := false
	for _, r := range results {
		failed = failed || !r.Success
	}
	if allOrNone && failed {
		tx.Rollback()
		for i := range results {
			if results[i].Success {
				results[i] = collectionResult{Success: false, Errors: []org.DMLError{rolledBack}}
			} else {
				results[i].ID = nil
			}
		}
	} else {
		tx.Commit()
	}
	return pageBody(func(b []byte) []byte { return appendResults(b, results) }), nil
}

// appendResults is json.Marshal(results) (TestAppendResultsIsMarshal),
// written without reflection into a pooled buffer: a successful record's
// result is written by hand, errors (rare, and carrying a client's text)
// by encoding/json.
func appendResults(b []byte, results []collectionResult) []byte {
	b = slices.Grow(b, len(results)*len(`{"id":"001000000000000AAA","success":true,"errors":[]},`)+2)
	b = append(b, '[')
	for i := range results {
		r := &results[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if r.ID != nil {
			if !plainID(*r.ID) {
				id, _ := json.Marshal(*r.ID)
				b = append(append(append(b, `"id":`...), id...), ',')
			} else {
				b = append(append(append(b, `"id":"`...), *r.ID...), `",`...)
			}
		}
		b = append(b, `"success":`...)
		b = strconv.AppendBool(b, r.Success)
		b = append(b, `,"errors":`...)
		switch {
		case r.Errors == nil:
			b = append(b, "null"...)
		case len(r.Errors) == 0:
			b = append(b, "[]"...)
		default:
			errs, _ := json.Marshal(r.Errors)
			b = append(b, errs...)
		}
		if r.Created != nil {
			b = append(b, `,"created":`...)
			b = strconv.AppendBool(b, *r.Created)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// plainID reports whether id is letters and digits, as a record id is:
// JSON needs no escape for it.
func plainID(id org.ID) bool {
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// compositeCreate serves POST /composite/sobjects. A body of the usual
// shape (decodeCreates) goes to the store a run of records of one type at a
// time (org.Data.InsertFields); any other body is read into maps and
// inserted one record at a time (compositeCreateMaps), as before — the
// answers are the same (TestCollectionCreateDecodesAsMaps,
// FuzzCollectionCreate).
func (s *Service) compositeCreate(c *call) (gateway.Response, error) {
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return gateway.Response{}, err
	}
	body, ok := decodeCreates(data)
	if !ok || s.mapCreates {
		return s.compositeCreateMaps(c, data)
	}
	results := make([]collectionResult, len(body.records))
	tx := c.tx().Begin()
	opt := c.createOptionsIn(tx)
	var rows [][]org.FieldValue
	for i := 0; i < len(body.records); {
		o, terr := c.objectOf(body.records[i].typ)
		if terr != nil {
			results[i] = collectionResult{Errors: []org.DMLError{*terr}}
			i++
			continue
		}
		// The run of records of this type: stored before the next type's,
		// as one at a time would store them.
		end := i + 1
		for end < len(body.records) && body.records[end].typ == body.records[i].typ {
			end++
		}
		rows = rows[:0]
		for _, rec := range body.records[i:end] {
			rows = append(rows, rec.fields)
		}
		recs, errs := c.org.Data.InsertFields(o, rows, c.session.User, c.now, opt)
		for k := range rows {
			if errs[k] != nil {
				results[i+k] = collectionResult{Errors: errs[k]}
				continue
			}
			id := recs[k].ID
			results[i+k] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
		}
		i = end
	}
	return finish(body.allOrNone, results, tx)
}

// compositeCreateMaps is compositeCreate of a body read into maps, one
// Insert a record.
func (s *Service) compositeCreateMaps(c *call, data []byte) (gateway.Response, error) {
	req, err := parseCollection(data)
	if err != nil {
		return gateway.Response{}, err
	}
	results := make([]collectionResult, len(req.Records))
	tx := c.tx().Begin()
	for i, fields := range req.Records {
		o, terr := recordType(c, fields)
		if terr != nil {
			results[i] = collectionResult{Errors: []org.DMLError{*terr}}
			continue
		}
		rec, errs := c.org.Data.Insert(o, fields, c.session.User, c.now, c.createOptionsIn(tx))
		if errs != nil {
			results[i] = collectionResult{Errors: errs}
			continue
		}
		id := rec.ID
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
	}
	return finish(req.AllOrNone, results, tx)
}

// compositeUpdate serves PATCH /composite/sobjects.
func (s *Service) compositeUpdate(c *call) (gateway.Response, error) {
	req, err := readCollection(c)
	if err != nil {
		return gateway.Response{}, err
	}
	results := make([]collectionResult, len(req.Records))
	tx := c.tx().Begin()
	for i, fields := range req.Records {
		if _, terr := recordType(c, fields); terr != nil {
			results[i] = collectionResult{Errors: []org.DMLError{*terr}}
			continue
		}
		var raw string // "id" as in Salesforce's own examples: field names are case-insensitive
		for k, v := range fields {
			if strings.EqualFold(k, "Id") {
				raw, _ = v.(string)
				delete(fields, k)
			}
		}
		id, err := org.ParseID(raw)
		if err != nil {
			results[i] = collectionResult{Errors: []org.DMLError{{StatusCode: "MALFORMED_ID", Message: "invalid record id", Fields: []string{}}}}
			continue
		}
		if c.org.Data.Get(id) == nil {
			results[i] = collectionResult{Errors: []org.DMLError{{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id", Fields: []string{}}}}
			continue
		}
		if _, errs := c.org.Data.UpdateIn(tx, id, fields, c.session.User, c.now); errs != nil {
			results[i] = collectionResult{ID: &id, Errors: errs}
			continue
		}
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
	}
	return finish(req.AllOrNone, results, tx)
}

// compositeDelete serves DELETE /composite/sobjects?ids=a,b[&allOrNone=true].
func (s *Service) compositeDelete(c *call) (gateway.Response, error) {
	q := c.r.URL.Query()
	ids := strings.Split(q.Get("ids"), ",")
	if q.Get("ids") == "" {
		return gateway.Response{}, badRequest("INVALID_FIELD", fmt.Sprintf("give 1 to %d ids in the ids parameter", maxCompositeRecords))
	}
	if len(ids) > maxCompositeRecords {
		return gateway.Response{}, errTooManyRecords
	}
	req := &collectionRequest{AllOrNone: strings.EqualFold(q.Get("allOrNone"), "true")}
	results := make([]collectionResult, len(ids))
	tx := c.tx().Begin()
	for i, raw := range ids {
		id, err := org.ParseID(strings.TrimSpace(raw))
		if err != nil {
			results[i] = collectionResult{Errors: []org.DMLError{{StatusCode: "MALFORMED_ID", Message: "malformed id " + raw, Fields: []string{}}}}
			continue
		}
		if derr := c.org.Data.DeleteIn(tx, id, c.session.User, c.now); derr != nil {
			results[i] = collectionResult{ID: &id, Errors: []org.DMLError{*derr}}
			continue
		}
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
	}
	return finish(req.AllOrNone, results, tx)
}
