package org

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// standardSchemaText is the standard objects and fields, one line each; see
// the file's header for its format and the Salesforce pages it is written from.
//
//go:embed standard_schema.txt
var standardSchemaText string

// statusFlags are a picklist's closed (and won) values, by value: the closed
// flag of a Task status, a Case status, an Opportunity stage.
type statusFlags struct{ closed, won map[string]bool }

// The table is read from standard_schema.txt when sfemu is built, not
// when it starts: standard_schema_gen.go holds standardTable, the objects
// with their fields ready to copy, and standardStatus, keyed by
// "Object.Field". Reading the text at start-up was a fifth of an sfemu
// serve start; TestStandardSchemaGenerated checks that the generated file
// is what parseStandardSchema reads from the text now, and rewrites it
// with -update.

// objectSpecRow is one object of the table with its fields as
// prototypes; each org's schema copies them (newStandardSchema), since an
// org may change its own (custom picklist values, say).
type objectSpecRow struct {
	spec   objectSpec
	protos []Field
}

type fieldRow struct {
	name, label string
	typ         FieldType
	size        string
	flags       []string
	values      []string
}

// closedValue reports whether v is a closed value of o's field (Task.Status
// "Completed", Case.Status "Closed", Opportunity.StageName "Closed Lost"),
// and whether it is also won.
func closedValue(o *Object, field string, v any) (closed, won bool) {
	s, _ := v.(string)
	sf := standardStatus[o.Name+"."+field]
	if sf == nil || s == "" {
		return false, false
	}
	for val := range sf.closed {
		if strings.EqualFold(val, s) {
			return true, sf.won[val]
		}
	}
	return false, false
}

func parseStandardSchema(text string) ([]objectSpecRow, map[string]*statusFlags, error) {
	var out []objectSpecRow
	status := map[string]*statusFlags{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "|")
		if strings.HasPrefix(line, "@") {
			if len(cols) != 5 {
				return nil, nil, fmt.Errorf("standard_schema.txt:%d: object line needs 5 columns", n+1)
			}
			spec := objectSpec{name: cols[0][1:], label: cols[1], plural: cols[2], prefix: cols[3]}
			for _, fl := range strings.Fields(cols[4]) {
				switch fl {
				case "owned":
					spec.owned = true
				case "readonly":
					spec.readOnly = true
				case "nocreate":
					spec.noCreate = true
				case "virtual":
					spec.virtual = true
				case "nosystem":
					spec.noSystem = true
				default:
					return nil, nil, fmt.Errorf("standard_schema.txt:%d: unknown object flag %q", n+1, fl)
				}
			}
			out = append(out, objectSpecRow{spec: spec})
			continue
		}
		if len(out) == 0 || len(cols) != 6 {
			return nil, nil, fmt.Errorf("standard_schema.txt:%d: field line needs 6 columns after an object line", n+1)
		}
		obj := &out[len(out)-1]
		fr := fieldRow{name: cols[0], label: cols[1], typ: FieldType(cols[2]), size: cols[3], flags: strings.Fields(cols[4])}
		if cols[5] != "" {
			fr.values = strings.Split(cols[5], ";")
		}
		for _, v := range fr.values {
			if v == "" {
				continue
			}
			if v[0] == '!' || v[0] == '^' {
				key := obj.spec.name + "." + fr.name
				sf := status[key]
				if sf == nil {
					sf = &statusFlags{closed: map[string]bool{}, won: map[string]bool{}}
					status[key] = sf
				}
				sf.closed[v[1:]] = true
				sf.won[v[1:]] = v[0] == '^'
			}
		}
		proto, err := fr.check()
		if err != nil {
			return nil, nil, fmt.Errorf("standard_schema.txt:%d: %s.%s: %v", n+1, obj.spec.name, fr.name, err)
		}
		obj.protos = append(obj.protos, *proto.f)
	}
	return out, status, nil
}

// check validates a row by building it once.
func (fr fieldRow) check() (fieldSpec, error) {
	switch fr.typ {
	case TypeID, TypeString, TypeTextArea, TypeEmail, TypePhone, TypeURL, TypePicklist, TypeMultiPicklist, TypeCombobox,
		TypeBoolean, TypeInt, TypeDouble, TypeCurrency, TypePercent, TypeDate, TypeDateTime, TypeReference, TypeAddress:
	default:
		return fieldSpec{}, fmt.Errorf("unknown type %q", fr.typ)
	}
	if fr.size != "" {
		for _, part := range strings.Split(fr.size, ".") {
			if _, err := strconv.Atoi(part); err != nil {
				return fieldSpec{}, fmt.Errorf("bad size %q", fr.size)
			}
		}
	}
	for _, fl := range fr.flags {
		name, _, _ := strings.Cut(fl, "=")
		switch name {
		case "req", "ro", "noupd", "idx", "nonull", "ref", "child", "restricted":
		default:
			return fieldSpec{}, fmt.Errorf("unknown flag %q", fl)
		}
	}
	return fr.build(), nil
}

func (fr fieldRow) build() fieldSpec {
	s := fld(fr.name, fr.typ)
	if fr.label != "" {
		s = s.label(fr.label)
	}
	if fr.size != "" {
		p, sc, hasScale := strings.Cut(fr.size, ".")
		n, _ := strconv.Atoi(p)
		switch {
		case fr.typ.IsNumber():
			s.f.Precision = n
			if hasScale {
				s.f.Scale, _ = strconv.Atoi(sc)
			}
		default:
			s = s.length(n)
		}
	}
	var def string
	hasDef := false
	for _, v := range fr.values {
		if v == "" {
			continue
		}
		if v[0] == '*' {
			v, def, hasDef = v[1:], v[1:], true
		}
		if v[0] == '!' || v[0] == '^' {
			v = v[1:]
		}
		s = s.values(v)
	}
	for _, fl := range fr.flags {
		name, arg, _ := strings.Cut(fl, "=")
		switch name {
		case "req":
			s = s.required()
		case "ro":
			s = s.readOnly()
		case "noupd":
			s.f.Updateable = false
		case "idx":
			s = s.indexed()
		case "nonull":
			s.f.Nillable = false
		case "restricted":
			s.f.Restricted = true
		case "ref":
			rel, to, _ := strings.Cut(arg, ">")
			s = s.ref(rel, strings.Split(to, ",")...)
		case "child":
			s.f.childName = arg
		}
	}
	if hasDef {
		s = s.defaultValue(def)
	}
	return s
}
