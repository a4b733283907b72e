package soql

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/errors")

// TestErrorsMatchCapturedBodies pins the message layout to bodies captured
// from real orgs (see errors.go for where each was published).
func TestErrorsMatchCapturedBodies(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name, query, code, message string
	}{
		{"jsforce: unknown custom field in a short query is shown whole, caret under the name",
			"SELECT Bacon__c FROM Account LIMIT 2", CodeInvalidField,
			"\nSELECT Bacon__c FROM Account LIMIT 2\n       ^\nERROR at Row:1:Column:8\nNo such column 'Bacon__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"Java client: a stray FROM keyword, window cut 36 characters before the caret, caret one before the token",
			"SELECT Id, Name, LastModifiedById, LastModifiedDate, From Account ", CodeMalformedQuery,
			"\nLastModifiedById, LastModifiedDate, From Account \n                                   ^\nERROR at Row:1:Column:53\nunexpected token: 'From'"},
		{"SOAP-era client: alias-qualified query, window starts at the first token within reach",
			"SELECT a.Id, a.Name FROM Account a WHERE Idd='00111000002zYnu'", CodeInvalidField,
			"\na.Id, a.Name FROM Account a WHERE Idd='00111000002zYnu'\n                                  ^\nERROR at Row:1:Column:42\nNo such column 'Idd' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"Apex tooling: unknown object",
			"SELECT Id, Name, AccountNumber FROM AccountOpps WHERE Name like 'okToDelete%'", CodeInvalidType,
			"\nSELECT Id, Name, AccountNumber FROM AccountOpps WHERE Name like 'okToDelete%'\n                                    ^\nERROR at Row:1:Column:37\nsObject type 'AccountOpps' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"lnav capture: a character no token starts with",
			"select Id from Account where id = $sfid", CodeMalformedQuery,
			"\nselect Id from Account where id = $sfid\n                                 ^\nERROR at Row:1:Column:34\nline 1:34 unexpected token: '$'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runQuery(t, env, tt.query)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *Error", err)
			}
			if e.Code != tt.code || e.Message != tt.message {
				t.Errorf("got  %s %q\nwant %s %q", e.Code, e.Message, tt.code, tt.message)
			}
		})
	}
}

// TestErrors: each row is a mistake a client makes; the golden file under
// testdata/errors/<file>.txt holds Salesforce's exact message (go test -update
// rewrites them).
func TestErrors(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		file, query, code string
	}{
		{"unknown_field", "SELECT Id, Nmae FROM Lead", CodeInvalidField},
		{"unknown_field_in_where", "SELECT Id FROM Contact WHERE Bogus__c = 'x'", CodeInvalidField},
		{"unknown_field_through_parent", "SELECT Account.Nmae FROM Contact", CodeInvalidField},
		{"unknown_relationship", "SELECT Acount.Name FROM Contact", CodeInvalidField},
		{"unknown_object", "SELECT Id FROM Acount", CodeInvalidType},
		{"unknown_child_relationship", "SELECT Name, (SELECT Id FROM Contactz) FROM Account", CodeInvalidType},
		{"and_then_or", "SELECT Id FROM Account WHERE Name = 'a' AND Industry = 'b' OR Site = 'c'", CodeMalformedQuery},
		{"or_then_and", "SELECT Id FROM Account WHERE Name = 'a' OR Industry = 'b' AND Site = 'c'", CodeMalformedQuery},
		{"missing_where_condition", "SELECT Id FROM Account WHERE", CodeMalformedQuery},
		{"trailing_comma", "SELECT Id, FROM Account", CodeMalformedQuery},
		{"unterminated_string", "SELECT Id FROM Account WHERE Name = 'Acme", CodeMalformedQuery},
		{"empty_in_list", "SELECT ParentId FROM Account WHERE ParentId IN ()", CodeMalformedQuery},
		{"offset_over_2000", "SELECT Id FROM Account OFFSET 2001", CodeNumberOutOfRange},
		{"fields_all_without_limit", "SELECT FIELDS(ALL) FROM Account", CodeMalformedQuery},
		{"fields_custom_limit_over_200", "SELECT FIELDS(CUSTOM) FROM Account LIMIT 201", CodeMalformedQuery},
		{"number_for_text_field", "SELECT Id FROM Account WHERE Name = 5", CodeMalformedQuery},
		{"quoted_date", "SELECT Id FROM Account WHERE CreatedDate > '2026-01-01'", CodeMalformedQuery},
		{"date_for_datetime_field", "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01", CodeMalformedQuery},
		{"bad_id_literal", "SELECT Id FROM Account WHERE Id = 'abc'", CodeMalformedQuery},
		{"invalid_datetime", "SELECT Id FROM Account WHERE SystemModstamp > 2020-12-12t12:12:00-25:00", CodeMalformedQuery},
		{"ungrouped_field", "SELECT Name, COUNT(Id) FROM Account", CodeMalformedQuery},
		{"sum_of_text", "SELECT SUM(Name) FROM Account", CodeMalformedQuery},
		{"multi_line_query_error_on_row_3", "SELECT Id\nFROM Account\nWHERE Nope__c = 1", CodeInvalidField},
		{"long_query_window", "SELECT Id, Name, Industry, Type, BillingCity, BillingState, BillingCountry, Phone, Website, Bogus__c, AnnualRevenue, NumberOfEmployees, Description FROM Account", CodeInvalidField},
		{"using_without_scope", "SELECT Id FROM Account USING everything", CodeMalformedQuery},
		{"duplicate_field", "SELECT Id, id FROM Account", CodeMalformedQuery},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := runQuery(t, env, tt.query)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: got %v, want *Error", tt.query, err)
			}
			if e.Code != tt.code {
				t.Errorf("code %s, want %s (%q)", e.Code, tt.code, e.Message)
			}
			golden := filepath.Join("testdata", "errors", tt.file+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(e.Message), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if e.Message != string(want) {
				t.Errorf("message:\n%s\nwant:\n%s", e.Message, want)
			}
			if !strings.HasSuffix(e.Message, e.Text) {
				t.Errorf("Message %q does not end with Text %q", e.Message, e.Text)
			}
		})
	}
}
