// Package sfemucontainer starts sfemu, the local fake Salesforce, as a container
// from other projects' Go tests, in the style of a testcontainers-go module:
//
//	ctr, err := sfemucontainer.Run(ctx, "sfemu:dev", sfemucontainer.WithVirtualClock())
//	defer ctr.Terminate(ctx)
//	base, _ := ctr.BaseURL(ctx) // http://localhost:32768: token endpoint, REST API, control API
//
// It owns starting the emulator image, waiting until GET /_sfemu/health answers
// 200 (fixtures loaded), copying fixtures and their certificates in, and thin
// helpers over the control API (docs/CONTROL.md): the virtual clock, outbound
// sends and the delivery queue, token requests, reset; and https beside http
// for clients that need it (WithTLS, docs/TLS.md). It does not own the
// emulator's behaviour (package emulator) nor the scenario harness (package
// harness).
//
// The image is built locally, never pulled: no registry is needed or used.
// BuildImage compiles a static binary and builds build/sfemu.Dockerfile
// (FROM scratch) from a checkout of sfemu; docs/CONTAINERS.md shows the
// equivalent docker commands. Because the testcontainers reaper (Ryuk) is an
// image that would have to be pulled, Run and BuildImage set
// TESTCONTAINERS_RYUK_DISABLED=true unless it is already set (see
// PrepareEnvironment): terminate what you start (t.Cleanup or defer).
package sfemucontainer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/emulator/localca"
	"github.com/sfemu/sfemu/internal/safeyaml"
	"github.com/sfemu/sfemu/internal/userfile"
	"github.com/sfemu/sfemu/wire"
)

const (
	// Port is the emulator's port inside the container.
	Port = "8085/tcp"
	// TLSPort is WithTLS's https port inside the container.
	TLSPort = "8443/tcp"
	// HealthPath answers 200 once the fixtures are loaded.
	HealthPath = "/_sfemu/health"
	// LabelModule labels every container Run creates, with the value ModuleName,
	// so tests can prove none is left behind.
	LabelModule = "org.sfemu.module"
	// ModuleName is the value of LabelModule.
	ModuleName = "sfemucontainer"
	// LabelSession labels every container Run creates with SessionID(): the
	// containers of this process, as opposed to another test binary's.
	LabelSession = "org.sfemu.session"
	// FixtureDir is where WithFixture puts fixtures inside the container.
	FixtureDir = "/fixtures"
	// DefaultStartupTimeout bounds the wait for /_sfemu/health.
	DefaultStartupTimeout = 30 * time.Second
)

// sessionID identifies this process's containers (LabelSession).
var sessionID = strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)

// SessionID is the value of LabelSession on the containers this process starts.
func SessionID() string { return sessionID }

// PrepareEnvironment sets the two testcontainers-go settings this machine kind
// needs, each only when the caller has not set it; Run and BuildImage call it,
// and other code that uses testcontainers-go may call it first too:
//
//   - TESTCONTAINERS_RYUK_DISABLED=true: the reaper is an image that would have
//     to be pulled, and no registry is reachable. It must be set before
//     testcontainers-go first reads its configuration (once per process).
//   - TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1, when the Docker engine is local
//     (a unix socket) and its bridge interface docker0 is in this network
//     namespace, so published ports are on this loopback. Inside a container,
//     testcontainers-go would otherwise ask the bridge network for its
//     gateway; Docker 20.10 does not report one for the default bridge, and
//     the fallback, this container's default route, does not reach the ports.
func PrepareEnvironment() {
	if _, set := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !set {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if _, set := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !set && localEngine() {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}

// localEngine reports whether the Docker engine publishes ports on this
// network namespace's loopback: it is reached over a unix socket and its
// bridge is one of our interfaces.
func localEngine() bool {
	if h := os.Getenv("DOCKER_HOST"); h != "" && !strings.HasPrefix(h, "unix://") {
		return false
	}
	_, err := net.InterfaceByName("docker0")
	return err == nil
}

// Container is a running sfemu container.
type Container struct {
	testcontainers.Container
	http  *http.Client
	token string
}

// ControlTokenEnv is the variable that gives sfemu its control token.
const ControlTokenEnv = "SFEMU_CONTROL_TOKEN"

// ControlToken is the token the container's control API asks for under
// /_sfemu/ (but the health check): Run makes one per container unless
// WithControlToken chose it. Control and the helpers send it; a browser
// opens BaseURL + "/_sfemu/ui/?token=" + ControlToken() once. "" when
// WithControlToken("") asked for none.
func (c *Container) ControlToken() string { return c.token }

// WithControlToken gives the container this control token (at least 16
// characters; $SFEMU_CONTROL_TOKEN) instead of the random one Run makes for
// each container; "" serves the control API without one, as the image
// does by itself (SFEMU_CONTROL_OPEN=true), to anyone who reaches the
// published port — testcontainers-go publishes it on every interface of
// the host.
func WithControlToken(token string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if req.Env == nil {
			req.Env = map[string]string{}
		}
		req.Env[ControlTokenEnv] = token
		return nil
	}
}

// controlToken makes a token per container unless an option set one (or
// none); token learns which.
func controlToken(token *string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		for i, a := range req.Cmd {
			if a == "--control-token" && i+1 < len(req.Cmd) {
				*token = req.Cmd[i+1]
				return nil
			}
			if v, ok := strings.CutPrefix(a, "--control-token="); ok {
				*token = v
				return nil
			}
		}
		if v, set := req.Env[ControlTokenEnv]; set {
			*token = v
			return nil
		}
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		*token = "sfemucontainer-" + hex.EncodeToString(b)
		return WithControlToken(*token)(req)
	}
}

