package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// jobRequest is the body of POST /jobs/ingest and /jobs/query.
type jobRequest struct {
	Object              string `json:"object"`
	Operation           string `json:"operation"`
	ExternalIDFieldName string `json:"externalIdFieldName"`
	ColumnDelimiter     string `json:"columnDelimiter"`
	LineEnding          string `json:"lineEnding"`
	ContentType         string `json:"contentType"`
	Query               string `json:"query"`
}

var ingestOperations = map[string]bool{"insert": true, "update": true, "upsert": true, "delete": true, "hardDelete": true}

// newJob reads and checks a job request's common parts.
func (s *Service) newJob(c *gateway.Call, k kind) (*job, *jobRequest, error) {
	if err := checkVersion(c, k); err != nil {
		return nil, nil, err
	}
	data, err := c.Body(1 << 20)
	if err != nil {
		return nil, nil, err
	}
	var req jobRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, nil, badRequest("JSON_PARSER_ERROR", "%v", err)
	}
	if req.ColumnDelimiter == "" {
		req.ColumnDelimiter = "COMMA"
	}
	delim, ok := delimiters[req.ColumnDelimiter]
	if !ok {
		return nil, nil, badRequest("INVALIDJOB", "Invalid columnDelimiter: %s. Valid values are %s", req.ColumnDelimiter, strings.Join(sortedKeys(delimiters), ", "))
	}
	if req.LineEnding == "" {
		req.LineEnding = "LF"
	}
	if req.LineEnding != "LF" && req.LineEnding != "CRLF" {
		return nil, nil, badRequest("INVALIDJOB", "Invalid lineEnding: %s. Valid values are LF, CRLF", req.LineEnding)
	}
	if req.ContentType != "" && req.ContentType != "CSV" {
		return nil, nil, badRequest("INVALIDJOB", "Invalid contentType: %s. The only valid value is CSV", req.ContentType)
	}
	v, f := apiVersion(c)
	j := &job{kind: k, org: c.Org, user: c.Session.User, operation: req.Operation, delimName: req.ColumnDelimiter, delim: delim,
		lineEnding: req.LineEnding, apiVersion: f, version: v, created: c.Now, modstamp: c.Now}
	return j, &req, nil
}

// createIngest serves POST /jobs/ingest: a job in state Open.
func (s *Service) createIngest(c *gateway.Call) (gateway.Response, error) {
	j, req, err := s.newJob(c, kindIngest)
	if err != nil {
		return gateway.Response{}, err
	}
	if req.Object == "" {
		return gateway.Response{}, badRequest("INVALIDJOB", "The object field is required")
	}
	o := c.Org.Schema.Object(req.Object)
	if o == nil {
		return gateway.Response{}, badRequest("INVALIDENTITY", "Entity '%s' is not supported by the Bulk API.", req.Object)
	}
	if !ingestOperations[req.Operation] {
		return gateway.Response{}, badRequest("INVALIDJOB", "Invalid operation: %s. Valid values are insert, update, upsert, delete, hardDelete", req.Operation)
	}
	if req.Operation == "upsert" && req.ExternalIDFieldName == "" {
		return gateway.Response{}, badRequest("INVALIDJOB", "The externalIdFieldName field is required for upsert")
	}
	j.object, j.externalID, j.state = o.Name, req.ExternalIDFieldName, stateOpen
	if err := s.add(j); err != nil {
		return gateway.Response{}, err
	}
	return gateway.JSON(http.StatusOK, j.shortInfo())
}

// upload serves PUT /jobs/ingest/{id}/batches: the job's CSV, once, while
// it is Open.
func (s *Service) upload(c *gateway.Call) (gateway.Response, error) {
	j, err := s.jobFor(c, kindIngest)
	if err != nil {
		return gateway.Response{}, err
	}
	j.mu.Lock()
	state, uploaded := j.state, j.uploaded
	j.mu.Unlock()
	if state != stateOpen {
		return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Job %s is in state %s; data can be uploaded only while it is Open", j.id, state)
	}
	if uploaded {
		return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Job %s already has its data; upload each set of records in a job of its own", j.id)
	}
	data, err := c.Body(s.cfg.MaxUploadBytes)
	if err != nil {
		var be *gateway.BodyError
		if errors.As(err, &be) && be.TooLarge {
			return gateway.Response{}, tooLarge(s.cfg.MaxUploadBytes)
		}
		return gateway.Response{}, err
	}
	if err := s.reserve(int64(len(data))); err != nil {
		return gateway.Response{}, err
	}
	j.mu.Lock()
	if j.state != stateOpen || j.uploaded {
		j.mu.Unlock()
		s.release(int64(len(data)))
		return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Job %s is in state %s; data can be uploaded only while it is Open", j.id, j.state)
	}
	j.data, j.uploaded = data, true
	j.mu.Unlock()
	return gateway.Response{Status: http.StatusCreated}, nil
}

