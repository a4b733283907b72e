// Package rest serves Salesforce's REST API under /services/data/: the
// version list, resources, limits, SOQL queries with paging, sObject
// describe/create/read/update/delete/upsert, composite sObject collections
// and SOSL search (SALESFORCE.md §4), over the org of the caller's session.
//
// It owns the wire format — URLs that echo the request's API version,
// Salesforce's JSON number and date formats, error bodies — and per-org
// fault injection and the request journal. Parsing and evaluating SOQL is the
// soql package's; records and their checks are the org package's.
package rest

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/sfemu/sfemu/emulator/oauth"
	"github.com/sfemu/sfemu/emulator/org"
)

// Config configures the REST service.
type Config struct {
	Store *org.Store
	// BaseURL is the emulator's public base URL as seen from a request.
	BaseURL func(r *http.Request) string
	// LatestVersion is the newest API version served, e.g. 66.0.
	LatestVersion float64
	Logger        *slog.Logger
	// CursorIdleTimeout frees query cursors (nextRecordsUrl) unused this long
	// on the emulator's clock. Salesforce: 15 minutes.
	CursorIdleTimeout time.Duration
}

// DefaultLatestVersion is the newest API version sfemu serves unless told
// otherwise: Spring '26, the release of the session-ID change.
const DefaultLatestVersion = 66.0

// OldestVersion is the first REST API version (Winter '11).
const OldestVersion = 20.0

// Service serves /services/data.
type Service struct {
	cfg     Config
	store   *org.Store
	cursors *cursors
	faults  *Faults
	journal *Journal
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.LatestVersion == 0 {
		cfg.LatestVersion = DefaultLatestVersion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BaseURL == nil {
		cfg.BaseURL = oauth.RequestBaseURL
	}
	if cfg.CursorIdleTimeout == 0 {
		cfg.CursorIdleTimeout = 15 * time.Minute
	}
	return &Service{cfg: cfg, store: cfg.Store, cursors: newCursors(cfg.Store.Clock, cfg.CursorIdleTimeout),
		faults: newFaults(), journal: newJournal(0)}
}

// Faults are the service's injected faults.
func (s *Service) Faults() *Faults { return s.faults }

// Journal is the service's request journal.
func (s *Service) Journal() *Journal { return s.journal }

// call is one authenticated API request.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	session *org.Session
	org     *org.Org
	version string // "66.0", as in the request's URL
	now     time.Time
}

// urlPrefix is /services/data/vNN.N, echoing the request's version.
func (c *call) urlPrefix() string { return "/services/data/v" + c.version }

func (c *call) recordURL(o *org.Object, id org.ID) string {
	return c.urlPrefix() + "/sobjects/" + o.Name + "/" + string(id)
}

type handler func(c *call)

