package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"
	nat "github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// ContainerSpec runs the receiver as a container (testcontainers-go): an
// image built beforehand, or a Dockerfile built once per run.
type ContainerSpec struct {
	// Image to run, e.g. "acme/receiver:dev" (built locally: no registry).
	Image string `yaml:"image"`
	// Dockerfile and Context build the image instead (relative to the scenario).
	Dockerfile string `yaml:"dockerfile"`
	Context    string `yaml:"context"`
	// Port the receiver listens on inside the container (default 8086).
	Port int `yaml:"port"`
	// ReadyLog waits for this text in the log instead of an HTTP readiness path.
	ReadyLog string `yaml:"ready_log"`
}

// ExampleReceiverImage is the tag the bundled receiver's image gets.
const ExampleReceiverImage = "sfemu-example-receiver:dev"

// ImageLabel marks the images sfemu builds (the bundled receivers'), so
// sfemu run --clean can find the ones left dangling.
const ImageLabel = "org.sfemu.image"

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

// RunLabel marks every container and network a harness run creates, with
// the run's id as its value, so leftovers can be found (there is no reaper
// on this kind of machine).
const RunLabel = "org.sfemu.harness"

// containerEnv is what container receivers of one run share: a Docker
// network the run creates (the emulator listens on its gateway, so the
// receiver reaches the emulator and nothing else is exposed) and the images
// built for the run.
type containerEnv struct {
	runID   string
	once    sync.Once
	err     error
	network *testcontainers.DockerNetwork
	gateway string

	mu     sync.Mutex
	images map[string]string // dockerfile path → built tag
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
	if ce.network != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = ce.network.Remove(ctx)
	}
}

