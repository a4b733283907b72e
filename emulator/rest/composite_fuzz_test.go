package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzComposite feeds arbitrary bodies to the Composite request parser and
// the reference resolver: neither may panic, and a resolved subrequest
// holds no reference it claimed to resolve.
func FuzzComposite(f *testing.F) {
	for _, seed := range []string{
		`{"allOrNone":true,"compositeRequest":[{"method":"POST","url":"/services/data/v66.0/sobjects/Account","referenceId":"a","body":{"Name":"x"}},` +
			`{"method":"GET","url":"/services/data/v66.0/sobjects/Account/@{a.id}","referenceId":"b","httpHeaders":{"X":"@{a.id}"}}]}`,
		`{"compositeRequest":[{"method":"GET","url":"/services/data/v66.0/query?q=@{q.records[0].Owner.Name}","referenceId":"q"}]}`,
		`{"compositeRequest":[{"method":"PATCH","url":"/x/@{a.records[99999999999999999999].Id}","referenceId":"c","body":{"v":"@{a.}@{a[}@{}@{a"}}]}`,
		`{"compositeRequest":[{"method":"GET","url":"@{a.records[-1]}","referenceId":"d"}]}`,
		strings.Repeat("[", 2000),
		`{"compositeRequest":[{"method":"GET","url":"u","referenceId":"é"}]}`,
		`{"graphs":[{"graphId":"1","compositeRequest":[]}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseComposite(data, maxCompositeSubrequests, true)
		if err != nil {
			return
		}
		refs := newReferences()
		refs.add("a", json.RawMessage(`{"id":"001xx0000000001AAA","records":[{"Id":"003xx0000000001AAA","n":1.5e3,"ok":true}]}`))
		refs.add("q", json.RawMessage(`{"records":[{"Owner":{"Name":"Ann \"<&>\""}}]}`))
		refs.add("broken", json.RawMessage(`{not json`))
		for _, sr := range req.CompositeRequest {
			sub, err := refs.resolve(sr)
			if err != nil {
				var re *referenceError
				if !asReferenceError(err, &re) {
					t.Fatalf("resolve: %T %v", err, err)
				}
				continue
			}
			if sub.body != nil && json.Valid(rawBody(sr.Body)) && !json.Valid(sub.body) {
				t.Fatalf("substitution broke the body's JSON: %s → %s", sr.Body, sub.body)
			}
			if b := rawBody(sr.Body); b != nil {
				refs.add(sr.ReferenceID, b)
			}
		}
	})
}

func asReferenceError(err error, target **referenceError) bool {
	re, ok := err.(*referenceError)
	*target = re
	return ok
}
