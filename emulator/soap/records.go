package soap

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// appendRecord writes one query row as the element elem ("records",
// "result", or "sf:Account" for a parent).
//
// Partner, as real query responses show it: xsi:type="sf:sObject", sf:type,
// the sObject's own sf:Id (nil unless Id was selected — a parent reached
// through a relationship shows <sf:Id xsi:nil="true"/>), then the selected
// fields in SELECT order, Id again among them when selected. Null values are
// xsi:nil elements; a parent is a nested sObject; a child subquery a nested
// QueryResult.
//
// Enterprise: xsi:type="sf:<Object>", then Id (nil when not selected, as
// the WSDL's sObject base type requires it) and the other selected fields in
// the order the Enterprise WSDL declares them — alphabetical — so that
// schema-bound clients read every one.
func (c *call) appendRecord(b []byte, elem string, row *soql.Row) []byte {
	typeName := "AggregateResult"
	if row.Object != nil {
		typeName = row.Object.Name
	}
	b = append(b, '<')
	b = append(b, elem...)
	b = append(b, ` xsi:type="sf:`...)
	if c.api.typed() {
		b = soapxml.AppendAttr(b, typeName)
	} else {
		b = append(b, "sObject"...)
	}
	b = append(b, `">`...)
	fields := row.Fields
	selectsID := false
	for _, fv := range fields {
		selectsID = selectsID || fv.Name == "Id"
	}
	var order []int
	if c.api.typed() {
		if row.Object != nil {
			order = c.order.of(row)
		}
		if !selectsID {
			// The Enterprise WSDL's sObject base type requires its Id element
			// (nillable): a record without Id selected carries it nil.
			b = appendNil(b, "sf:Id")
		}
	} else {
		b = appendElem(b, "sf:type", typeName)
		id := ""
		if selectsID {
			id = string(row.ID)
		}
		b = appendElemOrNil(b, "sf:Id", id)
	}
	if order != nil {
		for _, i := range order {
			b = c.appendFieldValue(b, fields[i])
		}
	} else {
		for _, fv := range fields {
			b = c.appendFieldValue(b, fv)
		}
	}
	b = append(b, "</"...)
	b = append(b, elem...)
	return append(b, '>')
}

// fieldOrder remembers the Enterprise order of a row shape: Id first, the
// rest alphabetically (aggregate rows keep their SELECT order: their
// elements are any). Every row of one query has the same shape, so the
// order is worked out once per shape, not per row.
type fieldOrder struct {
	shapes []shape
}

type shape struct {
	object *org.Object
	names  []string
	perm   []int
}

func (fo *fieldOrder) of(row *soql.Row) []int {
	for _, sh := range fo.shapes {
		if sh.object == row.Object && sameNames(sh.names, row.Fields) {
			return sh.perm
		}
	}
	names := make([]string, len(row.Fields))
	perm := make([]int, len(row.Fields))
	for i, fv := range row.Fields {
		names[i], perm[i] = fv.Name, i
	}
	sort.SliceStable(perm, func(i, j int) bool {
		a, b := names[perm[i]], names[perm[j]]
		if (a == "Id") != (b == "Id") {
			return a == "Id"
		}
		return a < b
	})
	fo.shapes = append(fo.shapes, shape{row.Object, names, perm})
	return perm
}

func sameNames(names []string, fields []soql.FieldValue) bool {
	if len(names) != len(fields) {
		return false
	}
	for i := range names {
		if names[i] != fields[i].Name {
			return false
		}
	}
	return true
}

