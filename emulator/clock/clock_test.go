package clock

import (
	"testing"
	"time"
)

func TestVirtualClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 2, 23, 9, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	if got := v.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %s, want %s", got, start)
	}
	var seen []time.Time
	remove := v.OnAdvance(func(now time.Time) { seen = append(seen, now) })
	defer func() {
		remove()
		v.Advance(time.Hour)
		if len(seen) != 1 {
			t.Errorf("a removed listener still ran: %v", seen)
		}
	}()

	if _, err := v.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	want := start.Add(24 * time.Hour)
	if got := v.Now(); !got.Equal(want) {
		t.Errorf("after Advance(24h) Now() = %s, want %s", got, want)
	}
	if len(seen) != 1 || !seen[0].Equal(want) {
		t.Errorf("listener saw %v, want [%s]", seen, want)
	}
}

func TestVirtualClockRefusesToRunBackwards(t *testing.T) {
	start := time.Date(2026, 2, 23, 9, 0, 0, 0, time.UTC)
	v := NewVirtual(start)
	if _, err := v.Advance(-time.Second); err == nil {
		t.Error("Advance(-1s) succeeded, want an error")
	}
	if _, err := v.Set(start.Add(-time.Hour)); err == nil {
		t.Error("Set(an hour earlier) succeeded, want an error")
	}
	if got := v.Now(); !got.Equal(start) {
		t.Errorf("a refused move changed the clock to %s", got)
	}
	if _, err := v.Set(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := v.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("Set(+1h) gave %s", got)
	}
}