// Routes registers /services/data on r.
func (s *Service) Routes(r *mux.Router) {
	r.HandleFunc("/services/data", s.versions).Methods(http.MethodGet)
	r.HandleFunc("/services/data/", s.versions).Methods(http.MethodGet)
	v := r.PathPrefix("/services/data/{version:v[0-9]+\\.[0-9]}").Subrouter()
	route := func(path string, h handler, methods ...string) {
		v.Handle(path, s.api(path, h)).Methods(methods...)
	}
	route("", s.resources, http.MethodGet)
	route("/", s.resources, http.MethodGet)
	route("/limits", s.limits, http.MethodGet)
	route("/limits/", s.limits, http.MethodGet)
	route("/query", s.query(false), http.MethodGet)
	route("/query/", s.query(false), http.MethodGet)
	route("/queryAll", s.query(true), http.MethodGet)
	route("/queryAll/", s.query(true), http.MethodGet)
	route("/query/{locator}", s.queryMore, http.MethodGet)
	route("/queryAll/{locator}", s.queryMore, http.MethodGet)
	route("/search", s.search, http.MethodGet)
	route("/search/", s.search, http.MethodGet)
	route("/sobjects", s.globalDescribe, http.MethodGet)
	route("/sobjects/", s.globalDescribe, http.MethodGet)
	route("/sobjects/{object}", s.objectInfo, http.MethodGet)
	route("/sobjects/{object}", s.create, http.MethodPost)
	route("/sobjects/{object}/", s.create, http.MethodPost)
	route("/sobjects/{object}/describe", s.describe, http.MethodGet)
	route("/sobjects/{object}/describe/", s.describe, http.MethodGet)
	route("/sobjects/{object}/{id}", s.read, http.MethodGet)
	route("/sobjects/{object}/{id}", s.update, http.MethodPatch)
	route("/sobjects/{object}/{id}", s.delete, http.MethodDelete)
	route("/sobjects/{object}/{field}/{value}", s.readByExternalID, http.MethodGet)
	route("/sobjects/{object}/{field}/{value}", s.upsert, http.MethodPatch)
	route("/composite/sobjects", s.compositeCreate, http.MethodPost)
	route("/composite/sobjects", s.compositeUpdate, http.MethodPatch)
	route("/composite/sobjects", s.compositeDelete, http.MethodDelete)
	route("/composite/sobjects/{object}", s.compositeRetrieve, http.MethodGet, http.MethodPost)
	// Anything else under /services/data is a known resource asked with
	// the wrong method (405), or an unknown resource or a malformed version
	// such as v38 (Salesforce's NOT_FOUND).
	r.PathPrefix("/services/data/").HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allowed := allowedMethods(v, r); len(allowed) > 0 {
			writeErrors(w, http.StatusMethodNotAllowed, apiError{"METHOD_NOT_ALLOWED",
				fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", r.Method, strings.Join(allowed, ","))})
			return
		}
		writeErrors(w, http.StatusNotFound, errNotFound)
	})
}

