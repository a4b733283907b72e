// Package rest serves Salesforce's REST API under /services/data/: the
// version list, resources, limits, SOQL queries with paging, sObject
// describe/create/read/update/delete/upsert, composite sObject collections
// and SOSL search, over the org of the caller's session.
//
// It owns the REST wire format — URLs that echo the request's API version,
// Salesforce's JSON number and date formats, the error array — and query
// cursors. Sessions, faults and the request journal are the gateway's;
// parsing and evaluating SOQL is the soql package's; records and their
// checks are the org package's.
package rest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/cursor"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// Config configures the REST service.
type Config struct {
	Store *org.Store
	// LatestVersion is the newest API version served, e.g. 66.0.
	LatestVersion float64
	// Cursors hold query results being paged (nextRecordsUrl); nil: a store
	// of the REST service's own.
	Cursors *cursor.Store
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
	cursors *cursor.Store
	// mapCreates sends every collection create through compositeCreateMaps:
	// the path tests compare decodeCreates' with.
	mapCreates bool
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.LatestVersion == 0 {
		cfg.LatestVersion = DefaultLatestVersion
	}
	if cfg.Cursors == nil {
		cfg.Cursors = cursor.New(cfg.Store.Clock, 0)
	}
	return &Service{cfg: cfg, store: cfg.Store, cursors: cfg.Cursors}
}

