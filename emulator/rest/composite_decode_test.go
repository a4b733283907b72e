package rest

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/org"
)

// createBodies are collection creates as clients send them, and the odd
// ones: each row says what it shows. fast: decodeCreates reads it (else the
// maps path answers it, as before).
var createBodies = []struct {
	name string
	fast bool
	body string
}{
	{"two accounts", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A1","AnnualRevenue":10},{"attributes":{"type":"Account"},"Name":"A2","AnnualRevenue":1e3}]}`},
	{"allOrNone and white space", true, " {\n\t\"allOrNone\" : true ,\r\n \"records\" : [ { \"attributes\" : { \"type\" : \"Account\" } , \"Name\" : \"A\" } ] } \n"},
	{"allOrNone null is false", true, `{"allOrNone":null,"records":[{"attributes":{"type":"Account"},"Name":"A"},{"attributes":{"type":"Account"}}]}`},
	{"an unknown top-level key is skipped", true, `{"other":{"a":[1,{"b":null}],"c":"\u00e9"},"records":[{"attributes":{"type":"Account"},"Name":"A"},{"attributes":{"type":"Account"},"Name":"B"}]}`},
	{"empty records", true, `{"records":[]}`},
	{"no records", true, `{}`},
	{"an unknown field", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","Nope__c":1},{"attributes":{"type":"Account"},"Name":"B"}]}`},
	{"unknown fields named in sorted order, then a read-only one", true, `{"records":[{"attributes":{"type":"Account"},"Zed":1,"Name":"A","CreatedDate":"2020-01-01T00:00:00Z","Alpha":2},{"attributes":{"type":"Account"},"Name":"B"}]}`},
	{"wrong types", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","AnnualRevenue":"lots"},{"attributes":{"type":"Account"},"Name":"B","AnnualRevenue":true},{"attributes":{"type":"Account"},"Name":"C","NumberOfEmployees":1.5},{"attributes":{"type":"Contact"},"LastName":"D","Birthdate":12}]}`},
	{"a number past float64", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","AnnualRevenue":1e400},{"attributes":{"type":"Account"},"Name":1e400}]}`},
	{"numbers as text fields, text as numbers", true, `{"records":[{"attributes":{"type":"Account"},"Name":12.50,"AnnualRevenue":" 12.5 "},{"attributes":{"type":"Account"},"Name":true,"Score__c":"1.005"}]}`},
	{"precision and scale", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","Score__c":123.456},{"attributes":{"type":"Account"},"Name":"B","Score__c":123456},{"attributes":{"type":"Account"},"Name":"C","Score__c":-0.005}]}`},
	{"required fields", true, `{"records":[{"attributes":{"type":"Lead"},"LastName":"L","Company":"C"},{"attributes":{"type":"Lead"},"LastName":"L","Company":"C","Region__c":""},{"attributes":{"type":"Lead"},"LastName":"L","Company":"C","Region__c":"EMEA"}]}`},
	{"a restricted picklist", true, `{"records":[{"attributes":{"type":"Lead"},"LastName":"L","Company":"C","Region__c":"R","Rating__c":"Cold"},{"attributes":{"type":"Lead"},"LastName":"L","Company":"C","Region__c":"R","Rating__c":"Hot"},{"attributes":{"type":"Lead"},"LastName":"L","Company":"C","Region__c":"R","Rating__c":"Hot"}]}`},
	{"nulls, and a boolean null", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","Industry":null},{"attributes":{"type":"Contact"},"LastName":"B","DoNotCall":null},{"attributes":{"type":"Contact"},"LastName":"C","DoNotCall":"TRUE"}]}`},
	{"an Id is refused, in any case and null", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","Id":"001000000000001"},{"attributes":{"type":"Account"},"Name":"B","iD":null},{"attributes":{"type":"Account"},"Name":"C"}]}`},
	{"a reference to a record of the same request, one not there, a bad one", true, `{"records":[{"attributes":{"type":"Account"},"Name":"Parent"},{"attributes":{"type":"Contact"},"LastName":"C","AccountId":"{account+1}"},{"attributes":{"type":"Account"},"Name":"Child","ParentId":"{account+1:18}"},{"attributes":{"type":"Account"},"Name":"Orphan","ParentId":"001000000009999"},{"attributes":{"type":"Account"},"Name":"Bad","ParentId":"nope"}]}`},
	{"a child before its parent in one run", true, `{"records":[{"attributes":{"type":"Account"},"Name":"Child","ParentId":"{account+1}"},{"attributes":{"type":"Account"},"Name":"Parent"},{"attributes":{"type":"Account"},"Name":"Child","ParentId":"{account+1}"}]}`},
	{"types mixed, missing, unknown, in any case, not a string", true, `{"records":[{"attributes":{"type":"account"},"Name":"A"},{"Name":"No attributes"},{"attributes":{"type":"Nope"},"Name":"B"},{"attributes":{"type":"Lead"},"LastName":"L","Company":"C","Region__c":"R"},{"attributes":{"type":5},"Name":"C"},{"attributes":"Account","Name":"D"},{"attributes":{"type":"Account","type":7},"Name":"E"},{"attributes":{"url":"/x","type":"Contact","referenceId":"r"},"LastName":"F"},{}]}`},
	{"an escaped type and values", true, `{"records":[{"attributes":{"type":"Acc\u006funt"},"Name":"Caf\u00e9 \"Q\"\n","Description":"\ud83d\ude00 \ud800 tab\t"},{"attributes":{"type":"Account"},"Name":"Café"}]}`},
	{"a string too long", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","External_Key__c":"` + strings.Repeat("k", 41) + `"},{"attributes":{"type":"Account"},"Name":"B","External_Key__c":"` + strings.Repeat("é", 40) + `"}]}`},
	{"an e-mail", true, `{"records":[{"attributes":{"type":"Contact"},"LastName":"A","Email":"a@b.example"},{"attributes":{"type":"Contact"},"LastName":"B","Email":"not mail"}]}`},
	{"allOrNone rolls back", true, `{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"Name":"A"},{"attributes":{"type":"Account"},"Nope":1},{"attributes":{"type":"Account"},"Name":"C"}]}`},
	{"allOrNone with every record good", true, `{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"Name":"A"},{"attributes":{"type":"Contact"},"LastName":"C"}]}`},
	{"keys in another order from record to record", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","Industry":"Energy"},{"Industry":"Energy","attributes":{"type":"Account"},"Name":"B"},{"attributes":{"type":"Account"},"Industry":"Energy"}]}`},
	{"a field in two cases", true, `{"records":[{"attributes":{"type":"Account"},"Name":"Upper","name":"lower"},{"attributes":{"type":"Account"},"name":"only lower"}]}`},
	{"Attributes in another case is a field", true, `{"records":[{"attributes":{"type":"Account"},"Name":"A","Attributes":null}]}`},
	{"one record", true, `{"records":[{"attributes":{"type":"Account"},"Name":"Alone"}]}`},
	{"a Lead the active assignment rule may run on", true, `{"records":[{"attributes":{"type":"Lead"},"LastName":"L1","Company":"C","Region__c":"R"},{"attributes":{"type":"Lead"},"LastName":"L2","Company":"C","Region__c":"R"}]}`},

	{"a key written twice", false, `{"records":[{"attributes":{"type":"Account"},"Name":"First","Name":"Last"}]}`},
	{"records written twice", false, `{"records":[{"attributes":{"type":"Account"},"Name":"A"}],"records":[{"attributes":{"type":"Account"},"Name":"B"}]}`},
	{"Records in another case", false, `{"Records":[{"attributes":{"type":"Account"},"Name":"A"}]}`},
	{"a key only Unicode folding matches", false, `{"recordſ":[{"attributes":{"type":"Account"},"Name":"A"}]}`},
	{"an escaped key", false, `{"records":[{"attributes":{"type":"Account"},"N\u0061me":"A"}]}`},
	{"an object as a value", false, `{"records":[{"attributes":{"type":"Account"},"Name":{"a":1}}]}`},
	{"an array as a value", false, `{"records":[{"attributes":{"type":"Account"},"AnnualRevenue":[1]}]}`},
	{"invalid UTF-8", false, "{\"records\":[{\"attributes\":{\"type\":\"Account\"},\"Name\":\"\xff\"}]}"},
	{"a syntax error", false, `{"records":[{"attributes":{"type":"Account"},"Name":"A",}]}`},
	{"a control character in a string", false, "{\"records\":[{\"attributes\":{\"type\":\"Account\"},\"Name\":\"a\tb\"}]}"},
	{"a number with a leading zero", false, `{"records":[{"attributes":{"type":"Account"},"AnnualRevenue":01}]}`},
	{"records not an array", false, `{"records":{"attributes":{"type":"Account"}}}`},
	{"records null", false, `{"records":null}`},
	{"a record not an object", false, `{"records":[1]}`},
	{"allOrNone a string", false, `{"allOrNone":"true","records":[]}`},
	{"trailing data", false, `{"records":[]} x`},
	{"not an object", false, `[]`},
	{"empty", false, ``},
	{"201 records", false, `{"records":[` + strings.TrimSuffix(strings.Repeat(`{"attributes":{"type":"Account"},"Name":"A"},`, 201), ",") + `]}`},
}

// TestDecodeCreatesReadsWhatUnmarshalReads: each body decodeCreates takes,
// it reads as parseCollection does — the same records, types and values
// (numbers as convert reads json.Number) — and the bodies it leaves to
// parseCollection are the ones it should.
func TestDecodeCreatesReadsWhatUnmarshalReads(t *testing.T) {
	for _, tt := range createBodies {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeCreates([]byte(tt.body))
			if ok != tt.fast {
				t.Fatalf("decodeCreates ok = %v, want %v", ok, tt.fast)
			}
			if ok {
				sameDecoding(t, []byte(tt.body), got)
			}
		})
	}
}

// sameDecoding fails t unless body, as parseCollection reads it, is got.
func sameDecoding(t *testing.T, body []byte, got *createBody) {
	t.Helper()
	req, err := parseCollection(body)
	if err != nil {
		t.Fatalf("decodeCreates read a body parseCollection refuses: %v", err)
	}
	if got.allOrNone != req.AllOrNone || len(got.records) != len(req.Records) {
		t.Fatalf("allOrNone %v, %d records; parseCollection: %v, %d", got.allOrNone, len(got.records), req.AllOrNone, len(req.Records))
	}
	for i, m := range req.Records {
		attrs, _ := m["attributes"].(map[string]any)
		typ, _ := attrs["type"].(string)
		want := map[string]any{}
		for k, v := range m {
			if k == "attributes" {
				continue
			}
			if n, isNum := v.(json.Number); isNum {
				if f, err := n.Float64(); err == nil {
					v = f
				}
			}
			want[k] = v
		}
		if got.records[i].typ != typ {
			t.Errorf("record %d: type %q, want %q", i, got.records[i].typ, typ)
		}
		if diff := cmp.Diff(want, org.FieldsMap(got.records[i].fields)); diff != "" {
			t.Errorf("record %d (-parseCollection +decodeCreates):\n%s", i, diff)
		}
	}
}

// TestCollectionCreateIsOneByOne: every body of createBodies gets the same
// answer, byte for byte, and leaves the same records (ids, values) as the
// maps path that inserts one record at a time.
func TestCollectionCreateIsOneByOne(t *testing.T) {
	fast, maps := newEnv(t), newEnv(t)
	maps.svc.mapCreates = true
	for _, tt := range createBodies {
		t.Run(tt.name, func(t *testing.T) {
			sameCreate(t, fast, maps, tt.body)
		})
	}
}

// sameCreate posts body to both envs and fails t unless they answer and
// store alike.
func sameCreate(t *testing.T, fast, maps *env, body string) {
	t.Helper()
	const path = "/services/data/v66.0/composite/sobjects"
	body = nextAccounts.ReplaceAllStringFunc(body, func(ref string) string {
		m := nextAccounts.FindStringSubmatch(ref)
		prefix := fast.acme.Schema.Object("Account").KeyPrefix
		id := org.MakeID(prefix, fast.store.IDs.Snapshot()[prefix]+uint64(m[1][0]-'0'))
		if m[2] == "" {
			return id.Short()
		}
		return string(id)
	})
	got, want := fast.do("POST", path, body), maps.do("POST", path, body)
	if got.status != want.status || got.body != want.body {
		t.Fatalf("fast path: %d %s\nmaps path: %d %s", got.status, got.body, want.status, want.body)
	}
	for _, id := range recordIDs.FindAllString(got.body, -1) {
		a, b := fast.acme.Data.Get(org.ID(id)), maps.acme.Data.Get(org.ID(id))
		if a == nil || b == nil {
			if a != b {
				t.Fatalf("%s: stored on one path only (fast %v, maps %v)", id, a != nil, b != nil)
			}
			continue // rolled back on both
		}
		if diff := cmp.Diff(b.Values, a.Values); diff != "" {
			t.Errorf("%s (-maps +fast):\n%s", id, diff)
		}
	}
	for _, name := range []string{"Account", "Contact", "Lead"} {
		o := fast.acme.Schema.Object(name)
		if a, b := fast.acme.Data.Count(o), maps.acme.Data.Count(maps.acme.Schema.Object(name)); a != b {
			t.Fatalf("%d %s records on the fast path, %d on the maps path", a, name, b)
		}
	}
}

var recordIDs = regexp.MustCompile(`[0-9A-Za-z]{18}`)

// nextAccounts are {account+N} in a body: the id the N-th Account created
// next gets (15 characters; {account+N:18}, 18).
var nextAccounts = regexp.MustCompile(`\{account\+([1-9])(:18)?\}`)

// FuzzCollectionCreate feeds collection bodies (mutations of createBodies)
// to both paths: what decodeCreates reads, parseCollection reads the same,
// and the two answer and store alike.
func FuzzCollectionCreate(f *testing.F) {
	for _, tt := range createBodies {
		f.Add(tt.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, ok := decodeCreates([]byte(body))
		if !ok {
			return // the maps path answers it on both
		}
		sameDecoding(t, []byte(body), got)
		fast, maps := newEnv(t), newEnv(t)
		maps.svc.mapCreates = true
		sameCreate(t, fast, maps, body)
	})
}

// TestAppendResultsIsMarshal: collection answers written by hand are what
// encoding/json writes.
func TestAppendResultsIsMarshal(t *testing.T) {
	id := org.ID("001000000000001AAA")
	odd := org.ID("a<b&c\"")
	yes, no := true, false
	tests := []struct {
		name    string
		results []collectionResult
	}{
		{"none", []collectionResult{}},
		{"a success", []collectionResult{{ID: &id, Success: true, Errors: []org.DMLError{}}}},
		{"a failure with fields and HTML in its message", []collectionResult{{Errors: []org.DMLError{{StatusCode: "INVALID_FIELD", Message: "No such column '<b>&' on \u2028", Fields: []string{"A", "B"}}}}}},
		{"a failure with an id, nil errors", []collectionResult{{ID: &id}}},
		{"upserts", []collectionResult{{ID: &id, Success: true, Errors: []org.DMLError{}, Created: &yes}, {ID: &id, Success: true, Errors: []org.DMLError{}, Created: &no}}},
		{"an id to escape", []collectionResult{{ID: &odd, Success: true, Errors: []org.DMLError{}}}},
	}
	for _, tt := range tests {
		want, err := json.Marshal(tt.results)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendResults(nil, tt.results); string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, want)
		}
	}
}
