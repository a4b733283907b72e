package org

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// The fixture's objects: section: custom objects and fields, and changes to
// standard fields (required, picklist values), on top of the built-ins.
type objectYAML struct {
	Label       string               `yaml:"label"`
	PluralLabel string               `yaml:"plural_label"`
	Fields      map[string]fieldYAML `yaml:"fields"`
	// PublishBehavior is a platform event's (__e): publish_after_commit
	// (default) or publish_immediately.
	PublishBehavior string `yaml:"publish_behavior"`
}

type fieldYAML struct {
	Type             string   `yaml:"type"`
	Label            string   `yaml:"label"`
	Length           int      `yaml:"length"`
	Precision        int      `yaml:"precision"`
	Scale            int      `yaml:"scale"`
	Values           []string `yaml:"values"`
	Restricted       bool     `yaml:"restricted"`
	Required         *bool    `yaml:"required"`
	Default          any      `yaml:"default"`
	ExternalID       bool     `yaml:"external_id"`
	Unique           bool     `yaml:"unique"`
	ReferenceTo      any      `yaml:"reference_to"` // a name or a list
	RelationshipName string   `yaml:"relationship_name"`
}

var fieldTypeNames = map[string]FieldType{
	"text": TypeString, "string": TypeString, "textarea": TypeTextArea, "longtextarea": TypeTextArea,
	"email": TypeEmail, "phone": TypePhone, "url": TypeURL,
	"picklist": TypePicklist, "multipicklist": TypeMultiPicklist, "multiselectpicklist": TypeMultiPicklist,
	"boolean": TypeBoolean, "checkbox": TypeBoolean,
	"number": TypeDouble, "double": TypeDouble, "int": TypeInt, "integer": TypeInt,
	"currency": TypeCurrency, "percent": TypePercent, "date": TypeDate, "datetime": TypeDateTime,
	"lookup": TypeReference, "reference": TypeReference, "masterdetail": TypeReference,
}

// buildSchema makes the org's schema: the standard objects plus the fixture's objects: section.
func (b *fixtureBuilder) buildSchema(raw map[string]objectYAML) (*Schema, error) {
	s := takeStandardSchema()
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	customPrefix, eventPrefix := 0, 0
	// Objects first, so lookups between custom objects resolve in any order.
	for _, name := range names {
		if s.Object(name) != nil {
			continue
		}
		path := "$.objects." + name
		if strings.HasSuffix(name, "__e") {
			o, err := b.eventObject(path, name, raw[name], eventPrefix)
			if err != nil {
				return nil, err
			}
			eventPrefix++
			s.add(o)
			continue
		}
		if !strings.HasSuffix(name, "__c") {
			return nil, b.errAtKey(path, "object %q is not a standard object sfemu models; custom objects end in __c, platform events in __e (standard: %s)", name, standardObjectNames(s))
		}
		if raw[name].PublishBehavior != "" {
			return nil, b.errAtKey(path+".publish_behavior", "%s: publish_behavior is for platform events (__e objects)", name)
		}
		r := raw[name]
		label := r.Label
		if label == "" {
			label = strings.ReplaceAll(strings.TrimSuffix(name, "__c"), "_", " ")
		}
		plural := r.PluralLabel
		if plural == "" {
			plural = label + "s"
		}
		o := &Object{Name: name, Label: label, LabelPlural: plural, KeyPrefix: fmt.Sprintf("a%02d", customPrefix), Custom: true,
			Createable: true, Updateable: true, Deletable: true, Queryable: true, Searchable: true,
			byName: map[string]*Field{}, byRel: map[string]*Field{}}
		customPrefix++
		for _, fs := range systemFields(true) {
			o.addField(fs.f)
		}
		o.addField(fld("Name", TypeString).length(80).indexed().label(label + " Name").f)
		s.add(o)
	}
	for _, name := range names {
		o := s.Object(name)
		fieldNames := make([]string, 0, len(raw[name].Fields))
		for fn := range raw[name].Fields {
			fieldNames = append(fieldNames, fn)
		}
		sort.Strings(fieldNames)
		for _, fn := range fieldNames {
			if err := b.customizeField(s, o, fn, raw[name].Fields[fn]); err != nil {
				return nil, err
			}
		}
	}
	s.link()
	return s, nil
}

