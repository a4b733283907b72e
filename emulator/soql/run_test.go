package soql

import (
	"testing"
)

// TestQueries: each row is a SOQL behaviour a client relies on; want is the
// rendered result (rows " | ", parents {…}, child results […]).
func TestQueries(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name, query, want string
	}{
		{"fields come back in SELECT order with canonical names whatever the case", "select NAME, industry from ACCOUNT where name = 'edge communications'", "Name=Edge Communications Industry=Energy"},
		{"= on text ignores case", "SELECT Name FROM Account WHERE Industry = 'ENERGY' ORDER BY Name", "Name=Dickenson plc | Name=Edge Communications"},
		{"!= includes nulls", "SELECT Name FROM Account WHERE Score__c != 5 ORDER BY Name", "Name=Burlington Textiles | Name=Dickenson plc | Name=grand Hotels 100%_off | Name=Pyramid Construction"},
		{"<> is !=", "SELECT Name FROM Account WHERE Industry <> 'energy' AND Industry <> 'Apparel' ORDER BY Name", "Name=grand Hotels 100%_off | Name=Pyramid Construction"},
		{"= null", "SELECT Name FROM Account WHERE AnnualRevenue = null ORDER BY Name", "Name=Dickenson plc | Name=grand Hotels 100%_off"},
		{"!= null", "SELECT Name FROM Account WHERE Tags__c != null ORDER BY Name", "Name=Burlington Textiles | Name=Dickenson plc | Name=Edge Communications"},
		{"number comparisons", "SELECT Name FROM Account WHERE AnnualRevenue >= 3000 AND AnnualRevenue < 5000", "Name=Pyramid Construction"},
		{"negative numbers parse", "SELECT Name FROM Account WHERE AnnualRevenue > -1 AND NumberOfEmployees <= 10", "Name=Edge Communications"},
		{"text < compares ignoring case", "SELECT Name FROM Account WHERE Name < 'e' ORDER BY Name", "Name=Burlington Textiles | Name=Dickenson plc"},
		{"LIKE with % ignores case", "SELECT Name FROM Account WHERE Name LIKE '%TEXT%'", "Name=Burlington Textiles"},
		{"LIKE prefix", "SELECT Name FROM Account WHERE Name LIKE 'ed%'", "Name=Edge Communications"},
		{"LIKE _ matches one character", "SELECT Name FROM Account WHERE Name LIKE 'Edg_ Communications'", "Name=Edge Communications"},
		{"LIKE escaped % and _ match themselves", `SELECT Name FROM Account WHERE Name LIKE '%100\%\_off'`, "Name=grand Hotels 100%_off"},
		{"LIKE escaped % does not match other text", `SELECT Name FROM Account WHERE Name LIKE '%100\%x%'`, ""},
		{"IN on text ignores case", "SELECT Name FROM Account WHERE Industry IN ('apparel', 'CONSTRUCTION') ORDER BY Name", "Name=Burlington Textiles | Name=Pyramid Construction"},
		{"NOT IN includes nulls", "SELECT LastName FROM Contact WHERE FirstName NOT IN ('Rose', 'Sean') ORDER BY LastName", "LastName=Orphan | LastName=Rogers"},
		{"AND of ORs needs parentheses", "SELECT Name FROM Account WHERE (Industry = 'Energy' OR Industry = 'Apparel') AND AnnualRevenue > 2000", "Name=Burlington Textiles"},
		{"NOT negates a condition", "SELECT Name FROM Account WHERE NOT Industry = 'energy' AND NOT Name LIKE 'g%' ORDER BY Name", "Name=Burlington Textiles | Name=Pyramid Construction"},
		{"boolean literal", "SELECT COUNT() FROM Contact WHERE DoNotCall = false", "count=4"},
		{"INCLUDES is (a AND b) OR c", "SELECT Name FROM Account WHERE Tags__c INCLUDES ('Red;Green', 'blue') ORDER BY Name", "Name=Burlington Textiles | Name=Dickenson plc | Name=Edge Communications"},
		{"INCLUDES needs every value of a group", "SELECT Name FROM Account WHERE Tags__c INCLUDES ('Red;Blue')", ""},
		{"EXCLUDES", "SELECT Name FROM Account WHERE Tags__c EXCLUDES ('Blue') ORDER BY Name", "Name=Edge Communications | Name=grand Hotels 100%_off | Name=Pyramid Construction"},
		{"parent fields nest under the relationship", "SELECT LastName, Account.Name, Account.Industry FROM Contact WHERE Email = 'rose@edge.example'", "LastName=Gonzalez Account={Name=Edge Communications Industry=Energy}"},
		{"a null parent is null", "SELECT LastName, Account.Name FROM Contact WHERE LastName = 'Orphan'", "LastName=Orphan Account=null"},
		{"two-level parent path", "SELECT Name, Account.Owner.Name FROM Opportunity WHERE Name = 'Edge SLA'", "Name=Edge SLA Account={Owner={Name=Ada Admin}}"},
		{"parent path on a self lookup", "SELECT Name, Parent.Name FROM Account WHERE ParentId != null", "Name=grand Hotels 100%_off Parent={Name=Edge Communications}"},
		{"polymorphic What.Name", "SELECT Subject, What.Name, What.Type FROM Task ORDER BY Subject", "Subject=Call What={Name=Edge Communications Type=Account} | Subject=Email What={Name=Edge SLA Type=Opportunity} | Subject=Note What=null"},
		{"filter on a parent field", "SELECT LastName FROM Contact WHERE Account.Industry = 'energy' ORDER BY LastName", "LastName=Forbes | LastName=Gonzalez"},
		{"child subquery with WHERE, ORDER BY and LIMIT", "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName != 'x' ORDER BY LastName DESC LIMIT 1) FROM Account WHERE Name IN ('Edge Communications', 'Pyramid Construction') ORDER BY Name", "Name=Edge Communications Contacts=[LastName=Gonzalez] | Name=Pyramid Construction Contacts=null"},
		{"child subquery on Opportunities", "SELECT Name, (SELECT Name, Amount FROM Opportunities ORDER BY Amount) FROM Account WHERE Name = 'Edge Communications'", "Name=Edge Communications Opportunities=[Name=Edge Upsell Amount=15000; Name=Edge SLA Amount=60000]"},
		{"semi-join", "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact) ORDER BY Name", "Name=Burlington Textiles | Name=Edge Communications"},
		{"anti-join", "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Opportunity WHERE StageName = 'Prospecting') ORDER BY Name", "Name=Dickenson plc | Name=grand Hotels 100%_off | Name=Pyramid Construction"},
		{"ORDER BY DESC puts nulls last", "SELECT Name FROM Account ORDER BY AnnualRevenue DESC", "Name=Burlington Textiles | Name=Pyramid Construction | Name=Edge Communications | Name=Dickenson plc | Name=grand Hotels 100%_off"},
		{"ORDER BY ASC puts nulls first", "SELECT Name FROM Account ORDER BY AnnualRevenue, Name", "Name=Dickenson plc | Name=grand Hotels 100%_off | Name=Edge Communications | Name=Pyramid Construction | Name=Burlington Textiles"},
		{"NULLS LAST on ASC", "SELECT Name FROM Account ORDER BY AnnualRevenue ASC NULLS LAST, Name LIMIT 3", "Name=Edge Communications | Name=Pyramid Construction | Name=Burlington Textiles"},
		{"ORDER BY a parent field", "SELECT LastName FROM Contact WHERE AccountId != null ORDER BY Account.Name, LastName", "LastName=Rogers | LastName=Forbes | LastName=Gonzalez"},
		{"ORDER BY text ignores case", "SELECT Name FROM Account WHERE Name LIKE '%o%' ORDER BY Name DESC", "Name=Pyramid Construction | Name=grand Hotels 100%_off | Name=Edge Communications | Name=Dickenson plc | Name=Burlington Textiles"},
		{"LIMIT and OFFSET", "SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1", "Name=Dickenson plc | Name=Edge Communications"},
		{"OFFSET past the end", "SELECT Name FROM Account ORDER BY Name OFFSET 2000", ""},
		{"ids compare by their 15-character form", "SELECT LastName FROM Contact WHERE AccountId = '" + string(accountID(t, env, "Edge Communications"))[:15] + "' ORDER BY LastName", "LastName=Forbes | LastName=Gonzalez"},
		{"Id = 18-character id uses the index", "SELECT Name FROM Account WHERE Id = '" + string(accountID(t, env, "Burlington Textiles")) + "'", "Name=Burlington Textiles"},
		{"WITH SECURITY_ENFORCED, USING SCOPE and FOR VIEW are accepted", "SELECT Name FROM Account USING SCOPE Everything WHERE Name = 'Dickenson plc' WITH SECURITY_ENFORCED FOR VIEW", "Name=Dickenson plc"},
		{"WITH USER_MODE and FOR UPDATE", "SELECT Name FROM Account WHERE Name = 'Dickenson plc' WITH USER_MODE LIMIT 1 FOR UPDATE", "Name=Dickenson plc"},
		{"FROM alias", "SELECT a.Name FROM Account a WHERE a.Industry = 'Apparel'", "Name=Burlington Textiles"},
		{"COUNT()", "SELECT COUNT() FROM Account", "count=5"},
		{"COUNT() with WHERE", "SELECT COUNT() FROM Account WHERE Industry = 'Energy'", "count=2"},
		{"COUNT(f) counts non-null values", "SELECT COUNT(AnnualRevenue) FROM Account", "expr0=3"},
		{"aggregates are expr0, expr1… unless aliased", "SELECT COUNT(Id), SUM(AnnualRevenue) total, MAX(AnnualRevenue), MIN(Name), AVG(AnnualRevenue) FROM Account", "expr0=5 total=9000 expr1=5000 expr2=Burlington Textiles expr3=3000"},
		{"COUNT_DISTINCT ignores case like GROUP BY", "SELECT COUNT_DISTINCT(Industry) FROM Account", "expr0=4"},
		{"GROUP BY groups text ignoring case", "SELECT Industry, COUNT(Id) n FROM Account GROUP BY Industry ORDER BY Industry", "Industry=Apparel n=1 | Industry=Construction n=1 | Industry=Energy n=2 | Industry=Hospitality n=1"},
		{"GROUP BY with HAVING and ORDER BY an aggregate", "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry HAVING COUNT(Id) > 1", "Industry=Energy expr0=2"},
		{"GROUP BY a parent field", "SELECT Account.Name, SUM(Amount) FROM Opportunity GROUP BY Account.Name ORDER BY SUM(Amount) DESC", "Name=Edge Communications expr0=75000 | Name=Burlington Textiles expr0=20000"},
		{"aggregate over no rows", "SELECT COUNT(Id), SUM(AnnualRevenue) FROM Account WHERE Name = 'nobody'", "expr0=0 expr1=null"},
		{"FIELDS(STANDARD) needs no LIMIT", "SELECT FIELDS(STANDARD) FROM Account WHERE Name = 'Edge Communications'", ""},
		{"date literal on a date field", "SELECT Name FROM Opportunity WHERE CloseDate = 2026-03-01", "Name=Edge SLA"},
		{"datetime literal with offset", "SELECT Name FROM Account WHERE CreatedDate >= 2026-03-04T00:00:00+09:00 ORDER BY Name", "Name=Edge Communications"},
		{"datetime literal in UTC", "SELECT Name FROM Account WHERE CreatedDate < 2025-01-01T00:00:00Z", "Name=Dickenson plc"},
		{"TODAY is the org's local day (Tokyo)", "SELECT Name FROM Account WHERE CreatedDate = TODAY", "Name=Edge Communications"},
		{"YESTERDAY", "SELECT Name FROM Account WHERE CreatedDate = YESTERDAY", "Name=grand Hotels 100%_off"},
		{"TODAY on a date field", "SELECT LastName FROM Contact WHERE Birthdate = TODAY", "LastName=Forbes"},
		{"> TODAY means after today", "SELECT Name FROM Opportunity WHERE CloseDate > TODAY ORDER BY CloseDate", "Name=Edge Upsell | Name=Burl Deal"},
		{"< THIS_MONTH means before the month", "SELECT Name FROM Account WHERE CreatedDate < THIS_MONTH ORDER BY Name", "Name=Burlington Textiles | Name=Dickenson plc | Name=Pyramid Construction"},
		{"LAST_N_DAYS includes today", "SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:1 ORDER BY Name", "Name=Edge Communications | Name=grand Hotels 100%_off"},
		{"NEXT_N_DAYS starts tomorrow", "SELECT Name FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:20", "Name=Edge Upsell"},
		{"THIS_WEEK starts on Sunday", "SELECT Name FROM Opportunity WHERE CloseDate = THIS_WEEK", "Name=Edge SLA"},
		{"LAST_MONTH", "SELECT Name FROM Account WHERE CreatedDate = LAST_MONTH", "Name=Burlington Textiles"},
		{"NEXT_MONTH", "SELECT Name FROM Opportunity WHERE CloseDate = NEXT_MONTH", "Name=Burl Deal"},
		{"THIS_QUARTER", "SELECT COUNT() FROM Account WHERE CreatedDate = THIS_QUARTER", "count=3"},
		{"LAST_QUARTER", "SELECT Name FROM Account WHERE CreatedDate = LAST_QUARTER", "Name=Pyramid Construction"},
		{"LAST_N_QUARTERS:8", "SELECT Name FROM Account WHERE CreatedDate = LAST_N_QUARTERS:8 ORDER BY Name", "Name=Dickenson plc | Name=Pyramid Construction"},
		{"THIS_YEAR", "SELECT COUNT() FROM Account WHERE CreatedDate = THIS_YEAR", "count=3"},
		{"LAST_YEAR", "SELECT Name FROM Account WHERE CreatedDate = LAST_YEAR", "Name=Pyramid Construction"},
		{"N_YEARS_AGO:2", "SELECT Name FROM Account WHERE CreatedDate = N_YEARS_AGO:2", "Name=Dickenson plc"},
		{"N_MONTHS_AGO:3", "SELECT Name FROM Account WHERE CreatedDate = N_MONTHS_AGO:3", "Name=Pyramid Construction"},
		{"N_DAYS_AGO:1 is yesterday", "SELECT Name FROM Account WHERE CreatedDate = N_DAYS_AGO:1", "Name=grand Hotels 100%_off"},
		{"LAST_90_DAYS", "SELECT COUNT() FROM Account WHERE CreatedDate = LAST_90_DAYS", "count=3"},
		{"THIS_FISCAL_YEAR is the calendar year", "SELECT COUNT() FROM Account WHERE CreatedDate = THIS_FISCAL_YEAR", "count=3"},
		{"string escapes", `SELECT COUNT() FROM Account WHERE Name = 'It\'s'`, "count=0"},
		{"LIMIT 0", "SELECT Name FROM Account LIMIT 0", ""},
		{"queryAll sees nothing extra when nothing is deleted", "SELECT COUNT() FROM Contact", "count=4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runQuery(t, env, tt.query)
			if err != nil {
				t.Fatalf("%s: %v", tt.query, err)
			}
			if tt.name == "FIELDS(STANDARD) needs no LIMIT" {
				if len(res.Rows) != 1 || res.Rows[0].Get("Name") != "Edge Communications" || res.Rows[0].Get("Tags__c") != nil || res.Rows[0].Fields[0].Name != "Id" {
					t.Errorf("FIELDS(STANDARD): %s", render(res))
				}
				return
			}
			if got := render(res); got != tt.want {
				t.Errorf("%s\n got: %s\nwant: %s", tt.query, got, tt.want)
			}
		})
	}
}

func accountID(t *testing.T, env Env, name string) string {
	t.Helper()
	res, err := runQuery(t, env, "SELECT Id FROM Account WHERE Name = '"+name+"'")
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("account %q: %v", name, err)
	}
	return string(res.Rows[0].ID)
}
