package console

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sfemu/sfemu/wire"
)

// pickOrg resolves ?org= (a name or id) among orgs; none given: the first.
// An unknown one is a problem and nil.
func pickOrg(rq *request, orgs []wire.Org) *wire.Org {
	want := rq.text("org")
	if want == "" {
		if len(orgs) == 0 {
			return nil
		}
		return &orgs[0]
	}
	for i, o := range orgs {
		if strings.EqualFold(o.Name, want) || o.ID == want || len(want) == 15 && strings.HasPrefix(o.ID, want) {
			return &orgs[i]
		}
	}
	var names []string
	for _, o := range orgs {
		names = append(names, o.Name)
	}
	rq.problem("org %q: no such org (loaded: %s).", clipText(want), strings.Join(names, ", "))
	return nil
}

// homePage is the overview: what failed lately, what waits.
type homePage struct {
	Orgs         []wire.Org
	FailedLogins []wire.TokenRequest
	Failed       int
	Logins       int
	Queue        []wire.QueueEntry
	Queued       int
	APIErrors    []wire.APIRequest
	Errors       int
	Requests     int
	Now          time.Time
}

func (homePage) title() (string, string) { return "Overview", "home" }

// homeRows is how many rows each overview table shows.
const homeRows = 10

func (c *Console) home(rq *request) (string, int, any) {
	p := homePage{Now: c.now(rq.ctx)}
	var err error
	if p.Orgs, err = c.ctl.Orgs(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	tokens, err := c.ctl.TokenRequests(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	p.Logins = len(tokens)
	for i := len(tokens) - 1; i >= 0; i-- {
		if tokens[i].Status != http.StatusOK {
			p.Failed++
			if len(p.FailedLogins) < homeRows {
				p.FailedLogins = append(p.FailedLogins, tokens[i])
			}
		}
	}
	queue, err := c.ctl.Queue(rq.ctx, false)
	if err != nil {
		return c.fail(rq, err)
	}
	p.Queued = len(queue)
	p.Queue = newestFirst(pager{Page: 1, Per: homeRows}, queue)
	reqs, err := c.ctl.APIRequests(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	p.Requests = len(reqs)
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Status >= 400 {
			p.Errors++
			if len(p.APIErrors) < homeRows {
				p.APIErrors = append(p.APIErrors, reqs[i])
			}
		}
	}
	return "home", 0, p
}

// fail shows a facade error as the page.
func (c *Console) fail(rq *request, err error) (string, int, any) {
	status, msg := failed(err)
	return "error", status, errorPage{Title: "Not available", Message: msg}
}

// orgsPage is Setup's facts that decide a login, for one org.
type orgsPage struct {
	Orgs       []wire.Org
	Org        *wire.Org
	Users      []wire.User
	UsersPager pager
	Profiles   []wire.Profile
	Apps       []appRow
	Messages   []wire.OutboundMessage
	Now        time.Time
}

func (orgsPage) title() (string, string) { return "Orgs", "orgs" }

// appRow is an app with its policy in the org shown.
type appRow struct {
	wire.App
	Policy  wire.Policy
	Expired bool
}

// maxListed bounds the tables a page shows whole (profiles, apps,
// definitions); past it the page says how many were left out.
const maxListed = 500

func (c *Console) orgs(rq *request) (string, int, any) {
	p := orgsPage{Now: c.now(rq.ctx)}
	var err error
	if p.Orgs, err = c.ctl.Orgs(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	per := rq.per()
	if p.Org = pickOrg(rq, p.Orgs); p.Org == nil {
		return "orgs", http.StatusNotFound, p
	}
	users, err := c.ctl.Users(rq.ctx, p.Org.ID)
	if err != nil {
		return c.fail(rq, err)
	}
	p.UsersPager = rq.pager("page", per, len(users))
	p.Users = window(p.UsersPager, users)
	if p.Profiles, err = c.ctl.Profiles(rq.ctx, p.Org.ID); err != nil {
		return c.fail(rq, err)
	}
	p.Profiles = p.Profiles[:min(len(p.Profiles), maxListed)]
	apps, err := c.ctl.Apps(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	for _, a := range apps {
		pol, ok := a.Installations[p.Org.Name]
		if !ok || len(p.Apps) == maxListed {
			continue
		}
		row := appRow{App: a, Policy: pol}
		row.Expired = a.CertificateNotAfter != nil && a.CertificateNotAfter.Before(p.Now)
		p.Apps = append(p.Apps, row)
	}
	msgs, err := c.ctl.OutboundMessages(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	for _, m := range msgs {
		if m.Org == p.Org.Name && len(p.Messages) < maxListed {
			p.Messages = append(p.Messages, m)
		}
	}
	return "orgs", 0, p
}

// Grant types the Logins filter offers.
var grantChoices = []string{"", "urn:ietf:params:oauth:grant-type:jwt-bearer", "authorization_code", "refresh_token", "client_credentials", "password"}

// loginsPage is the token-request journal, newest first, with Login
// History beside it.
type loginsPage struct {
	Status, User, App, Grant string
	Grants                   []string
	Requests                 []wire.TokenRequest
	Pager                    pager
	Orgs                     []wire.Org
	Org                      *wire.Org
	History                  []wire.LoginEvent
	HistoryPager             pager
	// Sessions are the live sessions, newest first, by token prefix only.
	Sessions      []wire.Session
	SessionsPager pager
	Now           time.Time
}

func (loginsPage) title() (string, string) { return "Logins", "logins" }

func (c *Console) logins(rq *request) (string, int, any) {
	p := loginsPage{Status: rq.choice("status", "", "failed", "succeeded"), User: rq.text("user"), App: rq.text("app"),
		Grant: rq.choice("grant", grantChoices...), Grants: grantChoices}
	per := rq.per()
	tokens, err := c.ctl.TokenRequests(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	if err := c.liveSessions(rq, &p, per); err != nil {
		return c.fail(rq, err)
	}
	kept := matching(tokens, func(t *wire.TokenRequest) bool {
		return !(p.Status == "failed" && t.Status == http.StatusOK || p.Status == "succeeded" && t.Status != http.StatusOK ||
			p.Grant != "" && t.GrantType != p.Grant || !contains(t.Username, p.User) ||
			p.App != "" && !contains(t.Application, p.App) && !contains(t.ClientID, p.App))
	})
	p.Pager = rq.pager("page", per, len(kept))
	p.Requests = pick(tokens, window(p.Pager, kept))

	if p.Orgs, err = c.ctl.Orgs(rq.ctx); err != nil {
		return c.fail(rq, err)
	}
	if p.Org = pickOrg(rq, p.Orgs); p.Org == nil {
		return "logins", 0, p
	}
	events, err := c.ctl.LoginHistory(rq.ctx, p.Org.ID)
	if err != nil {
		return c.fail(rq, err)
	}
	history := matching(events, func(e *wire.LoginEvent) bool {
		return !(p.Status == "failed" && e.Status == "Success" || p.Status == "succeeded" && e.Status != "Success" ||
			!contains(e.Username, p.User) || !contains(e.Application, p.App))
	})
	p.HistoryPager = rq.pager("hpage", per, len(history))
	p.History = pick(events, window(p.HistoryPager, history))
	return "logins", 0, p
}

// liveSessions fills the Logins page's Sessions table: the sessions the
// filters' user and app match, newest first (the facade lists them in the
// order they were opened). A page never holds a token:
// its prefix tells sessions apart, and the control API's ?reveal=true is
// the way to the whole token for a caller that needs it.
func (c *Console) liveSessions(rq *request, p *loginsPage, per int) error {
	sessions, err := c.ctl.Sessions(rq.ctx)
	if err != nil {
		return err
	}
	kept := matching(sessions, func(s *wire.Session) bool {
		return p.Status != "failed" && contains(s.Username, p.User) && contains(s.App, p.App)
	})
	p.SessionsPager = rq.pager("spage", per, len(kept))
	p.Sessions = pick(sessions, window(p.SessionsPager, kept))
	for i := range p.Sessions {
		p.Sessions[i].Token = ""
	}
	p.Now = c.now(rq.ctx)
	return nil
}

// expireSessions ends one user's sessions (or every session), as if they
// had timed out: the receiver's next call gets INVALID_SESSION_ID.
func (c *Console) expireSessions(rq *request) (string, error) {
	user := rq.r.PostForm.Get("username")
	if len(user) > maxText {
		return "", formError("username", "a username of at most %d characters", maxText)
	}
	if user == "" && rq.r.PostForm.Get("all") != "on" {
		return "", formError("username", "name the user whose sessions end, or tick \"every session\"")
	}
	if _, err := c.ctl.ExpireSessions(rq.ctx, user); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/logins", "sessions-expired"), nil
}

// loginPage is one token request beside the Setup facts it was judged by.
type loginPage struct {
	Req     wire.TokenRequest
	Org     *wire.Org
	User    *wire.User
	Profile *wire.Profile
	App     *wire.App
	Policy  *wire.Policy
	History []wire.LoginEvent
	Now     time.Time
}

func (loginPage) title() (string, string) { return "Token request", "logins" }

func (c *Console) login(rq *request) (string, int, any) {
	id, err := pathID(rq, "token request")
	if err != nil {
		return c.fail(rq, wire.BadRequest("%v", err))
	}
	tokens, err := c.ctl.TokenRequests(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	i := sort.Search(len(tokens), func(i int) bool { return tokens[i].ID >= id })
	if i == len(tokens) || tokens[i].ID != id {
		return c.fail(rq, wire.NotFound("no token request %d in the journal (it keeps the latest 10,000 since the last reset)", id))
	}
	p := loginPage{Req: tokens[i], Now: c.now(rq.ctx)}
	orgs, err := c.ctl.Orgs(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	for i, o := range orgs {
		if o.ID == p.Req.OrgID {
			p.Org = &orgs[i]
		}
	}
	apps, err := c.ctl.Apps(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	for i, a := range apps {
		if p.Req.Application != "" && a.Name == p.Req.Application || p.Req.ClientID != "" && a.ConsumerKey == p.Req.ClientID {
			p.App = &apps[i]
		}
	}
	if p.Org == nil {
		return "login", 0, p
	}
	if p.App != nil {
		if pol, ok := p.App.Installations[p.Org.Name]; ok {
			p.Policy = &pol
		}
	}
	users, err := c.ctl.Users(rq.ctx, p.Org.ID)
	if err != nil {
		return c.fail(rq, err)
	}
	for i, u := range users {
		if wire.SameUsername(u.Username, p.Req.Username) {
			p.User = &users[i]
		}
	}
	if p.User != nil {
		profiles, err := c.ctl.Profiles(rq.ctx, p.Org.ID)
		if err != nil {
			return c.fail(rq, err)
		}
		for i, pr := range profiles {
			if pr.Name == p.User.Profile {
				p.Profile = &profiles[i]
			}
		}
		events, err := c.ctl.LoginHistory(rq.ctx, p.Org.ID)
		if err != nil {
			return c.fail(rq, err)
		}
		for i := len(events) - 1; i >= 0 && len(p.History) < homeRows; i-- {
			if wire.SameUsername(events[i].Username, p.User.Username) {
				p.History = append(p.History, events[i])
			}
		}
	}
	return "login", 0, p
}

// outboundPage is Setup → Monitoring → Outbound Messages, with the
// delivered ones and every attempt.
type outboundPage struct {
	Message       string
	Messages      []string
	Queue         []wire.QueueEntry
	QueuePager    pager
	History       []wire.QueueEntry
	HistoryPager  pager
	Attempts      []wire.Delivery
	AttemptsPager pager
	Now           time.Time
}

func (outboundPage) title() (string, string) { return "Outbound messages", "outbound" }

func (c *Console) outbound(rq *request) (string, int, any) {
	p := outboundPage{Now: c.now(rq.ctx)}
	defs, err := c.ctl.OutboundMessages(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	for _, d := range defs {
		if !slices.Contains(p.Messages, d.Name) {
			p.Messages = append(p.Messages, d.Name)
		}
	}
	sort.Strings(p.Messages)
	p.Message = rq.choice("message", append([]string{""}, p.Messages...)...)
	per := rq.per()
	all, err := c.ctl.Queue(rq.ctx, true)
	if err != nil {
		return c.fail(rq, err)
	}
	queue := matching(all, func(e *wire.QueueEntry) bool {
		return (p.Message == "" || e.Message == p.Message) && (e.State == wire.Pending || e.State == wire.InFlight)
	})
	history := matching(all, func(e *wire.QueueEntry) bool {
		return (p.Message == "" || e.Message == p.Message) && e.State != wire.Pending && e.State != wire.InFlight
	})
	// The history is newest first by when it ended.
	sort.SliceStable(history, func(i, j int) bool { return ended(all[history[i]]).After(ended(all[history[j]])) })
	p.QueuePager = rq.pager("page", per, len(queue))
	p.Queue = pick(all, window(p.QueuePager, queue))
	p.HistoryPager = rq.pager("dpage", per, len(history))
	p.History = pick(all, window(p.HistoryPager, history))
	attempts, err := c.ctl.Deliveries(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	shown := matching(attempts, func(a *wire.Delivery) bool { return p.Message == "" || a.Message == p.Message })
	p.AttemptsPager = rq.pager("apage", per, len(shown))
	p.Attempts = pick(attempts, window(p.AttemptsPager, shown))
	return "outbound", 0, p
}

// ended is when a notification left the queue.
func ended(e wire.QueueEntry) time.Time {
	switch {
	case e.DroppedAt != nil:
		return *e.DroppedAt
	case e.LastAttempt != nil:
		return *e.LastAttempt
	}
	return e.QueuedAt
}

// notificationPage is one notification with the attempts that carried it.
type notificationPage struct {
	Entry    wire.QueueEntry
	Attempts []wire.Delivery
	Pager    pager
	Now      time.Time
}

func (notificationPage) title() (string, string) { return "Notification", "outbound" }

func (c *Console) notification(rq *request) (string, int, any) {
	id := rq.r.PathValue("id")
	all, err := c.ctl.Queue(rq.ctx, true)
	if err != nil {
		return c.fail(rq, err)
	}
	p := notificationPage{Now: c.now(rq.ctx)}
	found := false
	// The newest entry with the id: a duplicate delivery re-queues it.
	for i := len(all) - 1; i >= 0; i-- {
		if strings.EqualFold(all[i].ID, id) || len(id) == 15 && strings.HasPrefix(all[i].ID, id) {
			p.Entry, found = all[i], true
			break
		}
	}
	if !found {
		return c.fail(rq, wire.NotFound("no notification %q in the queue or its history (GET %s/outbound lists them)", clipText(id), Prefix))
	}
	attempts, err := c.ctl.Deliveries(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	kept := matching(attempts, func(a *wire.Delivery) bool { return slices.Contains(a.Notifications, p.Entry.ID) })
	p.Pager = rq.pager("page", rq.per(), len(kept))
	p.Attempts = pick(attempts, window(p.Pager, kept))
	return "notification", 0, p
}

// attemptPage is one delivery attempt opened as Mailpit opens a mail.
type attemptPage struct {
	A wire.Delivery
}

func (attemptPage) title() (string, string) { return "Delivery attempt", "outbound" }

func (c *Console) attempt(rq *request) (string, int, any) {
	id, err := pathID(rq, "delivery attempt")
	if err != nil {
		return c.fail(rq, wire.BadRequest("%v", err))
	}
	attempts, err := c.ctl.Deliveries(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	i := sort.Search(len(attempts), func(i int) bool { return attempts[i].ID >= id })
	if i == len(attempts) || attempts[i].ID != id {
		return c.fail(rq, wire.NotFound("no delivery attempt %d in the journal (it keeps the latest 10,000 since the last reset)", id))
	}
	return "attempt", 0, attemptPage{A: attempts[i]}
}

// retry is Setup's Retry.
func (c *Console) retry(rq *request) (string, error) {
	id := rq.r.PathValue("id")
	if err := c.ctl.RetryNow(rq.ctx, id); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/outbound", "retried"), nil
}

// deleteQueued is Setup's Del.
func (c *Console) deleteQueued(rq *request) (string, error) {
	id := rq.r.PathValue("id")
	if err := c.ctl.DeleteQueued(rq.ctx, id); err != nil {
		return "", err
	}
	return back(rq, Prefix+"/outbound", "deleted"), nil
}

// requestsPage is the API request journal, newest first.
type requestsPage struct {
	Surface, Status, User, Path string
	Requests                    []wire.APIRequest
	Pager                       pager
}

func (requestsPage) title() (string, string) { return "API calls", "requests" }

func (c *Console) requests(rq *request) (string, int, any) {
	p := requestsPage{Surface: rq.choice("surface", "", wire.SurfaceREST, wire.SurfaceSOAP, wire.SurfaceOAuth),
		Status: rq.choice("status", "", "errors", "ok"), User: rq.text("user"), Path: rq.text("path")}
	per := rq.per()
	reqs, err := c.ctl.APIRequests(rq.ctx)
	if err != nil {
		return c.fail(rq, err)
	}
	kept := matching(reqs, func(e *wire.APIRequest) bool {
		return !(p.Surface != "" && e.Surface != p.Surface || p.Status == "errors" && e.Status < 400 || p.Status == "ok" && e.Status >= 400 ||
			!contains(e.Username, p.User) || !contains(e.Path, p.Path) && !contains(e.Operation, p.Path))
	})
	p.Pager = rq.pager("page", per, len(kept))
	p.Requests = pick(reqs, window(p.Pager, kept))
	return "requests", 0, p
}

// requestPage is one API request with what was kept of it.
type requestPage struct {
	X wire.APIExchange
}

func (requestPage) title() (string, string) { return "API call", "requests" }

// ContentType is the request's Content-Type header.
func (p requestPage) ContentType(h map[string][]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (c *Console) request(rq *request) (string, int, any) {
	id, err := pathID(rq, "request")
	if err != nil {
		return c.fail(rq, wire.BadRequest("%v", err))
	}
	x, err := c.ctl.APIRequest(rq.ctx, id)
	if err != nil {
		return c.fail(rq, err)
	}
	return "request", 0, requestPage{X: x}
}