// eventObject is a platform event (__e): createable only (publishing),
// never stored, queried or searched, with the fields Salesforce gives
// every event (ReplayId, EventUuid, CreatedDate, CreatedById).
func (b *fixtureBuilder) eventObject(path, name string, r objectYAML, n int) (*Object, error) {
	behavior := PublishAfterCommit
	switch pb := PublishBehavior(strings.ToLower(r.PublishBehavior)); pb {
	case "":
	case PublishAfterCommit, PublishImmediately:
		behavior = pb
	default:
		return nil, b.errAt(path+".publish_behavior", "%s: publish_behavior %q: want publish_after_commit or publish_immediately", name, r.PublishBehavior)
	}
	label := r.Label
	if label == "" {
		label = strings.ReplaceAll(strings.TrimSuffix(name, "__e"), "_", " ")
	}
	plural := r.PluralLabel
	if plural == "" {
		plural = label + "s"
	}
	// Event objects' key prefixes are e00, e01… (the publish result's id
	// starts with it). UNKNOWN: Salesforce's numbering; sfemu's choice.
	o := &Object{Name: name, Label: label, LabelPlural: plural, KeyPrefix: fmt.Sprintf("e%02d", n), Custom: true,
		Createable: true, PlatformEvent: true, PublishBehavior: behavior,
		byName: map[string]*Field{}, byRel: map[string]*Field{}}
	for _, fs := range []fieldSpec{
		fld("ReplayId", TypeString).readOnly().label("Replay ID"),
		fld("EventUuid", TypeString).readOnly().label("Event UUID"),
		fld("CreatedDate", TypeDateTime).readOnly().label("Created Date"),
		fld("CreatedById", TypeReference).readOnly().ref("CreatedBy", "User").unindexed().label("Created By ID"),
	} {
		o.addField(fs.f)
	}
	return o, nil
}

func standardObjectNames(s *Schema) string {
	var out []string
	for _, o := range s.Objects() {
		if !o.Custom {
			out = append(out, o.Name)
		}
	}
	return strings.Join(out, ", ")
}

func (b *fixtureBuilder) customizeField(s *Schema, o *Object, name string, r fieldYAML) error {
	path := "$.objects." + o.Name + ".fields." + name
	if existing := o.Field(name); existing != nil {
		// A standard field: only what an admin can change about it.
		if r.Type != "" || r.ReferenceTo != nil || r.Length != 0 {
			return b.errAtKey(path, "%s.%s is a standard field: only required, values, restricted, default and label can be changed", o.Name, name)
		}
		return b.applyFieldOptions(path, existing, r)
	}
	if !strings.HasSuffix(name, "__c") {
		return b.errAtKey(path, "%s has no standard field %q; custom fields end in __c", o.Name, name)
	}
	t, ok := fieldTypeNames[strings.ToLower(r.Type)]
	if !ok {
		return b.errAt(path+".type", "%s.%s: type %q: want one of text, textarea, email, phone, url, picklist, multipicklist, checkbox, number, int, currency, percent, date, datetime, lookup", o.Name, name, r.Type)
	}
	f := fld(name, t).f
	f.Custom = true
	f.Label = labelFor(name)
	if r.Length > 0 {
		f.Length = r.Length
	}
	if r.Precision > 0 {
		f.Precision = r.Precision
	}
	if r.Scale > 0 {
		f.Scale = r.Scale
	}
	if t == TypeReference {
		var to []string
		switch v := r.ReferenceTo.(type) {
		case string:
			to = []string{v}
		case []any:
			for _, x := range v {
				to = append(to, fmt.Sprint(x))
			}
		}
		if len(to) == 0 {
			return b.errAt(path, "%s.%s is a lookup: give reference_to: OBJECT", o.Name, name)
		}
		for i, target := range to {
			tobj := s.Object(target)
			if tobj == nil {
				return b.errAt(path+".reference_to", "%s.%s: reference_to %q is not an object of this org", o.Name, name, target)
			}
			to[i] = tobj.Name
		}
		f.ReferenceTo, f.Indexed = to, true
		f.RelationshipName = r.RelationshipName
		if f.RelationshipName == "" {
			f.RelationshipName = strings.TrimSuffix(name, "__c") + "__r"
		}
	}
	f.ExternalID, f.Unique = r.ExternalID, r.Unique
	if err := b.applyFieldOptions(path, f, r); err != nil {
		return err
	}
	o.addField(f)
	return nil
}

