package sfemucontainer

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"

	"github.com/sfemu/sfemu/harness"
)

// TestCatalogueDrivesTheImage: sfemu run --emulator drives the sfemu image
// from build/ running as a container (as a CI service container would be)
// through the whole catalogue: each story loads its org there through the
// control API and starts its virtual clock afresh, the receiver runs on this
// machine at its address on the container's network, and the emulator
// sends to its own test receiver at the address it has inside.
func TestCatalogueDrivesTheImage(t *testing.T) {
	t.Parallel()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ctx := context.Background()
	nw, err := tcnetwork.New(ctx, tcnetwork.WithLabels(map[string]string{LabelModule: ModuleName, LabelSession: SessionID()}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nw.Remove(context.Background()) })
	gateway := gatewayOf(t, nw.ID)
	port := freeLoopbackPort(t)
	public := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctr := start(t, tcnetwork.WithNetwork([]string{"sfemu"}, nw), WithVirtualClock(), WithPublicURL(public),
		WithArgs("--outbound-ports", "any", "--session-id-over-http"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort("8085/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}}}
		}))
	results, err := harness.Run(ctx, harness.Options{EmulatorURL: public, EmulatorSelf: "http://127.0.0.1:8085", ReceiverHost: gateway,
		ControlToken: ctr.ControlToken()}, "../scenarios")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 39 {
		t.Fatalf("%d runs, want the whole catalogue", len(results))
	}
	for _, r := range results {
		if r.Outcome != harness.Passed {
			t.Errorf("%s: %s against the image:\n%s", r.Name(), r.Outcome, r.Failure)
		}
	}
}

// gatewayOf is this machine's IPv4 address on a Docker network.
func gatewayOf(t *testing.T, id string) string {
	t.Helper()
	cli, err := testcontainers.NewDockerClientWithOpts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	info, err := cli.NetworkInspect(context.Background(), id, client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range info.Network.IPAM.Config {
		if cfg.Gateway.Is4() {
			return cfg.Gateway.String()
		}
	}
	t.Fatalf("network %s has no IPv4 gateway", id)
	return ""
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := strings.Cut(l.Addr().String(), ":")
	n, _ := strconv.Atoi(p)
	return n
}
