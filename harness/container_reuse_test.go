//go:build !sfemu_nodocker

package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// TestContainerReceiversAreReusedAcrossScenarios: what Docker does for a
// run of scenarios whose receiver environment is the same, in each reuse
// mode — counted from the engine's own events for the run's containers.
func TestContainerReceiversAreReusedAcrossScenarios(t *testing.T) {
	ctx := context.Background()
	if err := DockerAvailable(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no Docker engine answers: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	sameEnv := []string{"../scenarios/oauth/client-credentials-on-login-host.yaml", "../scenarios/oauth/client-credentials-on-my-domain.yaml",
		"../scenarios/oauth/refresh-token-expired-by-policy.yaml"}
	// The middle scenario names its own audience in the receiver's env.
	alternating := []string{"../scenarios/oauth/client-credentials-on-login-host.yaml", "../scenarios/oauth/receiver-with-trailing-slash-audience.yaml",
		"../scenarios/oauth/client-credentials-on-my-domain.yaml", "../scenarios/oauth/refresh-token-expired-by-policy.yaml"}
	cases := []struct {
		name      string
		reuse     ContainerReuse
		ready     string
		scenarios []string
		// want counts the run's container events: create, start, destroy.
		want string
	}{
		{"by default one container serves every scenario, started afresh for each", "", "", sameEnv, "create=1 start=3 destroy=1"},
		{"restart: the same, and a ready line is awaited in this start's output", ReuseRestart, "log:msg=listening", sameEnv, "create=1 start=3 destroy=1"},
		{"running: one container, one process, for the whole run", ReuseRunning, "", sameEnv, "create=1 start=1 destroy=1"},
		{"none: a container per scenario", ReuseNone, "", sameEnv, "create=3 start=3 destroy=3"},
		{"a scenario with its own environment gets its own container, and the others keep theirs", ReuseRunning, "", alternating, "create=2 start=2 destroy=2"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{RunID: fmt.Sprintf("harness-test-reuse-%d-%d", os.Getpid(), i), Parallel: 1, ContainerReuse: tc.reuse,
				Receiver: &ReceiverSpec{Container: &ContainerSpec{Image: "example"}, Ready: tc.ready}}
			since := time.Now()
			results, err := Run(ctx, opts, tc.scenarios...)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if !r.Passed {
					t.Errorf("%s: %s\n%s", r.Name(), r.Outcome, r.Failure)
				}
			}
			if got := containerEvents(t, opts.RunID, since); got != tc.want {
				t.Errorf("container events: got %s, want %s", got, tc.want)
			}
			containers, networks, err := Leftovers(ctx, opts.RunID, false, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(containers)+len(networks) > 0 {
				t.Errorf("the run left %d containers and %d networks behind", len(containers), len(networks))
			}
		})
	}
}

// containerEvents counts the create, start and destroy events of the
// run's containers since then.
func containerEvents(t *testing.T, runID string, since time.Time) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	res := cli.Events(ctx, client.EventsListOptions{
		Since:   fmt.Sprint(since.Unix()),
		Until:   fmt.Sprint(time.Now().Add(time.Second).Unix()),
		Filters: client.Filters{}.Add("label", RunLabel+"="+runID).Add("type", "container"),
	})
	counts := map[string]int{}
	for {
		select {
		case m := <-res.Messages:
			counts[string(m.Action)]++
		case err := <-res.Err:
			if err != nil && !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("docker events: %v", err)
			}
			return fmt.Sprintf("create=%d start=%d destroy=%d", counts["create"], counts["start"], counts["destroy"])
		}
	}
}
