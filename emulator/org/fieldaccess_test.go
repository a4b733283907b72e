package org

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// flsOrg is a call-tracking customer whose Integration profile hides
// Account.Secret__c and makes Account.Rating read only; SendUserPS grants
// Secret__c back.
const flsOrg = `org: {name: Acme}
profiles:
  - name: Integration
    field_permissions: {Account.Secret__c: none, Account.Rating: read, Account.Site: none}
permission_sets:
  - name: SendUserPS
    field_permissions: {Account.Secret__c: edit}
  - name: ReadSitePS
    field_permissions: {Account.Site: read, Account.Rating: none}
users:
  - {username: hidden@acme.example, profile: Integration}
  - {username: granted@acme.example, profile: Integration, permission_sets: [SendUserPS]}
  - {username: readsite@acme.example, profile: Integration, permission_sets: [ReadSitePS]}
  - {username: admin@acme.example, profile: System Administrator}
objects:
  Account:
    fields:
      Secret__c: {type: text}
records:
  Account:
    - {Name: Edge Communications, Secret__c: s3cret, Rating: Hot, Site: HQ}
`

func loadFLS(t *testing.T) *Store {
	t.Helper()
	s, err := loadYAML(t, "acme.yaml", flsOrg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFieldAccessIsTheMostPermissiveOfProfileAndPermissionSets: rows are
// what Setup's "View Field Accessibility" would show for each user.
func TestFieldAccessIsTheMostPermissiveOfProfileAndPermissionSets(t *testing.T) {
	s := loadFLS(t)
	acct := s.Orgs()[0].Schema.Object("Account")
	tests := []struct {
		name, user, field string
		want              FieldAccess
	}{
		{"a profile that hides a field", "hidden@acme.example", "Secret__c", FieldHidden},
		{"a permission set that grants it back", "granted@acme.example", "Secret__c", FieldEditable},
		{"a profile that makes a field read only", "hidden@acme.example", "Rating", FieldReadOnly},
		{"a permission set cannot take access away", "readsite@acme.example", "Rating", FieldReadOnly},
		{"a permission set that grants read on a hidden field", "readsite@acme.example", "Site", FieldReadOnly},
		{"a field nobody mentions stays editable", "hidden@acme.example", "Industry", FieldEditable},
		{"a profile without field permissions sees everything", "admin@acme.example", "Secret__c", FieldEditable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.User(tt.user).FieldAccess(acct.Field(tt.field)); got != tt.want {
				t.Errorf("%s on Account.%s: %d, want %d", tt.user, tt.field, got, tt.want)
			}
		})
	}
	var system *User
	if !system.CanEdit(acct.Field("Secret__c")) {
		t.Error("the system (nil user) must edit every field")
	}
}

func TestFieldPermissionFixtureErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown object", "org: {name: A}\nprofiles:\n  - name: P\n    field_permissions: {Acount.Rating: none}\n",
			`acme.yaml:4:25: profile "P": field_permissions names object "Acount", which this org does not have`},
		{"unknown field", "org: {name: A}\nprofiles:\n  - name: P\n    field_permissions:\n      Account.Rating: read\n      Account.Secret__c: none\n",
			`acme.yaml:6:7: profile "P": field_permissions names field "Secret__c", which object Account does not have`},
		{"unknown field in a permission set", "org: {name: A}\npermission_sets:\n  - name: PS\n    field_permissions: {Account.Nmae: edit}\n",
			`acme.yaml:4:25: permission set "PS": field_permissions names field "Nmae", which object Account does not have`},
		{"not Object.Field", "org: {name: A}\nprofiles:\n  - {name: P, field_permissions: {Rating: read}}\n",
			`acme.yaml:3:35: profile "P": field_permissions key "Rating": want Object.Field, e.g. Account.Rating`},
		{"bad access level", "org: {name: A}\nprofiles:\n  - {name: P, field_permissions: {Account.Rating: write}}\n",
			`acme.yaml:3:35: profile "P": field_permissions.Account.Rating: "write" is not an access level (none, read or edit)`},
		{"a required field cannot be hidden", "org: {name: A}\nprofiles:\n  - {name: P, field_permissions: {Account.Name: none}}\n",
			`acme.yaml:3:35: profile "P": field_permissions: Account.Name is a required or system field; Salesforce does not let its field-level security change`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, "acme.yaml", tt.yaml)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n  %v\nwant:\n  %s", err, tt.want)
			}
		})
	}
}

