// Package bulk serves Bulk API 2.0 under /services/data/vNN.N/jobs/:
// ingest jobs (insert, update, upsert, delete, hardDelete from uploaded
// CSV) and query jobs (SOQL results as CSV, paged by locator).
//
// Jobs are processed in the background on the emulator's clock through
// the schedule package: a job closed with UploadComplete (and a query job
// as soon as it is created) is processed Delay later — on the virtual clock
// only once the clock is advanced that far, so a test sees every state.
// Records go through the org's DML checks as REST's do (org.Data.Insert,
// Update, Delete), queries through the soql package.
//
// docs/BULK.md describes the endpoints, states, CSV formats, limits and the
// choices made where Salesforce's behaviour is UNKNOWN.
package bulk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/internal/schedule"
	"github.com/sfemu/sfemu/emulator/org"
)

// Limits and defaults.
const (
	// DefaultMaxUploadBytes is Salesforce's per-job upload limit, 150 MB.
	DefaultMaxUploadBytes = 150 << 20
	// DefaultMaxStoredBytes bounds the uploads all jobs hold at once.
	DefaultMaxStoredBytes = 1 << 30
	// DefaultMaxJobs bounds the jobs kept (deleting jobs makes room).
	DefaultMaxJobs = 10000
	// DefaultDelay is how long after UploadComplete (or a query job's
	// creation) processing starts, on the emulator's clock.
	DefaultDelay = 100 * time.Millisecond
	// DefaultMaxRecords is a query results page without ?maxRecords.
	DefaultMaxRecords = 50000
	// listPageSize is the jobs per page of GET /jobs/ingest.
	listPageSize = 1000
	// minVersionIngest and minVersionQuery are the API versions that
	// introduced ingest (41.0) and query (47.0) jobs.
	minVersionIngest = 41
	minVersionQuery  = 47
)

// PrefixJob is the key prefix of Bulk API job ids.
const PrefixJob = "750"

// Config configures the Bulk API service.
type Config struct {
	Store     *org.Store
	Scheduler *schedule.Scheduler
	// Delay before a job is processed (0: DefaultDelay; negative: none).
	Delay time.Duration
	// MaxUploadBytes bounds one job's CSV (0: DefaultMaxUploadBytes).
	MaxUploadBytes int64
	// MaxStoredBytes bounds the CSV all jobs hold (0: DefaultMaxStoredBytes).
	MaxStoredBytes int64
	// MaxJobs bounds the jobs held (0: DefaultMaxJobs).
	MaxJobs int
}

// Service serves the Bulk API 2.0.
type Service struct {
	cfg   Config
	store *org.Store
	sched *schedule.Scheduler
	ids   org.IDSequence

	mu     sync.Mutex
	jobs   map[string]*job
	order  []*job // creation order
	stored int64  // bytes of CSV held by all jobs

	rowByRow bool // tests: no insert batches, every row through applyRow
}

