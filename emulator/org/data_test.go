package org

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/clock"
)

var dataNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const bookingOrg = `
org: {name: Booking}
users:
  - {username: sender@booking.example, profile: Standard User}
objects:
  Lead:
    fields:
      Rating__c: {type: picklist, values: [Hot, Warm], restricted: true}
      Region__c: {type: text, required: true}
      Source_System__c: {type: picklist, values: [Web, Phone], default: Web}
      Legacy_Id__c: {type: text, length: 20, external_id: true}
  Invoice__c:
    label: Invoice
    fields:
      Amount__c: {type: currency}
      Account__c: {type: lookup, reference_to: Account}
records:
  Account:
    - {_ref: edge, Name: Edge Communications, Industry: Energy, CreatedDate: 2025-06-01T09:00:00Z}
  Contact:
    - {LastName: Gonzalez, FirstName: Rose, Email: rose@edge.example, AccountId: "@edge"}
  Invoice__c:
    - {Name: INV-1, Amount__c: 4500, Account__c: "@edge"}
`

func bookingStore(t *testing.T) (*Store, *Org) {
	t.Helper()
	s, err := NewStore(clock.NewVirtual(dataNow), Source{Name: "booking.yaml", Data: []byte(bookingOrg)})
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Orgs()[0]
}

