package org

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/wire"
)

// IDSequence hands out deterministic ids: the n-th object of a key prefix
// loaded gets the same id on every run, unless the prefix is seeded from
// the clock (SeedFromClock).
type IDSequence struct {
	mu     sync.Mutex
	next   map[string]uint64
	seeded map[string]bool
}

// StartAt makes the next id of prefix number n+1 (ids already handed out
// are not reused only if n is past them), and undoes SeedFromClock.
func (s *IDSequence) StartAt(prefix string, n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = map[string]uint64{}
	}
	s.next[prefix] = n
	delete(s.seeded, prefix)
}

// clockSeeded is the last number issued for each clock-seeded prefix by
// any sequence in this process: they all draw from it, so two emulators in
// one process never share an id.
var clockSeeded struct {
	mu   sync.Mutex
	last map[string]uint64
}

// SeedFromClock makes prefix's ids unique across restarts: from now on they
// are numbered from wall, the wall clock, in microseconds since 1970 (or
// one past the last number this process issued for the prefix, if that is
// later), one up per id. An emulator started after another one stopped
// therefore numbers its ids above all of the earlier one's, unless the
// earlier one issued more than one id per microsecond of its life. Nine
// base-62 digits hold microsecond counts until the year 2398. Pass the real
// time, not a virtual clock's: a clock started in the past would repeat
// numbers.
func (s *IDSequence) SeedFromClock(prefix string, wall time.Time) {
	n := uint64(max(wall.UnixMicro(), 0))
	clockSeeded.mu.Lock()
	if clockSeeded.last == nil {
		clockSeeded.last = map[string]uint64{}
	}
	clockSeeded.last[prefix] = max(clockSeeded.last[prefix], n)
	clockSeeded.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seeded == nil {
		s.seeded = map[string]bool{}
	}
	s.seeded[prefix] = true
}

// Next returns a fresh id with the prefix.
func (s *IDSequence) Next(prefix string) ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = map[string]uint64{}
	}
	if s.seeded[prefix] {
		clockSeeded.mu.Lock()
		clockSeeded.last[prefix]++
		s.next[prefix] = clockSeeded.last[prefix]
		clockSeeded.mu.Unlock()
		return MakeID(prefix, s.next[prefix])
	}
	s.next[prefix]++
	return MakeID(prefix, s.next[prefix])
}

// NextN returns n fresh ids with the prefix, consecutive, as n calls of
// Next would (when nothing else takes one in between), cut from one string.
func (s *IDSequence) NextN(prefix string, n int) []ID {
	s.mu.Lock()
	if s.next == nil {
		s.next = map[string]uint64{}
	}
	first := s.next[prefix] + 1
	s.next[prefix] += uint64(n)
	s.mu.Unlock()
	return makeIDs(prefix, first, n)
}

// Store holds every loaded org and the state shared across them: apps by
// consumer key (consumer keys are global in Salesforce), users by username
// (also global), and the session table.
type Store struct {
	Clock    clock.Clock
	Sessions *Sessions
	// Grants are the OAuth authorization codes and refresh tokens.
	Grants *Grants
	IDs    *IDSequence

	orgs    []*Org
	orgByID map[string]*Org // by 15-char id
	users   map[string]*User
	apps    map[string]*App

	mu        sync.RWMutex
	clientIPs map[ID]netip.Addr // apparent client IP per org, set at run time
}

