package emulator_test

// How the emulator's route table answers the paths a client can send:
// which surface a path reaches, what a method it does not take gets, and
// what happens to paths that are not clean. Each row is one request.

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

// routeEnv is an emulator with the bench org, a session and one Account.
func routeEnv(tb testing.TB) (emu *emulator.Emulator, token, id string) {
	tb.Helper()
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{benchFixture(false, 100)}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(emu.Close)
	rec, err := emu.CreateRecord(context.Background(), "Bench", wire.CreateRecord{Object: "Account", Fields: map[string]any{"Name": "Routed"}})
	if err != nil {
		tb.Fatal(err)
	}
	store := emu.Store()
	return emu, store.Sessions.Open(store.User(benchUsername), nil, 24*time.Hour, false).Token, rec.ID
}

func TestRouting(t *testing.T) {
	t.Parallel()
	emu, token, id := routeEnv(t)
	const v = "/services/data/v66.0"
	const empty = "\x00empty"
	rows := []struct {
		name, method, path, accept string
		status                     int
		header, value              string // a header the answer carries
		body                       string // a part of the body; empty: the body is empty; "": not checked
	}{
		{"a record is read where the REST API has it", "GET", v + "/sobjects/Account/" + id, "", 200, "Content-Type", "application/json", `"Name":"Routed"`},
		{"HEAD is served where GET is", "HEAD", v + "/sobjects/Account/" + id, "", 200, "", "", ""},
		{"a resource with a trailing slash is its own route", "GET", v + "/sobjects/Account/", "", 200, "", "", `"objectDescribe"`},
		{"an unknown REST resource is REST's NOT_FOUND JSON", "GET", v + "/nothing", "", 404, "Content-Type", "application/json", `"errorCode":"NOT_FOUND"`},
		{"405 lists the methods, HEAD with GET", "POST", v + "/limits", "", 405, "", "", `Allowed are HEAD,GET`},
		{"405 lists every method a record takes", "PUT", v + "/sobjects/Account/" + id, "", 405, "", "", `Allowed are HEAD,GET,PATCH,DELETE`},
		{"a version outside vNN.N names no REST resource", "GET", "/services/data/v66/limits", "", 404, "", "", `"errorCode":"NOT_FOUND"`},
		{"paths are case-sensitive: /Services is no surface's", "GET", "/Services/data/v66.0/limits", "", 404, "", "", `"errorCode":"NOT_FOUND"`},
		{"a mount's prefix is a string prefix: /services/dataX is REST's", "GET", "/services/dataX", "", 404, "", "", `"errorCode":"NOT_FOUND"`},
		{"an encoded slash in an id is a slash: two segments", "GET", v + "/sobjects/Account/a%2Fb", "", 404, "", "", `"errorCode":"NOT_FOUND"`},
		{"a path with an empty segment is redirected to its clean form, query kept", "GET", v + "//limits?x=1", "", 301, "Location", v + "/limits?x=1", empty},
		{"a path with .. is redirected to its clean form", "GET", v + "/sobjects/../limits/", "", 301, "Location", v + "/limits/", empty},
		{"the version list is public", "GET", "/services/data", "", 200, "", "", `"version":"66.0"`},
		{"Bulk's jobs answer in Bulk's format", "GET", v + "/jobs/ingest/750000000000000", "", 404, "", "", `NOT_FOUND`},
		{"SOAP takes POST only", "GET", "/services/Soap/u/66.0", "", 405, "", "", "(allowed: POST)"},
		{"SOAP's API is u or c", "GET", "/services/Soap/x/66.0", "", 404, "", "", "no SOAP endpoint"},
		{"a browser at / is sent to the console", "GET", "/", "text/html", 302, "Location", "/_sfemu/ui/", ""},
		{"a browser posting to / gets a bare 405", "POST", "/", "text/html", 405, "", "", empty},
		{"an API client at / gets REST's NOT_FOUND", "GET", "/", "application/json", 404, "", "", `"errorCode":"NOT_FOUND"`},
		{"the control API answers under /_sfemu", "GET", "/_sfemu/health", "", 200, "Content-Type", "application/json", `"status"`},
		{"a control path with a method it does not take is a 405 with Allow", "PUT", "/_sfemu/faults", "", 405, "Allow", "HEAD, GET, POST, DELETE", "not allowed"},
		{"a fault id is digits only", "DELETE", "/_sfemu/faults/abc", "", 404, "", "", "no control endpoint"},
		{"an unknown control path is the control API's 404", "GET", "/_sfemu/nothing", "", 404, "", "", "no control endpoint"},
		{"the console has every path under its prefix", "GET", "/_sfemu/ui/nothing", "text/html", 404, "", "", "The console has no page"},
		{"OAuth's token endpoint takes any method", "GET", "/services/oauth2/token", "", 400, "", "", "must use HTTP POST"},
		{"an unknown OAuth path is OAuth's", "GET", "/services/oauth2/nothing", "", 404, "", "", ""},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			req := httptest.NewRequest(row.method, row.path, nil)
			req.Host = "localhost" // the control API's guard answers there
			if strings.HasPrefix(row.path, "/services/data/") {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if row.accept != "" {
				req.Header.Set("Accept", row.accept)
			}
			rec := httptest.NewRecorder()
			emu.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Result().Body)
			if rec.Code != row.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", row.method, row.path, rec.Code, row.status, body)
			}
			if row.header != "" && !strings.HasPrefix(rec.Header().Get(row.header), row.value) {
				t.Errorf("%s %s: %s is %q, want %q", row.method, row.path, row.header, rec.Header().Get(row.header), row.value)
			}
			switch {
			case row.body == empty && len(body) != 0:
				t.Errorf("%s %s: body %q, want none", row.method, row.path, body)
			case row.body != empty && !strings.Contains(string(body), row.body):
				t.Errorf("%s %s: body %q, want it to contain %q", row.method, row.path, body, row.body)
			}
		})
	}
}

// BenchmarkNewDefault is what every `sfemu serve` start and scenario run
// pays before its first request: emulator.New with the default org.
func BenchmarkNewDefault(b *testing.B) {
	for b.Loop() {
		emu, err := emulator.New(emulator.Options{})
		if err != nil {
			b.Fatal(err)
		}
		emu.Close()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/new")
}

// BenchmarkServeRouted is a request's whole way in-process, router
// included: a record read, and a composite call of one sub-request (matched
// a second time, inside the call).
func BenchmarkServeRouted(b *testing.B) {
	emu, token, id := routeEnv(b)
	const v = "/services/data/v66.0"
	sub := `{"compositeRequest":[{"method":"GET","url":"` + v + `/sobjects/Account/` + id + `","referenceId":"a"}]}`
	for _, bc := range []struct{ name, method, path, body string }{
		{"record-get", "GET", v + "/sobjects/Account/" + id, ""},
		{"composite-1", "POST", v + "/composite", sub},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(bc.method, bc.path, strings.NewReader(bc.body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				emu.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("%s %s: %d %s", bc.method, bc.path, rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
