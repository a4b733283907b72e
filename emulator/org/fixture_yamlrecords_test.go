package org

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/sfemu/sfemu/internal/safeyaml"
)

// yrHead is the fixture the records sections of these tests follow: an
// Account with a field of each kind a YAML scalar may be converted to.
const yrHead = `org: {name: Fast}
users: [{username: u@fast.example, profile: System Administrator}]
objects:
  Account:
    fields:
      Active__c: {type: checkbox}
      Count__c: {type: number}
      Seats__c: {type: int}
      Day__c: {type: date}
      At__c: {type: datetime}
      Parent__c: {type: lookup, reference_to: Account}
`

// yrOutcome is what a fixture loads to, as text: its error, or each
// stored record of each object the section names, field by field.
func yrOutcome(doc string, fast bool) string {
	src := Source{Name: "f.yaml", Data: []byte(doc), ReadFile: func(rel string) ([]byte, error) {
		if rel == "a.csv" {
			return []byte("Name,_ref\nFrom CSV,c1\n"), nil
		}
		return nil, fmt.Errorf("no file %s", rel)
	}}
	pf, err := parseFixture(src, &IDSequence{}, dataNow, fast)
	if err != nil {
		return "error: " + err.Error()
	}
	var sb strings.Builder
	d := pf.Org.Data
	for _, o := range pf.Org.Schema.Objects() {
		if o.Name == "User" || o.Name == "Organization" {
			continue
		}
		d.Scan(o, true, func(r *Record) bool {
			fmt.Fprintf(&sb, "%s %s:", o.Name, r.ID)
			for _, f := range o.Fields {
				if v := r.Get(f); v != nil {
					fmt.Fprintf(&sb, " %s=%#v", f.Name, v)
				}
			}
			sb.WriteString("\n")
			return true
		})
	}
	return sb.String()
}

// fastReads reports whether the fast reader takes doc (and the library
// the rest of it).
func fastReads(doc string) bool {
	_, _, _, ok := readFixtureFast(Source{Name: "f.yaml", Data: []byte(doc)})
	return ok
}

// libraryRecords is what the fast reader read as the library decodes it:
// each list a []any of map[string]any.
func libraryRecords(fr *fastRecords) yaml.MapSlice {
	ms := fr.items()
	for i, it := range ms {
		if ob, ok := it.Value.(*fastObject); ok {
			list := make([]any, len(ob.rows))
			for j := range ob.rows {
				list[j] = ob.row(j)
			}
			ms[i].Value = list
		}
	}
	return ms
}

