package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
)

// The tables of `sfemu queue`, `logins`, `tokens` and `deliveries`: what
// the control API lists, as a person scans it (the console's pages in the
// terminal), or with --json the same rows for a script.

const (
	queueUsage      = `usage: sfemu queue [--emulator URL] [--control-token TOKEN] [--all] [--org ORG] [--limit N] [--json] [--retry ID | --delete ID]`
	loginsUsage     = `usage: sfemu logins [--emulator URL] [--control-token TOKEN] [--org ORG] [--limit N] [--json]`
	tokensUsage     = `usage: sfemu tokens [--emulator URL] [--control-token TOKEN] [--org ORG] [--limit N] [--json]`
	deliveriesUsage = `usage: sfemu deliveries [--emulator URL] [--control-token TOKEN] [--org ORG] [--limit N] [--json]`
)

// defaultLimit is how many rows the journals show unless told.
const defaultLimit = 50

// listFlags are the flags every table takes.
type listFlags struct {
	clientFlags
	json  bool
	org   string
	limit int
}

func (l *listFlags) register(fs *flag.FlagSet, limit int, what string) {
	l.clientFlags.register(fs)
	fs.BoolVar(&l.json, "json", false, "print the rows as JSON, as the control API gives them")
	fs.StringVar(&l.org, "org", "", "only the org `ORG` (its name or id)")
	def := "all"
	if limit > 0 {
		def = fmt.Sprint(limit)
	}
	fs.IntVar(&l.limit, "limit", limit, fmt.Sprintf("show the `N` most recent %s (0: all; default %s)", what, def))
}

// parseList parses a table command's flags; a non-zero code means stop
// with it (a usage error, or --help).
func parseList(fs *flag.FlagSet, l *listFlags, args []string, usage string, stderr io.Writer) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return -1
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n%s\n", fs.Name(), fs.Arg(0), usage)
		return 2
	}
	if l.limit < 0 {
		fmt.Fprintf(stderr, "%s: --limit %d: want 0 (all) or more\n%s\n", fs.Name(), l.limit, usage)
		return 2
	}
	return 0
}

// lister reads one emulator for a table.
type lister struct {
	ctx  context.Context
	c    *control.Client
	orgs []wire.Org
	// only is --org's org, nil: every org.
	only *wire.Org
}

// newLister loads the orgs and resolves --org.
func newLister(ctx context.Context, l *listFlags) (*lister, error) {
	c := l.client()
	orgs, err := c.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	ls := &lister{ctx: ctx, c: c, orgs: orgs}
	if l.org != "" {
		for i, o := range orgs {
			if o.Name == l.org || sameOrgID(o.ID, l.org) {
				ls.only = &orgs[i]
			}
		}
		if ls.only == nil {
			names := make([]string, len(orgs))
			for i, o := range orgs {
				names[i] = fmt.Sprintf("%q (%s)", o.Name, o.ID)
			}
			return nil, fmt.Errorf("--org %q: no such org (loaded: %s)", l.org, strings.Join(names, ", "))
		}
	}
	return ls, nil
}

