package org

import (
	"strings"
	"testing"
	"time"
)

func TestParseIDAddsSalesforceChecksum(t *testing.T) {
	// Vectors: 15-character ids and the 18-character forms Salesforce gives them.
	tests := []struct{ in, want string }{
		{"001M000000qfPyS", "001M000000qfPySIAU"},
		{"a0RE000000IJmcN", "a0RE000000IJmcNMAT"},
		{"aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaAAA"},
		{"001M000000qfPySIAU", "001M000000qfPySIAU"},
		{"001M000000qfPySiau", "001M000000qfPySIAU"}, // checksum compares case-insensitively
	}
	for _, tt := range tests {
		got, err := ParseID(tt.in)
		if err != nil {
			t.Errorf("ParseID(%q): %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("ParseID(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseIDRejectsMalformedIDs(t *testing.T) {
	for _, in := range []string{"", "001", "001M000000qfPySX", "001M000000qfPySAAA", "001M00000-qfPyS"} {
		if got, err := ParseID(in); err == nil {
			t.Errorf("ParseID(%q) = %s, want an error", in, got)
		}
	}
}

func TestMakeIDIsDeterministicAndValid(t *testing.T) {
	a, b := MakeID(PrefixUser, 1), MakeID(PrefixUser, 1)
	if a != b {
		t.Fatalf("MakeID is not deterministic: %s vs %s", a, b)
	}
	if len(a) != 18 || a.Prefix() != PrefixUser {
		t.Fatalf("MakeID(005, 1) = %s", a)
	}
	if got, err := ParseID(a.Short()); err != nil || got != a {
		t.Errorf("ParseID(%s) = %s, %v; want %s", a.Short(), got, err, a)
	}
	if MakeID(PrefixUser, 2) == a {
		t.Error("different sequence numbers gave the same id")
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("001M000000qfPyS")
	f.Add("001M000000qfPySIAU")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		if len(id) != 18 {
			t.Fatalf("ParseID(%q) = %q, not 18 characters", s, id)
		}
		again, err := ParseID(string(id))
		if err != nil || again != id {
			t.Fatalf("round trip of %q: %q, %v", id, again, err)
		}
	})
}

// idNumber reads back the sequence number MakeID wrote.
func idNumber(t *testing.T, id ID) uint64 {
	t.Helper()
	var n uint64
	for _, c := range string(id[6:15]) {
		n = n*62 + uint64(strings.IndexRune(base62, c))
	}
	if MakeID(id.Prefix(), n) != id {
		t.Fatalf("%s is not MakeID(%s, %d)", id, id.Prefix(), n)
	}
	return n
}

func TestClockSeededIDsAreValidIncreasingAndNeverShared(t *testing.T) {
	wall := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var a, b IDSequence
	a.SeedFromClock(PrefixNotification, wall)
	b.SeedFromClock(PrefixNotification, wall) // a second emulator at the same instant
	seen := map[ID]bool{}
	var last uint64
	for i := 0; i < 100; i++ {
		for _, s := range []*IDSequence{&a, &b} {
			id := s.Next(PrefixNotification)
			if seen[id] {
				t.Fatalf("%s issued twice", id)
			}
			seen[id] = true
			if p, err := ParseID(string(id)); err != nil || p != id || len(id) != 18 || id.Prefix() != PrefixNotification {
				t.Fatalf("%s: not a valid 18-character 04l id (%v)", id, err)
			}
			n := idNumber(t, id)
			if n <= uint64(wall.UnixMicro()) || n <= last {
				t.Fatalf("%s numbered %d: want above the clock's %d and the previous %d", id, n, wall.UnixMicro(), last)
			}
			last = n
		}
	}
	// A later start numbers above everything issued before it.
	var c IDSequence
	c.SeedFromClock(PrefixNotification, wall.Add(time.Second))
	if n := idNumber(t, c.Next(PrefixNotification)); n <= last || n <= uint64(wall.Add(time.Second).UnixMicro()) {
		t.Errorf("a start a second later numbers from %d, want above %d (issued before) and the clock's microseconds", n, last)
	}
	// Other prefixes, and a sequence told where to start, stay deterministic.
	if id := a.Next(PrefixAccount); id != MakeID(PrefixAccount, 1) {
		t.Errorf("an Account id %s, want %s", id, MakeID(PrefixAccount, 1))
	}
	a.StartAt(PrefixNotification, 1000)
	if id := a.Next(PrefixNotification); id != MakeID(PrefixNotification, 1001) {
		t.Errorf("after StartAt(1000): %s, want %s", id, MakeID(PrefixNotification, 1001))
	}
}

// TestMakeIDsIsMakeIDInARow: the ids a batch gets from one string are
// the ids MakeID gives one by one.
func TestMakeIDsIsMakeIDInARow(t *testing.T) {
	for _, prefix := range []string{PrefixAccount, "a0X", "0Ya1"} {
		got := makeIDs(prefix, 61, 5)
		for i, id := range got {
			if want := MakeID(prefix, 61+uint64(i)); id != want {
				t.Errorf("makeIDs(%s)[%d] = %s, want %s", prefix, i, id, want)
			}
		}
	}
	for _, seq := range []uint64{1, 61, 62 * 62, 1 << 40} {
		digits := idDigits(seq)
		if got, want := MakeID(PrefixAccount, seq), ID(withChecksum("001xx0"+string(digits[:]))); got != want {
			t.Errorf("MakeID(001, %d) = %s, want %s", seq, got, want)
		}
	}
	var s IDSequence
	s.Next(PrefixLead)
	ids := s.NextN(PrefixLead, 3)
	if ids[0] != MakeID(PrefixLead, 2) || ids[2] != MakeID(PrefixLead, 4) || s.Next(PrefixLead) != MakeID(PrefixLead, 5) {
		t.Errorf("NextN: %v", ids)
	}
}