// TestDMLHonoursFieldLevelSecurity: writes as the API user meet its field
// permissions, with Salesforce's errors; the fixture's own records do not.
func TestDMLHonoursFieldLevelSecurity(t *testing.T) {
	s := loadFLS(t)
	o := s.Orgs()[0]
	acct := o.Schema.Object("Account")
	var existing ID
	o.Data.Scan(acct, false, func(r *Record) bool { existing = r.ID; return false })
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, user string
		update     bool
		fields     map[string]any
		want       []DMLError // nil: succeeds
	}{
		{"creating with a hidden field: no such column", "hidden@acme.example", false, map[string]any{"Name": "N", "Secret__c": "x"},
			[]DMLError{{StatusCode: "INVALID_FIELD", Message: "No such column 'Secret__c' on sobject of type Account", Fields: []string{}}}},
		{"creating with a read-only field", "hidden@acme.example", false, map[string]any{"Name": "N", "Rating": "Hot"},
			[]DMLError{{StatusCode: "INVALID_FIELD_FOR_INSERT_UPDATE", Message: "Unable to create fields: Rating. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", Fields: []string{"Rating"}}}},
		{"updating a read-only field", "hidden@acme.example", true, map[string]any{"Rating": "Warm"},
			[]DMLError{{StatusCode: "INVALID_FIELD_FOR_INSERT_UPDATE", Message: "Unable to update fields: Rating. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", Fields: []string{"Rating"}}}},
		{"a field read only by permission set is still not writable", "readsite@acme.example", true, map[string]any{"Site": "Branch"},
			[]DMLError{{StatusCode: "INVALID_FIELD_FOR_INSERT_UPDATE", Message: "Unable to update fields: Site. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", Fields: []string{"Site"}}}},
		{"a permission set that grants edit", "granted@acme.example", true, map[string]any{"Secret__c": "new"}, nil},
		{"fields nobody restricts", "hidden@acme.example", true, map[string]any{"Industry": "Energy"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []DMLError
			if tt.update {
				_, errs = o.Data.Update(existing, tt.fields, s.User(tt.user), now)
			} else {
				_, errs = o.Data.Insert(acct, tt.fields, s.User(tt.user), now, DMLOptions{})
			}
			if !reflect.DeepEqual(errs, tt.want) {
				t.Errorf("errors %+v, want %+v", errs, tt.want)
			}
		})
	}
}

func TestDescribeAsAUser(t *testing.T) {
	s := loadFLS(t)
	acct := s.Orgs()[0].Schema.Object("Account")
	byName := func(fds []FieldDescribe) map[string]FieldDescribe {
		m := map[string]FieldDescribe{}
		for _, fd := range fds {
			m[fd.Name] = fd
		}
		return m
	}
	hidden := byName(acct.DescribeFieldsFor(s.User("hidden@acme.example")))
	if _, ok := hidden["Secret__c"]; ok {
		t.Error("a hidden field must be absent from describe")
	}
	if r := hidden["Rating"]; r.Name == "" || r.Createable || r.Updateable {
		t.Errorf("a read-only field must be in describe, neither createable nor updateable: %+v", r)
	}
	if i := hidden["Industry"]; !i.Createable || !i.Updateable {
		t.Errorf("an unrestricted field keeps its flags: %+v", i)
	}
	if got, want := len(acct.DescribeFieldsFor(s.User("admin@acme.example"))), len(acct.Fields); got != want {
		t.Errorf("admin describes %d fields, want all %d", got, want)
	}
	names := func(fs []*Field) string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return strings.Join(out, ",")
	}
	fs := []*Field{acct.Field("Id"), acct.Field("Name"), acct.Field("Secret__c"), acct.Field("Rating")}
	if got := names(s.User("hidden@acme.example").ReadableFields(fs)); got != "Id,Name,Rating" {
		t.Errorf("readable fields %s, want Id,Name,Rating", got)
	}
}
