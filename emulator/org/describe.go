package org

import "sort"

// FieldDescribe is what describe says of a field — the REST API's
// sobjects/X/describe and the SOAP API's describeSObject report the same
// facts — derived from the schema in one place. JSON names are REST's.
type FieldDescribe struct {
	Name               string          `json:"name"`
	Label              string          `json:"label"`
	Type               FieldType       `json:"type"`
	SOAPType           string          `json:"soapType"`
	Length             int             `json:"length"`
	ByteLength         int             `json:"byteLength"`
	Digits             int             `json:"digits"`
	Precision          int             `json:"precision"`
	Scale              int             `json:"scale"`
	Nillable           bool            `json:"nillable"`
	Createable         bool            `json:"createable"`
	Updateable         bool            `json:"updateable"`
	DefaultedOnCreate  bool            `json:"defaultedOnCreate"`
	DefaultValue       any             `json:"defaultValue"`
	Custom             bool            `json:"custom"`
	Calculated         bool            `json:"calculated"`
	ExternalID         bool            `json:"externalId"`
	Unique             bool            `json:"unique"`
	IDLookup           bool            `json:"idLookup"`
	NameField          bool            `json:"nameField"`
	Filterable         bool            `json:"filterable"`
	Sortable           bool            `json:"sortable"`
	Groupable          bool            `json:"groupable"`
	PicklistValues     []PicklistValue `json:"picklistValues"`
	RestrictedPicklist bool            `json:"restrictedPicklist"`
	ReferenceTo        []string        `json:"referenceTo"`
	// RelationshipName is nil for a field that is not a lookup.
	RelationshipName *string `json:"relationshipName"`
	// CompoundFieldName names the compound field a component belongs to
	// (BillingCity: "BillingAddress"), nil for other fields.
	CompoundFieldName *string `json:"compoundFieldName"`
}

// ChildRelationshipDescribe is one child relationship of an object.
type ChildRelationshipDescribe struct {
	ChildSObject        string  `json:"childSObject"`
	Field               string  `json:"field"`
	RelationshipName    *string `json:"relationshipName"`
	CascadeDelete       bool    `json:"cascadeDelete"`
	RestrictedDelete    bool    `json:"restrictedDelete"`
	DeprecatedAndHidden bool    `json:"deprecatedAndHidden"`
}

// DescribeFields describes every field of o, in schema order.
func (o *Object) DescribeFields() []FieldDescribe {
	out := make([]FieldDescribe, 0, len(o.Fields))
	for _, f := range o.Fields {
		fd := FieldDescribe{Name: f.Name, Label: f.Label, Type: f.Type, SOAPType: f.Type.SOAPType(), Length: f.Length,
			ByteLength: f.Length * 3, Precision: f.Precision, Scale: f.Scale, Nillable: f.Nillable, Createable: f.Createable,
			Updateable: f.Updateable, DefaultedOnCreate: f.DefaultedOnCreate, Custom: f.Custom, ExternalID: f.ExternalID,
			Unique: f.Unique, IDLookup: f.Name == "Id" || f.ExternalID || f.Unique || f.Name == "Email" || f.Name == "Username",
			NameField: o.NameField() == f && f.Name == "Name", Filterable: f.Type != TypeTextArea, Sortable: f.Type != TypeTextArea && f.Type != TypeMultiPicklist,
			Groupable:      f.Type != TypeTextArea && !f.Type.IsNumber() && f.Type != TypeDateTime && f.Type != TypeMultiPicklist,
			PicklistValues: f.Picklist, RestrictedPicklist: f.Restricted, ReferenceTo: f.ReferenceTo}
		if f.Type == TypeInt {
			fd.Digits, fd.Precision = f.Precision, 0
		}
		if fd.PicklistValues == nil {
			fd.PicklistValues = []PicklistValue{}
		}
		if fd.ReferenceTo == nil {
			fd.ReferenceTo = []string{}
		}
		if f.RelationshipName != "" {
			rn := f.RelationshipName
			fd.RelationshipName = &rn
		}
		if f.CompoundFieldName != "" {
			cn := f.CompoundFieldName
			fd.CompoundFieldName = &cn
		}
		if f.Type == TypeAddress { // compound fields are only selected
			fd.Filterable, fd.Sortable, fd.Groupable = false, false, false
		}
		if f.DefaultedOnCreate && f.Type != TypeBoolean && f.Default != nil {
			fd.DefaultValue = f.Default
		} else if f.Type == TypeBoolean && f.Createable {
			fd.DefaultValue = f.Default
		}
		out = append(out, fd)
	}
	return out
}

// DescribeChildRelationships lists o's child relationships, by child object.
func (o *Object) DescribeChildRelationships() []ChildRelationshipDescribe {
	out := []ChildRelationshipDescribe{}
	for _, cr := range o.ChildRelationships() {
		name := cr.Name
		out = append(out, ChildRelationshipDescribe{ChildSObject: cr.Child.Name, Field: cr.Field.Name, RelationshipName: &name})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ChildSObject < out[j].ChildSObject })
	return out
}
