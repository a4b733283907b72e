package org

import (
	"crypto/rand"
	"sync"
	"time"
)

// AuthCodeLifetime is how long an authorization code can be exchanged
// (REST API Developer Guide, "OAuth 2.0 Web Server Flow": 15 minutes).
const AuthCodeLifetime = 15 * time.Minute

// AuthCode is an authorization code the approval page issued: what the
// code exchange must match.
type AuthCode struct {
	Code        string
	User        *User
	App         *App
	RedirectURI string
	Scopes      []string
	// Challenge and ChallengeMethod are the PKCE code_challenge (empty: none)
	// and its method (S256 or plain).
	Challenge, ChallengeMethod string
	Nonce                      string // OpenID Connect nonce, echoed in the id_token
	Issued                     time.Time
}

// RefreshToken is a refresh token and what it stands for.
type RefreshToken struct {
	Token    string
	User     *User
	App      *App
	Scopes   []string
	Issued   time.Time
	LastUsed time.Time

	accessTokens []string // the most recent access tokens issued from it
}

// maxAccessTokensPerRefresh bounds what a refresh token remembers of the
// access tokens it issued (revoking it revokes those).
const maxAccessTokensPerRefresh = 32

// DefaultGrantCapacity bounds codes and refresh tokens each: past it the
// oldest are forgotten, so a loop of logins cannot grow memory.
const DefaultGrantCapacity = 100_000

// Grants holds the authorization codes and refresh tokens of every org.
type Grants struct {
	capacity int

	mu        sync.Mutex
	codes     map[string]*AuthCode
	codeOrder []string
	refresh   map[string]*RefreshToken
	rtOrder   []string
}

// NewGrants returns an empty table holding at most capacity of each kind.
func NewGrants(capacity int) *Grants {
	if capacity <= 0 {
		capacity = DefaultGrantCapacity
	}
	return &Grants{capacity: capacity, codes: map[string]*AuthCode{}, refresh: map[string]*RefreshToken{}}
}

// IssueCode stores c under a fresh code and returns it.
func (g *Grants) IssueCode(c AuthCode) *AuthCode {
	c.Code = c.User.Org.ID.Short() + "!" + randomToken(48)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.codes[c.Code] = &c
	g.codeOrder = evict(g.codeOrder, c.Code, g.capacity, func(k string) { delete(g.codes, k) })
	return &c
}

// RedeemCode takes the code out of the table: a code is good for one
// exchange, whatever its outcome, as Salesforce's are. It returns nil for
// an unknown or already used code; the caller checks its age.
func (g *Grants) RedeemCode(code string) *AuthCode {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.codes[code]
	delete(g.codes, code)
	return c
}

// IssueRefresh stores a new refresh token for u through app.
func (g *Grants) IssueRefresh(u *User, app *App, scopes []string, now time.Time) *RefreshToken {
	rt := &RefreshToken{Token: "5Aep" + randomToken(60), User: u, App: app, Scopes: scopes, Issued: now, LastUsed: now}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refresh[rt.Token] = rt
	g.rtOrder = evict(g.rtOrder, rt.Token, g.capacity, func(k string) { delete(g.refresh, k) })
	return rt
}

// Refresh returns the refresh token's record, or nil when it is unknown or revoked.
// It returns a copy: the live record changes under the lock only.
func (g *Grants) Refresh(token string) *RefreshToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	rt := g.refresh[token]
	if rt == nil {
		return nil
	}
	cp := *rt
	cp.accessTokens = nil
	return &cp
}

// UseRefresh records a successful use of the refresh token at now and the
// access token it issued.
func (g *Grants) UseRefresh(token, accessToken string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rt := g.refresh[token]
	if rt == nil {
		return
	}
	rt.LastUsed = now
	g.linkLocked(rt, accessToken)
}

// Link remembers that accessToken was issued along with the refresh token.
func (g *Grants) Link(token, accessToken string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if rt := g.refresh[token]; rt != nil {
		g.linkLocked(rt, accessToken)
	}
}

func (g *Grants) linkLocked(rt *RefreshToken, accessToken string) {
	for _, t := range rt.accessTokens {
		if t == accessToken {
			return
		}
	}
	rt.accessTokens = append(rt.accessTokens, accessToken)
	if n := len(rt.accessTokens); n > maxAccessTokensPerRefresh {
		rt.accessTokens = append(rt.accessTokens[:0], rt.accessTokens[n-maxAccessTokensPerRefresh:]...)
	}
}

// RevokeRefresh forgets the refresh token and returns the access tokens it
// issued, for the caller to revoke; ok is false for an unknown token.
func (g *Grants) RevokeRefresh(token string) (accessTokens []string, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rt := g.refresh[token]
	if rt == nil {
		return nil, false
	}
	delete(g.refresh, token)
	return rt.accessTokens, true
}

// RefreshTokens lists the live refresh tokens (copies), oldest first.
func (g *Grants) RefreshTokens() []RefreshToken {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]RefreshToken, 0, len(g.refresh))
	for _, k := range g.rtOrder {
		if rt := g.refresh[k]; rt != nil {
			cp := *rt
			cp.accessTokens = nil
			out = append(out, cp)
		}
	}
	return out
}

// evict appends key to order and forgets the oldest keys past capacity
// (keys already redeemed or revoked still count, so the table may hold
// fewer than capacity live entries, never more).
func evict(order []string, key string, capacity int, drop func(string)) []string {
	order = append(order, key)
	for len(order) > capacity {
		drop(order[0])
		order = order[1:]
	}
	return order
}

// randomToken returns n characters of tokenEncoding's alphabet.
func randomToken(n int) string {
	b := make([]byte, (n*3+3)/4)
	_, _ = rand.Read(b)
	s := tokenEncoding.EncodeToString(b)
	return s[:n]
}
