package bulk

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// Job states.
const (
	stateOpen           = "Open"
	stateUploadComplete = "UploadComplete"
	stateInProgress     = "InProgress"
	stateJobComplete    = "JobComplete"
	stateFailed         = "Failed"
	stateAborted        = "Aborted"
)

type kind string

const (
	kindIngest kind = "ingest"
	kindQuery  kind = "query"
)

// Salesforce's datetime format in job info.
const jobTime = "2006-01-02T15:04:05.000-0700"

type job struct {
	id         string
	kind       kind
	org        *org.Org
	user       *org.User
	object     string
	operation  string
	externalID string
	query      string
	delimName  string
	delim      byte
	lineEnding string
	apiVersion float64
	version    string
	created    time.Time

	aborted atomic.Bool // asks a running job to stop

	mu         sync.Mutex
	state      string
	modstamp   time.Time
	errMessage string
	data       []byte // the uploaded CSV (ingest)
	uploaded   bool
	header     []string // the CSV's header, once processing read it
	processed  int
	failed     int
	procTime   time.Duration
	success    []byte // results CSVs (ingest)
	failures   []byte
	unproc     []byte
	result     *soql.Result // query
	cancel     func() bool
}

func (j *job) crlf() bool { return j.lineEnding == "CRLF" }

func (j *job) jobType() string {
	if j.kind == kindQuery {
		return "V2Query"
	}
	return "V2Ingest"
}

// shortInfo is the job info a create or state change answers.
func (j *job) shortInfo() map[string]any {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.baseInfoLocked()
}

func (j *job) baseInfoLocked() map[string]any {
	m := map[string]any{
		"id":              j.id,
		"operation":       j.operation,
		"object":          j.object,
		"createdById":     string(j.user.ID),
		"createdDate":     j.created.UTC().Format(jobTime),
		"systemModstamp":  j.modstamp.UTC().Format(jobTime),
		"state":           j.state,
		"concurrencyMode": "Parallel",
		"contentType":     "CSV",
		"apiVersion":      j.apiVersion,
		"lineEnding":      j.lineEnding,
		"columnDelimiter": j.delimName,
	}
	if j.kind == kindIngest {
		m["contentUrl"] = "services/data/v" + j.version + "/jobs/ingest/" + j.id + "/batches"
		if j.operation == "upsert" {
			m["externalIdFieldName"] = j.externalID
		}
	}
	return m
}

// listInfo is a job as GET /jobs/ingest lists it.
func (j *job) listInfo() map[string]any {
	j.mu.Lock()
	defer j.mu.Unlock()
	m := j.baseInfoLocked()
	m["jobType"] = j.jobType()
	return m
}

// fullInfo is GET /jobs/{kind}/{id}.
func (j *job) fullInfo() map[string]any {
	j.mu.Lock()
	defer j.mu.Unlock()
	m := j.baseInfoLocked()
	m["jobType"] = j.jobType()
	m["retries"] = 0
	m["totalProcessingTime"] = j.procTime.Milliseconds()
	m["numberRecordsProcessed"] = j.processed
	if j.kind == kindIngest {
		m["numberRecordsFailed"] = j.failed
		m["apiActiveProcessingTime"] = j.procTime.Milliseconds()
		m["apexProcessingTime"] = 0
	} else {
		m["isPkChunkingSupported"] = true
	}
	if j.errMessage != "" {
		m["errorMessage"] = j.errMessage
	}
	return m
}

// setState moves the job on, stamping systemModstamp.
func (j *job) setStateLocked(state string, now time.Time) {
	j.state = state
	j.modstamp = now
}

// schedule queues the job's processing Delay from now.
func (s *Service) schedule(j *job, now time.Time) error {
	cancel, err := s.sched.At(now.Add(s.cfg.Delay), func(ctx context.Context, at time.Time) { s.process(ctx, j) })
	if err != nil {
		return &apiError{http.StatusServiceUnavailable, "SERVER_UNAVAILABLE", "Too many Bulk API jobs are waiting to be processed; try again later"}
	}
	j.cancel = cancel
	return nil
}

// close is PATCH {"state":"UploadComplete"}: the job is queued.
func (s *Service) close(j *job, now time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state != stateOpen {
		return badRequest("INVALIDJOBSTATE", "Closing a job in state %s is not allowed", j.state)
	}
	if err := s.schedule(j, now); err != nil {
		return err
	}
	j.setStateLocked(stateUploadComplete, now)
	return nil
}

// abort is PATCH {"state":"Aborted"}: a job not yet done stops; records
// it had not reached are unprocessed.
func (s *Service) abort(j *job, now time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch j.state {
	case stateJobComplete:
		return badRequest("INVALIDJOBSTATE", "Aborting already Completed Job not allowed")
	case stateFailed, stateAborted:
		return badRequest("INVALIDJOBSTATE", "Aborting a job in state %s is not allowed", j.state)
	}
	j.aborted.Store(true)
	if j.cancel != nil && j.cancel() && j.kind == kindIngest {
		j.unproc = j.data // never processed: every record is unprocessed
	}
	if j.state == stateOpen && j.kind == kindIngest {
		j.unproc = j.data
	}
	j.setStateLocked(stateAborted, now)
	return nil
}

// process runs a queued job (on the scheduler).
func (s *Service) process(ctx context.Context, j *job) {
	j.mu.Lock()
	if j.state != stateUploadComplete {
		j.mu.Unlock()
		return
	}
	now := s.store.Clock.Now()
	j.setStateLocked(stateInProgress, now)
	j.mu.Unlock()
	begin := time.Now()
	var msg string
	if j.kind == kindIngest {
		msg = s.ingest(ctx, j)
	} else {
		msg = s.runQuery(j)
	}
	j.mu.Lock()
	j.procTime = time.Since(begin)
	now = s.store.Clock.Now()
	switch {
	case j.state == stateAborted:
	case msg != "":
		j.errMessage = msg
		j.setStateLocked(stateFailed, now)
	default:
		j.setStateLocked(stateJobComplete, now)
	}
	n := int64(len(j.data))
	j.data = nil
	j.mu.Unlock()
	s.release(n)
}

func itoa(n int) string { return strconv.Itoa(n) }