// NewStore parses the fixtures and checks them against each other.
func NewStore(clk clock.Clock, sources ...Source) (*Store, error) {
	s := &Store{
		Clock:     clk,
		Sessions:  NewSessions(clk, 0),
		Grants:    NewGrants(0),
		IDs:       &IDSequence{},
		orgByID:   map[string]*Org{},
		users:     map[string]*User{},
		apps:      map[string]*App{},
		clientIPs: map[ID]netip.Addr{},
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no org fixtures to load")
	}
	userSource := map[string]string{}
	for _, src := range sources {
		pf, err := ParseFixture(src, s.IDs, clk.Now())
		if err != nil {
			return nil, err
		}
		o := pf.Org
		o.Data.clock = clk.Now
		if other, dup := s.orgByID[o.ID.Short()]; dup {
			return nil, &FixtureError{File: src.Name, Msg: fmt.Sprintf("org id %s is also the id of org %q (%s)", o.ID, other.Name, other.Source)}
		}
		for _, a := range pf.Apps {
			if prev, ok := s.apps[a.ConsumerKey]; ok {
				if !sameCertificate(prev, a) {
					line, col := pf.locateApp(a)
					return nil, &FixtureError{File: src.Name, Line: line, Column: col, Msg: fmt.Sprintf(
						"app %q: consumer_key is already used by app %q with a different certificate: one consumer key is one app, installed in several orgs with the same certificate", a.Name, prev.Name)}
				}
				// The same packaged app installed in another org: share it.
				if in := o.Installations[a.ConsumerKey]; in != nil {
					in.App = prev
				}
				continue
			}
			s.apps[a.ConsumerKey] = a
		}
		for i, u := range o.Users {
			key := wire.UsernameKey(u.Username)
			if prev, dup := s.users[key]; dup {
				line, col := pf.locate(fmt.Sprintf("$.users[%d].username", i))
				return nil, &FixtureError{File: src.Name, Line: line, Column: col, Msg: fmt.Sprintf(
					"username %q is already a user of org %q (%s): usernames are unique across all orgs", u.Username, prev.Org.Name, userSource[key])}
			}
			s.users[key] = u
			userSource[key] = src.Name
		}
		s.orgByID[o.ID.Short()] = o
		s.orgs = append(s.orgs, o)
	}
	return s, nil
}

func (pf *ParsedFixture) locateApp(a *App) (int, int) {
	for i, x := range pf.Apps {
		if x == a {
			return pf.locate(fmt.Sprintf("$.apps[%d].consumer_key", i))
		}
	}
	return 0, 0
}

func sameCertificate(a, b *App) bool {
	if a.Certificate == nil || b.Certificate == nil {
		return a.Certificate == nil && b.Certificate == nil
	}
	return bytes.Equal(a.Certificate.Raw, b.Certificate.Raw)
}

// Orgs returns the loaded orgs in load order.
func (s *Store) Orgs() []*Org { return s.orgs }

// Org finds an org by its 15- or 18-character id, or by name (case-insensitive).
func (s *Store) Org(idOrName string) *Org {
	if id, err := ParseID(idOrName); err == nil {
		if o := s.orgByID[id.Short()]; o != nil {
			return o
		}
	}
	for _, o := range s.orgs {
		if strings.EqualFold(o.Name, idOrName) {
			return o
		}
	}
	return nil
}

// User finds a user by username (case-insensitive, as Salesforce logins are).
func (s *Store) User(username string) *User { return s.users[wire.UsernameKey(username)] }

// UserByID finds a user by 15- or 18-character id.
func (s *Store) UserByID(id string) *User {
	pid, err := ParseID(id)
	if err != nil {
		return nil
	}
	for _, o := range s.orgs {
		for _, u := range o.Users {
			if u.ID == pid {
				return u
			}
		}
	}
	return nil
}

// AppByConsumerKey finds an app by its consumer key (exact match).
func (s *Store) AppByConsumerKey(key string) *App { return s.apps[key] }

// Apps returns every app, sorted by name.
func (s *Store) Apps() []*App {
	out := make([]*App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Installation returns app's installation in o. A connected app that the org
// has not installed is still usable there with the default policy (all users
// may self-authorize), as in Salesforce; an External Client App is not.
func (s *Store) Installation(o *Org, app *App) *Installation {
	if in := o.Installations[app.ConsumerKey]; in != nil {
		return in
	}
	if app.Kind == ConnectedApp {
		return &Installation{App: app, Org: o, Policy: Policy{PermittedUsers: AllUsers, IPRelaxation: IPEnforce}}
	}
	return nil
}

// SetClientIP declares the apparent source IP of every client of org o
// (the zero Addr clears it and falls back to the fixture's settings.client_ip).
func (s *Store) SetClientIP(o *Org, ip netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ip.IsValid() {
		s.clientIPs[o.ID] = ip.Unmap()
	} else {
		delete(s.clientIPs, o.ID)
	}
}

// ClientIP is the apparent source IP of o's clients, falling back to peer
// when nothing is declared.
func (s *Store) ClientIP(o *Org, peer netip.Addr) netip.Addr {
	s.mu.RLock()
	ip, ok := s.clientIPs[o.ID]
	s.mu.RUnlock()
	if ok {
		return ip
	}
	if o.Settings.ClientIP.IsValid() {
		return o.Settings.ClientIP
	}
	return peer
}