func jsonFields(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCreateErrorsMatchSalesforce: one row per error a booking integration
// meets when it writes a Lead.
func TestCreateErrorsMatchSalesforce(t *testing.T) {
	tests := []struct {
		name   string
		object string
		body   string
		want   []DMLError
	}{
		{"required standard and custom fields missing", "Lead", `{"LastName":"Doe"}`,
			[]DMLError{{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [Company, Region__c]", Fields: []string{"Company", "Region__c"}}}},
		{"restricted picklist rejects other values", "Lead", `{"LastName":"Doe","Company":"X","Region__c":"EU","Rating__c":"Cold"}`,
			[]DMLError{{StatusCode: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", Message: "Rating: bad value for restricted picklist field: Cold", Fields: []string{"Rating__c"}}}},
		{"unrestricted picklist takes any value", "Lead", `{"LastName":"Doe","Company":"X","Region__c":"EU","Industry":"Quantum"}`, nil},
		{"unknown field", "Lead", `{"LastName":"Doe","Company":"X","Region__c":"EU","Nmae":"x"}`,
			[]DMLError{{StatusCode: "INVALID_FIELD", Message: "No such column 'Nmae' on sobject of type Lead", Fields: []string{}}}},
		{"read-only fields", "Lead", `{"LastName":"Doe","Company":"X","Region__c":"EU","CreatedDate":"2026-01-01T00:00:00Z","IsConverted":true}`,
			[]DMLError{{StatusCode: "INVALID_FIELD_FOR_INSERT_UPDATE", Message: "Unable to create fields: CreatedDate, IsConverted. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", Fields: []string{"CreatedDate", "IsConverted"}}}},
		{"Id in the body", "Lead", `{"Id":"00Qxx0000000001","LastName":"Doe"}`,
			[]DMLError{{StatusCode: "INVALID_FIELD", Message: "The Id field should not be specified in the sobject data.", Fields: []string{}}}},
		{"bad e-mail", "Contact", `{"LastName":"Doe","Email":"not-an-address"}`,
			[]DMLError{{StatusCode: "INVALID_EMAIL_ADDRESS", Message: "Email: invalid email address: not-an-address", Fields: []string{"Email"}}}},
		{"text too long", "Lead", `{"LastName":"Doe","Company":"X","Region__c":"EU","Legacy_Id__c":"123456789012345678901"}`,
			[]DMLError{{StatusCode: "STRING_TOO_LONG", Message: "Legacy Id: data value too large: 123456789012345678901 (max length=20)", Fields: []string{"Legacy_Id__c"}}}},
		{"lookup to a record that does not exist", "Contact", `{"LastName":"Doe","AccountId":"001xx000009ZZZZ"}`,
			[]DMLError{{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "Account ID: id value of incorrect type: 001xx000009ZZZZ", Fields: []string{"AccountId"}}}},
		{"malformed id in a lookup", "Contact", `{"LastName":"Doe","AccountId":"nope"}`,
			[]DMLError{{StatusCode: "MALFORMED_ID", Message: "Account ID: id value of incorrect type: nope", Fields: []string{"AccountId"}}}},
		{"number field given text", "Invoice__c", `{"Name":"x","Amount__c":"lots"}`,
			[]DMLError{{StatusCode: "JSON_PARSER_ERROR", Message: "Cannot deserialize instance of double from VALUE_STRING value lots or request may be missing a required field", Fields: []string{}, Field: "Amount__c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, o := bookingStore(t)
			_, errs := o.Data.Insert(o.Schema.Object(tt.object), jsonFields(t, tt.body), o.Users[0], dataNow, DMLOptions{})
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateStampsSystemFieldsAndDefaults(t *testing.T) {
	_, o := bookingStore(t)
	lead := o.Schema.Object("Lead")
	r, errs := o.Data.Insert(lead, jsonFields(t, `{"LastName":"Doe","FirstName":"Jane","Company":"X","Region__c":"EU"}`), o.Users[0], dataNow, DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	got := map[string]any{}
	for _, name := range []string{"Status", "Source_System__c", "Name", "CreatedDate", "LastModifiedDate", "OwnerId", "CreatedById", "IsDeleted", "IsConverted"} {
		got[name] = r.GetName(name)
	}
	want := map[string]any{
		"Status": "Open - Not Contacted", "Source_System__c": "Web", "Name": "Jane Doe",
		"CreatedDate": dataNow, "LastModifiedDate": dataNow, "OwnerId": string(o.Users[0].ID), "CreatedById": string(o.Users[0].ID),
		"IsDeleted": false, "IsConverted": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("new Lead (-want +got):\n%s", diff)
	}
	if len(r.ID) != 18 || r.ID.Prefix() != PrefixLead {
		t.Errorf("id %s", r.ID)
	}
}

func TestUpdateIsANewVersionAndKeepsIndexesRight(t *testing.T) {
	_, o := bookingStore(t)
	contact := o.Schema.Object("Contact")
	email := contact.Field("Email")
	recs, indexed := o.Data.Lookup(contact, email, "ROSE@edge.example", false)
	if !indexed || len(recs) != 1 {
		t.Fatalf("lookup by e-mail, case-insensitive: %d records, indexed=%v", len(recs), indexed)
	}
	old := recs[0]
	later := dataNow.Add(time.Hour)
	updated, errs := o.Data.Update(old.ID, jsonFields(t, `{"Email":"rose@new.example"}`), o.Users[0], later)
	if errs != nil {
		t.Fatal(errs)
	}
	if old.GetName("Email") != "rose@edge.example" {
		t.Error("the old version changed under a reader")
	}
	if updated.GetName("LastModifiedDate") != later || updated.GetName("CreatedDate") == later {
		t.Errorf("LastModifiedDate %v CreatedDate %v", updated.GetName("LastModifiedDate"), updated.GetName("CreatedDate"))
	}
	if recs, _ := o.Data.Lookup(contact, email, "rose@edge.example", false); len(recs) != 0 {
		t.Error("the index still finds the old e-mail")
	}
	if recs, _ := o.Data.Lookup(contact, email, "rose@new.example", false); len(recs) != 1 {
		t.Error("the index does not find the new e-mail")
	}
	if errs := o.Data.Delete(old.ID, o.Users[0], later); errs != nil {
		t.Fatal(errs)
	}
	if o.Data.Count(contact) != 0 {
		t.Error("a deleted contact is still counted")
	}
	n := 0
	o.Data.Scan(contact, true, func(*Record) bool { n++; return true })
	if n != 1 {
		t.Errorf("queryAll-style scan sees %d contacts, want the deleted one", n)
	}
	if _, errs := o.Data.Update(old.ID, jsonFields(t, `{"LastName":"X"}`), o.Users[0], later); len(errs) != 1 || errs[0].StatusCode != "ENTITY_IS_DELETED" {
		t.Errorf("update of a deleted record: %v", errs)
	}
}

func TestFixtureRecordsAndCustomObjects(t *testing.T) {
	_, o := bookingStore(t)
	acct := o.Schema.Object("Account")
	var edge *Record
	o.Data.Scan(acct, false, func(r *Record) bool { edge = r; return false })
	if edge == nil || edge.GetName("CreatedDate") != time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC) {
		t.Fatalf("fixture Account with its own CreatedDate: %+v", edge)
	}
	inv := o.Schema.Object("Invoice__c")
	if inv == nil || !inv.Custom || inv.KeyPrefix != "a00" || inv.Field("Account__c").RelationshipName != "Account__r" {
		t.Fatalf("custom object: %+v", inv)
	}
	if cr := acct.ChildRelationship("Invoices__r"); cr == nil || cr.Child != inv {
		t.Errorf("Account has no Invoices__r child relationship")
	}
	if cr := acct.ChildRelationship("Contacts"); cr == nil || cr.Field.Name != "AccountId" {
		t.Errorf("Account.Contacts: %+v", cr)
	}
	var invRec *Record
	o.Data.Scan(inv, false, func(r *Record) bool { invRec = r; return false })
	if invRec.GetName("Account__c") != string(edge.ID) || invRec.GetName("Amount__c") != 4500.0 {
		t.Errorf("invoice values: %v", invRec.Values)
	}
	users := o.Schema.Object("User")
	if r := o.Data.Get(o.Users[0].ID); r == nil || r.Object != users || r.GetName("Username") != "sender@booking.example" {
		t.Errorf("users are records too: %+v", r)
	}
	if r := o.Data.Get(o.ID); r == nil || r.GetName("Name") != "Booking" {
		t.Errorf("the organization is a record: %+v", r)
	}
}

func TestFixtureRecordErrorsNameTheLine(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"org: {name: A}\nrecords:\n  Lead:\n    - {LastName: Doe}\n", `a.yaml:4:7: records.Lead[0]: REQUIRED_FIELD_MISSING: Required fields are missing: [Company]`},
		{"org: {name: A}\nrecords:\n  Contact:\n    - {LastName: Doe, AccountId: \"@nowhere\"}\n", `a.yaml:4:34: records.Contact[0].AccountId: @nowhere names no record above`},
		{"org: {name: A}\nrecords:\n  Acount:\n    - {Name: x}\n", `a.yaml:3:3: records: "Acount" is not an object of this org`},
		{"org: {name: A}\nobjects:\n  Invoice:\n    fields: {}\n", `a.yaml:3:3: object "Invoice" is not a standard object sfemu models`},
		{"org: {name: A}\nobjects:\n  Lead:\n    fields:\n      Score__c: {type: float}\n", `a.yaml:5:24: Lead.Score__c: type "float"`},
	}
	for _, tt := range tests {
		_, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(tt.yaml)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v\nwant %s", err, tt.want)
		}
	}
}

func TestOutboundMessageDefinitions(t *testing.T) {
	s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(`
org: {name: A}
users: [{username: sender@a.example, profile: Standard User}]
outbound_messages:
  - name: Action_Message_V3
    object: Account
    fields: [Name, Id, AnnualRevenue, Industry]
    endpoint_url: https://receiver.example/outbound
    user_to_send_as: sender@a.example
    include_session_id: true
    api_version: "60.0"
    rule: {when: created_or_edited, condition: "Industry = 'Energy'"}
`)})
	if err != nil {
		t.Fatal(err)
	}
	m := s.Orgs()[0].OutboundMessage("action_message_v3")
	var names []string
	for _, f := range m.Fields {
		names = append(names, f.Name)
	}
	if m.ID.Prefix() != PrefixActionID || strings.Join(names, ",") != "Id,AnnualRevenue,Industry,Name" || m.APIVersion != "60.0" ||
		m.UserToSendAs.Username != "sender@a.example" || len(m.Rules) != 1 || m.Rules[0].Condition != "Industry = 'Energy'" || !m.Rules[0].Active || m.Rules[0].Kind != RuleKindWorkflow {
		t.Errorf("definition: %+v fields %v", m, names)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"  - {name: M, object: Acount, endpoint_url: 'https://x.example', user_to_send_as: sender@a.example}\n", `object "Acount" is not an object`},
		{"  - {name: M, object: Account, fields: [Nmae], endpoint_url: 'https://x.example', user_to_send_as: sender@a.example}\n", `Account has no field "Nmae"`},
		{"  - {name: M, object: Account, endpoint_url: 'ftp://x', user_to_send_as: sender@a.example}\n", `endpoint_url "ftp://x" is not an http(s) URL`},
		{"  - {name: M, object: Account, endpoint_url: 'https://x.example', user_to_send_as: nobody@a.example}\n", `user_to_send_as "nobody@a.example" is not a user`},
	} {
		_, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte("org: {name: A}\nusers: [{username: sender@a.example, profile: Standard User}]\noutbound_messages:\n" + tt.yaml)})
		if err == nil || !strings.Contains(err.Error(), "a.yaml:4:") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want a.yaml:4: … %s", err, tt.want)
		}
	}
}

func TestWithVersionIsAViewOfAnEarlierVersion(t *testing.T) {
	_, o := bookingStore(t)
	contact := o.Schema.Object("Contact")
	email := contact.Field("Email")
	recs, _ := o.Data.Lookup(contact, email, "rose@edge.example", false)
	old := recs[0]
	o.Data.Update(old.ID, map[string]any{"Email": "rose@new.example"}, o.Users[0], dataNow)
	view := o.Data.WithVersion(old)
	if r := view.Get(old.ID); r != old {
		t.Error("Get through the view should give the earlier version")
	}
	if got, _ := view.Lookup(contact, email, "rose@edge.example", false); len(got) != 1 || got[0] != old {
		t.Errorf("indexed lookup of the old value through the view: %v", got)
	}
	if got, _ := view.Lookup(contact, email, "rose@new.example", false); len(got) != 0 {
		t.Errorf("the view should not find the new value: %v", got)
	}
	var names []any
	view.Scan(contact, false, func(r *Record) bool { names = append(names, r.GetName("Email")); return true })
	if len(names) != 1 || names[0] != "rose@edge.example" {
		t.Errorf("scan through the view: %v", names)
	}
	if cur := o.Data.Get(old.ID); cur.GetName("Email") != "rose@new.example" {
		t.Error("the view changed the data")
	}
}

func TestFixtureTimestampsAtMidnightFitDateAndDatetimeFields(t *testing.T) {
	s, err := NewStore(clock.Real{}, Source{Name: "a.yaml", Data: []byte(`
org: {name: A}
users: [{username: u@a.example, profile: Standard User}]
records:
  Contact:
    - {LastName: Midnight, Birthdate: 1980-05-17, CreatedDate: 2025-06-01T00:00:00Z}
`)})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Orgs()[0]
	var r *Record
	o.Data.Scan(o.Schema.Object("Contact"), false, func(x *Record) bool { r = x; return false })
	if r.GetName("Birthdate") != time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC) || r.GetName("CreatedDate") != time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) {
		t.Errorf("Birthdate %v, CreatedDate %v", r.GetName("Birthdate"), r.GetName("CreatedDate"))
	}
}
