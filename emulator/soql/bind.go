package soql

import (
	"strings"

	"github.com/sfemu/sfemu/emulator/org"
)

// binder resolves a query's names against the schema and compiles it into a
// plan. Binding errors carry 1-based columns: the caret sits under the name.
type binder struct {
	env Env
	src string
}

func (b *binder) errAt(code string, pos int, text string) *Error {
	return errorAt(code, b.src, pos, false, text)
}

// NoSuchColumnText is Salesforce's text for a field an object lacks, the
// same in a query and in a SOAP sObject.
func NoSuchColumnText(field, object string) string {
	return "No such column '" + field + "' on entity '" + object +
		"'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name." + wsdlHint
}

// UnsupportedTypeText is Salesforce's text for an object the org lacks.
func UnsupportedTypeText(object string) string {
	return "sObject type '" + object +
		"' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name." + wsdlHint
}

func (b *binder) noSuchColumn(name string, o *org.Object, pos int) *Error {
	return b.errAt(CodeInvalidField, pos, NoSuchColumnText(name, o.Name))
}

func (b *binder) badRelationship(name string, pos int) *Error {
	return b.errAt(CodeInvalidField, pos, "Didn't understand relationship '"+name+
		"' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name."+wsdlHint)
}

func (b *binder) unsupportedType(name string, pos int) *Error {
	return b.errAt(CodeInvalidType, pos, UnsupportedTypeText(name))
}

func (b *binder) badChildRelationship(name string, pos int) *Error {
	return b.errAt(CodeInvalidType, pos, "Didn't understand relationship '"+name+
		"' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name."+wsdlHint)
}

// boundPath is a field path resolved against an object.
type boundPath struct {
	hops     []*org.Field  // lookup fields followed, in order
	hopNames []string      // their canonical relationship names
	field    *org.Field    // the final field; nil after a polymorphic hop
	fieldObj *org.Object   // the object field belongs to
	polyName string        // after a polymorphic hop: the field name on the actual parent
	polyType bool          // What.Type: the parent's object name
	polyTo   []*org.Object // the objects a polymorphic hop may reach
	name     string        // output key: the final field's canonical name
	text     string        // as written
}

// typ is the type values of the path compare as.
func (bp *boundPath) typ() org.FieldType {
	if bp.field != nil {
		return bp.field.Type
	}
	if bp.polyType {
		return org.TypeString
	}
	for _, o := range bp.polyTo {
		if f := o.Field(bp.polyName); f != nil {
			return f.Type
		}
	}
	return org.TypeString
}

// bindPath resolves Name, Account.Name, a.Name (FROM Account a),
// What.Name (polymorphic) against o.
func (b *binder) bindPath(o *org.Object, alias *Name, path Path) (*boundPath, *Error) {
	parts := path.Parts
	if len(parts) > 1 && o.Relationship(parts[0].Text) == nil &&
		(alias != nil && strings.EqualFold(parts[0].Text, alias.Text) || strings.EqualFold(parts[0].Text, o.Name)) {
		parts = parts[1:]
	}
	bp := &boundPath{text: path.String()}
	cur := o
	pos := path.Pos()
	for i, part := range parts {
		last := i == len(parts)-1
		if bp.polyTo != nil {
			if !last {
				return nil, b.badRelationship(part.Text, pos)
			}
			// A polymorphic lookup reaches the Name object, whose Type is
			// the parent's object name.
			if strings.EqualFold(part.Text, "Type") {
				bp.polyType, bp.name = true, "Type"
				return bp, nil
			}
			for _, t := range bp.polyTo {
				if f := t.Field(part.Text); f != nil && b.env.User.CanRead(f) {
					bp.polyName, bp.name = f.Name, f.Name
					return bp, nil
				}
			}
			return nil, b.errAt(CodeInvalidField, pos, NoSuchColumnText(part.Text, "Name"))
		}
		if last {
			f := cur.Field(part.Text)
			if f == nil || !b.env.User.CanRead(f) {
				return nil, b.noSuchColumn(part.Text, cur, pos)
			}
			bp.field, bp.fieldObj, bp.name = f, cur, f.Name
			return bp, nil
		}
		rel := cur.Relationship(part.Text)
		if rel == nil || !b.env.User.CanRead(rel) {
			return nil, b.badRelationship(part.Text, pos)
		}
		bp.hops = append(bp.hops, rel)
		bp.hopNames = append(bp.hopNames, rel.RelationshipName)
		if len(rel.ReferenceTo) != 1 {
			for _, name := range rel.ReferenceTo {
				if t := b.env.Schema.Object(name); t != nil {
					bp.polyTo = append(bp.polyTo, t)
				}
			}
			if bp.polyTo == nil {
				return nil, b.badRelationship(part.Text, pos)
			}
			continue
		}
		next := b.env.Schema.Object(rel.ReferenceTo[0])
		if next == nil {
			return nil, b.badRelationship(part.Text, pos)
		}
		cur = next
	}
	return bp, nil
}

// getter reads a bound path's value from a record, following lookups.
type getter struct {
	hops     []*org.Field
	field    *org.Field
	fieldObj *org.Object
	polyName string
	polyType bool
	data     *org.Data
}

func newGetter(bp *boundPath, d *org.Data) *getter {
	return &getter{hops: bp.hops, field: bp.field, fieldObj: bp.fieldObj, polyName: bp.polyName, polyType: bp.polyType, data: d}
}

// direct reports the field index when the path is a plain field of the
// record itself, so hot loops can index Values directly.
func (g *getter) direct() (int, bool) {
	if len(g.hops) == 0 && g.field != nil && g.field.Components == nil {
		return g.field.Index, true
	}
	return 0, false
}

func (g *getter) get(r *org.Record) any {
	for _, h := range g.hops {
		r = deref(g.data, r, h)
		if r == nil {
			return nil
		}
	}
	return leafValue(r, g.field, g.fieldObj, g.polyName, g.polyType)
}

// deref follows the lookup f of r to the parent record, or nil.
func deref(d *org.Data, r *org.Record, f *org.Field) *org.Record {
	id, _ := r.Get(f).(string)
	if id == "" {
		return nil
	}
	return d.Get(org.ID(id))
}

func leafValue(r *org.Record, f *org.Field, fo *org.Object, polyName string, polyType bool) any {
	switch {
	case f != nil && r.Object == fo && f.Components == nil:
		if f.Index < len(r.Values) {
			return r.Values[f.Index]
		}
		return nil
	case f != nil:
		return r.GetName(f.Name)
	case polyType:
		return r.Object.Name
	}
	return r.GetName(polyName)
}
