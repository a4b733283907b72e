package sfemucontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/sfemu/sfemu/jwtbearer"
	"github.com/sfemu/sfemu/wire"
)

// testImage is built once in TestMain and shared by every test. Its tag is
// this process's own, so that concurrent test runs never remove each other's.
var testImage = "sfemu:sfemucontainer-test-" + SessionID()

// skipReason is set when no Docker engine is reachable outside CI.
var skipReason string

// image is the name BuildImage returned.
var image string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	PrepareEnvironment()
	ctx := context.Background()
	if err := dockerReachable(ctx); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "sfemucontainer: CI=true and no Docker engine is reachable: %v\n", err)
			return 1
		}
		skipReason = fmt.Sprintf("no Docker engine is reachable (%v): skipping the container tests; with CI=true this fails", err)
		return m.Run()
	}
	start := time.Now()
	img, err := BuildImage(ctx, "..", testImage)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sfemucontainer: %v\n", err)
		return 1
	}
	image = img
	fmt.Fprintf(os.Stderr, "sfemucontainer: built %s in %d ms\n", img, time.Since(start).Milliseconds())

	code := m.Run()

	leftovers, err := sessionContainers(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sfemucontainer: listing containers: %v\n", err)
		code = 1
	}
	if len(leftovers) > 0 {
		fmt.Fprintf(os.Stderr, "sfemucontainer: %d container(s) labelled %s=%s, %s=%s remain after the tests: %v (removing them)\n",
			len(leftovers), LabelModule, ModuleName, LabelSession, SessionID(), leftovers)
		removeContainers(ctx, leftovers)
		code = 1
	}
	if err := removeImage(ctx, img); err != nil {
		fmt.Fprintf(os.Stderr, "sfemucontainer: removing %s: %v\n", img, err)
	}
	return code
}

func dockerReachable(ctx context.Context) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return p.Health(ctx)
}

// sessionContainers lists this process's containers, in any state.
func sessionContainers(ctx context.Context) ([]string, error) {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return nil, err
	}
	defer p.Close()
	f := make(client.Filters).Add("label", LabelModule+"="+ModuleName, LabelSession+"="+SessionID())
	res, err := p.Client().ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range res.Items {
		ids = append(ids, c.ID[:12])
	}
	return ids, nil
}

func removeContainers(ctx context.Context, ids []string) {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return
	}
	defer p.Close()
	for _, id := range ids {
		_, _ = p.Client().ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
}

func removeImage(ctx context.Context, img string) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	_, err = p.Client().ImageRemove(ctx, img, client.ImageRemoveOptions{PruneChildren: true})
	return err
}

// start runs the image with opts, terminates it when the test ends, and logs
// how long it took to become healthy.
func start(t *testing.T, opts ...testcontainers.ContainerCustomizer) *Container {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	began := time.Now()
	ctr, err := Run(context.Background(), image, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctr.Terminate(context.Background()); err != nil {
			t.Errorf("terminate: %v", err)
		}
	})
	t.Logf("container start to healthy: %d ms", time.Since(began).Milliseconds())
	return ctr
}

// login does the JWT bearer flow as the default org's send user and returns
// the token response's fields.
func login(t *testing.T, base string) map[string]string {
	t.Helper()
	key, err := jwtbearer.LoadPrivateKeyFile("../fixtures/keys/server.key")
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := jwtbearer.Mint(key, jwtbearer.Claims{
		Issuer:   "3MVG9sfemuDefaultTestOnlyConsumerKey.receiver",
		Subject:  "sender@sfemu.example",
		Audience: "https://login.salesforce.com",
		Expiry:   time.Now().Add(3 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(base+"/services/oauth2/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"assertion":  {assertion},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint: HTTP %d: %s", resp.StatusCode, body)
	}
	var tok map[string]string
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatalf("token response %s: %v", body, err)
	}
	if tok["access_token"] == "" {
		t.Fatalf("token response has no access_token: %s", body)
	}
	return tok
}

func getJSON(t *testing.T, u, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %s: %v", u, body, err)
		}
	}
	return resp.StatusCode
}

