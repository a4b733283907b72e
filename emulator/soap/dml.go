package soap

import (
	"fmt"
	"strings"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// maxRecords is the SOAP API's limit of records per create, update, upsert,
// delete, undelete or retrieve call.
const maxRecords = 200

func tooManyRecords() *fault {
	return unexpected("EXCEEDED_ID_LIMIT", fmt.Sprintf("record limit reached. cannot submit more than %d records into this call", maxRecords))
}

// result is one SaveResult, UpsertResult, DeleteResult or UndeleteResult.
type result struct {
	id      org.ID
	created *bool // upsert only
	errs    []org.DMLError
}

func (r result) success() bool { return len(r.errs) == 0 }

// rolledBack is what a record that succeeded gets when AllOrNoneHeader
// undoes the call because another failed.
var rolledBack = org.DMLError{StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK",
	Message: "Record rolled back because not all records were valid and the request was using AllOrNone header"}

// batch runs one DML call's records: each gets a result. The call is one
// transaction: its rules fire, and their outbound messages queue, when it
// commits at the end; with AllOrNoneHeader allOrNone=true one failure rolls
// every change back and nothing fires.
type batch struct {
	c       *call
	tx      *org.Tx
	results []result
}

func (c *call) newBatch() *batch { return &batch{c: c, tx: org.NewTx()} }

func (bt *batch) add(r result) { bt.results = append(bt.results, r) }

// abandon rolls back a call that ends in a fault: none of it stands.
func (bt *batch) abandon() { bt.tx.Rollback() }

func (bt *batch) finish() {
	failed := false
	for _, r := range bt.results {
		failed = failed || !r.success()
	}
	if !failed || !bt.c.req.header.allOrNone {
		bt.tx.Commit()
		return
	}
	bt.tx.Rollback()
	for i, r := range bt.results {
		if r.success() {
			bt.results[i] = result{errs: []org.DMLError{rolledBack}, created: r.created}
		} else if bt.results[i].created != nil {
			f := false
			bt.results[i].created = &f
		}
	}
}

// appendResults writes <name><result>…</result>…</name>: errors (fields,
// message, statusCode), id (nil on failure when unknown), success — in the
// order of the WSDL and of a captured createResponse.
func appendResults(b []byte, name string, results []result) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	for _, r := range results {
		b = append(b, "<result>"...)
		if r.created != nil {
			b = appendBool(b, "created", *r.created && r.success())
		}
		for _, e := range r.errs {
			b = append(b, "<errors>"...)
			for _, f := range e.Fields {
				b = appendElem(b, "fields", f)
			}
			b = appendElem(b, "message", e.Message)
			b = appendElem(b, "statusCode", e.StatusCode)
			b = append(b, "</errors>"...)
		}
		b = appendElemOrNil(b, "id", string(r.id))
		b = appendBool(b, "success", r.success())
		b = append(b, "</result>"...)
	}
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// sobjects reads a call's sObjects arguments, at most maxRecords.
func (c *call) sobjects() ([]sobject, error) {
	nodes := c.req.body.all("sObjects")
	if len(nodes) > maxRecords {
		return nil, tooManyRecords()
	}
	out := make([]sobject, len(nodes))
	for i, n := range nodes {
		out[i] = c.readSObject(n)
		if u := out[i].unknown; u != nil {
			// The whole call fails, as a Partner update with an unknown field
			// does (developerforce/Force.com-Toolkit-for-PHP issue 25:
			// "[sf:INVALID_FIELD] INVALID_FIELD: No such column '' on entity
			// 'Lead'…"), where REST fails only that record.
			obj := c.org.Schema.Object(out[i].object)
			return nil, &fault{code: "INVALID_FIELD", kind: "InvalidFieldFault", message: soql.NoSuchColumnText(*u, obj.Name)}
		}
	}
	return out, nil
}

// objectOf resolves an sObject's type, as a DML error when it cannot be.
func (c *call) objectOf(so sobject) (*org.Object, *org.DMLError) {
	if so.object == "" {
		return nil, &org.DMLError{StatusCode: "INVALID_TYPE", Message: "Must send a concrete entity type."}
	}
	o := c.org.Schema.Object(so.object)
	if o == nil {
		return nil, &org.DMLError{StatusCode: "INVALID_TYPE", Message: fmt.Sprintf("sObject type '%s' is not supported.", so.object)}
	}
	return o, nil
}

func fail(e org.DMLError) result { return result{errs: []org.DMLError{e}} }

// create inserts each sObject with the same checks as the REST API.
func create(c *call, b []byte) ([]byte, error) {
	sos, err := c.sobjects()
	if err != nil {
		return nil, err
	}
	bt := c.newBatch()
	for _, so := range sos {
		obj, derr := c.objectOf(so)
		if derr != nil {
			bt.add(fail(*derr))
			continue
		}
		if so.id != "" {
			bt.add(fail(org.DMLError{StatusCode: "INVALID_FIELD", Message: "The Id field should not be specified in the sobject data.", Fields: []string{"Id"}}))
			continue
		}
		rec, errs := c.org.Data.Insert(obj, so.fields, c.session.User, c.Now, org.DMLOptions{Assignment: c.req.header.assignment, Tx: bt.tx})
		if errs != nil {
			bt.add(result{errs: errs})
			continue
		}
		bt.add(result{id: rec.ID})
	}
	bt.finish()
	return appendResults(b, "createResponse", bt.results), nil
}

// updateOp changes each sObject named by its Id.
func updateOp(c *call, b []byte) ([]byte, error) {
	sos, err := c.sobjects()
	if err != nil {
		return nil, err
	}
	bt := c.newBatch()
	for _, so := range sos {
		if _, derr := c.objectOf(so); derr != nil {
			bt.add(fail(*derr))
			continue
		}
		bt.add(c.updateOne(bt.tx, so))
	}
	bt.finish()
	return appendResults(b, "updateResponse", bt.results), nil
}

func (c *call) updateOne(tx *org.Tx, so sobject) result {
	if so.id == "" {
		return fail(org.DMLError{StatusCode: "MISSING_ARGUMENT", Message: "Id not specified in an update call"})
	}
	id, err := org.ParseID(so.id)
	if err != nil {
		return fail(org.DMLError{StatusCode: "MALFORMED_ID", Message: "Id value of incorrect type: " + so.id, Fields: []string{"Id"}})
	}
	prev := c.org.Data.Get(id)
	if prev == nil || !strings.EqualFold(prev.Object.Name, so.object) {
		return fail(org.DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id"})
	}
	if prev.Deleted() {
		return result{id: id, errs: []org.DMLError{{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted"}}}
	}
	if _, errs := c.org.Data.UpdateIn(tx, id, so.fields, c.session.User, c.Now); errs != nil {
		return result{id: id, errs: errs}
	}
	return result{id: id}
}

// upsert inserts or updates each sObject by the external id field named:
// no match inserts (created true), one match updates, several are an error.
func upsert(c *call, b []byte) ([]byte, error) {
	fieldName := c.req.body.childText("externalIDFieldName")
	sos, err := c.sobjects()
	if err != nil {
		return nil, err
	}
	bt := c.newBatch()
	for _, so := range sos {
		created := false
		obj, derr := c.objectOf(so)
		if derr != nil {
			r := fail(*derr)
			r.created = &created
			bt.add(r)
			continue
		}
		f := obj.Field(fieldName)
		if f == nil || !(f.ExternalID || f.Name == "Id") {
			bt.abandon()
			return nil, &fault{code: "INVALID_FIELD", kind: "InvalidFieldFault",
				message: fmt.Sprintf("Field name provided, %s is not an External ID or indexed field for %s", fieldName, obj.Name)}
		}
		value := so.id
		if f.Name != "Id" {
			value, _ = so.fields[f.Name].(string)
			if value == "" {
				r := fail(org.DMLError{StatusCode: "MISSING_ARGUMENT", Message: f.Name + " not specified", Fields: []string{f.Name}})
				r.created = &created
				bt.add(r)
				continue
			}
		}
		var matches []*org.Record
		if value != "" {
			matches, _ = c.org.Data.Lookup(obj, f, value, false)
		}
		switch {
		case len(matches) == 0 && f.Name == "Id" && value != "":
			r := fail(org.DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id"})
			r.created = &created
			bt.add(r)
		case len(matches) == 0:
			rec, errs := c.org.Data.Insert(obj, so.fields, c.session.User, c.Now, org.DMLOptions{Assignment: c.req.header.assignment, Tx: bt.tx})
			if errs != nil {
				bt.add(result{errs: errs, created: &created})
				continue
			}
			created = true
			bt.add(result{id: rec.ID, created: &created})
		case len(matches) == 1:
			so.id = string(matches[0].ID)
			r := c.updateOne(bt.tx, so)
			r.created = &created
			bt.add(r)
		default:
			r := fail(org.DMLError{StatusCode: "DUPLICATE_EXTERNAL_ID", Message: fmt.Sprintf("Duplicate external id specified: %s", value), Fields: []string{f.Name}})
			r.created = &created
			bt.add(r)
		}
	}
	bt.finish()
	return appendResults(b, "upsertResponse", bt.results), nil
}

// ids reads a call's ids arguments, at most maxRecords.
func (c *call) ids() ([]string, error) {
	nodes := c.req.body.all("ids")
	if len(nodes) > maxRecords {
		return nil, tooManyRecords()
	}
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = strings.TrimSpace(n.text.String())
	}
	return out, nil
}

// deleteOp moves each record to the recycle bin.
func deleteOp(c *call, b []byte) ([]byte, error) {
	return c.byIDs(b, "deleteResponse", func(tx *org.Tx, id org.ID) *org.DMLError {
		if c.org.Data.Get(id) == nil {
			return &org.DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id"}
		}
		return c.org.Data.DeleteIn(tx, id, c.session.User, c.Now)
	})
}

// undelete takes each record out of the recycle bin.
func undelete(c *call, b []byte) ([]byte, error) {
	return c.byIDs(b, "undeleteResponse", func(tx *org.Tx, id org.ID) *org.DMLError {
		return c.org.Data.UndeleteIn(tx, id, c.session.User, c.Now)
	})
}

func (c *call) byIDs(b []byte, name string, do func(*org.Tx, org.ID) *org.DMLError) ([]byte, error) {
	ids, err := c.ids()
	if err != nil {
		return nil, err
	}
	bt := c.newBatch()
	for _, raw := range ids {
		id, err := org.ParseID(raw)
		if err != nil {
			bt.add(fail(org.DMLError{StatusCode: "MALFORMED_ID", Message: "malformed id " + raw}))
			continue
		}
		if c.org.Data.Get(id) == nil {
			bt.add(fail(org.DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id"}))
			continue
		}
		if derr := do(bt.tx, id); derr != nil {
			bt.add(result{id: id, errs: []org.DMLError{*derr}})
			continue
		}
		bt.add(result{id: id})
	}
	bt.finish()
	return appendResults(b, name, bt.results), nil
}
