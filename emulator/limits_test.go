package emulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
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

// TestListingSessionsCostsAPage: one GET /_sfemu/sessions with 200,000
// sessions pushed RSS from 180 MB to 627 MB: every session became a row,
// and the rows one JSON answer. Now a call answers a page (1,000 by
// default) found by binary search, and the Link header leads to the next;
// control.Client follows them for a caller that wants every session.
func TestListingSessionsCostsAPage(t *testing.T) {
	emu, srv := startDefault(t)
	store := emu.Store()
	u := store.Orgs()[0].Users[0]
	const n = 200_000
	for range n {
		store.Sessions.Open(u, nil, 2*time.Hour, false)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := http.Get(srv.URL + "/_sfemu/sessions?after=150000")
	if err != nil {
		t.Fatal(err)
	}
	var page []wire.Session
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || len(page) != wire.DefaultPageLimit || page[0].ID != 150_001 {
		t.Fatalf("page of %d sessions from %v (%v)", len(page), page[0].ID, err)
	}
	if link := resp.Header.Get("Link"); link != `</_sfemu/sessions?after=151000&limit=1000>; rel="next"` {
		t.Errorf("Link %q", link)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a page of %d sessions allocated %d KB", n, alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("listing a page of %d sessions allocated %d MB", n, alloc>>20)
	}
	all, err := control.New(srv.URL).Sessions(context.Background())
	if err != nil || len(all) != n+0 || all[n-1].ID != n {
		t.Fatalf("the client listed %d sessions (%v)", len(all), err)
	}
}
