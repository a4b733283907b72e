package org

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/yamlbombs"

	"github.com/sfemu/sfemu/emulator/clock"
)

// TestHostileFixturesAreRefused: each row is a finding of issue 15 — a
// small fixture, or a fixture naming a file, that read forever or cost
// gigabytes. Each is now refused within 10 s (the slowest, lexing 200 KB,
// takes 0.1 s; -race and a busy machine make it more) with under 128 MB
// allocated, naming the file, and the line and column when it is in the
// YAML.
func TestHostileFixturesAreRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 33<<20); err != nil { // sparse: 33 MiB that cost no disk
		t.Fatal(err)
	}
	write("big.crt", "-----BEGIN CERTIFICATE-----\n"+strings.Repeat("QUFB", (2<<20)/4)+"\n-----END CERTIFICATE-----\n")
	app := func(cert string) string {
		return "org: {name: A}\napps:\n  - name: eca\n    consumer_key: K\n    certificate: " + cert + "\n"
	}
	tests := []struct {
		name    string
		path    string // the fixture file; "" for yaml
		yaml    string
		wantMsg string
	}{
		{"billion laughs in record fields", "", "org: {name: A}\nrecords:\n  Account:\n" + yamlbombs.LaughRecords("    "),
			"bomb.yaml:10:36: alias *l5 expands the document by more than 1000000 nodes (YAML bomb?)"},
		{"a 1.3 KB chain of << merge keys", "", "org: {name: A}\nrecords:\n  Account:\n" + yamlbombs.MergeChainRecords("    ", 40),
			"bomb.yaml:20:24: merge key <<: *m15 expands the document by more than 1000000 nodes (YAML bomb?)"},
		{"100,000-deep nesting in a record field", "", "org: {name: A}\nrecords: {Account: [{Name: x, Description: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}]}\n",
			"bomb.yaml:2:"},
		{"fixture: /dev/zero", "/dev/zero", "",
			"/dev/zero: a character device, not a regular file"},
		{"fixture: a directory", dir, "",
			": a directory, not a regular file"},
		{"fixture: a file over 32 MiB", big, "",
			"big.yaml: larger than 32 MiB, the most sfemu reads of such a file"},
		{"certificate: /dev/zero", "", app("/dev/zero"),
			`bomb.yaml:5:18: app "eca": certificate "/dev/zero" is unreadable: a character device, not a regular file`},
		{"certificate: a directory", "", app("."),
			`bomb.yaml:5:18: app "eca": certificate "." is unreadable: a directory, not a regular file`},
		{"certificate: a file over 1 MiB", "", app("big.crt"),
			`bomb.yaml:5:18: app "eca": certificate "big.crt" is larger than 1 MiB: name the certificate file (PEM), which is a few KiB`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.path, "/dev/") {
				if _, err := os.Stat(tt.path); err != nil {
					t.Skipf("no %s here", tt.path)
				}
			}
			path := tt.path
			if path == "" {
				path = write("bomb.yaml", tt.yaml)
			}
			var err error
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			src, err := FileSource(path)
			if err == nil {
				_, err = NewStore(clock.NewVirtual(dataNow), src)
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
