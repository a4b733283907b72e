package metadata

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The namespace every metadata file's root element is in (Metadata API
// Developer Guide, "Metadata Components and Types").
const metadataNS = "http://soap.sforce.com/2006/04/metadata"

// Limits on one file, so a hostile or broken file costs bounded memory.
const (
	maxFileBytes = 8 << 20
	maxDepth     = 64
	maxElements  = 200_000
)

// element is one XML element of a metadata file, with where it starts.
type element struct {
	Name     string
	Text     string // the character data, trimmed; only for leaf elements
	Line     int
	Col      int
	Children []*element
}

// child is the first child named name, or nil.
func (e *element) child(name string) *element {
	for _, c := range e.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// text is the text of the first child named name ("" when absent).
func (e *element) text(name string) string {
	if c := e.child(name); c != nil {
		return c.Text
	}
	return ""
}

// all is every child named name, in order.
func (e *element) all(name string) []*element {
	var out []*element
	for _, c := range e.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// parseXML reads a metadata file into its element tree. It refuses
// document type declarations outright: metadata files never carry one, and
// refusing them is what keeps entity-expansion bombs (billion laughs) out.
func parseXML(file string, data []byte) (*element, error) {
	if len(data) > maxFileBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("the file is %d bytes; metadata files over %d bytes are not read", len(data), maxFileBytes)}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var stack []*element
	var root *element
	var text strings.Builder
	count := 0
	for {
		line, col := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l, c := d.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &Error{File: file, Line: se.Line, Msg: "malformed XML: " + se.Msg}
			}
			return nil, &Error{File: file, Line: l, Column: c, Msg: "malformed XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, &Error{File: file, Line: line, Column: col, Msg: "a <!DOCTYPE> or <!ENTITY> declaration: metadata files have none, and sfemu does not expand entities"}
		case xml.StartElement:
			count++
			if count > maxElements {
				return nil, &Error{File: file, Line: line, Column: col, Msg: fmt.Sprintf("more than %d elements in one file", maxElements)}
			}
			if len(stack) >= maxDepth {
				return nil, &Error{File: file, Line: line, Column: col, Msg: fmt.Sprintf("elements nested more than %d deep", maxDepth)}
			}
			e := &element{Name: t.Name.Local, Line: line, Col: col}
			if len(stack) == 0 {
				if root != nil {
					return nil, &Error{File: file, Line: line, Column: col, Msg: "a second root element <" + t.Name.Local + ">"}
				}
				if t.Name.Space != metadataNS {
					return nil, &Error{File: file, Line: line, Column: col, Msg: fmt.Sprintf("<%s> is not in the metadata namespace (want xmlns=%q)", t.Name.Local, metadataNS)}
				}
				root = e
			} else {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, e)
			}
			stack = append(stack, e)
			text.Reset()
		case xml.CharData:
			if len(stack) > 0 && text.Len() < maxFileBytes {
				text.Write(t)
			}
		case xml.EndElement:
			e := stack[len(stack)-1]
			if len(e.Children) == 0 {
				e.Text = strings.TrimSpace(text.String())
			}
			text.Reset()
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, &Error{File: file, Msg: "no root element: is this a metadata file?"}
	}
	return root, nil
}
