package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sfemu/sfemu/wire"
)

// checkEffect checks the receiver's business effect on records as its
// profile describes it: the applied query finds a row for the record, or,
// for a receiver that only reads, the record's notification was
// acknowledged. err is an emulator that could not be asked.
func (r *run) checkEffect(ctx context.Context, e *EffectExpect) (string, error) {
	var problems []string
	what := r.profile.effectText()
	check := func(ref string, want string) error {
		id, object := r.names[ref[1:]], r.objects[ref[1:]]
		rows, err := r.effectRows(ctx, object, id)
		if err != nil {
			return err
		}
		switch {
		case want == "applied" && rows == 0:
			problems = append(problems, fmt.Sprintf("effect: %s %s (%s) does not show the receiver's effect (%s)", object, id, ref, what))
		case want == "not_applied" && rows > 0:
			problems = append(problems, fmt.Sprintf("effect: %s %s (%s) shows the receiver's effect (%s), want none", object, id, ref, what))
		case want == "applied_once" && rows == 0:
			problems = append(problems, fmt.Sprintf("effect: %s %s (%s) does not show the receiver's effect (%s)", object, id, ref, what))
		case want == "applied_once" && rows > 1 && r.profile.Effect.Kind == EffectCreate:
			problems = append(problems, fmt.Sprintf("effect: %s %s (%s) shows the receiver's effect %d times (%s), want once", object, id, ref, rows, what))
		}
		return nil
	}
	for _, group := range []struct {
		want string
		refs []string
	}{{"applied", e.Applied}, {"not_applied", e.NotApplied}, {"applied_once", e.AppliedOnce}} {
		for _, ref := range group.refs {
			if err := check(ref, group.want); err != nil {
				return "", err
			}
		}
	}
	if w := e.AppliedWhere; w != nil {
		res, err := r.ctl.Query(ctx, r.org, "SELECT Id FROM "+w.Object+" WHERE "+r.expandRefs(w.Where))
		if err != nil {
			return queryProblem("effect.applied_where", err)
		}
		if w.Count != nil && len(res.Rows) != *w.Count {
			problems = append(problems, fmt.Sprintf("effect.applied_where: %d %s records match %q, want %d", len(res.Rows), w.Object, w.Where, *w.Count))
		}
		without := 0
		for _, row := range res.Rows {
			id, _ := row["Id"].(string)
			rows, err := r.effectRows(ctx, w.Object, id)
			if err != nil {
				return "", err
			}
			if rows == 0 {
				without++
			}
		}
		if without > 0 {
			problems = append(problems, fmt.Sprintf("effect.applied_where: %d of %d %s records matching %q do not show the receiver's effect (%s)", without, len(res.Rows), w.Object, w.Where, what))
		}
	}
	return strings.Join(problems, "\n"), nil
}

// effectRows counts what shows the effect on one record: rows of the
// profile's applied query, or the record's acknowledged notifications.
func (r *run) effectRows(ctx context.Context, object, id string) (int, error) {
	if e := r.profile.Effect; e.Kind == EffectPublish {
		events, err := r.ctl.Events(ctx, r.org)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, ev := range events {
			if v, ok := ev.Fields[e.Field].(string); ok && ev.Object == e.Object && sameID(v, id) {
				n++
			}
		}
		return n, nil
	}
	if r.profile.Effect.Applied == "" {
		queue, err := r.ctl.Queue(ctx, true)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, q := range queue {
			if sameID(q.RecordID, id) && q.State == wire.Delivered {
				n++
			}
		}
		return min(n, 1), nil
	}
	query, err := r.profile.Effect.appliedQuery(object, id)
	if err != nil {
		return 0, fmt.Errorf("the profile's effect.applied: %v", err)
	}
	res, err := r.ctl.Query(ctx, r.org, query)
	if err != nil {
		return 0, fmt.Errorf("the profile's effect.applied query %q: %v", query, err)
	}
	return len(res.Rows), nil
}

// effectText says what the profile's effect is, for failure reports.
func (p *Profile) effectText() string {
	e := p.Effect
	switch e.Kind {
	case EffectUpdate:
		return fmt.Sprintf("profile %s writes %s: %s", p.Name, e.Field, e.Applied)
	case EffectCreate:
		return fmt.Sprintf("profile %s creates a %s: %s", p.Name, e.Object, e.Applied)
	case EffectPublish:
		return fmt.Sprintf("profile %s publishes a %s whose %s is the record's id", p.Name, e.Object, e.Field)
	}
	if e.Applied != "" {
		return fmt.Sprintf("profile %s: %s", p.Name, e.Applied)
	}
	return fmt.Sprintf("profile %s only reads: its notification acknowledged", p.Name)
}

// expandRefs replaces $name with the ids of created records.
func (r *run) expandRefs(s string) string {
	return refPattern.ReplaceAllStringFunc(s, func(m string) string {
		if id, ok := r.names[m[1:]]; ok {
			return id
		}
		return m
	})
}

// queryProblem reports a query the scenario got wrong as a problem, and
// an emulator that could not be asked as an error.
func queryProblem(what string, err error) (string, error) {
	var we *wire.Error
	if errors.As(err, &we) && we.Code != "" {
		return fmt.Sprintf("%s: %v", what, err), nil
	}
	return "", err
}

// sameID compares Salesforce ids by their case-sensitive 15-character form.
func sameID(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}