func TestDefaultOrg(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ctr := start(t)
	base, err := ctr.BaseURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://") {
		t.Errorf("BaseURL = %q, want http://host:port", base)
	}
	if status := getJSON(t, base+HealthPath, "", nil); status != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", HealthPath, status)
	}

	tok := login(t, base)
	reqs, err := ctr.TokenRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Status != http.StatusOK || reqs[0].Username != "sender@sfemu.example" ||
		reqs[0].GrantType != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		t.Errorf("TokenRequests = %+v, want one successful JWT bearer login of sender@sfemu.example", reqs)
	}

	// An outbound message to the default endpoint (127.0.0.1:8086 inside the
	// container: nothing listens) stays queued with a failure reason.
	var accounts struct {
		Records []struct{ Id string } `json:"records"`
	}
	q := url.Values{"q": {"SELECT Id FROM Account WHERE Name = 'Edge Communications'"}}
	if status := getJSON(t, base+"/services/data/v66.0/query?"+q.Encode(), tok["access_token"], &accounts); status != http.StatusOK || len(accounts.Records) != 1 {
		t.Fatalf("query: HTTP %d, %d records; want 200 and 1", status, len(accounts.Records))
	}
	ids, err := ctr.Send(ctx, "Account_Changed", accounts.Records[0].Id)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || !strings.HasPrefix(ids[0], "04l") {
		t.Fatalf("Send = %v, want one 04l… notification id", ids)
	}
	var queued wire.QueueEntry
	deadline := time.Now().Add(10 * time.Second)
	for {
		queue, err := ctr.Queue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(queue) == 1 && queue[0].Attempts > 0 && queue[0].State == "pending" {
			queued = queue[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Queue = %+v, want the notification pending after a failed attempt", queue)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if queued.ID != ids[0] || queued.Message != "Account_Changed" || queued.RecordID != accounts.Records[0].Id ||
		!strings.Contains(queued.DeliveryFailureReason, "connection refused") {
		t.Errorf("queued = %+v, want notification %s of Account_Changed for %s refused", queued, ids[0], accounts.Records[0].Id)
	}

	// The real clock does not move on request; the emulator's reason is kept.
	if err := ctr.Advance(ctx, time.Hour); err == nil || !strings.Contains(err.Error(), "--clock virtual") {
		t.Errorf("Advance on the real clock: err = %v, want the emulator's 409 naming --clock virtual", err)
	}

	if err := ctr.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if reqs, err := ctr.TokenRequests(ctx); err != nil || len(reqs) != 0 {
		t.Errorf("after Reset: TokenRequests = %v, %v; want none", reqs, err)
	}
}

func TestFixtureAndVirtualClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	fixture := filepath.Join(dir, "acme.yaml")
	writeFixture(t, fixture, "server.crt")
	copyFile(t, "../fixtures/keys/server.crt", filepath.Join(dir, "server.crt"))

	ctr := start(t, WithFixture(fixture), WithVirtualClock(), WithPublicURL("http://sfemu.test:8085"))
	base, err := ctr.BaseURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var orgs []struct {
		Name string `json:"name"`
	}
	// Run made the container a control token: published on every
	// interface, it asks for it.
	if status := getJSON(t, base+"/_sfemu/orgs", "", nil); status != http.StatusUnauthorized || len(ctr.ControlToken()) < 16 {
		t.Fatalf("GET /_sfemu/orgs without the control token: HTTP %d (token %q), want 401", status, ctr.ControlToken())
	}
	if status := getJSON(t, base+"/_sfemu/orgs", ctr.ControlToken(), &orgs); status != http.StatusOK || len(orgs) != 1 || orgs[0].Name != "Acme" {
		t.Fatalf("GET /_sfemu/orgs: HTTP %d %+v, want the fixture's org Acme alone", status, orgs)
	}

	tok := login(t, base)
	if want := "http://sfemu.test:8085"; tok["instance_url"] != want {
		t.Errorf("instance_url = %q, want the public URL %q", tok["instance_url"], want)
	}
	reqs, err := ctr.TokenRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Status != http.StatusOK || reqs[0].ClientID != "3MVG9sfemuDefaultTestOnlyConsumerKey.receiver" {
		t.Errorf("TokenRequests = %+v, want the one successful login", reqs)
	}

	clockNow := func() time.Time {
		var c struct {
			Mode string    `json:"mode"`
			Now  time.Time `json:"now"`
		}
		if status := getJSON(t, base+"/_sfemu/clock", ctr.ControlToken(), &c); status != http.StatusOK || c.Mode != "virtual" {
			t.Fatalf("GET /_sfemu/clock: HTTP %d %+v, want the virtual clock", status, c)
		}
		return c.Now
	}
	var limits map[string]any
	if status := getJSON(t, base+"/services/data/v66.0/limits", tok["access_token"], &limits); status != http.StatusOK {
		t.Fatalf("REST call with the new session: HTTP %d, want 200", status)
	}
	before := clockNow()
	if err := ctr.Advance(ctx, 26*time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := clockNow().Sub(before); got != 26*time.Hour {
		t.Errorf("the clock moved %s, want 26h", got)
	}
	// 26 hours later on the emulator's clock, the 2-hour session is over.
	if status := getJSON(t, base+"/services/data/v66.0/limits", tok["access_token"], &limits); status != http.StatusUnauthorized {
		t.Errorf("REST call with the old session after Advance(26h): HTTP %d, want 401", status)
	}
}

// A container that cannot become healthy is removed by Run, and the error
// carries sfemu's own message.
func TestFailedStartIsRemoved(t *testing.T) {
	t.Parallel()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	dir := t.TempDir()
	fixture := filepath.Join(dir, "broken.yaml")
	writeFixture(t, fixture, "missing.crt") // not copied: sfemu must say so
	mine := map[string]string{"org.sfemu.test": t.Name()}
	ctr, err := Run(context.Background(), image, WithFixture(fixture), testcontainers.WithLabels(mine))
	if err == nil {
		ctr.Terminate(context.Background())
		t.Fatal("Run succeeded with a fixture naming a missing certificate")
	}
	if ctr != nil {
		t.Errorf("Run returned a container with its error")
	}
	if !strings.Contains(err.Error(), "missing.crt") {
		t.Errorf("error = %v\nwant sfemu's message naming missing.crt", err)
	}
	p, perr := testcontainers.NewDockerProvider()
	if perr != nil {
		t.Fatal(perr)
	}
	defer p.Close()
	res, lerr := p.Client().ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: make(client.Filters).Add("label", "org.sfemu.test="+t.Name())})
	if lerr != nil {
		t.Fatal(lerr)
	}
	if len(res.Items) != 0 {
		t.Errorf("%d container(s) of the failed start remain", len(res.Items))
	}
}

