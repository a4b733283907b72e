package org

import (
	"container/list"
	"crypto/rand"
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
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
	// opened holds the sessions in the order they were opened (ids
	// ascending), removed ones too until compact drops them, so a page of
	// them is found by binary search rather than by sorting the table.
	opened  []*Session
	removed int // removed sessions still in opened
	seq     int64
}

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
		return s
	}
	t.seq++
	s := &Session{ID: t.seq, Token: newAccessToken(u.Org.ID), User: u, App: app, Created: now, Timeout: timeout, lastUsed: now}
	s.elem = t.lru.PushFront(s)
	t.opened = append(t.opened, s)
	t.byToken[s.Token] = s
	t.byUserApp[key] = s
	for len(t.byToken) > t.capacity {
		t.removeLocked(t.lru.Back().Value.(*Session))
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
		t.removeLocked(s)
		return nil
	}
	s.lastUsed = now
	t.lru.MoveToFront(s.elem)
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

// Revoke ends the session for token; it reports whether one was live.
func (t *Sessions) Revoke(token string) bool {
	now := t.clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byToken[token]
	if !ok {
		return false
	}
	t.removeLocked(s)
	return now.Before(s.ExpiresAt())
}

// Expire ends every session of the user (all users when username is ""),
// as a control-API fault that forces clients to log in again. It returns how
// many sessions ended.
func (t *Sessions) Expire(username string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.byToken {
		if username == "" || strings.EqualFold(s.User.Username, username) {
			t.removeLocked(s)
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
			t.removeLocked(s)
		}
	}
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
