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
