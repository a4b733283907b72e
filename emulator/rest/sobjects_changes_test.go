package rest

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

func TestObjectInfoWithTrailingSlash(t *testing.T) {
	e := newEnv(t)
	plain := e.do("GET", "/services/data/v66.0/sobjects/Account", "")
	slash := e.do("GET", "/services/data/v66.0/sobjects/Account/", "")
	if plain.status != 200 || slash.status != 200 || slash.body != plain.body {
		t.Errorf("GET /sobjects/Account/: %d %s\nwithout the slash: %d %s", slash.status, slash.body, plain.status, plain.body)
	}
	if got := e.do("GET", "/services/data/v66.0/sobjects/Nope/", ""); got.status != 404 ||
		got.body != `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]` {
		t.Errorf("unknown object: %d %s", got.status, got.body)
	}
}

// changesEnv deletes a Contact at 10:05:30, updates an Account at 10:07 and
// creates a Lead at 10:09, and leaves the clock at 10:10:15.
func changesEnv(t *testing.T) (e *env, contact, account, lead string) {
	e = newEnv(t)
	acme := e.acme
	user := e.store.User("sender@acme.example")
	advance := func(d time.Duration) time.Time {
		now, err := e.clock.Advance(d)
		if err != nil {
			t.Fatal(err)
		}
		return now
	}
	contact = acmeRecordID(e, "Contact", "LastName", "Orphan")
	if err := acme.Data.Delete(org.ID(contact), user, advance(5*time.Minute+30*time.Second)); err != nil {
		t.Fatal(err)
	}
	account = acmeRecordID(e, "Account", "Name", "Pyramid Construction")
	if _, errs := acme.Data.Update(org.ID(account), map[string]any{"Industry": "Construction"}, user, advance(90*time.Second)); errs != nil {
		t.Fatal(errs)
	}
	rec, errs := acme.Data.Insert(acme.Schema.Object("Lead"), map[string]any{"LastName": "New", "Company": "N", "Region__c": "EU"}, user, advance(2*time.Minute), org.DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	advance(75 * time.Second)
	return e, contact, account, string(rec.ID)
}

func TestGetDeletedAndUpdated(t *testing.T) {
	e, contact, account, lead := changesEnv(t)
	const p = "/services/data/v66.0/sobjects/"
	deleted := `{"deletedRecords":[{"id":"` + contact + `","deletedDate":"2026-03-02T10:05:30.000+0000"}],"earliestDateAvailable":"2026-03-02T10:00:00.000+0000","latestDateCovered":`
	noneDeleted := `{"deletedRecords":[],"earliestDateAvailable":"2026-03-02T10:00:00.000+0000","latestDateCovered":`
	for _, tt := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"deleted: latestDateCovered is now, to the minute, when end is later", p + "Contact/deleted/?start=2026-03-02T10:00:00Z&end=2026-03-02T11:00:00Z", 200,
			deleted + `"2026-03-02T10:10:00.000+0000"}`},
		{"deleted: without the trailing slash", p + "Contact/deleted?start=2026-03-02T10:00:00Z&end=2026-03-02T11:00:00Z", 200,
			deleted + `"2026-03-02T10:10:00.000+0000"}`},
		{"deleted: the seconds of start are ignored", p + "Contact/deleted/?start=2026-03-02T10:05:59Z&end=2026-03-02T10:06:00Z", 200,
			deleted + `"2026-03-02T10:06:00.000+0000"}`},
		{"deleted: end is exclusive, to the minute", p + "Contact/deleted/?start=2026-03-02T09:00:00Z&end=2026-03-02T10:05:59Z", 200,
			noneDeleted + `"2026-03-02T10:05:00.000+0000"}`},
		{"deleted: an offset, its + percent-encoded", p + "Contact/deleted/?start=2026-03-02T19:05:00%2B09:00&end=2026-03-02T19:06:00%2B09:00", 200,
			deleted + `"2026-03-02T10:06:00.000+0000"}`},
		{"deleted: an offset, its + sent raw (read as a space)", p + "Contact/deleted/?start=2026-03-02T10:05:00.000+0000&end=2026-03-02T10:06:00+00:00", 200,
			deleted + `"2026-03-02T10:06:00.000+0000"}`},
		{"deleted: another object's deletes are not listed", p + "Account/deleted/?start=2026-03-02T10:00:00Z&end=2026-03-02T11:00:00Z", 200,
			noneDeleted + `"2026-03-02T10:10:00.000+0000"}`},
		{"updated: changes and creations, not deletions", p + "Account/updated/?start=2026-03-02T10:01:00Z&end=2026-03-02T11:00:00Z", 200,
			`{"ids":["` + account + `"],"latestDateCovered":"2026-03-02T10:10:00.000+0000"}`},
		{"updated: a created record", p + "Lead/updated?start=2026-03-02T10:01:00Z&end=2026-03-02T10:10:00Z", 200,
			`{"ids":["` + lead + `"],"latestDateCovered":"2026-03-02T10:10:00.000+0000"}`},
		{"updated: a deleted record is not updated", p + "Contact/updated/?start=2026-03-02T10:01:00Z&end=2026-03-02T11:00:00Z", 200,
			`{"ids":[],"latestDateCovered":"2026-03-02T10:10:00.000+0000"}`},
		{"updated: fixture records, loaded at 10:00", p + "Account/updated/?start=2026-03-02T10:00:00Z&end=2026-03-02T10:01:00Z", 200,
			`{"ids":["` + acmeRecordID(e, "Account", "Name", "Edge Communications") + `","` + acmeRecordID(e, "Account", "Name", "Burlington Textiles") + `"],"latestDateCovered":"2026-03-02T10:01:00.000+0000"}`},
		{"missing start", p + "Contact/deleted/?end=2026-03-02T11:00:00Z", 400,
			`[{"message":"Missing required parameter: start","errorCode":"MISSING_ARGUMENT"}]`},
		{"empty end", p + "Contact/updated/?start=2026-03-02T10:00:00Z&end=", 400,
			`[{"message":"Missing required parameter: end","errorCode":"MISSING_ARGUMENT"}]`},
		{"no parameters", p + "Contact/updated/", 400,
			`[{"message":"Missing required parameter: start","errorCode":"MISSING_ARGUMENT"}]`},
		{"not ISO 8601", p + "Contact/deleted/?start=yesterday&end=2026-03-02T11:00:00Z", 400,
			`[{"message":"start: 'yesterday' is not a valid dateTime; use ISO 8601 such as 2026-03-02T10:00:00Z or 2026-03-02T10:00:00+00:00","errorCode":"INVALID_REPLICATION_DATE"}]`},
		{"a date without a time", p + "Contact/updated/?start=2026-03-02T10:00:00Z&end=2026-03-03", 400,
			`[{"message":"end: '2026-03-03' is not a valid dateTime; use ISO 8601 such as 2026-03-02T10:00:00Z or 2026-03-02T10:00:00+00:00","errorCode":"INVALID_REPLICATION_DATE"}]`},
		{"start after end", p + "Contact/deleted/?start=2026-03-02T11:00:00Z&end=2026-03-02T10:00:00Z", 400,
			`[{"message":"startDate must chronologically precede endDate","errorCode":"INVALID_REPLICATION_DATE"}]`},
		{"start and end in the same minute", p + "Contact/updated/?start=2026-03-02T10:00:10Z&end=2026-03-02T10:00:50Z", 400,
			`[{"message":"startDate must chronologically precede endDate","errorCode":"INVALID_REPLICATION_DATE"}]`},
		{"start more than 30 days ago", p + "Contact/deleted/?start=2026-01-30T10:00:00Z&end=2026-03-02T10:00:00Z", 400,
			`[{"message":"startDate cannot be more than 30 days ago","errorCode":"INVALID_REPLICATION_DATE"}]`},
		{"start exactly 30 days ago (to the minute) is fine", p + "Contact/updated/?start=2026-01-31T10:11:00Z&end=2026-02-01T10:00:00Z", 200,
			`{"ids":[],"latestDateCovered":"2026-02-01T10:00:00.000+0000"}`},
		{"unknown object", p + "Nope/deleted/?start=2026-03-02T10:00:00Z&end=2026-03-02T11:00:00Z", 404,
			`[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do("GET", tt.path, "")
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("GET %s\n got %d %s\nwant %d %s", tt.path, got.status, got.body, tt.status, tt.body)
			}
		})
	}
	if got := e.do("POST", p+"Contact/deleted/", `{}`); got.status != 405 {
		t.Errorf("POST deleted/: %d %s", got.status, got.body)
	}
}

func TestParseReplicationDate(t *testing.T) {
	want := time.Date(2026, 3, 2, 10, 5, 0, 0, time.UTC)
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2026-03-02T10:05:00Z", true},
		{"2026-03-02T10:05:42.123Z", true},
		{"2026-03-02T10:05:00+00:00", true},
		{"2026-03-02T10:05:00 00:00", true}, // an unencoded + in a query string
		{"2026-03-02T19:05:00+09:00", true},
		{"2026-03-02T10:05:00.000+0000", true},
		{"2026-03-02T10:05Z", true},
		{" 2026-03-02T10:05:00Z ", true},
		{"2026-03-02T10:05:00", false}, // no time zone
		{"2026-03-02", false},
		{"2026-13-02T10:05:00Z", false},
		{"", false},
		{"1699-03-02T10:05:00Z", false},
	} {
		got, ok := parseReplicationDate(tt.in)
		if ok != tt.ok || ok && !got.Equal(want) {
			t.Errorf("parseReplicationDate(%q) = %v, %v; want ok=%v", tt.in, got, ok, tt.ok)
		}
	}
}

func FuzzParseReplicationDate(f *testing.F) {
	for _, s := range []string{"2026-03-02T10:05:00Z", "2026-03-02T10:05:00 00:00", "2026-03-02T10:05Z", "2026-03-02T10:05:00.000+0000", "yesterday", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseReplicationDate(s)
		if !ok {
			return
		}
		if got.Location() != time.UTC || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("%q parsed to %v: want UTC, to the minute", s, got)
		}
		// What it answers (latestDateCovered's format) reads back the same.
		again, ok := parseReplicationDate(got.Format(restDateTime))
		if !ok || !again.Equal(got) {
			t.Fatalf("%q → %v → %q → %v, %v", s, got, got.Format(restDateTime), again, ok)
		}
	})
}

func TestExternalIDReadAndDelete(t *testing.T) {
	e := newEnv(t)
	const p = "/services/data/v66.0/sobjects/Account/"
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	burlington := acmeRecordID(e, "Account", "Name", "Burlington Textiles")
	pyramid := acmeRecordID(e, "Account", "Name", "Pyramid Construction")
	const notFound = `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`
	dup := `["/services/data/v66.0/sobjects/Account/` + burlington + `","/services/data/v66.0/sobjects/Account/` + pyramid + `"]`
	for _, tt := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", p + "External_Key__c/EDGE-1?fields=Name", 200,
			`{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"Name":"Edge Communications"}`},
		{"GET", p + "External_Key__c/NONE", 404, notFound},
		{"GET", p + "External_Key__c/DUP", 300, dup},
		{"GET", p + "Name/Acme", 404, `[{"message":"Provided external ID field does not exist or is not accessible: Name","errorCode":"NOT_FOUND"}]`},
		{"DELETE", p + "External_Key__c/NONE", 404, notFound},
		{"DELETE", p + "Name/Acme", 404, `[{"message":"Provided external ID field does not exist or is not accessible: Name","errorCode":"NOT_FOUND"}]`},
		{"DELETE", p + "External_Key__c/DUP", 300, dup},
		{"DELETE", p + "External_Key__c/edge-1", 204, ""}, // external ids match case-insensitively
		{"GET", p + "External_Key__c/EDGE-1", 404, notFound},
		{"DELETE", p + "External_Key__c/EDGE-1", 404, notFound},
		{"GET", p + edge, 404, `[{"message":"entity is deleted","errorCode":"ENTITY_IS_DELETED"}]`},
		{"DELETE", p + "Id/" + burlington, 204, ""},
	} {
		got := e.do(tt.method, tt.path, "")
		if got.status != tt.status || got.body != tt.body {
			t.Errorf("%s %s\n got %d %s\nwant %d %s", tt.method, tt.path, got.status, got.body, tt.status, tt.body)
		}
	}
	// The DUP records were not deleted by the 300.
	if rec := e.acme.Data.Get(org.ID(pyramid)); rec == nil || rec.Deleted() {
		t.Error("a DELETE answering 300 deleted a record")
	}
	if got := e.do("PUT", p+"External_Key__c/DUP", "{}"); got.body != `[{"message":"HTTP Method 'PUT' not allowed. Allowed are HEAD,GET,PATCH,DELETE","errorCode":"METHOD_NOT_ALLOWED"}]` {
		t.Errorf("PUT: %d %s", got.status, got.body)
	}
}

func TestRelationships(t *testing.T) {
	e := newEnv(t)
	const p = "/services/data/v66.0/sobjects/"
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	pyramid := acmeRecordID(e, "Account", "Name", "Pyramid Construction")
	rose := acmeRecordID(e, "Contact", "LastName", "Gonzalez")
	sean := acmeRecordID(e, "Contact", "LastName", "Forbes")
	orphan := acmeRecordID(e, "Contact", "LastName", "Orphan")
	const notFound = `[{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]`
	contact := func(id, name string) string {
		return `{"attributes":{"type":"Contact","url":"/services/data/v66.0/sobjects/Contact/` + id + `"},"LastName":"` + name + `"}`
	}
	for _, tt := range []struct {
		name, path string
		status     int
		body       string
	}{
		{"a lookup answers the parent", p + "Contact/" + rose + "/Account?fields=Name,Industry", 200,
			`{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"Name":"Edge Communications","Industry":"Energy"}`},
		{"relationship names are case-insensitive; a 15-character id", p + "Contact/" + rose[:15] + "/account?fields=Name", 200,
			`{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/` + edge + `"},"Name":"Edge Communications"}`},
		{"a null lookup is not found", p + "Contact/" + orphan + "/Account", 404, notFound},
		{"children as a query result", p + "Account/" + edge + "/Contacts?fields=LastName", 200,
			`{"totalSize":2,"done":true,"records":[` + contact(rose, "Gonzalez") + `,` + contact(sean, "Forbes") + `]}`},
		{"no children", p + "Account/" + pyramid + "/Contacts", 200, `{"totalSize":0,"done":true,"records":[]}`},
		{"an unknown relationship", p + "Account/" + edge + "/Nope", 404, notFound},
		{"a field that is not a relationship", p + "Contact/" + rose + "/AccountId", 404, notFound},
		{"an unknown field of the related object", p + "Account/" + edge + "/Contacts?fields=Nope", 400,
			`[{"message":"No such column 'Nope' on sobject of type Contact","errorCode":"INVALID_FIELD"}]`},
		{"another object's id", p + "Account/" + rose + "/Contacts", 404, notFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.do("GET", tt.path, "")
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("GET %s\n got %d %s\nwant %d %s", tt.path, got.status, got.body, tt.status, tt.body)
			}
		})
	}
	// A lookup to a user (Owner) answers the User record.
	owner, _ := e.acme.Data.Get(org.ID(edge)).GetName("OwnerId").(string)
	ownerName, _ := e.acme.Data.Get(org.ID(owner)).GetName("Username").(string)
	if got := e.do("GET", p+"Account/"+edge+"/Owner?fields=Username", ""); owner == "" || got.status != 200 ||
		got.body != `{"attributes":{"type":"User","url":"/services/data/v66.0/sobjects/User/`+owner+`"},"Username":"`+ownerName+`"}` {
		t.Errorf("Owner (%s): %d %s", owner, got.status, got.body)
	}
	// Every field of the parent when ?fields is not given.
	got := e.do("GET", p+"Contact/"+rose+"/Account", "")
	var rec map[string]any
	if err := json.Unmarshal([]byte(got.body), &rec); err != nil || rec["Name"] != "Edge Communications" || len(rec) != len(e.acme.Schema.Object("Account").Fields)+1 {
		t.Errorf("parent with every field: %d %s", got.status, got.body)
	}
}