// A receiver container on a shared network reaches sfemu by its alias, and
// the tokens carry that address (docs/CONTAINERS.md). The "receiver" here is
// the sfemu image running `sfemu health` against the alias.
func TestReachableByAliasOnNetwork(t *testing.T) {
	t.Parallel()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ctx := context.Background()
	nw, err := network.New(ctx, network.WithLabels(map[string]string{LabelModule: ModuleName, LabelSession: SessionID()}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nw.Remove(context.Background()); err != nil {
			t.Errorf("remove network: %v", err)
		}
	})
	emu := start(t, network.WithNetwork([]string{"sfemu"}, nw), WithPublicURL("http://sfemu:8085"))

	probe, err := testcontainers.Run(ctx, image,
		network.WithNetwork(nil, nw),
		testcontainers.WithLabels(map[string]string{LabelModule: ModuleName, LabelSession: SessionID()}),
		testcontainers.WithEntrypoint("/sfemu", "health", "--url", "http://sfemu:8085"),
		testcontainers.WithWaitStrategy(wait.ForExit().WithExitTimeout(30*time.Second)),
	)
	if probe != nil {
		t.Cleanup(func() {
			if err := probe.Terminate(context.Background()); err != nil {
				t.Errorf("terminate: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	state, err := probe.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if state.ExitCode != 0 {
		hint := ""
		if state.ExitCode == 2 {
			hint = " (a usage error: is `health` in cmd/sfemu/main.go's command switch?)"
		}
		t.Fatalf("sfemu health --url http://sfemu:8085 from another container exited %d, want 0%s", state.ExitCode, hint)
	}

	// The image's own HEALTHCHECK (`sfemu health` every second) turns the
	// container healthy for Docker too.
	deadline := time.Now().Add(15 * time.Second)
	for {
		state, err := emu.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if state.Health != nil && state.Health.Status == "healthy" {
			break
		}
		if time.Now().After(deadline) {
			status, last := "none", ""
			if h := state.Health; h != nil {
				status = string(h.Status)
				if len(h.Log) > 0 {
					l := h.Log[len(h.Log)-1]
					last = fmt.Sprintf(" (last check: exit %d: %s)", l.ExitCode, strings.TrimSpace(l.Output))
				}
			}
			t.Fatalf("Docker health is %q after 15s, want healthy%s", status, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestWithFixtureMissingFile(t *testing.T) {
	req := testcontainers.GenericContainerRequest{}
	err := WithFixture(filepath.Join(t.TempDir(), "nope.yaml")).Customize(&req)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want a not-exist error", err)
	}
}

// The fixture and the certificates it names land so that the fixture's
// relative paths resolve inside the container.
func TestFixtureFilesLayout(t *testing.T) {
	root := t.TempDir()
	mkfile := func(rel string) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	absCert := mkfile("elsewhere/abs.crt")
	mkfile("keys/server.crt")
	mkfile("orgs/certs/app.pem")
	fixture := filepath.Join(root, "orgs", "acme.yaml")
	yaml := "org: {name: Acme}\napps:\n" +
		"  - {name: a, certificate: ../keys/server.crt}\n" +
		"  - {name: b, certificate: certs/app.pem}\n" +
		"  - {name: c, certificate: ../keys/server.crt}\n" + // named twice, copied once
		"  - {name: d, certificate: gone.crt}\n" + // missing: left for sfemu to report
		"  - {name: e, certificate: " + absCert + "}\n" +
		"  - {name: f, certificate_pem: inline}\n"
	if err := os.WriteFile(fixture, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}

	got, files, err := fixtureFiles(fixture, "/fixtures/3")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/fixtures/3/orgs/acme.yaml"; got != want {
		t.Errorf("fixture in the container = %s, want %s", got, want)
	}
	gotFiles := map[string]string{}
	for _, f := range files {
		rel, _ := filepath.Rel(root, f.HostFilePath)
		gotFiles[filepath.ToSlash(rel)] = f.ContainerFilePath
	}
	wantFiles := map[string]string{
		"orgs/acme.yaml":     "/fixtures/3/orgs/acme.yaml",
		"keys/server.crt":    "/fixtures/3/keys/server.crt",
		"orgs/certs/app.pem": "/fixtures/3/orgs/certs/app.pem",
		"elsewhere/abs.crt":  filepath.ToSlash(absCert),
	}
	if diff := cmp.Diff(wantFiles, gotFiles); diff != "" {
		t.Errorf("files (host → container) -want +got:\n%s", diff)
	}
}

func TestWithFixtureNumbersOrgs(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, []byte("org: {name: X}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	req := testcontainers.GenericContainerRequest{}
	for _, opt := range []testcontainers.CustomizeRequestOption{WithFixture(a), WithVirtualClock(), WithFixture(b)} {
		if err := opt.Customize(&req); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"--org", "/fixtures/0/a.yaml", "--clock", "virtual", "--org", "/fixtures/1/b.yaml"}
	if diff := cmp.Diff(want, req.Cmd); diff != "" {
		t.Errorf("serve flags -want +got:\n%s", diff)
	}
}

func TestSplitTag(t *testing.T) {
	tests := []struct{ ref, repo, tag string }{
		{"sfemu:dev", "sfemu", "dev"},
		{"sfemu", "sfemu", "latest"},
		{"localhost:5000/team/sfemu", "localhost:5000/team/sfemu", "latest"},
		{"localhost:5000/team/sfemu:v1", "localhost:5000/team/sfemu", "v1"},
	}
	for _, tt := range tests {
		if repo, tag := splitTag(tt.ref); repo != tt.repo || tag != tt.tag {
			t.Errorf("splitTag(%q) = %q, %q; want %q, %q", tt.ref, repo, tag, tt.repo, tt.tag)
		}
	}
}

// writeFixture writes a production org like the default one, named Acme,
// whose app's certificate is cert (relative to the fixture).
func writeFixture(t *testing.T, path, cert string) {
	t.Helper()
	yaml := `org: {name: Acme, type: production, my_domain: acme, outbound_session_id: removed}
profiles:
  - {name: Integration, session_timeout: 2h}
permission_sets: [{name: SendUserPS}]
users:
  - {username: sender@sfemu.example, profile: Integration, permission_sets: [SendUserPS]}
apps:
  - name: acme_eca
    kind: external_client_app
    consumer_key: 3MVG9sfemuDefaultTestOnlyConsumerKey.receiver
    certificate: ` + cert + `
    policy: {permitted_users: admin_approved, permission_sets: [SendUserPS]}
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestControlTokenChosenOrNone: WithControlToken chooses the container's
// token, or none (the image's own SFEMU_CONTROL_OPEN=true): then the
// control API answers without one, and the Host check still stands.
func TestControlTokenChosenOrNone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const chosen = "sfemucontainer-chosen-token"
	for _, tc := range []struct {
		token string
		open  int // GET /_sfemu/orgs without a token
	}{{chosen, http.StatusUnauthorized}, {"", http.StatusOK}} {
		ctr := start(t, WithControlToken(tc.token))
		base, err := ctr.BaseURL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ctr.ControlToken() != tc.token {
			t.Errorf("ControlToken() = %q, want %q", ctr.ControlToken(), tc.token)
		}
		if status := getJSON(t, base+"/_sfemu/orgs", "", nil); status != tc.open {
			t.Errorf("token %q: GET /_sfemu/orgs without one: HTTP %d, want %d", tc.token, status, tc.open)
		}
		if _, err := ctr.Queue(ctx); err != nil {
			t.Errorf("token %q: Queue: %v", tc.token, err)
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/_sfemu/orgs", nil)
		req.Host = "rebind.example"
		req.Header.Set("Authorization", "Bearer "+tc.token)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("token %q: Host rebind.example: %v %v, want 403", tc.token, resp, err)
		} else {
			resp.Body.Close()
		}
	}
}
