package soql

import (
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// Env is what a query runs against.
type Env struct {
	Schema *org.Schema
	Data   *org.Data
	// Now and Location anchor relative date literals (TODAY, LAST_N_DAYS:n…):
	// the emulator's clock and the org's time zone.
	Now      time.Time
	Location *time.Location
	// IncludeDeleted is queryAll: records in the recycle bin match too.
	IncludeDeleted bool
	// User is who runs the query: fields its field-level security hides
	// do not exist for it. Nil: the system, which sees every field.
	User *org.User
}

// Result is a query's answer, before paging and JSON.
type Result struct {
	// Object is the FROM object.
	Object *org.Object
	// Rows are the records, or AggregateResult rows (Row.Object nil). Empty
	// for COUNT().
	Rows []*Row
	// TotalSize is the number of rows, or the count for COUNT().
	TotalSize int
	// CountOnly marks SELECT COUNT() queries.
	CountOnly bool
	// Aggregate marks queries whose rows are AggregateResult.
	Aggregate bool
	// Columns describe the SELECT list, for columns=true.
	Columns []Column

	// lazy, for a result of RunCursor, projects rows when a page asks.
	lazy *lazyRows
}

// lazyRows are a result's records, projected a page at a time: a cursor
// over 1,000,000 records holds 8 MB of record pointers, not 260 MB of rows.
// The records are the versions the query matched (org.Data never changes
// a stored version: an update stores a new one), so a page projected later
// reads what the query saw.
type lazyRows struct {
	plan *queryPlan
	recs []*org.Record
}

// Len is the number of rows the result holds (TotalSize, unless COUNT()).
func (r *Result) Len() int {
	if r.lazy != nil {
		return len(r.lazy.recs)
	}
	return len(r.Rows)
}

// Each calls fn with rows [from, to) of the result, in order (bounds
// clamped as Slice's). A lazy result projects each row into one scratch
// row that fn must not keep: a page is written without a row allocated
// per record. fn may keep nothing it is given but values.
func (r *Result) Each(from, to int, fn func(*Row)) {
	n := r.Len()
	to = min(max(to, 0), n)
	from = min(max(from, 0), to)
	if r.lazy == nil {
		for _, row := range r.Rows[from:to] {
			fn(row)
		}
		return
	}
	p := r.lazy.plan
	scratch := make([]FieldValue, len(p.proj))
	var row Row
	for _, rec := range r.lazy.recs[from:to] {
		p.projectInto(scratch, p.proj, rec)
		row = Row{Object: rec.Object, ID: rec.ID, Fields: scratch}
		fn(&row)
	}
}

// Slice returns rows [from, to) of the result, projected now if the
// result is lazy. The bounds are clamped to [0, Len()].
func (r *Result) Slice(from, to int) []*Row {
	n := r.Len()
	to = min(max(to, 0), n)
	from = min(max(from, 0), to)
	if r.lazy != nil {
		return r.lazy.plan.rows(r.lazy.recs[from:to])
	}
	return r.Rows[from:to]
}

// Row is one record (or one aggregate group) with its selected fields in
// SELECT order.
type Row struct {
	Object *org.Object // nil for an AggregateResult
	ID     org.ID      // empty for an AggregateResult
	Fields []FieldValue
}

// FieldValue is one selected value. Value is nil, string, float64, bool,
// time.Time, *Row (a parent record: every field selected through that
// relationship, nested; nil when the lookup is empty) or *Result (a child
// subquery; nil when there are no children).
type FieldValue struct {
	Name  string     // canonical API name, relationship name, alias or exprN
	Field *org.Field // the field, or the lookup field of a relationship; nil for aggregates and subqueries
	Value any
}

// Get returns the value named name (exact match), or nil.
func (r *Row) Get(name string) any {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return nil
}

// Column is one entry of columnMetadata as `sf data query` reads it
// (query?columns=true): the shape is taken from the Salesforce CLI's use of
// it; for relationships and subqueries joinColumns nest the selected fields.
type Column struct {
	ColumnName  string   `json:"columnName"`
	DisplayName string   `json:"displayName"`
	Aggregate   bool     `json:"aggregate"`
	JoinColumns []Column `json:"joinColumns"`
}
