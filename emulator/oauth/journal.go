package oauth

import (
	"github.com/sfemu/sfemu/emulator/internal/redact"
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

// add journals a, numbering it from 1, once its strings are bounded in
// place (keepAttempt).
func (j *Journal) add(a *Attempt) {
	keepAttempt(a)
	j.r.Do(func(add func(Attempt)) {
		j.seq++
		a.ID = j.seq
		add(*a)
	})
}

// keepAttempt bounds every string of an attempt and makes it a copy
// (redact.Keep): the grant_type, client_id and username come from the
// request's URL or body, and a short value cut from a 64 KB body, or a
// 1 MB grant_type in the URL, would otherwise stay in memory for as long
// as the journal keeps the attempt.
func keepAttempt(a *Attempt) {
	for _, s := range []*string{&a.GrantType, &a.SourceIP, &a.ClientID, &a.Username, &a.Error, &a.Description, &a.Reason, &a.OrgID, &a.UserID, &a.Application} {
		*s = redact.Keep(*s)
	}
	a.Audience = redact.KeepAll(a.Audience)
}

// Attempts returns the kept attempts, oldest first.
func (j *Journal) Attempts() []Attempt { return j.r.Items() }

// Page returns at most limit kept attempts numbered after after, oldest
// first, and whether more follow.
func (j *Journal) Page(after int64, limit int) ([]Attempt, bool) {
	return j.r.Page(func(a Attempt) bool { return a.ID > after }, nil, limit)
}
