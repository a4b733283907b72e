package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/wire"
)

// expect checks every expectation; with eventually it retries until they
// all hold or the bound passes, then reports what still differs.
func (r *run) expect(ctx context.Context, e *Expectations) error {
	var bound time.Duration
	if e.Eventually != "" {
		bound, _ = time.ParseDuration(e.Eventually)
	}
	deadline := time.Now().Add(bound)
	for {
		if err := r.idle(ctx); err != nil {
			return err
		}
		err := r.check(ctx, e)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *run) check(ctx context.Context, e *Expectations) error {
	var problems []string
	if d := e.Deliveries; d != nil {
		msg, err := r.checkDeliveries(ctx, d)
		if err != nil {
			return err
		}
		if msg != "" {
			problems = append(problems, msg)
		}
	}
	if e.TokenRequests != nil {
		got, err := r.ctl.TokenRequests(ctx)
		if err != nil {
			return err
		}
		if msg := matchList("token requests", e.TokenRequests, toMaps(got)); msg != "" {
			problems = append(problems, msg)
		}
	}
	if e.LoginHistory != nil {
		got, err := r.ctl.LoginHistory(ctx, r.org)
		if err != nil {
			return err
		}
		if msg := matchList("Login History", e.LoginHistory, toMaps(got)); msg != "" {
			problems = append(problems, msg)
		}
	}
	if e.RESTCalls != nil || e.APICalls != nil {
		entries, err := r.ctl.APIRequests(ctx)
		if err != nil {
			return err
		}
		if e.RESTCalls != nil {
			if msg := matchList("the receiver's REST calls", e.RESTCalls, toMaps(onSurfaces(entries, wire.SurfaceREST))); msg != "" {
				problems = append(problems, msg)
			}
		}
		if e.APICalls != nil {
			got := toMaps(onSurfaces(entries, wire.SurfaceREST, wire.SurfaceSOAP))
			if msg := matchList("the receiver's API calls", e.APICalls, got); msg != "" {
				problems = append(problems, msg)
			}
		}
	}
	for _, rq := range e.Records {
		msg, err := r.checkRecords(ctx, rq)
		if err != nil {
			return err
		}
		if msg != "" {
			problems = append(problems, msg)
		}
	}
	if l := e.ReceiverLog; l != nil {
		text := ""
		if r.log != nil {
			text = r.log.all()
		}
		for _, s := range l.Contains {
			if !strings.Contains(text, s) {
				problems = append(problems, fmt.Sprintf("the receiver's log does not contain %q", s))
			}
		}
		for _, s := range l.NotContains {
			if strings.Contains(text, s) {
				problems = append(problems, fmt.Sprintf("the receiver's log contains %q", s))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("expectation failed:\n%s", strings.Join(problems, "\n"))
}

// onSurfaces keeps the journal entries of the given surfaces.
func onSurfaces(entries []wire.APIRequest, surfaces ...string) []wire.APIRequest {
	var out []wire.APIRequest
	for _, e := range entries {
		for _, s := range surfaces {
			if e.Surface == s {
				out = append(out, e)
			}
		}
	}
	return out
}

// checkDeliveries compares the queue and the attempt journal; err is an
// emulator that could not be asked.
func (r *run) checkDeliveries(ctx context.Context, d *DeliveryExpect) (string, error) {
	queue, err := r.ctl.Queue(ctx, true)
	if err != nil {
		return "", err
	}
	attempts, err := r.ctl.Deliveries(ctx)
	if err != nil {
		return "", err
	}
	counts := map[string]int{}
	for _, s := range queue {
		counts[s.State]++
	}
	want := map[string]int{}
	got := map[string]int{}
	add := func(name string, w *int, g int) {
		if w != nil {
			want[name], got[name] = *w, g
		}
	}
	add("delivered", d.Delivered, counts[wire.Delivered])
	add("pending", d.Pending, counts[wire.Pending]+counts[wire.InFlight])
	add("dropped", d.Dropped, counts[wire.Dropped])
	add("attempts", d.Attempts, len(attempts))
	var problems []string
	if diff := cmp.Diff(want, got); diff != "" {
		problems = append(problems, "deliveries (-want +got):\n"+diff)
	}
	if d.AttemptsAtLeast != nil && len(attempts) < *d.AttemptsAtLeast {
		problems = append(problems, fmt.Sprintf("deliveries: %d attempts, want at least %d", len(attempts), *d.AttemptsAtLeast))
	}
	if d.BatchSizes != nil {
		var sizes []int
		for _, a := range attempts {
			sizes = append(sizes, len(a.Notifications))
		}
		wantSizes := append([]int(nil), d.BatchSizes...)
		sort.Ints(sizes)
		sort.Ints(wantSizes)
		if diff := cmp.Diff(wantSizes, sizes); diff != "" {
			problems = append(problems, "notifications per message (-want +got):\n"+diff)
		}
	}
	if d.Failure != "" {
		failed := 0
		for _, s := range queue {
			if s.DeliveryFailureReason == "" {
				continue
			}
			failed++
			if !strings.Contains(s.DeliveryFailureReason, d.Failure) {
				problems = append(problems, fmt.Sprintf("notification %s failed with %q, want a reason containing %q", s.ID, s.DeliveryFailureReason, d.Failure))
			}
		}
		if failed == 0 {
			seen := false
			for _, a := range attempts {
				if !a.Acked && strings.Contains(a.Reason, d.Failure) {
					seen = true
				}
			}
			if !seen {
				problems = append(problems, fmt.Sprintf("no delivery failed with a reason containing %q", d.Failure))
			}
		}
	}
	if len(problems) > 0 {
		var lines []string
		for _, s := range queue {
			lines = append(lines, fmt.Sprintf("  %s %s attempts=%d %s", s.ID, s.State, s.Attempts, s.DeliveryFailureReason))
		}
		problems = append(problems, "queue:\n"+strings.Join(lines, "\n"))
	}
	return strings.Join(problems, "\n"), nil
}

// refPattern finds $name references in a query.
var refPattern = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// checkRecords runs a query over the org; err is an emulator that could
// not be asked (a bad query is a problem of the scenario, reported).
func (r *run) checkRecords(ctx context.Context, rq RecordsExpect) (string, error) {
	query := refPattern.ReplaceAllStringFunc(rq.Query, func(m string) string {
		if id, ok := r.names[m[1:]]; ok {
			return id
		}
		return m
	})
	res, err := r.ctl.Query(ctx, r.org, query)
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.Code != "" {
			return fmt.Sprintf("records: %v", err), nil
		}
		return "", err
	}
	got := res.Rows
	var problems []string
	if rq.Count != nil && len(got) != *rq.Count {
		problems = append(problems, fmt.Sprintf("records %q: %d rows, want %d", rq.Query, len(got), *rq.Count))
	}
	if rq.Rows != nil {
		if msg := matchList(fmt.Sprintf("records %q", rq.Query), rq.Rows, got); msg != "" {
			problems = append(problems, msg)
		}
	}
	return strings.Join(problems, "\n"), nil
}

// toMaps turns journal entries into maps with their JSON names.
func toMaps[T any](items []T) []map[string]any {
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		b, _ := json.Marshal(it)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		out = append(out, m)
	}
	return out
}

// matchList compares expected items with actual ones: the same number, and
// each expected item's keys equal in the actual item at the same position
// (a string starting with "~" is a regular expression). The report is a
// go-cmp diff over the keys the scenario named.
func matchList(what string, want, got []map[string]any) string {
	wantN := make([]map[string]any, len(want))
	for i, w := range want {
		wantN[i] = normalize(w).(map[string]any)
	}
	gotView := make([]map[string]any, len(got))
	for i, g := range got {
		view := map[string]any{}
		var keys map[string]any
		if i < len(wantN) {
			keys = wantN[i]
		} else if len(wantN) > 0 {
			keys = wantN[len(wantN)-1]
		}
		for k, wv := range keys {
			gv, ok := g[k]
			if !ok {
				view[k] = "<missing>"
				continue
			}
			gv = normalize(gv)
			if ws, isStr := wv.(string); isStr && strings.HasPrefix(ws, "~") {
				re, err := regexp.Compile(ws[1:])
				if err != nil {
					gv = "<bad pattern " + ws + ": " + err.Error() + ">"
				} else if re.MatchString(fmt.Sprint(gv)) {
					gv = ws // a match shows as equal in the diff
				}
			}
			view[k] = gv
		}
		if keys == nil {
			view = g
		}
		gotView[i] = view
	}
	if diff := cmp.Diff(wantN, gotView); diff != "" {
		return what + " (-want +got):\n" + diff
	}
	return ""
}

// normalize makes YAML and JSON values comparable: numbers as float64.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}
