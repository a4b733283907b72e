package rest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// Limits of sObject Tree (guide, "Create Nested Records" / "sObject Tree"):
// up to 200 records a request, up to five levels deep.
const (
	maxTreeRecords = 200
	maxTreeLevels  = 5
)

// treeNode is one record of a tree request.
type treeNode struct {
	object *org.Object
	ref    string
	fields map[string]any
	parent *treeNode
	link   *org.Field // the child's lookup to parent
	id     org.ID
	failed bool
}

type treeResult struct {
	ReferenceID string         `json:"referenceId"`
	ID          org.ID         `json:"id,omitempty"`
	Errors      []org.DMLError `json:"errors,omitempty"`
}

type treeResponse struct {
	HasErrors bool         `json:"hasErrors"`
	Results   []treeResult `json:"results"`
}

// treeParser turns a tree body into levels of nodes, breadth first.
type treeParser struct {
	levels [][]*treeNode
	count  int
	refs   map[string]bool
	errs   []treeResult
}

// walk reads records at level (0 for the top) whose type must be want.
func (p *treeParser) walk(raw []any, want *org.Object, parent *treeNode, link *org.Field, level int) error {
	if level >= maxTreeLevels {
		// UNKNOWN wording.
		return badRequest("INVALID_INPUT", fmt.Sprintf("The request can have at most %d levels of nested records.", maxTreeLevels))
	}
	for _, r := range raw {
		fields, ok := r.(map[string]any)
		if !ok {
			return badRequest("JSON_PARSER_ERROR", "Each element of records must be a JSON object.") // UNKNOWN wording
		}
		p.count++
		if p.count > maxTreeRecords {
			return badRequest("LIMIT_EXCEEDED", fmt.Sprintf("The request can have at most %d records.", maxTreeRecords)) // UNKNOWN wording
		}
		attrs, _ := fields["attributes"].(map[string]any)
		typ, _ := attrs["type"].(string)
		ref, _ := attrs["referenceId"].(string)
		delete(fields, "attributes")
		n := &treeNode{object: want, ref: ref, fields: fields, parent: parent, link: link}
		switch {
		case ref == "":
			p.errs = append(p.errs, treeResult{ReferenceID: ref, Errors: []org.DMLError{{StatusCode: "INVALID_INPUT", Message: "Include a reference ID for each record in the request.", Fields: []string{}}}})
			n.failed = true
		case p.refs[ref]:
			p.errs = append(p.errs, treeResult{ReferenceID: ref, Errors: []org.DMLError{{StatusCode: "INVALID_INPUT", Message: "Duplicate ReferenceId provided in the request.", Fields: []string{}}}})
			n.failed = true
		case !strings.EqualFold(typ, want.Name):
			p.errs = append(p.errs, treeResult{ReferenceID: ref, Errors: []org.DMLError{{StatusCode: "INVALID_TYPE", Fields: []string{},
				Message: fmt.Sprintf("sObject type '%s' does not match the expected type %s.", typ, want.Name)}}})
			n.failed = true
		}
		p.refs[ref] = true
		for len(p.levels) <= level {
			p.levels = append(p.levels, nil)
		}
		p.levels[level] = append(p.levels[level], n)
		keys := make([]string, 0, len(fields))
		for key := range fields {
			keys = append(keys, key)
		}
		sort.Strings(keys) // children of several relationships in a stable order
		for _, key := range keys {
			v := fields[key]
			cr := want.ChildRelationship(key)
			child, isObj := v.(map[string]any)
			if cr == nil || !isObj {
				continue // a field: Insert judges it
			}
			recs, _ := child["records"].([]any)
			delete(fields, key)
			if err := p.walk(recs, cr.Child, n, cr.Field, level+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// compositeTree serves POST /composite/tree/X (guide, "sObject Tree"):
// records with nested children, created together or not at all. 201
// {"hasErrors":false,"results":[{"referenceId","id"}]} breadth first; 400
// {"hasErrors":true,"results":[{"referenceId","errors"}]} naming the
// records that failed.
func (s *Service) compositeTree(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	data, err := c.Body(maxBodyBytes)
	if err != nil {
		return gateway.Response{}, err
	}
	var body struct {
		Records []any `json:"records"`
	}
	if err := decodeJSON(data, &body); err != nil {
		return gateway.Response{}, err
	}
	p := &treeParser{refs: map[string]bool{}}
	if err := p.walk(body.Records, o, nil, nil, 0); err != nil {
		return gateway.Response{}, err
	}
	if len(p.errs) > 0 {
		return compositeJSON(http.StatusBadRequest, treeResponse{HasErrors: true, Results: p.errs})
	}
	tx := c.tx().Begin()
	var results, failures []treeResult
	for _, level := range p.levels {
		for _, n := range level {
			if n.parent != nil {
				if n.parent.failed {
					n.failed = true
					continue
				}
				n.fields[n.link.Name] = string(n.parent.id)
			}
			rec, errs := c.org.Data.Insert(n.object, n.fields, c.session.User, c.now, c.createOptionsIn(tx))
			if errs != nil {
				n.failed = true
				failures = append(failures, treeResult{ReferenceID: n.ref, Errors: errs})
				continue
			}
			n.id = rec.ID
			results = append(results, treeResult{ReferenceID: n.ref, ID: rec.ID})
		}
	}
	if len(failures) > 0 {
		tx.Rollback()
		return compositeJSON(http.StatusBadRequest, treeResponse{HasErrors: true, Results: failures})
	}
	tx.Commit()
	if results == nil {
		results = []treeResult{}
	}
	return compositeJSON(http.StatusCreated, treeResponse{Results: results})
}
