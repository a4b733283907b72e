package org

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/wire"
)

// Session is an API session: what an access token (or an outbound message's
// session ID) stands for.
type Session struct {
	// ID numbers the session in the order the table opened them, from 1.
	ID      int64
	Token   string
	User    *User
	App     *App // nil for sessions not opened through an app
	Created time.Time
	// Timeout is the inactivity timeout: the session dies Timeout after its last use.
	Timeout time.Duration

	lastUsed time.Time
	elem     *list.Element // nil once removed
}

// LastUsed is when the session was opened or last renewed by an API call.
func (s *Session) LastUsed() time.Time { return s.lastUsed }

// ExpiresAt is when the session dies unless it is used before then.
func (s *Session) ExpiresAt() time.Time { return s.lastUsed.Add(s.Timeout) }

type userApp struct {
	user *User
	app  *App
}

// Sessions holds every open session. Expired sessions are swept as time
// passes and the table never holds more than its capacity, so memory stays
// flat under any load: past capacity the least recently used session closes.
type Sessions struct {
	clock    clock.Clock
	capacity int

	mu        sync.Mutex
	byToken   map[string]*Session
	byUserApp map[userApp]*Session
	lru       *list.List // front: most recently used
	lastSweep time.Time
	// ended remembers how the latest sessions ended, so an API call that
	// presents one is journaled with the reason (timed out when, expired
	// from the console, revoked) instead of a bare INVALID_SESSION_ID.
	ended      map[string]Ended
	endedOrder []string // a ring over ended's keys, oldest at endedNext
	endedNext  int
	// opened holds the sessions in the order they were opened (ids
	// ascending), removed ones too until compact drops them, so a page of
	// them is found by binary search rather than by sorting the table.
	opened  []*Session
	removed int // removed sessions still in opened
	seq     int64

	// journal keeps the table across restarts (nil: in memory); endedSeq
	// numbers the ends it is told of.
	journal  Journal
	endedSeq uint64
}

// Ended is how a session ended: whose it was and why.
type Ended struct {
	Username string
	App      string
	At       time.Time
	// Cause is what ended it, in words: "timed out after 2h without use
	// (last used 09:00:05)", "expired with POST /_sfemu/sessions/expire", …
	Cause string
}

// endedKept bounds the ended sessions remembered (about 150 bytes each).
const endedKept = 10_000

// DefaultSessionCapacity bounds the session table.
const DefaultSessionCapacity = 200_000

// sweepEvery is how often (on the emulator's clock) expired sessions are freed.
const sweepEvery = time.Minute

// NewSessions returns an empty session table on clk.
func NewSessions(clk clock.Clock, capacity int) *Sessions {
	if capacity <= 0 {
		capacity = DefaultSessionCapacity
	}
	return &Sessions{
		clock:     clk,
		capacity:  capacity,
		byToken:   make(map[string]*Session),
		byUserApp: make(map[userApp]*Session),
		lru:       list.New(),
		ended:     make(map[string]Ended),
	}
}

// Open returns a session for u through app. When reuse is true and the pair
// already has a live session, that session is renewed and returned.
func (t *Sessions) Open(u *User, app *App, timeout time.Duration, reuse bool) *Session {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
	key := userApp{u, app}
	if s, ok := t.byUserApp[key]; ok && reuse && now.Before(s.ExpiresAt()) {
		s.lastUsed = now
		s.Timeout = timeout
		t.lru.MoveToFront(s.elem)
		if t.journal != nil {
			t.journal.SessionOpened(s.saved(), true)
		}
		return s
	}
	t.seq++
	s := &Session{ID: t.seq, Token: newAccessToken(u.Org.ID), User: u, App: app, Created: now, Timeout: timeout, lastUsed: now}
	s.elem = t.lru.PushFront(s)
	t.opened = append(t.opened, s)
	t.byToken[s.Token] = s
	t.byUserApp[key] = s
	if t.journal != nil {
		t.journal.SessionOpened(s.saved(), false)
	}
	for len(t.byToken) > t.capacity {
		t.endLocked(t.lru.Back().Value.(*Session), now,
			fmt.Sprintf("closed as the least recently used when the emulator held more than %d sessions", t.capacity))
	}
	return s
}

// Use validates token and renews its session, as every API call does. It
// returns nil for an unknown, revoked or timed-out token.
func (t *Sessions) Use(token string) *Session {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byToken[token]
	if !ok {
		return nil
	}
	if !now.Before(s.ExpiresAt()) {
		t.endLocked(s, s.ExpiresAt(), timedOut(s))
		return nil
	}
	s.lastUsed = now
	t.lru.MoveToFront(s.elem)
	if t.journal != nil {
		t.journal.SessionOpened(s.saved(), true)
	}
	return s
}

// Peek returns the live session for token without renewing it.
func (t *Sessions) Peek(token string) *Session {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byToken[token]
	if !ok || !now.Before(s.ExpiresAt()) {
		return nil
	}
	return s
}

