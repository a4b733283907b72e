package metadata

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// readObject reads a CustomObject: in Metadata API format one file with
// its <fields>; in source format the object's own file, its fields each in
// fields/Name.field-meta.xml beside it.
func (rd *reader) readObject(f *file) error {
	r := f.root
	name := f.name
	custom := strings.HasSuffix(name, "__c") || strings.HasSuffix(name, "__e")
	var obj *mapping
	if custom {
		obj = rd.object(name, f.at(r))
		if e := r.child("label"); e != nil && e.Text != "" {
			obj.set("label", e.Text, f.at(e))
		}
		if e := r.child("pluralLabel"); e != nil && e.Text != "" {
			obj.set("plural_label", e.Text, f.at(e))
		}
		if e := r.child("publishBehavior"); e != nil && strings.HasSuffix(name, "__e") {
			switch e.Text {
			case "PublishAfterCommit":
				obj.set("publish_behavior", "publish_after_commit", f.at(e))
			case "PublishImmediately":
				obj.set("publish_behavior", "publish_immediately", f.at(e))
			default:
				return f.errAt(e, "publishBehavior %q: want PublishAfterCommit or PublishImmediately", e.Text)
			}
		}
	}
	for _, fe := range r.all("fields") {
		fn := fe.text("fullName")
		if fn == "" {
			return f.errAt(fe, "<fields> needs <fullName>")
		}
		if err := rd.field(f, name, fn, fe); err != nil {
			return err
		}
	}
	rd.unused(f, r, usedWith("label", "pluralLabel", "publishBehavior", "fields", "eventType", "nameField",
		"deploymentStatus", "sharingModel", "externalSharingModel", "enableActivities", "enableHistory",
		"enableReports", "enableSearch", "enableFeeds", "enableBulkApi", "enableSharing", "enableStreamingApi",
		"enableLicensing", "enableDivisions", "enableEnhancedLookup", "visibility", "allowInChatterGroups",
		"compactLayoutAssignment", "actionOverrides", "listViews", "searchLayouts", "startsWith")...)
	return nil
}

// readField reads a source-format CustomField: objects/Obj/fields/F.field-meta.xml.
func (rd *reader) readField(f *file) error {
	dir := filepath.Dir(f.path)
	if filepath.Base(dir) != "fields" {
		return f.errAt(f.root, "a .field-meta.xml file belongs in objects/<Object>/fields/")
	}
	return rd.field(f, filepath.Base(filepath.Dir(dir)), f.name, f.root)
}

// Field types, by the Metadata API's FieldType names, as fixture types.
var fieldTypes = map[string]string{
	"Text": "text", "TextArea": "textarea", "LongTextArea": "longtextarea", "Html": "longtextarea",
	"Email": "email", "Phone": "phone", "Url": "url", "Picklist": "picklist",
	"MultiselectPicklist": "multipicklist", "Checkbox": "checkbox", "Number": "number",
	"Currency": "currency", "Percent": "percent", "Date": "date", "DateTime": "datetime",
	"Lookup": "lookup", "MasterDetail": "masterdetail",
}

