package rest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/wire"
)

func TestVersionsNeedNoAuthAndEchoSalesforceReleases(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/services/data/", "/services/data"} {
		got := e.do("GET", path, "", "token", "-")
		if got.status != 200 {
			t.Fatalf("%s: %d", path, got.status)
		}
		var vs []versionInfo
		json.Unmarshal([]byte(got.body), &vs)
		// A current org (Winter '27) no longer serves 21.0–30.0 (retired in Summer '25).
		if len(vs) != 36 || vs[0] != (versionInfo{"Summer '14", "/services/data/v31.0", "31.0"}) ||
			vs[35] != (versionInfo{"Spring '26", "/services/data/v66.0", "66.0"}) {
			t.Errorf("versions: %d entries, first %+v, last %+v", len(vs), vs[0], vs[len(vs)-1])
		}
	}
}

func TestRetiredAndDeprecatedVersions(t *testing.T) {
	tests := []struct {
		release, version string
		status           int
		warning          bool
	}{
		{"winter-27", "29.0", 410, false},
		{"winter-27", "31.0", 200, false},
		{"spring-25", "29.0", 200, false}, // before Summer '25 a 29.0 call still worked
		{"summer-27", "35.0", 200, true},  // deprecated: served, with a Warning
		{"summer-28", "35.0", 410, false},
		{"summer-28", "41.0", 200, false},
	}
	for _, tt := range tests {
		e := newEnvWith(t, strings.Replace(acmeOrg, "org: {name: Acme,", "org: {name: Acme, release: "+tt.release+",", 1))
		got := e.do("GET", "/services/data/v"+tt.version+"/limits", "")
		if got.status != tt.status || (got.header.Get("Warning") != "") != tt.warning {
			t.Errorf("%s, v%s: %d Warning=%q %s", tt.release, tt.version, got.status, got.header.Get("Warning"), got.body)
		}
		if tt.status == 410 && !strings.Contains(got.body, `"errorCode":"UNSUPPORTED_API_VERSION"`) {
			t.Errorf("%s, v%s: body %s", tt.release, tt.version, got.body)
		}
	}
}

func TestUnknownOrMalformedVersionsAreNotFound(t *testing.T) {
	e := newEnv(t)
	for _, v := range []string{"v38", "v19.0", "v67.0", "v50.5", "38.0"} {
		got := e.do("GET", "/services/data/"+v+"/sobjects", "")
		if got.status != 404 || got.body != `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]` {
			t.Errorf("%s: %d %s", v, got.status, got.body)
		}
	}
}

func TestSessionsAreCheckedAndRenewed(t *testing.T) {
	e := newEnv(t)
	const invalid = `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`
	tests := []struct {
		name   string
		header string
		token  string
		want   int
	}{
		{"no Authorization header", "", "-", 401},
		{"unknown token", "", "00Dxx0000000001!AQnope", 401},
		{"Bearer", "", "", 200},
		{"OAuth scheme also works", "OAuth " + e.token, "-", 200},
	}
	for _, tt := range tests {
		headers := []string{"token", tt.token}
		if tt.token == "" {
			headers = nil
		}
		if tt.header != "" {
			headers = append(headers, "Authorization", tt.header)
		}
		got := e.do("GET", "/services/data/v66.0/sobjects/Account/describe", "", headers...)
		if got.status != tt.want || (tt.want == 401 && got.body != invalid) {
			t.Errorf("%s: %d %s", tt.name, got.status, got.body)
		}
	}
	// Each call renews the 2h inactivity timeout; two idle hours end it.
	e.clock.Advance(time.Hour + 59*time.Minute)
	if got := e.do("GET", "/services/data/v66.0/limits", ""); got.status != 200 {
		t.Fatalf("after 1h59m: %d", got.status)
	}
	e.clock.Advance(time.Hour + 59*time.Minute)
	if got := e.do("GET", "/services/data/v66.0/limits", ""); got.status != 200 {
		t.Fatalf("1h59m after the last call: %d (each call renews the session)", got.status)
	}
	e.clock.Advance(2 * time.Hour)
	if got := e.do("GET", "/services/data/v66.0/limits", ""); got.status != 401 || got.body != invalid {
		t.Errorf("2h idle: %d %s", got.status, got.body)
	}
}

func TestWrongMethodIsMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	id := acmeRecordID(e, "Account", "Name", "Edge Communications")
	got := e.do("PUT", "/services/data/v66.0/sobjects/Account/"+id, `{}`)
	want := `[{"message":"HTTP Method 'PUT' not allowed. Allowed are HEAD,GET,PATCH,DELETE","errorCode":"METHOD_NOT_ALLOWED"}]`
	if got.status != 405 || got.body != want {
		t.Errorf("PUT on a record: %d %s\nwant 405 %s", got.status, got.body, want)
	}
}

func TestAPIUsageHeader(t *testing.T) {
	e := newEnv(t)
	first := e.do("GET", "/services/data/v66.0/limits", "")
	second := e.do("GET", "/services/data/v66.0/limits", "")
	if got := first.header.Get("Sforce-Limit-Info"); got != "api-usage=1/100000" {
		t.Errorf("first call: Sforce-Limit-Info %q", got)
	}
	if got := second.header.Get("Sforce-Limit-Info"); got != "api-usage=2/100000" {
		t.Errorf("second call: Sforce-Limit-Info %q", got)
	}
}

func TestResourcesEchoTheRequestVersion(t *testing.T) {
	e := newEnv(t)
	got := e.do("GET", "/services/data/v50.0/", "")
	var res map[string]string
	json.Unmarshal([]byte(got.body), &res)
	if res["sobjects"] != "/services/data/v50.0/sobjects" || res["query"] != "/services/data/v50.0/query" ||
		!strings.HasPrefix(res["identity"], e.srv.URL+"/id/00D") {
		t.Errorf("resources: %s", got.body)
	}
}

// TestCreateReadUpdateDelete follows a booking integration writing a Lead.
func TestCreateReadUpdateDelete(t *testing.T) {
	e := newEnv(t)
	got := e.do("POST", "/services/data/v54.0/sobjects/Lead/", `{"LastName":"Doe","Company":"Acme","Region__c":"EU","Rating__c":"Warm"}`)
	var created struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
		Errors  []any  `json:"errors"`
	}
	json.Unmarshal([]byte(got.body), &created)
	if got.status != 201 || !created.Success || len(created.ID) != 18 || !strings.HasPrefix(created.ID, "00Q") ||
		got.body != fmt.Sprintf(`{"id":"%s","success":true,"errors":[]}`, created.ID) {
		t.Fatalf("create: %d %s", got.status, got.body)
	}
	got = e.do("GET", "/services/data/v54.0/sobjects/Lead/"+created.ID[:15]+"?fields=Name,Status,Rating__c,CreatedDate", "")
	want := fmt.Sprintf(`{"attributes":{"type":"Lead","url":"/services/data/v54.0/sobjects/Lead/%s"},"Name":"Doe","Status":"Open - Not Contacted","Rating__c":"Warm","CreatedDate":"2026-03-02T10:00:00.000+0000"}`, created.ID)
	if got.status != 200 || got.body != want {
		t.Errorf("read by 15-char id:\n got %d %s\nwant %s", got.status, got.body, want)
	}
	if got := e.do("PATCH", "/services/data/v54.0/sobjects/Lead/"+created.ID, `{"Status":"Working - Contacted"}`); got.status != 204 || got.body != "" {
		t.Errorf("update: %d %q", got.status, got.body)
	}
	if got := e.do("GET", "/services/data/v54.0/sobjects/Lead/"+created.ID+"?fields=Status", ""); !strings.Contains(got.body, `"Status":"Working - Contacted"`) {
		t.Errorf("after update: %s", got.body)
	}
	if got := e.do("DELETE", "/services/data/v54.0/sobjects/Lead/"+created.ID, ""); got.status != 204 {
		t.Errorf("delete: %d %s", got.status, got.body)
	}
	if got := e.do("GET", "/services/data/v54.0/sobjects/Lead/"+created.ID, ""); got.status != 404 || got.body != `[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED"}]` {
		t.Errorf("read after delete: %d %s", got.status, got.body)
	}
}