// Revoke ends the session for token, cause saying how ("revoked at
// /services/oauth2/revoke"); it reports whether one was live.
func (t *Sessions) Revoke(token, cause string) bool {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byToken[token]
	if !ok {
		return false
	}
	if !now.Before(s.ExpiresAt()) {
		t.endLocked(s, s.ExpiresAt(), timedOut(s))
		return false
	}
	t.endLocked(s, now, cause)
	return true
}

// Why says how the session token stood for ended, if it is one of the
// latest to end.
func (t *Sessions) Why(token string) (Ended, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.ended[token]
	return e, ok
}

// Expire ends every session of the user (all users when username is ""),
// as a control-API fault that forces clients to log in again. It returns how
// many sessions ended.
func (t *Sessions) Expire(username string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.byToken {
		if username == "" || wire.SameUsername(s.User.Username, username) {
			t.endLocked(s, t.clock.Now(), "expired on request (POST /_sfemu/sessions/expire, or Expire in the console)")
			n++
		}
	}
	return n
}

// Len is the number of sessions held (live or not yet swept).
func (t *Sessions) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byToken)
}

// List returns the live sessions in the order they were opened.
func (t *Sessions) List() []*Session {
	var out []*Session
	for after := int64(0); ; {
		page, more := t.Page(after, 10000)
		out = append(out, page...)
		if !more {
			return out
		}
		after = page[len(page)-1].ID
	}
}

// Page returns at most limit live sessions opened after the one numbered
// after (0: from the first), in the order they were opened; more reports
// whether live ones follow. It finds the page by binary search and copies
// only it, so listing 200,000 sessions a page at a time never holds them
// all.
func (t *Sessions) Page(after int64, limit int) (page []*Session, more bool) {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	i := sort.Search(len(t.opened), func(i int) bool { return t.opened[i].ID > after })
	for ; i < len(t.opened); i++ {
		s := t.opened[i]
		if s.elem == nil || !now.Before(s.ExpiresAt()) {
			continue
		}
		if len(page) == limit {
			return page, true
		}
		page = append(page, s)
	}
	return page, false
}

func (t *Sessions) sweepLocked(now time.Time) {
	if now.Sub(t.lastSweep) < sweepEvery {
		return
	}
	t.lastSweep = now
	for _, s := range t.byToken {
		if !now.Before(s.ExpiresAt()) {
			t.endLocked(s, s.ExpiresAt(), timedOut(s))
		}
	}
}

// timedOut is the cause of a session that reached its inactivity timeout.
func timedOut(s *Session) string {
	return fmt.Sprintf("timed out: unused for its timeout of %s since %s", s.Timeout, s.lastUsed.UTC().Format("2006-01-02 15:04:05 UTC"))
}

// endLocked removes s and remembers why, forgetting the oldest
// remembered past endedKept.
func (t *Sessions) endLocked(s *Session, at time.Time, cause string) {
	t.removeLocked(s)
	e := Ended{Username: s.User.Username, At: at, Cause: cause}
	if s.App != nil {
		e.App = s.App.Name
	}
	forgotten := t.rememberEndedLocked(s.Token, e)
	if t.journal != nil {
		t.endedSeq++
		t.journal.SessionEnded(s.Token, e, t.endedSeq, forgotten)
	}
}

// rememberEndedLocked keeps how the session of token ended, and returns
// the token of the oldest remembered one it forgot to make room ("" when
// none).
func (t *Sessions) rememberEndedLocked(token string, e Ended) (forgotten string) {
	if _, ok := t.ended[token]; ok {
		t.ended[token] = e
		return ""
	}
	if len(t.endedOrder) < endedKept {
		t.endedOrder = append(t.endedOrder, token)
	} else {
		forgotten = t.endedOrder[t.endedNext]
		delete(t.ended, forgotten)
		t.endedOrder[t.endedNext] = token
		t.endedNext = (t.endedNext + 1) % endedKept
	}
	t.ended[token] = e
	return forgotten
}

func (t *Sessions) removeLocked(s *Session) {
	delete(t.byToken, s.Token)
	key := userApp{s.User, s.App}
	if t.byUserApp[key] == s {
		delete(t.byUserApp, key)
	}
	t.lru.Remove(s.elem)
	s.elem = nil
	t.removed++
	if t.removed > 1024 && t.removed > len(t.opened)/2 {
		t.compactLocked()
	}
}

// compactLocked drops removed sessions from opened: at most as often as
// half of it is removed, so in amortised constant time per removal.
func (t *Sessions) compactLocked() {
	kept := t.opened[:0]
	for _, s := range t.opened {
		if s.elem != nil {
			kept = append(kept, s)
		}
	}
	clear(t.opened[len(kept):])
	t.opened, t.removed = kept, 0
}

// tokenEncoding draws on the characters real access tokens use.
var tokenEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._").WithPadding(base64.NoPadding)

// newAccessToken returns "<15-char org id>!AQ<opaque>", the shape of a
// Salesforce access token and session ID.
func newAccessToken(orgID ID) string {
	var b [72]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return orgID.Short() + "!AQ" + tokenEncoding.EncodeToString(b[:])
}
