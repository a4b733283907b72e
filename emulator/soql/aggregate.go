package soql

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// aggPlan is the GROUP BY / aggregate part of a query.
type aggPlan struct {
	groups  []*getter   // GROUP BY keys
	specs   []aggSpec   // every aggregate the query mentions
	outputs []aggOutput // SELECT list, in order
	having  func(*group) bool
	order   []aggOrderKey // ORDER BY over groups
}

type aggSpec struct {
	fn    string // COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX
	get   *getter
	text  string // canonical, to share specs
	field *org.Field
}

type aggOutput struct {
	name  string
	group int // index into groups, or -1
	spec  int // index into specs, or -1
	field *org.Field
}

type aggOrderKey struct {
	group, spec int
	desc        bool
	nullsFirst  bool
}

// group accumulates one GROUP BY bucket.
type group struct {
	keys     []any
	seq      int
	count    []int
	sum      []float64
	min, max []any
	distinct []map[string]bool
	values   []any // computed results per spec
}

func (b *binder) bindAggregate(p *queryPlan) *Error {
	q := p.q
	a := &aggPlan{}
	groupPaths := make([]*boundPath, len(q.GroupBy))
	for i, g := range q.GroupBy {
		bp, err := b.bindPath(p.obj, q.Alias, *g.Path)
		if err == nil {
			err = b.compoundOnly(bp, "grouped", g.Pos())
		}
		if err != nil {
			return err
		}
		groupPaths[i] = bp
		a.groups = append(a.groups, newGetter(bp, p.data))
	}
	findGroup := func(bp *boundPath) int {
		for i, g := range groupPaths {
			if g.field == bp.field && g.polyName == bp.polyName && g.polyType == bp.polyType && slices.Equal(g.hops, bp.hops) {
				return i
			}
		}
		return -1
	}
	specFor := func(op Operand) (int, *Error) {
		s := aggSpec{fn: op.Func}
		if op.Path != nil {
			bp, err := b.bindPath(p.obj, q.Alias, *op.Path)
			if err != nil {
				return 0, err
			}
			typ := bp.typ()
			if (op.Func == "SUM" || op.Func == "AVG") && !typ.IsNumber() {
				return 0, b.errAt(CodeMalformedQuery, op.FuncPos, "field "+bp.name+" does not support aggregate operator "+op.Func)
			}
			s.get, s.field = newGetter(bp, p.data), bp.field
			s.text = op.Func + "(" + strings.ToLower(bp.text) + ")"
		} else {
			s.text = "COUNT()"
		}
		for i, x := range a.specs {
			if x.text == s.text {
				return i, nil
			}
		}
		a.specs = append(a.specs, s)
		return len(a.specs) - 1, nil
	}
	expr := 0
	for _, it := range q.Select {
		switch it.Kind {
		case ItemAggregate:
			si, err := specFor(it.Field)
			if err != nil {
				return err
			}
			name := "expr" + strconv.Itoa(expr)
			if it.Alias != nil {
				name = it.Alias.Text
			} else {
				expr++
			}
			a.outputs = append(a.outputs, aggOutput{name: name, group: -1, spec: si})
		case ItemField:
			bp, err := b.bindPath(p.obj, q.Alias, *it.Field.Path)
			if err != nil {
				return err
			}
			gi := findGroup(bp)
			if gi < 0 {
				return b.errAt(CodeMalformedQuery, it.Pos, "Field must be grouped or aggregated: "+bp.name)
			}
			name := bp.name
			if it.Alias != nil {
				name = it.Alias.Text
			}
			a.outputs = append(a.outputs, aggOutput{name: name, group: gi, spec: -1, field: bp.field})
		default:
			return b.errAt(CodeMalformedQuery, it.Pos, "unexpected token: '('")
		}
	}
	if q.Having != nil {
		h, err := b.compileHaving(p, q.Having, specFor, groupPaths, findGroup)
		if err != nil {
			return err
		}
		a.having = h
	}
	for _, o := range q.OrderBy {
		k := aggOrderKey{group: -1, spec: -1, desc: o.Desc, nullsFirst: o.NullsFirst}
		if o.Key.Func != "" {
			si, err := specFor(o.Key)
			if err != nil {
				return err
			}
			k.spec = si
		} else {
			bp, err := b.bindPath(p.obj, q.Alias, *o.Key.Path)
			if err != nil {
				return err
			}
			if k.group = findGroup(bp); k.group < 0 {
				return b.errAt(CodeMalformedQuery, o.Key.Pos(), "Ordered field must be grouped or aggregated: "+bp.name)
			}
		}
		a.order = append(a.order, k)
	}
	p.agg = a
	for _, o := range a.outputs {
		disp := o.name
		if o.spec >= 0 {
			for _, it := range q.Select {
				if it.Kind == ItemAggregate && (it.Alias != nil && it.Alias.Text == o.name) {
					disp = it.Field.Text
				}
			}
		}
		p.cols = append(p.cols, Column{ColumnName: o.name, DisplayName: disp, Aggregate: o.spec >= 0, JoinColumns: []Column{}})
	}
	return nil
}

