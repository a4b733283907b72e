package emulator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/wire"
)

// TestLoadOrgsWithCSVRecords: PUT /_sfemu/orgs takes a fixture's CSV files
// of records sent alongside it (wire.Fixture.Files, by the path the YAML
// names); a CSV file not sent is an error at the fixture line naming it.
func TestLoadOrgsWithCSVRecords(t *testing.T) {
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: virtualStart})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	ctx := context.Background()
	const fixture = "org: {name: Acme}\nusers: [{username: csv@acme.example, profile: Standard User}]\nrecords:\n  Account: data/accounts.csv\n"
	_, err = emu.LoadOrgs(ctx, wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture}}})
	if want := `acme.yaml:4:12: records.Account: CSV file "data/accounts.csv" is unreadable: data/accounts.csv was not sent with the fixture`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a CSV file not sent: %v\nwant %s", err, want)
	}
	_, err = emu.LoadOrgs(ctx, wire.LoadOrgs{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture,
		Files: map[string]string{"data/accounts.csv": "Name,Industry\nEdge,Energy\nPyramid,Construction\n"}}}})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := emu.Query(ctx, "Acme", "SELECT Name FROM Account WHERE Industry = 'Energy'")
	if err != nil || rows.TotalSize != 1 || rows.Rows[0]["Name"] != "Edge" {
		t.Errorf("rows %v, %v: want the Energy account of the CSV file", rows, err)
	}
}
