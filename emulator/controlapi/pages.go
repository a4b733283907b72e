package controlapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/sfemu/sfemu/wire"
)

// The big listings (sessions, token requests, API requests, Login History,
// the outbound queue and deliveries) answer a page at a time:
// ?limit=N (1 to wire.MaxPageLimit; default wire.DefaultPageLimit) and
// ?after=ID, the id of the last item seen. The body stays a JSON array, as
// before pages; when more items follow, a Link header (RFC 8288, as
// GitHub's REST API pages) gives the next page's URL:
//
//	Link: </_sfemu/sessions?after=1000&limit=1000>; rel="next"

// paged is a page ready to answer: its items and how to ask for the next.
type paged struct {
	items any
	next  string // the next page's after; "" on the last page
	size  int
}

// page reads ?after= and ?limit=, asks list for that page, and answers it
// as a paged value for json to write.
func page[T any](r *http.Request, list func(wire.Page) (wire.Paged[T], error)) (int, any, error) {
	p, err := pageParams(r)
	if err != nil {
		return 0, nil, err
	}
	out, err := list(p)
	if err != nil {
		return 0, nil, err
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	return http.StatusOK, paged{items: out.Items, next: out.Next, size: p.Size()}, nil
}

func pageParams(r *http.Request) (wire.Page, error) {
	q := r.URL.Query()
	p := wire.Page{After: q.Get("after")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > wire.MaxPageLimit {
			return p, wire.BadRequest("limit=%q: give a page size from 1 to %d", s, wire.MaxPageLimit)
		}
		p.Limit = n
	}
	return p, nil
}

// nextLink is the Link header naming the page after this one: r's URL
// with after and limit set, its other parameters kept.
func nextLink(r *http.Request, after string, size int) string {
	q := r.URL.Query()
	q.Set("after", after)
	q.Set("limit", strconv.Itoa(size))
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return "<" + u.String() + `>; rel="next"`
}
