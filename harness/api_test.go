package harness

import (
	"context"
	"strings"
	"testing"
)

// apiScenario is a scenario of the given steps (YAML list items, indented
// two spaces) against the default org, whose receiver runs elsewhere (so
// nothing but the emulator starts). Step 1 logs in with JWT bearer as the
// send user: $jwt.
func apiScenario(steps string) string {
	return `name: api step
org:
  fixture: default
  patch:
    objects:
      Account:
        fields:
          Key__c: {type: text, external_id: true, length: 20}
receiver: {url: "http://127.0.0.1:9/outbound"}
phases: [legacy, removed]
steps:
  - oauth: {flow: jwt, as: jwt}
` + steps
}

func runAPIScenario(t *testing.T, steps string) Result {
	t.Helper()
	sc, err := Load("testdata/api-step.yaml", []byte(apiScenario(steps)))
	if err != nil {
		t.Fatalf("the scenario does not load:\n%v", err)
	}
	return RunScenario(context.Background(), sc, PhaseRemoved, Options{Evidence: true})
}

// TestAPIStepCallsTheRESTAPI: an api step sends its request with the
// oauth step's token, templates and @{name.path} references filled in,
// and expect: api: checks the answer.
func TestAPIStepCallsTheRESTAPI(t *testing.T) {
	t.Parallel()
	const query = `  - api: {token: $jwt, path: "/services/data/v{{.APIVersion}}/query", query: {q: "SELECT Id, Name, NumberOfEmployees FROM Account WHERE Name = 'Edge Communications'"}, as: edge}` + "\n"
	tests := []struct {
		name, steps string
		want        Outcome
		failure     []string // in the failure report
		evidence    []string // in the run's evidence
	}{
		{name: "a query, its answer checked, its values referred to by a later request",
			steps: query + `  - expect: {api: {status: 200, json_include: {totalSize: 1, records: [{Name: Edge Communications, NumberOfEmployees: 1000}]}}}
  - api:
      token: $jwt
      method: POST
      path: /services/data/v66.0/sobjects/Contact
      json: {LastName: "Contact of @{edge.records[0].Name}", AccountId: "@{edge.records[0].Id}", Description: "@{edge.totalSize} match"}
      as: created
  - expect: {api: {of: created, status: 201, json_include: {success: true, id: "~^003"}}}
  - api: {token: $jwt, path: "/services/data/v66.0/sobjects/Contact/@{created.id}", query: {fields: "LastName,AccountId,Description"}}
  - expect: {api: {status: 200, json_include: {LastName: Contact of Edge Communications, AccountId: "~^001", Description: 1 match}}}`,
			want:     Passed,
			evidence: []string{"POST /services/data/v66.0/sobjects/Contact → HTTP 201", "GET /services/data/v66.0/query?q=SELECT Id, Name, NumberOfEmployees FROM Account WHERE Name = 'Edge Communications' → HTTP 200"}},
		{name: "a value that is only a reference keeps its JSON type",
			steps: query + `  - api: {token: $jwt, method: POST, path: /services/data/v66.0/sobjects/Account, json: {Name: Copy, NumberOfEmployees: "@{edge.records[0].NumberOfEmployees}", Key__c: K-1}}
  - expect:
      api: {status: 201}
      records: [{query: "SELECT NumberOfEmployees FROM Account WHERE Key__c = 'K-1'", rows: [{NumberOfEmployees: 1000}]}]`,
			want: Passed},
		{name: "a text body with its content type, and a PATCH's empty answer",
			steps: query + `  - api: {token: $jwt, method: PATCH, path: "/services/data/v66.0/sobjects/Account/@{edge.records[0].Id}", body: '{"Industry":"Utilities"}', content_type: application/json}
  - expect: {api: {status: 204, body: ""}}
  - api: {token: $jwt, path: "/services/data/v66.0/sobjects/Account/@{edge.records[0].Id}?fields=Industry"}
  - expect: {api: {json_include: {Industry: Utilities}}}`,
			want: Passed},
		{name: "a wrong token's 401 is the step's outcome, not an error of the run",
			steps: `  - api: {token: 00Dxx0000000001!nope, path: /services/data/v66.0/limits}
  - expect: {api: {status: 401, json_include: [{errorCode: INVALID_SESSION_ID}]}}`,
			want: Passed},
		{name: "a difference fails with a diff of what the answer holds",
			steps:   query + `  - expect: {api: {status: 200, json_include: {records: [{Name: Edge Communications, NumberOfEmployees: 5}]}}}`,
			want:    Failed,
			failure: []string{"api-step.yaml:14: step 3: expectation failed", "the latest api step: JSON (-want +got", `-`, `"NumberOfEmployees": float64(5)`, `+`, `"NumberOfEmployees": float64(1000)`}},
		{name: "a reference the answer does not have is an error of the run",
			steps:   query + `  - api: {token: $jwt, path: "/services/data/v66.0/sobjects/Account/@{edge.records[3].Id}"}`,
			want:    Errored,
			failure: []string{"step 3: api: api.path: @{edge.records[3].Id}: step edge's answer has nothing at .records[3].Id"}},
		{name: "a reference to an object is no text",
			steps:   query + `  - api: {token: $jwt, path: "/services/data/v66.0/sobjects/Account/@{edge.records[0]}"}`,
			want:    Errored,
			failure: []string{"@{edge.records[0]} is an object, not a text, number or boolean"}},
		{name: "an expectation of a step that did not run in this phase is an error",
			steps:   "  - only: legacy\n    api: {token: $jwt, path: /services/data/v66.0/limits, as: old}\n  - expect: {api: {of: old, status: 200}}",
			want:    Errored,
			failure: []string{"expect api: api step old did not run in this phase (removed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runAPIScenario(t, tt.steps)
			checkOutcome(t, res, tt.want, tt.failure)
			for _, w := range tt.evidence {
				if !strings.Contains(res.Evidence, w) {
					t.Errorf("the run's evidence lacks %q:\n%s", w, res.Evidence)
				}
			}
		})
	}
}

