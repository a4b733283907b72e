package soql

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// nested is a query whose WHERE holds one condition inside n parentheses.
func nested(n int) string {
	return "SELECT Id FROM Account WHERE " + strings.Repeat("(", n) + "Name = 'a'" + strings.Repeat(")", n)
}

// sized is a valid query of exactly n characters, its string literal made
// of the character r.
func sized(n int, r string) string {
	head, tail := "SELECT Id FROM Account WHERE Name IN ('", "')"
	fill := n - len(head) - len(tail)
	return head + strings.Repeat(r, fill) + tail
}

func TestQueryLimits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		query    string
		wantCode string // "" parses
		wantText string
		wantRow  int
		wantCol  int
	}{
		{"a query of 100,000 characters parses", sized(MaxQueryLength, "a"), "", "", 0, 0},
		{"one character more is MALFORMED_QUERY with Salesforce's text", sized(MaxQueryLength+1, "a"), CodeMalformedQuery,
			"SOQL statements can not be longer than 100000 characters", 0, 0},
		{"characters are counted, not bytes: 100,000 with é parse", sized(MaxQueryLength, "é"), "", "", 0, 0},
		{"a 960 KB query is refused on its length", nested(480_000), CodeMalformedQuery, "SOQL statements can not be longer than 100000 characters", 0, 0},
		{"conditions 100 parentheses deep parse", nested(DefaultMaxDepth), "", "", 0, 0},
		{"101 parentheses deep is QUERY_TOO_COMPLICATED at the 101st", nested(DefaultMaxDepth + 1), CodeQueryTooComplicated,
			"Query is either selecting too many fields or the filter conditions are too complicated.", 1, len("SELECT Id FROM Account WHERE ") + DefaultMaxDepth},
		{"NOT counts as a level", "SELECT Id FROM Account WHERE " + strings.Repeat("NOT ", DefaultMaxDepth+1) + "Name = 'a'", CodeQueryTooComplicated,
			"Query is either selecting too many fields or the filter conditions are too complicated.", 1, len("SELECT Id FROM Account WHERE ") + 4*DefaultMaxDepth},
		{"a subquery counts as a level", "SELECT Id FROM Account WHERE " + strings.Repeat("(", DefaultMaxDepth) + "Id IN (SELECT AccountId FROM Contact)" + strings.Repeat(")", DefaultMaxDepth),
			CodeQueryTooComplicated, "Query is either selecting too many fields or the filter conditions are too complicated.", 1, len("SELECT Id FROM Account WHERE ") + DefaultMaxDepth + len("Id IN (")},
		{"the row is the nesting's line", "SELECT Id\nFROM Account\nWHERE " + strings.Repeat("(", DefaultMaxDepth+1) + "Name = 'a'" + strings.Repeat(")", DefaultMaxDepth+1),
			CodeQueryTooComplicated, "Query is either selecting too many fields or the filter conditions are too complicated.", 3, len("WHERE ") + DefaultMaxDepth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.query)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Parse: %.300v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse: %v, want a %s", err, tc.wantCode)
			}
			if e.Code != tc.wantCode || e.Text != tc.wantText || e.Row != tc.wantRow || e.Column != tc.wantCol {
				t.Errorf("got %s %q at Row:%d:Column:%d, want %s %q at Row:%d:Column:%d", e.Code, e.Text, e.Row, e.Column, tc.wantCode, tc.wantText, tc.wantRow, tc.wantCol)
			}
			if tc.wantRow > 0 && !strings.Contains(e.Message, "ERROR at Row:") {
				t.Errorf("message without its position: %q", e.Message)
			}
		})
	}
}

// TestDeepNestingIsRefusedInBoundedMemory: a 960 KB WHERE of nested
// parentheses peaked at 350 MB (heap and stacks) while it parsed. Now it
// is refused on its length before it is read, and the deepest query
// Salesforce's length allows, 100,000 characters of parentheses, is
// refused at its 101st level within a small multiple of its size.
func TestDeepNestingIsRefusedInBoundedMemory(t *testing.T) {
	for _, tc := range []struct {
		name     string
		query    string
		wantCode string
		bound    uint64 // bytes allocated, at most
	}{
		{"960 KB of parentheses", nested(480_000), CodeMalformedQuery, 1 << 20},
		{"100,000 characters of parentheses", nested((MaxQueryLength - len(nested(0))) / 2), CodeQueryTooComplicated, 32 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Parse(tc.query)
			runtime.ReadMemStats(&after)
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.wantCode {
				t.Fatalf("Parse: %.200v, want %s", err, tc.wantCode)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > tc.bound {
				t.Errorf("refusing a %d KB query allocated %d KB", len(tc.query)>>10, alloc>>10)
			}
			if stack := int64(after.StackInuse) - int64(before.StackInuse); stack > 1<<20 {
				t.Errorf("refusing it grew the stacks by %d KB", stack>>10)
			}
		})
	}
}
