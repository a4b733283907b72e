package ring

import (
	"fmt"
	"testing"
)

func TestRingKeepsTheMostRecentInOrder(t *testing.T) {
	r := New[int](3)
	for i := 1; i <= 5; i++ {
		r.Add(i)
	}
	if got := fmt.Sprint(r.Items()); got != "[3 4 5]" || r.Len() != 3 {
		t.Errorf("items %s, len %d; want [3 4 5], 3", got, r.Len())
	}
	r2 := New[string](0)
	r2.Add("a")
	r2.Add("b")
	if got := fmt.Sprint(r2.Items()); got != "[b]" {
		t.Errorf("a ring of capacity 0 keeps one item: %s", got)
	}
}

func TestFindLooksFromTheNewest(t *testing.T) {
	r := New[int](3)
	if _, ok := r.Find(func(int) bool { return true }); ok {
		t.Error("an empty ring found something")
	}
	for i := 1; i <= 5; i++ {
		r.Add(i)
	}
	if got, ok := r.Find(func(x int) bool { return x%2 == 1 }); !ok || got != 5 {
		t.Errorf("newest odd = %d, %v; want 5", got, ok)
	}
	if got, ok := r.Find(func(x int) bool { return x < 4 }); !ok || got != 3 {
		t.Errorf("newest below 4 = %d, %v; want 3 (1 and 2 were dropped)", got, ok)
	}
	if _, ok := r.Find(func(x int) bool { return x == 1 }); ok {
		t.Error("found a dropped item")
	}
}

func TestPageWalksTheRingFromACursor(t *testing.T) {
	r := New[int](5)
	for i := 1; i <= 8; i++ { // keeps 4 5 6 7 8, wrapped round
		r.Add(i)
	}
	after := func(c int) func(int) bool { return func(x int) bool { return x > c } }
	even := func(x int) bool { return x%2 == 0 }
	for _, tc := range []struct {
		name   string
		cursor int
		match  func(int) bool
		limit  int
		want   string
		more   bool
	}{
		{"from the first, a page of two", 0, nil, 2, "[4 5]", true},
		{"after a dropped item: from the oldest kept", 2, nil, 10, "[4 5 6 7 8]", false},
		{"after a kept item", 5, nil, 2, "[6 7]", true},
		{"the last page", 6, nil, 2, "[7 8]", false},
		{"after the newest: empty", 8, nil, 2, "[]", false},
		{"only matching items, counted against the limit", 0, even, 2, "[4 6]", true},
		{"matching items to the end", 5, even, 2, "[6 8]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, more := r.Page(after(tc.cursor), tc.match, tc.limit)
			if got := fmt.Sprint(page); got != tc.want && !(tc.want == "[]" && len(page) == 0) || more != tc.more {
				t.Errorf("Page = %v, %v; want %s, %v", page, more, tc.want, tc.more)
			}
		})
	}
	if page, more := New[int](3).Page(after(0), nil, 5); len(page) != 0 || more {
		t.Errorf("an empty ring's page: %v, %v", page, more)
	}
}
