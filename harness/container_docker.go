//go:build !sfemu_nodocker

package harness

// The parts of the container receivers that talk to Docker, through
// testcontainers-go. A build with -tags sfemu_nodocker leaves them out
// (container_nodocker.go), and with them testcontainers-go's package
// initialisation, which every command of a binary pays at start-up: the
// image's sfemu is built that way (docs/PERFORMANCE.md, "Cold start").

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	nat "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
)

// dockerNetwork is the run's network; containerHandle a receiver's container.
type (
	dockerNetwork   = *testcontainers.DockerNetwork
	containerHandle = testcontainers.Container
)

// imageID is the id of the image a tag names ("" when none).
func imageID(ctx context.Context, tag string) string {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return ""
	}
	defer cli.Close()
	info, err := cli.ImageInspect(ctx, tag)
	if err != nil {
		return ""
	}
	return info.ID
}

func removeImage(ctx context.Context, id string) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return
	}
	defer cli.Close()
	_, _ = cli.ImageRemove(ctx, id, client.ImageRemoveOptions{})
}

func init() {
	// The reaper image cannot be pulled here; the harness removes what it creates.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// Keep testcontainers' progress lines out of reports; failures carry
	// the receiver's own log instead.
	tclog.SetDefault(tclog.NewNoopLogger())
}

func (ce *containerEnv) setUp(ctx context.Context) error {
	ce.once.Do(func() {
		nw, err := network.New(ctx, network.WithLabels(map[string]string{RunLabel: ce.runID}))
		if err != nil {
			ce.err = fmt.Errorf("create a Docker network for container receivers: %w", err)
			return
		}
		ce.network = nw
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			ce.err = err
			return
		}
		defer cli.Close()
		info, err := cli.NetworkInspect(ctx, nw.ID, clientNetworkInspectOptions())
		if err != nil {
			ce.err = fmt.Errorf("inspect network %s: %w", nw.Name, err)
			return
		}
		ce.gateway = networkGateway(info)
		if ce.gateway == "" {
			ce.err = fmt.Errorf("network %s has no IPv4 gateway", nw.Name)
		}
	})
	return ce.err
}

// close removes the run's network.
func (ce *containerEnv) close() {
	if ce.pool != nil {
		ce.pool.close()
	}
	if ce.network != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = ce.network.Remove(ctx)
	}
}

// dockerBuild builds an image with the Docker API (through testcontainers).
func dockerBuild(ctx context.Context, buildContext, dockerfile, tag string) error {
	rel, err := filepath.Rel(buildContext, dockerfile)
	if err != nil {
		return err
	}
	repo, version := tag, "latest"
	if i := strings.LastIndex(tag, ":"); i >= 0 {
		repo, version = tag[:i], tag[i+1:]
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	_, err = p.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: buildContext, Dockerfile: rel, Repo: repo, Tag: version, KeepImage: true,
	}})
	if err != nil {
		return fmt.Errorf("build image %s from %s: %w", tag, dockerfile, err)
	}
	return nil
}

// DockerAvailable reports whether a Docker engine answers.
func DockerAvailable(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, clientPingOptions())
	return err
}

func (c *containerReceiver) start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sink.Store(c.log)
	if c.ctr != nil {
		if c.running {
			// Kept running from the last scenario (ReuseRunning): its ready
			// line is in that scenario's log, so only an HTTP check is left.
			if c.readyLog == "" {
				return c.waitHTTP(ctx)
			}
			return nil
		}
		// Restart after a stop: same container, same published port; its
		// output from now on.
		since, mark := time.Now(), c.log.mark()
		if err := c.ctr.Start(ctx); err != nil {
			return err
		}
		c.running = true
		c.follow(since)
		return c.waitReady(ctx, mark)
	}
	portSpec := fmt.Sprintf("%d/tcp", c.port)
	var files []testcontainers.ContainerFile
	if c.keysDir != "" {
		staged, cleanup, err := stageKeys(c.keysDir)
		if err != nil {
			return err
		}
		defer cleanup()
		// One directory, one archive, one Docker API call: testcontainers-go
		// copies each ContainerFile on its own (and reconnects after each),
		// six key files a scenario cost ≈ 0.75 s, the directory ≈ 0.15 s.
		// Its directory copy gives every entry the one mode: 0755, so the
		// directory can be entered by the receiver's user.
		if staged != "" {
			files = append(files, testcontainers.ContainerFile{HostFilePath: staged, ContainerFilePath: "/keys", FileMode: 0o755})
		}
	}
	hostPort := strconv.Itoa(c.hostPort)
	// Readiness is checked here, not by a testcontainers wait strategy: over
	// HTTP on 127.0.0.1 where the port is published (testcontainers' own
	// HTTP wait may try "localhost" over IPv6), and a ready line only in
	// what the container wrote since this start (a restarted container's
	// log holds its earlier runs' lines too).
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        c.image,
			Env:          c.env,
			ExposedPorts: []string{portSpec},
			Networks:     []string{c.network},
			Labels:       map[string]string{RunLabel: c.runID},
			Files:        files,
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.PortBindings = nat.PortMap{nat.MustParsePort(portSpec): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hostPort}}}
			},
		},
		Started: true,
	}
	since, mark := time.Now(), c.log.mark()
	ctr, err := testcontainers.GenericContainer(ctx, req)
	if ctr != nil {
		c.ctr = ctr
		c.running = true
		c.follow(since)
	}
	if err != nil {
		return fmt.Errorf("start receiver container %s: %w\n%s", c.image, err, c.log.tail(20))
	}
	return c.waitReady(ctx, mark)
}

// started reports whether the receiver's container was made and runs (or
// was stopped by a step of the scenario): one a next scenario can reuse.
func (c *containerReceiver) started() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctr != nil
}