func TestWriteErrorsHaveSalesforceBodies(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"required fields", "POST", "/sobjects/Lead", `{"LastName":"Doe"}`, 400,
			`[{"message":"Required fields are missing: [Company, Region__c]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Company","Region__c"]}]`},
		{"restricted picklist", "POST", "/sobjects/Lead", `{"LastName":"Doe","Company":"X","Region__c":"EU","Rating__c":"Cold"}`, 400,
			`[{"message":"Rating: bad value for restricted picklist field: Cold","errorCode":"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST","fields":["Rating__c"]}]`},
		{"Id in the body", "POST", "/sobjects/Account", `{"Id":"001xx0000000001AAA","Name":"x"}`, 400,
			`[{"message":"The Id field should not be specified in the sobject data.","errorCode":"INVALID_FIELD","fields":[]}]`},
		{"read-only field", "POST", "/sobjects/Account", `{"Name":"x","CreatedDate":"2020-01-01T00:00:00Z"}`, 400,
			`[{"message":"Unable to create fields: CreatedDate. Please check the security settings of this field and verify that it is read/write for your profile or permission set.","errorCode":"INVALID_FIELD_FOR_INSERT_UPDATE","fields":["CreatedDate"]}]`},
		{"malformed JSON", "POST", "/sobjects/Account", `{Name:"x"}`, 400,
			`[{"message":"Unexpected character ('N' (code 78)): was expecting double-quote to start field name at [line:1, column:3]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"number given text", "POST", "/sobjects/Account", `{"Name":"x",` + "\n" + `"AnnualRevenue":"lots"}`, 400,
			`[{"message":"Cannot deserialize instance of double from VALUE_STRING value lots or request may be missing a required field at [line:2, column:17]","errorCode":"JSON_PARSER_ERROR","fields":[]}]`},
		{"an int field given a fraction", "POST", "/sobjects/Account", `{"Name":"x","NumberOfEmployees":12.5}`, 400,
			`[{"message":"Cannot deserialize instance of int from VALUE_NUMBER_FLOAT value 12.5 or request may be missing a required field at [line:1, column:33]","errorCode":"JSON_PARSER_ERROR","fields":[]}]`},
		{"an int field past 64 bits", "POST", "/sobjects/Account", `{"Name":"x","NumberOfEmployees":9223372036854775808}`, 400,
			`[{"message":"Employees: value outside of valid range on numeric field: 9.223372036854776E18","errorCode":"NUMBER_OUTSIDE_VALID_RANGE","fields":["NumberOfEmployees"]}]`},
		{"an int field past its 8 digits", "POST", "/sobjects/Account", `{"Name":"x","NumberOfEmployees":1e20}`, 400,
			`[{"message":"Employees: value outside of valid range on numeric field: 1.0E20","errorCode":"NUMBER_OUTSIDE_VALID_RANGE","fields":["NumberOfEmployees"]}]`},
		{"a number field past its precision", "POST", "/sobjects/Account", `{"Name":"x","Score__c":1000}`, 400,
			`[{"message":"Score: value outside of valid range on numeric field: 1000.0","errorCode":"NUMBER_OUTSIDE_VALID_RANGE","fields":["Score__c"]}]`},
		{"a number field given as text past its precision", "PATCH", "/sobjects/Account/" + acmeRecordID(e, "Account", "Name", "Edge Communications"), `{"Score__c":"-999.995"}`, 400,
			`[{"message":"Score: value outside of valid range on numeric field: -1000.0","errorCode":"NUMBER_OUTSIDE_VALID_RANGE","fields":["Score__c"]}]`},
		{"unknown object", "POST", "/sobjects/Leed", `{}`, 404,
			`[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`},
		{"malformed id on read", "GET", "/sobjects/Account/bogus", ``, 404,
			`[{"message":"Provided external ID field does not exist or is not accessible: bogus","errorCode":"NOT_FOUND"}]`},
		{"malformed id on update", "PATCH", "/sobjects/Account/bogus", `{}`, 400,
			`[{"message":"Account ID: id value of incorrect type: bogus","errorCode":"MALFORMED_ID"}]`},
		{"id of no record", "GET", "/sobjects/Account/" + string(org.MakeID(org.PrefixAccount, 999999)), ``, 404,
			`[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`},
		{"unknown field on read", "GET", "/sobjects/Account/" + acmeRecordID(e, "Account", "Name", "Edge Communications") + "?fields=Nmae", ``, 400,
			`[{"message":"No such column 'Nmae' on sobject of type Account","errorCode":"INVALID_FIELD"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do(tt.method, "/services/data/v66.0"+tt.path, tt.body)
			if got.status != tt.status || got.body != tt.want {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.want)
			}
		})
	}
}

