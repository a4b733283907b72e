package harness

import (
	"context"
	"fmt"
	"strings"

	"github.com/sfemu/sfemu/wire"
)

// evidence is what happened in a run, as a support engineer reads it: the
// deliveries and their answers, the token requests with sfemu's reasons,
// and the receiver's API calls (sfemu run --show).
func (r *run) evidence(ctx context.Context) string {
	if r.ctl == nil {
		return ""
	}
	var b strings.Builder
	if attempts, err := r.ctl.Deliveries(ctx); err == nil {
		fmt.Fprintf(&b, "deliveries (%d):\n", len(attempts))
		for i, a := range attempts {
			answer := "acknowledged"
			if !a.Acked {
				answer = "not acknowledged: " + a.Reason
			}
			session := "no session ID"
			if a.SessionID {
				session = "with a session ID"
			}
			fmt.Fprintf(&b, "  %d. %s, %d notification(s) %s, HTTP %d, %s\n", i+1, a.Message, len(a.Notifications), session, a.Status, answer)
		}
	}
	if tokens, err := r.ctl.TokenRequests(ctx); err == nil {
		fmt.Fprintf(&b, "token requests (%d):\n", len(tokens))
		for i, t := range tokens {
			line := fmt.Sprintf("  %d. %s as %s from %s: %d", i+1, shortGrant(t.GrantType), t.Username, t.SourceIP, t.Status)
			if t.Error != "" {
				line += fmt.Sprintf(" %s (%s)", t.Error, t.Description)
			}
			if t.Reason != "" {
				line += " — " + t.Reason
			}
			b.WriteString(line + "\n")
		}
	}
	if len(r.oauthLog) > 0 {
		fmt.Fprintf(&b, "oauth steps (%d):\n", len(r.oauthLog))
		for i, o := range r.oauthLog {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, o)
		}
	}
	if len(r.outcomeLog) > 0 {
		fmt.Fprintf(&b, "api and bulk steps (%d):\n", len(r.outcomeLog))
		for i, o := range r.outcomeLog {
			name := ""
			if o.name != "" {
				name = " (as " + o.name + ")"
			}
			fmt.Fprintf(&b, "  %d. %s%s\n", i+1, o, name)
		}
	}
	if calls, err := r.ctl.APIRequests(ctx); err == nil {
		api := toMaps(onSurfaces(calls, wire.SurfaceREST, wire.SurfaceSOAP))
		fmt.Fprintf(&b, "API calls (%d):\n%s\n", len(api), listing(api))
	}
	return strings.TrimRight(b.String(), "\n")
}

func shortGrant(g string) string {
	if g == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		return "JWT bearer"
	}
	return g
}
