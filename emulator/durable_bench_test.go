package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
)

// dataDirModes are the ways state is kept: in memory (no --data-dir), in
// a data dir (the default, no fsync), and in one that fsyncs every write.
var dataDirModes = []struct {
	name  string
	dir   bool
	fsync bool
}{{"memory", false, false}, {"data-dir", true, false}, {"data-dir-fsync", true, true}}

func benchDurable(b *testing.B, dir, fsync bool) (http.Handler, string) {
	b.Helper()
	// No outbound message: the figures are of the writes, not of the queue.
	fixture := "org: {name: Acme}\nusers: [{username: admin@acme.example, profile: System Administrator}]\n"
	opts := emulator.Options{Orgs: []org.Source{{Name: "acme.yaml", Data: []byte(fixture)}}, Clock: emulator.VirtualClock, VirtualStart: virtualStart}
	if dir {
		opts.DataDir, opts.DataDirFsync = b.TempDir(), fsync
	}
	emu, err := emulator.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(emu.Close)
	token := emu.Store().Sessions.Open(emu.Store().User("admin@acme.example"), nil, time.Hour, false).Token
	return emu, token
}

func benchPost(b *testing.B, h http.Handler, token, path, body string, want int) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
}

// BenchmarkDataDirRESTCreate is one REST sObject create per op, answered
// after it is on disk with a data dir: records/s.
func BenchmarkDataDirRESTCreate(b *testing.B) {
	for _, m := range dataDirModes {
		b.Run(m.name, func(b *testing.B) {
			h, token := benchDurable(b, m.dir, m.fsync)
			for b.Loop() {
				benchPost(b, h, token, "/services/data/v60.0/sobjects/Account", `{"Name":"Bench"}`, 201)
			}
			reportRate(b, "records/s")
		})
	}
}

// BenchmarkDataDirCollections200 is one sObject Collections insert of 200
// Accounts per op: one bbolt transaction for the 200 with a data dir.
func BenchmarkDataDirCollections200(b *testing.B) {
	recs := make([]string, 200)
	for i := range recs {
		recs[i] = `{"attributes":{"type":"Account"},"Name":"Bench"}`
	}
	body := `{"allOrNone":true,"records":[` + strings.Join(recs, ",") + `]}`
	for _, m := range dataDirModes {
		b.Run(m.name, func(b *testing.B) {
			h, token := benchDurable(b, m.dir, m.fsync)
			for b.Loop() {
				benchPost(b, h, token, "/services/data/v60.0/composite/sobjects", body, 200)
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N*200)/s, "records/s")
			}
		})
	}
}