// Run starts the sfemu image (built locally, e.g. by BuildImage) and waits
// until /_sfemu/health answers 200. With no options it serves the embedded
// default org on the real clock. The module's defaults come first, then opts,
// so a caller's option wins (testcontainers.WithWaitStrategy replaces the
// health wait, for instance).
//
// If the container was created but did not become healthy, Run terminates it
// and returns an error that carries the end of its log (sfemu's own message,
// e.g. a fixture error with file:line:column).
func Run(ctx context.Context, image string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	PrepareEnvironment()
	defaults := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithLabels(map[string]string{LabelModule: ModuleName, LabelSession: sessionID}),
		testcontainers.WithWaitStrategy(wait.ForHTTP(HealthPath).WithPort(Port).
			WithPollInterval(25 * time.Millisecond).WithStartupTimeout(DefaultStartupTimeout)),
	}
	var token string
	opts = append(append(defaults, opts...), testcontainers.CustomizeRequestOption(tlsAliases), controlToken(&token))
	ctr, err := testcontainers.Run(ctx, image, opts...)
	if err != nil {
		if ctr != nil {
			err = withLogTail(ctr, err)
			if terr := terminate(ctr); terr != nil {
				err = errors.Join(err, fmt.Errorf("terminate the failed sfemu container: %w", terr))
			}
		}
		return nil, fmt.Errorf("run sfemu: %w", err)
	}
	return &Container{Container: ctr, http: &http.Client{Timeout: 60 * time.Second}, token: token}, nil
}

// withLogTail appends the last lines of a failed container's log to err.
func withLogTail(ctr testcontainers.Container, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, lerr := ctr.Logs(ctx)
	if lerr != nil {
		return err
	}
	defer rc.Close()
	data, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	logs := strings.TrimSpace(string(data))
	if logs == "" {
		return err
	}
	if len(logs) > 2000 {
		logs = "…" + logs[len(logs)-2000:]
	}
	return fmt.Errorf("%w\ncontainer log:\n%s", err, logs)
}

// terminate removes a container with a fresh deadline: the caller's context
// may be the one that expired.
func terminate(ctr testcontainers.Container) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return ctr.Terminate(ctx)
}

// WithFixture serves the org fixture at hostPath (`sfemu serve --org`). It
// copies the fixture into the container together with every certificate file
// it names (apps[].certificate), laid out so that relative paths such as
// `../keys/server.crt` still resolve; absolute certificate paths are copied to
// the same path in the container. Repeat it for several orgs. A certificate
// that does not exist is not copied: sfemu then reports it with file:line.
func WithFixture(hostPath string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		n := 0
		for _, a := range req.Cmd {
			if a == "--org" {
				n++
			}
		}
		inContainer, files, err := fixtureFiles(hostPath, path.Join(FixtureDir, strconv.Itoa(n)))
		if err != nil {
			return err
		}
		req.Files = append(req.Files, files...)
		req.Cmd = append(req.Cmd, "--org", inContainer)
		return nil
	}
}

