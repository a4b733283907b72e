package oauth

import (
	"github.com/sfemu/sfemu/emulator/internal/ring"
	"github.com/sfemu/sfemu/wire"
)

// Attempt is one request to the token endpoint as sfemu saw it (see
// wire.TokenRequest): unlike Login History it also keeps attempts that
// named no known user, so a harness can assert on every token request.
type Attempt = wire.TokenRequest

// Journal keeps the most recent token attempts, bounded.
type Journal struct {
	r   *ring.Ring[Attempt]
	seq int64 // under r's lock
}

// DefaultJournalSize bounds the token-attempt journal.
const DefaultJournalSize = 10000

func newJournal(limit int) *Journal {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	return &Journal{r: ring.New[Attempt](limit)}
}

// add journals a, numbering it from 1.
func (j *Journal) add(a Attempt) {
	j.r.Do(func(add func(Attempt)) {
		j.seq++
		a.ID = j.seq
		add(a)
	})
}

// Attempts returns the kept attempts, oldest first.
func (j *Journal) Attempts() []Attempt { return j.r.Items() }
