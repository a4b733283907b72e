package emulator

import (
	"context"
	"sort"
	"strconv"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// The control API's listings, a page at a time (wire.Pages): each copies
// only its page out of the table or journal it reads, so answering costs
// a page's worth of memory whatever the emulator holds.
var _ wire.Pages = (*Emulator)(nil)

// pageOf makes a wire.Paged of items cut by a store's Page method.
func pageOf[T any](items []T, more bool, id func(T) string) wire.Paged[T] {
	out := wire.Paged[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if more && len(items) > 0 {
		out.Next = id(items[len(items)-1])
	}
	return out
}

func numbered(n int64) string { return strconv.FormatInt(n, 10) }

// SessionsPage lists live sessions in the order they were opened.
func (e *Emulator) SessionsPage(_ context.Context, p wire.Page) (wire.Paged[wire.Session], error) {
	after, err := p.AfterNumber()
	if err != nil {
		return wire.Paged[wire.Session]{}, err
	}
	sessions, more := e.store().Sessions.Page(after, p.Size())
	out := make([]wire.Session, len(sessions))
	for i, s := range sessions {
		out[i] = sessionRow(s)
	}
	return pageOf(out, more, func(s wire.Session) string { return numbered(s.ID) }), nil
}

func sessionRow(s *org.Session) wire.Session {
	row := wire.Session{ID: s.ID, Token: s.Token, TokenPrefix: wire.TokenPrefix(s.Token), TokenLength: len(s.Token), OrgID: string(s.User.Org.ID),
		Username: s.User.Username, Created: s.Created, LastUsed: s.LastUsed(), ExpiresAt: s.ExpiresAt(), Timeout: wire.Duration(s.Timeout)}
	if s.App != nil {
		row.App = s.App.Name
	}
	return row
}

// TokenRequestsPage lists token requests by id.
func (e *Emulator) TokenRequestsPage(_ context.Context, p wire.Page) (wire.Paged[wire.TokenRequest], error) {
	after, err := p.AfterNumber()
	if err != nil {
		return wire.Paged[wire.TokenRequest]{}, err
	}
	items, more := e.state.Load().oauth.Journal().Page(after, p.Size())
	return pageOf(items, more, func(a wire.TokenRequest) string { return numbered(a.ID) }), nil
}

// APIRequestsPage lists one surface's API requests ("" for all) by id.
func (e *Emulator) APIRequestsPage(_ context.Context, surface string, p wire.Page) (wire.Paged[wire.APIRequest], error) {
	after, err := p.AfterNumber()
	if err != nil {
		return wire.Paged[wire.APIRequest]{}, err
	}
	items, more := e.state.Load().gateway.Journal().Page(after, surface, p.Size())
	return pageOf(items, more, func(r wire.APIRequest) string { return numbered(r.ID) }), nil
}

// LoginHistoryPage lists an org's Login History rows by Id.
func (e *Emulator) LoginHistoryPage(_ context.Context, orgName string, p wire.Page) (wire.Paged[wire.LoginEvent], error) {
	o, err := e.org(orgName)
	if err != nil {
		return wire.Paged[wire.LoginEvent]{}, err
	}
	var after org.ID
	if p.After != "" {
		if after, err = org.ParseID(p.After); err != nil || after.Prefix() != org.PrefixLoginHistory {
			return wire.Paged[wire.LoginEvent]{}, wire.BadRequest("after=%q: give the Id of the last Login History row seen (%s…)", p.After, org.PrefixLoginHistory)
		}
	}
	items, more := o.LoginHistory().Page(after, p.Size())
	return pageOf(items, more, func(r wire.LoginEvent) string { return r.ID }), nil
}

// QueuePage lists the delivery status page by notification id (the
// order they were queued in); all adds the delivered and dropped ones.
func (e *Emulator) QueuePage(ctx context.Context, all bool, p wire.Page) (wire.Paged[wire.QueueEntry], error) {
	var after org.ID
	if p.After != "" {
		var err error
		if after, err = org.ParseID(p.After); err != nil {
			return wire.Paged[wire.QueueEntry]{}, wire.BadRequest("after=%q: give the id of the last notification seen (%s…)", p.After, org.PrefixNotification)
		}
	}
	entries, err := e.Queue(ctx, all)
	if err != nil {
		return wire.Paged[wire.QueueEntry]{}, err
	}
	sort.SliceStable(entries, func(i, j int) bool { return org.ID(entries[i].ID).Short() < org.ID(entries[j].ID).Short() })
	return wire.PageOf(entries, p, func(q wire.QueueEntry) bool { return org.ID(q.ID).Short() > after.Short() },
		func(q wire.QueueEntry) string { return q.ID }), nil
}

// DeliveriesPage lists delivery attempts by id.
func (e *Emulator) DeliveriesPage(ctx context.Context, p wire.Page) (wire.Paged[wire.Delivery], error) {
	after, err := p.AfterNumber()
	if err != nil {
		return wire.Paged[wire.Delivery]{}, err
	}
	attempts, err := e.Deliveries(ctx)
	if err != nil {
		return wire.Paged[wire.Delivery]{}, err
	}
	return wire.PageOf(attempts, p, func(d wire.Delivery) bool { return d.ID > after },
		func(d wire.Delivery) string { return numbered(d.ID) }), nil
}
