package sfemucontainer

import (
	"context"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sfemu/sfemu/control"
)

const envTestToken = "sfemucontainer-env-test-token"

// TestConfiguredByEnvironmentAlone is the image as a CI `services:`
// container, which takes no arguments: every setting from a variable,
// the listener on another port, and Docker's own health check following it.
func TestConfiguredByEnvironmentAlone(t *testing.T) {
	t.Parallel()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ctx := context.Background()
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithLabels(map[string]string{LabelModule: ModuleName, LabelSession: SessionID()}),
		testcontainers.WithExposedPorts("9000/tcp"),
		testcontainers.WithEnv(map[string]string{
			"SFEMU_LISTEN":      "0.0.0.0:9000",
			"SFEMU_CLOCK_START": "2026-02-20T09:00:00Z",
			"SFEMU_ENDPOINT":    "http://receiver:8086/outbound",
			"SFEMU_PUBLIC_URL":  "http://sfemu:9000",
			// Published on every interface: the control API asks for a token.
			"SFEMU_CONTROL_TOKEN": envTestToken,
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP(HealthPath).WithPort("9000/tcp").WithPollInterval(25*time.Millisecond).WithStartupTimeout(DefaultStartupTimeout)),
	)
	if ctr != nil {
		t.Cleanup(func() {
			if err := ctr.Terminate(context.Background()); err != nil {
				t.Errorf("terminate: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	base, err := ctr.PortEndpoint(ctx, "9000/tcp", "http")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := control.New(base).Clock(ctx); err == nil {
		t.Error("GET /_sfemu/clock without $SFEMU_CONTROL_TOKEN's token answered")
	}
	c := control.WithToken(base, envTestToken)
	clk, err := c.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if clk.Mode != "virtual" || !clk.Now.Equal(time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("clock %+v, want virtual at 2026-02-20T09:00:00Z ($SFEMU_CLOCK_START)", clk)
	}
	msgs, err := c.OutboundMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].EndpointURL != "http://receiver:8086/outbound" {
		t.Errorf("outbound messages %+v, want the default org's at $SFEMU_ENDPOINT", msgs)
	}

	deadline := time.Now().Add(15 * time.Second)
	for {
		state, err := ctr.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if state.Health != nil && state.Health.Status == "healthy" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Docker health %+v after 15s with SFEMU_LISTEN=0.0.0.0:9000, want healthy: `sfemu health` follows $SFEMU_LISTEN", state.Health)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
