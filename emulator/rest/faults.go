package rest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/emulator/org"
)

// Fault is an injected failure of REST calls: an error answer, added
// latency, or the caller's session ending, for requests that match.
type Fault struct {
	ID int `json:"id"`
	// Org limits the fault to one org (id or name); empty: every org.
	Org string `json:"org,omitempty"`
	// Method limits it to one HTTP method; empty: any.
	Method string `json:"method,omitempty"`
	// Path limits it to requests whose path after /services/data/vNN.N
	// starts with this, e.g. "/query" or "/sobjects/Lead"; empty: any.
	Path string `json:"path,omitempty"`
	// Status and ErrorCode make matching requests fail with
	// [{"message":Message,"errorCode":ErrorCode}], e.g. 403 REQUEST_LIMIT_EXCEEDED.
	Status    int    `json:"status,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	Message   string `json:"message,omitempty"`
	// Latency delays matching requests (wall-clock time).
	Latency time.Duration `json:"latency,omitempty"`
	// ExpireSession ends the caller's session first, so the request gets
	// INVALID_SESSION_ID and the client must log in again.
	ExpireSession bool `json:"expire_session,omitempty"`
	// Times is how many matching requests the fault affects (0: all).
	Times int `json:"times,omitempty"`
	// Hits counts the requests it affected.
	Hits int `json:"hits"`
}

// Known error answers, with Salesforce's messages, for faults that name
// only an error code.
var knownFaultMessages = map[string]struct {
	status  int
	message string
}{
	"REQUEST_LIMIT_EXCEEDED":   {403, "TotalRequests Limit exceeded."},
	"API_DISABLED_FOR_ORG":     {403, "API is not enabled for this Organization or Partner"},
	"SERVER_UNAVAILABLE":       {503, "Server temporarily unavailable, please try again later."},
	"UNABLE_TO_LOCK_ROW":       {400, "unable to obtain exclusive access to this record or 1 records"},
	"INVALID_SESSION_ID":       {401, "Session expired or invalid"},
	"API_CURRENTLY_DISABLED":   {403, "API is currently disabled"},
	"CONCURRENT_REQUEST_LIMIT": {403, "ConcurrentPerOrgLongTxn Limit exceeded."},
}

func (f *Fault) describe() string {
	var parts []string
	if f.Status != 0 {
		parts = append(parts, fmt.Sprintf("%d %s", f.Status, f.ErrorCode))
	}
	if f.Latency > 0 {
		parts = append(parts, "latency "+f.Latency.String())
	}
	if f.ExpireSession {
		parts = append(parts, "session expired")
	}
	return fmt.Sprintf("fault %d: %s", f.ID, strings.Join(parts, ", "))
}

// Faults is the set of active faults.
type Faults struct {
	mu     sync.Mutex
	faults []*Fault
	nextID int
}

func newFaults() *Faults { return &Faults{} }

// Add validates and activates f, returning it with its id.
func (fs *Faults) Add(f Fault) (Fault, error) {
	if f.ErrorCode != "" && f.Status == 0 {
		known, ok := knownFaultMessages[f.ErrorCode]
		if !ok {
			return f, fmt.Errorf("give a status for error code %s (known codes: REQUEST_LIMIT_EXCEEDED, API_DISABLED_FOR_ORG, SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW, …)", f.ErrorCode)
		}
		f.Status = known.status
	}
	if f.Status != 0 {
		if f.Status < 400 || f.Status > 599 {
			return f, fmt.Errorf("status %d is not an error status", f.Status)
		}
		if f.ErrorCode == "" {
			f.ErrorCode = "SERVER_UNAVAILABLE"
		}
		if f.Message == "" {
			if known, ok := knownFaultMessages[f.ErrorCode]; ok {
				f.Message = known.message
			} else {
				f.Message = "sfemu injected fault"
			}
		}
	}
	if f.Status == 0 && f.Latency == 0 && !f.ExpireSession {
		return f, fmt.Errorf("a fault needs a status (or error_code), a latency, or expire_session")
	}
	if f.Latency > time.Minute {
		return f, fmt.Errorf("latency %s is over the 1m bound", f.Latency)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID, f.Hits = fs.nextID, 0
	fs.faults = append(fs.faults, &f)
	return f, nil
}

// List returns the active faults.
func (fs *Faults) List() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, 0, len(fs.faults))
	for _, f := range fs.faults {
		out = append(out, *f)
	}
	return out
}

// Clear removes the fault with this id (0: all); it reports whether any went.
func (fs *Faults) Clear(id int) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if id == 0 {
		had := len(fs.faults) > 0
		fs.faults = nil
		return had
	}
	for i, f := range fs.faults {
		if f.ID == id {
			fs.faults = append(fs.faults[:i], fs.faults[i+1:]...)
			return true
		}
	}
	return false
}

// match returns the first fault that applies to a request and counts the hit.
func (fs *Faults) match(o *org.Org, method, route, path string) *Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.faults) == 0 {
		return nil
	}
	rel := path
	if i := strings.Index(path, "/services/data/v"); i >= 0 {
		rest := path[i+len("/services/data/v"):]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			rel = rest[j:]
		} else {
			rel = ""
		}
	}
	for i, f := range fs.faults {
		if f.Org != "" && (o == nil || !(strings.EqualFold(f.Org, o.Name) || sameID(f.Org, o.ID))) {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && !strings.HasPrefix(strings.ToLower(rel), strings.ToLower(f.Path)) && f.Path != route {
			continue
		}
		f.Hits++
		hit := *f
		if f.Times > 0 && f.Hits >= f.Times {
			fs.faults = append(fs.faults[:i], fs.faults[i+1:]...)
		}
		return &hit
	}
	return nil
}

func sameID(s string, id org.ID) bool {
	p, err := org.ParseID(s)
	return err == nil && p == id
}

// JournalEntry is one REST request as sfemu answered it.
type JournalEntry struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Query     string    `json:"query,omitempty"`
	Username  string    `json:"username,omitempty"`
	OrgID     string    `json:"org_id,omitempty"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"error_code,omitempty"`
	Fault     string    `json:"fault,omitempty"`
}

// Journal keeps the most recent REST requests, bounded, and counts each
// org's calls (for /limits).
type Journal struct {
	r      *ring.Ring[JournalEntry]
	mu     sync.Mutex
	perOrg map[string]int
}

// DefaultJournalSize bounds the request journal.
const DefaultJournalSize = 10000

func newJournal(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	return &Journal{r: ring.New[JournalEntry](limit), perOrg: map[string]int{}}
}

func (j *Journal) add(e JournalEntry) {
	if e.OrgID != "" {
		j.mu.Lock()
		j.perOrg[e.OrgID]++
		j.mu.Unlock()
	}
	j.r.Add(e)
}

// Entries returns the kept requests, oldest first.
func (j *Journal) Entries() []JournalEntry { return j.r.Items() }

func (j *Journal) countForOrg(orgID string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.perOrg[orgID]
}