// TestBulkStepRunsAJob: a bulk step runs an ingest job to its end — on
// the scenario's virtual clock by moving it — and keeps its results;
// refused requests and failed jobs are outcomes too.
func TestBulkStepRunsAJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, steps string
		want        Outcome
		failure     []string
	}{
		{name: "an insert with CRLF line ends and pipes, then an upsert by an external id",
			steps: `  - bulk:
      token: $jwt
      object: Account
      operation: insert
      column_delimiter: PIPE
      line_ending: CRLF
      csv: |
        Name|Key__c|NumberOfEmployees
        Piped|K-1|12
        |K-2|3
      as: first
  - expect:
      bulk: {state: JobComplete, processed: 2, failed: 1, successful_include: [{sf__Created: "true", Name: Piped}],
             failed_include: [{sf__Error: "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --", Key__c: K-2}]}
  - bulk:
      token: $jwt
      object: Account
      operation: upsert
      external_id_field_name: Key__c
      csv: |
        Key__c,Name
        K-1,Piped again
        K-3,New
  - expect:
      bulk: {state: JobComplete, processed: 2, failed: 0, successful_include: [{sf__Id: "@{first.successfulResults[0].sf__Id}", sf__Created: "false"}, {sf__Created: "true", Name: New}]}
      records: [{query: "SELECT Name FROM Account WHERE Key__c != null ORDER BY Key__c", rows: [{Name: Piped again}, {Name: New}]}]`,
			want: Passed},
		{name: "a job refused at its creation",
			steps: `  - bulk: {token: $jwt, object: Nope__c, operation: insert, csv: "Name\nx\n"}
  - expect: {bulk: {status: 400, error_code: INVALIDENTITY}}`,
			want: Passed},
		{name: "a job that fails on its header",
			steps: `  - bulk: {token: $jwt, object: Account, operation: insert, csv: "Name,Bogus__c\nx,y\n"}
  - expect: {bulk: {state: Failed, processed: 0, error_message: "InvalidBatch : Field name not found : Bogus__c"}}`,
			want: Passed},
		{name: "a difference fails with a diff and the rows there are",
			steps: `  - bulk: {token: $jwt, object: Account, operation: insert, csv: "Name,Industry\n\nOne,Energy\n,Energy\n", as: load}
  - expect: {bulk: {of: load, state: JobComplete, failed: 0, failed_include: [{sf__Error: "~^INVALID"}]}}`,
			want: Failed,
			failure: []string{"bulk step load (-want +got)", `"failed": float64(0)`, `"failed": float64(1)`,
				`bulk step load: failedResults: nothing matches item 1 {sf__Error: ~^INVALID}; they were:`, `1. sf__Id="" sf__Error="REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"`, "api-step.yaml:14: step 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkOutcome(t, runAPIScenario(t, tt.steps), tt.want, tt.failure)
		})
	}
}

