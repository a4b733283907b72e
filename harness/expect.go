package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/emulator/soql"
)

func (r *run) clientIP(ip string) error {
	if ip == "" {
		r.emu.Store().SetClientIP(r.org, netip.Addr{})
		return nil
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return fmt.Errorf("client_ip %q is not an IP address", ip)
	}
	r.emu.Store().SetClientIP(r.org, a)
	return nil
}

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
		err := r.check(e)
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

func (r *run) check(e *Expectations) error {
	var problems []string
	if d := e.Deliveries; d != nil {
		if msg := r.checkDeliveries(d); msg != "" {
			problems = append(problems, msg)
		}
	}
	if e.TokenRequests != nil {
		got := toMaps(r.emu.TokenAttempts())
		if msg := matchList("token requests", e.TokenRequests, got); msg != "" {
			problems = append(problems, msg)
		}
	}
	if e.LoginHistory != nil {
		got := toMaps(r.org.LoginHistory().Events())
		if msg := matchList("Login History", e.LoginHistory, got); msg != "" {
			problems = append(problems, msg)
		}
	}
	if e.RESTCalls != nil {
		got := toMaps(r.emu.REST().Journal().Entries())
		if msg := matchList("the receiver's REST calls", e.RESTCalls, got); msg != "" {
			problems = append(problems, msg)
		}
	}
	for _, rq := range e.Records {
		if msg := r.checkRecords(rq); msg != "" {
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

func (r *run) checkDeliveries(d *DeliveryExpect) string {
	queue := r.emu.Outbound().Queue(true)
	attempts := r.emu.Outbound().Attempts()
	counts := map[outbound.State]int{}
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
	add("delivered", d.Delivered, counts[outbound.Delivered])
	add("pending", d.Pending, counts[outbound.Pending]+counts[outbound.InFlight])
	add("dropped", d.Dropped, counts[outbound.Dropped])
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
			if s.LastFailure == "" {
				continue
			}
			failed++
			if !strings.Contains(s.LastFailure, d.Failure) {
				problems = append(problems, fmt.Sprintf("notification %s failed with %q, want a reason containing %q", s.ID, s.LastFailure, d.Failure))
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
			lines = append(lines, fmt.Sprintf("  %s %s attempts=%d %s", s.ID, s.State, s.Attempts, s.LastFailure))
		}
		problems = append(problems, "queue:\n"+strings.Join(lines, "\n"))
	}
	return strings.Join(problems, "\n")
}

// refPattern finds $name references in a query.
var refPattern = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

func (r *run) checkRecords(rq RecordsExpect) string {
	query := refPattern.ReplaceAllStringFunc(rq.Query, func(m string) string {
		if id, ok := r.names[m[1:]]; ok {
			return string(id)
		}
		return m
	})
	q, err := soql.Parse(query)
	if err != nil {
		return fmt.Sprintf("records: %v", err)
	}
	res, err := q.Run(soql.Env{Schema: r.org.Schema, Data: r.org.Data, Now: r.emu.Clock().Now(), Location: r.org.TimeZone})
	if err != nil {
		return fmt.Sprintf("records: %v", err)
	}
	var got []map[string]any
	for _, row := range res.Rows {
		m := map[string]any{}
		flattenRow(m, "", row)
		got = append(got, m)
	}
	var problems []string
	if rq.Count != nil && len(got) != *rq.Count {
		problems = append(problems, fmt.Sprintf("records %q: %d rows, want %d", rq.Query, len(got), *rq.Count))
	}
	if rq.Rows != nil {
		if msg := matchList(fmt.Sprintf("records %q", rq.Query), rq.Rows, got); msg != "" {
			problems = append(problems, msg)
		}
	}
	return strings.Join(problems, "\n")
}

// flattenRow names parent fields by path: Account.Name.
func flattenRow(m map[string]any, prefix string, row *soql.Row) {
	for _, fv := range row.Fields {
		switch v := fv.Value.(type) {
		case *soql.Row:
			if v != nil {
				flattenRow(m, prefix+fv.Name+".", v)
			} else {
				m[prefix+fv.Name] = nil
			}
		case *soql.Result:
			if v != nil {
				m[prefix+fv.Name] = float64(v.TotalSize)
			} else {
				m[prefix+fv.Name] = float64(0)
			}
		case time.Time:
			m[prefix+fv.Name] = v.UTC().Format(time.RFC3339)
		case int:
			m[prefix+fv.Name] = float64(v)
		default:
			m[prefix+fv.Name] = v
		}
	}
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
