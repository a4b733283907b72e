package gateway

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// KnownFault is Salesforce's answer for an error code a fault may name alone.
type KnownFault struct {
	Status  int
	Message string
}

// KnownFaults are the error answers whose status and message sfemu knows,
// for faults that name only an error code (REST API Developer Guide,
// "Status Codes and Error Responses"; the texts as clients quote them).
var KnownFaults = map[string]KnownFault{
	"REQUEST_LIMIT_EXCEEDED":   {403, "TotalRequests Limit exceeded."},
	"API_DISABLED_FOR_ORG":     {403, "API is not enabled for this Organization or Partner"},
	"SERVER_UNAVAILABLE":       {503, "Server temporarily unavailable, please try again later."},
	"UNABLE_TO_LOCK_ROW":       {400, "unable to obtain exclusive access to this record or 1 records"},
	"INVALID_SESSION_ID":       {401, "Session expired or invalid"},
	"API_CURRENTLY_DISABLED":   {403, "API is currently disabled"},
	"CONCURRENT_REQUEST_LIMIT": {403, "ConcurrentPerOrgLongTxn Limit exceeded."},
}

// MaxFaultLatency bounds a fault's added latency.
const MaxFaultLatency = time.Minute

// Faults is the set of active faults of every surface.
type Faults struct {
	mu     sync.Mutex
	faults []*wire.Fault
	nextID int
}

func newFaults() *Faults { return &Faults{} }

// Add validates and activates f, returning it with its id and defaults.
func (fs *Faults) Add(f wire.Fault) (wire.Fault, error) {
	switch f.Surface {
	case "":
		f.Surface = wire.SurfaceREST
	case wire.SurfaceREST, wire.SurfaceSOAP, wire.SurfaceOAuth:
	default:
		return f, fmt.Errorf("surface %q: want rest, soap or oauth", f.Surface)
	}
	if f.ErrorCode != "" && f.Status == 0 {
		known, ok := KnownFaults[f.ErrorCode]
		if !ok {
			return f, fmt.Errorf("give a status for error code %s (known codes: REQUEST_LIMIT_EXCEEDED, API_DISABLED_FOR_ORG, SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW, …)", f.ErrorCode)
		}
		f.Status = known.Status
	}
	if f.Status != 0 {
		if f.Status < 400 || f.Status > 599 {
			return f, fmt.Errorf("status %d is not an error status", f.Status)
		}
		if f.ErrorCode == "" {
			f.ErrorCode = "SERVER_UNAVAILABLE"
		}
		if f.Message == "" {
			if known, ok := KnownFaults[f.ErrorCode]; ok {
				f.Message = known.Message
			} else {
				f.Message = "sfemu injected fault"
			}
		}
	}
	if f.Status == 0 && f.Latency == 0 && !f.ExpireSession {
		return f, fmt.Errorf("a fault needs a status (or error_code), a latency, or expire_session")
	}
	if f.Latency < 0 || f.Latency.D() > MaxFaultLatency {
		return f, fmt.Errorf("latency %s is outside 0…%s", f.Latency, MaxFaultLatency)
	}
	if f.Times < 0 {
		return f, fmt.Errorf("times %d: want a count of requests (0: all)", f.Times)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	f.ID, f.Hits = fs.nextID, 0
	fs.faults = append(fs.faults, &f)
	return f, nil
}

// List returns the active faults.
func (fs *Faults) List() []wire.Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]wire.Fault, 0, len(fs.faults))
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

// match returns the first fault that applies to a call and counts the hit.
func (fs *Faults) match(c *Call) *wire.Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.faults) == 0 {
		return nil
	}
	name := c.Surface.Name()
	for i, f := range fs.faults {
		if f.Surface != name {
			continue
		}
		if f.Org != "" && (c.Org == nil || !(strings.EqualFold(f.Org, c.Org.Name) || sameID(f.Org, c.Org.ID))) {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, c.Request.Method) {
			continue
		}
		if f.Path != "" && !strings.HasPrefix(strings.ToLower(c.RelPath), strings.ToLower(f.Path)) && f.Path != c.Route {
			continue
		}
		if f.Operation != "" && !strings.EqualFold(f.Operation, c.Entry.Operation) {
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

// describe is how the journal names the fault a request met.
func describe(f *wire.Fault) string {
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