// allowedMethods lists the methods the router takes for r's path (HEAD
// with GET, as Salesforce lists them).
func allowedMethods(router *mux.Router, r *http.Request) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil {
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// api wraps an endpoint: version check, faults, authentication, the journal.
func (s *Service) api(route string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		now := s.store.Clock.Now()
		entry := JournalEntry{Time: now, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		defer func() {
			entry.Status = rec.status
			entry.ErrorCode = rec.errorCode
			s.journal.add(entry)
			s.cfg.Logger.Info("api request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "user", entry.Username)
		}()
		version, ok := s.version(mux.Vars(r)["version"])
		if !ok {
			writeErrors(rec, http.StatusNotFound, apiError{"NOT_FOUND", "The requested resource does not exist"})
			return
		}
		// One lookup validates and renews the session, as every API call does.
		token := oauth.AccessToken(r)
		var session *org.Session
		if token != "" {
			session = s.store.Sessions.Use(token)
		}
		var o *org.Org
		if session != nil {
			o = session.User.Org
			entry.Username, entry.OrgID = session.User.Username, string(o.ID)
		}
		if f := s.faults.match(o, r.Method, route, r.URL.Path); f != nil {
			entry.Fault = f.describe()
			if f.Latency > 0 {
				time.Sleep(f.Latency)
			}
			if f.ExpireSession && session != nil {
				s.store.Sessions.Revoke(token)
				session = nil
			}
			if f.Status != 0 {
				writeErrors(rec, f.Status, apiError{f.ErrorCode, f.Message})
				return
			}
		}
		if session == nil {
			writeErrors(rec, http.StatusUnauthorized, apiError{"INVALID_SESSION_ID", "Session expired or invalid"})
			return
		}
		// Salesforce reports the org's API usage on every API response;
		// clients such as simple-salesforce and jsforce read it.
		used := s.journal.countForOrg(string(o.ID)) + 1
		rec.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", used, dailyAPIRequests))
		h(&call{w: rec, r: r, session: session, org: o, version: version, now: now})
	})
}

// version checks a path's vNN.N against the versions served and returns it without the v.
func (s *Service) version(v string) (string, bool) {
	f, err := strconv.ParseFloat(strings.TrimPrefix(v, "v"), 64)
	if err != nil || f < OldestVersion || f > s.cfg.LatestVersion || f != float64(int(f)) {
		return "", false
	}
	return strings.TrimPrefix(v, "v"), true
}

// releaseName is the release that introduced API version v: 20.0 Winter '11,
// 21.0 Spring '11, 22.0 Summer '11, … 31.0 Summer '14, … 66.0 Spring '26.
func releaseName(v int) string {
	seasons := [...]string{"Winter", "Spring", "Summer"}
	n := v - 20
	return fmt.Sprintf("%s '%02d", seasons[n%3], 11+n/3)
}

type versionInfo struct {
	Label   string `json:"label"`
	URL     string `json:"url"`
	Version string `json:"version"`
}

// versions serves GET /services/data/: every version, oldest first, no auth needed.
func (s *Service) versions(w http.ResponseWriter, r *http.Request) {
	var out []versionInfo
	for v := int(OldestVersion); v <= int(s.cfg.LatestVersion); v++ {
		out = append(out, versionInfo{Label: releaseName(v), URL: fmt.Sprintf("/services/data/v%d.0", v), Version: fmt.Sprintf("%d.0", v)})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) resources(c *call) {
	p := c.urlPrefix()
	res := map[string]string{
		"sobjects": p + "/sobjects", "query": p + "/query", "queryAll": p + "/queryAll", "search": p + "/search",
		"limits": p + "/limits", "composite": p + "/composite", "recent": p + "/recent", "tooling": p + "/tooling",
		"metadata": p + "/metadata", "connect": p + "/connect", "chatter": p + "/chatter", "tabs": p + "/tabs",
		"appMenu": p + "/appMenu", "quickActions": p + "/quickActions", "parameterizedSearch": p + "/parameterizedSearch",
		"actions": p + "/actions", "process": p + "/process", "analytics": p + "/analytics",
		"identity": oauth.IdentityURL(s.cfg.BaseURL(c.r), c.session.User),
	}
	writeJSON(c.w, http.StatusOK, res)
}

type limitValue struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// limits serves GET /limits. DailyApiRequests counts this org's API calls
// since the emulator started.
// dailyAPIRequests is the DailyApiRequests limit sfemu reports.
const dailyAPIRequests = 100000

func (s *Service) limits(c *call) {
	const daily = dailyAPIRequests
	used := s.journal.countForOrg(string(c.org.ID))
	writeJSON(c.w, http.StatusOK, map[string]limitValue{
		"DailyApiRequests":                  {daily, max(daily-used, 0)},
		"DailyAsyncApexExecutions":          {250000, 250000},
		"DailyBulkApiBatches":               {15000, 15000},
		"DataStorageMB":                     {5, 5},
		"FileStorageMB":                     {20, 20},
		"ConcurrentAsyncGetReportInstances": {200, 200},
		"HourlyODataCallout":                {20000, 20000},
		"SingleEmail":                       {5000, 5000},
	})
}

// apiError is one element of Salesforce's error array.
type apiError struct {
	ErrorCode string
	Message   string
}

// writeErrors answers with Salesforce's error array: [{"message":…,"errorCode":…}].
func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	type wire struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}
	out := make([]wire, len(errs))
	for i, e := range errs {
		out[i] = wire{e.Message, e.ErrorCode}
	}
	if sr, ok := w.(*statusRecorder); ok && len(errs) > 0 {
		sr.errorCode = errs[0].ErrorCode
	}
	writeJSON(w, status, out)
}

// writeDMLErrors answers with DML errors, which also name their fields.
func writeDMLErrors(w http.ResponseWriter, status int, errs []org.DMLError) {
	type wire struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}
	out := make([]wire, len(errs))
	for i, e := range errs {
		fields := e.Fields
		if fields == nil {
			fields = []string{}
		}
		out[i] = wire{e.Message, e.StatusCode, fields}
	}
	if sr, ok := w.(*statusRecorder); ok && len(errs) > 0 {
		sr.errorCode = errs[0].StatusCode
	}
	writeJSON(w, status, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, body)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// statusRecorder remembers the status and error code for the journal.
type statusRecorder struct {
	http.ResponseWriter
	status    int
	errorCode string
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
