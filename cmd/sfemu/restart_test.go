package main

import (
	"bufio"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/envflag"
)

// asSFEMU starts this test binary as `sfemu args…` (TestMain) with none of
// the caller's SFEMU_ variables, and returns its base URL once it serves;
// stop ends it with SIGTERM, as a container runtime does.
func asSFEMU(t *testing.T, args ...string) (base string, stop func()) {
	t.Helper()
	base, cmd := startSFEMU(t, args...)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("sfemu %v: %v", args, err)
		}
	}
	t.Cleanup(stop)
	return base, stop
}

// startSFEMU is asSFEMU's start: the process, for the caller to end
// (killed at the test's end if still running).
func startSFEMU(t *testing.T, args ...string) (base string, cmd *exec.Cmd) {
	t.Helper()
	cmd = exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envflag.Prefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "SFEMU_TEST_AS_SFEMU=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	baseCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok {
				b, _, _ := strings.Cut(rest, " ")
				baseCh <- b
				break
			}
		}
		close(baseCh)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case base = <-baseCh:
		if base == "" {
			t.Fatalf("sfemu %v exited before serving", args)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("sfemu %v did not start", args)
	}
	return base, cmd
}

// TestNotificationIDsAreNewAfterARestart: a long-lived receiver that
// dedupes on the Notification Id sees only new ids from a restarted sfemu,
// the second run's above the first's. (--notification-id-base, for the
// same ids on every run: TestServeConfiguredByTheEnvironmentAlone.)
func TestNotificationIDsAreNewAfterARestart(t *testing.T) {
	rcv := &ackingReceiver{}
	receiver := httptest.NewServer(rcv)
	defer receiver.Close()
	var ids [][]string
	for range 2 {
		base, stop := asSFEMU(t, "serve", "--listen", "127.0.0.1:0", "--log", "off", "--clock", "virtual", "--endpoint", receiver.URL)
		ids = append(ids, sendAndWait(t, base, "Account_Changed", "Name != null"))
		stop()
	}
	first, second := ids[0], ids[1]
	if len(first) == 0 || len(second) != len(first) {
		t.Fatalf("ids %v then %v", first, second)
	}
	for _, id := range second {
		if slices.Contains(first, id) {
			t.Errorf("Notification Id %s sent by both runs: %v, then %v", id, first, second)
		}
	}
	// Base-62 digits in ASCII order: the string order is the number order.
	if slices.Max(first) >= slices.Min(second) {
		t.Errorf("the restarted sfemu's ids %v are not all above the first run's %v", second, first)
	}
	if n := len(rcv.got()); n != 2 {
		t.Errorf("the receiver got %d messages, want 2", n)
	}
}