// New returns a Service.
func New(cfg Config) *Service {
	switch {
	case cfg.Delay == 0:
		cfg.Delay = DefaultDelay
	case cfg.Delay < 0:
		cfg.Delay = 0
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.MaxStoredBytes <= 0 {
		cfg.MaxStoredBytes = DefaultMaxStoredBytes
	}
	if cfg.MaxJobs <= 0 {
		cfg.MaxJobs = DefaultMaxJobs
	}
	return &Service{cfg: cfg, store: cfg.Store, sched: cfg.Scheduler, jobs: map[string]*job{}}
}

// MountPath is where the Bulk API 2.0 routes are mounted, below the REST
// prefix (/services/data): every versioned /jobs path.
func MountPath(restPrefix string) string { return restPrefix + "/{version:v[0-9]+\\.[0-9]}/jobs" }

// Routes are the Bulk API resources, relative to MountPath.
func (s *Service) Routes() []gateway.Route {
	var routes []gateway.Route
	route := func(path string, h gateway.Handler, methods ...string) {
		routes = append(routes, gateway.Route{Methods: methods, Path: path, Handler: h})
		routes = append(routes, gateway.Route{Methods: methods, Path: path + "/", Handler: h})
	}
	route("/ingest", s.createIngest, http.MethodPost)
	route("/ingest", s.list(kindIngest), http.MethodGet)
	route("/ingest/{id}", s.info(kindIngest), http.MethodGet)
	route("/ingest/{id}", s.patch(kindIngest), http.MethodPatch)
	route("/ingest/{id}", s.remove(kindIngest), http.MethodDelete)
	route("/ingest/{id}/batches", s.upload, http.MethodPut)
	route("/ingest/{id}/successfulResults", s.results(resultSuccess), http.MethodGet)
	route("/ingest/{id}/failedResults", s.results(resultFailed), http.MethodGet)
	route("/ingest/{id}/unprocessedrecords", s.results(resultUnprocessed), http.MethodGet)
	route("/query", s.createQuery, http.MethodPost)
	route("/query", s.list(kindQuery), http.MethodGet)
	route("/query/{id}", s.info(kindQuery), http.MethodGet)
	route("/query/{id}", s.patch(kindQuery), http.MethodPatch)
	route("/query/{id}", s.remove(kindQuery), http.MethodDelete)
	route("/query/{id}/results", s.queryResults, http.MethodGet)
	return routes
}

// Surface is base (the REST API's surface: sessions, versions, the JSON
// error array) answering the Bulk API's own errors too.
func (s *Service) Surface(base gateway.Surface) gateway.Surface { return surface{base} }

type surface struct{ gateway.Surface }

func (sf surface) Encode(c *gateway.Call, err error) gateway.Response {
	var ae *apiError
	if errors.As(err, &ae) {
		body, _ := json.Marshal([]struct {
			ErrorCode string `json:"errorCode"`
			Message   string `json:"message"`
		}{{ae.code, ae.message}})
		return gateway.Bytes(ae.status, gateway.JSONContentType, body)
	}
	var be *gateway.BodyError
	if errors.As(err, &be) && be.TooLarge {
		return sf.Encode(c, tooLarge(be.Limit))
	}
	return sf.Surface.Encode(c, err)
}

// APIDisabled is the REST API's refusal: Bulk API 2.0 is a REST resource.
func (sf surface) APIDisabled(c *gateway.Call, why org.APIDenial) error {
	return sf.Surface.(gateway.APIGate).APIDisabled(c, why)
}

func (sf surface) Decorate(c *gateway.Call, resp *gateway.Response) {
	if d, ok := sf.Surface.(gateway.Decorator); ok {
		d.Decorate(c, resp)
	}
}

// apiError is one element of the error array.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string     { return e.code + ": " + e.message }
func (e *apiError) ErrorCode() string { return e.code }

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, code, fmt.Sprintf(format, args...)}
}

var errNotFound = &apiError{http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist"}

func tooLarge(limit int64) *apiError {
	return &apiError{http.StatusRequestEntityTooLarge, "EXCEEDED_MAX_SIZE_REQUEST",
		fmt.Sprintf("The job's data is over the maximum size of %d bytes (%d MB)", limit, limit>>20)}
}

// apiVersion is the call's version as a number, and whether it has a path.
func apiVersion(c *gateway.Call) (string, float64) {
	v := strings.TrimPrefix(c.Var("version"), "v")
	f, _ := strconv.ParseFloat(v, 64)
	return v, f
}

// checkVersion answers NOT_FOUND below the version that introduced kind.
func checkVersion(c *gateway.Call, k kind) error {
	_, f := apiVersion(c)
	if k == kindIngest && f < minVersionIngest || k == kindQuery && f < minVersionQuery {
		return errNotFound
	}
	return nil
}

// jobFor resolves {id} to a job of the caller's org and kind.
func (s *Service) jobFor(c *gateway.Call, k kind) (*job, error) {
	if err := checkVersion(c, k); err != nil {
		return nil, err
	}
	s.mu.Lock()
	j := s.jobs[normalizeID(c.Var("id"))]
	s.mu.Unlock()
	if j == nil || j.org != c.Org || j.kind != k {
		return nil, errNotFound
	}
	return j, nil
}

func normalizeID(raw string) string {
	if id, err := org.ParseID(raw); err == nil {
		return string(id)
	}
	return raw
}

// add stores a new job, within the bound.
func (s *Service) add(j *job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.jobs) >= s.cfg.MaxJobs {
		return badRequest("LIMIT_EXCEEDED", "Too many Bulk API jobs are held (%d); delete some first", s.cfg.MaxJobs)
	}
	j.id = string(s.ids.Next(PrefixJob))
	s.jobs[j.id] = j
	s.order = append(s.order, j)
	return nil
}