// follow copies what the container writes from since on into the sink,
// until the container stops (Docker ends the stream then).
func (c *containerReceiver) follow(since time.Time) {
	id := c.ctr.GetContainerID()
	go func() {
		ctx := context.Background()
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			return
		}
		defer cli.Close()
		rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true,
			Since: fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())})
		if err != nil {
			return
		}
		defer rc.Close()
		w := sinkWriter{c}
		_, _ = stdcopy.StdCopy(w, w, rc)
	}()
}

// sinkWriter writes to the log of the run using the container now.
type sinkWriter struct{ c *containerReceiver }

func (w sinkWriter) Write(p []byte) (int, error) {
	if b := w.c.sink.Load(); b != nil {
		return b.Write(p)
	}
	return len(p), nil
}

// waitReady waits for the container's ready line (in what it wrote after
// mark) or readiness path.
func (c *containerReceiver) waitReady(ctx context.Context, mark int) error {
	if c.readyLog == "" {
		return c.waitHTTP(ctx)
	}
	deadline := time.Now().Add(c.readyTimeout)
	for !strings.Contains(c.log.since(mark), c.readyLog) {
		if time.Now().After(deadline) {
			return fmt.Errorf("receiver container %s did not log %q within %s:\n%s", c.image, c.readyLog, c.readyTimeout, c.log.tail(20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func (c *containerReceiver) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	timeout := 2 * time.Second
	err := c.ctr.Stop(ctx, &timeout)
	if err == nil {
		c.running = false
	}
	return err
}

// terminate removes the container for good.
func (c *containerReceiver) terminate() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.ctr.Terminate(ctx)
	c.ctr, c.running = nil, false
	return err
}

// Leftovers lists the containers and networks harness runs created that
// still exist (a killed run cannot clean up after itself; there is no
// reaper) — those of one run when runID is set — and with remove, removes
// them. With onlyDead it leaves alone what runs whose process is still
// alive made (a run's id names its process: run-PID-…).
func Leftovers(ctx context.Context, runID string, remove, onlyDead bool) (containers, networks []string, err error) {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cli.Close()
	label := RunLabel
	if runID != "" {
		label += "=" + runID
	}
	filter := client.Filters{}.Add("label", label)
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cs.Items {
		if onlyDead && runAlive(c.Labels[RunLabel]) {
			continue
		}
		containers = append(containers, c.ID)
		if remove {
			if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
				return containers, networks, err
			}
		}
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return containers, nil, err
	}
	for _, n := range ns.Items {
		if onlyDead && runAlive(n.Labels[RunLabel]) {
			continue
		}
		networks = append(networks, n.ID)
		if remove {
			if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
				return containers, networks, err
			}
		}
	}
	return containers, networks, nil
}

func clientNetworkInspectOptions() client.NetworkInspectOptions {
	return client.NetworkInspectOptions{}
}

func clientPingOptions() client.PingOptions { return client.PingOptions{} }

// networkGateway is the IPv4 gateway of a network: the host's address on it.
func networkGateway(info client.NetworkInspectResult) string {
	for _, cfg := range info.Network.IPAM.Config {
		if cfg.Gateway.Is4() {
			return cfg.Gateway.String()
		}
	}
	return ""
}

// CleanLeftovers removes what killed runs left behind: their containers and
// networks, the temporary folders they built receivers in, and dangling
// images sfemu built. Without force it leaves alone what runs still alive
// made.
func CleanLeftovers(ctx context.Context, force bool) (Cleaned, error) {
	var c Cleaned
	c.Folders = removeBuildFolders(!force)
	containers, networks, err := Leftovers(ctx, "", true, !force)
	c.Containers, c.Networks = len(containers), len(networks)
	if err != nil {
		return c, err
	}
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return c, err
	}
	defer cli.Close()
	images, err := cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("label", ImageLabel).Add("dangling", "true")})
	if err != nil {
		return c, err
	}
	for _, img := range images.Items {
		if _, err := cli.ImageRemove(ctx, img.ID, client.ImageRemoveOptions{}); err == nil {
			c.Images++
		}
	}
	return c, nil
}

// imageExists refuses an image the local engine does not have, saying how
// to build it.
func imageExists(ctx context.Context, image string) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return &PreflightError{err.Error()}
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		return &PreflightError{fmt.Sprintf("the receiver image %q is not in the local Docker engine, and sfemu pulls nothing: build it first, e.g. docker build -t %s .", image, image)}
	}
	return nil
}

// networkName is the run's Docker network.
func (ce *containerEnv) networkName() string { return ce.network.Name }

// containerID is the receiver's container (call with c.mu held).
func (c *containerReceiver) containerID() string { return c.ctr.GetContainerID() }

// stageKeys copies the test keys and certificates of dir (*.key, *.crt)
// into a new temporary directory named keys, for one copy into a
// container's /keys; "" when there are none. cleanup removes what it made.
func stageKeys(dir string) (staged string, cleanup func(), err error) {
	cleanup = func() {}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", cleanup, fmt.Errorf("read the test keys: %w", err)
	}
	parent, err := os.MkdirTemp("", "sfemu-keys-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(parent) }
	staged = filepath.Join(parent, "keys")
	if err := os.Mkdir(staged, 0o755); err != nil {
		return "", cleanup, err
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || (filepath.Ext(e.Name()) != ".key" && filepath.Ext(e.Name()) != ".crt") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", cleanup, fmt.Errorf("read the test keys: %w", err)
		}
		if err := os.WriteFile(filepath.Join(staged, e.Name()), data, 0o644); err != nil {
			return "", cleanup, err
		}
		n++
	}
	if n == 0 {
		return "", cleanup, nil
	}
	return staged, cleanup, nil
}