// fixtureFiles lists the files the fixture at hostPath needs inside the
// container under dir, and where the fixture itself lands.
func fixtureFiles(hostPath, dir string) (string, []testcontainers.ContainerFile, error) {
	abs, err := filepath.Abs(hostPath)
	if err != nil {
		return "", nil, fmt.Errorf("fixture %s: %w", hostPath, err)
	}
	data, err := userfile.Read(abs, userfile.MaxYAML)
	if err != nil {
		return "", nil, fmt.Errorf("fixture: %w", err)
	}
	// Only the file references matter here; sfemu validates the rest.
	var refs struct {
		Apps []struct {
			Certificate string `yaml:"certificate"`
		} `yaml:"apps"`
	}
	_ = safeyaml.Unmarshal(abs, data, &refs) // a broken fixture is sfemu's to report, with its position

	fixtureDir := filepath.Dir(abs)
	root := fixtureDir
	var relative []string
	var files []testcontainers.ContainerFile
	seen := map[string]bool{}
	for _, app := range refs.Apps {
		ref := app.Certificate
		if ref == "" || seen[ref] {
			continue
		}
		seen[ref] = true
		if filepath.IsAbs(ref) || path.IsAbs(ref) {
			if fileExists(ref) {
				files = append(files, testcontainers.ContainerFile{HostFilePath: ref, ContainerFilePath: filepath.ToSlash(ref), FileMode: 0o644})
			}
			continue
		}
		host := filepath.Join(fixtureDir, filepath.FromSlash(ref))
		if !fileExists(host) {
			continue
		}
		relative = append(relative, host)
		root = commonDir(root, filepath.Dir(host))
	}
	place := func(host string) string {
		rel, _ := filepath.Rel(root, host)
		return path.Join(dir, filepath.ToSlash(rel))
	}
	inContainer := place(abs)
	files = append(files, testcontainers.ContainerFile{HostFilePath: abs, ContainerFilePath: inContainer, FileMode: 0o644})
	for _, host := range relative {
		files = append(files, testcontainers.ContainerFile{HostFilePath: host, ContainerFilePath: place(host), FileMode: 0o644})
	}
	return inContainer, files, nil
}

// fileExists reports a regular file: only those are copied into the
// container (copying /dev/zero would never end).
func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// commonDir is the deepest directory containing both absolute, clean paths.
func commonDir(a, b string) string {
	for {
		rel, err := filepath.Rel(a, b)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return a
		}
		parent := filepath.Dir(a)
		if parent == a {
			return a
		}
		a = parent
	}
}

// WithVirtualClock starts the emulator on the virtual clock (`--clock
// virtual`): time moves only through Advance.
func WithVirtualClock() testcontainers.CustomizeRequestOption {
	return WithArgs("--clock", "virtual")
}

// WithPublicURL sets the URL clients reach the emulator at (`--public-url`):
// what instance_url, identity URLs and outbound messages' EnterpriseUrl carry.
// Without it they carry http://0.0.0.0:8085, the container's own address; set
// it to an address your clients can resolve, e.g. http://sfemu:8085 on a
// Docker network where the container has the alias sfemu.
func WithPublicURL(url string) testcontainers.CustomizeRequestOption {
	return WithArgs("--public-url", url)
}

// WithTLS serves https beside http (`--tls-listen 0.0.0.0:8443`) for
// clients that refuse plain http, with a certificate from sfemu's local CA
// for localhost, 127.0.0.1, Salesforce's login hosts, the orgs' My Domains
// and the container's network aliases; add names with WithArgs("--tls-name",
// NAME). TLSBaseURL is where, TLSCA what to trust and TLSClient a client
// trusting it; the health check and the control API stay on http. The CA
// is made in the container at each start (docs/TLS.md).
func WithTLS() testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if err := testcontainers.WithExposedPorts(TLSPort)(req); err != nil {
			return err
		}
		req.Cmd = append(req.Cmd, "--tls-listen", "0.0.0.0:8443")
		return nil
	}
}

