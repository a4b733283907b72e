package soap

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/soql"
)

// seed2000 adds 2,000 Accounts and 2,000 Contacts, as the REST benchmark does.
func seed2000(b *testing.B, e *env) {
	acct := e.acme.Schema.Object("Account")
	contact := e.acme.Schema.Object("Contact")
	u := e.store.User("sender@acme.example")
	for i := 0; i < 2000; i++ {
		a, errs := e.acme.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Account %04d", i), "Industry": "Energy",
			"AnnualRevenue": float64(i) * 1000.5, "NumberOfEmployees": float64(i), "Phone": "(512) 757-6000"}, u, soapNow, org.DMLOptions{})
		if errs != nil {
			b.Fatal(errs)
		}
		if _, errs := e.acme.Data.Insert(contact, map[string]any{"LastName": fmt.Sprintf("Person %04d", i), "FirstName": "Pat",
			"Email": fmt.Sprintf("p%d@example.com", i), "AccountId": string(a.ID), "Title": "Buyer"}, u, soapNow, org.DMLOptions{}); errs != nil {
			b.Fatal(errs)
		}
	}
}

const benchQuery = "SELECT Id, Name, FirstName, LastName, Email, Title, CreatedDate, Account.Name, Account.Industry, Account.AnnualRevenue FROM Contact WHERE LastName LIKE 'Person%' LIMIT 2000"

// BenchmarkSerializePage2000 writes one 2,000-record QueryResult — the same
// rows as the REST package's benchmark of the same name, for comparison.
func BenchmarkSerializePage2000(b *testing.B) {
	for _, a := range []*api{partner, enterprise} {
		b.Run(a.loginType, func(b *testing.B) {
			e := newEnv(&testing.T{})
			seed2000(b, e)
			parsed, err := soql.Parse(benchQuery)
			if err != nil {
				b.Fatal(err)
			}
			res, err := parsed.Run(soql.Env{Schema: e.acme.Schema, Data: e.acme.Data, Now: soapNow, Location: e.acme.TimeZone})
			if err != nil || len(res.Rows) != 2000 {
				b.Fatalf("%v, %d rows", err, len(res.Rows))
			}
			c := &call{api: a}
			var buf []byte
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = c.appendQueryResponse(buf[:0], "queryResponse", res, res.Rows, true, "")
			}
			b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(len(buf))/2000, "bytes/record")
		})
	}
}

// BenchmarkQuery2000 is a whole Partner query call over HTTP: envelope
// parsed, session looked up, SOQL run, 2,000 records written.
func BenchmarkQuery2000(b *testing.B) {
	e := newEnv(&testing.T{})
	seed2000(b, e)
	tok := e.session("sender@acme.example")
	body := envelope(partner.ns, tok, `<urn:QueryOptions><urn:batchSize>2000</urn:batchSize></urn:QueryOptions>`,
		`<urn:query><urn:queryString>`+strings.ReplaceAll(benchQuery, "'", "&apos;")+`</urn:queryString></urn:query>`)
	e.t = &testing.T{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := e.post("/services/Soap/u/66.0", body); got.status != 200 {
			b.Fatalf("%d %.300s", got.status, got.body)
		}
	}
	b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkCreate200 is a Partner create of 200 Leads over HTTP, with the
// same record checks as REST.
func BenchmarkCreate200(b *testing.B) {
	e := newEnv(&testing.T{})
	tok := e.session("sender@acme.example")
	var sb strings.Builder
	sb.WriteString("<urn:create>")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&sb, `<urn:sObjects><urn1:type>Lead</urn1:type><urn1:LastName>Doe %d</urn1:LastName><urn1:Company>Example</urn1:Company><urn1:Email>doe%d@example.com</urn1:Email></urn:sObjects>`, i, i)
	}
	sb.WriteString("</urn:create>")
	body := envelope(partner.ns, tok, "", sb.String())
	e.t = &testing.T{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := e.post("/services/Soap/u/66.0", body); got.status != 200 || strings.Contains(got.body, "<success>false") {
			b.Fatalf("%d %.300s", got.status, got.body)
		}
	}
	b.ReportMetric(float64(b.N*200)/b.Elapsed().Seconds(), "records/s")
}
