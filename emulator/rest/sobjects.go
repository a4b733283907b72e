package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// maxBodyBytes bounds a REST request body (Salesforce's REST limit is larger;
// a fake needs no more).
const maxBodyBytes = 8 << 20

// object resolves {object} in the URL: NOT_FOUND when unknown.
func (s *Service) object(c *call) (*org.Object, error) {
	o := c.org.Schema.Object(c.Var("object"))
	if o == nil {
		return nil, errNotFound
	}
	return o, nil
}

// jsonObject is a decoded JSON object body, with where each top-level
// value starts (for Jackson's "at [line:L, column:C]").
type jsonObject struct {
	fields  map[string]any
	offsets map[string]int64
	body    []byte
}

// decodeBody reads a JSON object body. A syntax or type error answers
// JSON_PARSER_ERROR naming line and column, as Salesforce's parser does.
func decodeBody(c *call) (*jsonObject, error) {
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return nil, err
	}
	fields, offsets, err := parseObject(data)
	if err != nil {
		return nil, badRequest("JSON_PARSER_ERROR", err.Error())
	}
	return &jsonObject{fields, offsets, data}, nil
}

// parseObject decodes a JSON object, remembering where each top-level value starts.
func parseObject(data []byte) (map[string]any, map[string]int64, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	fail := func(err error, off int64) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		pos := badCharIndex(data, int(off), err.Error())
		line, col := lineCol(data, int64(pos))
		ch := "end-of-input"
		if pos < len(data) {
			ch = fmt.Sprintf("'%c' (code %d)", data[pos], data[pos])
		}
		// Jackson counts the column after the character it choked on.
		return fmt.Errorf("Unexpected character (%s): %s at [line:%d, column:%d]", ch, jacksonReason(data, pos), line, col+1)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fail(err, dec.InputOffset())
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		line, col := lineCol(data, dec.InputOffset())
		return nil, nil, fmt.Errorf("Cannot deserialize instance of SObject out of %s token at [line:%d, column:%d]", jacksonToken(tok), line, col)
	}
	fields, offsets := map[string]any{}, map[string]int64{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, fail(err, dec.InputOffset())
		}
		key, _ := kt.(string)
		offsets[key] = dec.InputOffset()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fail(err, dec.InputOffset())
		}
		fields[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fail(err, dec.InputOffset())
	}
	return fields, offsets, nil
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// badCharIndex finds the character a JSON syntax error is about: Go's
// offsets sometimes count it and sometimes stop just before it.
func badCharIndex(data []byte, off int, msg string) int {
	want := byte(0)
	if i := strings.Index(msg, "invalid character '"); i >= 0 && i+19 < len(msg) {
		want = msg[i+19]
	}
	for _, start := range []int{off - 1, off} {
		p := max(start, 0)
		for p < len(data) && isJSONSpace(data[p]) {
			p++
		}
		if p < len(data) && (want == 0 || data[p] == want) {
			return p
		}
	}
	return min(max(off, 0), len(data))
}

// jacksonReason words the error as Salesforce's parser (Jackson) does, from
// what came before the offending character.
func jacksonReason(data []byte, pos int) string {
	prev := byte(0)
	for i := pos - 1; i >= 0; i-- {
		if !isJSONSpace(data[i]) {
			prev = data[i]
			break
		}
	}
	switch {
	case pos >= len(data):
		return "expected close marker for Object"
	case prev == '{' || prev == ',':
		return "was expecting double-quote to start field name"
	case prev == ':' || prev == '[':
		return "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
	case prev == '"':
		return "was expecting a colon to separate field name and value"
	}
	return "was expecting comma to separate Object entries"
}

func jacksonToken(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "START_ARRAY"
	case string:
		return "VALUE_STRING"
	case bool:
		return "VALUE_TRUE"
	case nil:
		return "VALUE_NULL"
	}
	return "VALUE_NUMBER_INT"
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// withPositions adds Jackson's "at [line:L, column:C]" to a JSON_PARSER_ERROR
// about a field's value, pointing at that value in the body.
func withPositions(errs []org.DMLError, body *jsonObject) []org.DMLError {
	for i, e := range errs {
		if e.StatusCode != "JSON_PARSER_ERROR" || e.Field == "" {
			continue
		}
		for key, off := range body.offsets {
			if strings.EqualFold(key, e.Field) {
				line, col := lineCol(body.body, off)
				errs[i].Message = fmt.Sprintf("%s at [line:%d, column:%d]", e.Message, line, col+1)
			}
		}
	}
	return errs
}

type createResult struct {
	ID      org.ID         `json:"id"`
	Success bool           `json:"success"`
	Errors  []org.DMLError `json:"errors"`
	Created *bool          `json:"created,omitempty"`
}

