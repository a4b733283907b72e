package soql

import (
	"strings"
	"testing"
)

func TestParseSOSLErrors(t *testing.T) {
	for _, tt := range []struct{ q, want string }{
		{"FIND edge", "No search term found"},
		{"FIND {e}", "longer than one character"},
		{"FIND {edge} RETURNING Account(Name", "unexpected token"},
		{"FIND {edge} WHATEVER", "unexpected token: WHATEVER"},
	} {
		if _, err := ParseSOSL(tt.q); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %s", tt.q, err, tt.want)
		}
	}
	q, err := ParseSOSL("FIND {Rose*} IN NAME FIELDS RETURNING Contact(Id, Email WHERE AccountId != null ORDER BY LastName LIMIT 3), Lead LIMIT 10")
	if err != nil {
		t.Fatal(err)
	}
	if q.scope != "NAME" || q.limit != 10 || len(q.returning) != 2 || q.returning[0].fields != "Id, Email" ||
		q.returning[0].where != "WHERE AccountId != null ORDER BY LastName" || q.returning[0].limit != 3 || q.returning[1].object != "Lead" {
		t.Errorf("parsed %+v", q)
	}
}

func FuzzParseSOSL(f *testing.F) {
	f.Add("FIND {edge} IN ALL FIELDS RETURNING Account(Name WHERE Industry = 'Energy' LIMIT 5), Contact")
	f.Add("FIND {a*b?} RETURNING X(")
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := ParseSOSL(q)
		if err == nil && len(parsed.terms) == 0 {
			t.Fatal("a search with no term was accepted")
		}
		if parsed != nil {
			for _, term := range parsed.terms {
				termMatches(term, "Edge Communications rose@edge.example (512) 757-6000", false)
			}
		}
	})
}

func TestWildcards(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"edg*", "edge", true}, {"e?ge", "edge", true}, {"*ge", "edge", true}, {"edge", "edges", false},
		{"*", "", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"?", "", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 200), false},
	} {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}
