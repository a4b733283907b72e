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
