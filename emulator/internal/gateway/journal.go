package gateway

import (
	"sync"

	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/wire"
)

// DefaultJournalSize bounds the request journal.
const DefaultJournalSize = 10000

// Journal keeps the most recent API requests of every surface, bounded,
// and counts each org's API calls (for /limits and Sforce-Limit-Info).
type Journal struct {
	r      *ring.Ring[wire.APIRequest]
	mu     sync.Mutex
	perOrg map[string]int
}

func newJournal(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	return &Journal{r: ring.New[wire.APIRequest](limit), perOrg: map[string]int{}}
}

func (j *Journal) add(e wire.APIRequest, countsAPI bool) {
	if countsAPI && e.OrgID != "" {
		j.mu.Lock()
		j.perOrg[e.OrgID]++
		j.mu.Unlock()
	}
	j.r.Add(e)
}

// Entries returns the kept requests, oldest first.
func (j *Journal) Entries() []wire.APIRequest { return j.r.Items() }

// CountForOrg is the org's API calls since the emulator (re)started.
func (j *Journal) CountForOrg(orgID string) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.perOrg[orgID]
}