// create serves POST /sobjects/X: 201 {"id","success":true,"errors":[]}.
func (s *Service) create(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	body, err := decodeBody(c)
	if err != nil {
		return gateway.Response{}, err
	}
	rec, errs := c.org.Data.Insert(o, body.fields, c.session.User, c.now, c.createOptions())
	if errs != nil {
		return gateway.Response{}, dmlFailed(withPositions(errs, body)...)
	}
	return gateway.JSON(http.StatusCreated, createResult{ID: rec.ID, Success: true, Errors: org.PublishNotes(rec)})
}

// recordByID resolves {id} for a read, update or delete. GET answers a
// malformed id as Salesforce does — as an unknown external ID field.
func (s *Service) recordByID(c *call, o *org.Object, raw string) (*org.Record, error) {
	id, err := org.ParseID(raw)
	if err != nil {
		if c.r.Method == http.MethodGet {
			return nil, &apiError{http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + raw}
		}
		return nil, badRequest("MALFORMED_ID", fmt.Sprintf("%s ID: id value of incorrect type: %s", o.Label, raw))
	}
	rec := c.org.Data.Get(id)
	if rec == nil || rec.Object != o {
		return nil, errNotFound
	}
	if rec.Deleted() {
		return nil, &apiError{http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted"}
	}
	return rec, nil
}

// selectedFields resolves ?fields=a,b (all fields when absent).
func selectedFields(c *call, o *org.Object) ([]*org.Field, error) {
	list := c.r.URL.Query().Get("fields")
	if list == "" {
		return c.user().ReadableFields(o.Fields), nil
	}
	var out []*org.Field
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		f := o.Field(name)
		if f == nil || !c.user().CanRead(f) {
			return nil, badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", name, o.Name))
		}
		out = append(out, f)
	}
	return out, nil
}

// appendRecord writes a record with its attributes and the given fields.
func appendRecord(b []byte, c *call, rec *org.Record, fields []*org.Field) []byte {
	b = append(b, `{"attributes":{"type":`...)
	b = appendString(b, rec.Object.Name)
	b = append(b, `,"url":`...)
	b = appendString(b, c.recordURL(rec.Object, rec.ID))
	b = append(b, '}')
	for _, f := range fields {
		b = append(b, ',')
		b = appendString(b, f.Name)
		b = append(b, ':')
		b = appendValue(b, f, rec.Get(f))
	}
	return append(b, '}')
}

// target resolves /sobjects/{object}/{id}.
func (s *Service) target(c *call) (*org.Object, *org.Record, error) {
	o, err := s.object(c)
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.recordByID(c, o, c.Var("id"))
	return o, rec, err
}

func (s *Service) read(c *call) (gateway.Response, error) {
	o, rec, err := s.target(c)
	if err != nil {
		return gateway.Response{}, err
	}
	fields, err := selectedFields(c, o)
	if err != nil {
		return gateway.Response{}, err
	}
	return jsonBody(http.StatusOK, appendRecord(nil, c, rec, fields))
}

// update serves PATCH /sobjects/X/{id}: 204 No Content.
func (s *Service) update(c *call) (gateway.Response, error) {
	_, rec, err := s.target(c)
	if err != nil {
		return gateway.Response{}, err
	}
	body, err := decodeBody(c)
	if err != nil {
		return gateway.Response{}, err
	}
	if _, errs := c.org.Data.UpdateIn(c.tx(), rec.ID, body.fields, c.session.User, c.now); errs != nil {
		return gateway.Response{}, dmlFailed(withPositions(errs, body)...)
	}
	return gateway.NoContent(), nil
}

// delete serves DELETE /sobjects/X/{id}: 204 No Content.
func (s *Service) delete(c *call) (gateway.Response, error) {
	_, rec, err := s.target(c)
	if err != nil {
		return gateway.Response{}, err
	}
	if derr := c.org.Data.DeleteIn(c.tx(), rec.ID, c.session.User, c.now); derr != nil {
		return gateway.Response{}, dmlFailed(*derr)
	}
	return gateway.NoContent(), nil
}

// externalIDField resolves {field} of an upsert or external-id read.
func externalIDField(c *call, o *org.Object) (*org.Field, error) {
	name := c.Var("field")
	f := o.Field(name)
	if f == nil || !(f.ExternalID || f.Name == "Id") || !c.user().CanRead(f) {
		return nil, &apiError{http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + name}
	}
	return f, nil
}

// externalTarget resolves /sobjects/{object}/{field}/{value}'s object and field.
func (s *Service) externalTarget(c *call) (*org.Object, *org.Field, error) {
	o, err := s.object(c)
	if err != nil {
		return nil, nil, err
	}
	f, err := externalIDField(c, o)
	return o, f, err
}

// readByExternalID serves GET /sobjects/X/{field}/{value}, and
// /sobjects/X/{id}/{relationship} when the first segment is a record id
// rather than a field of X.
func (s *Service) readByExternalID(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	if o.Field(c.Var("field")) == nil {
		if id, err := org.ParseID(c.Var("field")); err == nil {
			return s.relationship(c, o, id, c.Var("value"))
		}
	}
	f, err := externalIDField(c, o)
	if err != nil {
		return gateway.Response{}, err
	}
	recs, _ := c.org.Data.Lookup(o, f, c.Var("value"), false)
	switch len(recs) {
	case 0:
		return gateway.Response{}, errNotFound
	case 1:
		fields, err := selectedFields(c, o)
		if err != nil {
			return gateway.Response{}, err
		}
		return jsonBody(http.StatusOK, appendRecord(nil, c, recs[0], fields))
	}
	return multipleChoices(c, recs)
}

