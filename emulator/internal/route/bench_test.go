package route_test

// What matching costs a request: the REST table as the emulator mounts it,
// each route answering nothing, so only the router is measured
// (docs/PERFORMANCE.md, "Routing").

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/internal/route"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/rest"
)

func restRouter(b *testing.B) *route.Router {
	store, err := org.NewStore(clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), org.Source{Name: "a.yaml", Data: []byte("org: {name: A}\n")})
	if err != nil {
		b.Fatal(err)
	}
	r := &route.Router{}
	m := r.Mount(rest.Prefix)
	for _, rt := range rest.New(rest.Config{Store: store}).Routes() {
		m.Handle(rt.Methods, rt.Path, func(http.ResponseWriter, *http.Request, route.Vars) {})
	}
	return r
}

func BenchmarkRouteREST(b *testing.B) {
	r := restRouter(b)
	for _, bc := range []struct{ name, method, path string }{
		{"record-get", http.MethodGet, "/services/data/v66.0/sobjects/Account/001xx0000000001AAA"},
		{"query", http.MethodGet, "/services/data/v66.0/query"},
		{"composite", http.MethodPost, "/services/data/v66.0/composite"},
		{"not-found", http.MethodGet, "/services/data/v66.0/nothing/here"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(bc.method, bc.path, nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				r.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