func (b *fixtureBuilder) applyFieldOptions(path string, f *Field, r fieldYAML) error {
	if r.Label != "" {
		f.Label = r.Label
	}
	if len(r.Values) > 0 {
		if f.Type != TypePicklist && f.Type != TypeMultiPicklist && f.Type != TypeCombobox {
			return b.errAt(path+".values", "%s is a %s field; values are for picklists", f.Name, f.Type)
		}
		f.Picklist = nil
		fieldSpec{f}.values(r.Values...)
	}
	if r.Restricted {
		if f.Type != TypePicklist && f.Type != TypeMultiPicklist {
			return b.errAt(path+".restricted", "%s is a %s field; only picklists are restricted", f.Name, f.Type)
		}
		f.Restricted = true
	}
	if r.Default != nil {
		v, err := yamlScalarString(r.Default)
		if err != nil {
			return b.errAt(path+".default", "%s: default: %v", f.Name, err)
		}
		switch {
		case f.Type == TypeBoolean:
			fieldSpec{f}.defaultValue(v == "true")
		case f.Type.IsNumber():
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return b.errAt(path+".default", "%s: default %q is not a number", f.Name, v)
			}
			fieldSpec{f}.defaultValue(n)
		case f.Type.IsText():
			if f.Restricted && f.PicklistValueFor(v) == nil {
				return b.errAt(path+".default", "%s: default %q is not one of its values", f.Name, v)
			}
			fieldSpec{f}.defaultValue(v)
		default:
			return b.errAt(path+".default", "%s: defaults are supported for text, picklist, number and checkbox fields", f.Name)
		}
	}
	if r.Required != nil {
		if *r.Required {
			f.Nillable = false
			f.Required = !f.DefaultedOnCreate && f.Type != TypeBoolean
		} else {
			f.Nillable, f.Required = true, false
		}
	}
	return nil
}

// yamlScalarString turns a YAML scalar into the string a JSON client would send.
func yamlScalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int, int64, uint64, float64:
		return fmt.Sprint(x), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("want a single value, got %T", v)
}

// JSONValue turns a value decoded from YAML into what a JSON client would
// send: numbers as float64, timestamps as RFC 3339 (date fields take them
// too), a list as a multi-select picklist's "a;b". Fixtures, scenarios and
// Go callers of the facade (whose maps hold ints) write records through it.
func JSONValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ";") // a multi-select picklist written as a list
	}
	return v
}

// loadRecords creates the fixture's records: section in file order, with
// the same checks a client's create gets. An object's records are a YAML
// list or a CSV file (fixture_csv.go). A record may be labelled `_ref: x`
// and referred to later as "@x" in a lookup field, across both forms.
func (b *fixtureBuilder) loadRecords(raw yaml.MapSlice, now time.Time) error {
	o := b.org
	refs := map[string]ID{}
	owner := o.defaultOwner()
	for _, item := range raw {
		objName := fmt.Sprint(item.Key)
		obj := o.Schema.Object(objName)
		path := "$.records." + objName
		if obj == nil {
			return b.errAtKey(path, "records: %q is not an object of this org", objName)
		}
		if rel, ok := item.Value.(string); ok {
			if err := b.loadCSVRecords(obj, path, rel, refs, owner, now); err != nil {
				return err
			}
			continue
		}
		if ob, ok := item.Value.(*fastObject); ok {
			if err := b.loadFastRecords(obj, objName, path, ob, refs, owner, now); err != nil {
				return err
			}
			continue
		}
		list, ok := item.Value.([]any)
		if !ok {
			return b.errAt(path, "records.%s: want a list of records, or the path of a CSV file of them", objName)
		}
		if err := b.loadRecordList(obj, objName, path, list, refs, owner, now); err != nil {
			return err
		}
	}
	return nil
}

// yamlRecordChunk is how many records of a YAML list are held before they
// are stored together (Data.InsertBatch, as a CSV file's are): a record
// that names a label of a held one stores them first.
const yamlRecordChunk = 4096

