package org

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Journal is where the org's durable state goes as it changes, so that
// `sfemu serve --data-dir` can bring it back after a restart (package
// emulator/persist keeps it on disk). A nil Journal is today's in-memory
// emulator, at no cost: every call site checks for nil first.
//
// The calls are made at the points of change, under the lock that orders
// the change (the data lock for records, the session table's for
// sessions), so the journal sees the changes of one key in the order they
// happened. They must therefore be quick and never call back into the org:
// the journal only notes what changed, and writes it out later, before the
// HTTP answer that acknowledges it (persist.Store.Sync).
type Journal interface {
	// Record notes the stored version of a record after a write; r nil:
	// the record with this id was erased (a rollback, a hard delete).
	Record(o *Org, id ID, r *Record)
	// LoginEvent notes a Login History row numbered seq; dropped, when
	// not 0, is the row the bounded history let go to make room.
	LoginEvent(o *Org, seq uint64, e LoginEvent, dropped uint64)
	// SessionOpened notes a new session, or a renewed one's new use time
	// and timeout (renewed true): renewals are not acknowledged writes and
	// may be written later, with the next acknowledged one.
	SessionOpened(s SavedSession, renewed bool)
	// SessionEnded notes how a session ended; forgotten, when not "", is
	// the token of the ended session the bounded ring let go.
	SessionEnded(token string, e Ended, order uint64, forgotten string)
}

// SavedSession is a session as the journal keeps it: its user and app by
// name, since the org is loaded again from the fixtures at each start.
type SavedSession struct {
	ID       int64
	Token    string
	Username string
	// ConsumerKey is the app's; "" for a session not opened through an app.
	ConsumerKey string
	Created     time.Time
	Timeout     time.Duration
	LastUsed    time.Time
}

// SetJournal sends every later change of the store's orgs, sessions and
// Login History to j (nil: none). Set it once, after the fixtures and any
// kept state are loaded and before the store serves a request.
func (s *Store) SetJournal(j Journal) {
	s.Sessions.journal = j
	for _, o := range s.orgs {
		o.Data.journal = j
		o.LoginHistory().journal = j
		o.LoginHistory().org = o
	}
}

// keptLocked tells the journal the record's current version after a write
// under the data lock; inside a transaction, the transaction notes it and
// tells the journal at the top-level commit, so a crash mid-transaction
// never leaves half of an all-or-none write on disk.
func (d *Data) keptLocked(tx *Tx, id ID) {
	if d.journal == nil {
		return
	}
	if tx != nil {
		tx.touch(d, id)
		return
	}
	d.journal.Record(d.org, id, d.byID[id])
}

// keepTouched tells the journal the current versions of records a
// committed top-level transaction wrote, under the data lock, so no
// concurrent write of the same record is reordered around it.
func (d *Data) keepTouched(ids []ID) {
	if d.journal == nil {
		return
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, id := range ids {
		d.journal.Record(d.org, id, d.byID[id])
	}
}

// EachStored calls fn with every stored record version (the fixtures',
// the users', the organization's, and every write's since), for a journal
// to keep them all when it starts: a restart then brings back the
// fixtures' records as they were, audit dates and all, not stamped anew.
func (d *Data) EachStored(fn func(*Record)) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, t := range d.tables {
		for _, r := range t.rows {
			if r != nil {
				fn(r)
			}
		}
	}
}

