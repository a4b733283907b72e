package scenarios

import (
	"context"
	"os"
	"testing"

	"github.com/sfemu/sfemu/harness"
)

// TestCatalogueInContainers runs part of the catalogue with the bundled
// receiver as a container (testcontainers-go, an image built FROM scratch
// once per run): both directions across the run's Docker network, a stop
// and start of the container, the scenario's receiver.env, the harness's
// own OAuth client reaching the emulator on the network's gateway, and the
// container's log in failure reports. With CI=true a missing Docker engine
// fails the test; elsewhere it skips.
func TestCatalogueInContainers(t *testing.T) {
	if err := harness.DockerAvailable(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and no Docker engine answers: %v", err)
		}
		t.Skipf("no Docker engine: %v", err)
	}
	opts := harness.Options{RunID: "scenarios-in-containers", Receiver: &harness.ReceiverSpec{Container: &harness.ContainerSpec{Image: "example"}}}
	// Registered first, so it runs after the run's own clean-up.
	t.Cleanup(func() {
		containers, networks, err := harness.Leftovers(context.Background(), opts.RunID, false, false)
		if err != nil {
			t.Errorf("listing leftovers: %v", err)
		}
		if len(containers)+len(networks) > 0 {
			t.Errorf("the run left %d containers and %d networks behind", len(containers), len(networks))
		}
	})
	harness.RunTests(t, opts, "session-id", "auth-errors/invalid-app-access.yaml", "delivery/receiver-down-then-back.yaml",
		"oauth/redirect-uri-mismatch.yaml", "oauth/receiver-with-trailing-slash-audience.yaml")
}
