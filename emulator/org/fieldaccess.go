package org

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// FieldAccess is a user's field-level security on one field, as Setup's
// Field Permissions grant it: hidden, read only, or read/write.
type FieldAccess uint8

// Field access levels, least to most permissive.
const (
	FieldHidden   FieldAccess = iota // "none": the field does not exist for the user
	FieldReadOnly                    // "read": visible, not editable
	FieldEditable                    // "edit": visible and editable
)

// FieldPermissions are one profile's or permission set's field permissions.
// A profile's field without an entry is editable (sfemu's default, so
// fixtures that say nothing see every field); a permission set's field
// without an entry grants nothing.
type FieldPermissions map[*Field]FieldAccess

var fieldAccessNames = map[string]FieldAccess{"none": FieldHidden, "read": FieldReadOnly, "edit": FieldEditable}

// FieldAccess is the user's access to f: the most permissive of the
// profile's and the permission sets'. A nil user (the system) has full
// access.
func (u *User) FieldAccess(f *Field) FieldAccess {
	if u == nil || f == nil {
		return FieldEditable
	}
	a := FieldEditable
	if u.Profile != nil {
		if pa, ok := u.Profile.FieldPermissions[f]; ok {
			a = pa
		}
	}
	for _, ps := range u.PermissionSets {
		if pa, ok := ps.FieldPermissions[f]; ok && pa > a {
			a = pa
		}
	}
	return a
}

// CanRead reports whether f is visible to u (nil u: the system, sees all).
func (u *User) CanRead(f *Field) bool { return u.FieldAccess(f) >= FieldReadOnly }

// CanEdit reports whether u's field-level security lets u write f (the
// schema's createable and updateable still apply).
func (u *User) CanEdit(f *Field) bool { return u.FieldAccess(f) == FieldEditable }

// ReadableFields keeps the fields of fields that u can see.
func (u *User) ReadableFields(fields []*Field) []*Field {
	if u == nil || !u.restricted() {
		return fields
	}
	out := make([]*Field, 0, len(fields))
	for _, f := range fields {
		if u.CanRead(f) {
			out = append(out, f)
		}
	}
	return out
}

// restricted reports whether any field permission applies to u at all.
func (u *User) restricted() bool {
	if u.Profile != nil && len(u.Profile.FieldPermissions) > 0 {
		return true
	}
	for _, ps := range u.PermissionSets {
		if len(ps.FieldPermissions) > 0 {
			return true
		}
	}
	return false
}

// DescribeFieldsFor is DescribeFields as u sees it: fields u cannot see are
// absent, and fields u may only read are neither createable nor updateable.
func (o *Object) DescribeFieldsFor(u *User) []FieldDescribe {
	all := o.DescribeFields()
	if u == nil || !u.restricted() {
		return all
	}
	out := all[:0]
	for i, fd := range all {
		switch u.FieldAccess(o.Fields[i]) {
		case FieldHidden:
			continue
		case FieldReadOnly:
			fd.Createable, fd.Updateable = false, false
		}
		out = append(out, fd)
	}
	return out
}

// DescribeChildRelationshipsFor is DescribeChildRelationships without the
// relationships whose lookup field u cannot see.
func (o *Object) DescribeChildRelationshipsFor(u *User) []ChildRelationshipDescribe {
	all := o.DescribeChildRelationships()
	if u == nil || !u.restricted() {
		return all
	}
	out := all[:0]
	for _, cd := range all {
		if child := o.byChildField(cd.ChildSObject, cd.Field); child == nil || u.CanRead(child) {
			out = append(out, cd)
		}
	}
	return out
}

func (o *Object) byChildField(childObject, field string) *Field {
	for _, cr := range o.children {
		if cr.Child.Name == childObject && cr.Field.Name == field {
			return cr.Field
		}
	}
	return nil
}

// buildFieldPermissions reads profiles[].field_permissions and
// permission_sets[].field_permissions, once the schema is known.
func (b *fixtureBuilder) buildFieldPermissions(raw *fixtureYAML) error {
	for i, r := range raw.Profiles {
		path := fmt.Sprintf("$.profiles[%d].field_permissions", i)
		fp, err := b.fieldPermissions(path, "profile "+fmt.Sprintf("%q", r.Name), r.FieldPermissions)
		if err != nil {
			return err
		}
		b.org.Profile(r.Name).FieldPermissions = fp
	}
	for i, r := range raw.PermissionSets {
		path := fmt.Sprintf("$.permission_sets[%d].field_permissions", i)
		fp, err := b.fieldPermissions(path, "permission set "+fmt.Sprintf("%q", r.Name), r.FieldPermissions)
		if err != nil {
			return err
		}
		b.org.PermissionSet(r.Name).FieldPermissions = fp
	}
	return nil
}

func (b *fixtureBuilder) fieldPermissions(path, owner string, raw map[string]string) (FieldPermissions, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fp := FieldPermissions{}
	for _, key := range keys {
		objName, fieldName, ok := strings.Cut(key, ".")
		if !ok || objName == "" || fieldName == "" || strings.Contains(fieldName, ".") {
			return nil, b.errAtMapKey(path, key, "%s: field_permissions key %q: want Object.Field, e.g. Account.Rating", owner, key)
		}
		obj := b.org.Schema.Object(objName)
		if obj == nil {
			return nil, b.errAtMapKey(path, key, "%s: field_permissions names object %q, which this org does not have", owner, objName)
		}
		f := obj.Field(fieldName)
		if f == nil {
			return nil, b.errAtMapKey(path, key, "%s: field_permissions names field %q, which object %s does not have", owner, fieldName, obj.Name)
		}
		if !f.Nillable && f.Type != TypeBoolean {
			return nil, b.errAtMapKey(path, key, "%s: field_permissions: %s.%s is a required or system field; Salesforce does not let its field-level security change", owner, obj.Name, f.Name)
		}
		a, ok := fieldAccessNames[strings.ToLower(strings.TrimSpace(raw[key]))]
		if !ok {
			return nil, b.errAtMapKey(path, key, "%s: field_permissions.%s: %q is not an access level (none, read or edit)", owner, key, raw[key])
		}
		fp[f] = a
	}
	return fp, nil
}

// errAtMapKey makes an error located at key inside the mapping at path. Keys
// such as "Account.Rating" hold dots, so a YAML path cannot name them.
func (b *fixtureBuilder) errAtMapKey(path, key, format string, args ...any) error {
	if yp, err := yaml.PathString(path); err == nil {
		if n, err := yp.FilterFile(b.file); err == nil {
			var values []*ast.MappingValueNode
			switch m := n.(type) {
			case *ast.MappingNode:
				values = m.Values
			case *ast.MappingValueNode:
				values = []*ast.MappingValueNode{m}
			}
			{
				for _, mv := range values {
					if mv.Key != nil && mv.Key.GetToken() != nil && mv.Key.GetToken().Value == key {
						pos := mv.Key.GetToken().Position
						return &FixtureError{File: b.src.Name, Line: pos.Line, Column: pos.Column, Msg: fmt.Sprintf(format, args...)}
					}
				}
			}
		}
	}
	return b.errAt(path, format, args...)
}