// Reload puts back a record version kept by a journal, at its slot in its
// table's insertion order, replacing the fixture's version of it if any.
// values are by Field.Index. It is for start-up, before the org serves;
// it tells no journal and runs no hook.
func (d *Data) Reload(o *Object, id ID, slot int, values []any) error {
	if slot < 0 || slot > 1<<26 {
		return fmt.Errorf("record %s: slot %d out of range", id, slot)
	}
	if len(values) > len(o.Fields) {
		return fmt.Errorf("record %s: %d values for the %d fields of %s", id, len(values), len(o.Fields), o.Name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tableFor(o)
	if cur := d.byID[id]; cur != nil {
		if cur.Object != o {
			return fmt.Errorf("record %s: kept as %s, loaded as %s", id, o.Name, cur.Object.Name)
		}
		t.index(cur, false)
		t.rows[cur.slot] = nil
	}
	for len(t.rows) <= slot {
		t.rows = append(t.rows, nil)
	}
	if prev := t.rows[slot]; prev != nil && prev.ID != id {
		return fmt.Errorf("record %s: slot %d of %s is record %s's", id, slot, o.Name, prev.ID)
	}
	r := &Record{ID: id, Object: o, Values: compactValues(values), slot: slot}
	t.rows[slot] = r
	t.index(r, true)
	d.byID[id] = r
	if f := o.Field("CaseNumber"); f != nil {
		if s, ok := r.Get(f).(string); ok {
			if n, err := strconv.Atoi(s); err == nil && n > d.caseNo {
				d.caseNo = n
			}
		}
	}
	return nil
}

// ReloadErased removes a fixture's record that a journal kept as erased
// (a hard delete), at start-up.
func (d *Data) ReloadErased(id ID) {
	d.Erase(id)
}

// Slot is the record's position in its table's insertion order, which a
// journal keeps so a restart lists records in the order they were made.
func (r *Record) Slot() int { return r.slot }

// Snapshot is the last number issued for each prefix, for a journal to
// keep.
func (s *IDSequence) Snapshot() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]uint64, len(s.next))
	for p, n := range s.next {
		out[p] = n
	}
	return out
}

// Continue makes every prefix's next id come after the kept last numbers,
// so a restart never reuses an id: a prefix numbered from the clock
// (SeedFromClock) continues past both the clock and the kept number.
func (s *IDSequence) Continue(last map[string]uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = map[string]uint64{}
	}
	for p, n := range last {
		if s.seeded[p] {
			clockSeeded.mu.Lock()
			clockSeeded.last[p] = max(clockSeeded.last[p], n)
			clockSeeded.mu.Unlock()
		}
		s.next[p] = max(s.next[p], n)
	}
}

// Reload puts back kept Login History rows (oldest first) and the number
// of the last row issued, at start-up.
func (h *LoginHistory) Reload(rows []LoginEvent, seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(rows) > h.limit {
		rows = rows[len(rows)-h.limit:]
	}
	h.rows = append(h.rows[:0], rows...)
	h.next, h.full = 0, len(h.rows) == h.limit
	h.seq = max(h.seq, seq)
}

// Reload puts back kept sessions, in the order they were opened, and how
// the latest ended sessions ended (oldest first), at start-up. A session
// whose user or app is no longer loaded is skipped and counted.
func (t *Sessions) Reload(store *Store, open []SavedSession, ended []EndedSession) (skipped int) {
	sort.Slice(open, func(i, j int) bool { return open[i].ID < open[j].ID })
	sort.Slice(ended, func(i, j int) bool { return ended[i].Order < ended[j].Order })
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, e := range ended {
		t.rememberEndedLocked(e.Token, e.Ended)
		t.endedSeq = max(t.endedSeq, e.Order)
	}
	for _, saved := range open {
		u := store.User(saved.Username)
		var app *App
		if saved.ConsumerKey != "" {
			app = store.AppByConsumerKey(saved.ConsumerKey)
		}
		if u == nil || (saved.ConsumerKey != "" && app == nil) {
			skipped++
			continue
		}
		s := &Session{ID: saved.ID, Token: saved.Token, User: u, App: app, Created: saved.Created, Timeout: saved.Timeout, lastUsed: saved.LastUsed}
		t.seq = max(t.seq, s.ID)
		s.elem = t.lru.PushFront(s)
		t.opened = append(t.opened, s)
		t.byToken[s.Token] = s
		t.byUserApp[userApp{u, app}] = s
	}
	return skipped
}

// EndedSession is how one session ended, by its token.
type EndedSession struct {
	Token string
	Ended Ended
	// Order numbers the ends, oldest first.
	Order uint64
}

// saved is the session as a journal keeps it.
func (s *Session) saved() SavedSession {
	out := SavedSession{ID: s.ID, Token: s.Token, Username: s.User.Username, Created: s.Created, Timeout: s.Timeout, LastUsed: s.lastUsed}
	if s.App != nil {
		out.ConsumerKey = s.App.ConsumerKey
	}
	return out
}
