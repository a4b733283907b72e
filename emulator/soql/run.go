package soql

import (
	"slices"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// Run binds the query's names against env.Schema and evaluates it over
// env.Data. Errors are *Error.
func (q *Query) Run(env Env) (*Result, error) {
	p, err := q.bind(env)
	if err != nil {
		return nil, err
	}
	return p.result(), nil
}

// RunCursor is Run for a caller that pages through the rows (REST's
// nextRecordsUrl, the SOAP API's queryMore, Bulk query results): when the
// SELECT list reads only the FROM object's own fields, the result keeps the
// matched records and projects each page as Slice asks for it; with
// parent fields or child subqueries, which read other records when
// projected, every row is projected at once, as Run does.
func (q *Query) RunCursor(env Env) (*Result, error) {
	p, err := q.bind(env)
	if err != nil {
		return nil, err
	}
	if p.countOnly || p.agg != nil || !p.ownFieldsOnly() {
		return p.result(), nil
	}
	recs := p.selectRecords(p.candidates)
	return &Result{Object: p.obj, Columns: p.cols, TotalSize: len(recs), lazy: &lazyRows{plan: p, recs: recs}}, nil
}

// ownFieldsOnly: the SELECT list reads nothing but the FROM record.
func (p *queryPlan) ownFieldsOnly() bool {
	for _, n := range p.proj {
		if n.sub != nil || n.rel {
			return false
		}
	}
	return true
}

// bind binds q to env, with env's defaults filled in. The error is an
// error interface (nil when none), not a typed nil *Error.
func (q *Query) bind(env Env) (*queryPlan, error) {
	if env.Location == nil {
		env.Location = time.UTC
	}
	if env.Now.IsZero() {
		env.Now = time.Now()
	}
	if env.Schema == nil && env.Data != nil {
		env.Schema = env.Data.Schema()
	}
	b := &binder{env: env, src: q.Text}
	p, err := b.bindQuery(q, nil)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// maxOffset is Salesforce's OFFSET cap; beyond it the API answers
// NUMBER_OUTSIDE_VALID_RANGE "Maximum SOQL offset allowed is 2000", a bare
// message without a query window (bodies quoted in public client code).
const maxOffset = 2000

// maxFieldsLimit: FIELDS(ALL) and FIELDS(CUSTOM) need LIMIT ≤ 200; otherwise
// MALFORMED_QUERY "The SOQL FIELDS function must have a LIMIT of at most 200"
// (Salesforce's SOQL reference, "FIELDS()", and the text as clients quote it).
const maxFieldsLimit = 200

// queryPlan is a bound query (or child subquery) ready to run.
type queryPlan struct {
	b     *binder
	q     *Query
	obj   *org.Object
	data  *org.Data
	proj  []*projNode
	cols  []Column
	where pred
	// index answers `field = 'literal'` / `field IN (…)` from Data.Lookup.
	index     *indexHint
	order     []orderKey
	limit     int // -1: none
	offset    int
	countOnly bool
	agg       *aggPlan
	// childField is, for a child subquery, the child's lookup to the parent.
	childField *org.Field
}

type indexHint struct {
	field  *org.Field
	values []string
}

func (b *binder) bindQuery(q *Query, parent *org.Object) (*queryPlan, *Error) {
	p := &queryPlan{b: b, q: q, data: b.env.Data, limit: -1}
	if parent != nil {
		cr := parent.ChildRelationship(q.From.Text)
		if cr == nil || !b.env.User.CanRead(cr.Field) {
			return nil, b.badChildRelationship(q.From.Text, q.From.Pos)
		}
		p.obj, p.childField = cr.Child, cr.Field
	} else {
		p.obj = b.env.Schema.Object(q.From.Text)
		if p.obj == nil {
			return nil, b.unsupportedType(q.From.Text, q.From.Pos)
		}
	}
	if q.Limit != nil {
		p.limit = q.Limit.N
	}
	if q.Offset != nil {
		if q.Offset.N > maxOffset {
			return nil, errorBare(CodeNumberOutOfRange, "Maximum SOQL offset allowed is 2000")
		}
		p.offset = q.Offset.N
	}
	aggregate := len(q.GroupBy) > 0
	for _, it := range q.Select {
		if it.Kind == ItemAggregate && it.Field.Path != nil || it.Kind == ItemAggregate && len(q.Select) > 1 {
			aggregate = true
		}
	}
	if len(q.Select) == 1 && q.Select[0].Kind == ItemAggregate && q.Select[0].Field.Path == nil && len(q.GroupBy) == 0 {
		p.countOnly = true
		aggregate = false
	}
	if q.Where != nil {
		w, err := b.compileWhere(p, q.Where)
		if err != nil {
			return nil, err
		}
		p.where = w
		p.index = b.indexFor(p, q.Where)
	}
	if aggregate {
		if err := b.bindAggregate(p); err != nil {
			return nil, err
		}
		return p, nil
	}
	if q.Having != nil {
		return nil, b.errAt(CodeMalformedQuery, q.Having.exprPos(), "HAVING clause requires a GROUP BY clause or an aggregate function")
	}
	if !p.countOnly {
		if err := b.bindSelect(p); err != nil {
			return nil, err
		}
	}
	for _, o := range q.OrderBy {
		if o.Key.Func != "" {
			return nil, b.errAt(CodeMalformedQuery, o.Key.Pos(), "Ordered field must be grouped or aggregated: "+o.Key.Text)
		}
		bp, err := b.bindPath(p.obj, q.Alias, *o.Key.Path)
		if err == nil {
			err = b.compoundOnly(bp, "sorted", o.Key.Pos())
		}
		if err != nil {
			return nil, err
		}
		p.order = append(p.order, orderKey{get: newGetter(bp, p.data), desc: o.Desc, nullsFirst: o.NullsFirst})
	}
	return p, nil
}

// indexFor picks a top-level conjunct Data.Lookup can answer.
func (b *binder) indexFor(p *queryPlan, e Expr) *indexHint {
	terms := []Expr{e}
	if l, ok := e.(*Logical); ok && l.Op == "AND" {
		terms = l.Terms
	}
	for _, t := range terms {
		c, ok := t.(*Comparison)
		if !ok || c.Sub != nil || (c.Op != "=" && c.Op != "IN") || c.Left.Path == nil {
			continue
		}
		bp, err := b.bindPath(p.obj, p.q.Alias, *c.Left.Path)
		if err != nil || len(bp.hops) > 0 || bp.field == nil {
			continue
		}
		f := bp.field
		if !(f.Indexed || f.ExternalID || f.Unique || f.Name == "Id") {
			continue
		}
		var vals []string
		for _, v := range c.Values {
			if v.Kind != ValString {
				vals = nil
				break
			}
			vals = append(vals, v.Str)
		}
		if vals != nil {
			return &indexHint{field: f, values: vals}
		}
	}
	return nil
}

// projNode is one entry of the output shape: a field, a parent relationship
// (grouping the fields selected through it) or a child subquery.
type projNode struct {
	name     string
	field    *org.Field // leaf field, or the lookup field of a relationship
	fieldObj *org.Object
	polyName string
	polyType bool
	rel      bool
	children []*projNode
	sub      *queryPlan
	display  string // path as shown in columnMetadata
}

func (b *binder) bindSelect(p *queryPlan) *Error {
	q := p.q
	for _, it := range q.Select {
		switch it.Kind {
		case ItemField:
			if it.Alias != nil {
				return b.errAt(CodeMalformedQuery, it.Alias.Pos, "unexpected token: '"+it.Alias.Text+"'")
			}
			bp, err := b.bindPath(p.obj, q.Alias, *it.Field.Path)
			if err != nil {
				return err
			}
			if err := p.addPath(bp, it.Pos); err != nil {
				return err
			}
		case ItemFields:
			if it.Fields.Text != "STANDARD" && (q.Limit == nil || q.Limit.N > maxFieldsLimit) {
				return b.errAt(CodeMalformedQuery, it.Pos, "The SOQL FIELDS function must have a LIMIT of at most 200")
			}
			for _, f := range p.obj.Fields {
				if (it.Fields.Text == "ALL" || (it.Fields.Text == "CUSTOM") == f.Custom) && b.env.User.CanRead(f) {
					if p.hasLeaf(p.proj, f.Name) {
						continue
					}
					p.proj = append(p.proj, &projNode{name: f.Name, field: f, fieldObj: p.obj, display: f.Name})
				}
			}
		case ItemSubquery:
			if p.childField != nil {
				return b.errAt(CodeMalformedQuery, it.Pos, "unexpected token: '('")
			}
			sp, err := b.bindQuery(it.Sub, p.obj)
			if err != nil {
				return err
			}
			if sp.agg != nil || sp.countOnly {
				return b.errAt(CodeMalformedQuery, it.Sub.SelectPos, "Aggregate functions are not supported in a subquery")
			}
			p.proj = append(p.proj, &projNode{name: relName(p.obj, it.Sub.From.Text), sub: sp, display: it.Sub.From.Text})
		case ItemAggregate:
			return b.errAt(CodeMalformedQuery, it.Pos, "COUNT() can only be used alone")
		}
	}
	p.cols = columnsFor(p.proj)
	return nil
}

func relName(parent *org.Object, name string) string {
	if cr := parent.ChildRelationship(name); cr != nil {
		return cr.Name
	}
	return name
}

func (p *queryPlan) hasLeaf(level []*projNode, name string) bool {
	for _, n := range level {
		if !n.rel && n.sub == nil && strings.EqualFold(n.name, name) {
			return true
		}
	}
	return false
}

// addPath places a selected path in the projection tree: fields reached
// through the same relationship share one nested row, at the position of
// the first of them.
func (p *queryPlan) addPath(bp *boundPath, pos int) *Error {
	level := &p.proj
	display := ""
	for i, hop := range bp.hops {
		display += bp.hopNames[i] + "."
		var node *projNode
		for _, n := range *level {
			if n.rel && n.field == hop {
				node = n
			}
		}
		if node == nil {
			node = &projNode{name: bp.hopNames[i], field: hop, rel: true, display: strings.TrimSuffix(display, ".")}
			*level = append(*level, node)
		}
		level = &node.children
	}
	if p.hasLeaf(*level, bp.name) {
		return p.b.errAt(CodeMalformedQuery, pos, "duplicate field selected: "+bp.text)
	}
	*level = append(*level, &projNode{name: bp.name, field: bp.field, fieldObj: bp.fieldObj,
		polyName: bp.polyName, polyType: bp.polyType, display: display + bp.name})
	return nil
}

func columnsFor(nodes []*projNode) []Column {
	cols := make([]Column, 0, len(nodes))
	for _, n := range nodes {
		c := Column{ColumnName: n.name, DisplayName: n.display, JoinColumns: []Column{}}
		switch {
		case n.rel:
			c.JoinColumns = columnsFor(n.children)
		case n.sub != nil:
			c.Aggregate = true
			c.JoinColumns = n.sub.cols
		}
		cols = append(cols, c)
	}
	return cols
}

// candidates feeds fn the records that may match: from the index when the
// WHERE clause has an indexed equality, else every record of the object.
func (p *queryPlan) candidates(fn func(r *org.Record) bool) {
	inclDeleted := p.b.env.IncludeDeleted
	if p.index != nil {
		var seen map[org.ID]bool
		var all []*org.Record
		ok := true
		for _, v := range p.index.values {
			recs, indexed := p.data.Lookup(p.obj, p.index.field, v, inclDeleted)
			if !indexed {
				ok = false
				break
			}
			if len(p.index.values) > 1 {
				if seen == nil {
					seen = map[org.ID]bool{}
				}
				for _, r := range recs {
					if !seen[r.ID] {
						seen[r.ID] = true
						all = append(all, r)
					}
				}
			} else {
				all = recs
			}
		}
		if ok {
			for _, r := range all {
				if !fn(r) {
					return
				}
			}
			return
		}
	}
	p.data.Scan(p.obj, inclDeleted, fn)
}

// matching returns every record passing the WHERE clause, in scan order.
func (p *queryPlan) matching() []*org.Record {
	var out []*org.Record
	p.candidates(func(r *org.Record) bool {
		if p.where == nil || p.where(r) {
			out = append(out, r)
		}
		return true
	})
	return out
}

func (p *queryPlan) result() *Result {
	res := &Result{Object: p.obj, Columns: p.cols}
	switch {
	case p.countOnly:
		n := 0
		p.candidates(func(r *org.Record) bool {
			if p.where == nil || p.where(r) {
				n++
			}
			return true
		})
		n = max(n-p.offset, 0)
		if p.limit >= 0 && n > p.limit {
			n = p.limit
		}
		res.CountOnly, res.TotalSize = true, n
		res.Columns = []Column{}
		return res
	case p.agg != nil:
		res.Aggregate = true
		res.Rows = p.runAggregate()
		res.TotalSize = len(res.Rows)
		return res
	}
	res.Rows = p.rows(p.selectRecords(p.candidates))
	res.TotalSize = len(res.Rows)
	return res
}

// rows projects the selected records. Rows and their field values are
// allocated in two blocks, not two allocations per record; each Fields
// slice is capped at its own length, so appending to one copies it.
func (p *queryPlan) rows(recs []*org.Record) []*Row {
	out := make([]*Row, len(recs))
	block := make([]Row, len(recs))
	n := len(p.proj)
	fields := make([]FieldValue, len(recs)*n)
	for i, r := range recs {
		f := fields[i*n : (i+1)*n : (i+1)*n]
		p.projectInto(f, p.proj, r)
		block[i] = Row{Object: r.Object, ID: r.ID, Fields: f}
		out[i] = &block[i]
	}
	return out
}

// selectRecords filters, orders and cuts (OFFSET, LIMIT) the records source
// yields. With ORDER BY and LIMIT only the best LIMIT+OFFSET records are kept
// in a bounded heap, so sorting costs O(n log k), not O(n log n).
func (p *queryPlan) selectRecords(source func(func(*org.Record) bool)) []*org.Record {
	keep := -1
	if p.limit >= 0 {
		keep = p.limit + p.offset
	}
	var out []*org.Record
	switch {
	case keep == 0:
	case len(p.order) == 0:
		source(func(r *org.Record) bool {
			if p.where == nil || p.where(r) {
				out = append(out, r)
				if keep >= 0 && len(out) >= keep {
					return false
				}
			}
			return true
		})
	case keep > 0:
		h := &topK{less: p.less, k: keep}
		seq := 0
		source(func(r *org.Record) bool {
			if p.where == nil || p.where(r) {
				h.offer(p.rank(r, seq))
				seq++
			}
			return true
		})
		out = h.sorted()
	default:
		var all []ranked
		source(func(r *org.Record) bool {
			if p.where == nil || p.where(r) {
				all = append(all, p.rank(r, len(all)))
			}
			return true
		})
		slices.SortFunc(all, func(a, b ranked) int {
			if p.less(a, b) {
				return -1
			}
			if p.less(b, a) {
				return 1
			}
			return 0
		})
		out = make([]*org.Record, len(all))
		for i, x := range all {
			out[i] = x.r
		}
	}
	if p.offset >= len(out) {
		return nil
	}
	return out[p.offset:]
}

// orderKey is one ORDER BY key.
type orderKey struct {
	get        *getter
	desc       bool
	nullsFirst bool
}

// ranked is a record waiting to be ordered. A text first ORDER BY key is
// read once and kept in the item itself, so comparing two items does not go
// back through the record to the string; other keys are read from the
// record at each comparison. 32 bytes: the heap moves these around.
type ranked struct {
	r     *org.Record
	str   string
	seq   int32
	isStr bool
}

// value is k's value for r.
func (k *orderKey) value(r *org.Record) any {
	if idx, ok := k.get.direct(); ok {
		if idx < len(r.Values) {
			return r.Values[idx]
		}
		return nil
	}
	return k.get.get(r)
}

func (p *queryPlan) rank(r *org.Record, seq int) ranked {
	x := ranked{r: r, seq: int32(seq)}
	if len(p.order) > 0 {
		x.str, x.isStr = p.order[0].value(r).(string)
	}
	return x
}

// less orders by the ORDER BY keys, then by scan order (a stable sort).
func (p *queryPlan) less(a, b ranked) bool {
	for i := range p.order {
		k := &p.order[i]
		var va, vb any
		if i == 0 {
			if a.isStr && b.isStr {
				c := compareFold(a.str, b.str)
				if k.desc {
					c = -c
				}
				if c != 0 {
					return c < 0
				}
				continue
			}
		}
		va, vb = k.value(a.r), k.value(b.r)
		if c := compareKeys(va, vb, k.desc, k.nullsFirst); c != 0 {
			return c < 0
		}
	}
	return a.seq < b.seq
}

func compareKeys(va, vb any, desc, nullsFirst bool) int {
	// Text keys first: the usual ORDER BY Name, without the type switch.
	if sa, ok := va.(string); ok {
		if sb, ok := vb.(string); ok {
			if desc {
				return -compareFold(sa, sb)
			}
			return compareFold(sa, sb)
		}
	}
	switch {
	case va == nil && vb == nil:
		return 0
	case va == nil:
		if nullsFirst {
			return -1
		}
		return 1
	case vb == nil:
		if nullsFirst {
			return 1
		}
		return -1
	}
	c := compareValues(va, vb)
	if desc {
		c = -c
	}
	return c
}

// topK keeps the k smallest items under less: a max-heap whose root is the
// worst item kept.
type topK struct {
	less  func(a, b ranked) bool
	k     int
	items []ranked
}

func (h *topK) offer(x ranked) {
	if len(h.items) < h.k {
		h.items = append(h.items, x)
		h.up(len(h.items) - 1)
		return
	}
	if !h.less(x, h.items[0]) {
		return
	}
	h.items[0] = x
	h.down(0)
}

func (h *topK) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(h.items[parent], h.items[i]) {
			return
		}
		h.items[parent], h.items[i] = h.items[i], h.items[parent]
		i = parent
	}
}

