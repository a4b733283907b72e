package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/rest"
)

// ControlPrefix is where the control API lives; never under /services/.
const ControlPrefix = "/_sfemu"

// maxControlBody bounds control-API request bodies.
const maxControlBody = 1 << 20

func (e *Emulator) controlRoutes(r *mux.Router) {
	r.HandleFunc("/health", e.health).Methods(http.MethodGet)
	r.HandleFunc("/orgs", e.listOrgs).Methods(http.MethodGet)
	r.HandleFunc("/orgs/{org}/users", e.withOrg(e.listUsers)).Methods(http.MethodGet)
	r.HandleFunc("/orgs/{org}/login-history", e.withOrg(e.loginHistory)).Methods(http.MethodGet)
	r.HandleFunc("/orgs/{org}/client-ip", e.withOrg(e.setClientIP)).Methods(http.MethodPut)
	r.HandleFunc("/orgs/{org}/client-ip", e.withOrg(e.clearClientIP)).Methods(http.MethodDelete)
	r.HandleFunc("/apps", e.listApps).Methods(http.MethodGet)
	r.HandleFunc("/sessions", e.listSessions).Methods(http.MethodGet)
	r.HandleFunc("/sessions/expire", e.expireSessions).Methods(http.MethodPost)
	r.HandleFunc("/token-requests", e.tokenRequests).Methods(http.MethodGet)
	r.HandleFunc("/requests", e.apiRequests).Methods(http.MethodGet)
	r.HandleFunc("/faults", e.listFaults).Methods(http.MethodGet)
	r.HandleFunc("/faults", e.addFault).Methods(http.MethodPost)
	r.HandleFunc("/faults", e.clearFaults).Methods(http.MethodDelete)
	r.HandleFunc("/faults/{id:[0-9]+}", e.clearFaults).Methods(http.MethodDelete)
	r.HandleFunc("/clock", e.getClock).Methods(http.MethodGet)
	r.HandleFunc("/clock/advance", e.advanceClock).Methods(http.MethodPost)
	r.HandleFunc("/reset", e.reset).Methods(http.MethodPost)
	e.outboundRoutes(r)
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusNotFound, "no control endpoint %s %s (see docs/CONTROL.md)", r.Method, r.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		controlError(w, http.StatusMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
	})
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func controlError(w http.ResponseWriter, status int, format string, args ...any) {
	controlJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// decodeBody reads a JSON control request, rejecting unknown fields so a
// typo in a script fails loudly.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		controlError(w, http.StatusBadRequest, "request body: %v", err)
		return false
	}
	return true
}

func (e *Emulator) health(w http.ResponseWriter, r *http.Request) {
	st := e.state.Load()
	controlJSON(w, http.StatusOK, map[string]any{"status": "ok", "orgs": len(st.store.Orgs())})
}

// withOrg resolves {org} (an id or a name) before calling h.
func (e *Emulator) withOrg(h func(http.ResponseWriter, *http.Request, *org.Org)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := mux.Vars(r)["org"]
		o := e.Store().Org(name)
		if o == nil {
			controlError(w, http.StatusNotFound, "no org %q (give its id or name; GET %s/orgs lists them)", name, ControlPrefix)
			return
		}
		h(w, r, o)
	}
}

// OrgSummary is how the control API lists an org.
type OrgSummary struct {
	ID                org.ID   `json:"id"`
	Name              string   `json:"name"`
	Type              org.Type `json:"type"`
	MyDomain          string   `json:"my_domain,omitempty"`
	TimeZone          string   `json:"time_zone"`
	OutboundSessionID string   `json:"outbound_session_id"`
	LoginAudiences    []string `json:"login_audiences"`
	Users             int      `json:"users"`
	InstalledApps     []string `json:"installed_apps"`
	ClientIP          string   `json:"client_ip,omitempty"`
	Source            string   `json:"source"`
}

