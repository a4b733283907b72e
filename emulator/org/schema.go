package org

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// FieldType is a field's SOAP/REST type as describe reports it.
type FieldType string

// Field types.
const (
	TypeID            FieldType = "id"
	TypeString        FieldType = "string"
	TypeTextArea      FieldType = "textarea"
	TypeEmail         FieldType = "email"
	TypePhone         FieldType = "phone"
	TypeURL           FieldType = "url"
	TypePicklist      FieldType = "picklist"
	TypeMultiPicklist FieldType = "multipicklist"
	TypeCombobox      FieldType = "combobox"
	TypeBoolean       FieldType = "boolean"
	TypeInt           FieldType = "int"
	TypeDouble        FieldType = "double"
	TypeCurrency      FieldType = "currency"
	TypePercent       FieldType = "percent"
	TypeDate          FieldType = "date"
	TypeDateTime      FieldType = "datetime"
	TypeReference     FieldType = "reference"
	// TypeAddress is a compound address (BillingAddress): read-only, its
	// value an *Address computed on read from the component fields.
	TypeAddress FieldType = "address"
)

// IsText reports whether values of the type are Go strings compared
// case-insensitively by SOQL's = and LIKE.
func (t FieldType) IsText() bool {
	switch t {
	case TypeString, TypeTextArea, TypeEmail, TypePhone, TypeURL, TypePicklist, TypeMultiPicklist, TypeCombobox:
		return true
	}
	return false
}

// IsNumber reports whether values of the type are float64.
func (t FieldType) IsNumber() bool {
	switch t {
	case TypeInt, TypeDouble, TypeCurrency, TypePercent:
		return true
	}
	return false
}

// SOAPType is the type describe results and the SOAP API's WSDLs give the
// field type: tns:ID for ids and references, xsd:boolean, xsd:int,
// xsd:double (currency and percent too), xsd:date, xsd:dateTime, and
// xsd:string for every text and picklist type.
func (t FieldType) SOAPType() string {
	switch t {
	case TypeID, TypeReference:
		return "tns:ID"
	case TypeBoolean:
		return "xsd:boolean"
	case TypeInt:
		return "xsd:int"
	case TypeDouble, TypeCurrency, TypePercent:
		return "xsd:double"
	case TypeDate:
		return "xsd:date"
	case TypeDateTime:
		return "xsd:dateTime"
	case TypeAddress:
		return "urn:address"
	}
	return "xsd:string"
}

// PicklistValue is one value of a picklist.
type PicklistValue struct {
	Value        string `json:"value"`
	Label        string `json:"label"`
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
}

// Field describes one field of an object. Record values are held by Index:
// string for text, picklist and id types (ids as 18-char strings; multi-select
// picklists as "a;b"), bool, float64 for numbers, time.Time for date (UTC
// midnight) and datetime; nil is null.
type Field struct {
	Name      string
	Label     string
	Type      FieldType
	Length    int // text types
	Precision int // numbers: total digits
	Scale     int // numbers: digits after the point

	Nillable          bool
	Createable        bool
	Updateable        bool
	DefaultedOnCreate bool
	Custom            bool
	ExternalID        bool
	Unique            bool
	// Required is "required on create" as a client sees it: not nillable,
	// not defaulted, not boolean, createable.
	Required bool
	// Default is the value a new record gets when the field is not given.
	Default any

	Picklist   []PicklistValue
	Restricted bool // restricted picklist: other values are rejected

	ReferenceTo      []string // object names a lookup may point to (several: polymorphic)
	RelationshipName string   // e.g. "Account" for AccountId, "Who" for WhoId, "Parent__r" for Parent__c

	// Index is the field's slot in Record.Values.
	Index int
	// Indexed fields answer equality filters from a hash index.
	Indexed bool

	// CompoundFieldName names the compound field a component belongs to
	// (BillingCity: "BillingAddress"); empty for other fields.
	CompoundFieldName string
	// Components are an address field's parts, in the JSON key order
	// (see AddressKeys); nil for other fields.
	Components []*Field

	// childName is the parent's name for the children of this lookup when
	// the standard schema gives one ("-": none); see childRelationshipName.
	childName string
}

// PicklistValueFor returns the picklist entry matching v exactly, or nil.
func (f *Field) PicklistValueFor(v string) *PicklistValue {
	for i := range f.Picklist {
		if f.Picklist[i].Value == v {
			return &f.Picklist[i]
		}
	}
	return nil
}

// ChildRelationship is a parent-to-children path, e.g. Account.Contacts.
type ChildRelationship struct {
	Name  string  // "Contacts"
	Child *Object // Contact
	Field *Field  // Contact.AccountId
}

// Object describes an sObject type.
type Object struct {
	Name        string
	Label       string
	LabelPlural string
	KeyPrefix   string
	Custom      bool
	Createable  bool
	Updateable  bool
	Deletable   bool
	Queryable   bool
	Searchable  bool
	// PlatformEvent marks an __e object: a create publishes an event
	// (events.go) and stores nothing.
	PlatformEvent   bool
	PublishBehavior PublishBehavior

	Fields   []*Field
	deleted  int               // index of IsDeleted, or -1
	byName   map[string]*Field // lower-cased name
	byExact  map[string]*Field // name as spelled in the schema
	byRel    map[string]*Field // lower-cased relationship name
	children []ChildRelationship
	byChild  map[string]*ChildRelationship
	// stamp are the fields every save sets, found once (addField) rather
	// than by name for each record: those lookups were a tenth of a
	// 100,000-record fixture load.
	stamp stampFields
}

// stampFields are the object's audit and derived-name fields; nil where
// the object has none.
type stampFields struct {
	id, isDeleted, createdDate, createdBy, owner, caseNumber *Field
	lastModifiedDate, lastModifiedBy, systemModstamp         *Field
	name, firstName, lastName                                *Field
}

