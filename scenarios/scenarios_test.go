// Package scenarios is the catalogue of stories sfemu users run against
// their receivers: session-id (before and after the February 2026 change),
// auth-errors (what customers' setups get wrong), delivery (retries,
// duplicates, order, batches, bad answers), api (write-back errors, and
// the harness as another integration's REST and Bulk API client) and oauth
// (customers' OAuth failures, the harness playing their app).
// `go test ./scenarios/` runs them all against the bundled example receiver;
// `go test ./scenarios/ -run 'TestCatalogue/auth-errors/.*/removed'` a part.
package scenarios

import (
	"testing"

	"github.com/sfemu/sfemu/harness"
)

func TestCatalogue(t *testing.T) {
	harness.RunTests(t, harness.Options{}, ".")
}
