package soql

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// testNow is a Wednesday morning in Tokyo and the evening before in UTC.
var testNow = time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)

const testOrg = `
org: {name: Acme, time_zone: Asia/Tokyo}
users:
  - {username: admin@acme.example, first_name: Ada, last_name: Admin, profile: System Administrator}
objects:
  Account:
    fields:
      Tags__c: {type: multipicklist, values: [Red, Green, Blue]}
      Score__c: {type: number}
records:
  Account:
    - {_ref: edge, Name: Edge Communications, Industry: Energy, AnnualRevenue: 1000, NumberOfEmployees: 10, Tags__c: "Red;Green", Score__c: 5, CreatedDate: 2026-03-03T16:00:00Z, LastModifiedDate: 2026-03-03T16:00:00Z}
    - {_ref: burl, Name: Burlington Textiles, Industry: Apparel, AnnualRevenue: 5000, NumberOfEmployees: 200, Tags__c: Blue, CreatedDate: 2026-02-10T00:00:00Z, LastModifiedDate: 2026-02-10T00:00:00Z}
    - {_ref: pyr, Name: Pyramid Construction, Industry: Construction, AnnualRevenue: 3000, NumberOfEmployees: 50, CreatedDate: 2025-12-01T00:00:00Z, LastModifiedDate: 2025-12-01T00:00:00Z}
    - {_ref: dick, Name: Dickenson plc, Industry: energy, Tags__c: "Green;Blue", CreatedDate: 2024-06-01T00:00:00Z, LastModifiedDate: 2024-06-01T00:00:00Z}
    - {_ref: grand, Name: "grand Hotels 100%_off", ParentId: "@edge", Industry: Hospitality, CreatedDate: 2026-03-03T14:59:59Z, LastModifiedDate: 2026-03-03T14:59:59Z}
  Contact:
    - {_ref: rose, LastName: Gonzalez, FirstName: Rose, Email: rose@edge.example, AccountId: "@edge", Birthdate: 1980-05-01}
    - {LastName: Forbes, FirstName: Sean, Email: Sean@Edge.example, AccountId: "@edge", Birthdate: 2026-03-04}
    - {LastName: Rogers, FirstName: Jack, AccountId: "@burl"}
    - {LastName: Orphan}
  Opportunity:
    - {_ref: sla, Name: Edge SLA, AccountId: "@edge", StageName: Closed Won, CloseDate: 2026-03-01, Amount: 60000}
    - {Name: Burl Deal, AccountId: "@burl", StageName: Prospecting, CloseDate: 2026-04-15, Amount: 20000}
    - {Name: Edge Upsell, AccountId: "@edge", StageName: Prospecting, CloseDate: 2026-03-20, Amount: 15000}
  Task:
    - {Subject: Call, WhatId: "@edge", WhoId: "@rose"}
    - {Subject: Email, WhatId: "@sla"}
    - {Subject: Note}
`

var testOrgCache *org.Org

func testEnv(t testing.TB) Env {
	t.Helper()
	if testOrgCache == nil {
		s, err := org.NewStore(clock.NewVirtual(testNow), org.Source{Name: "acme.yaml", Data: []byte(testOrg)})
		if err != nil {
			t.Fatal(err)
		}
		testOrgCache = s.Orgs()[0]
	}
	o := testOrgCache
	return Env{Schema: o.Schema, Data: o.Data, Now: testNow, Location: o.TimeZone}
}

func runQuery(t testing.TB, env Env, query string) (*Result, error) {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		return nil, err
	}
	return q.Run(env)
}

// render prints a result compactly: rows joined by " | ", fields as
// Name=value, parents as Rel{…}, children as Rel[…; …].
func render(res *Result) string {
	if res.CountOnly {
		return "count=" + strconv.Itoa(res.TotalSize)
	}
	rows := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		rows[i] = renderFields(r.Fields)
	}
	return strings.Join(rows, " | ")
}

func renderFields(fs []FieldValue) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Name + "=" + renderValue(f.Value)
	}
	return strings.Join(parts, " ")
}

func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339)
	case *Row:
		if x == nil {
			return "null"
		}
		return "{" + renderFields(x.Fields) + "}"
	case *Result:
		if x == nil {
			return "null"
		}
		rows := make([]string, len(x.Rows))
		for i, r := range x.Rows {
			rows[i] = renderFields(r.Fields)
		}
		return "[" + strings.Join(rows, "; ") + "]"
	}
	return fmt.Sprint(v)
}

func sortedNames(res *Result) string {
	var names []string
	for _, r := range res.Rows {
		names = append(names, renderValue(r.Fields[0].Value))
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
