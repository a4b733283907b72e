// Package cursor holds query cursors: the rest of a query's rows that a
// client pages through — REST's nextRecordsUrl and the SOAP API's
// QueryLocator for queryMore. One store serves both APIs, as one org's
// cursors do in Salesforce. Cursors are freed after an idle time on the
// emulator's clock, and a user holds at most ten (opening an eleventh
// releases the oldest, as Salesforce documents for QueryLocator cursors).
package cursor

import (
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// PrefixQueryLocator is the key prefix of query cursor ids (nextRecordsUrl).
const PrefixQueryLocator = "01g"

// A user may hold 10 query cursors; opening an eleventh releases the
// oldest, as Salesforce documents for QueryLocator cursors. maxCursors bounds
// them across all users.
const (
	maxCursorsPerUser = 10
	maxCursors        = 1000
)

// Cursor is one open query result.
type Cursor struct {
	ID string
	// Result holds every row of the query; a page is a slice of Result.Rows.
	Result   *soql.Result
	User     *org.User
	Batch    int
	lastUsed time.Time
	opened   int // order of opening
}

// Store holds the open cursors of one emulator.
type Store struct {
	clock clock.Clock
	idle  time.Duration
	ids   org.IDSequence

	mu     sync.Mutex
	byID   map[string]*Cursor
	opened int
}

// DefaultIdleTimeout frees cursors unused this long (Salesforce: 15 minutes).
const DefaultIdleTimeout = 15 * time.Minute

// New returns a store on clk; idle 0 is DefaultIdleTimeout.
func New(clk clock.Clock, idle time.Duration) *Store {
	if idle == 0 {
		idle = DefaultIdleTimeout
	}
	return &Store{clock: clk, idle: idle, byID: map[string]*Cursor{}}
}

// Open keeps res for user, to be paged batch rows at a time.
func (cs *Store) Open(res *soql.Result, user *org.User, batch int) *Cursor {
	now := cs.clock.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.sweepLocked(now)
	cs.releaseOldestLocked(func(c *Cursor) bool { return c.User == user }, maxCursorsPerUser)
	cs.releaseOldestLocked(func(*Cursor) bool { return true }, maxCursors)
	c := &Cursor{ID: string(cs.ids.Next(PrefixQueryLocator)), Result: res, User: user, Batch: batch, lastUsed: now, opened: cs.opened}
	cs.opened++
	cs.byID[c.ID] = c
	return c
}

// releaseOldestLocked closes the oldest-opened cursors among those that
// match until fewer than limit remain.
func (cs *Store) releaseOldestLocked(match func(*Cursor) bool, limit int) {
	for {
		var oldest *Cursor
		n := 0
		for _, c := range cs.byID {
			if !match(c) {
				continue
			}
			n++
			if oldest == nil || c.opened < oldest.opened {
				oldest = c
			}
		}
		if n < limit {
			return
		}
		delete(cs.byID, oldest.ID)
	}
}

// Get returns user's cursor id, renewing it, or nil.
func (cs *Store) Get(id string, user *org.User) *Cursor {
	now := cs.clock.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.sweepLocked(now)
	c := cs.byID[id]
	if c == nil || c.User != user {
		return nil
	}
	c.lastUsed = now
	return c
}

// Close frees a cursor (its last page was read).
func (cs *Store) Close(id string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.byID, id)
}

// Len is the number of open cursors.
func (cs *Store) Len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.byID)
}

func (cs *Store) sweepLocked(now time.Time) {
	for id, c := range cs.byID {
		if now.Sub(c.lastUsed) >= cs.idle {
			delete(cs.byID, id)
		}
	}
}