// ingest processes an ingest job's CSV; a non-empty answer fails the job.
func (s *Service) ingest(ctx context.Context, j *job) string {
	j.mu.Lock()
	data := j.data
	j.mu.Unlock()
	o := j.org.Schema.Object(j.object)
	if o == nil {
		return "InvalidJob : Unable to find object: " + j.object
	}
	if len(data) == 0 {
		return "InvalidBatch : No data was uploaded for the job"
	}
	r := newCSVReader(data, j.delim, j.crlf())
	header, err := r.next()
	if err != nil {
		return csvMessage(err)
	}
	j.mu.Lock()
	j.header = append([]string(nil), header...)
	j.mu.Unlock()
	cols := make([]org.Column, len(header))
	idCol, extCol := -1, -1
	var extField *org.Field
	if j.operation == "upsert" {
		extField = o.Field(j.externalID)
		if extField == nil || !(extField.ExternalID || extField.Name == "Id" || extField.Unique || extField.Indexed) {
			return fmt.Sprintf("InvalidJob : Field name provided, %s does not match an External ID, Salesforce Id, or indexed field for %s", j.externalID, o.Name)
		}
	}
	for i, h := range header {
		col, ok := j.org.Schema.ResolveColumn(o, h)
		if !ok {
			return "InvalidBatch : Field name not found : " + strings.TrimSpace(h)
		}
		cols[i] = col
		if col.Key == nil && col.Field.Name == "Id" {
			idCol = i
		}
		if extField != nil && col.Key == nil && col.Field == extField {
			extCol = i
		}
	}
	if (j.operation == "delete" || j.operation == "hardDelete") && idCol < 0 {
		return "InvalidBatch : The Id field is required for " + j.operation
	}
	if j.operation == "upsert" && extCol < 0 {
		return "InvalidBatch : Field name not found : " + j.externalID
	}
	success := newCSVWriter(j.delim, j.crlf())
	// Sized for every row succeeding, each echoed with its values quoted
	// and an id and sf__Created before them: growing it row by row
	// allocated five times its size.
	rows := bytes.Count(data, []byte{'\n'}) + 1
	success.b = make([]byte, 0, len(data)+rows*(2*len(cols)+len(`"001000000000000AAA","false",`)+2))
	failure := newCSVWriter(j.delim, j.crlf())
	success.field("sf__Id", true)
	success.field("sf__Created", false)
	failure.field("sf__Id", true)
	failure.field("sf__Error", false)
	for _, col := range cols {
		success.raw(col.Header, false)
		failure.raw(col.Header, false)
	}
	success.endRow()
	failure.endRow()
	processed, failed := 0, 0
	emit := func(id string, created bool, derrs []org.DMLError, row []string) {
		if derrs != nil {
			failed++
			failure.field(id, true)
			failure.field(formatErrors(derrs), false)
			for _, v := range row {
				failure.field(v, false)
			}
			failure.endRow()
			return
		}
		success.field(id, true)
		if created {
			success.field("true", false)
		} else {
			success.field("false", false)
		}
		for _, v := range row {
			success.field(v, false)
		}
		success.endRow()
	}
	// The rows an insert or upsert job inserts are stored a batch at a time.
	var batch *insertBatch
	if !s.rowByRow && batchable(j.operation, o, cols, extField) {
		batch = newInsertBatch(cols, idCol, extField, extCol)
	}
	flush := func() {
		if batch != nil {
			batch.flush(s, j, o, emit)
		}
	}
	var unproc *csvWriter
	for {
		if j.aborted.Load() || ctx.Err() != nil {
			flush()
			unproc = newCSVWriter(j.delim, j.crlf())
			for i, col := range cols {
				unproc.raw(col.Header, i == 0)
			}
			unproc.endRow()
			for {
				row, err := r.next()
				if err != nil {
					break
				}
				for i, v := range row {
					unproc.field(v, i == 0)
				}
				unproc.endRow()
			}
			break
		}
		row, err := r.next()
		if err == io.EOF {
			flush()
			break
		}
		if err != nil {
			// Records before the bad CSV stay processed; the job fails.
			flush()
			j.mu.Lock()
			j.processed, j.failed = processed, failed
			j.success, j.failures = success.b, failure.b
			j.mu.Unlock()
			return csvMessage(err)
		}
		processed++
		if batch != nil {
			if batch.take(s, j, o, row) {
				if batch.full() {
					flush()
				}
				continue
			}
			flush() // the rows before this one are stored first
		}
		id, created, derrs := s.applyRow(j, o, cols, idCol, extField, extCol, row)
		emit(id, created, derrs, row)
	}
	j.mu.Lock()
	j.processed, j.failed = processed, failed
	j.success, j.failures = success.b, failure.b
	if unproc != nil {
		j.unproc = unproc.b
	}
	j.mu.Unlock()
	return ""
}

