package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBinaryLinksNoHarness: sfemu itself links neither the harness
// nor testcontainers-go nor go-cmp, whose package initialisation would
// run at every `sfemu serve` start.
func TestServeBinaryLinksNoHarness(t *testing.T) {
	goBin := goTool(t)
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/sfemu/sfemu/harness", "github.com/testcontainers/", "github.com/google/go-cmp/"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("cmd/sfemu links %s: keep it in cmd/sfemu-harness", pkg)
			}
		}
	}
}

// TestRunAndMergeJUnitStartTheHarness: `sfemu run` and `sfemu merge-junit`
// are sfemu-harness's, found beside sfemu; without it they say how to get it.
func TestRunAndMergeJUnitStartTheHarness(t *testing.T) {
	goBin := goTool(t)
	dir := t.TempDir()
	if out, err := exec.Command(goBin, "build", "-o", dir+string(filepath.Separator), ".", "../sfemu-harness").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sfemu := filepath.Join(dir, "sfemu")
	emptyPath := t.TempDir()
	start := func(args ...string) (string, int) {
		cmd := exec.Command(sfemu, args...)
		cmd.Env = append(os.Environ(), "PATH="+emptyPath)
		out, err := cmd.CombinedOutput()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	if out, code := start("run", "--list", "../../harness/testdata/must-fail"); code != 0 || !strings.Contains(out, "3 runs, 0 skipped") {
		t.Errorf("sfemu run --list: exit %d\n%s", code, out)
	}
	if out, code := start("merge-junit"); code != 2 || !strings.Contains(out, "usage: sfemu merge-junit --out FILE REPORT...") {
		t.Errorf("sfemu merge-junit without arguments: exit %d\n%s", code, out)
	}

	if err := os.Remove(filepath.Join(dir, "sfemu-harness")); err != nil {
		t.Fatal(err)
	}
	out, code := start("run", "--list")
	if code != 1 || !strings.Contains(out, "sfemu-harness") || !strings.Contains(out, "make build") || !strings.Contains(out, "go install github.com/sfemu/sfemu/cmd/...") {
		t.Errorf("sfemu run without sfemu-harness: exit %d, want 1 and how to get it:\n%s", code, out)
	}
}

// goTool is the go command, for tests that build or list packages.
func goTool(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("go is not on PATH")
		}
		t.Skip("go is not on PATH")
	}
	return goBin
}