// call is one authenticated REST request.
type call struct {
	*gateway.Call
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

type handler func(c *call) (gateway.Response, error)

// Prefix is where the REST API is mounted.
const Prefix = "/services/data"

// Routes are the REST API's resources, relative to Prefix.
func (s *Service) Routes() []gateway.Route {
	var routes []gateway.Route
	public := func(path string, h gateway.Handler) {
		routes = append(routes, gateway.Route{Methods: []string{http.MethodGet}, Path: path, Handler: h, Public: true})
	}
	public("", s.versions)
	public("/", s.versions)
	route := func(path string, h handler, methods ...string) {
		routes = append(routes, gateway.Route{Methods: methods, Path: "/{version:v[0-9]+\\.[0-9]}" + path, Handler: s.adapt(h)})
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
	route("/sobjects/{object}/", s.objectInfo, http.MethodGet)
	route("/sobjects/{object}/", s.create, http.MethodPost)
	route("/sobjects/{object}/describe", s.describe, http.MethodGet)
	route("/sobjects/{object}/describe/", s.describe, http.MethodGet)
	route("/sobjects/{object}/describe/layouts", s.describeLayouts, http.MethodGet)
	route("/sobjects/{object}/describe/layouts/", s.describeLayouts, http.MethodGet)
	route("/sobjects/{object}/deleted", s.getDeleted, http.MethodGet)
	route("/sobjects/{object}/deleted/", s.getDeleted, http.MethodGet)
	route("/sobjects/{object}/updated", s.getUpdated, http.MethodGet)
	route("/sobjects/{object}/updated/", s.getUpdated, http.MethodGet)
	route("/sobjects/{object}/{id}", s.read, http.MethodGet)
	route("/sobjects/{object}/{id}", s.update, http.MethodPatch)
	route("/sobjects/{object}/{id}", s.delete, http.MethodDelete)
	// {field}/{value} is an external id, or {id}/{relationship} when the
	// first segment is a record id (readByExternalID tells them apart).
	route("/sobjects/{object}/{field}/{value}", s.readByExternalID, http.MethodGet)
	route("/sobjects/{object}/{field}/{value}", s.upsert, http.MethodPatch)
	route("/sobjects/{object}/{field}/{value}", s.deleteByExternalID, http.MethodDelete)
	route("/composite/sobjects", s.compositeCreate, http.MethodPost)
	route("/composite/sobjects", s.compositeUpdate, http.MethodPatch)
	route("/composite/sobjects", s.compositeDelete, http.MethodDelete)
	route("/composite/sobjects/{object}", s.compositeRetrieve, http.MethodGet, http.MethodPost)
	route("/composite/sobjects/", s.compositeCreate, http.MethodPost)
	route("/composite/sobjects/", s.compositeUpdate, http.MethodPatch)
	route("/composite/sobjects/", s.compositeDelete, http.MethodDelete)
	route("/composite/sobjects/{object}/", s.compositeRetrieve, http.MethodGet, http.MethodPost)
	route("/composite/sobjects/{object}/{field}", s.compositeUpsert, http.MethodPatch)
	route("/composite/sobjects/{object}/{field}/", s.compositeUpsert, http.MethodPatch)
	route("/composite", s.composite, http.MethodPost)
	route("/composite/", s.composite, http.MethodPost)
	route("/composite/batch", s.compositeBatch, http.MethodPost)
	route("/composite/batch/", s.compositeBatch, http.MethodPost)
	route("/composite/tree/{object}", s.compositeTree, http.MethodPost)
	route("/composite/tree/{object}/", s.compositeTree, http.MethodPost)
	route("/composite/graph", s.compositeGraph, http.MethodPost)
	route("/composite/graph/", s.compositeGraph, http.MethodPost)
	return routes
}

// adapt gives a REST handler its call: the session's user and org, and the
// request's API version.
func (s *Service) adapt(h handler) gateway.Handler {
	return func(gc *gateway.Call) (gateway.Response, error) {
		return h(&call{Call: gc, r: gc.Request, session: gc.Session, org: gc.Org, version: versionOf(gc), now: gc.Now})
	}
}

// versionOf is the call's API version without the v ("66.0"); Admit checked it.
func versionOf(c *gateway.Call) string { return strings.TrimPrefix(c.Var("version"), "v") }

// version checks a path's vNN.N against the versions served.
func (s *Service) version(v string) bool {
	f, err := strconv.ParseFloat(strings.TrimPrefix(v, "v"), 64)
	return err == nil && f >= OldestVersion && f <= s.cfg.LatestVersion && f == float64(int(f))
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

// versions serves GET /services/data/: every version the org still serves
// (its release retired the older ones), oldest first, no auth needed.
func (s *Service) versions(c *gateway.Call) (gateway.Response, error) {
	out := []versionInfo{}
	for v := int(OldestVersion); v <= int(s.cfg.LatestVersion); v++ {
		if o := c.DefaultOrg(); o != nil && o.APIVersion(fmt.Sprintf("%d.0", v)) == org.APIVersionRetired {
			continue
		}
		out = append(out, versionInfo{Label: releaseName(v), URL: fmt.Sprintf("/services/data/v%d.0", v), Version: fmt.Sprintf("%d.0", v)})
	}
	return gateway.JSON(http.StatusOK, out)
}

func (s *Service) resources(c *call) (gateway.Response, error) {
	p := c.urlPrefix()
	res := map[string]string{
		"sobjects": p + "/sobjects", "query": p + "/query", "queryAll": p + "/queryAll", "search": p + "/search",
		"limits": p + "/limits", "composite": p + "/composite", "recent": p + "/recent", "tooling": p + "/tooling",
		"metadata": p + "/metadata", "connect": p + "/connect", "chatter": p + "/chatter", "tabs": p + "/tabs",
		"appMenu": p + "/appMenu", "quickActions": p + "/quickActions", "parameterizedSearch": p + "/parameterizedSearch",
		"actions": p + "/actions", "process": p + "/process", "analytics": p + "/analytics", "jobs": p + "/jobs",
		"identity": gateway.IdentityURL(c.BaseURL, c.session.User),
	}
	return gateway.JSON(http.StatusOK, res)
}

type limitValue struct {
	Max       int `json:"Max"`
	Remaining int `json:"Remaining"`
}

// limits serves GET /limits. DailyApiRequests counts this org's API calls
// since the emulator started (this one excluded, as it is not yet done).
func (s *Service) limits(c *call) (gateway.Response, error) {
	used, daily := c.APIUsage()
	used--
	return gateway.JSON(http.StatusOK, map[string]limitValue{
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

// jsonBody is a REST answer whose body is already encoded.
func jsonBody(status int, body []byte) (gateway.Response, error) {
	return gateway.Bytes(status, gateway.JSONContentType, body), nil
}
