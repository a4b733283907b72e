package main

import (
	"os"
	"testing"
)

// TestMain lets a test run this binary as sfemu itself (asSFEMU), for
// stories across processes: one sfemu after another.
func TestMain(m *testing.M) {
	if os.Getenv("SFEMU_TEST_AS_SFEMU") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
