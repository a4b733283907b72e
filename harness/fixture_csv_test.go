package harness

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestScenarioFixtureWithCSVRecords: a scenario's fixture may take its
// records from a CSV file beside it; the file travels with the fixture
// (wire.Fixture.Files), so the emulator loads it wherever it runs.
func TestScenarioFixtureWithCSVRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"orgs/acme.yaml": `org: {name: Acme}
users: [{username: admin@acme-csv.example, profile: System Administrator}]
records:
  Account: data/accounts.csv
  Contact:
    - {LastName: Doe, AccountId: "@edge"}
`,
		"orgs/data/accounts.csv": "_ref,Name,Industry\nedge,Edge Communications,Energy\n,\"Pyramid, Inc.\",Energy\n,Burlington,Apparel\n",
		"csv-records.yaml": `name: csv records
org: {fixture: orgs/acme.yaml}
receiver: {url: "http://127.0.0.1:9/outbound"}
phases: [removed]
steps:
  - expect:
      records:
        - {query: "SELECT Name FROM Account WHERE Industry = 'Energy' ORDER BY Name", rows: [{Name: Edge Communications}, {Name: "Pyramid, Inc."}]}
        - {query: "SELECT Account.Name FROM Contact WHERE LastName = 'Doe'", rows: [{Account.Name: Edge Communications}]}
`,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := LoadFile(filepath.Join(dir, "csv-records.yaml"))
	if err != nil {
		t.Fatalf("the scenario does not load:\n%v", err)
	}
	checkOutcome(t, RunScenario(context.Background(), sc, PhaseRemoved, Options{}), Passed, nil)
}
