package org

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestLoginHistoryRowsAreBoundedByBytes: Login History keeps 20,000 rows,
// each bounded by bytes. A login URL from a 1 MB Host header or a reason
// quoting a 1 MB value keeps 2 KiB of it, marked as cut.
func TestLoginHistoryRowsAreBoundedByBytes(t *testing.T) {
	h := newLoginHistory(1000)
	before := heapAlloc()
	for range 100 {
		h.Add(LoginEvent{Username: "sender@acme.example", LoginURL: strings.Repeat("h", 1<<20), Reason: strings.Repeat("r", 1<<20), Status: LoginSuccess})
	}
	if grew := int64(heapAlloc()) - int64(before); grew > 10<<20 {
		t.Errorf("100 rows with 1 MB strings grew the heap by %d MB", grew>>20)
	}
	row := h.Events()[99]
	if !strings.HasSuffix(row.LoginURL, "…[cut 1046528 bytes]") || !strings.HasSuffix(row.Reason, "…[cut 1046528 bytes]") {
		t.Errorf("login URL kept as %d bytes, reason as %d", len(row.LoginURL), len(row.Reason))
	}
	if row.Username != "sender@acme.example" || row.Status != LoginSuccess {
		t.Errorf("short strings changed: %+v", row)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestLoginHistoryPagesByID(t *testing.T) {
	h := newLoginHistory(5)
	var ids []string
	for range 8 { // keeps rows 4 … 8, wrapped round
		ids = append(ids, h.Add(LoginEvent{Status: LoginSuccess}).ID)
	}
	for _, tc := range []struct {
		name  string
		after ID
		limit int
		want  []string
		more  bool
	}{
		{"from the oldest kept", "", 2, ids[3:5], true},
		{"after a dropped row: from the oldest kept", ID(ids[0]), 10, ids[3:8], false},
		{"after a kept row, by its 15-character id too", ID(ID(ids[4]).Short()), 2, ids[5:7], true},
		{"after the newest", ID(ids[7]), 2, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, more := h.Page(tc.after, tc.limit)
			var got []string
			for _, r := range page {
				got = append(got, r.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || more != tc.more {
				t.Errorf("Page = %v, %v; want %v, %v", got, more, tc.want, tc.more)
			}
		})
	}
}
