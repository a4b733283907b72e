package redact

import (
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipTo(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"a short string is kept whole", "grant_type", 16, "grant_type"},
		{"a string of exactly the bound is kept whole", "abcd", 4, "abcd"},
		{"a long string is cut and says how much was left out", "abcdefgh", 4, "abcd…[cut 4 bytes]"},
		{"a cut never splits a character", "aé" + "zzzz", 2, "a…[cut 6 bytes]"},
		{"a megabyte becomes its first bytes", strings.Repeat("x", 1<<20), 3, "xxx…[cut 1048573 bytes]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ClipTo(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("ClipTo(%.20q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("%q is not valid UTF-8", got)
			}
		})
	}
}

// TestClipLetsTheLongStringGo: what Clip keeps is a copy, so a hundred
// 1 MB strings clipped and kept hold a few hundred KB, not 100 MB.
func TestClipLetsTheLongStringGo(t *testing.T) {
	kept := make([]string, 100)
	before := heapInUse()
	for i := range kept {
		kept[i] = Clip(strings.Repeat(string(rune('a'+i%26)), 1<<20))
	}
	grew := int64(heapInUse()) - int64(before)
	if grew > 10<<20 {
		t.Errorf("100 clipped 1 MB strings hold %d MB", grew>>20)
	}
	for _, k := range kept {
		if len(k) > MaxKept+32 {
			t.Fatalf("clipped to %d bytes, want about %d", len(k), MaxKept)
		}
	}
	runtime.KeepAlive(kept)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestClipAll(t *testing.T) {
	if got := ClipAll([]string{"https://login.salesforce.com"}); len(got) != 1 || got[0] != "https://login.salesforce.com" {
		t.Errorf("a short list changed: %q", got)
	}
	many := make([]string, 100)
	for i := range many {
		many[i] = strings.Repeat("a", 10_000)
	}
	got := ClipAll(many)
	if len(got) != MaxKeptItems {
		t.Fatalf("kept %d items, want %d", len(got), MaxKeptItems)
	}
	if got[0] != strings.Repeat("a", MaxKept)+"…[cut 7952 bytes]" {
		t.Errorf("first item %.40q…", got[0])
	}
	if last := got[MaxKeptItems-1]; last != "…[cut 85 more]" {
		t.Errorf("last item %q, want the count of items left out", last)
	}
}

func TestClipTwiceIsClipOnce(t *testing.T) {
	once := Clip(strings.Repeat("z", 10_000))
	if twice := Clip(once); twice != once {
		t.Errorf("clipped again: %q", twice[len(twice)-30:])
	}
	if kept := Keep(once); kept != once {
		t.Errorf("kept again: %q", kept[len(kept)-30:])
	}
}