// sameValue is reflect.DeepEqual, but NaN equals NaN (.nan is a value both
// readers give).
func sameValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok && math.IsNaN(fa) && math.IsNaN(fb) {
			return true
		}
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case yaml.MapSlice:
		y, ok := b.(yaml.MapSlice)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !reflect.DeepEqual(x[i].Key, y[i].Key) || !sameValue(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// checkSameAsLibrary fails t unless the fast reader, where it takes doc,
// decodes the records the library decodes, and the fixture loads to the
// same records or the same error either way.
func checkSameAsLibrary(t *testing.T, doc string) {
	t.Helper()
	if fr, _, _, ok := readFixtureFast(Source{Name: "f.yaml", Data: []byte(doc)}); ok {
		var raw fixtureYAML
		err := safeyaml.Unmarshal("f.yaml", []byte(doc), &raw, yaml.DisallowUnknownField())
		if err != nil {
			t.Fatalf("the fast reader read what the library refuses (%v):\n%s", err, doc)
		}
		if got := libraryRecords(fr); !sameValue(got, raw.Records) {
			t.Fatalf("records differ:\nfast    %#v\nlibrary %#v\n%s", got, raw.Records, doc)
		}
	}
	fast, slow := yrOutcome(doc, true), yrOutcome(doc, false)
	// Which of two problems is the error can depend on a map's order: the
	// library's unknown keys, two unknown "@label"s in one record. The
	// library's reading is asked again for the one the fast reader met.
	for i := 0; i < 50 && fast != slow; i++ {
		slow = yrOutcome(doc, false)
	}
	if fast != slow {
		t.Fatalf("the fixture loads differently:\nfast:\n%s\nlibrary:\n%s\ndocument:\n%s", fast, slow, doc)
	}
}

// TestYAMLRecordsFastReader: each row is a records section as a user
// writes it; the fast reader takes it (or gives it to the library), and
// either way the fixture loads as the library alone would load it.
func TestYAMLRecordsFastReader(t *testing.T) {
	tests := []struct {
		name    string
		records string
		fast    bool   // the fast reader takes it
		want    string // in the outcome (an error, a value)
	}{
		{"a list of flow mappings", "  Account:\n    - {Name: Acme, Industry: Energy, AnnualRevenue: 1.5e6}\n    - {Name: Globex}\n", true, `AnnualRevenue=1.5e+06`},
		{"a list of block mappings", "  Account:\n    - Name: Acme\n      Industry: Energy\n    -   Name: Globex\n        Phone: \"(512) 757-6000\"\n", true, `Phone="(512) 757-6000"`},
		{"a list at the key's own indentation", "  Account:\n  - {Name: Acme}\n", true, `Name="Acme"`},
		{"a quoted 'yes' stays a string, a plain yes too (YAML 1.2)", "  Account:\n    - {Name: 'yes', Description: yes}\n", true, `Description="yes"`},
		{"true and false are booleans, True too", "  Account:\n    - {Name: A, Active__c: True}\n    - {Name: B, Active__c: false}\n", true, `Active__c=true`},
		{"~ and null are null", "  Account:\n    - {Name: A, Description: ~, Industry: null}\n", true, `Name="A"`},
		{"0x1F and 1_000 are numbers", "  Account:\n    - {Name: A, Count__c: 0x1F, Seats__c: 1_000}\n", true, `Seats__c=1000`},
		{"a leading 0 is octal", "  Account:\n    - {Name: A, Seats__c: 010}\n", true, `Seats__c=8`},
		{"a number too large for an integer stays text", "  Account:\n    - {Name: 99999999999999999999}\n", true, `Name="99999999999999999999"`},
		{"1e6 without a dot is text to the library", "  Account:\n    - {Name: 1e6}\n", true, `Name="1e6"`},
		{"-.inf is a number a number field refuses", "  Account:\n    - {Name: A, Count__c: -.inf}\n", true, `error: f.yaml:`},
		{"a date is text to YAML, which the date field reads", "  Account:\n    - {Name: A, Day__c: 2024-02-29}\n", true, `Day__c=time.Date(2024, time.February, 29`},
		{"double-quoted escapes", "  Account:\n    - {Name: \"Tab\\there \\\"q\\\" \\\\ \\u00e9\"}\n", false, `Name="Tab\there \"q\" \\ é"`},
		{"double-quoted escapes the fast reader knows", "  Account:\n    - {Name: \"Tab\\there \\\"q\\\" \\\\ \\/\"}\n", true, `Name="Tab\there \"q\" \\ /"`},
		{"single quotes: '' is a quote", "  Account:\n    - {Name: 'O''Brien'}\n", true, `Name="O'Brien"`},
		{"comment lines and comments after a record", "  # accounts\n  Account:\n# the first\n    - {Name: A}   # a comment\n\n    - {Name: B}\n", true, `Name="B"`},
		{"a CSV file next to a list", "  Account: a.csv\n  Contact:\n    - {LastName: Smith, AccountId: \"@c1\"}\n", true, `LastName="Smith"`},
		{"a label and a reference to it", "  Account:\n    - {_ref: acme, Name: Acme}\n    - {Name: Child, Parent__c: \"@acme\"}\n", true, `Parent__c="001`},
		{"a reference to no label: the record and field", "  Account:\n    - {Name: A}\n    - {Name: B, Parent__c: \"@nope\"}\n", true, `error: f.yaml:15:28: records.Account[1].Parent__c: @nope names no record above`},
		{"a label used twice", "  Account:\n    - {_ref: a, Name: A}\n    - Name: B\n      _ref: a\n", true, `error: f.yaml:16:13: records.Account[1]: _ref "a" is used twice`},
		{"an unknown field: at the record's first colon", "  Account:\n    - {Name: A}\n    - Nme: B\n      Industry: Energy\n", true, `error: f.yaml:15:10: records.Account[1]: INVALID_FIELD: No such column 'Nme' on sobject of type Account`},
		{"a required field missing: at the flow mapping", "  Account:\n    - {Industry: Energy}\n", true, `error: f.yaml:14:7: records.Account[0]: REQUIRED_FIELD_MISSING`},
		{"a value the field cannot take: at the record (the error names no field)", "  Account:\n    - {Name: A, Active__c: 'maybe'}\n", true, `error: f.yaml:14:7: records.Account[0]: JSON_PARSER_ERROR`},
		{"an object named in lower case is named as written", "  account:\n    - {Name: A}\n    - {Industry: Energy}\n", true, `records.account[1]: REQUIRED_FIELD_MISSING`},
		{"an Id among the fields: Insert's error", "  Account:\n    - {Name: A}\n    - {Name: B, id: 001000000000001}\n", true, `error: f.yaml:15:7: records.Account[1]: INVALID_FIELD: The Id field should not be specified`},
		{"an unknown object: at its name", "  Acount:\n    - {Name: A}\n", true, `error: f.yaml:13:3: records: "Acount" is not an object of this org`},
		{"non-ASCII text, columns in characters", "  Account:\n    - {Name: Zoë}\n    - {Name: Zoë, Parent__c: \"@x\"}\n", true, `error: f.yaml:15:30: records.Account[1].Parent__c`},
		{"records after other keys, then more keys", "  Account:\n    - {Name: A}\noutbound_messages: []\n", true, `Name="A"`},
		{"an anchor and alias fall back to the library", "  Account:\n    - &a {Name: A}\n    - *a\n", false, `Name="A"`},
		{"a tag falls back", "  Account:\n    - {Name: !!str 12}\n", false, `Name="12"`},
		{"a block scalar falls back", "  Account:\n    - Name: A\n      Description: |\n        two\n        lines\n", false, `Description="two\nlines\n"`},
		{"a flow mapping over two lines falls back", "  Account:\n    - {Name: A,\n       Industry: Energy}\n", false, `Industry="Energy"`},
		{"a tab falls back (the library's error)", "  Account:\n    - {Name: A}\n\t- {Name: B}\n", false, `error: f.yaml:`},
		{"a duplicate key falls back (the library's error)", "  Account:\n    - {Name: A, Name: B}\n", false, `error: f.yaml:14:17: mapping key "Name" already defined`},
		{"a null field falls back", "  Account:\n    - Name: A\n      Description:\n", false, `Name="A"`},
		{"a flow list value falls back", "  Account:\n    - {Name: A, Tags: [a, b]}\n", false, `error: f.yaml:`},
		{"a plain value with a colon falls back", "  Account:\n    - {Name: A, Website: http://a.example}\n", false, `Website="http://a.example"`},
		{"an empty list falls back", "  Account: []\n", false, ``},
		{"a key with a dot falls back", "  Account:\n    - {Name: A, Owner.Name: B}\n", false, `error: f.yaml:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := yrHead + "records:\n" + tt.records
			if got := fastReads(doc); got != tt.fast {
				t.Errorf("fast reader takes it: %v, want %v", got, tt.fast)
			}
			checkSameAsLibrary(t, doc)
			if out := yrOutcome(doc, true); !strings.Contains(out, tt.want) {
				t.Errorf("loads to\n%s\nwant it to contain %s", out, tt.want)
			}
		})
	}
}

// TestYAMLRecordsBombFallsBackToTheBudget: an alias in the records is the
// library's to read, and so is counted against safeyaml's alias budget.
func TestYAMLRecordsBombFallsBackToTheBudget(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(yrHead + "records:\n  Account:\n    - {Name: &a0 x}\n")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&sb, "    - {Name: A%d, Description: &a%d [*a%d, *a%d, *a%d, *a%d]}\n", i, i, i-1, i-1, i-1, i-1)
	}
	doc := sb.String()
	if fastReads(doc) {
		t.Fatal("the fast reader took a document with aliases")
	}
	out := yrOutcome(doc, true)
	if !strings.Contains(out, "expands the document by more than") || !strings.Contains(out, "f.yaml:") {
		t.Fatalf("got %s, want the alias budget's error with its place", out)
	}
}

// TestYAMLRecordsRecordsKeyInAString: "records:" at the start of a line
// inside a quoted string of another key is no section of records.
func TestYAMLRecordsRecordsKeyInAString(t *testing.T) {
	doc := "org: {name: \"A\nrecords:\n  Account:\n    - {Name: x}\n\"}\nusers: [{username: u@fast.example, profile: System Administrator}]\n"
	if fastReads(doc) {
		t.Fatal("the fast reader took a records: inside a quoted string")
	}
	checkSameAsLibrary(t, doc)
}

// TestYAMLRecordsBatchesKeepFileOrder: a reference to a record stored in
// the same chunk, and an error after thousands of good records, behave as
// records created one by one.
func TestYAMLRecordsBatchesKeepFileOrder(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(yrHead + "records:\n  Account:\n")
	for i := range 5000 {
		fmt.Fprintf(&sb, "    - {_ref: r%d, Name: A%d, Parent__c: \"@r%d\"}\n", i+1, i+1, i)
		if i == 0 {
			sb.Reset()
			sb.WriteString(yrHead + "records:\n  Account:\n    - {_ref: r1, Name: A1}\n")
		}
	}
	fmt.Fprintf(&sb, "    - {Name: Bad, Seats__c: lots}\n")
	doc := sb.String()
	out := yrOutcome(doc, true)
	if !strings.Contains(out, "error: f.yaml:5014:7: records.Account[5000]: JSON_PARSER_ERROR") {
		t.Fatalf("got %.300s", out)
	}
	checkSameAsLibrary(t, strings.TrimSuffix(doc, "    - {Name: Bad, Seats__c: lots}\n"))
}

var yrSeeds = []string{
	"  Account:\n    - {Name: Acme, Industry: Energy, AnnualRevenue: 1.5e6}\n",
	"  Account:\n    - Name: Acme\n      Industry: Energy\n    -   Name: B\n        Seats__c: 3\n",
	"  Account:\n    - {Name: 'yes', Description: no, Active__c: on}\n",
	"  Account:\n    - {Name: \"a\\tb\\\\\\\"\", Count__c: +12, Seats__c: -0}\n",
	"  Account:\n    - {Name: 0o17, Description: 0b101, Count__c: .5}\n",
	"  Account:\n    - {Name: 1_0.0_1, Count__c: .NaN, Seats__c: 0x_1f}\n",
	"  Account:\n    - {Name: 2001-12-14t21:59:43.10-05:00, At__c: 2024-01-01T00:00:00Z}\n",
	"  Account:\n    - {Name: a b  c , Description: '  x  '}\n",
	"  Account:\n    - {Name: A}   # c\n  # x\n  Contact: a.csv\n",
	"  Account:\n    - {_ref: a, Name: A}\n    - {Name: B, Parent__c: \"@a\"}\n    - {Name: C, Parent__c: \"@b\"}\n",
	"  Account:\n    - &x {Name: A}\n    - *x\n",
	"  Account:\n    - {Name: A, <<: {Industry: B}}\n",
	"  Account:\n    - Name: |\n        x\n",
	"  Account:\n    - {Name: A,\n      Industry: B}\n",
	"  Account:\n\t- {Name: A}\n",
	"  Account:\n    - {Name: A, Name: B}\n",
	"  Account:\n    - {Name: Zoë, Description: \"\\u00e9\\x41\\N\\_\\L\\P\"}\n",
	"  Account:\n    - {Name: \xff}\n",
	"  Account:\r\n    - {Name: A}\r\n",
	"  Account:\n    - {Name: -, Description: - x}\n",
	"  Account:\n    - {Name: ?x, Description: :x}\n",
	"  Account:\n    - {Name: x#y, Description: a #b}\n",
	"  Account:\n    - Name: a, b\n      Description: [x]\n",
	"  Account:\n    - {Name: 'it''s', Description: \"\"}\n",
	"  Account:\n    - {}\n",
	"  Account:\n    - { Name : A }\n",
	"  Account: ~\n",
	"  Account:\n  Contact:\n    - {LastName: x}\n",
	"  Account:\n    - {Name: A}\n---\norg: {name: B}\n",
	"  Account:\n    - {Name: A}\n...\n",
	"  Account:\n    - {Name: A}\n- x\n",
	"  Account:\n    - {Name: A}\nrecords:\n  Contact: []\n",
	"  Account:\n    - {Name: A}\n  Account:\n    - {Name: B}\n",
	"  Account:\n    - Name: A\n     Industry: B\n",
	"  Account:\n    - Name: A\n       Industry: B\n",
	"  Account:\n    - Name: 'A'x\n",
	"  Account:\n    - {Name: \"A\"x}\n",
	"  true:\n    - {Name: A}\n",
	"  Account:\n    - {null: A}\n",
	"  Account:\n    - {Name: A\u2028B, Description: A\u0085B}\n",
	"  Account:\n    - {Name: \"A\u00a0\", Description: A\u00a0 B}\n",
	"  Account:\n    - {Name: 18446744073709551616, Seats__c: -9223372036854775809}\n",
	"  Account:\n    - {Name: 007, Seats__c: 08}\n",
}

// yrScalars and yrKeys are what yrGenerate writes records from: values
// and keys each reader might take differently (YAML 1.1 booleans, octal,
// overflow, escapes, indicators inside and first, non-ASCII, spaces).
var yrScalars = []string{
	// What the fast reader takes.
	"Acme", "yes", "No", "on", "~", "null", "Null", "NULL", "true", "False", "TRUE", "0", "007", "08", "0x1F", "0o17",
	"0b11", "1_000", "-1", "+1", "-0", "1.5", ".5", "1e6", "1.5e6", "-.inf", ".Inf", ".NaN", "2024-02-29", `"@r1"`,
	`'@r2'`, `"@nope"`, "a b", "a  b", "a b ", "Zoë", "a@b.example", "100%", "a&b", "a*b", "a!b", "a|b", "a>b", "a?b",
	"a-b", "-a", "'x'", "'it''s'", `"q"`, `"a\tb"`, `"\N\_\L\P\e\0"`, `""`, "''", "18446744073709551616",
	"-9223372036854775809", "9223372036854775808", "0.", "1..2", "_1", "+_1", "+-1", "1_", "0x", "ä", "1.5.5",
	"-0x10", "+.5", "0o", "0b2", "1_0.0_1", `"2024-01-01T00:00:00Z"`, `'a # b'`, `"a: b"`,
	// What it leaves to the library.
	"2024-01-01T00:00:00Z", "12:30", "@r1", "- a", "a#b", "a #b", "a:b", "a: b", `"\x41"`, `"\u00e9"`,
	"\u00a0x", "a,b", "a}b", "[a]", "{a: b}", "&a x", "*a", "!!str 1", "|", ">", "%x", "`x`", "\"un", "'un",
	"a\tb", "x\u2028y", "é\u0085", "\xff",
}

// The first yrGoodScalars and yrGoodKeys are ones the fast reader takes.
const yrGoodScalars, yrGoodKeys = 73, 10

var yrKeys = []string{"Name", "Industry", "Description", "Active__c", "Count__c", "Seats__c", "Day__c", "At__c",
	"Parent__c", "_ref", "name", "Id", "true", "null", "n", "y", "x1", "Nme", "Owner.Name", "1X", "<<"}

// yrGenerate writes a records section from shape's bytes: objects of flow
// or block records, with the indentations, spacing, comments and blank
// lines a person might use — near what the fast reader takes, so the
// fuzzer spends its time at the edges of it.
func yrGenerate(shape []byte) string {
	i := 0
	next := func(n int) int {
		if i >= len(shape) || n <= 0 {
			return 0
		}
		i++
		return int(shape[i-1]) % n
	}
	// Mostly what the fast reader takes (the lists' first entries), now
	// and then anything.
	// A third of the sections have nasty choices anywhere; the rest
	// are clean but for the one at choice number odd (if it comes).
	mode, odd, choice := next(3), next(48), 0
	nasty := func(rate int) bool {
		choice++
		if mode == 0 {
			return next(rate) == rate-1
		}
		return choice == odd
	}
	pick := func(list []string, good int) string {
		if nasty(4) {
			return list[good+next(len(list)-good)]
		}
		return list[next(good)]
	}
	scalar := func() string { return pick(yrScalars, yrGoodScalars) }
	var used []string // the record's keys: a duplicate is mostly avoided
	key := func() string {
		k := pick(yrKeys, yrGoodKeys)
		for try := 0; try < yrGoodKeys && slices.Contains(used, k); try++ {
			k = yrKeys[(next(yrGoodKeys)+try)%yrGoodKeys]
		}
		used = append(used, k)
		return k
	}
	sep := func(good, all []string) string {
		if nasty(6) {
			return all[next(len(all))]
		}
		return good[next(len(good))]
	}
	var sb strings.Builder
	objs := 1 + next(3)
	ind := strings.Repeat(" ", 1+next(4))
	for range objs {
		if nasty(10) {
			ind = strings.Repeat(" ", 1+next(4))
		}
		name := []string{"Account", "Contact", "Lead", "Account", "account", "Acount"}[next(6)]
		if next(8) == 7 {
			sb.WriteString(ind + name + ": a.csv\n")
			continue
		}
		sb.WriteString(ind + name + ":" + []string{"", "", " ", "  # c"}[next(4)] + "\n")
		dash := ind + strings.Repeat(" ", []int{0, 2, 2, 1}[next(4)])
		for range 1 + next(4) {
			used = used[:0]
			after := strings.Repeat(" ", 1+next(3))
			fields := next(5)
			if next(2) == 0 {
				sb.WriteString(dash + "-" + after + "{" + []string{"", " "}[next(2)])
				for f := range fields {
					if f > 0 {
						sb.WriteString(sep([]string{", ", ",", " , "}, []string{",  ,"}))
					}
					sb.WriteString(key() + ":" + sep([]string{" ", "  "}, []string{""}) + scalar())
				}
				sb.WriteString([]string{"", " "}[next(2)] + "}" + sep([]string{"", " # c", "  "}, []string{"#c"}) + "\n")
			} else {
				fields++
				keyInd := dash + " " + after
				for f := range fields {
					if f == 0 {
						sb.WriteString(dash + "-" + after)
					} else {
						sb.WriteString(keyInd[:len(keyInd)-sepInt(nasty(8))])
					}
					sb.WriteString(key() + ":" + sep([]string{" ", "  "}, []string{""}) + scalar() + sep([]string{"", " # c"}, []string{"#c", " "}) + "\n")
				}
			}
			if next(6) == 0 {
				sb.WriteString([]string{"\n", "# c\n", "   # c\n", "  \n"}[next(4)])
			}
		}
	}
	if next(3) == 0 {
		sb.WriteString(sep([]string{"outbound_messages: []\n"}, []string{"---\n", "- x\n", "...\n", "records:\n"}))
	}
	return sb.String()
}

func sepInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzYAMLRecordsMatchLibrary feeds records sections through the fast
// reader and the library: where the fast reader takes one, its records
// must be the library's; either way the fixture must load to the same
// records or the same error (text and place). Each input is checked as
// written (records) and as the section yrGenerate writes from shape.
func FuzzYAMLRecordsMatchLibrary(f *testing.F) {
	for i, s := range yrSeeds {
		f.Add(s, []byte{byte(i), byte(i * 7), byte(i * 13), 1, 2, 3, byte(i * 31)})
	}
	f.Fuzz(func(t *testing.T, records string, shape []byte) {
		if len(records) > 4096 || len(shape) > 512 {
			return
		}
		checkSameAsLibrary(t, yrHead+"records:\n"+records)
		checkSameAsLibrary(t, yrHead+"records:\n"+yrGenerate(shape))
	})
}

// TestYAMLRecordsGeneratedSectionsAreReadFast: the fuzz target's generated
// sections reach the fast reader often enough to test it (a fifth or
// more), and the library agrees on every one.
func TestYAMLRecordsGeneratedSectionsAreReadFast(t *testing.T) {
	fast := 0
	const n = 400
	for i := range n {
		shape := make([]byte, 96)
		rng := rand.New(rand.NewPCG(uint64(i), 15))
		for j := range shape {
			shape[j] = byte(rng.Uint32())
		}
		doc := yrHead + "records:\n" + yrGenerate(shape)
		if fastReads(doc) {
			fast++
		}
		checkSameAsLibrary(t, doc)
	}
	if fast < n/5 {
		t.Fatalf("%d of %d generated sections read fast: the generator misses the fast reader", fast, n)
	}
	t.Logf("%d of %d read fast", fast, n)
}