func csvMessage(err error) string {
	var ce *csvError
	if errors.As(err, &ce) {
		return ce.Message
	}
	return "ClientInputError : " + err.Error()
}

// nullValue sets a field to null in Bulk API CSV; an empty value leaves
// it alone (update, upsert) or null (insert).
const nullValue = "#N/A"

// applyRow runs one record's DML: its id, whether it was created, and its
// errors.
func (s *Service) applyRow(j *job, o *org.Object, cols []org.Column, idCol int, extField *org.Field, extCol int, row []string) (string, bool, []org.DMLError) {
	if len(row) != len(cols) {
		id := ""
		if idCol >= 0 && idCol < len(row) {
			id = row[idCol]
		}
		return id, false, []org.DMLError{{StatusCode: "INVALID_ROW", Message: fmt.Sprintf("The row has %d columns; the header has %d", len(row), len(cols))}}
	}
	var refErr *org.DMLError
	fields := func(skip int) map[string]any {
		m := make(map[string]any, len(cols))
		if err := s.rowFields(j, cols, row, skip, m); err != nil {
			refErr = err
		}
		return m
	}
	withRefs := func(m map[string]any) (map[string]any, []org.DMLError) {
		if refErr != nil {
			return nil, []org.DMLError{*refErr}
		}
		return m, nil
	}
	now := s.store.Clock.Now()
	user := j.user
	d := j.org.Data
	switch j.operation {
	case "insert":
		m, errs := withRefs(fields(-1))
		if errs != nil {
			return "", false, errs
		}
		rec, errs := d.Insert(o, m, user, now, org.DMLOptions{})
		if errs != nil {
			return "", false, errs
		}
		return string(rec.ID), true, nil
	case "update":
		raw := ""
		if idCol >= 0 {
			raw = row[idCol]
		}
		id, derr := s.existing(o, raw)
		if derr != nil {
			return raw, false, []org.DMLError{*derr}
		}
		m, errs := withRefs(fields(idCol))
		if errs != nil {
			return string(id), false, errs
		}
		if _, errs := d.Update(id, m, user, now); errs != nil {
			return string(id), false, errs
		}
		return string(id), false, nil
	case "delete", "hardDelete":
		id, derr := s.existing(o, row[idCol])
		if derr != nil {
			return row[idCol], false, []org.DMLError{*derr}
		}
		if derr := d.Delete(id, user, now); derr != nil {
			return string(id), false, []org.DMLError{*derr}
		}
		if j.operation == "hardDelete" {
			d.Erase(id)
		}
		return string(id), false, nil
	case "upsert":
		value := row[extCol]
		if value == "" || value == nullValue {
			return "", false, []org.DMLError{{StatusCode: "MISSING_ARGUMENT", Message: extField.Name + " not specified"}}
		}
		if extField.Name == "Id" {
			id, derr := s.existing(o, value)
			if derr != nil {
				return value, false, []org.DMLError{*derr}
			}
			m, errs := withRefs(fields(extCol))
			if errs != nil {
				return string(id), false, errs
			}
			if _, errs := d.Update(id, m, user, now); errs != nil {
				return string(id), false, errs
			}
			return string(id), false, nil
		}
		m, errs := withRefs(fields(idCol))
		if errs != nil {
			return "", false, errs
		}
		recs, _ := d.Lookup(o, extField, value, false)
		switch len(recs) {
		case 0:
			rec, errs := d.Insert(o, m, user, now, org.DMLOptions{})
			if errs != nil {
				return "", false, errs
			}
			return string(rec.ID), true, nil
		case 1:
			delete(m, extField.Name)
			if _, errs := d.Update(recs[0].ID, m, user, now); errs != nil {
				return string(recs[0].ID), false, errs
			}
			return string(recs[0].ID), false, nil
		}
		ids := make([]string, len(recs))
		for i, r := range recs {
			ids[i] = string(r.ID)
		}
		return "", false, []org.DMLError{{StatusCode: "DUPLICATE_EXTERNAL_ID", Fields: []string{extField.Name},
			Message: fmt.Sprintf("%s: more than one record found for external id field: [%s]", extField.Label, strings.Join(ids, ", "))}}
	}
	return "", false, []org.DMLError{{StatusCode: "INVALID_OPERATION", Message: "unknown operation " + j.operation}}
}