func TestNumbersAndDatesInSalesforceFormats(t *testing.T) {
	e := newEnv(t)
	id := acmeRecordID(e, "Account", "Name", "Edge Communications")
	got := e.do("GET", "/services/data/v66.0/sobjects/Account/"+id+"?fields=AnnualRevenue,NumberOfEmployees,Industry,ParentId", "")
	want := fmt.Sprintf(`{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/%s"},"AnnualRevenue":1.39E8,"NumberOfEmployees":1000,"Industry":"Energy","ParentId":null}`, id)
	if got.body != want {
		t.Errorf("got  %s\nwant %s", got.body, want)
	}
	cid := acmeRecordID(e, "Contact", "LastName", "Gonzalez")
	if got := e.do("GET", "/services/data/v66.0/sobjects/Contact/"+cid+"?fields=Birthdate", ""); !strings.Contains(got.body, `"Birthdate":"1980-05-17"`) {
		t.Errorf("date: %s", got.body)
	}
	for _, tt := range []struct {
		in   float64
		want string
	}{{45000, "45000.0"}, {350000.5, "350000.5"}, {1e7, "1.0E7"}, {139000000, "1.39E8"}, {0.001, "0.001"}, {0.0001, "1.0E-4"}, {0, "0.0"}, {-12.5, "-12.5"}} {
		if got := string(appendJavaDouble(nil, tt.in)); got != tt.want {
			t.Errorf("Java double %v: %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestNumbersAreRoundedToTheirScale: a number field keeps the digits its
// scale allows, rounded half up, as Salesforce stores them; an int field
// keeps whole numbers.
func TestNumbersAreRoundedToTheirScale(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ body, want string }{
		{`{"Name":"r1","Score__c":12.345}`, `"Score__c":12.35`},
		{`{"Name":"r2","Score__c":-12.345}`, `"Score__c":-12.35`},
		{`{"Name":"r3","Score__c":"999.994"}`, `"Score__c":999.99`},
		{`{"Name":"r4","NumberOfEmployees":99999999}`, `"NumberOfEmployees":99999999`},
		{`{"Name":"r5","NumberOfEmployees":"-12"}`, `"NumberOfEmployees":-12`},
	} {
		got := e.do("POST", "/services/data/v66.0/sobjects/Account", tc.body)
		if got.status != 201 {
			t.Fatalf("%s: %d %s", tc.body, got.status, got.body)
		}
		var created struct{ ID string }
		if err := json.Unmarshal([]byte(got.body), &created); err != nil {
			t.Fatal(err)
		}
		read := e.do("GET", "/services/data/v66.0/sobjects/Account/"+created.ID+"?fields=Score__c,NumberOfEmployees", "")
		if !strings.Contains(read.body, tc.want) {
			t.Errorf("%s read back %s, want %s", tc.body, read.body, tc.want)
		}
	}
}

// TestIntFractionsTruncate: an org set to int_fractions: truncate stores
// 12.5 in an int field as 12 (Salesforce's answer is not documented).
func TestIntFractionsTruncate(t *testing.T) {
	e := newEnvWith(t, acmeOrg+"settings: {int_fractions: truncate}\n")
	got := e.do("POST", "/services/data/v66.0/sobjects/Account", `{"Name":"t","NumberOfEmployees":12.5}`)
	if got.status != 201 {
		t.Fatalf("%d %s", got.status, got.body)
	}
	var created struct{ ID string }
	if err := json.Unmarshal([]byte(got.body), &created); err != nil {
		t.Fatal(err)
	}
	if read := e.do("GET", "/services/data/v66.0/sobjects/Account/"+created.ID+"?fields=NumberOfEmployees", ""); !strings.Contains(read.body, `"NumberOfEmployees":12}`) {
		t.Errorf("read back %s", read.body)
	}
}

func acmeRecordID(e *env, object, field, value string) string {
	o := e.acme.Schema.Object(object)
	recs, _ := e.acme.Data.Lookup(o, o.Field(field), value, false)
	if len(recs) == 0 {
		var id string
		e.acme.Data.Scan(o, false, func(r *org.Record) bool {
			if r.GetName(field) == value {
				id = string(r.ID)
				return false
			}
			return true
		})
		if id == "" {
			e.t.Fatalf("no %s with %s = %s", object, field, value)
		}
		return id
	}
	return string(recs[0].ID)
}

func TestUpsertByExternalID(t *testing.T) {
	e := newEnv(t)
	got := e.do("PATCH", "/services/data/v66.0/sobjects/Account/External_Key__c/NEW-7", `{"Name":"New Co"}`)
	if got.status != 201 || !strings.Contains(got.body, `"success":true,"errors":[],"created":true`) {
		t.Fatalf("upsert creating: %d %s", got.status, got.body)
	}
	got = e.do("PATCH", "/services/data/v66.0/sobjects/Account/External_Key__c/new-7", `{"Industry":"Energy"}`)
	if got.status != 200 || !strings.Contains(got.body, `"created":false`) {
		t.Errorf("upsert updating (v66.0): %d %s", got.status, got.body)
	}
	if got := e.do("PATCH", "/services/data/v45.0/sobjects/Account/External_Key__c/NEW-7", `{"Industry":"Energy"}`); got.status != 204 {
		t.Errorf("upsert updating before v46.0: %d, want 204", got.status)
	}
	got = e.do("PATCH", "/services/data/v66.0/sobjects/Account/External_Key__c/DUP", `{"Industry":"Energy"}`)
	if got.status != 300 || strings.Count(got.body, "/services/data/v66.0/sobjects/Account/001") != 2 {
		t.Errorf("two matches: %d %s", got.status, got.body)
	}
	got = e.do("PATCH", "/services/data/v66.0/sobjects/Account/Name/x", `{}`)
	if got.status != 404 || got.body != `[{"message":"Provided external ID field does not exist or is not accessible: Name","errorCode":"NOT_FOUND"}]` {
		t.Errorf("not an external id: %d %s", got.status, got.body)
	}
	if got := e.do("GET", "/services/data/v66.0/sobjects/Account/External_Key__c/EDGE-1?fields=Name", ""); !strings.Contains(got.body, `"Name":"Edge Communications"`) {
		t.Errorf("read by external id: %s", got.body)
	}
}

func TestCompositeCollections(t *testing.T) {
	e := newEnv(t)
	body := `{"allOrNone":false,"records":[{"attributes":{"type":"Lead"},"LastName":"A","Company":"C","Region__c":"EU"},{"attributes":{"type":"Lead"},"LastName":"B"}]}`
	got := e.do("POST", "/services/data/v66.0/composite/sobjects", body)
	var res []struct {
		ID      *string `json:"id"`
		Success bool    `json:"success"`
		Errors  []struct {
			StatusCode string   `json:"statusCode"`
			Fields     []string `json:"fields"`
		} `json:"errors"`
	}
	json.Unmarshal([]byte(got.body), &res)
	if got.status != 200 || len(res) != 2 || !res[0].Success || res[1].Success || res[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" {
		t.Fatalf("partial success: %d %s", got.status, got.body)
	}
	leads := e.acme.Data.Count(e.acme.Schema.Object("Lead"))
	got = e.do("POST", "/services/data/v66.0/composite/sobjects", strings.Replace(body, `"allOrNone":false`, `"allOrNone":true`, 1))
	json.Unmarshal([]byte(got.body), &res)
	if res[0].Success || res[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" || res[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" {
		t.Errorf("all or none: %s", got.body)
	}
	if n := e.acme.Data.Count(e.acme.Schema.Object("Lead")); n != leads {
		t.Errorf("all-or-none left %d leads, want %d", n, leads)
	}
	var many []string
	for i := 0; i < 201; i++ {
		many = append(many, `{"attributes":{"type":"Lead"},"LastName":"x","Company":"c","Region__c":"EU"}`)
	}
	if got := e.do("POST", "/services/data/v66.0/composite/sobjects", `{"records":[`+strings.Join(many, ",")+`]}`); got.status != 400 {
		t.Errorf("201 records: %d %s", got.status, got.body)
	}
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	got = e.do("GET", "/services/data/v66.0/composite/sobjects/Account?ids="+edge+",001xx000009ZZZZAAA&fields=Name", "")
	if !strings.HasSuffix(got.body, `"Name":"Edge Communications"},null]`) {
		t.Errorf("retrieve: %s", got.body)
	}
}

func TestDescribe(t *testing.T) {
	e := newEnv(t)
	got := e.do("GET", "/services/data/v66.0/sobjects/Lead/describe", "")
	var d struct {
		Name   string `json:"name"`
		Fields []struct {
			Name               string `json:"name"`
			Type               string `json:"type"`
			Nillable           bool   `json:"nillable"`
			DefaultedOnCreate  bool   `json:"defaultedOnCreate"`
			Createable         bool   `json:"createable"`
			RestrictedPicklist bool   `json:"restrictedPicklist"`
			PicklistValues     []struct {
				Value string `json:"value"`
			} `json:"picklistValues"`
		} `json:"fields"`
	}
	if err := json.Unmarshal([]byte(got.body), &d); err != nil || d.Name != "Lead" {
		t.Fatalf("describe: %v %s", err, got.body[:min(200, len(got.body))])
	}
	var required []string
	for _, f := range d.Fields {
		// "Required on create" = not nillable, not defaulted, not boolean (REST API Developer Guide, describe).
		if !f.Nillable && !f.DefaultedOnCreate && f.Type != "boolean" && f.Createable {
			required = append(required, f.Name)
		}
		if f.Name == "Rating__c" && (!f.RestrictedPicklist || len(f.PicklistValues) != 2) {
			t.Errorf("Rating__c: %+v", f)
		}
	}
	if strings.Join(required, ",") != "LastName,Company,Region__c" {
		t.Errorf("required on create: %v", required)
	}
	got = e.do("GET", "/services/data/v66.0/sobjects/Account/describe", "")
	if !strings.Contains(got.body, `{"childSObject":"Contact","field":"AccountId","relationshipName":"Contacts"`) {
		t.Errorf("Account.Contacts child relationship missing")
	}
	got = e.do("GET", "/services/data/v66.0/sobjects/", "")
	if !strings.Contains(got.body, `"encoding":"UTF-8","maxBatchSize":200`) || !strings.Contains(got.body, `"name":"Lead"`) {
		t.Errorf("global describe: %.200s", got.body)
	}
}

func TestEachOrgSeesOnlyItsRecords(t *testing.T) {
	e := newEnv(t)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	other := e.tokenFor("sender@other.example")
	if got := e.do("GET", "/services/data/v66.0/sobjects/Account/"+edge, "", "token", other); got.status != 404 {
		t.Errorf("another org's user read Acme's account: %d", got.status)
	}
}

func TestFaultsAndJournal(t *testing.T) {
	e := newEnv(t)
	f, err := e.gw.Faults().Add(wire.Fault{Org: "Acme", Path: "/sobjects/Account", ErrorCode: "REQUEST_LIMIT_EXCEEDED", Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := e.do("GET", "/services/data/v66.0/sobjects/Account/describe", "")
	if got.status != 403 || got.body != `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]` {
		t.Errorf("fault: %d %s", got.status, got.body)
	}
	if got := e.do("GET", "/services/data/v66.0/sobjects/Account/describe", ""); got.status != 200 {
		t.Errorf("a fault with times: 1 struck twice: %d", got.status)
	}
	other := e.tokenFor("sender@other.example")
	e.gw.Faults().Add(wire.Fault{Org: "Acme", Status: 503})
	if got := e.do("GET", "/services/data/v66.0/limits", "", "token", other); got.status != 200 {
		t.Errorf("Acme's fault hit another org: %d", got.status)
	}
	e.gw.Faults().Clear(0)
	e.gw.Faults().Add(wire.Fault{ExpireSession: true, Times: 1})
	if got := e.do("GET", "/services/data/v66.0/limits", ""); got.status != 401 {
		t.Errorf("forced session expiry: %d", got.status)
	}
	if got := e.do("GET", "/services/data/v66.0/limits", ""); got.status != 401 {
		t.Errorf("the session should stay expired: %d", got.status)
	}
	entries := e.gw.Journal().Entries()
	first := entries[0]
	if first.Method != "GET" || first.Path != "/services/data/v66.0/sobjects/Account/describe" || first.Username != "sender@acme.example" ||
		first.Status != 403 || first.ErrorCode != "REQUEST_LIMIT_EXCEEDED" || !strings.Contains(first.Fault, fmt.Sprintf("fault %d", f.ID)) {
		t.Errorf("journal entry: %+v", first)
	}
	if _, err := e.gw.Faults().Add(wire.Fault{ErrorCode: "SOMETHING_ELSE"}); err == nil {
		t.Error("an unknown error code without a status was accepted")
	}
}

// TestDescribeShapeGolden pins the describe document of a Lead with custom
// fields (go test -update rewrites it).
func TestDescribeShapeGolden(t *testing.T) {
	e := newEnv(t)
	got := e.do("GET", "/services/data/v60.0/sobjects/Lead/describe", "")
	if got.status != 200 {
		t.Fatalf("%d %s", got.status, got.body)
	}
	golden(t, "describe_lead.json", got.body)
	got = e.do("GET", "/services/data/", "", "token", "-")
	golden(t, "versions.json", got.body)
}