func (e *Emulator) listOrgs(w http.ResponseWriter, r *http.Request) {
	store := e.Store()
	out := []OrgSummary{}
	for _, o := range store.Orgs() {
		s := OrgSummary{
			ID: o.ID, Name: o.Name, Type: o.Type, MyDomain: o.MyDomain, TimeZone: o.TimeZone.String(),
			OutboundSessionID: string(o.OutboundSessionID), Users: len(o.Users), InstalledApps: []string{}, Source: o.Source,
		}
		s.LoginAudiences = append([]string{o.Type.LoginAudience()}, e.BaseURL(r))
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
	controlJSON(w, http.StatusOK, out)
}

// UserSummary is how the control API lists a user.
type UserSummary struct {
	ID             org.ID   `json:"id"`
	Username       string   `json:"username"`
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Profile        string   `json:"profile"`
	PermissionSets []string `json:"permission_sets"`
	Active         bool     `json:"active"`
	Frozen         bool     `json:"frozen"`
}

func (e *Emulator) listUsers(w http.ResponseWriter, r *http.Request, o *org.Org) {
	out := []UserSummary{}
	for _, u := range o.Users {
		s := UserSummary{ID: u.ID, Username: u.Username, Name: u.Name(), Email: u.Email, Profile: u.Profile.Name,
			PermissionSets: []string{}, Active: u.Active, Frozen: u.Frozen}
		for _, ps := range u.PermissionSets {
			s.PermissionSets = append(s.PermissionSets, ps.Name)
		}
		out = append(out, s)
	}
	controlJSON(w, http.StatusOK, out)
}

func (e *Emulator) loginHistory(w http.ResponseWriter, r *http.Request, o *org.Org) {
	controlJSON(w, http.StatusOK, o.LoginHistory().Events())
}

func (e *Emulator) setClientIP(w http.ResponseWriter, r *http.Request, o *org.Org) {
	var body struct {
		IP string `json:"ip"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	ip, err := netip.ParseAddr(body.IP)
	if err != nil {
		controlError(w, http.StatusBadRequest, "ip %q is not an IP address", body.IP)
		return
	}
	e.Store().SetClientIP(o, ip)
	controlJSON(w, http.StatusOK, map[string]string{"org": o.Name, "client_ip": ip.Unmap().String()})
}

func (e *Emulator) clearClientIP(w http.ResponseWriter, r *http.Request, o *org.Org) {
	e.Store().SetClientIP(o, netip.Addr{})
	w.WriteHeader(http.StatusNoContent)
}

// AppSummary is how the control API lists an app.
type AppSummary struct {
	ID                  org.ID            `json:"id"`
	Name                string            `json:"name"`
	Kind                org.AppKind       `json:"kind"`
	ConsumerKey         string            `json:"consumer_key"`
	JWTEnabled          bool              `json:"jwt_enabled"`
	CertificateSubject  string            `json:"certificate_subject,omitempty"`
	CertificateNotAfter *time.Time        `json:"certificate_not_after,omitempty"`
	Installations       map[string]Policy `json:"installations"`
}

// Policy is an app policy as the control API shows it.
type Policy struct {
	PermittedUsers string   `json:"permitted_users"`
	Profiles       []string `json:"profiles"`
	PermissionSets []string `json:"permission_sets"`
	IPRelaxation   string   `json:"ip_relaxation"`
	SessionTimeout string   `json:"session_timeout,omitempty"`
}

func (e *Emulator) listApps(w http.ResponseWriter, r *http.Request) {
	store := e.Store()
	out := []AppSummary{}
	for _, a := range store.Apps() {
		s := AppSummary{ID: a.ID, Name: a.Name, Kind: a.Kind, ConsumerKey: a.ConsumerKey, JWTEnabled: a.JWTEnabled, Installations: map[string]Policy{}}
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
			p := Policy{PermittedUsers: string(in.Policy.PermittedUsers), IPRelaxation: string(in.Policy.IPRelaxation), Profiles: []string{}, PermissionSets: []string{}}
			for _, pr := range in.Policy.Profiles {
				p.Profiles = append(p.Profiles, pr.Name)
			}
			for _, ps := range in.Policy.PermissionSets {
				p.PermissionSets = append(p.PermissionSets, ps.Name)
			}
			if in.Policy.SessionTimeout > 0 {
				p.SessionTimeout = in.Policy.SessionTimeout.String()
			}
			s.Installations[o.Name] = p
		}
		out = append(out, s)
	}
	controlJSON(w, http.StatusOK, out)
}

// SessionSummary is how the control API lists a live session.
type SessionSummary struct {
	Token     string    `json:"access_token"`
	OrgID     org.ID    `json:"org_id"`
	Username  string    `json:"username"`
	App       string    `json:"app,omitempty"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"last_used"`
	ExpiresAt time.Time `json:"expires_at"`
	Timeout   string    `json:"timeout"`
}

func (e *Emulator) listSessions(w http.ResponseWriter, r *http.Request) {
	out := []SessionSummary{}
	for _, s := range e.Store().Sessions.List() {
		sum := SessionSummary{Token: s.Token, OrgID: s.User.Org.ID, Username: s.User.Username, Created: s.Created,
			LastUsed: s.LastUsed(), ExpiresAt: s.ExpiresAt(), Timeout: s.Timeout.String()}
		if s.App != nil {
			sum.App = s.App.Name
		}
		out = append(out, sum)
	}
	controlJSON(w, http.StatusOK, out)
}

// expireSessions ends sessions at once, as if they had timed out: the next
// API call with them gets INVALID_SESSION_ID.
func (e *Emulator) expireSessions(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
	}
	if r.ContentLength != 0 && !decodeBody(w, r, &body) {
		return
	}
	n := e.Store().Sessions.Expire(body.Username)
	controlJSON(w, http.StatusOK, map[string]int{"expired": n})
}

func (e *Emulator) tokenRequests(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, e.TokenAttempts())
}

func (e *Emulator) clockState() map[string]any {
	mode := RealClock
	if e.virtual != nil {
		mode = VirtualClock
	}
	return map[string]any{"mode": mode, "now": e.clock.Now().UTC().Format(time.RFC3339Nano)}
}

func (e *Emulator) getClock(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, e.clockState())
}

// advanceClock moves the virtual clock: {"by": "2h"} or {"to": "2026-02-24T00:00:00Z"}.
func (e *Emulator) advanceClock(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
		To string `json:"to"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if e.virtual == nil {
		controlError(w, http.StatusConflict, "the clock is real: start the emulator with --clock virtual to move time")
		return
	}
	var err error
	switch {
	case body.By != "" && body.To != "":
		controlError(w, http.StatusBadRequest, "give by or to, not both")
		return
	case body.By != "":
		d, perr := time.ParseDuration(body.By)
		if perr != nil {
			controlError(w, http.StatusBadRequest, "by %q is not a duration such as 90s, 2h or 24h", body.By)
			return
		}
		_, err = e.virtual.Advance(d)
	case body.To != "":
		t, perr := time.Parse(time.RFC3339, body.To)
		if perr != nil {
			controlError(w, http.StatusBadRequest, "to %q is not an RFC 3339 time such as 2026-02-24T00:00:00Z", body.To)
			return
		}
		_, err = e.virtual.Set(t)
	default:
		controlError(w, http.StatusBadRequest, `give {"by": "2h"} or {"to": "2026-02-24T00:00:00Z"}`)
		return
	}
	if err != nil {
		controlError(w, http.StatusBadRequest, "%v", err)
		return
	}
	controlJSON(w, http.StatusOK, e.clockState())
}

func (e *Emulator) reset(w http.ResponseWriter, r *http.Request) {
	if err := e.Reset(); err != nil {
		controlError(w, http.StatusInternalServerError, "reset: %v", err)
		return
	}
	controlJSON(w, http.StatusOK, map[string]any{"status": "reset", "orgs": len(e.Store().Orgs())})
}

// apiRequests lists the REST request journal: method, path, user, status, time.
func (e *Emulator) apiRequests(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, e.REST().Journal().Entries())
}

func (e *Emulator) listFaults(w http.ResponseWriter, r *http.Request) {
	controlJSON(w, http.StatusOK, e.REST().Faults().List())
}

// faultRequest is a fault as scripts write it: latency as a duration string.
type faultRequest struct {
	Org           string `json:"org"`
	Method        string `json:"method"`
	Path          string `json:"path"`
	Status        int    `json:"status"`
	ErrorCode     string `json:"error_code"`
	Message       string `json:"message"`
	Latency       string `json:"latency"`
	ExpireSession bool   `json:"expire_session"`
	Times         int    `json:"times"`
}

// addFault injects a REST fault, e.g. {"org":"Acme","path":"/query","error_code":"REQUEST_LIMIT_EXCEEDED"}.
func (e *Emulator) addFault(w http.ResponseWriter, r *http.Request) {
	var body faultRequest
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Org != "" && e.Store().Org(body.Org) == nil {
		controlError(w, http.StatusNotFound, "no org %q", body.Org)
		return
	}
	f := rest.Fault{Org: body.Org, Method: body.Method, Path: body.Path, Status: body.Status, ErrorCode: body.ErrorCode,
		Message: body.Message, ExpireSession: body.ExpireSession, Times: body.Times}
	if body.Latency != "" {
		d, err := time.ParseDuration(body.Latency)
		if err != nil {
			controlError(w, http.StatusBadRequest, "latency %q is not a duration such as 250ms", body.Latency)
			return
		}
		f.Latency = d
	}
	added, err := e.REST().Faults().Add(f)
	if err != nil {
		controlError(w, http.StatusBadRequest, "%v", err)
		return
	}
	controlJSON(w, http.StatusCreated, added)
}

func (e *Emulator) clearFaults(w http.ResponseWriter, r *http.Request) {
	id := 0
	if s := mux.Vars(r)["id"]; s != "" {
		id, _ = strconv.Atoi(s)
	}
	if !e.REST().Faults().Clear(id) && id != 0 {
		controlError(w, http.StatusNotFound, "no fault %d", id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
