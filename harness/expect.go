package harness

import (
	"context"
	"encoding/json"
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
	if e.TokenRequests != nil || e.TokenRequestsInclude != nil {
		got, err := r.ctl.TokenRequests(ctx)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, matchList("token requests", e.TokenRequests, toMaps(got)))
		problems = appendProblem(problems, matchInclude("token requests", e.TokenRequestsInclude, toMaps(got)))
	}
	if e.LoginHistory != nil || e.LoginHistoryInclude != nil {
		got, err := r.ctl.LoginHistory(ctx, r.org)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, matchList("Login History", e.LoginHistory, toMaps(got)))
		problems = appendProblem(problems, matchInclude("Login History", e.LoginHistoryInclude, toMaps(got)))
	}
	if e.Events != nil || e.EventsInclude != nil {
		got, err := r.ctl.Events(ctx, r.org)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, matchList("platform events", e.Events, eventMaps(got)))
		problems = appendProblem(problems, matchInclude("platform events", e.EventsInclude, eventMaps(got)))
	}
	if e.RESTCalls != nil || e.APICalls != nil || e.RESTCallsInclude != nil || e.APICallsInclude != nil || e.APICallsEvery != nil {
		entries, err := r.ctl.APIRequests(ctx)
		if err != nil {
			return err
		}
		rest := toMaps(onSurfaces(entries, wire.SurfaceREST))
		api := toMaps(onSurfaces(entries, wire.SurfaceREST, wire.SurfaceSOAP))
		problems = appendProblem(problems, matchList("the receiver's REST calls", e.RESTCalls, rest))
		problems = appendProblem(problems, matchInclude("the receiver's REST calls", e.RESTCallsInclude, rest))
		problems = appendProblem(problems, matchList("the receiver's API calls", e.APICalls, api))
		problems = appendProblem(problems, matchInclude("the receiver's API calls", e.APICallsInclude, api))
		problems = appendProblem(problems, matchEvery("the receiver's API calls", e.APICallsEvery, api))
	}
	if e.Effect != nil {
		msg, err := r.checkEffect(ctx, e.Effect)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, msg)
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
	if e.OAuth != nil {
		msg, err := r.checkOAuth(e.OAuth)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, msg)
	}
	if e.API != nil {
		msg, err := r.checkAPI(e.API)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, msg)
	}
	if e.Bulk != nil {
		msg, err := r.checkBulk(e.Bulk)
		if err != nil {
			return err
		}
		problems = appendProblem(problems, msg)
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
	return &expectationError{"expectation failed:\n" + strings.Join(problems, "\n")}
}