func (h *topK) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		worst := l
		if r := l + 1; r < n && h.less(h.items[l], h.items[r]) {
			worst = r
		}
		if !h.less(h.items[i], h.items[worst]) {
			return
		}
		h.items[i], h.items[worst] = h.items[worst], h.items[i]
		i = worst
	}
}

func (h *topK) sorted() []*org.Record {
	slices.SortFunc(h.items, func(a, b ranked) int {
		if h.less(a, b) {
			return -1
		}
		if h.less(b, a) {
			return 1
		}
		return 0
	})
	out := make([]*org.Record, len(h.items))
	for i, x := range h.items {
		out[i] = x.r
	}
	return out
}

// project builds the selected values of r in SELECT order.
func (p *queryPlan) project(nodes []*projNode, r *org.Record) []FieldValue {
	out := make([]FieldValue, len(nodes))
	p.projectInto(out, nodes, r)
	return out
}

// projectInto fills out (len(nodes) long) with the selected values of r.
func (p *queryPlan) projectInto(out []FieldValue, nodes []*projNode, r *org.Record) {
	for i, n := range nodes {
		fv := FieldValue{Name: n.name, Field: n.field}
		switch {
		case n.sub != nil:
			fv.Field = nil
			if sub := n.sub.children(r); sub != nil {
				fv.Value = sub
			}
		case n.rel:
			if parent := deref(p.data, r, n.field); parent != nil {
				fv.Value = &Row{Object: parent.Object, ID: parent.ID, Fields: p.project(n.children, parent)}
			}
		case n.field != nil && r.Object == n.fieldObj && n.field.Components == nil:
			if idx := n.field.Index; idx < len(r.Values) {
				fv.Value = r.Values[idx]
			}
		default:
			fv.Value = leafValue(r, n.field, n.fieldObj, n.polyName, n.polyType)
			if n.field == nil {
				fv.Field = r.Object.Field(n.polyName)
			}
		}
		out[i] = fv
	}
}

// children runs a child subquery for one parent record; nil when none match.
func (p *queryPlan) children(parent *org.Record) *Result {
	inclDeleted := p.b.env.IncludeDeleted
	source := func(fn func(*org.Record) bool) {
		recs, indexed := p.data.Lookup(p.obj, p.childField, string(parent.ID), inclDeleted)
		if indexed {
			for _, r := range recs {
				if !fn(r) {
					return
				}
			}
			return
		}
		short := parent.ID.Short()
		p.data.Scan(p.obj, inclDeleted, func(r *org.Record) bool {
			if s, _ := r.Get(p.childField).(string); len(s) >= 15 && s[:15] == short {
				return fn(r)
			}
			return true
		})
	}
	recs := p.selectRecords(source)
	if len(recs) == 0 {
		return nil
	}
	return &Result{Object: p.obj, TotalSize: len(recs), Rows: p.rows(recs), Columns: p.cols}
}
