package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
)

// TestTheClientFollowsEveryPage: a listing of wire.Control is every page,
// the client following each Link rel="next" until the last; a page of
// wire.Pages is one call.
func TestTheClientFollowsEveryPage(t *testing.T) {
	t.Parallel()
	const total, pageSize = 25, 10 // the stand-in pages by 10, whatever the client asks
	var (
		mu   sync.Mutex
		asks []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asks = append(asks, r.URL.RequestURI())
		mu.Unlock()
		after, _ := strconv.Atoi(r.URL.Query().Get("after"))
		var page []wire.TokenRequest
		for id := after + 1; id <= total && len(page) < pageSize; id++ {
			page = append(page, wire.TokenRequest{ID: int64(id)})
		}
		if last := after + len(page); last < total {
			w.Header().Set("Link", fmt.Sprintf(`</_sfemu/token-requests?after=%d&limit=%d>; rel="next"`, last, pageSize))
		}
		_ = json.NewEncoder(w).Encode(page)
	}))
	defer srv.Close()
	c := control.New(srv.URL)
	all, err := c.TokenRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != total || all[0].ID != 1 || all[total-1].ID != total {
		t.Errorf("listed %d token requests", len(all))
	}
	want := "/_sfemu/token-requests?limit=10000 /_sfemu/token-requests?after=10&limit=10000 /_sfemu/token-requests?after=20&limit=10000"
	if got := strings.Join(asks, " "); got != want {
		t.Errorf("asked %s\nwant  %s", got, want)
	}
	one, err := c.TokenRequestsPage(context.Background(), wire.Page{After: "20", Limit: 3})
	if err != nil || len(one.Items) != 5 || one.Next != "" {
		t.Errorf("one page: %+v, %v", one, err)
	}
}

// TestAServerThatRepeatsItsCursorIsAnError: paging stops rather than
// looping when the next page's cursor does not move.
func TestAServerThatRepeatsItsCursorIsAnError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `</_sfemu/sessions?after=7&limit=1>; rel="next"`)
		_, _ = w.Write([]byte(`[{"id":7}]`))
	}))
	defer srv.Close()
	if _, err := control.New(srv.URL).Sessions(context.Background()); err == nil || !strings.Contains(err.Error(), "same page") {
		t.Errorf("err = %v, want the repeated page named", err)
	}
}