// rowFields fills m with a row's values by field name, leaving out column
// skip (-1: none): an empty value leaves its field out, #N/A sets it null,
// and a relationship column sets its lookup field to the parent's id. The
// answer is the last parent not found, if any.
func (s *Service) rowFields(j *job, cols []org.Column, row []string, skip int, m map[string]any) *org.DMLError {
	var refErr *org.DMLError
	for i, col := range cols {
		if i == skip {
			continue
		}
		v := row[i]
		switch {
		case v == "":
			continue
		case v == nullValue:
			m[col.Field.Name] = nil
		case col.Key != nil:
			id, err := j.org.Data.ParentID(col, v)
			if err != nil {
				refErr = err
				continue
			}
			m[col.Field.Name] = id
		default:
			m[col.Field.Name] = v
		}
	}
	return refErr
}

// parentIDs replaces the values of a row's relationship columns by their
// parents' ids, as rowFields sets them; the answer is the last parent not
// found, if any.
func (s *Service) parentIDs(j *job, cols []org.Column, row []string) *org.DMLError {
	var refErr *org.DMLError
	for i, col := range cols {
		if v := row[i]; col.Key != nil && v != "" && v != nullValue {
			id, err := j.org.Data.ParentID(col, v)
			if err != nil {
				refErr = err
				continue
			}
			row[i] = id
		}
	}
	return refErr
}

// existing resolves the Id column of an update or delete.
func (s *Service) existing(o *org.Object, raw string) (org.ID, *org.DMLError) {
	if raw == "" {
		return "", &org.DMLError{StatusCode: "MISSING_ARGUMENT", Message: "Id not specified in an update call"}
	}
	id, err := org.ParseID(raw)
	if err != nil || id.Prefix() != o.KeyPrefix {
		return "", &org.DMLError{StatusCode: "MALFORMED_ID", Fields: []string{"Id"}, Message: fmt.Sprintf("%s ID: id value of incorrect type: %s", o.Label, raw)}
	}
	return id, nil
}

// formatErrors writes sf__Error as Salesforce does:
// "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --",
// "ENTITY_IS_DELETED:entity is deleted:--" (no fields).
func formatErrors(errs []org.DMLError) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.StatusCode)
		b.WriteByte(':')
		b.WriteString(e.Message)
		b.WriteByte(':')
		if len(e.Fields) > 0 {
			b.WriteString(strings.Join(e.Fields, ","))
			b.WriteByte(' ')
		}
		b.WriteString("--")
	}
	return b.String()
}

type resultKind int

const (
	resultSuccess resultKind = iota
	resultFailed
	resultUnprocessed
)

// results serves the successfulResults, failedResults and
// unprocessedrecords CSVs.
func (s *Service) results(rk resultKind) gateway.Handler {
	return func(c *gateway.Call) (gateway.Response, error) {
		j, err := s.jobFor(c, kindIngest)
		if err != nil {
			return gateway.Response{}, err
		}
		j.mu.Lock()
		state := j.state
		var body []byte
		switch rk {
		case resultSuccess:
			body = j.success
		case resultFailed:
			body = j.failures
		case resultUnprocessed:
			body = j.unproc
		}
		data, header := j.data, j.header
		j.mu.Unlock()
		if state == stateOpen || state == stateUploadComplete || state == stateInProgress {
			if rk != resultUnprocessed {
				return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Results are not available until the job is complete; it is %s", state)
			}
			body = data
		}
		if body == nil {
			body = emptyResultHeader(rk, j, header, data)
		}
		return gateway.Bytes(http.StatusOK, "text/csv", body), nil
	}
}

// emptyResultHeader is a results file with no records.
func emptyResultHeader(rk resultKind, j *job, header []string, data []byte) []byte {
	w := newCSVWriter(j.delim, j.crlf())
	switch rk {
	case resultSuccess:
		w.field("sf__Id", true)
		w.field("sf__Created", false)
	case resultFailed:
		w.field("sf__Id", true)
		w.field("sf__Error", false)
	}
	first := rk == resultUnprocessed
	if header == nil && len(data) > 0 {
		header, _ = newCSVReader(data, j.delim, j.crlf()).next()
	}
	for _, h := range header {
		w.raw(h, first)
		first = false
	}
	if len(w.b) == 0 {
		return []byte{}
	}
	w.endRow()
	return bytes.Clone(w.b)
}
