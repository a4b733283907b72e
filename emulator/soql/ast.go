package soql

import "time"

// Query is a parsed SOQL statement (or a subquery inside one). Positions are
// byte offsets into Text.
type Query struct {
	Text string

	Select    []SelectItem
	SelectPos int
	From      Name
	Alias     *Name // FROM Account a
	Scope     *Name // USING SCOPE
	Where     Expr
	With      []Name // SECURITY_ENFORCED, USER_MODE, SYSTEM_MODE
	GroupBy   []Operand
	Having    Expr
	OrderBy   []OrderItem
	Limit     *IntLit
	Offset    *IntLit
	For       []Name // VIEW, REFERENCE, UPDATE

	subquery bool
}

// Name is an identifier with its position.
type Name struct {
	Text string
	Pos  int
}

// Path is a dotted field path: Name, Account.Owner.Name, What.Type.
type Path struct {
	Parts []Name
}

// Pos is the offset of the path's first name.
func (p Path) Pos() int { return p.Parts[0].Pos }

// String joins the path with dots, as written.
func (p Path) String() string {
	s := ""
	for i, n := range p.Parts {
		if i > 0 {
			s += "."
		}
		s += n.Text
	}
	return s
}

// ItemKind says what a SELECT item is.
type ItemKind uint8

// SELECT item kinds.
const (
	ItemField     ItemKind = iota // Name, Account.Name
	ItemAggregate                 // COUNT(), COUNT(Id), SUM(Amount) total
	ItemFields                    // FIELDS(ALL|STANDARD|CUSTOM)
	ItemSubquery                  // (SELECT … FROM Contacts)
)

// SelectItem is one entry of the SELECT list.
type SelectItem struct {
	Kind   ItemKind
	Pos    int
	Field  Operand // ItemField, ItemAggregate (Func set)
	Alias  *Name
	Fields Name   // ItemFields: ALL, STANDARD or CUSTOM
	Sub    *Query // ItemSubquery
}

// Operand is a field path, or an aggregate function over one (Path is nil
// for COUNT()).
type Operand struct {
	Func    string // "", COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX (upper-cased)
	FuncPos int
	Path    *Path
	Text    string // as written, e.g. "COUNT(Id)"
}

// Pos is where the operand starts.
func (o Operand) Pos() int {
	if o.Func != "" {
		return o.FuncPos
	}
	return o.Path.Pos()
}

// Expr is a WHERE or HAVING condition: *Logical, *Not or *Comparison.
type Expr interface{ exprPos() int }

// Logical is a run of conditions joined by one operator, AND or OR.
type Logical struct {
	Op    string // AND or OR
	Terms []Expr
}

// Not negates a condition.
type Not struct {
	Pos int
	X   Expr
}

// Comparison is `operand op value(s)`.
type Comparison struct {
	Left   Operand
	Op     string // = != < > <= >= LIKE IN NOT IN INCLUDES EXCLUDES
	OpPos  int
	Values []Value // one for scalar operators; the list for IN, INCLUDES…
	Sub    *Query  // semi-join / anti-join
}

func (l *Logical) exprPos() int    { return l.Terms[0].exprPos() }
func (n *Not) exprPos() int        { return n.Pos }
func (c *Comparison) exprPos() int { return c.Left.Pos() }

// ValueKind is a literal's type.
type ValueKind uint8

// Literal kinds.
const (
	ValString ValueKind = iota
	ValNumber
	ValBool
	ValNull
	ValDate
	ValDateTime
	ValDateLiteral // TODAY, LAST_N_DAYS:5
)

// Value is a literal in a condition.
type Value struct {
	Kind ValueKind
	Pos  int
	Text string // as written
	Str  string // ValString (unescaped), ValDateLiteral (upper-cased name)
	Num  float64
	Bool bool
	Time time.Time // ValDate: UTC midnight; ValDateTime: the instant
	N    int       // ValDateLiteral parameter
}

// IntLit is a LIMIT or OFFSET count.
type IntLit struct {
	N   int
	Pos int
}

// OrderItem is one ORDER BY key.
type OrderItem struct {
	Key        Operand
	Desc       bool
	NullsFirst bool // Salesforce's default: ASC NULLS FIRST, DESC NULLS LAST
}
