package soql

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// flsOrg: the Integration profile hides Account.Secret__c and
// Contact.AccountId, and makes Account.Rating read only; SendUserPS grants
// Secret__c back.
const flsOrg = `
org: {name: Acme}
profiles:
  - name: Integration
    field_permissions: {Account.Secret__c: none, Account.Rating: read, Contact.AccountId: none}
permission_sets:
  - name: SendUserPS
    field_permissions: {Account.Secret__c: edit}
users:
  - {username: hidden@acme.example, profile: Integration}
  - {username: granted@acme.example, profile: Integration, permission_sets: [SendUserPS]}
objects:
  Account:
    fields:
      Secret__c: {type: text}
records:
  Account:
    - {_ref: edge, Name: Edge, Secret__c: s3cret, Rating: Hot}
  Contact:
    - {LastName: Gonzalez, AccountId: "@edge"}
`

const (
	noSecret = "\nSELECT Id, Secret__c FROM Account\n           ^\nERROR at Row:1:Column:12\nNo such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
)

// TestQueriesSeeOnlyTheFieldsTheUserMayRead: a field the user's field-level
// security hides is the same INVALID_FIELD as a field that does not exist,
// wherever the query names it.
func TestQueriesSeeOnlyTheFieldsTheUserMayRead(t *testing.T) {
	s, err := org.NewStore(clock.NewVirtual(testNow), org.Source{Name: "acme.yaml", Data: []byte(flsOrg)})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Orgs()[0]
	tests := []struct {
		name, user, query string
		want              string // the error message, or the rendered rows
		code              string // the error code; "" for rows
	}{
		{"a hidden field in SELECT", "hidden@acme.example", "SELECT Id, Secret__c FROM Account", noSecret, CodeInvalidField},
		{"a hidden field in WHERE", "hidden@acme.example", "SELECT Name FROM Account WHERE Secret__c = 'x'",
			"\nSELECT Name FROM Account WHERE Secret__c = 'x'\n                               ^\nERROR at Row:1:Column:32\nNo such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidField},
		{"a hidden field in ORDER BY", "hidden@acme.example", "SELECT Name FROM Account ORDER BY Secret__c",
			"\nSELECT Name FROM Account ORDER BY Secret__c\n                                  ^\nERROR at Row:1:Column:35\nNo such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidField},
		{"a hidden field through a parent", "hidden@acme.example", "SELECT Account.Secret__c FROM Opportunity",
			"\nSELECT Account.Secret__c FROM Opportunity\n       ^\nERROR at Row:1:Column:8\nNo such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidField},
		{"a hidden field in a subquery's parent", "hidden@acme.example", "SELECT Name, (SELECT Id FROM Opportunities WHERE Account.Secret__c != null) FROM Account",
			"\n(SELECT Id FROM Opportunities WHERE Account.Secret__c != null) FROM\n                                    ^\nERROR at Row:1:Column:50\nNo such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidField},
		{"a hidden lookup hides its relationship", "hidden@acme.example", "SELECT Account.Name FROM Contact",
			"\nSELECT Account.Name FROM Contact\n       ^\nERROR at Row:1:Column:8\nDidn't understand relationship 'Account' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidField},
		{"a hidden lookup hides its child relationship", "hidden@acme.example", "SELECT Name, (SELECT Id FROM Contacts) FROM Account",
			"\nSELECT Name, (SELECT Id FROM Contacts) FROM Account\n                             ^\nERROR at Row:1:Column:30\nDidn't understand relationship 'Contacts' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidType},
		{"a hidden field in a semi-join", "hidden@acme.example", "SELECT Id FROM Opportunity WHERE AccountId IN (SELECT Id FROM Account WHERE Secret__c = 'x')",
			"\nIN (SELECT Id FROM Account WHERE Secret__c = 'x')\n                                 ^\nERROR at Row:1:Column:77\nNo such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", CodeInvalidField},
		{"FIELDS() leaves a hidden field out", "hidden@acme.example", "SELECT Name, FIELDS(CUSTOM) FROM Account LIMIT 1", "Name=Edge", ""},
		{"FIELDS() as the system", "", "SELECT Name, FIELDS(CUSTOM) FROM Account LIMIT 1", "Name=Edge Secret__c=s3cret", ""},
		{"a read-only field reads", "hidden@acme.example", "SELECT Rating FROM Account", "Rating=Hot", ""},
		{"a permission set grants the field back", "granted@acme.example", "SELECT Secret__c FROM Account", "Secret__c=s3cret", ""},
		{"the system sees every field", "", "SELECT Secret__c, (SELECT LastName FROM Contacts) FROM Account", "Secret__c=s3cret Contacts=[LastName=Gonzalez]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env{Schema: o.Schema, Data: o.Data, Now: testNow, Location: o.TimeZone}
			if tt.user != "" {
				env.User = s.User(tt.user)
			}
			res, err := runQuery(t, env, tt.query)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("%q: %v", tt.query, err)
				}
				if got := render(res); got != tt.want {
					t.Errorf("rows %q, want %q", got, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: got %v, want *Error", tt.query, err)
			}
			if e.Code != tt.code || e.Message != tt.want {
				t.Errorf("got %s %q\nwant %s %q", e.Code, e.Message, tt.code, tt.want)
			}
		})
	}
}

// TestSearchSkipsFieldsTheUserMayNotRead: SOSL neither matches a term in a
// hidden field nor returns one.
func TestSearchSkipsFieldsTheUserMayNotRead(t *testing.T) {
	s, err := org.NewStore(clock.NewVirtual(testNow), org.Source{Name: "acme.yaml", Data: []byte(flsOrg)})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Orgs()[0]
	search := func(user, sosl string) ([]*Row, error) {
		q, err := ParseSOSL(sosl)
		if err != nil {
			t.Fatal(err)
		}
		return q.Run(Env{Schema: o.Schema, Data: o.Data, Now: testNow, Location: o.TimeZone, User: s.User(user)})
	}
	if rows, err := search("hidden@acme.example", "FIND {s3cret} RETURNING Account(Name)"); err != nil || len(rows) != 0 {
		t.Errorf("a term only in a hidden field: %d rows, %v; want none", len(rows), err)
	}
	if rows, err := search("granted@acme.example", "FIND {s3cret} RETURNING Account(Name)"); err != nil || len(rows) != 1 {
		t.Errorf("the permission set's holder: %d rows, %v; want 1", len(rows), err)
	}
	var e *Error
	if _, err := search("hidden@acme.example", "FIND {Edge} RETURNING Account(Secret__c)"); !errors.As(err, &e) || e.Code != CodeInvalidField ||
		!strings.HasSuffix(e.Message, "No such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.") {
		t.Errorf("returning a hidden field: %v", err)
	}
}
