package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/sfemu/sfemu/wire"
)

var _ wire.Pages = (*Client)(nil)

// The control API answers its big listings a page at a time (GET
// …?after=ID&limit=N, a Link header naming the next page). The Client's
// wire.Control listings (Sessions, TokenRequests, Queue …) follow the
// pages for the caller that wants everything, MaxPageLimit items a call;
// its wire.Pages methods ask for one.

// getPage asks path (with its own query, if any) for the page p.
func getPage[T any](ctx context.Context, c *Client, path string, p wire.Page) (wire.Paged[T], error) {
	q := url.Values{}
	if p.After != "" {
		q.Set("after", p.After)
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Size()))
	}
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + q.Encode()
	}
	data, header, err := c.rawHeader(ctx, http.MethodGet, path, nil)
	if err != nil {
		return wire.Paged[T]{}, err
	}
	var out wire.Paged[T]
	if err := json.Unmarshal(data, &out.Items); err != nil {
		return wire.Paged[T]{}, fmt.Errorf("GET %s: %w", path, err)
	}
	out.Next = nextAfter(header)
	return out, nil
}

// everyPage follows path's pages from the first to the last.
func everyPage[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	all := []T{}
	p := wire.Page{Limit: wire.MaxPageLimit}
	for {
		page, err := getPage[T](ctx, c, path, p)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all, nil
		}
		if page.Next == p.After || len(page.Items) == 0 {
			return nil, fmt.Errorf("GET %s: the emulator's next page after %q is the same page", path, p.After)
		}
		p.After = page.Next
	}
}

var nextLinkPattern = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?next"?`)

// nextAfter is the after= of the Link header's rel="next" URL ("" when
// there is none: the last page).
func nextAfter(h http.Header) string {
	for _, v := range h.Values("Link") {
		if m := nextLinkPattern.FindStringSubmatch(v); m != nil {
			if u, err := url.Parse(m[1]); err == nil {
				return u.Query().Get("after")
			}
		}
	}
	return ""
}

// SessionsPage is one page of GET /sessions.
func (c *Client) SessionsPage(ctx context.Context, p wire.Page) (wire.Paged[wire.Session], error) {
	return getPage[wire.Session](ctx, c, "/sessions", p)
}

// TokenRequestsPage is one page of GET /token-requests.
func (c *Client) TokenRequestsPage(ctx context.Context, p wire.Page) (wire.Paged[wire.TokenRequest], error) {
	return getPage[wire.TokenRequest](ctx, c, "/token-requests", p)
}

// APIRequestsPage is one page of GET /requests[?surface=].
func (c *Client) APIRequestsPage(ctx context.Context, surface string, p wire.Page) (wire.Paged[wire.APIRequest], error) {
	path := "/requests"
	if surface != "" {
		path += "?surface=" + url.QueryEscape(surface)
	}
	return getPage[wire.APIRequest](ctx, c, path, p)
}

// LoginHistoryPage is one page of GET /orgs/{org}/login-history.
func (c *Client) LoginHistoryPage(ctx context.Context, org string, p wire.Page) (wire.Paged[wire.LoginEvent], error) {
	return getPage[wire.LoginEvent](ctx, c, "/orgs/"+esc(org)+"/login-history", p)
}

// QueuePage is one page of GET /outbound/queue[?all=true].
func (c *Client) QueuePage(ctx context.Context, all bool, p wire.Page) (wire.Paged[wire.QueueEntry], error) {
	return getPage[wire.QueueEntry](ctx, c, queuePath(all), p)
}

// DeliveriesPage is one page of GET /outbound/deliveries.
func (c *Client) DeliveriesPage(ctx context.Context, p wire.Page) (wire.Paged[wire.Delivery], error) {
	return getPage[wire.Delivery](ctx, c, "/outbound/deliveries", p)
}

func queuePath(all bool) string {
	if all {
		return "/outbound/queue?all=true"
	}
	return "/outbound/queue"
}