func (c *call) appendFieldValue(b []byte, fv soql.FieldValue) []byte {
	name := "sf:" + fv.Name
	switch v := fv.Value.(type) {
	case *soql.Row:
		if v == nil {
			return appendNil(b, name)
		}
		return c.appendRecord(b, name, v)
	case *soql.Result:
		if v == nil {
			return appendNil(b, name)
		}
		b = append(b, '<')
		b = append(b, name...)
		b = append(b, ` xsi:type="QueryResult">`...)
		b = c.appendQueryResultBody(b, v, v.Rows, true, "")
		b = append(b, "</"...)
		b = append(b, name...)
		return append(b, '>')
	case *org.Address:
		return appendAddress(b, name, v)
	case nil:
		return appendNil(b, name)
	}
	start := len(b)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	valueStart := len(b)
	if n, ok := fv.Value.(int); ok && fv.Field == nil {
		b = strconv.AppendInt(b, int64(n), 10) // COUNT(…) and other integer aggregates
	} else {
		b = soapxml.AppendValue(b, fv.Field, fv.Value)
	}
	if len(b) == valueStart { // no lexical form (NaN): null
		return appendNil(b[:start], name)
	}
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendQueryResultBody writes the inside of a QueryResult: done,
// queryLocator, records, size.
func (c *call) appendQueryResultBody(b []byte, res *soql.Result, rows []*soql.Row, done bool, locator string) []byte {
	b = appendBool(b, "done", done)
	b = appendElemOrNil(b, "queryLocator", locator)
	for _, row := range rows {
		b = c.appendRecord(b, "records", row)
	}
	return appendIntElem(b, "size", res.TotalSize)
}

// sobject is a record a DML call sends: its type and its fields as the
// record checks take them.
type sobject struct {
	object string         // "" when the sObject names no type
	id     string         // the Id element's text
	fields map[string]any // by field name, Id excluded
	// unknown is the first field (element or fieldsToNull name) the type
	// lacks, in document order; "" when all are known or the type is.
	unknown *string
}

// readSObject reads an sObject argument. Partner names the type in a type
// element; Enterprise in xsi:type. Fields are matched by local name, so
// clients that put them in the wrong namespace still work; fieldsToNull
// sets the named fields to null.
func (c *call) readSObject(n *node) sobject {
	so := sobject{fields: map[string]any{}}
	if c.api.typed() {
		so.object = n.xsiType()
	}
	var schemaObj *org.Object
	for _, f := range n.children {
		switch f.local {
		case "type":
			if !c.api.typed() {
				so.object = strings.TrimSpace(f.text.String())
			}
		case "Id":
			so.id = strings.TrimSpace(f.text.String())
		}
	}
	if so.object != "" && c.org != nil {
		schemaObj = c.org.Schema.Object(so.object)
	}
	for _, f := range n.children {
		name := f.local
		switch name {
		case "type", "Id":
			continue
		case "fieldsToNull":
			name = strings.TrimSpace(f.text.String())
		}
		if schemaObj != nil && so.unknown == nil && (schemaObj.Field(name) == nil || !c.user().CanRead(schemaObj.Field(name))) {
			so.unknown = &name
		}
		if f.local == "fieldsToNull" {
			so.fields[name] = nil
			continue
		}
		if f.isNil {
			so.fields[f.local] = nil
			continue
		}
		var field *org.Field
		if schemaObj != nil {
			field = schemaObj.Field(f.local)
		}
		so.fields[f.local] = fieldInput(field, f.text.String())
	}
	return so
}

// fieldInput turns an element's text into what the record checks take:
// numbers as json.Number and booleans as bool for fields of those types,
// text otherwise (the checks then report a value that does not fit).
func fieldInput(f *org.Field, text string) any {
	if f == nil {
		return text
	}
	switch {
	case f.Type == org.TypeBoolean:
		switch strings.TrimSpace(text) {
		case "true", "1":
			return true
		case "false", "0":
			return false
		}
	case f.Type.IsNumber():
		t := strings.TrimSpace(text)
		if _, err := strconv.ParseFloat(t, 64); err == nil {
			return json.Number(t)
		}
	}
	return text
}

// appendAddress writes a compound address as the WSDLs' address type
// declares it: location's latitude and longitude, then the address's own
// elements, each present (xsi:nil when null); countryCode and stateCode are
// always null, as sfemu has no state and country picklists.
func appendAddress(b []byte, name string, a *org.Address) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, ` xsi:type="address">`...)
	value := func(key string) any {
		for i, k := range org.AddressKeys {
			if k == key {
				return a.Values[i]
			}
		}
		return nil
	}
	for _, key := range []string{"latitude", "longitude"} {
		b = appendAddressPart(b, key, value(key))
	}
	for _, key := range soapAddressKeys {
		b = appendAddressPart(b, key, value(key))
	}
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendAddressPart(b []byte, key string, v any) []byte {
	if v == nil {
		return appendNil(b, key)
	}
	start := len(b)
	b = append(b, '<')
	b = append(b, key...)
	b = append(b, '>')
	valueStart := len(b)
	b = soapxml.AppendValue(b, nil, v)
	if len(b) == valueStart {
		return appendNil(b[:start], key)
	}
	b = append(b, "</"...)
	b = append(b, key...)
	return append(b, '>')
}