// list serves GET /jobs/ingest and /jobs/query: the org's jobs, oldest
// first, a page at a time (queryLocator, nextRecordsUrl), filtered by
// isPkChunkingEnabled, jobType and concurrencyMode.
func (s *Service) list(k kind) gateway.Handler {
	return func(c *gateway.Call) (gateway.Response, error) {
		if err := checkVersion(c, k); err != nil {
			return gateway.Response{}, err
		}
		q := c.Request.URL.Query()
		if jt := q.Get("jobType"); jt != "" && !strings.EqualFold(jt, "Classic") && !strings.EqualFold(jt, "V2Ingest") &&
			!strings.EqualFold(jt, "V2Query") && !strings.EqualFold(jt, "BigObjectIngest") {
			return gateway.Response{}, badRequest("INVALIDJOB", "Invalid jobType: %s", jt)
		}
		start := 0
		if loc := q.Get("queryLocator"); loc != "" {
			n, err := strconv.Atoi(loc)
			if err != nil || n < 0 {
				return gateway.Response{}, badRequest("INVALID_QUERY_LOCATOR", "invalid query locator")
			}
			start = n
		}
		s.mu.Lock()
		var match []*job
		for _, j := range s.order {
			if j.org != c.Org || j.kind != k {
				continue
			}
			if jt := q.Get("jobType"); jt != "" && !strings.EqualFold(jt, j.jobType()) {
				continue
			}
			if pk := q.Get("isPkChunkingEnabled"); strings.EqualFold(pk, "true") {
				continue // no job of sfemu's chunks by primary key
			}
			if cm := q.Get("concurrencyMode"); cm != "" && !strings.EqualFold(cm, "Parallel") {
				continue
			}
			match = append(match, j)
		}
		s.mu.Unlock()
		start = min(start, len(match))
		end := min(start+listPageSize, len(match))
		records := make([]map[string]any, 0, end-start)
		for _, j := range match[start:end] {
			records = append(records, j.listInfo())
		}
		var next any
		if end < len(match) {
			next = fmt.Sprintf("/services/data/v%s/jobs/%s?queryLocator=%d", strings.TrimPrefix(c.Var("version"), "v"), k, end)
		}
		return gateway.JSON(http.StatusOK, map[string]any{"done": next == nil, "records": records, "nextRecordsUrl": next})
	}
}

// info serves GET /jobs/{kind}/{id}.
func (s *Service) info(k kind) gateway.Handler {
	return func(c *gateway.Call) (gateway.Response, error) {
		j, err := s.jobFor(c, k)
		if err != nil {
			return gateway.Response{}, err
		}
		return gateway.JSON(http.StatusOK, j.fullInfo())
	}
}

// patch serves PATCH /jobs/{kind}/{id} {"state":"UploadComplete"|"Aborted"}.
func (s *Service) patch(k kind) gateway.Handler {
	return func(c *gateway.Call) (gateway.Response, error) {
		j, err := s.jobFor(c, k)
		if err != nil {
			return gateway.Response{}, err
		}
		data, err := c.Body(1 << 20)
		if err != nil {
			return gateway.Response{}, err
		}
		var req struct {
			State string `json:"state"`
		}
		if err := json.Unmarshal(data, &req); err != nil {
			return gateway.Response{}, badRequest("JSON_PARSER_ERROR", "%v", err)
		}
		switch {
		case req.State == stateAborted:
			if err := s.abort(j, c.Now); err != nil {
				return gateway.Response{}, err
			}
		case req.State == stateUploadComplete && k == kindIngest:
			if err := s.close(j, c.Now); err != nil {
				return gateway.Response{}, err
			}
		default:
			return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Invalid state: %s", req.State)
		}
		return gateway.JSON(http.StatusOK, j.shortInfo())
	}
}

// remove serves DELETE /jobs/{kind}/{id}: only a job no longer running.
func (s *Service) remove(k kind) gateway.Handler {
	return func(c *gateway.Call) (gateway.Response, error) {
		j, err := s.jobFor(c, k)
		if err != nil {
			return gateway.Response{}, err
		}
		j.mu.Lock()
		state := j.state
		j.mu.Unlock()
		if state == stateOpen || state == stateInProgress {
			return gateway.Response{}, badRequest("INVALIDJOBSTATE", "Deleting a job in state %s is not allowed", state)
		}
		s.drop(j)
		return gateway.NoContent(), nil
	}
}

func (s *Service) drop(j *job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs[j.id] != j {
		return
	}
	delete(s.jobs, j.id)
	for i, x := range s.order {
		if x == j {
			s.order = slices.Delete(s.order, i, i+1) // clears the slot it vacates: no stale job kept alive
			break
		}
	}
	j.mu.Lock()
	if j.cancel != nil {
		j.cancel() // a job deleted while queued is never processed
	}
	s.stored -= int64(len(j.data))
	j.data = nil
	j.mu.Unlock()
}

// reserve counts n more bytes of stored CSV against the bound.
func (s *Service) reserve(n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored+n > s.cfg.MaxStoredBytes {
		return tooLarge(s.cfg.MaxStoredBytes)
	}
	s.stored += n
	return nil
}

func (s *Service) release(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stored -= n
}

// JobCount is the number of jobs held, for tests.
func (s *Service) JobCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

func sortedKeys(m map[string]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