// TestAPIAndBulkStepLoadErrors: a mistake in an api or bulk step or their
// expectations stops the file from loading, at its line and column.
func TestAPIAndBulkStepLoadErrors(t *testing.T) {
	t.Parallel()
	const head = "name: t\norg: {fixture: default}\nphases: [removed]\nsteps:\n  - oauth: {flow: jwt, as: jwt}\n" // steps start on line 6
	const q = "  - api: {token: $jwt, path: /services/data/v66.0/limits, as: lim}\n"                              // line 6, when first
	tests := []struct {
		name, steps string
		want        []string
	}{
		{name: "an unknown key of the step, with the key it is near",
			steps: "  - api: {token: $jwt, pth: /x}",
			want:  []string{`x.yaml:6:10: api needs a path`, `x.yaml:6:24: unknown key "pth" (did you mean "path"?)`}},
		{name: "no token",
			steps: "  - api: {path: /services/data/v66.0/limits}",
			want:  []string{`x.yaml:6:10: api needs a token: $name of an earlier oauth step`}},
		{name: "a token naming no oauth step",
			steps: "  - api: {token: $jtw, path: /services/data/v66.0/limits}",
			want:  []string{`x.yaml:6:18: token $jtw names no earlier oauth step (oauth … as: jtw)`}},
		{name: "a method HTTP does not have, and a URL for a path",
			steps: "  - api: {token: $jwt, method: FETCH, path: \"https://acme.my.salesforce.com/services/data\"}",
			want:  []string{`x.yaml:6:32: api: method "FETCH": want one of GET, POST, PATCH, PUT, DELETE, HEAD`, `x.yaml:6:45: api: path "https://acme.my.salesforce.com/services/data": want a path relative to the instance URL`}},
		{name: "references to no step, and a malformed path",
			steps: q + "  - api: {token: $jwt, path: \"/x/@{leads.records[0].Id}\", query: {q: \"@{lim.DailyApiRequests[x]}\"}, json: {a: {b: \"@{leads.id}\"}}}",
			want: []string{`x.yaml:7:30: @{leads.records[0].Id}: leads names no earlier api or bulk step (api … as: leads)`,
				`x.yaml:7:70: @{lim.DailyApiRequests[x]}: the path ".DailyApiRequests[x]" is not made of .key and [n] steps`,
				`x.yaml:7:115: @{leads.id}: leads names no earlier api or bulk step`}},
		{name: "a template field that does not exist",
			steps: "  - api: {token: $jwt, path: \"/services/data/v{{.ApiVersion}}/limits\"}",
			want:  []string{`x.yaml:6:30: template "/services/data/v{{.ApiVersion}}/limits": template: v:1:18: executing "v" at <.ApiVersion>: can't evaluate field ApiVersion`}},
		{name: "json that is no mapping, json with a body, a content type without one, an Authorization header",
			steps: "  - api: {token: $jwt, path: /x, json: 5}\n  - api: {token: $jwt, path: /x, json: {a: 1}, body: b}\n  - api: {token: $jwt, path: /x, content_type: text/csv, headers: {Authorization: Bearer x}}",
			want: []string{`x.yaml:6:40: api: json: want a mapping or a list`, `x.yaml:7:54: api: give json or body, not both`,
				`x.yaml:8:48: api: content_type goes with body:`, `x.yaml:8:83: api: the Authorization header is the token's`}},
		{name: "an outcome name @{} cannot refer to",
			steps: "  - api: {token: $jwt, path: /x, as: my-leads}",
			want:  []string{`x.yaml:6:38: api: as "my-leads": want a letter, then letters, digits or _`}},
		{name: "a bulk step without what a job needs",
			steps: "  - bulk: {token: $jwt}",
			want:  []string{`x.yaml:6:11: bulk needs an object`, `x.yaml:6:11: bulk needs an operation: one of insert, update, upsert, delete, hardDelete`, `x.yaml:6:11: bulk needs csv`}},
		{name: "a bulk step's operation, external id, delimiter and line ending",
			steps: "  - bulk: {token: $jwt, object: Lead, operation: merge, csv: x}\n  - bulk: {token: $jwt, object: Lead, operation: upsert, csv: x}\n" +
				"  - bulk: {token: $jwt, object: Lead, operation: insert, external_id_field_name: Key__c, column_delimiter: COLON, line_ending: CR, csv: x}",
			want: []string{`x.yaml:6:50: bulk: operation "merge": want one of insert`, `x.yaml:7:11: bulk: an upsert needs external_id_field_name`,
				`x.yaml:8:82: bulk: external_id_field_name goes with operation upsert`, `x.yaml:8:108: bulk: column_delimiter "COLON": want one of BACKQUOTE, CARET, COMMA, PIPE, SEMICOLON, TAB`,
				`x.yaml:8:128: bulk: line_ending "CR": want LF or CRLF`}},
		{name: "an unknown key of a bulk step",
			steps: "  - bulk: {token: $jwt, object: Lead, opration: insert, csv: x}",
			want:  []string{`x.yaml:6:11: bulk needs an operation`, `x.yaml:6:39: unknown key "opration" (did you mean "operation"?)`}},
		{name: "expectations with no step before them, of a step of the other kind, of a state a job does not end in",
			steps: "  - expect: {api: {status: 200}, bulk: {state: Completed}}\n" + q + "  - expect: {bulk: {of: lim}, api: {of: lmi, json_include: 5}}",
			want: []string{`x.yaml:6:19: expect api: no api step comes before it`, `x.yaml:6:40: expect bulk: no bulk step comes before it`,
				`x.yaml:6:48: expect bulk: state "Completed": want JobComplete, Failed or Aborted`,
				`x.yaml:8:25: expect bulk: of "lim" names no earlier bulk step (bulk … as: lim)`, `x.yaml:8:41: expect api: of "lmi" names no earlier api step`,
				`x.yaml:8:60: expect api: json_include: want a mapping or a list`}},
		{name: "an unknown key of an expectation",
			steps: q + "  - expect: {bulk: {failed_includes: []}}",
			want:  []string{`x.yaml:7:20: expect bulk: no bulk step comes before it`, `x.yaml:7:21: unknown key "failed_includes" (did you mean "failed_include"?)`}},
		{name: "an api step with another action",
			steps: "  - api: {token: $jwt, path: /x}\n    advance: 1h",
			want:  []string{`x.yaml:6:8: step 2: want exactly one of create, update, send, advance, faults, client_ip, expire_sessions, receiver, oauth, api, bulk, expect (got 2)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load("x.yaml", []byte(head+tt.steps))
			if err == nil {
				t.Fatalf("loaded; want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i+1, lines[i], w)
				}
			}
		})
	}
}
