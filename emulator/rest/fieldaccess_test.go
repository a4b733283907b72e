package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

// flsOrg is a call-tracking customer whose integration user
// (sender@acme.example) has a profile that hides Account.Secret__c and makes
// Account.Rating read only; granted@ has SendUserPS, which grants Secret__c
// back.
const flsOrg = `
org: {name: Acme}
profiles:
  - name: Integration
    field_permissions: {Account.Secret__c: none, Account.Rating: read}
permission_sets:
  - name: SendUserPS
    field_permissions: {Account.Secret__c: edit}
users:
  - {username: sender@acme.example, profile: Integration}
  - {username: granted@acme.example, profile: Integration, permission_sets: [SendUserPS]}
objects:
  Account:
    fields:
      Secret__c: {type: text, external_id: true}
      External_Key__c: {type: text, external_id: true, length: 40}
records:
  Account:
    - {Name: Edge Communications, Secret__c: s3cret, Rating: Hot, External_Key__c: EDGE-1}
`

const noSecretColumn = `No such column 'Secret__c' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`

func TestRESTHonoursFieldLevelSecurity(t *testing.T) {
	e := newEnvWith(t, flsOrg)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	granted := e.tokenFor("granted@acme.example")
	const v = "/services/data/v66.0"
	tests := []struct {
		name, method, path, body string
		granted                  bool // as granted@ rather than sender@
		status                   int
		want                     string // the whole body; "#id" is a new record's id
	}{
		{"querying a hidden field is INVALID_FIELD, as if it did not exist", "GET", v + "/query?q=" + q("SELECT Id, Secret__c FROM Account"), "", false, 400,
			`[{"message":"\nSELECT Id, Secret__c FROM Account\n           ^\nERROR at Row:1:Column:12\n` + noSecretColumn + `","errorCode":"INVALID_FIELD"}]`},
		{"a permission set grants the field back", "GET", v + "/query?q=" + q("SELECT Secret__c FROM Account"), "", true, 200,
			`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"Secret__c":"s3cret"}]}`},
		{"a read-only field can be queried", "GET", v + "/query?q=" + q("SELECT Rating FROM Account"), "", false, 200,
			`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"Rating":"Hot"}]}`},
		{"creating with a hidden field", "POST", v + "/sobjects/Account", `{"Name":"New","Secret__c":"x"}`, false, 400,
			`[{"message":"No such column 'Secret__c' on sobject of type Account","errorCode":"INVALID_FIELD","fields":[]}]`},
		{"creating with a read-only field", "POST", v + "/sobjects/Account", `{"Name":"New","Rating":"Warm"}`, false, 400,
			`[{"message":"Unable to create fields: Rating. Please check the security settings of this field and verify that it is read/write for your profile or permission set.","errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["Rating"]}]`},
		{"updating a read-only field", "PATCH", v + "/sobjects/Account/" + edge, `{"Rating":"Warm"}`, false, 400,
			`[{"message":"Unable to update fields: Rating. Please check the security settings of this field and verify that it is read/write for your profile or permission set.","errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["Rating"]}]`},
		{"updating a field the permission set makes editable", "PATCH", v + "/sobjects/Account/" + edge, `{"Secret__c":"s3cret"}`, true, 204, ``},
		{"upserting with a hidden field", "PATCH", v + "/sobjects/Account/External_Key__c/EDGE-1", `{"Secret__c":"x"}`, false, 400,
			`[{"message":"No such column 'Secret__c' on sobject of type Account","errorCode":"INVALID_FIELD","fields":[]}]`},
		{"upserting on a hidden external id", "PATCH", v + "/sobjects/Account/Secret__c/s3cret", `{"Name":"x"}`, false, 404,
			`[{"message":"Provided external ID field does not exist or is not accessible: Secret__c","errorCode":"NOT_FOUND"}]`},
		{"reading a hidden field by ?fields=", "GET", v + "/sobjects/Account/" + edge + "?fields=Name,Secret__c", "", false, 400,
			`[{"message":"No such column 'Secret__c' on sobject of type Account","errorCode":"INVALID_FIELD"}]`},
		{"a collection create with a hidden field fails that record", "POST", v + "/composite/sobjects",
			`{"records":[{"attributes":{"type":"Account"},"Name":"A","Secret__c":"x"}]}`, false, 200,
			`[{"success":false,"errors":[{"statusCode":"INVALID_FIELD","message":"No such column 'Secret__c' on sobject of type Account","fields":[]}]}]`},
		{"a collection retrieve of a hidden field", "GET", v + "/composite/sobjects/Account?ids=" + edge + "&fields=Name,Secret__c", "", false, 400,
			`[{"message":"No such column 'Secret__c' on sobject of type Account","errorCode":"INVALID_FIELD"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got response
			if tt.granted {
				got = e.do(tt.method, tt.path, tt.body, "token", granted)
			} else {
				got = e.do(tt.method, tt.path, tt.body)
			}
			if got.status != tt.status || got.body != tt.want {
				t.Errorf("%s %s:\n got %d %s\nwant %d %s", tt.method, tt.path, got.status, got.body, tt.status, tt.want)
			}
		})
	}
}

// TestReadAndDescribeLeaveHiddenFieldsOut: GET /sobjects/X/id omits what
// the user cannot see; describe omits it too and marks read-only fields
// neither createable nor updateable.
func TestReadAndDescribeLeaveHiddenFieldsOut(t *testing.T) {
	e := newEnvWith(t, flsOrg)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	const v = "/services/data/v66.0"
	var rec map[string]any
	got := e.do("GET", v+"/sobjects/Account/"+edge, "")
	if err := json.Unmarshal([]byte(got.body), &rec); got.status != 200 || err != nil {
		t.Fatalf("%d %s", got.status, got.body)
	}
	if _, ok := rec["Secret__c"]; ok {
		t.Errorf("the record shows a hidden field: %s", got.body)
	}
	if rec["Rating"] != "Hot" || rec["Name"] != "Edge Communications" {
		t.Errorf("the record lacks visible fields: %s", got.body)
	}
	got = e.do("GET", v+"/sobjects/Account/"+edge, "", "token", e.tokenFor("granted@acme.example"))
	if !strings.Contains(got.body, `"Secret__c":"s3cret"`) {
		t.Errorf("the permission set's holder must see Secret__c: %s", got.body)
	}

	var desc struct {
		Fields []struct {
			Name       string `json:"name"`
			Createable bool   `json:"createable"`
			Updateable bool   `json:"updateable"`
		} `json:"fields"`
	}
	got = e.do("GET", v+"/sobjects/Account/describe", "")
	if err := json.Unmarshal([]byte(got.body), &desc); got.status != 200 || err != nil {
		t.Fatalf("%d %s", got.status, got.body)
	}
	seen := map[string]bool{}
	for _, f := range desc.Fields {
		seen[f.Name] = true
		switch f.Name {
		case "Secret__c":
			t.Error("describe lists a hidden field")
		case "Rating":
			if f.Createable || f.Updateable {
				t.Errorf("a read-only field: createable %v updateable %v, want false, false", f.Createable, f.Updateable)
			}
		case "Industry":
			if !f.Createable || !f.Updateable {
				t.Errorf("an unrestricted field: createable %v updateable %v, want true, true", f.Createable, f.Updateable)
			}
		}
	}
	if !seen["Rating"] || !seen["Industry"] {
		t.Errorf("describe lacks visible fields: %v", seen)
	}
	got = e.do("GET", v+"/sobjects/Account/describe/layouts/", "")
	if got.status != 200 || strings.Contains(got.body, "Secret__c") || !strings.Contains(got.body, `"value":"Rating"`) {
		t.Errorf("layouts must leave the hidden field out and keep the read-only one: %d %.300s", got.status, got.body)
	}
}