// loadRecordList creates one object's list of records, in order, a chunk
// at a time through InsertBatch, which checks and stores each as Insert
// would: the first record with a problem is the error, as if they were
// created one by one.
func (b *fixtureBuilder) loadRecordList(obj *Object, objName, path string, list []any, refs map[string]ID, owner *User, now time.Time) error {
	d := b.org.Data
	opt := DMLOptions{AllowSystemFields: true}
	var (
		rows   = make([]map[string]any, 0, min(len(list), yamlRecordChunk))
		index  []int    // each held row's place in list
		labels []string // each held row's _ref, "" if none
		held   = map[string]bool{}
	)
	insertError := func(i int, errs []DMLError) error {
		where := fmt.Sprintf("%s[%d]", path, i)
		if len(errs[0].Fields) > 0 {
			where += "." + errs[0].Fields[0]
		}
		return b.errAt(where, "records.%s[%d]: %s: %s", objName, i, errs[0].StatusCode, errs[0].Message)
	}
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		recs, errs := d.InsertBatch(obj, rows, owner, now, opt)
		for k := range rows {
			if len(errs[k]) > 0 {
				return insertError(index[k], errs[k])
			}
			if labels[k] != "" {
				refs[labels[k]] = recs[k].ID
			}
		}
		rows, index, labels = rows[:0], index[:0], labels[:0]
		clear(held)
		return nil
	}
	reserved := false
	for i, entry := range list {
		rpath := func() string { return fmt.Sprintf("%s[%d]", path, i) }
		m, ok := entry.(map[string]any)
		if !ok {
			if err := flush(); err != nil {
				return err
			}
			return b.errAt(rpath(), "records.%s[%d]: want a mapping of field: value", objName, i)
		}
		if !reserved {
			// Room for the list at once, with the indexes of the fields
			// the first record sets (Data.reserve).
			var fields []*Field
			for k := range m {
				fields = append(fields, obj.Field(k))
			}
			d.reserve(obj, len(list), fields)
			reserved = true
		}
		// The values as a JSON client would send them, in place (the
		// decoded records are read once, here); a record naming a held
		// one's label stores the held first.
		var label string
		hasLabel, refsHeld := false, false
		for k, v := range m {
			if k == "_ref" {
				label, hasLabel = fmt.Sprint(v), true
				continue
			}
			v = JSONValue(v)
			m[k] = v
			if s, ok := v.(string); ok && strings.HasPrefix(s, "@") && held[s[1:]] {
				refsHeld = true
			}
		}
		if refsHeld {
			if err := flush(); err != nil {
				return err
			}
		}
		if hasLabel {
			delete(m, "_ref")
		}
		for k, v := range m {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "@") {
				id, known := refs[s[1:]]
				if !known {
					if err := flush(); err != nil {
						return err
					}
					return b.errAt(rpath()+"."+k, "records.%s[%d].%s: %s names no record above (label one with _ref: %s; records are created in file order)", objName, i, k, s, s[1:])
				}
				m[k] = string(id)
			}
		}
		fields := m
		if label != "" {
			if _, dup := refs[label]; dup || held[label] {
				// Its own errors come before the duplicate label's.
				if err := flush(); err != nil {
					return err
				}
				if _, errs := d.Insert(obj, fields, owner, now, opt); len(errs) > 0 {
					return insertError(i, errs)
				}
				return b.errAt(rpath()+"._ref", "records.%s[%d]: _ref %q is used twice", objName, i, label)
			}
			held[label] = true
		}
		rows = append(rows, fields)
		index = append(index, i)
		labels = append(labels, label)
		if len(rows) == yamlRecordChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// defaultOwner owns fixture records: the first System Administrator, else the first user.
func (o *Org) defaultOwner() *User {
	for _, u := range o.Users {
		if u.Profile != nil && u.Profile.Name == "System Administrator" {
			return u
		}
	}
	if len(o.Users) > 0 {
		return o.Users[0]
	}
	return nil
}

// putSystemRecords presents the org's users and the organization itself as records.
func (b *fixtureBuilder) putSystemRecords(now time.Time) {
	o := b.org
	now = now.UTC().Truncate(time.Second)
	users := o.Schema.Object("User")
	for _, u := range o.Users {
		v := make([]any, len(users.Fields))
		set := func(name string, val any) { v[users.Field(name).Index] = val }
		set("Id", string(u.ID))
		set("IsDeleted", false)
		set("CreatedDate", now)
		set("LastModifiedDate", now)
		set("SystemModstamp", now)
		set("Username", u.Username)
		set("FirstName", nilIfEmpty(u.FirstName))
		set("LastName", u.LastName)
		set("Name", u.Name())
		set("Email", u.Email)
		alias := strings.SplitN(u.Username, "@", 2)[0]
		if len(alias) > 8 {
			alias = alias[:8]
		}
		set("Alias", alias)
		set("IsActive", u.Active)
		set("ProfileId", string(u.Profile.ID))
		set("UserType", "Standard")
		set("TimeZoneSidKey", o.TimeZone.String())
		o.Data.put(&Record{ID: u.ID, Object: users, Values: v})
	}
	orgObj := o.Schema.Object("Organization")
	v := make([]any, len(orgObj.Fields))
	set := func(name string, val any) { v[orgObj.Field(name).Index] = val }
	set("Id", string(o.ID))
	set("IsDeleted", false)
	set("CreatedDate", now)
	set("LastModifiedDate", now)
	set("SystemModstamp", now)
	set("Name", o.Name)
	set("OrganizationType", o.Edition.OrganizationType())
	set("IsSandbox", o.Type == Sandbox || o.Type == Scratch)
	set("InstanceName", "SFEMU1")
	set("TimeZoneSidKey", o.TimeZone.String())
	o.Data.put(&Record{ID: o.ID, Object: orgObj, Values: v})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
