package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
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
	Created *bool          `json:"created,omitempty"` // upsert only
}

func readCollection(c *call) (*collectionRequest, error) {
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return nil, err
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
		return nil, badRequest("JSON_PARSER_ERROR", fmt.Sprintf("%v at [line:%d, column:%d]", err, line, col))
	}
	if len(req.Records) > maxCompositeRecords {
		return nil, errTooManyRecords
	}
	return &req, nil
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
// Otherwise, inside a composite call, the changes join its undo log.
func finish(c *call, req *collectionRequest, results []collectionResult, undo []func()) (gateway.Response, error) {
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
	} else {
		undoFrom(c.r.Context()).add(undo...)
	}
	return gateway.JSON(http.StatusOK, results)
}

// compositeCreate serves POST /composite/sobjects.
func (s *Service) compositeCreate(c *call) (gateway.Response, error) {
	req, err := readCollection(c)
	if err != nil {
		return gateway.Response{}, err
	}
	results := make([]collectionResult, len(req.Records))
	var undo []func()
	for i, fields := range req.Records {
		o, terr := recordType(c, fields)
		if terr != nil {
			results[i] = collectionResult{Errors: []org.DMLError{*terr}}
			continue
		}
		rec, errs := c.org.Data.Insert(o, fields, c.session.User, c.now, c.createOptions())
		if errs != nil {
			results[i] = collectionResult{Errors: errs}
			continue
		}
		id := rec.ID
		results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}}
		undo = append(undo, func() { c.org.Data.Erase(id) })
	}
	return finish(c, req, results, undo)
}

// compositeUpdate serves PATCH /composite/sobjects.
func (s *Service) compositeUpdate(c *call) (gateway.Response, error) {
	req, err := readCollection(c)
	if err != nil {
		return gateway.Response{}, err
	}
	results := make([]collectionResult, len(req.Records))
	var undo []func()
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
	return finish(c, req, results, undo)
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
	return finish(c, req, results, undo)
}
