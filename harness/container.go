package harness

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
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
	network dockerNetwork
	gateway string

	mu     sync.Mutex
	images map[string]string // dockerfile path → built tag

	// pool holds the containers scenarios reuse (container_pool.go).
	pool *containerPool
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
	ctr containerHandle
	// running: started and not stopped since.
	running bool
	// sink is where the container's output goes: the log of the run that
	// uses the container now.
	sink atomic.Pointer[tailBuffer]
}

func (c *containerReceiver) endpoint() string { return c.url }
func (c *containerReceiver) logTail(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.tail(n)
}

// sameAs reports whether o would be made exactly as c was: the same image,
// ports, environment, keys and readiness check, so c can serve o's run.
func (c *containerReceiver) sameAs(o *containerReceiver) bool {
	return c.image == o.image && c.port == o.port && c.hostPort == o.hostPort && maps.Equal(c.env, o.env) &&
		c.ready == o.ready && c.readyLog == o.readyLog && c.network == o.network && c.keysDir == o.keysDir &&
		c.readyTimeout == o.readyTimeout
}

// reuse points the container at a new run: its output to that run's log.
func (c *containerReceiver) reuse(log *tailBuffer, url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.log, c.url = log, url
	c.sink.Store(log)
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

// listenOn opens the emulator's listener where a container can reach it.
func listenOn(host string) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
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

// Cleaned is what CleanLeftovers removed.
type Cleaned struct {
	Containers, Networks, Images, Folders int
}
