package emulator_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/org"
)

// allOrNoneWrites each create two Accounts, Tx-1 and a second one, in one
// all-or-none request; bad makes the second lack its required Name, so the
// request rolls back.
var allOrNoneWrites = []struct {
	name  string
	write func(t *testing.T, srv *httptest.Server, token string, bad bool) string
}{
	{"REST composite allOrNone", func(t *testing.T, srv *httptest.Server, token string, bad bool) string {
		_, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite", token, `{"allOrNone":true,"compositeRequest":[`+
			`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"a","body":{"Name":"Tx-1"}},`+
			`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"b","body":`+second(bad)+`}]}`)
		return body
	}},
	{"REST composite allOrNone around a collection", func(t *testing.T, srv *httptest.Server, token string, bad bool) string {
		_, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite", token, `{"allOrNone":true,"compositeRequest":[`+
			`{"method":"POST","url":"/services/data/v60.0/composite/sobjects","referenceId":"a","body":{"records":[{"attributes":{"type":"Account"},"Name":"Tx-1"}]}},`+
			`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"b","body":`+second(bad)+`}]}`)
		return body
	}},
	{"REST composite graph", func(t *testing.T, srv *httptest.Server, token string, bad bool) string {
		_, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite/graph", token, `{"graphs":[{"graphId":"g","compositeRequest":[`+
			`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"a","body":{"Name":"Tx-1"}},`+
			`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"b","body":`+second(bad)+`}]}]}`)
		return body
	}},
	{"REST sObject Collections allOrNone", func(t *testing.T, srv *httptest.Server, token string, bad bool) string {
		_, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite/sobjects", token,
			`{"allOrNone":true,"records":[{"attributes":{"type":"Account"},"Name":"Tx-1"},`+withType(second(bad))+`]}`)
		return body
	}},
	{"REST sObject Tree", func(t *testing.T, srv *httptest.Server, token string, bad bool) string {
		_, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite/tree/Account", token,
			`{"records":[{"attributes":{"type":"Account","referenceId":"a"},"Name":"Tx-1"},`+
				strings.Replace(withType(second(bad)), `"type":"Account"`, `"type":"Account","referenceId":"b"`, 1)+`]}`)
		return body
	}},
	{"SOAP create with AllOrNoneHeader", func(t *testing.T, srv *httptest.Server, token string, bad bool) string {
		name := `<sf:Name>Tx-2</sf:Name>`
		if bad {
			name = ""
		}
		return allOrNoneSOAP(t, srv.URL+"/services/Soap/u/60.0", token, `<urn:create>`+
			`<urn:sObjects><sf:type>Account</sf:type><sf:Name>Tx-1</sf:Name></urn:sObjects>`+
			`<urn:sObjects><sf:type>Account</sf:type>`+name+`</urn:sObjects></urn:create>`)
	}},
}

func second(bad bool) string {
	if bad {
		return `{"Site":"no name"}`
	}
	return `{"Name":"Tx-2"}`
}

func withType(record string) string {
	return `{"attributes":{"type":"Account"},` + strings.TrimPrefix(record, "{")
}

// allOrNoneSOAP posts a Partner call with AllOrNoneHeader allOrNone=true.
func allOrNoneSOAP(t *testing.T, url, token, call string) string {
	t.Helper()
	return soapCallWith(t, url, token, `<urn:AllOrNoneHeader><urn:allOrNone>true</urn:allOrNone></urn:AllOrNoneHeader>`, call)
}

// TestRulesFireOnlyForCommittedWrites: an all-or-none request on any
// surface that rolls back leaves neither its records nor a notification
// for them (Salesforce queues outbound messages inside the transaction);
// the same request that commits queues one for each record.
func TestRulesFireOnlyForCommittedWrites(t *testing.T) {
	for _, w := range allOrNoneWrites {
		for _, bad := range []bool{true, false} {
			name := w.name + " commits"
			if bad {
				name = w.name + " rolls back"
			}
			t.Run(name, func(t *testing.T) {
				emu, srv := startOutboundFixture(t, quietFixture)
				store := emu.Store()
				token := store.Sessions.Open(store.User("admin@acme.example"), nil, time.Hour, false).Token
				before := queued(t, srv)
				answer := w.write(t, srv, token, bad)
				o := store.Orgs()[0]
				var kept []string
				o.Data.Scan(o.Schema.Object("Account"), true, func(r *org.Record) bool {
					if n, _ := r.GetName("Name").(string); strings.HasPrefix(n, "Tx-") {
						kept = append(kept, n)
					}
					return true
				})
				fired := queued(t, srv) - before
				if bad {
					if len(kept) != 0 || fired != 0 {
						t.Fatalf("rolled back, yet %v stored and %d notifications queued; answer: %s", kept, fired, answer)
					}
					return
				}
				if len(kept) != 2 || fired < 2 {
					t.Fatalf("committed: %v stored and %d notifications queued, want 2 records each with a notification; answer: %s", kept, fired, answer)
				}
			})
		}
	}
}

// TestCompositeWithoutAllOrNoneCommitsEachSubrequest: without allOrNone a
// sub-request that succeeded stands, and its rule fires, though a later one
// fails.
func TestCompositeWithoutAllOrNoneCommitsEachSubrequest(t *testing.T) {
	emu, srv := startOutboundFixture(t, quietFixture)
	store := emu.Store()
	token := store.Sessions.Open(store.User("admin@acme.example"), nil, time.Hour, false).Token
	before := queued(t, srv)
	_, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/composite", token, `{"compositeRequest":[`+
		`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"a","body":{"Name":"Tx-1"}},`+
		`{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"b","body":{"Site":"no name"}}]}`)
	if !strings.Contains(body, `"httpStatusCode":201`) || !strings.Contains(body, "REQUIRED_FIELD_MISSING") {
		t.Fatalf("answer: %s", body)
	}
	if fired := queued(t, srv) - before; fired == 0 {
		t.Fatalf("the first sub-request's save queued nothing")
	}
}
