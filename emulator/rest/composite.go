package rest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/sfemu/sfemu/emulator/org"
)

// maxCompositeRecords is the sObject Collections limit per request.
const maxCompositeRecords = 200

type collectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

type collectionResult struct {
	ID      *org.ID        `json:"id,omitempty"`
	Success bool           `json:"success"`
	Errors  []org.DMLError `json:"errors"`
}

func readCollection(c *call) (*collectionRequest, bool) {
	data, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	if err != nil {
		writeErrors(c.w, http.StatusRequestEntityTooLarge, apiError{"JSON_PARSER_ERROR", fmt.Sprintf("request body over %d bytes", maxBodyBytes)})
		return nil, false
	}
	var req collectionRequest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		var off int64
		if se, ok := err.(*json.SyntaxError); ok {
			off = se.Offset
		}
		line, col := lineCol(data, off)
		writeErrors(c.w, http.StatusBadRequest, apiError{"JSON_PARSER_ERROR", fmt.Sprintf("%v at [line:%d, column:%d]", err, line, col)})
		return nil, false
	}
	if len(req.Records) > maxCompositeRecords {
		writeErrors(c.w, http.StatusBadRequest, apiError{"EXCEEDED_ID_LIMIT", fmt.Sprintf("record limit is %d", maxCompositeRecords)})
		return nil, false
	}
	return &req, true
}

// recordType reads attributes.type of a collection record.
func recordType(c *call, rec map[string]any) (*org.Object, *org.DMLError) {
	attrs, _ := rec["attributes"].(map[string]any)
	name, _ := attrs["type"].(string)
	if name == "" {
		return nil, &org.DMLError{StatusCode: "INVALID_TYPE", Message: "Must send a concrete entity type.", Fields: []string{}}
	}
	o := c.org.Schema.Object(name)
	if o == nil {
		return nil, &org.DMLError{StatusCode: "INVALID_TYPE", Message: fmt.Sprintf("sObject type '%s' is not supported.", name), Fields: []string{}}
	}
	delete(rec, "attributes")
	return o, nil
}

// rolledBack is what every record gets when allOrNone undoes a request.
var rolledBack = org.DMLError{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
	Message: "Record rolled back because not all records were valid and the request was using AllOrNone header", Fields: []string{}}

// finish applies allOrNone: when any record failed, every change is undone
// and every successful record is reported rolled back.
func finish(c *call, req *collectionRequest, results []collectionResult, undo []func()) {
	failed := false
	for _, r := range results {
		failed = failed || !r.Success
	}
	if req.AllOrNone && failed {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		for i := range results {
			if results[i].Success {
				results[i] = collectionResult{Success: false, Errors: []org.DMLError{rolledBack}}
			} else {
				results[i].ID = nil
			}
		}
	}
	writeJSON(c.w, http.StatusOK, results)
}

// compositeCreate serves POST /composite/sobjects.
func (s *Service) compositeCreate(c *call) {
	req, ok := readCollection(c)
	if !ok {
		return
	}
	results := make([]collectionResult, len(req.Records))
	var undo []func()
	for i, fields := range req.Records {
		o, terr := recordType(c, fields)
		if terr != nil {
			results[i] = collectionResult{Errors: []org.DMLError{*terr}}
			continue
		}
		rec, errs := c.org.Data.Insert(o, fields, c.session.User, c.now, org.DMLOptions{})
		if errs != nil {
			results[i] = collectionResult{Errors: errs}
			continue
		}
		id := rec.ID
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
		undo = append(undo, func() { c.org.Data.Erase(id) })
	}
	finish(c, req, results, undo)
}

// compositeUpdate serves PATCH /composite/sobjects.
func (s *Service) compositeUpdate(c *call) {
	req, ok := readCollection(c)
	if !ok {
		return
	}
	results := make([]collectionResult, len(req.Records))
	var undo []func()
	for i, fields := range req.Records {
		if _, terr := recordType(c, fields); terr != nil {
			results[i] = collectionResult{Errors: []org.DMLError{*terr}}
			continue
		}
		raw, _ := fields["Id"].(string)
		delete(fields, "Id")
		id, err := org.ParseID(raw)
		if err != nil {
			results[i] = collectionResult{Errors: []org.DMLError{{StatusCode: "MALFORMED_ID", Message: "invalid record id", Fields: []string{}}}}
			continue
		}
		prev := c.org.Data.Get(id)
		if prev == nil {
			results[i] = collectionResult{Errors: []org.DMLError{{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id", Fields: []string{}}}}
			continue
		}
		if _, errs := c.org.Data.Update(id, fields, c.session.User, c.now); errs != nil {
			results[i] = collectionResult{ID: &id, Errors: errs}
			continue
		}
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
		undo = append(undo, func() { c.org.Data.Restore(prev) })
	}
	finish(c, req, results, undo)
}

// compositeDelete serves DELETE /composite/sobjects?ids=a,b[&allOrNone=true].
func (s *Service) compositeDelete(c *call) {
	q := c.r.URL.Query()
	ids := strings.Split(q.Get("ids"), ",")
	if q.Get("ids") == "" || len(ids) > maxCompositeRecords {
		writeErrors(c.w, http.StatusBadRequest, apiError{"INVALID_FIELD", fmt.Sprintf("give 1 to %d ids in the ids parameter", maxCompositeRecords)})
		return
	}
	req := &collectionRequest{AllOrNone: strings.EqualFold(q.Get("allOrNone"), "true")}
	results := make([]collectionResult, len(ids))
	var undo []func()
	for i, raw := range ids {
		id, err := org.ParseID(strings.TrimSpace(raw))
		if err != nil {
			results[i] = collectionResult{Errors: []org.DMLError{{StatusCode: "MALFORMED_ID", Message: "malformed id " + raw, Fields: []string{}}}}
			continue
		}
		prev := c.org.Data.Get(id)
		if derr := c.org.Data.Delete(id, c.session.User, c.now); derr != nil {
			results[i] = collectionResult{ID: &id, Errors: []org.DMLError{*derr}}
			continue
		}
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
		undo = append(undo, func() { c.org.Data.Restore(prev) })
	}
	finish(c, req, results, undo)
}

// compositeRetrieve serves GET /composite/sobjects/X?ids=…&fields=…: the
// records in the order asked, null for ids that match nothing.
func (s *Service) compositeRetrieve(c *call) {
	o := c.org.Schema.Object(mux.Vars(c.r)["object"])
	if o == nil {
		writeErrors(c.w, http.StatusNotFound, errNotFound)
		return
	}
	q := c.r.URL.Query()
	if q.Get("fields") == "" {
		writeErrors(c.w, http.StatusBadRequest, apiError{"MALFORMED_QUERY", "The 'fields' parameter is required"})
		return
	}
	fields, ok := selectedFields(c, o)
	if !ok {
		return
	}
	b := []byte{'['}
	for i, raw := range strings.Split(q.Get("ids"), ",") {
		if i > 0 {
			b = append(b, ',')
		}
		id, err := org.ParseID(strings.TrimSpace(raw))
		var rec *org.Record
		if err == nil {
			rec = c.org.Data.Get(id)
		}
		if rec == nil || rec.Object != o || rec.Deleted() {
			b = append(b, "null"...)
			continue
		}
		b = appendRecord(b, c, rec, fields)
	}
	writeBody(c.w, http.StatusOK, append(b, ']'))
}
