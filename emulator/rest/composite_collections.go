package rest

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// errTooManyRecords answers an sObject Collections request over 200
// records, in the words of Salesforce's API-wide EXCEEDED_ID_LIMIT (the
// SOAP API's and the REST collections' "record limit reached").
var errTooManyRecords = badRequest("EXCEEDED_ID_LIMIT",
	fmt.Sprintf("record limit reached. cannot submit more than %d records into this call", maxCompositeRecords))

// maxRetrieveIDs is sObject Collections' retrieve limit ("Retrieve
// Multiple Records with Fewer Round-Trips": up to 2,000 with POST). GET is
// held to the same number; Salesforce's GET is bounded by URL length
// instead (UNKNOWN exactly where).
const maxRetrieveIDs = 2000

// compositeRetrieve serves GET /composite/sobjects/X?ids=…&fields=… and
// POST /composite/sobjects/X with {"ids":[…],"fields":[…]} (sObject
// Collections, "Retrieve Multiple Records"): the records in the order
// asked, null for ids that match nothing.
func (s *Service) compositeRetrieve(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	var ids, names []string
	if c.r.Method == http.MethodPost {
		data, err := c.Body(maxBodyBytes)
		if err != nil {
			return gateway.Response{}, err
		}
		var body struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		if err := decodeJSON(data, &body); err != nil {
			return gateway.Response{}, err
		}
		ids, names = body.IDs, body.Fields
	} else {
		q := c.r.URL.Query()
		if q.Get("ids") != "" {
			ids = strings.Split(q.Get("ids"), ",")
		}
		if q.Get("fields") != "" {
			names = strings.Split(q.Get("fields"), ",")
		}
	}
	if len(names) == 0 {
		return gateway.Response{}, badRequest("MALFORMED_QUERY", "The 'fields' parameter is required")
	}
	if len(ids) > maxRetrieveIDs {
		return gateway.Response{}, badRequest("EXCEEDED_ID_LIMIT",
			fmt.Sprintf("record limit reached. cannot submit more than %d records into this call", maxRetrieveIDs))
	}
	fields := make([]*org.Field, 0, len(names))
	for _, name := range names {
		name = strings.TrimSpace(name)
		f := o.Field(name)
		if f == nil || !c.user().CanRead(f) {
			return gateway.Response{}, badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", name, o.Name))
		}
		fields = append(fields, f)
	}
	b := []byte{'['}
	for i, raw := range ids {
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
	return jsonBody(http.StatusOK, append(b, ']'))
}

// compositeUpsert serves PATCH /composite/sobjects/X/{externalIdField}
// (sObject Collections, "Upsert Records Using sObject Collections"): each
// record is matched on the field's value, created when none matches
// ("created":true), updated when one does ("created":false).
func (s *Service) compositeUpsert(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	f, err := externalIDField(c, o)
	if err != nil {
		return gateway.Response{}, err
	}
	req, err := readCollection(c)
	if err != nil {
		return gateway.Response{}, err
	}
	results := make([]collectionResult, len(req.Records))
	tx := c.tx().Begin()
	fail := func(i int, e org.DMLError) {
		if e.Fields == nil {
			e.Fields = []string{}
		}
		results[i] = collectionResult{Errors: []org.DMLError{e}}
	}
	for i, fields := range req.Records {
		if attrs, ok := fields["attributes"].(map[string]any); ok {
			if name, _ := attrs["type"].(string); name != "" && !strings.EqualFold(name, o.Name) {
				// Salesforce's answer to a record of another type is UNKNOWN.
				fail(i, org.DMLError{StatusCode: "INVALID_TYPE", Message: fmt.Sprintf("sObject type '%s' does not match the type '%s' of the request URL", name, o.Name)})
				continue
			}
		}
		delete(fields, "attributes")
		value, ok := lookupField(fields, f.Name)
		if !ok || value == nil || fmt.Sprint(value) == "" {
			fail(i, org.DMLError{StatusCode: "MISSING_ARGUMENT", Message: f.Name + " not specified"})
			continue
		}
		key := fmt.Sprint(value)
		recs, _ := c.org.Data.Lookup(o, f, key, false)
		switch len(recs) {
		case 0:
			if f.Name == "Id" {
				fail(i, org.DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id"})
				continue
			}
			rec, errs := c.org.Data.Insert(o, fields, c.session.User, c.now, c.createOptionsIn(tx))
			if errs != nil {
				results[i] = collectionResult{Errors: errs}
				continue
			}
			id, created := rec.ID, true
			results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}, Created: &created}
		case 1:
			id, created := recs[0].ID, false
			if _, errs := c.org.Data.UpdateIn(tx, id, fields, c.session.User, c.now); errs != nil {
				results[i] = collectionResult{ID: &id, Errors: errs}
				continue
			}
			results[i] = collectionResult{ID: &id, Success: true, Errors: []org.DMLError{}, Created: &created}
		default:
			ids := make([]string, len(recs))
			for j, r := range recs {
				ids[j] = string(r.ID)
			}
			fail(i, org.DMLError{StatusCode: "DUPLICATE_EXTERNAL_ID",
				Message: fmt.Sprintf("%s: more than one record found for external id field: [%s]", f.Label, strings.Join(ids, ", "))})
		}
	}
	return finish(req.AllOrNone, results, tx)
}

// lookupField is fields[name], matched case-insensitively as field names are.
func lookupField(fields map[string]any, name string) (any, bool) {
	if v, ok := fields[name]; ok {
		return v, true
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