// image returns the spec's image, building a Dockerfile once per run.
func (ce *containerEnv) image(ctx context.Context, spec *ContainerSpec, scenarioDir string) (string, error) {
	if spec.Image != "" && spec.Dockerfile == "" {
		return spec.Image, nil
	}
	dockerfile := spec.Dockerfile
	if !filepath.IsAbs(dockerfile) {
		dockerfile = filepath.Join(scenarioDir, dockerfile)
	}
	buildContext := spec.Context
	if buildContext == "" {
		buildContext = filepath.Dir(dockerfile)
	} else if !filepath.IsAbs(buildContext) {
		buildContext = filepath.Join(scenarioDir, buildContext)
	}
	ce.mu.Lock()
	defer ce.mu.Unlock()
	if tag, ok := ce.images[dockerfile]; ok {
		return tag, nil
	}
	tag := spec.Image
	if tag == "" {
		tag = "sfemu-scenario-receiver:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if err := dockerBuild(ctx, buildContext, dockerfile, tag); err != nil {
		return "", err
	}
	if ce.images == nil {
		ce.images = map[string]string{}
	}
	ce.images[dockerfile] = tag
	return tag, nil
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

// BuildExampleReceiverImage builds the bundled receiver's image FROM
// scratch with a static binary, once per process.
func BuildExampleReceiverImage(ctx context.Context) (string, error) {
	buildMu.Lock()
	if tag, ok := builtBin["image:"+ExampleReceiverImage]; ok {
		buildMu.Unlock()
		return tag, nil
	}
	buildMu.Unlock()
	bin, err := BuildExampleReceiver()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "sfemu-receiver-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "receiver"), data, 0o755); err != nil {
		return "", err
	}
	dockerfile := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(dockerfile, []byte("FROM scratch\nCOPY receiver /receiver\nEXPOSE 8086\nLABEL "+ImageLabel+"=example-receiver\nENTRYPOINT [\"/receiver\"]\n"), 0o644); err != nil {
		return "", err
	}
	previous := imageID(ctx, ExampleReceiverImage)
	if err := dockerBuild(ctx, dir, dockerfile, ExampleReceiverImage); err != nil {
		return "", err
	}
	// The image the tag named before is dangling now: remove it, so runs do
	// not pile up images (it stays if a container still uses it).
	if previous != "" && previous != imageID(ctx, ExampleReceiverImage) {
		removeImage(ctx, previous)
	}
	buildMu.Lock()
	builtBin["image:"+ExampleReceiverImage] = ExampleReceiverImage
	buildMu.Unlock()
	return ExampleReceiverImage, nil
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

// containerReceiver runs the receiver in a container on the run's network,
// its port published on 127.0.0.1 at a fixed host port (so a stop and start
// keep the endpoint), the test keys copied to /keys, its log captured.
type containerReceiver struct {
	image    string
	port     int // inside the container
	hostPort int
	env      map[string]string
	// readyTimeout bounds the wait for ready or readyLog.
	readyTimeout time.Duration
	ready        string
	readyLog     string
	network      string
	runID        string
	keysDir      string
	url          string
	log          *tailBuffer

	mu  sync.Mutex
	ctr testcontainers.Container
}

func (c *containerReceiver) endpoint() string     { return c.url }
func (c *containerReceiver) logTail(n int) string { return c.log.tail(n) }

type logSink struct{ buf *tailBuffer }

func (l logSink) Accept(entry testcontainers.Log) { _, _ = l.buf.Write(entry.Content) }

func (c *containerReceiver) start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctr != nil {
		// Restart after a stop: same container, same published port.
		if err := c.ctr.Start(ctx); err != nil {
			return err
		}
		if c.readyLog == "" {
			return c.waitHTTP(ctx)
		}
		return nil
	}
	portSpec := fmt.Sprintf("%d/tcp", c.port)
	// Readiness over HTTP is polled here, on 127.0.0.1 where the port is
	// published (testcontainers' own HTTP wait may try "localhost" over IPv6).
	var strategy wait.Strategy
	if c.readyLog != "" {
		strategy = wait.ForLog(c.readyLog).WithStartupTimeout(c.readyTimeout).WithPollInterval(10 * time.Millisecond)
	}
	var files []testcontainers.ContainerFile
	if c.keysDir != "" {
		entries, _ := os.ReadDir(c.keysDir)
		for _, e := range entries {
			if !e.IsDir() && (filepath.Ext(e.Name()) == ".key" || filepath.Ext(e.Name()) == ".crt") {
				files = append(files, testcontainers.ContainerFile{HostFilePath: filepath.Join(c.keysDir, e.Name()),
					ContainerFilePath: "/keys/" + e.Name(), FileMode: 0o644})
			}
		}
	}
	hostPort := strconv.Itoa(c.hostPort)
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        c.image,
			Env:          c.env,
			ExposedPorts: []string{portSpec},
			Networks:     []string{c.network},
			Labels:       map[string]string{RunLabel: c.runID},
			Files:        files,
			WaitingFor:   strategy,
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.PortBindings = nat.PortMap{nat.MustParsePort(portSpec): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hostPort}}}
			},
			LogConsumerCfg: &testcontainers.LogConsumerConfig{Consumers: []testcontainers.LogConsumer{logSink{c.log}}},
		},
		Started: true,
	}
	ctr, err := testcontainers.GenericContainer(ctx, req)
	if ctr != nil {
		c.ctr = ctr
	}
	if err != nil {
		return fmt.Errorf("start receiver container %s: %w\n%s", c.image, err, c.log.tail(20))
	}
	if c.readyLog == "" {
		return c.waitHTTP(ctx)
	}
	return nil
}

// waitHTTP polls the readiness path on the published port.
func (c *containerReceiver) waitHTTP(ctx context.Context) error {
	url := fmt.Sprintf("http://127.0.0.1:%d%s", c.hostPort, c.ready)
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(c.readyTimeout)
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("receiver container %s not ready at %s after %s:\n%s", c.image, url, c.readyTimeout, c.log.tail(20))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
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
	return c.ctr.Stop(ctx, &timeout)
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
	c.ctr = nil
	return err
}

// listenOn opens the emulator's listener where a container can reach it.
func listenOn(host string) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
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

// runAlive reports whether the process a run id names (run-PID-…) still
// runs on this machine; an id of another form counts as alive, so only
// --force removes what sfemu cannot place.
func runAlive(runID string) bool {
	var pid int
	var nanos int64
	if _, err := fmt.Sscanf(runID, "run-%d-%d", &pid, &nanos); err != nil || pid <= 0 {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
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

// Cleaned is what CleanLeftovers removed.
type Cleaned struct {
	Containers, Networks, Images, Folders int
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