// note keeps f when it is one of the stamped fields.
func (s *stampFields) note(f *Field) {
	switch f.Name {
	case "Id":
		s.id = f
	case "IsDeleted":
		s.isDeleted = f
	case "CreatedDate":
		s.createdDate = f
	case "CreatedById":
		s.createdBy = f
	case "OwnerId":
		s.owner = f
	case "CaseNumber":
		s.caseNumber = f
	case "LastModifiedDate":
		s.lastModifiedDate = f
	case "LastModifiedById":
		s.lastModifiedBy = f
	case "SystemModstamp":
		s.systemModstamp = f
	case "Name":
		s.name = f
	case "FirstName":
		s.firstName = f
	case "LastName":
		s.lastName = f
	}
}

// Field returns the field with this name, case-insensitively, or nil.
//
// The exact spelling is tried first: saves look fields up by their own
// names on every record, and lower-casing each name was a fifth of an
// insert's time.
func (o *Object) Field(name string) *Field {
	if f := o.byExact[name]; f != nil {
		return f
	}
	// Lower-cased on the stack: a miss (stamping and deriving ask each object
	// for fields it may not have) allocates nothing.
	var buf [64]byte
	if len(name) <= len(buf) {
		ascii := true
		for i := 0; i < len(name) && ascii; i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i], ascii = c, c < utf8.RuneSelf
		}
		if ascii {
			return o.byName[string(buf[:len(name)])]
		}
	}
	return o.byName[strings.ToLower(name)]
}

// Relationship returns the lookup field whose relationship name is name
// (case-insensitive), e.g. "Account" → Contact.AccountId, or nil.
func (o *Object) Relationship(name string) *Field { return o.byRel[strings.ToLower(name)] }

// ChildRelationships lists the relationships from this object to its children.
func (o *Object) ChildRelationships() []ChildRelationship { return o.children }

// ChildRelationship returns the child relationship with this name, or nil.
func (o *Object) ChildRelationship(name string) *ChildRelationship {
	return o.byChild[strings.ToLower(name)]
}

// NameField is the object's name field (Name, or Subject for activities), or nil.
func (o *Object) NameField() *Field {
	if f := o.Field("Name"); f != nil {
		return f
	}
	return o.Field("Subject")
}

func (o *Object) addField(f *Field) {
	f.Index = len(o.Fields)
	if f.Name == "IsDeleted" {
		o.deleted = f.Index + 1 // stored +1 so the zero value means "none"
	}
	o.Fields = append(o.Fields, f)
	o.stamp.note(f)
	o.byName[strings.ToLower(f.Name)] = f
	if o.byExact == nil {
		o.byExact = map[string]*Field{}
	}
	o.byExact[f.Name] = f
	if f.RelationshipName != "" {
		o.byRel[strings.ToLower(f.RelationshipName)] = f
	}
	if f.Type == TypeAddress {
		o.linkAddress(f)
	}
}

// Schema is one org's objects: the standard objects sfemu models plus the
// org's custom objects and fields.
type Schema struct {
	objects  map[string]*Object // lower-cased name
	byPrefix map[string]*Object
}

// Object returns the object with this name (case-insensitive), or nil.
func (s *Schema) Object(name string) *Object { return s.objects[strings.ToLower(name)] }

// ObjectForID returns the object an id's key prefix names, or nil.
func (s *Schema) ObjectForID(id ID) *Object { return s.byPrefix[id.Prefix()] }

// Objects lists every object sorted by name.
func (s *Schema) Objects() []*Object {
	out := make([]*Object, 0, len(s.objects))
	for _, o := range s.objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Schema) add(o *Object) {
	s.objects[strings.ToLower(o.Name)] = o
	if o.KeyPrefix != "" {
		s.byPrefix[o.KeyPrefix] = o
	}
}

// link computes child relationships once every object is known.
func (s *Schema) link() {
	for _, o := range s.objects {
		o.children, o.byChild = nil, map[string]*ChildRelationship{}
	}
	for _, child := range s.Objects() {
		for _, f := range child.Fields {
			if f.Type != TypeReference {
				continue
			}
			for _, parentName := range f.ReferenceTo {
				parent := s.Object(parentName)
				if parent == nil {
					continue
				}
				name := childRelationshipName(child, f)
				key := strings.ToLower(name)
				if name == "" || parent.byChild[key] != nil {
					continue
				}
				parent.children = append(parent.children, ChildRelationship{Name: name, Child: child, Field: f})
				parent.byChild[key] = &parent.children[len(parent.children)-1] // the first lookup wins; reset below
			}
		}
	}
	for _, o := range s.objects {
		for i := range o.children {
			o.byChild[strings.ToLower(o.children[i].Name)] = &o.children[i]
		}
	}
}

// childRelationshipName is the name Salesforce gives the children of a
// lookup: the plural label of standard children (Contacts, Opportunities,
// Cases, Tasks, Events), and Child__r-style names for custom lookups.
func childRelationshipName(child *Object, f *Field) string {
	switch {
	case f.childName == "-":
		return ""
	case f.childName != "":
		return f.childName
	case f.Custom:
		return strings.ReplaceAll(child.LabelPlural, " ", "_") + "__r"
	case f.Name == "WhoId" || f.Name == "WhatId" || f.Name == "AccountId" || f.Name == "ParentId" || f.Name == "ContactId":
		if f.Name == "ParentId" {
			return "Child" + strings.ReplaceAll(child.LabelPlural, " ", "")
		}
		return strings.ReplaceAll(child.LabelPlural, " ", "")
	}
	return ""
}