func (rd *reader) field(f *file, objName, name string, e *element) error {
	if !strings.HasSuffix(name, "__c") {
		// A standard field's customisation (its help text, a picklist's
		// values): the standard schema already has the field.
		rd.ignore(f.at(e), "standard fields' customisations are not read (the standard schema has them)")
		return nil
	}
	typ := e.child("type")
	if e.child("formula") != nil {
		rd.ignore(f.at(e), "formula fields are not modelled; such fields are left out")
		return nil
	}
	if typ == nil {
		return f.errAt(e, "field %s.%s needs <type>", objName, name)
	}
	ft, ok := fieldTypes[typ.Text]
	if !ok {
		rd.ignore(f.at(typ), fmt.Sprintf("%s fields are not modelled; such fields are left out", typ.Text))
		return nil
	}
	fm := rd.object(objName, f.at(e)).sub("fields", f.at(e)).sub(name, f.at(e))
	fm.set("type", ft, f.at(typ))
	if l := e.child("label"); l != nil && l.Text != "" {
		fm.set("label", l.Text, f.at(l))
	}
	for _, n := range []struct{ elem, key string }{{"length", "length"}, {"precision", "precision"}, {"scale", "scale"}} {
		c := e.child(n.elem)
		if c == nil || c.Text == "" {
			continue
		}
		v, err := strconv.Atoi(c.Text)
		if err != nil || v < 0 {
			return f.errAt(c, "<%s> %q is not a whole number", n.elem, c.Text)
		}
		fm.set(n.key, v, f.at(c))
	}
	for _, b := range []struct{ elem, key string }{{"required", "required"}, {"externalId", "external_id"}, {"unique", "unique"}} {
		c := e.child(b.elem)
		if c == nil {
			continue
		}
		v, err := boolean(f, c)
		if err != nil {
			return err
		}
		if v || b.key == "required" {
			fm.set(b.key, v, f.at(c))
		}
	}
	if c := e.child("referenceTo"); c != nil && c.Text != "" {
		fm.set("reference_to", c.Text, f.at(c))
	}
	if c := e.child("relationshipName"); c != nil && c.Text != "" {
		fm.set("relationship_name", c.Text, f.at(c))
	}
	if err := rd.picklist(f, fm, e); err != nil {
		return err
	}
	if c := e.child("defaultValue"); c != nil && c.Text != "" {
		if v, ok := defaultValue(ft, c.Text); ok {
			fm.set("default", v, f.at(c))
		} else {
			rd.ignore(f.at(c), "default value formulas other than literals are not evaluated")
		}
	}
	rd.unused(f, e, usedWith("type", "label", "length", "precision", "scale", "required", "externalId", "unique",
		"referenceTo", "relationshipName", "valueSet", "picklist", "defaultValue", "inlineHelpText",
		"trackHistory", "trackTrending", "trackFeedHistory", "visibleLines", "relationshipLabel",
		"deleteConstraint", "caseSensitive", "writeRequiresMasterRead", "reparentableMasterDetail",
		"relationshipOrder", "displayLocationInDecimal", "securityClassification", "businessStatus",
		"complianceGroup")...)
	return nil
}

// picklist reads a field's values: <valueSet> with a <valueSetDefinition>
// (restricted or not), or the older <picklist><picklistValues>. A global
// value set's values are not in the file; the field then takes any value.
func (rd *reader) picklist(f *file, fm *mapping, e *element) error {
	var values []*element
	if vs := e.child("valueSet"); vs != nil {
		if err := setBool(f, fm, "restricted", vs.child("restricted")); err != nil {
			return err
		}
		if def := vs.child("valueSetDefinition"); def != nil {
			values = def.all("value")
		} else if vs.child("valueSetName") != nil {
			rd.ignore(f.at(vs), "global value sets are not read; fields using one accept any value")
			fm.set("restricted", false, f.at(vs))
		}
	} else if pl := e.child("picklist"); pl != nil {
		values = pl.all("picklistValues")
		if err := setBool(f, fm, "restricted", pl.child("restricted")); err != nil {
			return err
		}
	}
	for _, v := range values {
		name := v.text("fullName")
		if name == "" {
			return f.errAt(v, "a picklist value needs <fullName>")
		}
		fm.add("values", name, f.at(v))
		if d := v.child("default"); d != nil {
			if on, err := boolean(f, d); err != nil {
				return err
			} else if on {
				fm.set("default", name, f.at(d))
			}
		}
	}
	return nil
}

// defaultValue reads a default value formula when it is a literal: true,
// false, a number, or a quoted string.
func defaultValue(fieldType, formula string) (any, bool) {
	s := strings.TrimSpace(formula)
	switch strings.ToLower(s) {
	case "true":
		return true, fieldType == "checkbox"
	case "false":
		return false, fieldType == "checkbox"
	}
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n == float64(int64(n)) {
			return int64(n), true
		}
		return n, true
	}
	return nil, false
}