func TestDescribeLayouts(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/services/data/v66.0/sobjects/Lead/describe/layouts/", "/services/data/v66.0/sobjects/Lead/describe/layouts"} {
		got := e.do("GET", path, "")
		var d struct {
			Layouts []struct {
				ID                   string `json:"id"`
				DetailLayoutSections []struct {
					Heading    string `json:"heading"`
					Rows       int    `json:"rows"`
					LayoutRows []struct {
						LayoutItems []struct {
							Label            string `json:"label"`
							Required         bool   `json:"required"`
							LayoutComponents []struct {
								Type  string `json:"type"`
								Value string `json:"value"`
							} `json:"layoutComponents"`
						} `json:"layoutItems"`
					} `json:"layoutRows"`
				} `json:"detailLayoutSections"`
				EditLayoutSections []any `json:"editLayoutSections"`
				RelatedLists       []any `json:"relatedLists"`
			} `json:"layouts"`
			RecordTypeMappings []struct {
				LayoutID     string `json:"layoutId"`
				RecordTypeID string `json:"recordTypeId"`
				Master       bool   `json:"master"`
			} `json:"recordTypeMappings"`
			RecordTypeSelectorRequired []bool `json:"recordTypeSelectorRequired"`
		}
		if err := json.Unmarshal([]byte(got.body), &d); err != nil || got.status != 200 {
			t.Fatalf("%s: %d %v %s", path, got.status, err, got.body)
		}
		lead := e.acme.Schema.Object("Lead")
		if len(d.Layouts) != 1 || len(d.Layouts[0].DetailLayoutSections) != 1 || len(d.Layouts[0].EditLayoutSections) != 1 || d.Layouts[0].RelatedLists == nil {
			t.Fatalf("%s: layouts %s", path, got.body)
		}
		sec := d.Layouts[0].DetailLayoutSections[0]
		if sec.Heading != "Information" || sec.Rows != len(lead.Fields) || len(sec.LayoutRows) != len(lead.Fields) {
			t.Errorf("section: %q, %d rows, want %d", sec.Heading, sec.Rows, len(lead.Fields))
		}
		var region bool
		for i, row := range sec.LayoutRows {
			item := row.LayoutItems[0]
			if c := item.LayoutComponents[0]; c.Type != "Field" || c.Value != lead.Fields[i].Name {
				t.Errorf("row %d: %+v, want field %s", i, c, lead.Fields[i].Name)
			}
			region = region || item.LayoutComponents[0].Value == "Region__c" && item.Required
		}
		if !region {
			t.Error("Region__c, a required field, is not in the layout as required")
		}
		if len(d.RecordTypeMappings) != 1 || d.RecordTypeMappings[0].LayoutID != d.Layouts[0].ID || d.RecordTypeMappings[0].RecordTypeID != "012000000000000AAA" ||
			!d.RecordTypeMappings[0].Master || len(d.RecordTypeSelectorRequired) != 1 {
			t.Errorf("recordTypeMappings: %s", got.body)
		}
		if _, err := org.ParseID(d.Layouts[0].ID); err != nil || !strings.HasPrefix(d.Layouts[0].ID, "00h") {
			t.Errorf("layout id %q: %v", d.Layouts[0].ID, err)
		}
	}
}

