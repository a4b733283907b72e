package org

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

// TestSessionsRememberHowTheyEnded: a call presenting a session that is
// gone is journaled with how it ended, whatever ended it.
func TestSessionsRememberHowTheyEnded(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := &Org{ID: "00Dxx0000000001"}
	user := &User{Username: "sender@acme.example", Org: o}
	app := &App{Name: "opro_connector_eca"}
	for _, tc := range []struct {
		name string
		end  func(clk *clock.Virtual, s *Sessions, token string)
		want Ended
	}{
		{"unused past its timeout", func(clk *clock.Virtual, s *Sessions, token string) {
			clk.Advance(3 * time.Hour)
			if s.Use(token) != nil {
				t.Fatal("a session past its timeout still works")
			}
		}, Ended{Username: user.Username, App: app.Name, At: start.Add(2 * time.Hour), Cause: "timed out: unused for its timeout of 2h0m0s since 2026-03-02 09:00:00 UTC"}},
		{"swept while nobody used it", func(clk *clock.Virtual, s *Sessions, token string) {
			clk.Advance(3 * time.Hour)
			s.Open(&User{Username: "other@acme.example", Org: o}, app, time.Hour, false)
		}, Ended{Username: user.Username, App: app.Name, At: start.Add(2 * time.Hour), Cause: "timed out: unused for its timeout of 2h0m0s since 2026-03-02 09:00:00 UTC"}},
		{"expired from the console", func(clk *clock.Virtual, s *Sessions, token string) {
			clk.Advance(time.Minute)
			if n := s.Expire("SENDER@acme.example"); n != 1 {
				t.Fatalf("Expire ended %d sessions", n)
			}
		}, Ended{Username: user.Username, App: app.Name, At: start.Add(time.Minute), Cause: "expired on request (POST /_sfemu/sessions/expire, or Expire in the console)"}},
		{"revoked", func(clk *clock.Virtual, s *Sessions, token string) {
			if !s.Revoke(token, "revoked at /services/oauth2/revoke") {
				t.Fatal("Revoke found no live session")
			}
		}, Ended{Username: user.Username, App: app.Name, At: start, Cause: "revoked at /services/oauth2/revoke"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewVirtual(start)
			s := NewSessions(clk, 0)
			token := s.Open(user, app, 2*time.Hour, false).Token
			tc.end(clk, s, token)
			if got, ok := s.Why(token); !ok || got != tc.want {
				t.Errorf("Why = %+v, %v; want %+v", got, ok, tc.want)
			}
		})
	}
}

// TestEndedSessionsAreBounded: the memory of ended sessions keeps the
// latest endedKept, so a client opening sessions forever grows nothing.
func TestEndedSessionsAreBounded(t *testing.T) {
	clk := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s := NewSessions(clk, 10)
	o := &Org{ID: "00Dxx0000000001"}
	var first, last string
	for i := range endedKept + 500 {
		tok := s.Open(&User{Username: fmt.Sprintf("u%d@acme.example", i), Org: o}, nil, time.Hour, false).Token
		if i == 0 {
			first = tok
		}
		last = tok
	}
	if len(s.ended) != endedKept || len(s.byToken) != 10 {
		t.Errorf("%d ended sessions remembered, %d live; want %d and 10", len(s.ended), len(s.byToken), endedKept)
	}
	if _, ok := s.Why(first); ok {
		t.Error("the oldest ended session is still remembered")
	}
	if _, ok := s.Why(last); ok {
		t.Error("a live session is remembered as ended")
	}
	e, ok := s.Why(s.endedOrder[(s.endedNext+endedKept-1)%endedKept])
	if !ok || !strings.Contains(e.Cause, "more than 10 sessions") {
		t.Errorf("the latest evicted session: %+v, %v", e, ok)
	}
}
