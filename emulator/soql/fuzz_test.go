package soql

import (
	"errors"
	"strings"
	"testing"
)

var knownCodes = map[string]bool{CodeMalformedQuery: true, CodeInvalidField: true, CodeInvalidType: true, CodeNumberOutOfRange: true, CodeQueryTooComplicated: true}

var fuzzSeeds = []string{
	"SELECT Id FROM Account",
	"SELECT Name, Account.Owner.Name, (SELECT LastName FROM Contacts WHERE LastName LIKE 'a%' ORDER BY LastName DESC NULLS LAST LIMIT 2) FROM Account WHERE Industry IN ('Energy') AND CreatedDate = LAST_N_DAYS:30 ORDER BY Name LIMIT 5 OFFSET 1",
	"SELECT Industry, COUNT(Id) n, SUM(AnnualRevenue) FROM Account GROUP BY Industry HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC",
	"SELECT COUNT() FROM Contact WHERE Account.Name != null",
	"SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND (Name = 'a' OR NOT Name LIKE '%\\%b')",
	"SELECT Subject, What.Name, What.Type FROM Task WHERE CreatedDate > 2026-02-23T00:00:00+09:00",
	"SELECT FIELDS(ALL) FROM Account LIMIT 200",
	"SELECT Id FROM Account WHERE Tags__c INCLUDES ('Red;Green') AND Score__c >= -1.5 WITH SECURITY_ENFORCED FOR UPDATE",
	"SELECT Id FROM Account WHERE a = 1 AND b = 2 OR c = 3",
	"select id from account where name = 'x",
}

func checkErr(t *testing.T, query string, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T %v is not *Error", query, err, err)
	}
	if !knownCodes[e.Code] || e.Message == "" {
		t.Fatalf("%q: bad error %#v", query, e)
	}
	if e.Row > 0 && !strings.Contains(e.Message, "ERROR at Row:") {
		t.Fatalf("%q: positioned error without the ERROR line: %q", query, e.Message)
	}
}

// FuzzParseSOQL: arbitrary input never panics and yields a query or an
// *Error with a Salesforce code.
func FuzzParseSOQL(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			checkErr(t, query, err)
			return
		}
		if q == nil {
			t.Fatalf("%q: nil query without error", query)
		}
	})
}

// FuzzRunSOQL: whatever parses also runs against a small org without
// panicking, answering a result or an *Error.
func FuzzRunSOQL(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	env := testEnv(f)
	f.Fuzz(func(t *testing.T, query string) {
		q, err := Parse(query)
		if err != nil {
			checkErr(t, query, err)
			return
		}
		res, err := q.Run(env)
		if err != nil {
			checkErr(t, query, err)
			return
		}
		if res == nil {
			t.Fatalf("%q: nil result without error", query)
		}
	})
}
