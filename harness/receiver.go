package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultReceiverEnv is the environment the bundled example receiver (and
// receivers written like it) get, as templates.
var DefaultReceiverEnv = map[string]string{
	"PORT":                "{{.Port}}",
	"RECEIVER_LISTEN":     "{{.ReceiverHost}}:{{.Port}}",
	"SF_LOGIN_URL":        "{{.EmulatorURL}}",
	"SF_ORG_ID":           "{{.OrgID}}",
	"SF_CONSUMER_KEY":     "{{.ConsumerKey}}",
	"SF_USERNAME":         "{{.Username}}",
	"SF_AUDIENCE":         "{{.Audience}}",
	"SF_PRIVATE_KEY_FILE": "{{.KeyFile}}",
}

// receiver is the receiver under test for one scenario run.
type receiver interface {
	start(ctx context.Context) error
	stop() error
	logTail(n int) string
	endpoint() string
}

// urlReceiver is a receiver someone else runs.
type urlReceiver struct{ url string }

func (u *urlReceiver) start(context.Context) error { return nil }
func (u *urlReceiver) stop() error {
	return fmt.Errorf("a receiver given by URL cannot be stopped or started by the harness")
}
func (u *urlReceiver) logTail(int) string {
	return "(the receiver runs elsewhere: its log is not captured)"
}
func (u *urlReceiver) endpoint() string { return u.url }

// processReceiver runs the receiver as a local process, capturing its log.
type processReceiver struct {
	command  []string
	env      []string
	ready    string // URL polled until 200
	readyLog string // or a text its output prints when it is ready
	// readyTimeout bounds the wait for either.
	readyTimeout time.Duration
	url          string // outbound endpoint

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *tailBuffer
}

func (p *processReceiver) endpoint() string { return p.url }

func (p *processReceiver) start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	cmd := exec.Command(p.command[0], p.command[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	mark := p.log.mark()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so stop ends its children too
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start receiver %q: %w", strings.Join(p.command, " "), err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	deadline := time.Now().Add(p.readyTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			p.cmd = nil
			return fmt.Errorf("receiver exited before it was ready:\n%s", p.log.tail(20))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if p.readyLog != "" {
			if strings.Contains(p.log.since(mark), p.readyLog) {
				return nil
			}
		} else if resp, err := client.Get(p.ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			what := "at " + p.ready
			if p.readyLog != "" {
				what = fmt.Sprintf("(no %q in its output)", p.readyLog)
			}
			return fmt.Errorf("receiver not ready %s after %s:\n%s", what, p.readyTimeout, p.log.tail(20))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (p *processReceiver) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	p.cmd = nil
	return nil
}

func (p *processReceiver) logTail(n int) string { return p.log.tail(n) }

// tailBuffer keeps the last lines a process wrote.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
	part  string
	max   int
	// written counts the lines ever completed, kept or dropped since.
	written int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	text := t.part + string(p)
	parts := strings.Split(text, "\n")
	t.part = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		t.lines = append(t.lines, l)
	}
	t.written += len(parts) - 1
	if len(t.lines) > t.max {
		t.lines = append(t.lines[:0:0], t.lines[len(t.lines)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) tail(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if t.part != "" {
		lines = append(append([]string(nil), lines...), t.part)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (t *tailBuffer) all() string { return t.tail(t.max) }

// mark is where the output is now, for since.
func (t *tailBuffer) mark() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.written
}

// since is what was written after mark (what is still kept of it): a
// receiver restarted by the scenario is ready when its new start says so,
// not its first.
func (t *tailBuffer) since(mark int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(max(t.written-mark, 0), len(t.lines))
	return strings.Join(t.lines[len(t.lines)-n:], "\n") + "\n" + t.part
}

// builtReceivers caches receivers built from source, once per process, in
// folders named after the process (sfemu-build-PID-…) so that
// CleanLeftovers can tell a dead process's from a live one's.
var (
	buildMu   sync.Mutex
	builtBin  = map[string]string{}
	buildDirs []string
)

func buildFolderPrefix() string { return fmt.Sprintf("sfemu-build-%d-", os.Getpid()) }

// RemoveBuilds removes the receivers this process built (sfemu run calls
// it when it ends).
func RemoveBuilds() {
	buildMu.Lock()
	defer buildMu.Unlock()
	for _, d := range buildDirs {
		os.RemoveAll(d)
	}
	buildDirs = nil
	clear(builtBin)
}

// removeBuildFolders removes build folders of processes that are gone (all
// but this process's, when onlyDead is false) and says how many.
func removeBuildFolders(onlyDead bool) int {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "sfemu-build-*"))
	n := 0
	for _, m := range matches {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(m), "sfemu-build-%d-", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		if onlyDead && runAlive(fmt.Sprintf("run-%d-0", pid)) {
			continue
		}
		if os.RemoveAll(m) == nil {
			n++
		}
	}
	return n
}

// BuildExampleReceiver builds the bundled example receiver once per process
// and returns the binary's path.
func BuildExampleReceiver() (string, error) {
	return buildGoPackage("github.com/sfemu/sfemu/examples/receiver")
}

func buildGoPackage(pkg string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := builtBin[pkg]; ok {
		return bin, nil
	}
	dir, err := os.MkdirTemp("", buildFolderPrefix())
	if err != nil {
		return "", err
	}
	buildDirs = append(buildDirs, dir)
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s (run from inside the sfemu module, or give a receiver command or URL): %v\n%s", pkg, err, out)
	}
	builtBin[pkg] = bin
	return bin, nil
}
