package org

import (
	"fmt"
	"strings"
)

// Column is one header of records given as text — a Bulk API CSV header,
// or a fixture's CSV file — resolved against the object the records are
// of: a field (its API name in any case), or Relationship.Field naming the
// parent by a field that identifies it, as Bulk API 2.0 reads a header
// (Bulk API 2.0 and Bulk API Developer Guide, "Relationship Fields in a
// Header Row": RelationshipName.IndexedFieldName).
type Column struct {
	// Header is the header as written.
	Header string
	// Field is the field the column sets: for a relationship column, the
	// lookup field, which gets the parent's id.
	Field *Field
	// Key is set for a relationship column (Account.External_Id__c): the
	// parent is the record of Target whose Key has the column's value.
	Key    *Field
	Target *Object
}

// ResolveColumn reads a header of o's records: a field, or
// Relationship.Field where Field is the parent's Id, an external id or a
// unique field. False: the header names neither.
func (s *Schema) ResolveColumn(o *Object, header string) (Column, bool) {
	name := strings.TrimSpace(header)
	if f := o.Field(name); f != nil {
		return Column{Header: header, Field: f}, true
	}
	rel, keyName, ok := strings.Cut(name, ".")
	if !ok {
		return Column{}, false
	}
	lookup := o.Relationship(rel)
	if lookup == nil || len(lookup.ReferenceTo) == 0 {
		return Column{}, false
	}
	target := s.Object(lookup.ReferenceTo[0])
	if target == nil {
		return Column{}, false
	}
	key := target.Field(keyName)
	if key == nil || !(key.ExternalID || key.Name == "Id" || key.Unique) {
		return Column{}, false
	}
	return Column{Header: header, Field: lookup, Key: key, Target: target}, true
}

// ParentID finds the parent a relationship column's value names, with the
// errors Bulk API 2.0 gives for a parent not found or found twice.
func (d *Data) ParentID(c Column, value string) (string, *DMLError) {
	if c.Key.Name == "Id" {
		id, err := ParseID(value)
		if err != nil {
			return "", &DMLError{StatusCode: "MALFORMED_ID", Fields: []string{c.Field.Name}, Message: fmt.Sprintf("%s: id value of incorrect type: %s", c.Field.Label, value)}
		}
		return string(id), nil
	}
	recs, indexed := d.Lookup(c.Target, c.Key, value, false)
	if !indexed {
		recs = nil
		d.Scan(c.Target, false, func(r *Record) bool {
			if v, _ := r.Get(c.Key).(string); strings.EqualFold(v, value) {
				recs = append(recs, r)
			}
			return true
		})
	}
	switch len(recs) {
	case 1:
		return string(recs[0].ID), nil
	case 0:
		return "", &DMLError{StatusCode: "INVALID_FIELD", Fields: []string{},
			Message: fmt.Sprintf("Foreign key external ID: %s not found for field %s in entity %s", value, c.Key.Name, c.Target.Name)}
	}
	return "", &DMLError{StatusCode: "INVALID_FIELD", Fields: []string{},
		Message: fmt.Sprintf("More than 1 record found for External ID field %s: %s", c.Key.Name, value)}
}