// compileHaving compiles a HAVING condition over groups: operands are
// aggregates or GROUP BY fields.
func (b *binder) compileHaving(p *queryPlan, e Expr, specFor func(Operand) (int, *Error), groupPaths []*boundPath, findGroup func(*boundPath) int) (func(*group) bool, *Error) {
	switch x := e.(type) {
	case *Logical:
		var fs []func(*group) bool
		for _, t := range x.Terms {
			f, err := b.compileHaving(p, t, specFor, groupPaths, findGroup)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		and := x.Op == "AND"
		return func(g *group) bool {
			for _, f := range fs {
				if f(g) != and {
					return !and
				}
			}
			return and
		}, nil
	case *Not:
		f, err := b.compileHaving(p, x.X, specFor, groupPaths, findGroup)
		if err != nil {
			return nil, err
		}
		return func(g *group) bool { return !f(g) }, nil
	case *Comparison:
		if x.Sub != nil {
			return nil, b.errAt(CodeMalformedQuery, x.OpPos, "unexpected token: 'SELECT'")
		}
		var bp *boundPath
		get := func(g *group) any { return nil }
		if x.Left.Func != "" {
			si, err := specFor(x.Left)
			if err != nil {
				return nil, err
			}
			get = func(g *group) any { return g.values[si] }
			bp = &boundPath{name: x.Left.Text, field: &org.Field{Type: org.TypeDouble}}
			if fn := x.Left.Func; fn == "MIN" || fn == "MAX" {
				ibp, err := b.bindPath(p.obj, p.q.Alias, *x.Left.Path)
				if err != nil {
					return nil, err
				}
				bp.field = &org.Field{Type: ibp.typ()}
			}
		} else {
			var err *Error
			if bp, err = b.bindPath(p.obj, p.q.Alias, *x.Left.Path); err != nil {
				return nil, err
			}
			gi := findGroup(bp)
			if gi < 0 {
				return nil, b.errAt(CodeMalformedQuery, x.Left.Pos(), "Field must be grouped or aggregated: "+bp.name)
			}
			get = func(g *group) any { return g.keys[gi] }
		}
		test, err := b.compileTest(bp, x)
		if err != nil {
			return nil, err
		}
		return func(g *group) bool { return test(get(g)) }, nil
	}
	return nil, errorBare(CodeMalformedQuery, "unsupported condition")
}

// groupKey normalises one key value: text groups case-insensitively.
func groupKey(v any) string {
	switch x := v.(type) {
	case nil:
		return "\x00"
	case string:
		return "s" + strings.ToLower(x)
	case float64:
		return "n" + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "b" + strconv.FormatBool(x)
	case time.Time:
		return "t" + x.UTC().Format(time.RFC3339Nano)
	}
	return "?"
}

func (p *queryPlan) runAggregate() []*Row {
	a := p.agg
	var groups []*group
	byKey := map[string]*group{}
	// rawKey caches single-key string groups by the raw value, so the hot
	// loop does not lower-case (allocate) per record.
	rawKey := map[string]*group{}
	newGroup := func(keys []any) *group {
		n := len(a.specs)
		g := &group{keys: keys, seq: len(groups), count: make([]int, n), sum: make([]float64, n),
			min: make([]any, n), max: make([]any, n), distinct: make([]map[string]bool, n)}
		groups = append(groups, g)
		return g
	}
	var one *group
	if len(a.groups) == 0 {
		one = newGroup(nil)
	}
	singleIdx, single := -1, false
	if len(a.groups) == 1 {
		singleIdx, single = a.groups[0].direct()
	}
	p.candidates(func(r *org.Record) bool {
		if p.where != nil && !p.where(r) {
			return true
		}
		g := one
		if g == nil {
			if single {
				var v any // a record's values stop at its last non-null one
				if singleIdx < len(r.Values) {
					v = r.Values[singleIdx]
				}
				if s, ok := v.(string); ok {
					if g = rawKey[s]; g == nil {
						k := groupKey(v)
						if g = byKey[k]; g == nil {
							g = newGroup([]any{v})
							byKey[k] = g
						}
						rawKey[s] = g
					}
				} else {
					k := groupKey(v)
					if g = byKey[k]; g == nil {
						g = newGroup([]any{v})
						byKey[k] = g
					}
				}
			} else {
				keys := make([]any, len(a.groups))
				var sb strings.Builder
				for i, gt := range a.groups {
					keys[i] = gt.get(r)
					sb.WriteString(groupKey(keys[i]))
					sb.WriteByte(0)
				}
				k := sb.String()
				if g = byKey[k]; g == nil {
					g = newGroup(keys)
					byKey[k] = g
				}
			}
		}
		for i, s := range a.specs {
			if s.get == nil { // COUNT()
				g.count[i]++
				continue
			}
			var v any
			if idx, ok := s.get.direct(); ok {
				if idx < len(r.Values) {
					v = r.Values[idx]
				}
			} else {
				v = s.get.get(r)
			}
			if v == nil {
				continue
			}
			g.count[i]++
			switch s.fn {
			case "SUM", "AVG":
				f, _ := v.(float64)
				g.sum[i] += f
			case "MIN":
				if g.min[i] == nil || compareValues(v, g.min[i]) < 0 {
					g.min[i] = v
				}
			case "MAX":
				if g.max[i] == nil || compareValues(v, g.max[i]) > 0 {
					g.max[i] = v
				}
			case "COUNT_DISTINCT":
				if g.distinct[i] == nil {
					g.distinct[i] = map[string]bool{}
				}
				g.distinct[i][groupKey(v)] = true
			}
		}
		return true
	})
	kept := groups[:0]
	for _, g := range groups {
		g.values = make([]any, len(a.specs))
		for i, s := range a.specs {
			switch s.fn {
			case "COUNT":
				g.values[i] = float64(g.count[i])
			case "COUNT_DISTINCT":
				g.values[i] = float64(len(g.distinct[i]))
			case "SUM":
				if g.count[i] > 0 {
					g.values[i] = g.sum[i]
				}
			case "AVG":
				if g.count[i] > 0 {
					g.values[i] = g.sum[i] / float64(g.count[i])
				}
			case "MIN":
				g.values[i] = g.min[i]
			case "MAX":
				g.values[i] = g.max[i]
			}
		}
		if a.having == nil || a.having(g) {
			kept = append(kept, g)
		}
	}
	groups = kept
	if len(a.order) > 0 {
		sortGroups(groups, a.order)
	}
	if p.offset >= len(groups) {
		groups = nil
	} else {
		groups = groups[p.offset:]
	}
	if p.limit >= 0 && len(groups) > p.limit {
		groups = groups[:p.limit]
	}
	rows := make([]*Row, len(groups))
	for i, g := range groups {
		fields := make([]FieldValue, len(a.outputs))
		for j, o := range a.outputs {
			fv := FieldValue{Name: o.name, Field: o.field}
			if o.group >= 0 {
				fv.Value = g.keys[o.group]
			} else {
				fv.Value = g.values[o.spec]
				switch spec := a.specs[o.spec]; spec.fn {
				case "COUNT", "COUNT_DISTINCT":
					// Counts are integers on the wire: "expr0": 2, not 2.0.
					if v, ok := fv.Value.(float64); ok {
						fv.Value = int(v)
					}
				case "MIN", "MAX":
					// MIN and MAX keep their field's type (a date stays a date).
					if fv.Field == nil {
						fv.Field = spec.field
					}
				}
			}
			fields[j] = fv
		}
		rows[i] = &Row{Fields: fields}
	}
	return rows
}

func sortGroups(groups []*group, order []aggOrderKey) {
	less := func(x, y *group) int {
		for _, k := range order {
			var vx, vy any
			if k.group >= 0 {
				vx, vy = x.keys[k.group], y.keys[k.group]
			} else {
				vx, vy = x.values[k.spec], y.values[k.spec]
			}
			if c := compareKeys(vx, vy, k.desc, k.nullsFirst); c != 0 {
				return c
			}
		}
		return x.seq - y.seq
	}
	slices.SortFunc(groups, less)
}
