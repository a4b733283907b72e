package rest

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/org"
)

// idPattern matches the emulator's record ids (fixture and new).
var idPattern = regexp.MustCompile(`\b[0-9a-zA-Z]{3}xx[0-9a-zA-Z]{13}\b`)

// numberIDs replaces each distinct record id in body with #1, #2, … in
// the order they first appear, so an expected body can say which answers
// name the same record without depending on the id sequence.
func numberIDs(body string) string {
	seen := map[string]string{}
	return idPattern.ReplaceAllStringFunc(body, func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		seen[id] = fmt.Sprintf("#%d", len(seen)+1)
		return seen[id]
	})
}

const halted = `{"errorCode":"PROCESSING_HALTED","message":"The transaction was rolled back since another operation in the same transaction failed."}`

func noValue(ref, expr string) string {
	return `{"errorCode":"PROCESSING_HALTED","message":"Invalid reference specified. No value for ` + expr + ` found in ` + ref +
		`. Provided referenceId ('` + ref + `') has to exist in the composite request and the JSONPath expression has to resolve the requested property."}`
}

func TestSObjectCollections(t *testing.T) {
	e := newEnv(t)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	const v = "/services/data/v66.0"
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string // ids numbered by numberIDs
	}{
		{"create with a trailing slash (go-salesforce)", "POST", v + "/composite/sobjects/",
			`{"allOrNone":false,"records":[{"attributes":{"type":"Account"},"Name":"Slash"},{"attributes":{"type":"Account"},"Nme":"x"}]}`, 200,
			`[{"id":"#1","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"INVALID_FIELD","message":"No such column 'Nme' on sobject of type Account","fields":[]}]}]`},
		{"update with a trailing slash", "PATCH", v + "/composite/sobjects/",
			`{"records":[{"attributes":{"type":"Account"},"Id":"` + edge + `","Industry":"Media"}]}`, 200,
			`[{"id":"#1","success":true,"errors":[]}]`},
		{"retrieve by GET", "GET", v + "/composite/sobjects/Account?ids=" + edge + ",001xx000009ZZZZAAA&fields=Name,Industry", "", 200,
			`[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/#1"},"Name":"Edge Communications","Industry":"Media"},null]`},
		{"retrieve by POST with a JSON body", "POST", v + "/composite/sobjects/Account/",
			`{"ids":["` + edge + `","junk"],"fields":["Name"]}`, 200,
			`[{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/#1"},"Name":"Edge Communications"},null]`},
		{"retrieve by POST without fields", "POST", v + "/composite/sobjects/Account", `{"ids":["` + edge + `"]}`, 400,
			`[{"message":"The 'fields' parameter is required","errorCode":"MALFORMED_QUERY"}]`},
		{"upsert by external id: update, create, several matches, no value", "PATCH", v + "/composite/sobjects/Account/External_Key__c",
			`{"records":[{"attributes":{"type":"Account"},"External_Key__c":"EDGE-1","Name":"Edge Communications"},` +
				`{"attributes":{"type":"Account"},"External_Key__c":"NEW-1","Name":"New"},` +
				`{"attributes":{"type":"Account"},"External_Key__c":"DUP","Name":"Dup"},{"attributes":{"type":"Account"},"Name":"None"}]}`, 200,
			`[{"id":"#1","success":true,"errors":[],"created":false},{"id":"#2","success":true,"errors":[],"created":true},` +
				`{"success":false,"errors":[{"statusCode":"DUPLICATE_EXTERNAL_ID","message":"External Key: more than one record found for external id field: [#3, #4]","fields":[]}]},` +
				`{"success":false,"errors":[{"statusCode":"MISSING_ARGUMENT","message":"External_Key__c not specified","fields":[]}]}]`},
		{"upsert all or none rolls the created record back", "PATCH", v + "/composite/sobjects/Account/External_Key__c/",
			`{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"External_Key__c":"NEW-2","Name":"New"},{"attributes":{"type":"Account"},"External_Key__c":"DUP"}]}`, 200,
			`[{"success":false,"errors":[{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Record rolled back because not all records were valid and the request was using AllOrNone header","fields":[]}]},` +
				`{"success":false,"errors":[{"statusCode":"DUPLICATE_EXTERNAL_ID","message":"External Key: more than one record found for external id field: [#1, #2]","fields":[]}]}]`},
		{"upsert on a field that is not an external id", "PATCH", v + "/composite/sobjects/Account/Name", `{"records":[]}`, 404,
			`[{"message":"Provided external ID field does not exist or is not accessible: Name","errorCode":"NOT_FOUND"}]`},
		{"delete with a trailing slash", "DELETE", v + "/composite/sobjects/?ids=" + missingAccount + "&allOrNone=false", "", 200,
			`[{"id":"#1","success":false,"errors":[{"statusCode":"ENTITY_IS_DELETED","message":"entity is deleted","fields":[]}]}]`},
		{"201 ids to delete", "DELETE", v + "/composite/sobjects?ids=" + strings.Repeat(edge+",", 200) + edge, "", 400,
			`[{"message":"record limit reached. cannot submit more than 200 records into this call","errorCode":"EXCEEDED_ID_LIMIT"}]`},
		{"malformed JSON names line and column", "POST", v + "/composite/sobjects", "{\"records\":[\n{]}", 400,
			`[{"message":"invalid character ']' looking for beginning of object key string at [line:2, column:3]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"a record that is not an object names its place", "POST", v + "/composite/sobjects", "{\"records\":[{\"Name\":\"a\"},\n 7]}", 400,
			`[{"message":"json: cannot unmarshal number into Go value of type map[string]interface {} at [line:2, column:2]","errorCode":"JSON_PARSER_ERROR"}]`},
	}
	for _, tt := range tests {
		got := e.do(tt.method, tt.path, tt.body)
		if got.status != tt.status || numberIDs(got.body) != tt.want {
			t.Errorf("%s: %d %s\nwant %d %s", tt.name, got.status, numberIDs(got.body), tt.status, tt.want)
		}
	}
	if n := countWhere(e, "Account", "External_Key__c", "NEW-2"); n != 0 {
		t.Errorf("all-or-none upsert left %d NEW-2 accounts", n)
	}
	many := strings.Repeat(`{"attributes":{"type":"Account"},"Name":"x"},`, 200) + `{"attributes":{"type":"Account"},"Name":"x"}`
	for _, m := range []string{"POST", "PATCH"} {
		got := e.do(m, v+"/composite/sobjects", `{"records":[`+many+`]}`)
		if want := `[{"message":"record limit reached. cannot submit more than 200 records into this call","errorCode":"EXCEEDED_ID_LIMIT"}]`; got.status != 400 || got.body != want {
			t.Errorf("%s 201 records: %d %s", m, got.status, got.body)
		}
	}
}

// TestABigCollectionIsRefusedWithoutDecodingIt: an 8 MB body of 40,000
// small records was decoded whole (73 MB of maps at its peak) before its
// 40,000 were found to be over the 200 allowed. Now decoding stops at the
// 201st, so the request costs about its body.
func TestABigCollectionIsRefusedWithoutDecodingIt(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString(`{"allOrNone":false,"records":[`)
	for i := 0; b.Len() < 8<<20-1024; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"attributes":{"type":"Account"},"Name":"Account %d","Description":"%s"}`, i, strings.Repeat("d", 150))
	}
	b.WriteString("]}")
	body := b.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got := e.do("POST", "/services/data/v66.0/composite/sobjects", body)
	runtime.ReadMemStats(&after)
	if want := `[{"message":"record limit reached. cannot submit more than 200 records into this call","errorCode":"EXCEEDED_ID_LIMIT"}]`; got.status != 400 || got.body != want {
		t.Fatalf("%d %s", got.status, got.body)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MB request allocated %d MB", len(body)>>20, alloc>>20)
	if alloc > 4*uint64(len(body)) {
		t.Errorf("a %d MB request allocated %d MB", len(body)>>20, alloc>>20)
	}
}

// countWhere counts the live records of object whose field is value.
func countWhere(e *env, object, field, value string) int {
	n := 0
	e.acme.Data.Scan(e.acme.Schema.Object(object), false, func(r *org.Record) bool {
		if r.GetName(field) == value {
			n++
		}
		return true
	})
	return n
}

// missingAccount is a well-formed Account id no record has.
var missingAccount = string(org.MakeID("001", 999999))

func TestCompositeRunsSubrequestsInOrderWithReferences(t *testing.T) {
	e := newEnv(t)
	body := `{"allOrNone":true,"collateSubrequests":false,"compositeRequest":[
 {"method":"POST","url":"/services/data/v66.0/sobjects/Account","referenceId":"NewAccount","body":{"Name":"Salesforce & <Co>","BillingPostalCode":"94105"}},
 {"method":"GET","url":"/services/data/v66.0/sobjects/Account/@{NewAccount.id}?fields=Id,Name,BillingPostalCode","referenceId":"NewAccountInfo"},
 {"method":"POST","url":"/services/data/v66.0/sobjects/Contact","referenceId":"NewContact","body":{"LastName":"Smith","Title":"Buyer at @{NewAccountInfo.Name}","AccountId":"@{NewAccountInfo.Id}"}},
 {"method":"GET","url":"/services/data/v66.0/query?q=SELECT+Id,Title+FROM+Contact+WHERE+AccountId='@{NewAccount.id}'","referenceId":"Contacts"},
 {"method":"PATCH","url":"/services/data/v66.0/sobjects/Contact/@{Contacts.records[0].Id}","referenceId":"Promote","body":{"Title":"CEO"}}
]}`
	got := e.do("POST", "/services/data/v66.0/composite", body)
	want := `{"compositeResponse":[` +
		`{"body":{"id":"#1","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Account/#1"},"httpStatusCode":201,"referenceId":"NewAccount"},` +
		`{"body":{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/#1"},"Id":"#1","Name":"Salesforce & <Co>","BillingPostalCode":"94105"},"httpHeaders":{},"httpStatusCode":200,"referenceId":"NewAccountInfo"},` +
		`{"body":{"id":"#2","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Contact/#2"},"httpStatusCode":201,"referenceId":"NewContact"},` +
		`{"body":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/#2"},"Id":"#2","Title":"Buyer at Salesforce & <Co>"}]},"httpHeaders":{},"httpStatusCode":200,"referenceId":"Contacts"},` +
		`{"body":null,"httpHeaders":{},"httpStatusCode":204,"referenceId":"Promote"}]}`
	if got.status != 200 || numberIDs(got.body) != want {
		t.Errorf("composite: %d %s\nwant %s", got.status, numberIDs(got.body), want)
	}
	if n := countWhere(e, "Contact", "Title", "CEO"); n != 1 {
		t.Errorf("the PATCH through a query reference updated %d contacts", n)
	}
	if entries := e.gw.Journal().Entries(); len(entries) != 1 {
		t.Errorf("the journal has %d entries, want the composite call only", len(entries))
	}
}

func TestCompositeFailures(t *testing.T) {
	const v = "/services/data/v66.0"
	createAccount := `{"method":"POST","url":"` + v + `/sobjects/Account","referenceId":"NewAccount","body":{"Name":"Rolled Back"}}`
	badContact := `{"method":"POST","url":"` + v + `/sobjects/Contact","referenceId":"NewContact","body":{"LastName":"X","Email":"not an address","AccountId":"@{NewAccount.id}"}}`
	readAccount := `{"method":"GET","url":"` + v + `/sobjects/Account/@{NewAccount.id}?fields=Name","referenceId":"ReadBack"}`
	emailError := `[{"message":"Email: invalid email address: not an address","errorCode":"INVALID_EMAIL_ADDRESS","fields":["Email"]}]`
	tests := []struct {
		name     string
		body     string
		want     string
		accounts int // "Rolled Back" accounts left
	}{
		{"all or none: a failure rolls back the earlier create and halts the rest",
			`{"allOrNone":true,"compositeRequest":[` + createAccount + `,` + badContact + `,` + readAccount + `]}`,
			`{"compositeResponse":[{"body":[` + halted + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"NewAccount"},` +
				`{"body":` + emailError + `,"httpHeaders":{},"httpStatusCode":400,"referenceId":"NewContact"},` +
				`{"body":[` + halted + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"ReadBack"}]}`, 0},
		{"not all or none: the others run",
			`{"allOrNone":false,"compositeRequest":[` + createAccount + `,` + badContact + `,` + readAccount + `]}`,
			`{"compositeResponse":[{"body":{"id":"#1","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Account/#1"},"httpStatusCode":201,"referenceId":"NewAccount"},` +
				`{"body":` + emailError + `,"httpHeaders":{},"httpStatusCode":400,"referenceId":"NewContact"},` +
				`{"body":{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/#1"},"Name":"Rolled Back"},"httpHeaders":{},"httpStatusCode":200,"referenceId":"ReadBack"}]}`, 1},
		{"a reference to a failed subrequest fails",
			`{"compositeRequest":[` + strings.Replace(createAccount, `"Name"`, `"Nme"`, 1) + `,` + readAccount + `]}`,
			`{"compositeResponse":[{"body":[{"message":"No such column 'Nme' on sobject of type Account","errorCode":"INVALID_FIELD","fields":[]}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"NewAccount"},` +
				`{"body":[` + noValue("NewAccount", "NewAccount.id") + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"ReadBack"}]}`, 0},
		{"a reference to a later subrequest (a cycle) fails",
			`{"compositeRequest":[` + readAccount + `,` + createAccount + `]}`,
			`{"compositeResponse":[{"body":[` + noValue("NewAccount", "NewAccount.id") + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"ReadBack"},` +
				`{"body":{"id":"#1","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Account/#1"},"httpStatusCode":201,"referenceId":"NewAccount"}]}`, 1},
		{"an unknown reference and a path that resolves nothing fail; all or none halts",
			`{"allOrNone":true,"compositeRequest":[` + createAccount + `,{"method":"GET","url":"` + v + `/sobjects/Account/@{NewAccount.records[3].Id}","referenceId":"Bad"}]}`,
			`{"compositeResponse":[{"body":[` + halted + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"NewAccount"},` +
				`{"body":[` + noValue("NewAccount", "NewAccount.records[3].Id") + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"Bad"}]}`, 0},
		{"all or none: a collection with a failed record counts as failing (UNKNOWN) and rolls back",
			`{"allOrNone":true,"compositeRequest":[` + createAccount + `,{"method":"POST","url":"` + v + `/composite/sobjects","referenceId":"coll","body":{"records":[` +
				`{"attributes":{"type":"Account"},"Name":"Rolled Back"},{"attributes":{"type":"Account"},"Nme":"x"}]}}]}`,
			`{"compositeResponse":[{"body":[` + halted + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"NewAccount"},` +
				`{"body":[{"success":false,"errors":[{"statusCode":"ALL_OR_NONE_OPERATION_ROLLED_BACK","message":"Record rolled back because not all records were valid and the request was using AllOrNone header","fields":[]}]},` +
				`{"success":false,"errors":[{"statusCode":"INVALID_FIELD","message":"No such column 'Nme' on sobject of type Account","fields":[]}]}],"httpHeaders":{},"httpStatusCode":200,"referenceId":"coll"}]}`, 0},
		{"an unknown resource and a method it does not take",
			`{"compositeRequest":[{"method":"GET","url":"` + v + `/nothing","referenceId":"a"},{"method":"PUT","url":"` + v + `/sobjects/Account","referenceId":"b"},` +
				`{"method":"POST","url":"` + v + `/composite","referenceId":"nested","body":{}},{"method":"GET","url":"/elsewhere","referenceId":"c"},` +
				`{"method":"HEAD","url":"` + v + `/limits","referenceId":"head"},{"method":"GET","url":"/services/data/v29.0/limits","referenceId":"retired"}]}`,
			`{"compositeResponse":[{"body":[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}],"httpHeaders":{},"httpStatusCode":404,"referenceId":"a"},` +
				`{"body":[{"message":"HTTP Method 'PUT' not allowed. Allowed are HEAD,GET,POST","errorCode":"METHOD_NOT_ALLOWED"}],"httpHeaders":{},"httpStatusCode":405,"referenceId":"b"},` +
				`{"body":[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}],"httpHeaders":{},"httpStatusCode":404,"referenceId":"nested"},` +
				`{"body":[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}],"httpHeaders":{},"httpStatusCode":404,"referenceId":"c"},` +
				`{"body":null,"httpHeaders":{},"httpStatusCode":200,"referenceId":"head"},` +
				`{"body":[{"message":"API version 29.0 is retired and no longer available: use API version 31.0 or later","errorCode":"UNSUPPORTED_API_VERSION"}],"httpHeaders":{},"httpStatusCode":410,"referenceId":"retired"}]}`, 0},
	}
	for _, tt := range tests {
		e := newEnv(t)
		got := e.do("POST", v+"/composite", tt.body)
		if got.status != 200 || numberIDs(got.body) != tt.want {
			t.Errorf("%s: %d %s\nwant %s", tt.name, got.status, numberIDs(got.body), tt.want)
		}
		if n := countWhere(e, "Account", "Name", "Rolled Back"); n != tt.accounts {
			t.Errorf("%s: %d accounts left, want %d", tt.name, n, tt.accounts)
		}
	}
}

func TestCompositeRollsBackUpdatesDeletesAndCollections(t *testing.T) {
	e := newEnv(t)
	const v = "/services/data/v66.0"
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	rose := acmeRecordID(e, "Contact", "LastName", "Gonzalez")
	body := `{"allOrNone":true,"compositeRequest":[
 {"method":"PATCH","url":"` + v + `/sobjects/Account/` + edge + `","referenceId":"rename","body":{"Name":"Renamed"}},
 {"method":"DELETE","url":"` + v + `/sobjects/Contact/` + rose + `","referenceId":"del"},
 {"method":"PATCH","url":"` + v + `/sobjects/Account/External_Key__c/NEW-9","referenceId":"ups","body":{"Name":"Upserted"}},
 {"method":"POST","url":"` + v + `/composite/sobjects","referenceId":"coll","body":{"records":[{"attributes":{"type":"Account"},"Name":"Collected"}]}},
 {"method":"PATCH","url":"` + v + `/composite/sobjects/Account/External_Key__c","referenceId":"collUps","body":{"records":[{"attributes":{"type":"Account"},"External_Key__c":"EDGE-1","Industry":"Gone"}]}},
 {"method":"POST","url":"` + v + `/composite/tree/Account","referenceId":"tree","body":{"records":[{"attributes":{"type":"Account","referenceId":"t1"},"Name":"Tree"}]}},
 {"method":"GET","url":"` + v + `/sobjects/Account/` + missingAccount + `","referenceId":"fails"}
]}`
	got := e.do("POST", v+"/composite", body)
	if got.status != 200 || strings.Count(got.body, `"PROCESSING_HALTED"`) != 6 {
		t.Fatalf("%d %s", got.status, got.body)
	}
	for _, c := range []struct{ object, field, value string }{
		{"Account", "Name", "Edge Communications"}, {"Contact", "LastName", "Gonzalez"}} {
		if n := countWhere(e, c.object, c.field, c.value); n != 1 {
			t.Errorf("%s %s: %d after the rollback, want 1", c.object, c.value, n)
		}
	}
	for _, name := range []string{"Renamed", "Upserted", "Collected", "Tree"} {
		if n := countWhere(e, "Account", "Name", name); n != 0 {
			t.Errorf("%d %q accounts after the rollback", n, name)
		}
	}
	if rec := e.acme.Data.Get(mustID(t, edge)); rec.GetName("Industry") != "Energy" {
		t.Errorf("Edge's Industry after the rollback: %v", rec.GetName("Industry"))
	}
}

func TestCompositeRequestErrors(t *testing.T) {
	e := newEnv(t)
	const v = "/services/data/v66.0"
	sub := func(ref, url string) string {
		return `{"method":"GET","url":"` + url + `","referenceId":"` + ref + `"}`
	}
	var subs, queries []string
	for i := 0; i < 26; i++ {
		subs = append(subs, sub(fmt.Sprintf("r%d", i), v+"/limits"))
	}
	for i := 0; i < 6; i++ {
		queries = append(queries, sub(fmt.Sprintf("q%d", i), v+"/query?q=SELECT+Id+FROM+Account"))
	}
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"26 subrequests", `{"compositeRequest":[` + strings.Join(subs, ",") + `]}`, 400,
			`[{"message":"Maximum number of subrequests allowed is 25.","errorCode":"LIMIT_EXCEEDED"}]`},
		{"6 queries", `{"compositeRequest":[` + strings.Join(queries, ",") + `]}`, 400,
			`[{"message":"Maximum number of query and sObject Collections subrequests allowed is 5.","errorCode":"LIMIT_EXCEEDED"}]`},
		{"a duplicate referenceId", `{"compositeRequest":[` + sub("a", v+"/limits") + `,` + sub("a", v+"/limits") + `]}`, 400,
			`[{"message":"Duplicate ReferenceId provided in the request: a","errorCode":"INVALID_INPUT"}]`},
		{"a referenceId that is not an identifier", `{"compositeRequest":[` + sub("1.x", v+"/limits") + `]}`, 400,
			`[{"message":"Invalid referenceId ('1.x'): it must begin with a letter and contain only letters, digits and underscores.","errorCode":"INVALID_INPUT"}]`},
		{"no url", `{"compositeRequest":[{"method":"GET","referenceId":"a"}]}`, 400,
			`[{"message":"A subrequest is missing its url.","errorCode":"INVALID_INPUT"}]`},
		{"malformed JSON", "{\"compositeRequest\":[\n  {\"method\" \"GET\"}]}", 400,
			`[{"message":"invalid character '\"' after object key at [line:2, column:14]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"a wrong type", `{"allOrNone":"yes"}`, 400,
			`[{"message":"json: cannot unmarshal string into Go struct field compositeBody.allOrNone of type bool at [line:1, column:19]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"truncated", `{"compositeRequest":[{"method":"GET"`, 400,
			`[{"message":"unexpected end of JSON input at [line:1, column:37]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"empty", ``, 400, `[{"message":"No content to map due to end-of-input at [line:1, column:1]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"10,000 levels deep", `{"compositeRequest":[{"method":"POST","url":"` + v + `/limits","referenceId":"a","body":` + deep + `}]}`, 400,
			`[{"message":"Document nesting depth (1001) exceeds the maximum allowed (1000, from ` + "`StreamReadConstraints.getMaxNestingDepth()`" + `) at [line:1, column:1098]","errorCode":"JSON_PARSER_ERROR"}]`},
		{"no subrequests", `{"compositeRequest":[]}`, 200, `{"compositeResponse":[]}`},
	}
	for _, tt := range tests {
		for _, path := range []string{"/composite", "/composite/"} {
			got := e.do("POST", v+path, tt.body)
			if got.status != tt.status || got.body != tt.want {
				t.Errorf("%s (%s): %d %s\nwant %d %s", tt.name, path, got.status, got.body, tt.status, tt.want)
			}
		}
	}
	huge := `{"compositeRequest":[],"pad":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	if got := e.do("POST", v+"/composite", huge); got.status != 413 || !strings.Contains(got.body, `"errorCode":"JSON_PARSER_ERROR"`) {
		t.Errorf("an oversized body: %d %.200s", got.status, got.body)
	}
}

func TestCompositeBatch(t *testing.T) {
	e := newEnv(t)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	tests := []struct {
		name, body string
		want       string
	}{
		{"independent subrequests, relative urls",
			`{"batchRequests":[{"method":"PATCH","url":"v66.0/sobjects/Account/` + edge + `","richInput":{"Industry":"Media"}},` +
				`{"method":"GET","url":"v66.0/sobjects/Account/` + edge + `?fields=Name,Industry"},` +
				`{"method":"GET","url":"v66.0/sobjects/Account/` + missingAccount + `"},` +
				`{"method":"POST","url":"/services/data/v66.0/sobjects/Account","richInput":{"Name":"Batched"}}]}`,
			`{"hasErrors":true,"results":[{"statusCode":204,"result":null},` +
				`{"statusCode":200,"result":{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/#1"},"Name":"Edge Communications","Industry":"Media"}},` +
				`{"statusCode":404,"result":[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]},` +
				`{"statusCode":201,"result":{"id":"#2","success":true,"errors":[]}}]}`},
		{"haltOnError stops at the first failure",
			`{"haltOnError":true,"batchRequests":[{"method":"GET","url":"v66.0/sobjects/Account/` + missingAccount + `"},{"method":"POST","url":"v66.0/sobjects/Account","richInput":{"Name":"Never"}}]}`,
			`{"hasErrors":true,"results":[{"statusCode":404,"result":[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]},` +
				`{"statusCode":412,"result":[{"errorCode":"BATCH_PROCESSING_HALTED","message":"Batch processing halted per request"}]}]}`},
		{"all succeed", `{"batchRequests":[{"method":"GET","url":"v66.0/sobjects/Account/` + edge + `?fields=Name"}]}`,
			`{"hasErrors":false,"results":[{"statusCode":200,"result":{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/#1"},"Name":"Edge Communications"}}]}`},
	}
	for _, tt := range tests {
		got := e.do("POST", "/services/data/v66.0/composite/batch", tt.body)
		if got.status != 200 || numberIDs(got.body) != tt.want {
			t.Errorf("%s: %d %s\nwant %s", tt.name, got.status, numberIDs(got.body), tt.want)
		}
	}
	if n := countWhere(e, "Account", "Name", "Never"); n != 0 {
		t.Errorf("haltOnError ran a later subrequest")
	}
	var subs []string
	for i := 0; i < 26; i++ {
		subs = append(subs, `{"method":"GET","url":"v66.0/limits"}`)
	}
	if got := e.do("POST", "/services/data/v66.0/composite/batch", `{"batchRequests":[`+strings.Join(subs, ",")+`]}`); got.status != 400 ||
		got.body != `[{"message":"Maximum number of subrequests allowed is 25.","errorCode":"LIMIT_EXCEEDED"}]` {
		t.Errorf("26 batch subrequests: %d %s", got.status, got.body)
	}
}

func TestSObjectTree(t *testing.T) {
	contact := func(ref, fields string) string {
		return `{"attributes":{"type":"Contact","referenceId":"` + ref + `"},` + fields + `}`
	}
	account := func(ref, name string, contacts ...string) string {
		s := `{"attributes":{"type":"Account","referenceId":"` + ref + `"},"Name":"` + name + `"`
		if len(contacts) > 0 {
			s += `,"Contacts":{"records":[` + strings.Join(contacts, ",") + `]}`
		}
		return s + `}`
	}
	var many []string
	for i := 0; i < 201; i++ {
		many = append(many, account(fmt.Sprintf("a%d", i), "Many"))
	}
	tests := []struct {
		name, body string
		status     int
		want       string
		accounts   int // "Tree" accounts afterwards
	}{
		{"parents and children, breadth first",
			`{"records":[` + account("ref1", "Tree", contact("ref2", `"LastName":"Smith"`), contact("ref3", `"LastName":"Evans"`)) + `,` +
				account("ref4", "Tree", contact("ref5", `"LastName":"Jones"`)) + `]}`, 201,
			`{"hasErrors":false,"results":[{"referenceId":"ref1","id":"#1"},{"referenceId":"ref4","id":"#2"},{"referenceId":"ref2","id":"#3"},{"referenceId":"ref3","id":"#4"},{"referenceId":"ref5","id":"#5"}]}`, 2},
		{"a failing child rolls back the whole tree",
			`{"records":[` + account("ref1", "Tree", contact("ref2", `"LastName":"Smith","Email":"123"`)) + `]}`, 400,
			`{"hasErrors":true,"results":[{"referenceId":"ref2","errors":[{"statusCode":"INVALID_EMAIL_ADDRESS","message":"Email: invalid email address: 123","fields":["Email"]}]}]}`, 0},
		{"duplicate referenceIds", `{"records":[` + account("ref1", "Tree") + `,` + account("ref1", "Tree") + `]}`, 400,
			`{"hasErrors":true,"results":[{"referenceId":"ref1","errors":[{"statusCode":"INVALID_INPUT","message":"Duplicate ReferenceId provided in the request.","fields":[]}]}]}`, 0},
		{"a record of another type", `{"records":[` + contact("c1", `"LastName":"X"`) + `]}`, 400,
			`{"hasErrors":true,"results":[{"referenceId":"c1","errors":[{"statusCode":"INVALID_TYPE","message":"sObject type 'Contact' does not match the expected type Account.","fields":[]}]}]}`, 0},
		{"201 records", `{"records":[` + strings.Join(many, ",") + `]}`, 400,
			`[{"message":"The request can have at most 200 records.","errorCode":"LIMIT_EXCEEDED"}]`, 0},
		{"an unknown relationship is a field", `{"records":[{"attributes":{"type":"Account","referenceId":"r"},"Name":"Tree","Kids":{"records":[]}}]}`, 400,
			`{"hasErrors":true,"results":[{"referenceId":"r","errors":[{"statusCode":"INVALID_FIELD","message":"No such column 'Kids' on sobject of type Account","fields":[]}]}]}`, 0},
	}
	for _, tt := range tests {
		e := newEnv(t)
		got := e.do("POST", "/services/data/v66.0/composite/tree/Account", tt.body)
		if got.status != tt.status || numberIDs(got.body) != tt.want {
			t.Errorf("%s: %d %s\nwant %d %s", tt.name, got.status, numberIDs(got.body), tt.status, tt.want)
		}
		if n := countWhere(e, "Account", "Name", "Tree"); n != tt.accounts {
			t.Errorf("%s: %d Tree accounts, want %d", tt.name, n, tt.accounts)
		}
	}
}

func TestCompositeGraph(t *testing.T) {
	e := newEnv(t)
	body := `{"graphs":[
 {"graphId":"good","compositeRequest":[
   {"method":"POST","url":"/services/data/v66.0/sobjects/Account","referenceId":"acct","body":{"Name":"Graphed"}},
   {"method":"POST","url":"/services/data/v66.0/sobjects/Contact","referenceId":"ctc","body":{"LastName":"G","AccountId":"@{acct.id}"}}]},
 {"graphId":"bad","compositeRequest":[
   {"method":"POST","url":"/services/data/v66.0/sobjects/Account","referenceId":"acct","body":{"Name":"Graph Rolled Back"}},
   {"method":"POST","url":"/services/data/v66.0/sobjects/Contact","referenceId":"ctc","body":{"AccountId":"@{acct.id}"}}]}]}`
	got := e.do("POST", "/services/data/v66.0/composite/graph", body)
	want := `{"graphs":[{"graphId":"good","graphResponse":{"compositeResponse":[` +
		`{"body":{"id":"#1","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Account/#1"},"httpStatusCode":201,"referenceId":"acct"},` +
		`{"body":{"id":"#2","success":true,"errors":[]},"httpHeaders":{"Location":"/services/data/v66.0/sobjects/Contact/#2"},"httpStatusCode":201,"referenceId":"ctc"}]},"isSuccessful":true},` +
		`{"graphId":"bad","graphResponse":{"compositeResponse":[` +
		`{"body":[` + halted + `],"httpHeaders":{},"httpStatusCode":400,"referenceId":"acct"},` +
		`{"body":[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}],"httpHeaders":{},"httpStatusCode":400,"referenceId":"ctc"}]},"isSuccessful":false}]}`
	if got.status != 200 || numberIDs(got.body) != want {
		t.Errorf("graph: %d %s\nwant %s", got.status, numberIDs(got.body), want)
	}
	if countWhere(e, "Account", "Name", "Graphed") != 1 || countWhere(e, "Account", "Name", "Graph Rolled Back") != 0 {
		t.Error("graphs are not each all or nothing")
	}
}

func mustID(t *testing.T, s string) org.ID {
	t.Helper()
	id, err := org.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
