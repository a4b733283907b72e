package org

import (
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
