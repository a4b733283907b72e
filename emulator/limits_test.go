package emulator_test

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
)

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestAQueryStringOverSalesforcesBoundIs414: 150 unauthenticated GET
// …/query?q=<1 MB> grew the heap by 150 MB (the journal kept each query
// string). Salesforce answers a URI over 16,384 bytes with 414 URI Too Long
// before its API sees it; so does sfemu, and journals nothing.
func TestAQueryStringOverSalesforcesBoundIs414(t *testing.T) {
	emu, srv := startDefault(t)
	target := srv.URL + "/services/data/v66.0/query?q=" + url.QueryEscape("SELECT Id FROM Account WHERE Name = '"+strings.Repeat("x", 900<<10)+"'")
	before := heapAlloc()
	for range 150 {
		resp, err := http.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestURITooLong {
			t.Fatalf("status %d, want 414", resp.StatusCode)
		}
	}
	if grew := int64(heapAlloc()) - int64(before); grew > 20<<20 {
		t.Errorf("150 requests with 900 KB query strings grew the heap by %d MB", grew>>20)
	}
	if entries, _ := emu.APIRequests(context.Background()); len(entries) != 0 {
		t.Errorf("the journal kept %d requests the API never saw", len(entries))
	}
}
