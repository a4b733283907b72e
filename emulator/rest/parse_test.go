package rest

import (
	"strings"
	"testing"
)

func FuzzParseObject(f *testing.F) {
	f.Add([]byte(`{"Name":"x","AnnualRevenue":1.5}`))
	f.Add([]byte(`{Name:"x"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, offsets, err := parseObject(body)
		if err == nil && fields == nil {
			t.Fatal("no fields and no error")
		}
		if err != nil && !strings.Contains(err.Error(), "line:") {
			t.Fatalf("JSON_PARSER_ERROR without a position: %v", err)
		}
		for k := range fields {
			if _, ok := offsets[k]; !ok {
				t.Fatalf("field %q has no position", k)
			}
		}
	})
}

// FuzzParseCollection: any sObject Collections body decodes to at most 200
// records or fails with JSON_PARSER_ERROR naming a place, or
// EXCEEDED_ID_LIMIT; never a panic.
func FuzzParseCollection(f *testing.F) {
	f.Add([]byte(`{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"Name":"x"}]}`))
	f.Add([]byte(`{"records":[1,{"Name":2}]}`))
	f.Add([]byte(`{"records":null}`))
	f.Add([]byte(`{"records":{}}`))
	f.Add([]byte(`{"records":[` + strings.Repeat(`{},`, 200) + `{}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseCollection(body)
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, "line:") && !strings.Contains(msg, "record limit reached") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if len(req.Records) > maxCompositeRecords {
			t.Fatalf("%d records decoded", len(req.Records))
		}
	})
}
