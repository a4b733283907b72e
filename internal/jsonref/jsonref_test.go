package jsonref

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLookup(t *testing.T) {
	v := decode(t, `{"id":"001xx","totalSize":2,"done":true,"records":[{"Id":"00Q1","Owner":{"Name":"Ada"}},{"Id":"00Q2","Owner":null}]}`)
	tests := []struct {
		path string
		want string
		ok   bool
	}{
		{".id", "001xx", true},
		{".totalSize", "2", true},
		{".done", "true", true},
		{".records[0].Id", "00Q1", true},
		{".records[0].Owner.Name", "Ada", true},
		{".records[1].Owner", "", false}, // null has no text
		{".records[1].Owner.Name", "", false},
		{".records[2].Id", "", false},
		{".records[-1].Id", "", false},
		{".records[x]", "", false},
		{".records[0", "", false},
		{".records", "", false}, // an array has no text
		{".nope", "", false},
		{".", "", false},
		{"id", "", false},
		{".id[0]", "", false},
	}
	for _, tt := range tests {
		got, ok := Lookup(v, tt.path)
		text, isText := Text(got)
		if ok && !isText {
			ok = false
		}
		if ok != tt.ok || text != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.path, text, ok, tt.want, tt.ok)
		}
	}
	if got, ok := Lookup(v, ""); !ok || got == nil {
		t.Error("the empty path is the value itself")
	}
}

func TestValidPath(t *testing.T) {
	for path, want := range map[string]bool{
		"": true, ".id": true, ".records[0].Id": true, "[12]": true, ".a.b[3][4].c": true,
		".": false, "..a": false, ".a[]": false, ".a[x]": false, ".a[-1]": false, ".a[1": false, "a": false, ".a]": true,
	} {
		if got := ValidPath(path); got != want {
			t.Errorf("ValidPath(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestExpand(t *testing.T) {
	valid := func(name string) bool { return name != "" && name[0] >= 'a' && name[0] <= 'z' }
	values := map[string]string{"a.id": "001", "q.records[0].Id": "00Q"}
	value := func(r Ref) (string, error) {
		v, ok := values[r.Expr()]
		if !ok {
			return "", errors.New("no " + r.Expr())
		}
		return v, nil
	}
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"/sobjects/Account/@{a.id}?x=@{q.records[0].Id}", "/sobjects/Account/001?x=00Q", ""},
		{"@{A.id} is no reference, @{a.id} is", "@{A.id} is no reference, 001 is", ""},
		{"an open @{a.id", "an open @{a.id", ""},
		{"@{a.id}@{b.x}", "", "no b.x"},
		{"@{}", "@{}", ""},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, valid, value)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Expand(%q): %v, want error %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	refs := Find("x @{a.records[0].Id} y @{9} @{b}", valid)
	want := []Ref{{Start: 2, End: 20, Name: "a", Path: ".records[0].Id"}, {Start: 28, End: 32, Name: "b"}}
	if diff := cmp.Diff(want, refs); diff != "" {
		t.Errorf("Find (-want +got):\n%s", diff)
	}
}
