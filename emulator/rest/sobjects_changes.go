package rest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/org"
)

// replicationWindow is how far back sObject Get Deleted and Get Updated
// reach: a start more than 30 days before now is refused (SOAP API
// Developer Guide, getUpdated() and getDeleted(): "the date range … must be
// within the last 30 days").
const replicationWindow = 30 * 24 * time.Hour

// parseReplicationDate reads the start or end parameter of sObject Get
// Deleted and Get Updated: an ISO 8601 dateTime with a time zone
// (2026-03-02T10:00:00Z, 2026-03-02T10:00:00+00:00, 2026-03-02T10:00:00.000+0000).
// A "+" the client did not percent-encode arrives as a space and is read as
// the "+" it was. The seconds are ignored, as Salesforce ignores them
// ("12:30:15 is interpreted as 12:30:00 UTC").
func parseReplicationDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 16 || len(s) > 40 {
		return time.Time{}, false
	}
	s = strings.Replace(s, " ", "+", 1)
	t, err := org.ParseDateTime(s)
	if err != nil {
		// Without seconds: 2026-03-02T10:00Z, 2026-03-02T10:00+00:00.
		for _, layout := range []string{"2006-01-02T15:04Z07:00", "2006-01-02T15:04-0700"} {
			if t, err = time.Parse(layout, s); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}, false
		}
	}
	if t.Year() < 1700 || t.Year() > 4000 {
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Minute), true
}

// replicationRange is a checked start–end of a Get Deleted or Get Updated
// call, with the end actually covered (never after now).
type replicationRange struct {
	start, end time.Time
	covered    time.Time // latestDateCovered
}

func (r replicationRange) contains(t time.Time) bool {
	return !t.Before(r.start) && t.Before(r.end)
}

// replicationError is Salesforce's INVALID_REPLICATION_DATE.
func replicationError(message string) error {
	return badRequest("INVALID_REPLICATION_DATE", message)
}

// replicationDates checks ?start=&end= in Salesforce's order: both given,
// both dateTimes, start before end, start within the last 30 days.
// The wordings, but for the code, are UNKNOWN (docs/REST.md).
func replicationDates(c *call) (replicationRange, error) {
	q := c.r.URL.Query()
	var r replicationRange
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"start", &r.start}, {"end", &r.end}} {
		raw, ok := q[p.name]
		if !ok || len(raw) == 0 || strings.TrimSpace(raw[0]) == "" {
			return r, badRequest("MISSING_ARGUMENT", "Missing required parameter: "+p.name)
		}
		t, ok := parseReplicationDate(raw[0])
		if !ok {
			return r, replicationError(fmt.Sprintf("%s: '%s' is not a valid dateTime; use ISO 8601 such as 2026-03-02T10:00:00Z or 2026-03-02T10:00:00+00:00", p.name, raw[0]))
		}
		*p.to = t
	}
	if !r.start.Before(r.end) {
		return r, replicationError("startDate must chronologically precede endDate")
	}
	now := c.now.UTC()
	if r.start.Before(now.Add(-replicationWindow)) {
		return r, replicationError("startDate cannot be more than 30 days ago")
	}
	r.covered = r.end
	if nowMin := now.Truncate(time.Minute); nowMin.Before(r.covered) {
		r.covered = nowMin
	}
	return r, nil
}

// stamp is when a record was last written: its SystemModstamp (a delete
// sets it, so for a record in the recycle bin it is when it was deleted),
// else LastModifiedDate.
func stamp(rec *org.Record) (time.Time, bool) {
	for _, name := range []string{"SystemModstamp", "LastModifiedDate"} {
		if t, ok := rec.GetName(name).(time.Time); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func appendDateTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, restDateTime)
	return append(b, '"')
}

// getDeleted serves GET /sobjects/X/deleted/?start=&end=: the records of X
// in the recycle bin deleted from start up to (not including) end, with
// earliestDateAvailable (nothing is ever purged, so the org's creation) and
// latestDateCovered (end, or now when end is later; both to the minute).
func (s *Service) getDeleted(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	r, err := replicationDates(c)
	if err != nil {
		return gateway.Response{}, err
	}
	b := []byte(`{"deletedRecords":[`)
	n := 0
	c.org.Data.Scan(o, true, func(rec *org.Record) bool {
		if !rec.Deleted() {
			return true
		}
		if t, ok := stamp(rec); ok && r.contains(t) {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, `{"id":`...)
			b = appendString(b, string(rec.ID))
			b = append(b, `,"deletedDate":`...)
			b = appendDateTime(b, t)
			b = append(b, '}')
		}
		return true
	})
	b = append(b, `],"earliestDateAvailable":`...)
	b = appendDateTime(b, s.earliestDateAvailable(c))
	b = append(b, `,"latestDateCovered":`...)
	b = appendDateTime(b, r.covered)
	return jsonBody(http.StatusOK, append(b, '}'))
}

// earliestDateAvailable is the org's creation (its Organization record's
// CreatedDate), to the minute: sfemu purges nothing from the recycle bin.
func (s *Service) earliestDateAvailable(c *call) time.Time {
	if rec := c.org.Data.Get(c.org.ID); rec != nil {
		if t, ok := rec.GetName("CreatedDate").(time.Time); ok {
			return t.UTC().Truncate(time.Minute)
		}
	}
	return c.now.UTC().Add(-replicationWindow).Truncate(time.Minute)
}

// getUpdated serves GET /sobjects/X/updated/?start=&end=: the ids of the
// live records of X created or changed from start up to (not including)
// end, and latestDateCovered.
func (s *Service) getUpdated(c *call) (gateway.Response, error) {
	o, err := s.object(c)
	if err != nil {
		return gateway.Response{}, err
	}
	r, err := replicationDates(c)
	if err != nil {
		return gateway.Response{}, err
	}
	b := []byte(`{"ids":[`)
	n := 0
	c.org.Data.Scan(o, false, func(rec *org.Record) bool {
		if t, ok := stamp(rec); ok && r.contains(t) {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendString(b, string(rec.ID))
		}
		return true
	})
	b = append(b, `],"latestDateCovered":`...)
	b = appendDateTime(b, r.covered)
	return jsonBody(http.StatusOK, append(b, '}'))
}
