package console_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/wire"
)

// Sizes of the benchmarks' emulator: full journals, and an org of 100,000
// records.
const (
	benchJournal = 10_000
	benchRecords = 100_000
)

var (
	benchOnce  sync.Once
	benchState *benchWorld
	benchErr   error
)

// benchWorld is an emulator whose token-request, request and delivery
// journals are full (10,000 entries each, the most they keep), whose queue
// history holds 10,000 delivered notifications, with 100,000 Accounts.
type benchWorld struct {
	emu          *emulator.Emulator
	notification string
	login        int64
	request      int64
}

func newBenchWorld() (*benchWorld, error) {
	ctx := context.Background()
	up := false
	var mu sync.Mutex
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := up
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<html><body>down for maintenance</body></html>`)
			return
		}
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`)
	}))
	crt, err := os.ReadFile("../../fixtures/keys/server.crt")
	if err != nil {
		return nil, err
	}
	// Retried every virtual second, for long enough to fill the journal.
	emu, err := emulator.New(emulator.Options{Clock: emulator.VirtualClock, VirtualStart: start, FixedNotificationIDs: true,
		Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture(rcv.URL), Files: map[string]string{"server.crt": string(crt)}}},
		Outbound: outbound.Settings{FirstRetry: time.Second, MaxInterval: time.Second, TTL: 1000 * time.Hour}})
	if err != nil {
		return nil, err
	}
	bw := &benchWorld{emu: emu}
	industries := []string{"Energy", "Apparel", "Banking", "Chemicals", "Construction", "Retail"}
	// Names in no order, as an org's are: a seeded shuffle.
	numbers := rand.New(rand.NewPCG(14, 14)).Perm(benchRecords)
	for i, n := range numbers {
		if _, err := emu.CreateRecord(ctx, orgName, wire.CreateRecord{Object: "Account",
			Fields: map[string]any{"Name": fmt.Sprintf("Account %06d", n), "Industry": industries[i%len(industries)], "AnnualRevenue": float64(n * 1000)}}); err != nil {
			return nil, err
		}
	}
	serve := func(method, target, body string, header ...string) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		emu.ServeHTTP(httptest.NewRecorder(), req)
	}
	form := "application/x-www-form-urlencoded"
	for i := range benchJournal {
		// Token requests refused (the org blocks the password flow), each
		// journaled with a Login History row.
		serve("POST", "/services/oauth2/token", fmt.Sprintf("grant_type=password&client_id=%s&client_secret=x&username=%s&password=try%d", consumerKey, sendUser, i),
			"Content-Type", form)
		serve("GET", "/services/data/v66.0/query?q="+url.QueryEscape("SELECT Id FROM Account LIMIT 1"), "")
	}
	tokens, _ := emu.TokenRequests(ctx)
	reqs, _ := emu.APIRequests(ctx)
	bw.login, bw.request = tokens[len(tokens)/2].ID, reqs[len(reqs)-1].ID

	// 10,000 delivered notifications, in messages of up to 100.
	mu.Lock()
	up = true
	mu.Unlock()
	if _, err := emu.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name LIKE 'Account 00%'"}); err != nil {
		return nil, err
	}
	if err := emu.Idle(ctx); err != nil {
		return nil, err
	}
	// Then one notification the receiver refuses, retried every second:
	// 10,000 attempts fill the delivery journal.
	mu.Lock()
	up = false
	mu.Unlock()
	sent, err := emu.SendOutbound(ctx, "Account_Changed", wire.Send{Where: "Name = 'Edge Communications'"})
	if err != nil {
		return nil, err
	}
	bw.notification = sent.Notifications[0]
	if err := emu.Idle(ctx); err != nil {
		return nil, err
	}
	if _, err := emu.Advance(ctx, wire.Advance{By: wire.Duration(benchJournal * time.Second)}); err != nil {
		return nil, err
	}
	if n, _ := emu.Deliveries(ctx); len(n) != benchJournal {
		return nil, fmt.Errorf("%d delivery attempts journaled, want %d", len(n), benchJournal)
	}
	return bw, nil
}

// BenchmarkConsolePages renders each page of the console server side,
// with every journal full and 100,000 records in the org, paged as a
// person reads them (50 rows). The target is 50 ms a page.
func BenchmarkConsolePages(b *testing.B) {
	benchOnce.Do(func() { benchState, benchErr = newBenchWorld() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	bw := benchState
	soql := func(q string) string { return "/_sfemu/ui/records?q=" + url.QueryEscape(q) }
	for _, p := range []struct{ name, path string }{
		{"Overview", "/_sfemu/ui/"},
		{"Orgs", "/_sfemu/ui/orgs"},
		{"Logins", "/_sfemu/ui/logins"},
		{"LoginsFiltered", "/_sfemu/ui/logins?status=failed&app=3MVG&page=100"},
		{"Login", fmt.Sprintf("/_sfemu/ui/logins/%d", bw.login)},
		{"Outbound", "/_sfemu/ui/outbound?dpage=100&apage=100"},
		{"Notification", "/_sfemu/ui/outbound/notifications/" + bw.notification},
		{"Attempt", "/_sfemu/ui/outbound/attempts/5000"},
		{"Requests", "/_sfemu/ui/requests"},
		{"RequestsFiltered", "/_sfemu/ui/requests?surface=rest&path=query&page=90"},
		{"Request", fmt.Sprintf("/_sfemu/ui/requests/%d", bw.request)},
		{"RecordsScan100k", soql("SELECT Id, Name, Industry, AnnualRevenue FROM Account")},
		{"RecordsScan100kLastPage", soql("SELECT Id, Name, Industry, AnnualRevenue FROM Account") + "&page=2000"},
		{"RecordsOrderBy100k", soql("SELECT Id, Name, Industry FROM Account ORDER BY Name")},
		{"RecordsOrderByDesc100k", soql("SELECT Id, Name, Industry FROM Account ORDER BY Name DESC")},
		{"RecordsOrderByDeep100k", soql("SELECT Id, Name, Industry FROM Account ORDER BY Name") + "&page=1500"},
		{"RecordsWhere100k", soql("SELECT Id, Name FROM Account WHERE Industry = 'Energy' AND AnnualRevenue > 50000000")},
		{"RecordsGroupBy100k", soql("SELECT Industry, COUNT(Id), SUM(AnnualRevenue) FROM Account GROUP BY Industry")},
		{"Clock", "/_sfemu/ui/clock"},
	} {
		b.Run(p.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, p.path, nil)
			req.Host = "127.0.0.1" // a loopback name: the console answers there
			rec := httptest.NewRecorder()
			bw.emu.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET %s: %d\n%s", p.path, rec.Code, visible(rec.Body.String()))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				bw.emu.ServeHTTP(rec, req)
			}
			perPage := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(perPage*1000, "ms/page")
			b.ReportMetric(1/perPage, "pages/s")
		})
	}
}
