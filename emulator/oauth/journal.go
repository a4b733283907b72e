package oauth

import (
	"sync"
	"time"
)

// Attempt is one request to the token endpoint as sfemu saw it: what was
// asked, what Salesforce would answer, and why. Unlike Login History it also
// keeps attempts that named no known user, so a harness can assert on every
// token request a receiver made.
type Attempt struct {
	Time        time.Time `json:"time"`
	GrantType   string    `json:"grant_type"`
	SourceIP    string    `json:"source_ip"`
	ClientID    string    `json:"client_id,omitempty"` // iss, or client_id
	Username    string    `json:"username,omitempty"`  // sub/prn, or username
	Audience    []string  `json:"audience,omitempty"`
	Status      int       `json:"status"`
	Error       string    `json:"error,omitempty"`
	Description string    `json:"error_description,omitempty"`
	// Reason explains the outcome precisely (which claim, which check), for
	// people; Salesforce never says this much.
	Reason      string `json:"reason,omitempty"`
	OrgID       string `json:"org_id,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	Application string `json:"application,omitempty"`
}

// Journal keeps the most recent token attempts, bounded.
type Journal struct {
	mu    sync.Mutex
	rows  []Attempt
	start int
	limit int
}

// DefaultJournalSize bounds the token-attempt journal.
const DefaultJournalSize = 10000

func newJournal(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	return &Journal{limit: limit}
}

func (j *Journal) add(a Attempt) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.rows) < j.limit {
		j.rows = append(j.rows, a)
		return
	}
	j.rows[j.start] = a
	j.start = (j.start + 1) % j.limit
}

// Attempts returns the kept attempts, oldest first.
func (j *Journal) Attempts() []Attempt {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Attempt, 0, len(j.rows))
	out = append(out, j.rows[j.start:]...)
	return append(out, j.rows[:j.start]...)
}
