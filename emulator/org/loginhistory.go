package org

import (
	"sort"
	"sync"

	"github.com/sfemu/sfemu/emulator/internal/redact"
	"github.com/sfemu/sfemu/wire"
)

// Login History Status values Salesforce shows (Setup → Login History).
const (
	LoginSuccess           = "Success"
	LoginNotApproved       = "Failed: Not approved for access"
	LoginRestrictedIP      = "Restricted IP"
	LoginInvalidHours      = "Invalid Login Hours"
	LoginUserInactive      = "User is Inactive"
	LoginUserFrozen        = "User Is Frozen"
	LoginInvalidPassword   = "Invalid Password"
	LoginPasswordFlowOff   = "Username-Password Flow Disabled"
	LoginRateExceeded      = "Login Rate Exceeded"
	LoginAppNotInstalled   = "Failed: App Not Installed"
	LoginTypeRemoteAccess2 = "Remote Access 2.0"
)

// LoginEvent is one Login History row (wire.LoginEvent: JSON names are the
// LoginHistory object's field names, plus sfemu's own SfemuReason).
type LoginEvent = wire.LoginEvent

// LoginHistory keeps an org's most recent login events, oldest dropped first
// once the limit is reached, so sustained load cannot grow memory.
type LoginHistory struct {
	mu    sync.Mutex
	rows  []LoginEvent // ring buffer
	next  int          // where the next row goes once the ring is full
	full  bool
	limit int
	seq   uint64

	// journal keeps the rows across restarts (nil: in memory) as org's.
	journal Journal
	org     *Org
}

func newLoginHistory(limit int) *LoginHistory {
	if limit <= 0 {
		limit = DefaultSettings().LoginHistoryLimit
	}
	return &LoginHistory{limit: limit}
}

// Add appends e, assigning its Id. Its strings are bounded and copied
// first (keepEvent).
func (h *LoginHistory) Add(e LoginEvent) LoginEvent {
	keepEvent(&e)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.ID = string(MakeID(PrefixLoginHistory, h.seq))
	if h.journal != nil {
		var dropped uint64
		if h.full {
			dropped = h.seq - uint64(h.limit)
		}
		h.journal.LoginEvent(h.org, h.seq, e, dropped)
	}
	if !h.full {
		h.rows = append(h.rows, e)
		if len(h.rows) == h.limit {
			h.full = true
		}
		return e
	}
	h.rows[h.next] = e
	h.next = (h.next + 1) % h.limit
	return e
}

// Events returns the kept rows, oldest first.
func (h *LoginHistory) Events() []LoginEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]LoginEvent, 0, len(h.rows))
	if h.full {
		out = append(out, h.rows[h.next:]...)
		out = append(out, h.rows[:h.next]...)
		return out
	}
	return append(out, h.rows...)
}

// Page returns at most limit kept rows whose Id comes after after's (""
// for from the oldest), oldest first, and whether more follow. Ids are
// numbered in order (MakeID), so their 15-character forms compare as the
// rows' order.
func (h *LoginHistory) Page(after ID, limit int) ([]LoginEvent, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.rows)
	start := 0
	if h.full {
		start = h.next
	}
	at := func(i int) *LoginEvent { return &h.rows[(start+i)%n] }
	cursor := after.Short()
	lo := sort.Search(n, func(i int) bool { return after == "" || ID(at(i).ID).Short() > cursor })
	var page []LoginEvent
	for i := lo; i < n; i++ {
		if len(page) == limit {
			return page, true
		}
		page = append(page, *at(i))
	}
	return page, false
}

// Len is the number of rows kept.
func (h *LoginHistory) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rows)
}

// keepEvent bounds every string of a row (redact.Keep): the login URL
// comes from the request's Host header and the reason quotes what the
// client sent, so a row could otherwise hold a header's worth of bytes,
// 20,000 times over.
func keepEvent(e *LoginEvent) {
	for _, s := range []*string{&e.UserID, &e.Username, &e.LoginType, &e.LoginURL, &e.SourceIP, &e.Status, &e.Application, &e.APIType, &e.APIVersion, &e.Browser, &e.Platform, &e.Reason} {
		*s = redact.Keep(*s)
	}
}
