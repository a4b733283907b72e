package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"time"
)

// PreflightError is a receiver that cannot run at all: one message before
// any scenario, instead of the same failure in every run.
type PreflightError struct{ Msg string }

func (e *PreflightError) Error() string { return "preflight: " + e.Msg }

// Preflight checks the run's receiver once before any scenario: a local
// image exists (sfemu pulls nothing), a command exists, a URL answers, and
// the receiver started against an emulator with the default org becomes
// ready within the timeout at the ready path the run gives.
func Preflight(ctx context.Context, opts Options) error {
	probe := &Scenario{Name: "preflight", File: "preflight", Org: OrgSpec{Fixture: "default"}, Phases: []string{PhaseRemoved},
		lines: func(string) int { return 0 }}
	r := &run{sc: probe, phase: PhaseRemoved, opts: opts, names: map[string]string{}, objects: map[string]string{}}
	spec := r.receiverSpec()
	r.profile = opts.profileFor(spec)
	switch {
	case spec.URL != "":
		return checkURL(ctx, spec.URL)
	case spec.Container != nil:
		if err := DockerAvailable(ctx); err != nil {
			return &PreflightError{fmt.Sprintf("a container receiver needs a Docker engine, and none answers: %v", err)}
		}
		if img := spec.Container.Image; img != "" && img != "example" && spec.Container.Dockerfile == "" {
			if err := imageExists(ctx, img); err != nil {
				return err
			}
		}
	case len(spec.Command) > 0:
		if strings.Contains(spec.Command[0], "{{") {
			break
		}
		if _, err := exec.LookPath(spec.Command[0]); err != nil {
			return &PreflightError{fmt.Sprintf("the receiver command %q cannot be run: %v", spec.Command[0], err)}
		}
	}
	opts, cleanup := opts.withContainers()
	defer cleanup()
	r.opts = opts
	defer r.close()
	if err := r.setUp(ctx, spec); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "not ready") {
			msg += "\n(give the path it answers 200 at with --ready PATH, or --ready log:TEXT to wait for a line of its output; " +
				"where it takes messages with --endpoint-path, and a container's port with --port — docs/RECEIVERS.md)"
		}
		if r.rcv != nil && !strings.Contains(msg, "not ready") && !strings.Contains(msg, "receiver exited") {
			msg += "\n\nreceiver log (last lines):\n" + indent(r.rcv.logTail(25))
		}
		return &PreflightError{"the receiver did not start: " + msg}
	}
	return nil
}

// checkURL dials a url: receiver's host.
func checkURL(ctx context.Context, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return &PreflightError{fmt.Sprintf("--receiver url:%s is not an http(s) URL", endpoint)}
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"https": "443"}[u.Scheme]+map[string]string{"http": "80"}[u.Scheme])
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || strings.Contains(err.Error(), "refused") {
			return &PreflightError{fmt.Sprintf("nothing answers at %s (%v): start the receiver first, configured with the emulator's address (--emulator-listen)", endpoint, err)}
		}
		return &PreflightError{err.Error()}
	}
	return conn.Close()
}
