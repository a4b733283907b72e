package rest

import (
	"net/http"

	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/soql"
)

// search serves GET /search?q=FIND … (SOSL, run by the soql package).
func (s *Service) search(c *call) (gateway.Response, error) {
	q, err := soql.ParseSOSL(c.r.URL.Query().Get("q"))
	if err != nil {
		return gateway.Response{}, err
	}
	rows, err := q.Run(soql.Env{Schema: c.org.Schema, Data: c.org.Data, Now: c.now, Location: c.org.TimeZone, User: c.user()})
	if err != nil {
		return gateway.Response{}, err
	}
	b := []byte(`{"searchRecords":[`)
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRow(b, c, row)
	}
	return jsonBody(http.StatusOK, append(b, "]}"...))
}