func appendProblem(problems []string, msg string) []string {
	if msg == "" {
		return problems
	}
	return append(problems, msg)
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
	problems = append(problems, failureReasons(queue, attempts, d.Failure)...)
	if d.Cause != "" && r.profile.FaultNamesCause && r.profile.Unprocessable == AnswerFault {
		problems = append(problems, failureReasons(queue, attempts, d.Cause)...)
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

// failureReasons checks that every failed notification's last Delivery
// Failure Reason contains text (or, when none is failed any more, that an
// attempt failed with it).
func failureReasons(queue []wire.QueueEntry, attempts []wire.Delivery, text string) []string {
	if text == "" {
		return nil
	}
	var problems []string
	failed := 0
	for _, s := range queue {
		if s.DeliveryFailureReason == "" {
			continue
		}
		failed++
		if !strings.Contains(s.DeliveryFailureReason, text) {
			problems = append(problems, fmt.Sprintf("notification %s failed with %q, want a reason containing %q", s.ID, s.DeliveryFailureReason, text))
		}
	}
	if failed == 0 {
		for _, a := range attempts {
			if !a.Acked && strings.Contains(a.Reason, text) {
				return nil
			}
		}
		problems = append(problems, fmt.Sprintf("no delivery failed with a reason containing %q", text))
	}
	return problems
}

// refPattern finds $name references in a query.
var refPattern = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// checkRecords runs a query over the org; err is an emulator that could
// not be asked (a bad query is a problem of the scenario, reported).
func (r *run) checkRecords(ctx context.Context, rq RecordsExpect) (string, error) {
	query, err := r.text("records.query", r.expandRefs(rq.Query))
	if err != nil {
		return "", err
	}
	res, err := r.ctl.Query(ctx, r.org, query)
	if err != nil {
		return queryProblem("records", err)
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
	if want == nil {
		return ""
	}
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

// matches reports whether got has each of want's keys equal (a "~"
// string is a regular expression).
func matches(want, got map[string]any) bool {
	for k, wv := range want {
		gv, ok := got[k]
		if !ok {
			return false
		}
		gv, wv = normalize(gv), normalize(wv)
		if ws, isStr := wv.(string); isStr && strings.HasPrefix(ws, "~") {
			re, err := regexp.Compile(ws[1:])
			if err != nil || !re.MatchString(fmt.Sprint(gv)) {
				return false
			}
			continue
		}
		if !cmp.Equal(wv, gv) {
			return false
		}
	}
	return true
}

// matchInclude checks that want's items happen in got in this order, with
// anything else around them.
func matchInclude(what string, want, got []map[string]any) string {
	return matchIncludeListed(what, want, got, listing)
}

// matchIncludeListed is matchInclude, listing what happened with list.
func matchIncludeListed(what string, want, got []map[string]any, list func([]map[string]any) string) string {
	pos := 0
	for i, w := range want {
		found := false
		for ; pos < len(got); pos++ {
			if matches(w, got[pos]) {
				found, pos = true, pos+1
				break
			}
		}
		if !found {
			after := ""
			if i > 0 {
				after = fmt.Sprintf(" after the match of item %d", i)
			}
			return fmt.Sprintf("%s: nothing matches item %d %s%s; they were:\n%s", what, i+1, brief(w), after, list(got))
		}
	}
	return ""
}

// matchEvery checks that there is at least one item and every one matches.
func matchEvery(what string, want map[string]any, got []map[string]any) string {
	if want == nil {
		return ""
	}
	if len(got) == 0 {
		return fmt.Sprintf("%s: none, want every one to match %s", what, brief(want))
	}
	for i, g := range got {
		if !matches(want, g) {
			return fmt.Sprintf("%s: item %d does not match %s; they were:\n%s", what, i+1, brief(want), listing(got))
		}
	}
	return ""
}

// brief prints a want item with sorted keys.
func brief(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %v", k, m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// listing prints actual items, one per line, with the keys people read.
func listing(items []map[string]any) string {
	if len(items) == 0 {
		return "  (none)"
	}
	var lines []string
	for i, it := range items {
		var parts []string
		for _, k := range []string{"surface", "method", "operation", "path", "status", "error_code", "error", "api_version", "username", "grant_type", "Status", "LoginType", "object", "replay_id", "published_by"} {
			if v, ok := it[k]; ok && v != nil && v != "" {
				parts = append(parts, fmt.Sprintf("%s=%v", k, v))
			}
		}
		if _, isEvent := it["event_uuid"]; isEvent {
			parts = append(parts, eventFieldsText(it))
		}
		lines = append(lines, fmt.Sprintf("  %d. %s", i+1, strings.Join(parts, " ")))
	}
	return strings.Join(lines, "\n")
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

// eventMaps are published events as expectations match them: the event's
// fields beside its object, replay_id, published_by and publish_behavior.
func eventMaps(events []wire.PlatformEvent) []map[string]any {
	out := make([]map[string]any, len(events))
	for i, ev := range events {
		m := map[string]any{"object": ev.Object, "replay_id": ev.ReplayID, "published_by": ev.PublishedBy, "publish_behavior": ev.PublishBehavior, "event_uuid": ev.EventUUID}
		for k, v := range ev.Fields {
			m[k] = v
		}
		out[i] = m
	}
	return out
}

// eventFieldsText is a published event's own fields (the __c keys), sorted.
func eventFieldsText(m map[string]any) string {
	var parts []string
	for k, v := range m {
		if strings.HasSuffix(k, "__c") {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
