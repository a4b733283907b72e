package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/changes"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
	"github.com/sfemu/sfemu/wire"
)

// The facade: the emulator's test hooks as plain methods over wire types,
// in the style of pstest's server. The control API is a thin HTTP layer
// over exactly these (package controlapi), the control client implements
// the same interface over HTTP, and the harness drives either through
// wire.Control — so nothing outside this package reaches into the store,
// the dispatcher or a surface.
var _ wire.Control = (*Emulator)(nil)

// Health reports the loaded fixtures, and the connections the server cut
// (Options.Connections).
func (e *Emulator) Health(context.Context) (wire.Health, error) {
	h := wire.Health{Status: "ok", Orgs: len(e.store().Orgs())}
	if c := e.opts.Connections; c != nil {
		cuts := c.Snapshot()
		h.Connections = &cuts
	}
	return h, nil
}

// Reset reloads the fixtures (see Emulator.Reset).
func (e *Emulator) Reset(context.Context) (wire.Health, error) {
	if err := e.reset(); err != nil {
		return wire.Health{}, wire.Errorf(http.StatusInternalServerError, "reset: %v", err)
	}
	return wire.Health{Status: "reset", Orgs: len(e.store().Orgs())}, nil
}

// LoadOrgs replaces the fixtures with req's and resets; with ClockStart, a
// virtual clock starts over there (earlier or later). A fixture that does
// not load is a 400 naming file:line:column; the orgs loaded before stay.
func (e *Emulator) LoadOrgs(ctx context.Context, req wire.LoadOrgs) ([]wire.Org, error) {
	if len(req.Fixtures) == 0 {
		return nil, wire.BadRequest("give at least one fixture")
	}
	sources := make([]org.Source, len(req.Fixtures))
	for i, f := range req.Fixtures {
		sources[i] = fixtureSource(f)
	}
	if !req.ClockStart.IsZero() && e.virtual == nil {
		return nil, wire.Conflict("clock_start: the clock is real: start the emulator with --clock virtual to set its time")
	}
	if err := e.replaceOrgs(sources, req.NotificationIDBase, req.ClockStart, keptLoad(req)); err != nil {
		return nil, wire.BadRequest("%v", err)
	}
	return e.Orgs(ctx)
}

// fixtureSource reads the files a fixture names from those sent with it.
func fixtureSource(f wire.Fixture) org.Source {
	name := f.Name
	if name == "" {
		name = "fixture.yaml"
	}
	return org.Source{Name: name, Data: []byte(f.YAML), ReadFile: func(rel string) ([]byte, error) {
		for _, key := range []string{rel, path.Clean(rel)} {
			if data, ok := f.Files[key]; ok {
				return []byte(data), nil
			}
		}
		return nil, fmt.Errorf("%s was not sent with the fixture (wire.Fixture.Files)", rel)
	}}
}

// org resolves an org by id or name.
func (e *Emulator) org(idOrName string) (*org.Org, error) {
	if o := e.store().Org(idOrName); o != nil {
		return o, nil
	}
	return nil, wire.NotFound("no org %q (give its id or name; GET %s/orgs lists them)", idOrName, ControlPrefix)
}

// Orgs lists the orgs with the Setup facts a login depends on.
func (e *Emulator) Orgs(context.Context) ([]wire.Org, error) {
	store := e.store()
	out := []wire.Org{}
	for _, o := range store.Orgs() {
		s := wire.Org{
			ID: string(o.ID), Name: o.Name, Type: string(o.Type), MyDomain: o.MyDomain, TimeZone: o.TimeZone.String(),
			OutboundSessionID: string(o.OutboundSessionID), Users: len(o.Users), InstalledApps: []string{}, Source: o.Source,
		}
		s.LoginAudiences = append([]string{o.Type.LoginAudience()}, e.outboundBaseURL())
		if u := o.MyDomainURL(); u != "" {
			s.LoginAudiences = append(s.LoginAudiences, u)
		}
		s.LoginAudiences = append(s.LoginAudiences, o.ExtraAudiences...)
		for _, a := range store.Apps() {
			if o.Installations[a.ConsumerKey] != nil {
				s.InstalledApps = append(s.InstalledApps, a.Name)
			}
		}
		if ip := store.ClientIP(o, netip.Addr{}); ip.IsValid() {
			s.ClientIP = ip.String()
		}
		out = append(out, s)
	}
	return out, nil
}

