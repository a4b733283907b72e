package soap

import (
	"fmt"
	"strconv"

	"github.com/sfemu/sfemu/emulator/internal/soapxml"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// describeGlobal lists the org's objects (DescribeGlobalResult).
func describeGlobal(c *call, b []byte) ([]byte, error) {
	b = append(b, "<describeGlobalResponse><result>"...)
	b = appendElem(b, "encoding", "UTF-8")
	b = appendIntElem(b, "maxBatchSize", maxRecords)
	for _, o := range c.org.Schema.Objects() {
		b = append(b, "<sobjects>"...)
		b = appendObjectFlags(b, o)
		b = append(b, "</sobjects>"...)
	}
	return append(b, "</result></describeGlobalResponse>"...), nil
}

// appendObjectFlags writes the object properties DescribeGlobalSObjectResult
// has, in its order.
func appendObjectFlags(b []byte, o *org.Object) []byte {
	b = appendBool(b, "activateable", false)
	b = appendObjectHead(b, o)
	b = appendBool(b, "hasSubtypes", false)
	b = appendBool(b, "idEnabled", true)
	return appendObjectTail(b, o)
}

// appendObjectHead and appendObjectTail are the properties both describe
// results list, before and after what only one of them has.
func appendObjectHead(b []byte, o *org.Object) []byte {
	b = appendBool(b, "createable", o.Createable)
	b = appendBool(b, "custom", o.Custom)
	b = appendBool(b, "customSetting", false)
	b = appendBool(b, "deletable", o.Deletable)
	b = appendBool(b, "deprecatedAndHidden", false)
	return appendBool(b, "feedEnabled", false)
}

func appendObjectTail(b []byte, o *org.Object) []byte {
	b = appendElemOrNil(b, "keyPrefix", o.KeyPrefix)
	b = appendElem(b, "label", o.Label)
	b = appendElem(b, "labelPlural", o.LabelPlural)
	b = appendBool(b, "layoutable", o.Createable)
	b = appendBool(b, "mergeable", false)
	b = appendBool(b, "mruEnabled", false)
	b = appendElem(b, "name", o.Name)
	b = appendBool(b, "queryable", o.Queryable)
	b = appendBool(b, "replicateable", o.Queryable)
	b = appendBool(b, "retrieveable", true)
	b = appendBool(b, "searchable", o.Searchable)
	b = appendBool(b, "triggerable", o.Createable)
	b = appendBool(b, "undeletable", o.Deletable)
	return appendBool(b, "updateable", o.Updateable)
}

func (c *call) object(name string) (*org.Object, error) {
	o := c.org.Schema.Object(name)
	if o == nil {
		return nil, &fault{code: "INVALID_TYPE", kind: "InvalidSObjectFault",
			message: soql.UnsupportedTypeText(name)}
	}
	return o, nil
}

func describeSObject(c *call, b []byte) ([]byte, error) {
	o, err := c.object(c.req.body.childText("sObjectType"))
	if err != nil {
		return nil, err
	}
	b = append(b, "<describeSObjectResponse>"...)
	b = c.appendDescribe(b, o)
	return append(b, "</describeSObjectResponse>"...), nil
}

// describeSObjects describes up to 100 objects.
func describeSObjects(c *call, b []byte) ([]byte, error) {
	names := c.req.body.all("sObjectType")
	if len(names) > 100 {
		return nil, unexpected("EXCEEDED_MAX_TYPES_LIMIT", "describeSObjects takes at most 100 types")
	}
	b = append(b, "<describeSObjectsResponse>"...)
	for _, n := range names {
		o, err := c.object(n.text.String())
		if err != nil {
			return nil, err
		}
		b = c.appendDescribe(b, o)
	}
	return append(b, "</describeSObjectsResponse>"...), nil
}

// appendDescribe writes one DescribeSObjectResult, elements in the WSDL's
// order; the field facts are the same as the REST describe's
// (org.Object.DescribeFields).
func (c *call) appendDescribe(b []byte, o *org.Object) []byte {
	b = append(b, "<result>"...)
	b = appendBool(b, "activateable", false)
	for _, cr := range o.DescribeChildRelationshipsFor(c.user()) {
		b = append(b, "<childRelationships>"...)
		b = appendBool(b, "cascadeDelete", cr.CascadeDelete)
		b = appendElem(b, "childSObject", cr.ChildSObject)
		b = appendBool(b, "deprecatedAndHidden", false)
		b = appendElem(b, "field", cr.Field)
		if cr.RelationshipName != nil {
			b = appendElem(b, "relationshipName", *cr.RelationshipName)
		}
		b = appendBool(b, "restrictedDelete", cr.RestrictedDelete)
		b = append(b, "</childRelationships>"...)
	}
	b = appendObjectHead(b, o)
	for _, f := range o.DescribeFieldsFor(c.user()) {
		b = appendFieldDescribe(b, f)
	}
	b = appendObjectTail(b, o)
	base := c.BaseURL + "/"
	b = appendElem(b, "urlDetail", base+"{ID}")
	b = appendElem(b, "urlEdit", base+"{ID}/e")
	if o.KeyPrefix != "" {
		b = appendElem(b, "urlNew", base+o.KeyPrefix+"/e")
	} else {
		b = appendNil(b, "urlNew")
	}
	return append(b, "</result>"...)
}

func appendFieldDescribe(b []byte, f org.FieldDescribe) []byte {
	b = append(b, "<fields>"...)
	b = appendBool(b, "aggregatable", f.Groupable || f.Type.IsNumber())
	b = appendBool(b, "autoNumber", false)
	b = appendIntElem(b, "byteLength", f.ByteLength)
	b = appendBool(b, "calculated", f.Calculated)
	b = appendBool(b, "caseSensitive", false)
	if f.CompoundFieldName != nil {
		b = appendElem(b, "compoundFieldName", *f.CompoundFieldName)
	}
	b = appendBool(b, "createable", f.Createable)
	b = appendBool(b, "custom", f.Custom)
	if f.DefaultValue != nil {
		b = appendDefaultValue(b, f.DefaultValue)
	}
	b = appendBool(b, "defaultedOnCreate", f.DefaultedOnCreate)
	b = appendBool(b, "deprecatedAndHidden", false)
	b = appendIntElem(b, "digits", f.Digits)
	b = appendBool(b, "externalId", f.ExternalID)
	b = appendBool(b, "filterable", f.Filterable)
	b = appendBool(b, "groupable", f.Groupable)
	b = appendBool(b, "idLookup", f.IDLookup)
	b = appendElem(b, "label", f.Label)
	b = appendIntElem(b, "length", f.Length)
	b = appendElem(b, "name", f.Name)
	b = appendBool(b, "nameField", f.NameField)
	b = appendBool(b, "nillable", f.Nillable)
	b = appendBool(b, "permissionable", f.Custom || f.Nillable)
	for _, p := range f.PicklistValues {
		b = append(b, "<picklistValues>"...)
		b = appendBool(b, "active", p.Active)
		b = appendBool(b, "defaultValue", p.DefaultValue)
		b = appendElem(b, "label", p.Label)
		b = appendElem(b, "value", p.Value)
		b = append(b, "</picklistValues>"...)
	}
	b = appendIntElem(b, "precision", f.Precision)
	b = appendBool(b, "queryByDistance", false)
	for _, r := range f.ReferenceTo {
		b = appendElem(b, "referenceTo", r)
	}
	if f.RelationshipName != nil {
		b = appendElem(b, "relationshipName", *f.RelationshipName)
	}
	b = appendBool(b, "restrictedPicklist", f.RestrictedPicklist)
	b = appendIntElem(b, "scale", f.Scale)
	b = appendElem(b, "soapType", f.SOAPType)
	b = appendBool(b, "sortable", f.Sortable)
	b = appendElem(b, "type", string(f.Type))
	b = appendBool(b, "unique", f.Unique)
	b = appendBool(b, "updateable", f.Updateable)
	return append(b, "</fields>"...)
}

// appendDefaultValue writes an xsd:anyType value with its xsi:type.
func appendDefaultValue(b []byte, v any) []byte {
	typ, text := "xsd:string", ""
	switch x := v.(type) {
	case bool:
		typ, text = "xsd:boolean", strconv.FormatBool(x)
	case float64:
		typ, text = "xsd:double", string(org.AppendJavaDouble(nil, x))
	case string:
		text = x
	default:
		text = fmt.Sprint(x)
	}
	b = append(b, `<defaultValue xmlns:xsd="`+soapxml.XSDNS+`" xsi:type="`...)
	b = append(b, typ...)
	b = append(b, `">`...)
	b = soapxml.AppendText(b, text)
	return append(b, "</defaultValue>"...)
}
