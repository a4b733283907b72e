package oauth

import (
	"time"

	"github.com/sfemu/sfemu/emulator/internal/ring"
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
type Journal struct{ r *ring.Ring[Attempt] }

// DefaultJournalSize bounds the token-attempt journal.
const DefaultJournalSize = 10000

func newJournal(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	return &Journal{r: ring.New[Attempt](limit)}
}

func (j *Journal) add(a Attempt) { j.r.Add(a) }

// Attempts returns the kept attempts, oldest first.
func (j *Journal) Attempts() []Attempt { return j.r.Items() }