// Profiles lists an org's profiles with the settings that decide a login,
// sorted by name.
func (e *Emulator) Profiles(_ context.Context, orgName string) ([]wire.Profile, error) {
	o, err := e.org(orgName)
	if err != nil {
		return nil, err
	}
	users := map[*org.Profile]int{}
	for _, u := range o.Users {
		users[u.Profile]++
	}
	out := make([]wire.Profile, 0, len(o.Profiles))
	for _, p := range o.Profiles {
		s := wire.Profile{Name: p.Name, SessionTimeout: wire.Duration(p.SessionTimeout), LoginIPRanges: []wire.IPRange{},
			UserPermissions: p.UserPermissions.Names(), Users: users[p]}
		if s.UserPermissions == nil {
			s.UserPermissions = []string{}
		}
		for _, r := range p.LoginIPRanges {
			s.LoginIPRanges = append(s.LoginIPRanges, wire.IPRange{Start: r.Start.String(), End: r.End.String()})
		}
		if p.LoginHours != nil {
			s.LoginHours = []wire.LoginWindow{}
			// Setup lists Sunday first.
			for d := time.Sunday; d <= time.Saturday; d++ {
				if w, ok := p.LoginHours[d]; ok {
					s.LoginHours = append(s.LoginHours, wire.LoginWindow{Day: d.String(), Start: clockTime(w.Start), End: clockTime(w.End)})
				}
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// clockTime writes an offset from midnight as 15:04 (24:00 for the end of
// the day).
func clockTime(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Users lists an org's users.
func (e *Emulator) Users(_ context.Context, orgName string) ([]wire.User, error) {
	o, err := e.org(orgName)
	if err != nil {
		return nil, err
	}
	out := []wire.User{}
	for _, u := range o.Users {
		s := wire.User{ID: string(u.ID), Username: u.Username, Name: u.Name(), Email: u.Email, Profile: u.Profile.Name,
			PermissionSets: names(u.PermissionSets), Active: u.Active, Frozen: u.Frozen}
		out = append(out, s)
	}
	return out, nil
}

// Apps lists every app with its policy in each org that installs it.
func (e *Emulator) Apps(context.Context) ([]wire.App, error) {
	store := e.store()
	out := []wire.App{}
	for _, a := range store.Apps() {
		s := wire.App{ID: string(a.ID), Name: a.Name, Kind: string(a.Kind), ConsumerKey: a.ConsumerKey, JWTEnabled: a.JWTEnabled,
			Installations: map[string]wire.Policy{}}
		if a.Certificate != nil {
			s.CertificateSubject = a.Certificate.Subject.String()
			na := a.Certificate.NotAfter
			s.CertificateNotAfter = &na
		}
		for _, o := range store.Orgs() {
			in := o.Installations[a.ConsumerKey]
			if in == nil {
				continue
			}
			p := wire.Policy{PermittedUsers: string(in.Policy.PermittedUsers), IPRelaxation: string(in.Policy.IPRelaxation),
				Profiles: []string{}, PermissionSets: []string{}, SessionTimeout: wire.Duration(in.Policy.SessionTimeout)}
			for _, pr := range in.Policy.Profiles {
				p.Profiles = append(p.Profiles, pr.Name)
			}
			p.PermissionSets = names(in.Policy.PermissionSets)
			s.Installations[o.Name] = p
		}
		out = append(out, s)
	}
	return out, nil
}

// names lists permission sets' names ([] rather than null when none).
func names(sets []*org.PermissionSet) []string {
	out := make([]string, 0, len(sets))
	for _, ps := range sets {
		out = append(out, ps.Name)
	}
	return out
}

// LoginHistory is an org's Login History, oldest first.
func (e *Emulator) LoginHistory(_ context.Context, orgName string) ([]wire.LoginEvent, error) {
	o, err := e.org(orgName)
	if err != nil {
		return nil, err
	}
	return o.LoginHistory().Events(), nil
}

// Events are the platform events published in the org (creates of its
// __e objects), oldest first.
func (e *Emulator) Events(_ context.Context, orgName string) ([]wire.PlatformEvent, error) {
	o, err := e.org(orgName)
	if err != nil {
		return nil, err
	}
	return o.Events().Events(), nil
}

// SetClientIP makes requests for the org's users appear to come from ip;
// "" goes back to the fixture's settings.client_ip, or the TCP peer.
func (e *Emulator) SetClientIP(_ context.Context, orgName, ip string) error {
	o, err := e.org(orgName)
	if err != nil {
		return err
	}
	var a netip.Addr
	if ip != "" {
		if a, err = netip.ParseAddr(ip); err != nil {
			return wire.BadRequest("ip %q is not an IP address", ip)
		}
	}
	e.store().SetClientIP(o, a)
	e.changes.Bump(changes.Orgs)
	return nil
}

// Sessions lists the live sessions in the order they were opened.
func (e *Emulator) Sessions(context.Context) ([]wire.Session, error) {
	out := []wire.Session{}
	for _, s := range e.store().Sessions.List() {
		out = append(out, sessionRow(s))
	}
	return out, nil
}

// ExpireSessions ends sessions at once, as if they had timed out: the next
// API call with them gets INVALID_SESSION_ID.
func (e *Emulator) ExpireSessions(_ context.Context, username string) (int, error) {
	return e.store().Sessions.Expire(username), nil
}

// TokenRequests is every token request since the last reset.
func (e *Emulator) TokenRequests(context.Context) ([]wire.TokenRequest, error) {
	return e.state.Load().oauth.Journal().Attempts(), nil
}

// APIRequests is the request journal of every API surface.
func (e *Emulator) APIRequests(context.Context) ([]wire.APIRequest, error) {
	return e.state.Load().gateway.Journal().Entries(), nil
}

// APIRequest is one request journal entry with its headers and bodies as
// recorded (the bodies of the latest requests only).
func (e *Emulator) APIRequest(_ context.Context, id int64) (wire.APIExchange, error) {
	ex, ok := e.state.Load().gateway.Journal().Exchange(id)
	if !ok {
		return wire.APIExchange{}, wire.NotFound("no request %d in the journal (it keeps the latest %d since the last reset)", id, gateway.DefaultJournalSize)
	}
	return ex, nil
}

// Faults lists the active API faults with their hit counts.
func (e *Emulator) Faults(context.Context) ([]wire.Fault, error) {
	return e.state.Load().gateway.Faults().List(), nil
}

// AddFault injects an API fault.
func (e *Emulator) AddFault(_ context.Context, f wire.Fault) (wire.Fault, error) {
	if f.Org != "" {
		if _, err := e.org(f.Org); err != nil {
			return f, err
		}
	}
	added, err := e.state.Load().gateway.Faults().Add(f)
	if err != nil {
		return f, wire.BadRequest("%v", err)
	}
	e.changes.Bump(changes.Faults)
	return added, nil
}

// ClearFaults removes one fault, or all of them for id 0.
func (e *Emulator) ClearFaults(_ context.Context, id int) error {
	if !e.state.Load().gateway.Faults().Clear(id) && id != 0 {
		return wire.NotFound("no fault %d", id)
	}
	e.changes.Bump(changes.Faults)
	return nil
}

// Clock is the emulator's time.
func (e *Emulator) Clock(context.Context) (wire.Clock, error) {
	mode := RealClock
	if e.virtual != nil {
		mode = VirtualClock
	}
	return wire.Clock{Mode: string(mode), Now: e.clock.Now().UTC()}, nil
}

// Advance moves the virtual clock by a.By or to a.To, running the outbound
// retries that fall due on the way, in order. It never goes back.
func (e *Emulator) Advance(ctx context.Context, a wire.Advance) (wire.Clock, error) {
	if e.virtual == nil {
		return wire.Clock{}, wire.Conflict("the clock is real: start the emulator with --clock virtual to move time")
	}
	var err error
	switch {
	case a.By != 0 && !a.To.IsZero():
		return wire.Clock{}, wire.BadRequest("give by or to, not both")
	case a.By < 0:
		return wire.Clock{}, wire.BadRequest("by %s: the clock never goes back", a.By)
	case a.By != 0:
		_, err = e.virtual.Advance(a.By.D())
	case !a.To.IsZero():
		_, err = e.virtual.Set(a.To)
	default:
		return wire.Clock{}, wire.BadRequest(`give {"by": "2h"} or {"to": "2026-02-24T00:00:00Z"}`)
	}
	if err != nil {
		return wire.Clock{}, wire.BadRequest("%v", err)
	}
	return e.Clock(ctx)
}

// actor is who a control call acts as: the named user of the org, or its
// first administrator (scenario steps act as an admin in Setup would).
func actor(o *org.Org, username string) (*org.User, error) {
	if username != "" {
		for _, u := range o.Users {
			if wire.SameUsername(u.Username, username) {
				return u, nil
			}
		}
		return nil, wire.NotFound("no user %q in org %q", username, o.Name)
	}
	for _, u := range o.Users {
		if u.Profile != nil && u.Profile.Name == "System Administrator" {
			return u, nil
		}
	}
	if len(o.Users) > 0 {
		return o.Users[0], nil
	}
	return nil, wire.BadRequest("org %q has no user to act as", o.Name)
}

// jsonFields copies a record's fields as a JSON client would send them,
// so a Go caller's ints and times mean what the control API's JSON does.
func jsonFields(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = org.JSONValue(v)
	}
	return out
}

// dmlError is a DML failure as a control error: Salesforce's status code
// and message.
func dmlError(what string, errs []org.DMLError) error {
	return &wire.Error{Status: http.StatusBadRequest, Code: errs[0].StatusCode, Message: what + ": " + errs[0].Message}
}

// CreateRecord inserts a record with the API's checks; rules fire.
func (e *Emulator) CreateRecord(_ context.Context, orgName string, req wire.CreateRecord) (wire.Record, error) {
	o, err := e.org(orgName)
	if err != nil {
		return wire.Record{}, err
	}
	obj := o.Schema.Object(req.Object)
	if obj == nil {
		return wire.Record{}, wire.BadRequest("%q is not an object of org %q", req.Object, o.Name)
	}
	user, err := actor(o, req.As)
	if err != nil {
		return wire.Record{}, err
	}
	fields := jsonFields(req.Fields)
	rec, errs := o.Data.Insert(obj, fields, user, e.clock.Now(), org.DMLOptions{})
	if errs != nil {
		return wire.Record{}, dmlError("create "+obj.Name, errs)
	}
	return wire.Record{ID: string(rec.ID)}, nil
}

// UpdateRecord changes a record with the API's checks; rules fire.
func (e *Emulator) UpdateRecord(_ context.Context, orgName, id string, req wire.UpdateRecord) (wire.Record, error) {
	o, err := e.org(orgName)
	if err != nil {
		return wire.Record{}, err
	}
	rid, err := org.ParseID(id)
	if err != nil {
		return wire.Record{}, wire.BadRequest("%v", err)
	}
	if o.Data.Get(rid) == nil {
		return wire.Record{}, wire.NotFound("no record %s in org %q", id, o.Name)
	}
	user, err := actor(o, req.As)
	if err != nil {
		return wire.Record{}, err
	}
	fields := jsonFields(req.Fields)
	if _, errs := o.Data.Update(rid, fields, user, e.clock.Now()); errs != nil {
		return wire.Record{}, dmlError("update "+id, errs)
	}
	return wire.Record{ID: string(rid)}, nil
}

// Query runs SOQL over an org's records and flattens the rows.
func (e *Emulator) Query(_ context.Context, orgName, query string) (wire.Rows, error) {
	o, err := e.org(orgName)
	if err != nil {
		return wire.Rows{}, err
	}
	res, err := e.runSOQL(o, query, "")
	if err != nil {
		return wire.Rows{}, err
	}
	out := wire.Rows{TotalSize: res.TotalSize, Rows: make([]map[string]any, 0, len(res.Rows))}
	for _, row := range res.Rows {
		m := map[string]any{}
		flattenRow(m, "", row)
		out.Rows = append(out.Rows, m)
	}
	return out, nil
}

// QueryPage runs SOQL over an org's records and flattens one page of the
// rows, naming their columns in SELECT order.
func (e *Emulator) QueryPage(_ context.Context, orgName string, q wire.QueryPage) (wire.Rows, error) {
	switch {
	case q.Offset < 0:
		return wire.Rows{}, wire.BadRequest("offset %d: want 0 or more", q.Offset)
	case q.Limit < 0 || q.Limit > wire.MaxQueryPage:
		return wire.Rows{}, wire.BadRequest("limit %d: want 1 to %d (0: %d)", q.Limit, wire.MaxQueryPage, wire.MaxQueryPage)
	case strings.TrimSpace(q.Query) == "":
		return wire.Rows{}, &wire.Error{Status: http.StatusBadRequest, Code: "MALFORMED_QUERY", Message: "give the SOQL query in ?q="}
	}
	if q.Limit == 0 {
		q.Limit = wire.MaxQueryPage
	}
	o, err := e.org(orgName)
	if err != nil {
		return wire.Rows{}, err
	}
	res, err := e.runSOQLPage(o, q.Query, q.Offset, q.Limit)
	if err != nil {
		return wire.Rows{}, err
	}
	page := res.Rows
	out := wire.Rows{TotalSize: res.TotalSize, Offset: q.Offset, Rows: make([]map[string]any, 0, len(page))}
	seen := map[string]bool{}
	for _, row := range page {
		m := map[string]any{}
		flattenRow(m, "", row)
		out.Rows = append(out.Rows, m)
		columns(&out.Columns, seen, "", row)
	}
	// A row whose parent is empty has "Account" where others have
	// "Account.Name": the parent's own column is dropped when its fields are there.
	kept := out.Columns[:0]
	for _, c := range out.Columns {
		if !hasFieldsUnder(out.Columns, c) {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		kept = nil // as the control API's JSON leaves it
	}
	out.Columns = kept
	return out, nil
}

// columns appends a row's flattened names, in SELECT order, to cols.
func columns(cols *[]string, seen map[string]bool, prefix string, row *soql.Row) {
	for _, fv := range row.Fields {
		if parent, ok := fv.Value.(*soql.Row); ok && parent != nil {
			columns(cols, seen, prefix+fv.Name+".", parent)
			continue
		}
		if name := prefix + fv.Name; !seen[name] {
			seen[name] = true
			*cols = append(*cols, name)
		}
	}
}

func hasFieldsUnder(cols []string, parent string) bool {
	for _, c := range cols {
		if strings.HasPrefix(c, parent+".") {
			return true
		}
	}
	return false
}

// runSOQL runs a query over o's records; a SOQL error is a 400 carrying
// Salesforce's code, its message prefixed with what (the parameter at fault).
func (e *Emulator) runSOQL(o *org.Org, query, what string) (*soql.Result, error) {
	return e.soql(o, query, what, func(q *soql.Query, env soql.Env) (*soql.Result, error) { return q.Run(env) })
}

// runSOQLPage is runSOQL for one page of the rows (soql.Query.RunPage).
func (e *Emulator) runSOQLPage(o *org.Org, query string, offset, limit int) (*soql.Result, error) {
	return e.soql(o, query, "", func(q *soql.Query, env soql.Env) (*soql.Result, error) { return q.RunPage(env, offset, limit) })
}

func (e *Emulator) soql(o *org.Org, query, what string, run func(*soql.Query, soql.Env) (*soql.Result, error)) (*soql.Result, error) {
	q, err := soql.Parse(query)
	var res *soql.Result
	if err == nil {
		res, err = run(q, soql.Env{Schema: o.Schema, Data: o.Data, Now: e.clock.Now(), Location: o.TimeZone})
	}
	if err != nil {
		var qe *soql.Error
		if errors.As(err, &qe) {
			return nil, &wire.Error{Status: http.StatusBadRequest, Code: qe.Code, Message: what + qe.Message}
		}
		return nil, wire.BadRequest("%s%v", what, err)
	}
	return res, nil
}

// flattenRow names parent fields by path (Account.Name), child subqueries
// by their row count; datetimes in RFC 3339, numbers as float64 — the same
// values whether read in-process or decoded from the control API's JSON.
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
		case nil:
			// On a record row (not an AggregateResult), a value without a
			// field is a child subquery; none matched: zero rows.
			if fv.Field == nil && row.Object != nil && row.Object.ChildRelationship(fv.Name) != nil {
				m[prefix+fv.Name] = float64(0)
			} else {
				m[prefix+fv.Name] = nil
			}
		case time.Time:
			if fv.Field != nil && fv.Field.Type == org.TypeDate {
				m[prefix+fv.Name] = v.UTC().Format(time.DateOnly)
			} else {
				m[prefix+fv.Name] = v.UTC().Format(time.RFC3339)
			}
		case int:
			m[prefix+fv.Name] = float64(v)
		default:
			m[prefix+fv.Name] = v
		}
	}
}
