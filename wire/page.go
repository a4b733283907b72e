package wire

import (
	"context"
	"strconv"
)

// Page asks a listing of the control API for one page (GET …?after=ID&
// limit=N, docs/CONTROL.md "Pages"): the items after the one whose id is
// After, in the listing's order (ids ascending, oldest first), at most
// Limit of them. A listing never holds more than one page in memory to
// answer, whatever the emulator holds (200,000 sessions).
type Page struct {
	// After is an item's id as the listing gives it ("" or "0": from the
	// first). The item itself need not still be listed.
	After string `json:"after,omitempty"`
	// Limit is the page size: 0 for DefaultPageLimit, at most MaxPageLimit.
	Limit int `json:"limit,omitempty"`
}

// Page sizes: what a listing answers unless asked, and the most it answers.
const (
	DefaultPageLimit = 1000
	MaxPageLimit     = 10000
)

// Size is p's page size, within 1 … MaxPageLimit.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

// AfterNumber is After as a journal's numeric id (0 for from the first).
func (p Page) AfterNumber() (int64, error) {
	if p.After == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(p.After, 10, 64)
	if err != nil || n < 0 {
		return 0, BadRequest("after=%q: give the id of the last item seen (1, 2, …)", p.After)
	}
	return n, nil
}

// Paged is one page of a listing: its items, and Next, the After of the
// page that follows ("" when this is the last).
type Paged[T any] struct {
	Items []T
	Next  string
}

// Pages are the control API's paged listings, each in id order. The
// emulator implements them in-process and the control client over HTTP;
// wire.Control's listings are every page, one after the other.
type Pages interface {
	SessionsPage(ctx context.Context, p Page) (Paged[Session], error)
	TokenRequestsPage(ctx context.Context, p Page) (Paged[TokenRequest], error)
	// APIRequestsPage lists one surface's requests (rest, soap, oauth), or
	// every surface's for "".
	APIRequestsPage(ctx context.Context, surface string, p Page) (Paged[APIRequest], error)
	LoginHistoryPage(ctx context.Context, org string, p Page) (Paged[LoginEvent], error)
	// QueuePage is the delivery status page by notification id; all adds
	// delivered and dropped notifications.
	QueuePage(ctx context.Context, all bool, p Page) (Paged[QueueEntry], error)
	DeliveriesPage(ctx context.Context, p Page) (Paged[Delivery], error)
}

// PageOf cuts one page out of items, which are in id order: those whose id
// comes after p.After (after reports whether an item's does), at most
// p.Size() of them; id names an item for the next page's cursor.
func PageOf[T any](items []T, p Page, after func(T) bool, id func(T) string) Paged[T] {
	start := 0
	if p.After != "" && p.After != "0" {
		// Binary search: items are in id order.
		lo, hi := 0, len(items)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if after(items[mid]) {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		start = lo
	}
	end := min(start+p.Size(), len(items))
	out := Paged[T]{Items: items[start:end:end]}
	if out.Items == nil {
		out.Items = []T{}
	}
	if end < len(items) {
		out.Next = id(items[end-1])
	}
	return out
}
