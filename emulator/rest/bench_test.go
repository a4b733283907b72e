package rest

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// BenchmarkSerializePage2000 writes one 2,000-record query page with ten
// fields and a parent relationship, as GET /query returns it (target:
// ≥ 100,000 records/s).
func BenchmarkSerializePage2000(b *testing.B) {
	e := newEnv(&testing.T{})
	acct := e.acme.Schema.Object("Account")
	contact := e.acme.Schema.Object("Contact")
	for i := 0; i < 2000; i++ {
		a, errs := e.acme.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Account %04d", i), "Industry": "Energy",
			"AnnualRevenue": float64(i) * 1000.5, "NumberOfEmployees": float64(i), "Phone": "(512) 757-6000"}, e.acme.Users[0], restNow, org.DMLOptions{})
		if errs != nil {
			b.Fatal(errs)
		}
		if _, errs := e.acme.Data.Insert(contact, map[string]any{"LastName": fmt.Sprintf("Person %04d", i), "FirstName": "Pat",
			"Email": fmt.Sprintf("p%d@example.com", i), "AccountId": string(a.ID), "Title": "Buyer"}, e.acme.Users[0], restNow, org.DMLOptions{}); errs != nil {
			b.Fatal(errs)
		}
	}
	parsed, err := soql.Parse("SELECT Id, Name, FirstName, LastName, Email, Title, CreatedDate, Account.Name, Account.Industry, Account.AnnualRevenue FROM Contact WHERE LastName LIKE 'Person%' LIMIT 2000")
	if err != nil {
		b.Fatal(err)
	}
	res, err := parsed.Run(soql.Env{Schema: e.acme.Schema, Data: e.acme.Data, Now: restNow, Location: e.acme.TimeZone})
	if err != nil || len(res.Rows) != 2000 {
		b.Fatalf("%v, %d rows", err, len(res.Rows))
	}
	c := &call{version: "66.0", r: httptest.NewRequest("GET", "/", nil)}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = appendQueryResult(buf[:0], c, res, 0, res.Len(), true, "")
	}
	b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "records/s")
	if !strings.Contains(string(buf), `"Account":{"attributes":{"type":"Account"`) {
		b.Fatalf("unexpected page: %.300s", buf)
	}
}

// seed2000 adds the 2,000 Accounts and Contacts the page benchmarks use.
func seed2000(b *testing.B, e *env) {
	acct := e.acme.Schema.Object("Account")
	contact := e.acme.Schema.Object("Contact")
	for i := 0; i < 2000; i++ {
		a, errs := e.acme.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Account %04d", i), "Industry": "Energy",
			"AnnualRevenue": float64(i) * 1000.5, "NumberOfEmployees": float64(i), "Phone": "(512) 757-6000"}, e.acme.Users[0], restNow, org.DMLOptions{})
		if errs != nil {
			b.Fatal(errs)
		}
		if _, errs := e.acme.Data.Insert(contact, map[string]any{"LastName": fmt.Sprintf("Person %04d", i), "FirstName": "Pat",
			"Email": fmt.Sprintf("p%d@example.com", i), "AccountId": string(a.ID), "Title": "Buyer"}, e.acme.Users[0], restNow, org.DMLOptions{}); errs != nil {
			b.Fatal(errs)
		}
	}
}

// BenchmarkQuery2000 is a whole query call over HTTP — the same query and
// rows as the SOAP package's BenchmarkQuery2000, for comparison.
func BenchmarkQuery2000(b *testing.B) {
	e := newEnv(&testing.T{})
	seed2000(b, e)
	path := "/services/data/v66.0/query?q=" + url.QueryEscape("SELECT Id, Name, FirstName, LastName, Email, Title, CreatedDate, Account.Name, Account.Industry, Account.AnnualRevenue FROM Contact WHERE LastName LIKE 'Person%' LIMIT 2000")
	e.t = &testing.T{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := e.do("GET", path, ""); got.status != 200 {
			b.Fatalf("%d %.300s", got.status, got.body)
		}
	}
	b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkCreate200 creates 200 Leads with one composite collection call
// over HTTP, as the SOAP package's BenchmarkCreate200 does with create.
func BenchmarkCreate200(b *testing.B) {
	e := newEnv(&testing.T{})
	var sb strings.Builder
	sb.WriteString(`{"allOrNone":false,"records":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"attributes":{"type":"Lead"},"LastName":"Doe %d","Company":"Example","Email":"doe%d@example.com","Region__c":"APAC"}`, i, i)
	}
	sb.WriteString("]}")
	body := sb.String()
	e.t = &testing.T{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := e.do("POST", "/services/data/v66.0/composite/sobjects", body); got.status != 200 || strings.Contains(got.body, `"success":false`) {
			b.Fatalf("%d %.300s", got.status, got.body)
		}
	}
	b.ReportMetric(float64(b.N*200)/b.Elapsed().Seconds(), "records/s")
}
