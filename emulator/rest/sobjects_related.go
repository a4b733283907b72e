package rest

import (
	"net/http"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// deleteByExternalID serves DELETE /sobjects/X/{externalIdField}/{value}:
// 204 when one record matches, 404 NOT_FOUND when none, 300 with the
// records' URLs when several do (nothing is deleted then).
func (s *Service) deleteByExternalID(c *call) (gateway.Response, error) {
	o, f, err := s.externalTarget(c)
	if err != nil {
		return gateway.Response{}, err
	}
	recs, _ := c.org.Data.Lookup(o, f, c.Var("value"), false)
	switch len(recs) {
	case 0:
		return gateway.Response{}, errNotFound
	case 1:
		if derr := c.org.Data.DeleteIn(c.tx(), recs[0].ID, c.session.User, c.now); derr != nil {
			return gateway.Response{}, dmlFailed(*derr)
		}
		return gateway.NoContent(), nil
	}
	return multipleChoices(c, recs)
}

// relationship serves GET /sobjects/X/{id}/{relationshipName}: through a
// lookup (Contact/{id}/Account) the parent record; through a child
// relationship (Account/{id}/Contacts) its children as a query result.
// ?fields= selects the related object's fields. A null lookup, or a name
// that is neither, is 404 NOT_FOUND.
func (s *Service) relationship(c *call, o *org.Object, id org.ID, name string) (gateway.Response, error) {
	rec, err := s.recordByID(c, o, string(id))
	if err != nil {
		return gateway.Response{}, err
	}
	if f := o.Relationship(name); f != nil {
		raw, _ := rec.Get(f).(string)
		pid, err := org.ParseID(raw)
		if err != nil {
			return gateway.Response{}, errNotFound
		}
		parent := c.org.Data.Get(pid)
		if parent == nil || parent.Deleted() {
			return gateway.Response{}, errNotFound
		}
		fields, err := selectedFields(c, parent.Object)
		if err != nil {
			return gateway.Response{}, err
		}
		return jsonBody(http.StatusOK, appendRecord(nil, c, parent, fields))
	}
	cr := o.ChildRelationship(name)
	if cr == nil {
		return gateway.Response{}, errNotFound
	}
	fields, err := selectedFields(c, cr.Child)
	if err != nil {
		return gateway.Response{}, err
	}
	children, indexed := c.org.Data.Lookup(cr.Child, cr.Field, string(rec.ID), false)
	if !indexed {
		want, _ := org.IndexKey(cr.Field, string(rec.ID))
		c.org.Data.Scan(cr.Child, false, func(r *org.Record) bool {
			if k, ok := org.IndexKey(cr.Field, r.Get(cr.Field)); ok && k == want {
				children = append(children, r)
			}
			return true
		})
	}
	b := []byte(`{"totalSize":`)
	b = appendValue(b, nil, len(children))
	b = append(b, `,"done":true,"records":[`...)
	for i, r := range children {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRecord(b, c, r, fields)
	}
	return jsonBody(http.StatusOK, append(b, "]}"...))
}

// The minimal describe/layouts answer: one layout, "Information", listing
// every field of the object one to a row, and the Master record type
// mapped to it. Real layouts are configured per org; clients that read
// layouts mostly want the fields and their order.
type (
	layoutComponent struct {
		DisplayLines int    `json:"displayLines"`
		TabOrder     int    `json:"tabOrder"`
		Type         string `json:"type"`
		Value        string `json:"value"`
	}
	layoutItem struct {
		EditableForNew    bool              `json:"editableForNew"`
		EditableForUpdate bool              `json:"editableForUpdate"`
		Label             string            `json:"label"`
		LayoutComponents  []layoutComponent `json:"layoutComponents"`
		Placeholder       bool              `json:"placeholder"`
		Required          bool              `json:"required"`
	}
	layoutRow struct {
		LayoutItems []layoutItem `json:"layoutItems"`
		NumItems    int          `json:"numItems"`
	}
	layoutSection struct {
		Collapsed             bool        `json:"collapsed"`
		Columns               int         `json:"columns"`
		Heading               string      `json:"heading"`
		LayoutRows            []layoutRow `json:"layoutRows"`
		LayoutSectionID       string      `json:"layoutSectionId"`
		Rows                  int         `json:"rows"`
		TabOrder              string      `json:"tabOrder"`
		UseCollapsibleSection bool        `json:"useCollapsibleSection"`
		UseHeading            bool        `json:"useHeading"`
	}
	layout struct {
		ButtonLayoutSection        any             `json:"buttonLayoutSection"`
		DetailLayoutSections       []layoutSection `json:"detailLayoutSections"`
		EditLayoutSections         []layoutSection `json:"editLayoutSections"`
		FeedView                   any             `json:"feedView"`
		HighlightsPanelLayout      any             `json:"highlightsPanelLayoutSection"`
		ID                         string          `json:"id"`
		MultirowEditLayoutSections []any           `json:"multirowEditLayoutSections"`
		OfflineLinks               []any           `json:"offlineLinks"`
		QuickActionList            map[string]any  `json:"quickActionList"`
		RelatedContent             any             `json:"relatedContent"`
		RelatedLists               []any           `json:"relatedLists"`
		SaveOptions                []any           `json:"saveOptions"`
	}
	recordTypeMapping struct {
		Active                   bool              `json:"active"`
		Available                bool              `json:"available"`
		DefaultRecordTypeMapping bool              `json:"defaultRecordTypeMapping"`
		DeveloperName            string            `json:"developerName"`
		LayoutID                 string            `json:"layoutId"`
		Master                   bool              `json:"master"`
		Name                     string            `json:"name"`
		PicklistsForRecordType   []any             `json:"picklistsForRecordType"`
		RecordTypeID             string            `json:"recordTypeId"`
		URLs                     map[string]string `json:"urls"`
	}
)

// masterRecordTypeID is the id every org gives the Master record type.
const masterRecordTypeID = "012000000000000AAA"

// layoutID is the object's one layout's id: key prefix 00h, numbered by
// the object's key prefix so it is stable across calls and runs.
func layoutID(o *org.Object) string {
	var n uint64
	for _, ch := range o.KeyPrefix {
		n = n*64 + uint64(ch)
	}
	return string(org.MakeID("00h", n))
}

// describeLayouts serves GET /sobjects/X/describe/layouts/ (minimal: see layout).
func (s *Service) describeLayouts(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	id := layoutID(o)
	section := func(edit bool) layoutSection {
		sec := layoutSection{Columns: 1, Heading: "Information", LayoutRows: []layoutRow{}, LayoutSectionID: "01B" + id[3:15],
			TabOrder: "TopToBottom", UseHeading: false}
		for i, f := range c.user().ReadableFields(o.Fields) {
			canEdit := c.user().CanEdit(f)
			if edit && (!f.Createable && !f.Updateable || !canEdit) {
				continue
			}
			sec.LayoutRows = append(sec.LayoutRows, layoutRow{NumItems: 1, LayoutItems: []layoutItem{{
				EditableForNew: f.Createable && canEdit, EditableForUpdate: f.Updateable && canEdit, Label: f.Label, Required: f.Required,
				LayoutComponents: []layoutComponent{{DisplayLines: 1, TabOrder: i + 1, Type: "Field", Value: f.Name}},
			}}})
		}
		sec.Rows = len(sec.LayoutRows)
		return sec
	}
	l := layout{DetailLayoutSections: []layoutSection{section(false)}, EditLayoutSections: []layoutSection{section(true)},
		ID: id, MultirowEditLayoutSections: []any{}, OfflineLinks: []any{},
		QuickActionList: map[string]any{"quickActionListItems": []any{}}, RelatedLists: []any{}, SaveOptions: []any{}}
	p := c.urlPrefix() + "/sobjects/" + o.Name + "/describe/layouts/" + masterRecordTypeID
	return gateway.JSON(http.StatusOK, struct {
		Layouts                    []layout            `json:"layouts"`
		RecordTypeMappings         []recordTypeMapping `json:"recordTypeMappings"`
		RecordTypeSelectorRequired []bool              `json:"recordTypeSelectorRequired"`
	}{
		Layouts: []layout{l},
		RecordTypeMappings: []recordTypeMapping{{Active: true, Available: true, DefaultRecordTypeMapping: true,
			DeveloperName: "Master", LayoutID: id, Master: true, Name: "Master", PicklistsForRecordType: []any{},
			RecordTypeID: masterRecordTypeID, URLs: map[string]string{"layout": p}}},
		RecordTypeSelectorRequired: []bool{false},
	})
}