// sameOrgID compares org ids of 15 or 18 characters.
func sameOrgID(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

// keeps reports whether a row of the org with this id is shown.
func (ls *lister) keeps(orgID string) bool { return ls.only == nil || sameOrgID(ls.only.ID, orgID) }

// orgColumn reports whether rows need an ORG column: several orgs, no --org.
func (ls *lister) orgColumn() bool { return ls.only == nil && len(ls.orgs) > 1 }

// orgName names the org with this id ("-": none).
func (ls *lister) orgName(id string) string {
	for _, o := range ls.orgs {
		if sameOrgID(o.ID, id) {
			return o.Name
		}
	}
	if id == "" {
		return "-"
	}
	return id
}

// table writes rows under a header with tabwriter; cells lose tabs and
// newlines, empty cells are "-".
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

var cellCleaner = strings.NewReplacer("\t", " ", "\r\n", " ", "\n", " ", "\r", " ")

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c = strings.TrimSpace(cellCleaner.Replace(c)); c == "" {
			c = "-"
		}
		cells[i] = c
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() { _ = t.tw.Flush() }

// withOrg puts the ORG column after the first when on.
func withOrg(on bool, org string, cells ...string) []string {
	if !on {
		return cells
	}
	return append([]string{cells[0], org}, cells[1:]...)
}

// limitRows keeps the last n of rows (n 0: all) and says on stderr how
// many it left out.
func limitRows[T any](rows []T, n int, what string, stderr io.Writer) []T {
	if n == 0 || len(rows) <= n {
		return rows
	}
	fmt.Fprintf(stderr, "(%d older %s not shown: --limit 0 shows all)\n", len(rows)-n, what)
	return rows[len(rows)-n:]
}

// newestFirst reverses rows, oldest first as the control API lists them.
func newestFirst[T any](rows []T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = r
	}
	return out
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// stamp is a time as the tables print it: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// compact is a duration without its zero units: 2m10s, 1h, 25h30m, 0s.
func compact(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "0s"
	}
	var b strings.Builder
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if s := d / time.Second; s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// relative is when t falls, seen from now: "in 2m10s", "overdue 5s", "now".
func relative(t, now time.Time) string {
	switch d := t.Sub(now).Round(time.Second); {
	case d > 0:
		return "in " + compact(d)
	case d < 0:
		return "overdue " + compact(-d)
	}
	return "now"
}

// runQueue implements `sfemu queue`: the delivery status page, as Setup →
// Monitoring → Outbound Messages shows it, with Retry and Del.
func runQueue(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sfemu queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var l listFlags
	l.register(fs, 0, "notifications")
	all := fs.Bool("all", false, "also list delivered and dropped notifications")
	retry := fs.String("retry", "", "retry the queued notification `ID` now")
	del := fs.String("delete", "", "delete the queued notification `ID`")
	if code := parseList(fs, &l, args, queueUsage, stderr); code != 0 {
		return max(code, 0)
	}
	if *retry != "" && *del != "" {
		fmt.Fprintf(stderr, "sfemu queue: give --retry or --delete, not both\n%s\n", queueUsage)
		return 2
	}
	ctx := context.Background()
	switch c := l.client(); {
	case *retry != "":
		if err := c.RetryNow(ctx, *retry); err != nil {
			fmt.Fprintf(stderr, "sfemu queue: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "retrying %s\n", *retry)
		return 0
	case *del != "":
		if err := c.DeleteQueued(ctx, *del); err != nil {
			fmt.Fprintf(stderr, "sfemu queue: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "deleted %s\n", *del)
		return 0
	}
	if err := printQueue(ctx, &l, *all, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "sfemu queue: %v\n", err)
		return 1
	}
	return 0
}

func printQueue(ctx context.Context, l *listFlags, all bool, stdout, stderr io.Writer) error {
	ls, err := newLister(ctx, l)
	if err != nil {
		return err
	}
	entries, err := ls.c.Queue(ctx, all)
	if err != nil {
		return err
	}
	clk, err := ls.c.Clock(ctx)
	if err != nil {
		return err
	}
	rows := entries[:0:0]
	for _, e := range entries {
		if ls.keeps(e.OrgID) {
			rows = append(rows, e)
		}
	}
	rows = limitRows(rows, l.limit, "notifications", stderr)
	if l.json {
		printJSON(stdout, rows)
		return nil
	}
	oc := ls.orgColumn()
	t := newTable(stdout, withOrg(oc, "ORG", "NOTIFICATION", "MESSAGE", "RECORD", "ENDPOINT", "STATE", "AGE", "ATTEMPTS", "NEXT ATTEMPT", "DELIVERY FAILURE REASON")...)
	for _, r := range rows {
		next := "-"
		if r.NextAttempt != nil {
			next = relative(*r.NextAttempt, clk.Now)
		}
		t.row(withOrg(oc, r.Org, r.ID, r.Message, r.RecordID, r.Endpoint, r.State, compact(time.Duration(r.Age)), fmt.Sprint(r.Attempts), next, r.DeliveryFailureReason)...)
	}
	t.flush()
	return nil
}

// runLogins implements `sfemu logins`: Login History as Setup shows it,
// newest first, with sfemu's reason.
func runLogins(args []string, stdout, stderr io.Writer) int {
	return runList("sfemu logins", loginsUsage, "logins", args, stdout, stderr, printLogins)
}

// runTokens implements `sfemu tokens`: every token request, newest first,
// with Salesforce's error and sfemu's reason.
func runTokens(args []string, stdout, stderr io.Writer) int {
	return runList("sfemu tokens", tokensUsage, "token requests", args, stdout, stderr, printTokens)
}

// runDeliveries implements `sfemu deliveries`: every delivery attempt,
// newest first, with the receiver's answer.
func runDeliveries(args []string, stdout, stderr io.Writer) int {
	return runList("sfemu deliveries", deliveriesUsage, "delivery attempts", args, stdout, stderr, printDeliveries)
}

func runList(name, usage, what string, args []string, stdout, stderr io.Writer, print func(*lister, *listFlags, io.Writer, io.Writer) error) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var l listFlags
	l.register(fs, defaultLimit, what)
	if code := parseList(fs, &l, args, usage, stderr); code != 0 {
		return max(code, 0)
	}
	ls, err := newLister(context.Background(), &l)
	if err == nil {
		err = print(ls, &l, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// orgLogin is a Login History row with its org, for the JSON of several.
type orgLogin struct {
	Org string `json:"SfemuOrg"`
	wire.LoginEvent
}

func printLogins(ls *lister, l *listFlags, stdout, stderr io.Writer) error {
	var rows []orgLogin
	for _, o := range ls.orgs {
		if !ls.keeps(o.ID) {
			continue
		}
		events, err := ls.c.LoginHistory(ls.ctx, o.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			rows = append(rows, orgLogin{Org: o.Name, LoginEvent: e})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].LoginTime.Before(rows[j].LoginTime) })
	rows = newestFirst(limitRows(rows, l.limit, "logins", stderr))
	if rows == nil {
		rows = []orgLogin{}
	}
	if l.json {
		printJSON(stdout, rows)
		return nil
	}
	oc := ls.orgColumn()
	t := newTable(stdout, withOrg(oc, "ORG", "LOGIN TIME", "USERNAME", "LOGIN TYPE", "SOURCE IP", "STATUS", "APPLICATION", "API", "LOGIN URL", "SFEMU REASON")...)
	for _, r := range rows {
		api := strings.TrimSpace(r.APIType + " " + r.APIVersion)
		t.row(withOrg(oc, r.Org, stamp(r.LoginTime), r.Username, r.LoginType, r.SourceIP, r.Status, r.Application, api, r.LoginURL, r.Reason)...)
	}
	t.flush()
	return nil
}

// grantName is a grant type as people say it: jwt-bearer, password…
func grantName(g string) string {
	return strings.TrimPrefix(g, "urn:ietf:params:oauth:grant-type:")
}

func printTokens(ls *lister, l *listFlags, stdout, stderr io.Writer) error {
	all, err := ls.c.TokenRequests(ls.ctx)
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, r := range all {
		if ls.keeps(r.OrgID) {
			rows = append(rows, r)
		}
	}
	rows = newestFirst(limitRows(rows, l.limit, "token requests", stderr))
	if l.json {
		printJSON(stdout, rows)
		return nil
	}
	oc := ls.orgColumn()
	t := newTable(stdout, withOrg(oc, "ORG", "TIME", "GRANT", "APP", "USERNAME", "SOURCE IP", "STATUS", "ERROR", "REASON")...)
	for _, r := range rows {
		app := r.Application
		if app == "" {
			app = r.ClientID
		}
		errText := r.Error
		if r.Description != "" {
			errText += ": " + r.Description
		}
		t.row(withOrg(oc, ls.orgName(r.OrgID), stamp(r.Time), grantName(r.GrantType), app, r.Username, r.SourceIP, fmt.Sprint(r.Status), errText, r.Reason)...)
	}
	t.flush()
	return nil
}

func printDeliveries(ls *lister, l *listFlags, stdout, stderr io.Writer) error {
	all, err := ls.c.Deliveries(ls.ctx)
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, d := range all {
		if ls.keeps(d.OrgID) {
			rows = append(rows, d)
		}
	}
	// Attempts at one instant (the virtual clock's retries of several
	// endpoints) ran side by side: their journal order is chance, so they
	// are listed by org, message and notification.
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Org != b.Org {
			return a.Org > b.Org
		}
		if a.Message != b.Message {
			return a.Message > b.Message
		}
		return strings.Join(a.Notifications, ",") > strings.Join(b.Notifications, ",")
	})
	rows = newestFirst(limitRows(rows, l.limit, "delivery attempts", stderr))
	if l.json {
		printJSON(stdout, rows)
		return nil
	}
	oc := ls.orgColumn()
	t := newTable(stdout, withOrg(oc, "ORG", "TIME", "MESSAGE", "NOTIFICATIONS", "ENDPOINT", "HTTP", "ACKED", "REASON")...)
	for _, d := range rows {
		ids := strings.Join(d.Notifications, ",")
		if len(d.Notifications) > 2 {
			ids = fmt.Sprintf("%s,%s (+%d)", d.Notifications[0], d.Notifications[1], len(d.Notifications)-2)
		}
		status := "-"
		if d.Status != 0 {
			status = fmt.Sprint(d.Status)
		}
		acked := "no"
		if d.Acked {
			acked = "yes"
		}
		t.row(withOrg(oc, d.Org, stamp(d.Time), d.Message, ids, d.Endpoint, status, acked, d.Reason)...)
	}
	t.flush()
	return nil
}
