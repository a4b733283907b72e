package org

import (
	"slices"
	"strings"
	"sync"
)

// fieldSpec builds standard field definitions compactly.
type fieldSpec struct{ f *Field }

func fld(name string, t FieldType) fieldSpec {
	f := &Field{Name: name, Label: labelFor(name), Type: t, Nillable: true, Createable: true, Updateable: true}
	switch t {
	case TypeString, TypeEmail, TypePhone, TypeURL, TypePicklist, TypeCombobox:
		f.Length = 255
		if t == TypePhone {
			f.Length = 40
		}
		if t == TypeEmail {
			f.Length = 80
		}
	case TypeMultiPicklist:
		f.Length = 4099
	case TypeTextArea:
		f.Length = 32000
	case TypeCurrency:
		f.Precision, f.Scale = 18, 2
	case TypePercent:
		f.Precision, f.Scale = 3, 0
	case TypeInt:
		f.Precision = 8
	case TypeDouble:
		f.Precision, f.Scale = 18, 0
	case TypeBoolean:
		f.Nillable, f.DefaultedOnCreate, f.Default = false, true, false
	case TypeID, TypeReference:
		f.Length = 18
	}
	return fieldSpec{f}
}

func (s fieldSpec) required() fieldSpec {
	s.f.Nillable, s.f.Required = false, true
	return s
}

func (s fieldSpec) readOnly() fieldSpec {
	s.f.Createable, s.f.Updateable = false, false
	return s
}

func (s fieldSpec) length(n int) fieldSpec { s.f.Length = n; return s }

func (s fieldSpec) label(l string) fieldSpec { s.f.Label = l; return s }

func (s fieldSpec) indexed() fieldSpec { s.f.Indexed = true; return s }

// unindexed leaves a lookup without an index: audit lookups every record
// shares are not worth the memory.
func (s fieldSpec) unindexed() fieldSpec { s.f.Indexed = false; return s }

// defaultValue makes the field defaulted on create (and so not required).
func (s fieldSpec) defaultValue(v any) fieldSpec {
	s.f.Default, s.f.DefaultedOnCreate, s.f.Required = v, true, false
	if pv, ok := v.(string); ok {
		for i := range s.f.Picklist {
			s.f.Picklist[i].DefaultValue = s.f.Picklist[i].Value == pv
		}
	}
	return s
}

func (s fieldSpec) values(vals ...string) fieldSpec {
	for _, v := range vals {
		s.f.Picklist = append(s.f.Picklist, PicklistValue{Value: v, Label: v, Active: true})
	}
	return s
}

func (s fieldSpec) ref(relationship string, to ...string) fieldSpec {
	s.f.ReferenceTo, s.f.RelationshipName, s.f.Indexed = to, relationship, true
	return s
}

func labelFor(name string) string {
	name = strings.ReplaceAll(strings.TrimSuffix(strings.TrimSuffix(name, "Id"), "__c"), "_", " ")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' && name[i-1] != ' ' && !(name[i-1] >= 'A' && name[i-1] <= 'Z') {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Id"
	}
	return b.String()
}

type objectSpec struct {
	name, label, plural, prefix string
	owned, readOnly             bool
	noCreate, virtual, noSystem bool
}

// systemFields are the audit fields every record has, maintained by the emulator.
func systemFields(owned bool) []fieldSpec {
	out := []fieldSpec{
		fld("Id", TypeID).readOnly().indexed().label("Record ID"),
		fld("IsDeleted", TypeBoolean).readOnly().label("Deleted"),
		fld("CreatedDate", TypeDateTime).readOnly().label("Created Date"),
		fld("CreatedById", TypeReference).readOnly().ref("CreatedBy", "User").unindexed().label("Created By ID"),
		fld("LastModifiedDate", TypeDateTime).readOnly().label("Last Modified Date"),
		fld("LastModifiedById", TypeReference).readOnly().ref("LastModifiedBy", "User").unindexed().label("Last Modified By ID"),
		fld("SystemModstamp", TypeDateTime).readOnly().label("System Modstamp"),
	}
	for _, f := range out {
		f.f.Nillable = false
		f.f.DefaultedOnCreate = true
	}
	if owned {
		out = append(out, fld("OwnerId", TypeReference).ref("Owner", "User").defaultValue(nil).label("Owner ID"))
	}
	return out
}

