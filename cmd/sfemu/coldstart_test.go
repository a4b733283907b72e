package main

// BenchmarkColdStart measures how long `sfemu serve` takes from exec to a
// 200 on /_sfemu/health, next to a hello-world net/http server doing the
// same (testdata/hello), and reports the ratio (x-hello; the goal is
// under 2). The image runs the same binary. docs/PERFORMANCE.md has the
// figures; nothing here asserts a time.

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	// startTimeout bounds one start: banner plus a healthy answer.
	startTimeout = 5 * time.Second
	// pollInterval is the pause between health polls.
	pollInterval = 100 * time.Microsecond
)

func BenchmarkColdStart(b *testing.B) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("go is not on PATH: cannot build the binaries to start")
	}
	dir := b.TempDir()
	sfemu := filepath.Join(dir, "sfemu")
	hello := filepath.Join(dir, "hello")
	for _, build := range [][]string{{sfemu, "."}, {hello, "./testdata/hello"}} {
		cmd := exec.Command(goBin, "build", "-o", build[0], build[1])
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build -o %s %s: %v\n%s", build[0], build[1], err, out)
		}
	}
	// Interleaved, one hello-world start then one sfemu start: the ratio
	// compares starts made under the same conditions, whatever the
	// machine's load does meanwhile.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: startTimeout}
	var helloTotal, sfemuTotal time.Duration
	b.ResetTimer()
	for range b.N {
		h, err := startOnce(b, client, hello)
		if err != nil {
			b.Fatal(err)
		}
		s, err := startOnce(b, client, sfemu, "serve", "--listen", "127.0.0.1:0", "--log", "off")
		if err != nil {
			b.Fatal(err)
		}
		helloTotal, sfemuTotal = helloTotal+h, sfemuTotal+s
	}
	perStart := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(perStart(sfemuTotal), "sfemu-ms/start")
	b.ReportMetric(perStart(helloTotal), "hello-ms/start")
	b.ReportMetric(float64(sfemuTotal)/float64(helloTotal), "x-hello")
	b.ReportMetric(0, "ns/op") // the two starts' sum says nothing on its own
}

// startOnce runs bin until it is healthy, then kills it. The timer runs only
// from exec to health; the process is always killed and waited for.
func startOnce(b *testing.B, client *http.Client, bin string, args ...string) (time.Duration, error) {
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		b.StopTimer()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.StartTimer()
	}()
	deadline := start.Add(startTimeout)

	// The banner line names the base URL: "... serving on http://ADDR ...".
	baseCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok && strings.HasPrefix(rest, "http://") {
				base, _, _ := strings.Cut(rest, " ")
				baseCh <- base
				break
			}
		}
		close(baseCh)
		_, _ = io.Copy(io.Discard, stdout) // never let the child block on a full pipe
	}()
	var base string
	select {
	case base = <-baseCh:
		if base == "" {
			return 0, errors.New(bin + ": exited or closed stdout before printing \"serving on http://\"")
		}
	case <-time.After(time.Until(deadline)):
		return 0, errors.New(bin + ": no \"serving on http://\" line within " + startTimeout.String())
	}

	health := base + "/_sfemu/health"
	for {
		resp, err := client.Get(health)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New(resp.Status)
			}
			return 0, errors.New("GET " + health + ": not healthy within " + startTimeout.String() + ": " + err.Error())
		}
		time.Sleep(pollInterval)
	}
}
