package bulk

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/internal/route"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/gateway"
	"github.com/sfemu/sfemu/emulator/internal/schedule"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/rest"
)

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const acmeOrg = `
org: {name: Acme}
profiles: [{name: Integration, session_timeout: 2h}]
users:
  - {username: sender@acme.example, first_name: Send, last_name: User, profile: Integration}
objects:
  Account:
    fields:
      External_Key__c: {type: text, external_id: true, length: 40}
records:
  Account:
    - {Name: Edge Communications, Industry: Energy, AnnualRevenue: 139000000, External_Key__c: EDGE-1}
    - {Name: Burlington Textiles, Industry: Apparel, External_Key__c: DUP}
    - {Name: Pyramid Construction, External_Key__c: DUP}
`

type env struct {
	t     testing.TB
	store *org.Store
	svc   *Service
	sched *schedule.Scheduler
	clock *clock.Virtual
	srv   *httptest.Server
	token string
	acme  *org.Org
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	clk := clock.NewVirtual(testNow)
	store, err := org.NewStore(clk, org.Source{Name: "acme.yaml", Data: []byte(acmeOrg)})
	if err != nil {
		t.Fatal(err)
	}
	sched := schedule.New(clk, 0)
	t.Cleanup(sched.Close)
	cfg.Store, cfg.Scheduler = store, sched
	svc := New(cfg)
	rs := rest.New(rest.Config{Store: store})
	gw := gateway.New(gateway.Config{Store: store, BaseURL: gateway.RequestBaseURL})
	r := &route.Router{}
	gw.Mount(r, MountPath(rest.Prefix), svc.Surface(rs.Surface()), svc.Routes())
	gw.Mount(r, rest.Prefix, rs.Surface(), rs.Routes())
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	sess := store.Sessions.Open(store.User("sender@acme.example"), nil, 2*time.Hour, true)
	return &env{t: t, store: store, svc: svc, sched: sched, clock: clk, srv: srv, token: sess.Token, acme: store.Org("Acme")}
}

type response struct {
	status int
	body   string
	header http.Header
}

func (e *env) do(method, path, contentType, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/services/data/v66.0"+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept-Encoding", "identity") // measure the CSV, not gzip
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}
}

func (e *env) json(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	r := e.do(method, path, "application/json", body)
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil && r.status < 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
	}
	if m == nil {
		m = map[string]any{"raw": r.body}
	}
	return r.status, m
}

// ingest creates a job, uploads csv and closes it; it returns the job id.
func (e *env) ingest(spec, csv string) string {
	e.t.Helper()
	code, job := e.json("POST", "/jobs/ingest", spec)
	if code != 200 {
		e.t.Fatalf("create: %d %v", code, job)
	}
	id := job["id"].(string)
	if r := e.do("PUT", "/jobs/ingest/"+id+"/batches", "text/csv", csv); r.status != 201 {
		e.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if code, body := e.json("PATCH", "/jobs/ingest/"+id, `{"state":"UploadComplete"}`); code != 200 {
		e.t.Fatalf("close: %d %v", code, body)
	}
	return id
}

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if _, err := e.clock.Advance(d); err != nil {
		e.t.Fatal(err)
	}
	e.sched.Wait()
}

func (e *env) state(kind, id string) map[string]any {
	e.t.Helper()
	code, m := e.json("GET", "/jobs/"+kind+"/"+id, "")
	if code != 200 {
		e.t.Fatalf("job info: %d %v", code, m)
	}
	return m
}