func concat(parts ...[]fieldSpec) []fieldSpec {
	var out []fieldSpec
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// systemProtos are systemFields(false) and systemFields(true), built once.
var systemProtos = sync.OnceValue(func() (protos [2][]Field) {
	for i, owned := range []bool{false, true} {
		for _, fs := range systemFields(owned) {
			protos[i] = append(protos[i], *fs.f)
		}
	}
	return protos
})

// newStandardSchema builds a fresh copy of the standard objects, so each
// org can add its own custom fields. The fields are copied from the
// table's prototypes, one block per object: building them anew for each
// org (labels, flags, sizes) was most of an sfemu serve start.
func newStandardSchema() *Schema {
	rows := standardTable
	s := &Schema{objects: make(map[string]*Object, len(rows)), byPrefix: make(map[string]*Object, len(rows))}
	for i := range rows {
		spec := &rows[i].spec
		var system []Field
		if !spec.noSystem {
			owned := 0
			if spec.owned {
				owned = 1
			}
			system = systemProtos()[owned]
		}
		n := len(system) + len(rows[i].protos)
		o := &Object{Name: spec.name, Label: spec.label, LabelPlural: spec.plural, KeyPrefix: spec.prefix,
			Createable: !spec.readOnly && !spec.noCreate, Updateable: !spec.readOnly, Deletable: !spec.readOnly && !spec.noCreate,
			Queryable: true, Searchable: !spec.readOnly && !spec.virtual,
			Fields: make([]*Field, 0, n), byName: make(map[string]*Field, n), byExact: make(map[string]*Field, n), byRel: map[string]*Field{}}
		fields := append(append(make([]Field, 0, n), system...), rows[i].protos...)
		for j := range fields {
			f := &fields[j]
			f.Picklist, f.ReferenceTo = slices.Clone(f.Picklist), slices.Clone(f.ReferenceTo)
			o.addField(f)
		}
		s.add(o)
	}
	s.link()
	return s
}

// spareSchema is one pristine standard schema built ahead by
// PrepareStandardSchema, for the next org to take.
var spareSchema struct {
	mu sync.Mutex
	ch chan *Schema // nil: none being built
}

// PrepareStandardSchema starts building a standard schema on another
// goroutine, for the next org that loads to take instead of building its
// own; sfemu serve calls it first thing, so the copy of the compiled-in
// table (much of a start's work) runs on the second core while flags,
// listeners and the fixture's YAML are read on the first. At most one is
// built ahead; calling it again before one is taken does nothing.
func PrepareStandardSchema() {
	spareSchema.mu.Lock()
	defer spareSchema.mu.Unlock()
	if spareSchema.ch != nil {
		return
	}
	ch := make(chan *Schema, 1)
	spareSchema.ch = ch
	go func() { ch <- newStandardSchema() }()
}

// takeStandardSchema is the spare schema when one was prepared (waiting
// for it if it is still being built), else a new one.
func takeStandardSchema() *Schema {
	spareSchema.mu.Lock()
	ch := spareSchema.ch
	spareSchema.ch = nil
	spareSchema.mu.Unlock()
	if ch != nil {
		return <-ch
	}
	return newStandardSchema()
}

var (
	sharedSchemaOnce sync.Once
	sharedSchema     *Schema
)

// StandardFieldType is the type of a standard object's field ("" and
// false when the object or field is not in the standard schema), for
// tools that read Setup before an org exists — such as the metadata
// reader, which types a workflow rule's criteria values by it.
func StandardFieldType(object, field string) (FieldType, bool) {
	sharedSchemaOnce.Do(func() { sharedSchema = newStandardSchema() })
	o := sharedSchema.Object(object)
	if o == nil {
		return "", false
	}
	f := o.Field(field)
	if f == nil {
		return "", false
	}
	return f.Type, true
}
