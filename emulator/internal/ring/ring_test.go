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
