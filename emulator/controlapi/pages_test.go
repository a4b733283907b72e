package controlapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

// TestListingsAnswerAPageAtATime: the big listings take ?limit= and
// ?after= (the id of the last item seen); the body stays a JSON array,
// and a Link header names the next page while one follows.
func TestListingsAnswerAPageAtATime(t *testing.T) {
	e := newEnv(t, emulator.VirtualClock)
	for range 5 {
		resp, err := http.Post(e.srv.URL+"/services/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=nope"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ids := func(a answer) string {
		var out []string
		for _, r := range decodeJSON[[]wire.TokenRequest](t, a.body) {
			out = append(out, fmt.Sprint(r.ID))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name, path string
		status     int
		ids        string // the token requests' ids listed
		link       string // the Link header
		err        string
	}{
		{"without parameters: every item, up to 1,000, and no Link", "/token-requests", 200, "1,2,3,4,5", "", ""},
		{"a first page of two, with the next page's Link", "/token-requests?limit=2", 200, "1,2", `</_sfemu/token-requests?after=2&limit=2>; rel="next"`, ""},
		{"the page after id 2", "/token-requests?after=2&limit=2", 200, "3,4", `</_sfemu/token-requests?after=4&limit=2>; rel="next"`, ""},
		{"the last page has no Link", "/token-requests?after=4&limit=2", 200, "5", "", ""},
		{"after the newest: an empty array", "/token-requests?after=5", 200, "", "", ""},
		{"the Link keeps the listing's other parameters", "/requests?surface=oauth&limit=3", 200, "", `</_sfemu/requests?after=3&limit=3&surface=oauth>; rel="next"`, ""},
		{"limit=0 is a 400", "/token-requests?limit=0", 400, "", "", "limit=\"0\": give a page size from 1 to 10000"},
		{"a limit over 10,000 is a 400", "/token-requests?limit=10001", 400, "", "", "from 1 to 10000"},
		{"a cursor that is no id is a 400", "/token-requests?after=last", 400, "", "", `after="last": give the id of the last item seen`},
		{"a Login History cursor must be a Login History Id", "/orgs/Default/login-history?after=001xx0000000001AAA", 400, "", "", "give the Id of the last Login History row seen"},
		{"a queue cursor must be a notification id", "/outbound/queue?after=x", 400, "", "", "give the id of the last notification seen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.call(t, "GET", tc.path, "")
			if a.status != tc.status {
				t.Fatalf("%s", a)
			}
			if tc.err != "" {
				wantError(tc.err)(t, e, a)
				return
			}
			if got := a.header.Get("Link"); got != tc.link {
				t.Errorf("Link %q, want %q", got, tc.link)
			}
			if strings.HasPrefix(tc.path, "/token-requests") {
				if got := ids(a); got != tc.ids {
					t.Errorf("ids %s, want %s", got, tc.ids)
				}
			}
			if strings.TrimSpace(string(a.body))[0] != '[' {
				t.Errorf("body is not a JSON array: %.100s", a.body)
			}
		})
	}
}