// rawDo sends a request with a client that does not decompress answers,
// the body encoded as given.
func (e *env) rawDo(method, path string, body []byte, headers ...string) response {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header}
}

func gzipBytes(t testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCompressedBodies(t *testing.T) {
	e := newEnv(t)
	const p = "/services/data/v66.0/sobjects/Account"
	lead := []byte(`{"Name":"Zipped Co"}`)
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	_, _ = zw.Write(lead)
	_ = zw.Close()
	// Bombs of zeros as gzip members of 1 MB each (a gzip reader reads
	// concatenated members as one stream): 10 MB in about 10 KB, 1 GB in
	// about 1 MB, against the 8 MB limit.
	var member bytes.Buffer
	mw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = mw.Write(make([]byte, 1<<20))
	_ = mw.Close()
	tenMegabytes := bytes.Repeat(member.Bytes(), 10)
	gigabyte := bytes.Repeat(member.Bytes(), 1024)
	for _, tt := range []struct {
		name     string
		body     []byte
		encoding string
		status   int
		body0    string // the answer's body, or its prefix when it ends in …
	}{
		{"gzip", gzipBytes(t, lead), "gzip", 201, `{"id":"001…`},
		{"deflate (zlib)", zl.Bytes(), "deflate", 201, `{"id":"001…`},
		{"corrupt gzip", []byte("not gzip at all"), "gzip", 400,
			`[{"message":"request body: Content-Encoding gzip: gzip: invalid header","errorCode":"JSON_PARSER_ERROR"}]`},
		{"truncated gzip", gzipBytes(t, lead)[:20], "gzip", 400,
			`[{"message":"request body: Content-Encoding gzip: unexpected EOF","errorCode":"JSON_PARSER_ERROR"}]`},
		{"a 10 MB gzip bomb", tenMegabytes, "gzip", 413, `[{"message":"request body over 8388608 bytes","errorCode":"JSON_PARSER_ERROR"}]`},
		{"a 1 GB gzip bomb", gigabyte, "gzip", 413, `[{"message":"request body over 8388608 bytes","errorCode":"JSON_PARSER_ERROR"}]`},
		{"an unsupported encoding", lead, "br", 400,
			`[{"message":"request body: Content-Encoding \"br\" is not supported (send gzip, deflate or none)","errorCode":"JSON_PARSER_ERROR"}]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.rawDo("POST", p, tt.body, "Content-Encoding", tt.encoding)
			want, prefix := strings.CutSuffix(tt.body0, "…")
			if got.status != tt.status || !prefix && got.body != want || prefix && !strings.HasPrefix(got.body, want) {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.body0)
			}
		})
	}
	if n := len(tenMegabytes); n > 16<<10 {
		t.Errorf("the 10 MB bomb is %d bytes compressed", n)
	}
}

func TestCompressedAnswersAndCallOptions(t *testing.T) {
	e := newEnv(t)
	const path = "/services/data/v66.0/sobjects/Account/External_Key__c/EDGE-1?fields=Name"
	plain := e.rawDo("GET", path, nil)
	zipped := e.rawDo("GET", path, nil, "Accept-Encoding", "gzip, deflate", "Sforce-Call-Options", "client=acme-sync/1.0")
	if plain.header.Get("Content-Encoding") != "" || plain.status != 200 {
		t.Fatalf("without Accept-Encoding: %d %v %s", plain.status, plain.header, plain.body)
	}
	if zipped.status != 200 || zipped.header.Get("Content-Encoding") != "gzip" || zipped.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("with Accept-Encoding: gzip: %d %v", zipped.status, zipped.header)
	}
	zr, err := gzip.NewReader(strings.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != plain.body {
		t.Errorf("decompressed %q, %v; want %q", got, err, plain.body)
	}
	if refused := e.rawDo("GET", path, nil, "Accept-Encoding", "gzip;q=0, identity"); refused.header.Get("Content-Encoding") != "" || refused.body != plain.body {
		t.Errorf("gzip;q=0: %v %q", refused.header, refused.body)
	}
	// Errors are compressed too.
	bad := e.rawDo("GET", "/services/data/v66.0/sobjects/Nope", nil, "Accept-Encoding", "gzip")
	if bad.status != 404 || bad.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("404: %d %v", bad.status, bad.header)
	}
}
