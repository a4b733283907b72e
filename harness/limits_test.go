package harness

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/yamlbombs"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/metadata"
	"github.com/sfemu/sfemu/emulator/org"
)

// scenarioWithPatch is a scenario whose org.patch holds text: where a
// bomb does the most harm, since the patch is walked, rendered and
// marshalled into the fixture of every phase.
func scenarioWithPatch(patch string) string {
	return "name: bomb\norg:\n  fixture: default\n  patch:\n" + patch + "steps:\n  - advance: 1s\n"
}

// TestHostileScenariosAreRefused: each row is a finding of issue 15 as a
// scenario meets it — a small scenario that cost gigabytes or minutes, a
// file name that read forever, a create step of a billion records. Each
// is refused within 10 s (the slowest, lexing 200 KB, takes 0.1 s; -race
// and a busy machine make it more) with under 128 MB allocated, naming
// the file, and the line and column when the problem is in the YAML.
func TestHostileScenariosAreRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := write("big.yaml", "")
	if err := os.Truncate(big, 33<<20); err != nil { // sparse
		t.Fatal(err)
	}
	write("zero-cert-org.yaml", "org: {name: Z}\napps:\n  - {name: eca, consumer_key: K, certificate: /dev/zero}\n")
	create := func(count string) string {
		return "name: many\norg: {fixture: default}\nsteps:\n  - create: {object: Account, fields: {Name: a}, count: " + count + "}\n"
	}
	tests := []struct {
		name    string
		file    string // the scenario file; "" for text
		text    string
		fixture bool // the problem shows when the phase's fixture is made
		wantMsg string
	}{
		{"billion laughs in org.patch", "", scenarioWithPatch("    records:\n      Account:\n" + yamlbombs.LaughRecords("        ")), false,
			"s.yaml:13:40: alias *l5 expands the document by more than 1000000 nodes (YAML bomb?)"},
		{"a 1.3 KB chain of << merge keys in org.patch", "", scenarioWithPatch("    records:\n      Account:\n" + yamlbombs.MergeChainRecords("        ", 40)), false,
			"s.yaml:23:28: merge key <<: *m15 expands the document by more than 1000000 nodes (YAML bomb?)"},
		{"100,000-deep nesting", "", "name: deep\norg: {fixture: default}\nsteps:\n  - expect: {api_calls: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}\n", false,
			"s.yaml:4:"},
		{"a create step of a billion records", "", create("1000000000"), false,
			"s.yaml:4:57: create count 1000000000: want 1 to 100000"},
		{"a create step of -1 records", "", create("-1"), false,
			"s.yaml:4:57: create count -1: want 1 to 100000"},
		{"scenario file: /dev/zero", "/dev/zero", "", false,
			"/dev/zero: a character device, not a regular file"},
		{"scenario file: a directory", dir, "", false,
			": a directory, not a regular file"},
		{"scenario file: over 32 MiB", big, "", false,
			"big.yaml: larger than 32 MiB, the most sfemu reads of such a file"},
		{"org.fixture: /dev/zero", "", "name: z\norg: {fixture: /dev/zero}\nsteps:\n  - advance: 1s\n", true,
			"s.yaml:2:16: org.fixture: read /dev/zero: a character device, not a regular file"},
		{"a fixture whose certificate is /dev/zero", "", "name: z\norg: {fixture: zero-cert-org.yaml}\nsteps:\n  - advance: 1s\n", true,
			`zero-cert-org.yaml: certificate "/dev/zero": read /dev/zero: a character device, not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat("/dev/zero"); err != nil && strings.Contains(tt.wantMsg, "/dev/zero") {
				t.Skip("no /dev/zero here")
			}
			file := tt.file
			if file == "" {
				file = write("s.yaml", tt.text)
			}
			var err error
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			sc, err := LoadFile(file)
			if err == nil && tt.fixture {
				_, _, err = sc.orgFixture("legacy", &templateVars{Endpoint: "http://127.0.0.1:1/outbound"}, nil)
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tt.wantMsg)
			}
			if elapsed > 10*time.Second {
				t.Errorf("refusing took %v, want under 10 s", elapsed)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 128<<20 {
				t.Errorf("refusing allocated %d MB, want under 128 MB", grew>>20)
			}
		})
	}
}

// TestHostileProfileIsRefused: a receiver profile is YAML too, with the
// same budget.
func TestHostileProfileIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: bomb\nmodes:\n  - {name: m0, env: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]}\n")
	for i := 1; i < 9; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  - {name: m%d, env: &l%d [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 9), ", "))
	}
	_, err := ParseProfile("profile.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "profile.yaml:9:") || !strings.Contains(err.Error(), "alias *l5 expands the document by more than 1000000 nodes (YAML bomb?)") {
		t.Errorf("ParseProfile(billion laughs) = %v, want it refused at its line", err)
	}
}

// TestEveryYAMLFileOfTheRepoStillLoads: the budget refuses bombs, not
// sfemu's own fixtures, scenarios and receiver profiles.
func TestEveryYAMLFileOfTheRepoStillLoads(t *testing.T) {
	var files []string
	for _, root := range []string{"../scenarios", "../examples", "../fixtures"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".venv") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 40 {
		t.Fatalf("found %d YAML files, want the catalogue's (40 or more)", len(files))
	}
	for _, path := range files {
		var err error
		switch {
		case filepath.Base(path) == "profile.yaml":
			_, err = LoadProfile(path)
		case filepath.Base(filepath.Dir(filepath.Dir(path))) == "metadata":
			// Users and records laid over the metadata beside them.
			var res *metadata.Result
			if res, err = metadata.Read(filepath.Dir(path)); err == nil {
				var overlay, src org.Source
				if overlay, err = org.FileSource(path); err == nil {
					if src, _, err = res.Source("metadata", &overlay); err == nil {
						_, err = org.NewStore(clock.NewVirtual(time.Now()), src)
					}
				}
			}
		case isFixtureFile(path):
			var src org.Source
			if src, err = org.FileSource(path); err == nil {
				_, err = org.NewStore(clock.NewVirtual(time.Now()), src)
			}
		default:
			_, err = LoadFile(path)
		}
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	t.Logf("%d YAML files loaded", len(files))
}