// tlsAliases puts the container's network aliases in WithTLS's
// certificate, so containers on its network can verify it by the name
// they use. It runs after every option, since network options may come
// after WithTLS.
func tlsAliases(req *testcontainers.GenericContainerRequest) error {
	if !slices.Contains(req.Cmd, "--tls-listen") {
		return nil
	}
	var names []string
	for _, aliases := range req.NetworkAliases {
		for _, a := range aliases {
			if n, err := localca.CheckName(a); err == nil && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	for _, n := range names {
		req.Cmd = append(req.Cmd, "--tls-name", n)
	}
	return nil
}

// WithArgs appends `sfemu serve` flags (see README.md), e.g.
// WithArgs("--log", "json", "--outbound-ports", "any"). Do not change
// --listen: the image listens on 0.0.0.0:8085.
func WithArgs(args ...string) testcontainers.CustomizeRequestOption {
	return testcontainers.WithCmdArgs(args...)
}

// BaseURL is where the host reaches the emulator: http://host:mappedPort. The
// token endpoint, the REST API and the control API all live under it.
func (c *Container) BaseURL(ctx context.Context) (string, error) {
	return c.PortEndpoint(ctx, Port, "http")
}

// TLSBaseURL is where the host reaches WithTLS's https listener:
// https://host:mappedPort.
func (c *Container) TLSBaseURL(ctx context.Context) (string, error) {
	return c.PortEndpoint(ctx, TLSPort, "https")
}

// TLSCA is the CA certificate (PEM) to trust for TLSBaseURL, fetched over
// http from GET /_sfemu/tls/ca.pem; an error without WithTLS.
func (c *Container) TLSCA(ctx context.Context) ([]byte, error) {
	ctl, err := c.Control(ctx)
	if err != nil {
		return nil, err
	}
	pemBytes, err := ctl.TLSCA(ctx)
	return pemBytes, named("GET /tls/ca.pem", err)
}

// TLSClient is an *http.Client that trusts the container's CA and no
// other, for TLSBaseURL.
func (c *Container) TLSClient(ctx context.Context) (*http.Client, error) {
	pemBytes, err := c.TLSCA(ctx)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("sfemu GET /tls/ca.pem: no PEM certificate in %q", pemBytes)
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}, nil
}

// Control is a typed client of the container's control API (docs/CONTROL.md):
// every operation of wire.Control — records, outbound sends and the
// delivery queue, token requests, Login History, faults, the clock, reset —
// sending the container's ControlToken.
func (c *Container) Control(ctx context.Context) (*control.Client, error) {
	base, err := c.BaseURL(ctx)
	if err != nil {
		return nil, fmt.Errorf("sfemu control API: %w", err)
	}
	return &control.Client{BaseURL: base, HTTP: c.http, Token: c.token}, nil
}

// Advance moves the virtual clock forward by d (POST /_sfemu/clock/advance),
// running every outbound retry that falls due on the way. It fails on the
// real clock: start the container WithVirtualClock.
func (c *Container) Advance(ctx context.Context, d time.Duration) error {
	ctl, err := c.Control(ctx)
	if err != nil {
		return err
	}
	_, err = ctl.Advance(ctx, wire.Advance{By: wire.Duration(d)})
	return named("POST /clock/advance", err)
}

// Send queues notifications of the outbound message definition named message
// for the given record ids (POST /_sfemu/outbound/{message}/send) and returns
// the notification ids.
func (c *Container) Send(ctx context.Context, message string, records ...string) ([]string, error) {
	ctl, err := c.Control(ctx)
	if err != nil {
		return nil, err
	}
	sent, err := ctl.SendOutbound(ctx, message, wire.Send{Records: records})
	return sent.Notifications, named("POST /outbound/"+message+"/send", err)
}

// Queue is the outbound delivery queue: notifications pending or in flight
// (GET /_sfemu/outbound/queue; docs/OUTBOUND.md).
func (c *Container) Queue(ctx context.Context) ([]wire.QueueEntry, error) {
	ctl, err := c.Control(ctx)
	if err != nil {
		return nil, err
	}
	q, err := ctl.Queue(ctx, false)
	return q, named("GET /outbound/queue", err)
}

// TokenRequests lists every token request since the start or the last Reset
// (GET /_sfemu/token-requests; docs/CONTROL.md).
func (c *Container) TokenRequests(ctx context.Context) ([]wire.TokenRequest, error) {
	ctl, err := c.Control(ctx)
	if err != nil {
		return nil, err
	}
	tr, err := ctl.TokenRequests(ctx)
	return tr, named("GET /token-requests", err)
}

// Reset reloads the fixtures (POST /_sfemu/reset): sessions, Login History,
// journals, queues and run-time changes are gone; the clock keeps its time.
func (c *Container) Reset(ctx context.Context) error {
	ctl, err := c.Control(ctx)
	if err != nil {
		return err
	}
	_, err = ctl.Reset(ctx)
	return named("POST /reset", err)
}

// named prefixes a control error with the call, as "sfemu POST /reset: HTTP 500: …".
func named(call string, err error) error {
	if err == nil {
		return nil
	}
	var ce *wire.Error
	if errors.As(err, &ce) {
		return fmt.Errorf("sfemu %s: HTTP %d: %s", call, ce.Status, ce.Message)
	}
	return fmt.Errorf("sfemu %s: %w", call, err)
}