func multipleChoices(c *call, recs []*org.Record) (gateway.Response, error) {
	urls := make([]string, len(recs))
	for i, r := range recs {
		urls[i] = c.recordURL(r.Object, r.ID)
	}
	return gateway.JSON(http.StatusMultipleChoices, urls)
}

// upsert serves PATCH /sobjects/X/{externalIdField}/{value}: 201 created,
// 200 (204 before API 46.0) updated, 300 when several records match.
func (s *Service) upsert(c *call) (gateway.Response, error) {
	o, f, err := s.externalTarget(c)
	if err != nil {
		return gateway.Response{}, err
	}
	body, err := decodeBody(c)
	if err != nil {
		return gateway.Response{}, err
	}
	fields := body.fields
	value := c.Var("value")
	recs, _ := c.org.Data.Lookup(o, f, value, false)
	switch len(recs) {
	case 0:
		if f.Name == "Id" {
			return gateway.Response{}, errNotFound
		}
		fields[f.Name] = value
		rec, errs := c.org.Data.Insert(o, fields, c.session.User, c.now, c.createOptions())
		if errs != nil {
			return gateway.Response{}, dmlFailed(errs...)
		}
		created := true
		return gateway.JSON(http.StatusCreated, createResult{ID: rec.ID, Success: true, Errors: []org.DMLError{}, Created: &created})
	case 1:
		if _, errs := c.org.Data.UpdateIn(c.tx(), recs[0].ID, fields, c.session.User, c.now); errs != nil {
			return gateway.Response{}, dmlFailed(errs...)
		}
		if v, _ := strconv.ParseFloat(c.version, 64); v < 46 {
			return gateway.NoContent(), nil
		}
		created := false
		return gateway.JSON(http.StatusOK, createResult{ID: recs[0].ID, Success: true, Errors: []org.DMLError{}, Created: &created})
	}
	return multipleChoices(c, recs)
}

type objectURLs struct {
	SObject     string `json:"sobject"`
	Describe    string `json:"describe"`
	RowTemplate string `json:"rowTemplate"`
}

type objectSummary struct {
	Name         string     `json:"name"`
	Label        string     `json:"label"`
	LabelPlural  string     `json:"labelPlural"`
	KeyPrefix    *string    `json:"keyPrefix"`
	Custom       bool       `json:"custom"`
	Createable   bool       `json:"createable"`
	Updateable   bool       `json:"updateable"`
	Deletable    bool       `json:"deletable"`
	Queryable    bool       `json:"queryable"`
	Searchable   bool       `json:"searchable"`
	Retrieveable bool       `json:"retrieveable"`
	URLs         objectURLs `json:"urls"`
}

func summarize(c *call, o *org.Object) objectSummary {
	p := c.urlPrefix() + "/sobjects/" + o.Name
	prefix := o.KeyPrefix
	return objectSummary{Name: o.Name, Label: o.Label, LabelPlural: o.LabelPlural, KeyPrefix: &prefix, Custom: o.Custom,
		Createable: o.Createable, Updateable: o.Updateable, Deletable: o.Deletable, Queryable: o.Queryable,
		Searchable: o.Searchable, Retrieveable: true,
		URLs: objectURLs{SObject: p, Describe: p + "/describe", RowTemplate: p + "/{ID}"}}
}

// globalDescribe serves GET /sobjects.
func (s *Service) globalDescribe(c *call) (gateway.Response, error) {
	var objs []objectSummary
	for _, o := range c.org.Schema.Objects() {
		objs = append(objs, summarize(c, o))
	}
	return gateway.JSON(http.StatusOK, struct {
		Encoding     string          `json:"encoding"`
		MaxBatchSize int             `json:"maxBatchSize"`
		SObjects     []objectSummary `json:"sobjects"`
	}{"UTF-8", 200, objs})
}

// objectInfo serves GET /sobjects/X: basic information and recent items.
func (s *Service) objectInfo(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	return gateway.JSON(http.StatusOK, struct {
		ObjectDescribe objectSummary `json:"objectDescribe"`
		RecentItems    []any         `json:"recentItems"`
	}{summarize(c, o), []any{}})
}

// describe serves GET /sobjects/X/describe.
func (s *Service) describe(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	sum := summarize(c, o)
	return gateway.JSON(http.StatusOK, struct {
		objectSummary
		Fields             []org.FieldDescribe             `json:"fields"`
		ChildRelationships []org.ChildRelationshipDescribe `json:"childRelationships"`
	}{sum, o.DescribeFieldsFor(c.user()), o.DescribeChildRelationshipsFor(c.user())})
}
