package harness

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfemu/sfemu/emulator/bulk"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/rest"
	"github.com/sfemu/sfemu/internal/jsonref"
	"github.com/sfemu/sfemu/wire"
)

// APIStep has the harness call the emulator's REST API as a client would —
// the customer's SaaS, integration or script — with the access token an
// earlier oauth step got. The request lands in the request journal like
// anyone's; what it answered is checked with expect: api:, and later
// steps refer to its JSON with @{name.path}.
type APIStep struct {
	// Token is $name of an earlier oauth step (its access token), or a
	// token as it is (a wrong one, to see INVALID_SESSION_ID).
	Token string `yaml:"token"`
	// Method is GET (the default), POST, PATCH, PUT, DELETE or HEAD.
	Method string `yaml:"method"`
	// Path is relative to the instance URL, with templates:
	// /services/data/v{{.APIVersion}}/query, /services/data/v66.0/sobjects/Task.
	Path string `yaml:"path"`
	// Query are query parameters, encoded for the URL: {q: "SELECT …"}.
	Query map[string]string `yaml:"query"`
	// JSON is the request body as YAML (a mapping or a list), sent as JSON;
	// Body is a text sent as it is, with ContentType (default text/plain).
	JSON        any               `yaml:"json"`
	Body        *string           `yaml:"body"`
	ContentType string            `yaml:"content_type"`
	Headers     map[string]string `yaml:"headers"`
	// As names the outcome, for expect: api: {of: name} and @{name.path}.
	As string `yaml:"as"`
}

// BulkStep has the harness run a whole Bulk API 2.0 ingest job as a client
// does: create the job, upload the CSV, mark it UploadComplete, wait for it
// to finish (on a virtual clock by moving the clock, on the real clock by
// polling), then fetch its successful, failed and unprocessed records.
type BulkStep struct {
	// Token is as an api step's.
	Token string `yaml:"token"`
	// Object and Operation (insert, update, upsert, delete, hardDelete);
	// ExternalIDFieldName is the upsert's field.
	Object              string `yaml:"object"`
	Operation           string `yaml:"operation"`
	ExternalIDFieldName string `yaml:"external_id_field_name"`
	// ColumnDelimiter (COMMA …) and LineEnding (LF, CRLF: the CSV's line
	// ends are sent as CRLF) are the job's; default COMMA and LF.
	ColumnDelimiter string `yaml:"column_delimiter"`
	LineEnding      string `yaml:"line_ending"`
	// CSV is the upload, header first; @{name.path} references resolve.
	CSV string `yaml:"csv"`
	// As names the outcome.
	As string `yaml:"as"`
}

// APIExpect checks what an api step saw. A string starting with "~" is a
// regular expression.
type APIExpect struct {
	// Of is the step's as: name; default the latest api step.
	Of     string `yaml:"of"`
	Status *int   `yaml:"status"`
	// JSONInclude is what the JSON answer holds: each key of a mapping
	// with a value that matches, each item of a list matching an item of
	// the answer's list in this order (others before, between and after).
	JSONInclude any `yaml:"json_include"`
	// Body is the whole answer as text.
	Body string `yaml:"body"`
}

// BulkExpect checks what a bulk step saw.
type BulkExpect struct {
	// Of is the step's as: name; default the latest bulk step.
	Of string `yaml:"of"`
	// State is where the job ended: JobComplete, Failed, Aborted; or none
	// ("") when the job was refused (Status, ErrorCode).
	State        string `yaml:"state"`
	Processed    *int   `yaml:"processed"`
	Failed       *int   `yaml:"failed"`
	ErrorMessage string `yaml:"error_message"`
	// Status and ErrorCode are a refused request's (creating the job,
	// uploading, closing it).
	Status    *int   `yaml:"status"`
	ErrorCode string `yaml:"error_code"`
	// FailedInclude and SuccessfulInclude are rows of the failedResults
	// and successfulResults CSVs (column → value) that must be there in
	// this order, others around them.
	FailedInclude     []map[string]any `yaml:"failed_include"`
	SuccessfulInclude []map[string]any `yaml:"successful_include"`
}

var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodHead}

var bulkOperations = []string{"insert", "update", "upsert", "delete", "hardDelete"}

var bulkDelimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

// validOutcomeName is a name @{name.path} can refer to: a letter, then
// letters, digits and _ (Composite's referenceId).
var validOutcomeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`).MatchString

// checkToken checks an api or bulk step's token.
func (sc *Scenario) checkToken(at, step, token string, names *loadNames) *LoadError {
	ref, isRef := strings.CutPrefix(token, "$")
	switch {
	case token == "":
		return sc.errAt(at, "%s needs a token: $name of an earlier oauth step (oauth … as: name), or an access token", step)
	case isRef:
		if _, ok := names.oauth[ref]; !ok {
			return sc.errAt(at+".token", "token %s names no earlier oauth step (oauth … as: %s)", token, ref)
		}
	}
	return nil
}

// checkRefs checks the @{name.path} references and templates of a text.
func (sc *Scenario) checkRefs(at, text string, names *loadNames) []*LoadError {
	var errs []*LoadError
	for _, ref := range jsonref.Find(text, validOutcomeName) {
		switch {
		case !names.outcomes[ref.Name]:
			errs = append(errs, sc.errAt(at, "@{%s}: %s names no earlier api or bulk step (api … as: %s)", ref.Expr(), ref.Name, ref.Name))
		case !jsonref.ValidPath(ref.Path):
			errs = append(errs, sc.errAt(at, "@{%s}: the path %q is not made of .key and [n] steps", ref.Expr(), ref.Path))
		}
	}
	if strings.Contains(text, "{{") {
		if _, err := sampleVars().render(text); err != nil {
			errs = append(errs, sc.errAt(at, "%v", err))
		}
	}
	return errs
}

// sampleVars are templateVars with every field empty, to check templates
// when the scenario loads.
func sampleVars() *templateVars { return &templateVars{Profile: &Profile{}} }

// texts lists the strings of a YAML value with their paths (in map key
// order), for checking their references.
func texts(path string, v any, out func(path, s string)) {
	switch x := v.(type) {
	case string:
		out(path, x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			texts(path+"."+k, x[k], out)
		}
	case []any:
		for i, e := range x {
			texts(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	}
}

// validateAPI lists the rules an api step breaks.
func (sc *Scenario) validateAPI(path string, st *APIStep, names *loadNames) []*LoadError {
	var errs []*LoadError
	add := func(e ...*LoadError) {
		for _, x := range e {
			if x != nil {
				errs = append(errs, x)
			}
		}
	}
	at := path + ".api"
	add(sc.checkToken(at, "api", st.Token, names))
	if st.Method != "" && !slices.Contains(apiMethods, st.Method) {
		add(sc.errAt(at+".method", "api: method %q: want one of %s", st.Method, strings.Join(apiMethods, ", ")))
	}
	switch {
	case st.Path == "":
		add(sc.errAt(at, "api needs a path, relative to the instance URL: /services/data/v{{.APIVersion}}/…"))
	case strings.Contains(st.Path, "://") || !strings.HasPrefix(st.Path, "/"):
		add(sc.errAt(at+".path", "api: path %q: want a path relative to the instance URL, starting with /", st.Path))
	default:
		add(sc.checkRefs(at+".path", st.Path, names)...)
	}
	for _, k := range sortedKeys(st.Query) {
		add(sc.checkRefs(at+".query."+k, st.Query[k], names)...)
	}
	for _, k := range sortedKeys(st.Headers) {
		add(sc.checkRefs(at+".headers."+k, st.Headers[k], names)...)
		if strings.EqualFold(k, "Authorization") {
			add(sc.errAt(at+".headers."+k, "api: the Authorization header is the token's (token:)"))
		}
	}
	switch st.JSON.(type) {
	case nil:
	case map[string]any, []any:
		texts(at+".json", st.JSON, func(p, s string) { add(sc.checkRefs(p, s, names)...) })
	default:
		add(sc.errAt(at+".json", "api: json: want a mapping or a list, sent as the JSON body (a text goes in body:)"))
	}
	if st.JSON != nil && st.Body != nil {
		add(sc.errAt(at+".body", "api: give json or body, not both"))
	}
	if st.Body != nil {
		add(sc.checkRefs(at+".body", *st.Body, names)...)
	}
	if st.ContentType != "" && st.Body == nil {
		add(sc.errAt(at+".content_type", "api: content_type goes with body: (json: is sent as application/json)"))
	}
	errs = append(errs, sc.nameOutcome(at, "api", st.As, names)...)
	names.apiSteps++
	return errs
}

// nameOutcome records an api or bulk step's as: name.
func (sc *Scenario) nameOutcome(at, step, as string, names *loadNames) []*LoadError {
	if as == "" {
		return nil
	}
	if !validOutcomeName(as) {
		return []*LoadError{sc.errAt(at+".as", "%s: as %q: want a letter, then letters, digits or _ (later steps refer to it as @{%s.path})", step, as, as)}
	}
	names.outcomes[as] = true
	names.outcomeKind[as] = step
	return nil
}

// validateBulk lists the rules a bulk step breaks.
func (sc *Scenario) validateBulk(path string, st *BulkStep, names *loadNames) []*LoadError {
	var errs []*LoadError
	add := func(e ...*LoadError) {
		for _, x := range e {
			if x != nil {
				errs = append(errs, x)
			}
		}
	}
	at := path + ".bulk"
	add(sc.checkToken(at, "bulk", st.Token, names))
	if st.Object == "" {
		add(sc.errAt(at, "bulk needs an object"))
	}
	switch {
	case st.Operation == "":
		add(sc.errAt(at, "bulk needs an operation: one of %s", strings.Join(bulkOperations, ", ")))
	case !slices.Contains(bulkOperations, st.Operation):
		add(sc.errAt(at+".operation", "bulk: operation %q: want one of %s", st.Operation, strings.Join(bulkOperations, ", ")))
	case st.Operation == "upsert" && st.ExternalIDFieldName == "":
		add(sc.errAt(at, "bulk: an upsert needs external_id_field_name"))
	case st.Operation != "upsert" && st.ExternalIDFieldName != "":
		add(sc.errAt(at+".external_id_field_name", "bulk: external_id_field_name goes with operation upsert"))
	}
	if _, ok := bulkDelimiters[st.ColumnDelimiter]; st.ColumnDelimiter != "" && !ok {
		add(sc.errAt(at+".column_delimiter", "bulk: column_delimiter %q: want one of %s", st.ColumnDelimiter, strings.Join(sortedKeys(bulkDelimiters), ", ")))
	}
	if st.LineEnding != "" && st.LineEnding != "LF" && st.LineEnding != "CRLF" {
		add(sc.errAt(at+".line_ending", "bulk: line_ending %q: want LF or CRLF", st.LineEnding))
	}
	if strings.TrimSpace(st.CSV) == "" {
		add(sc.errAt(at, "bulk needs csv: the upload, its header first"))
	} else {
		add(sc.checkRefs(at+".csv", st.CSV, names)...)
	}
	errs = append(errs, sc.nameOutcome(at, "bulk", st.As, names)...)
	names.bulkSteps++
	return errs
}

// validateOutcomeExpect checks an expect: api: or bulk: names a step that
// comes before it.
func (sc *Scenario) validateOutcomeExpect(path, step, of string, count int, names *loadNames) *LoadError {
	switch {
	case of != "":
		if names.outcomeKind[of] != step {
			return sc.errAt(path+".of", "expect %s: of %q names no earlier %s step (%s … as: %s)", step, of, step, step, of)
		}
	case count == 0:
		return sc.errAt(path, "expect %s: no %s step comes before it", step, step)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// apiOutcome is what an api or bulk step saw. Its JSON is what @{name.path}
// refers to: an api step's answer, or a bulk job's info with its
// successfulResults, failedResults and unprocessedrecords rows.
type apiOutcome struct {
	kind   string // api or bulk
	name   string // the as: name, if any
	method string
	path   string
	status int
	body   string
	json   any // nil when the answer is not JSON
	// A bulk job: where it ended, its rows, and the error of a refused
	// request.
	state, errorCode, errorMessage string
	processed, failed              int
	successful, failedRows, unproc []map[string]any
}

func (o *apiOutcome) String() string {
	if o.kind == "bulk" {
		s := fmt.Sprintf("bulk %s", o.path)
		if o.state == "" {
			return s + fmt.Sprintf(" refused: HTTP %d %s %s", o.status, o.errorCode, o.errorMessage)
		}
		s += fmt.Sprintf(": %s, %d processed, %d failed", o.state, o.processed, o.failed)
		if o.errorMessage != "" {
			s += fmt.Sprintf(" (%s)", o.errorMessage)
		}
		return s
	}
	s := fmt.Sprintf("%s %s → HTTP %d", o.method, readablePath(o.path), o.status)
	if body := strings.TrimSpace(o.body); body != "" {
		s += " " + brief300(body)
	}
	return s
}

// readablePath is a request path with its query decoded, as a person
// wrote it.
func readablePath(p string) string {
	path, query, ok := strings.Cut(p, "?")
	if !ok {
		return p
	}
	if q, err := url.QueryUnescape(query); err == nil {
		return path + "?" + q
	}
	return p
}

func brief300(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// apiClient is the harness as a REST client of the emulator, at the base
// URL the harness drives (which serves the instance).
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func (c *apiClient) do(ctx context.Context, method, path string, body []byte, contentType string, headers map[string]string) (int, http.Header, string, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, "", fmt.Errorf("%s %s: %v", method, path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, "", fmt.Errorf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b), nil
}

// client is an API client with the token of an api or bulk step.
func (r *run) client(token string) (*apiClient, error) {
	if ref, ok := strings.CutPrefix(token, "$"); ok {
		o := r.oauth[ref]
		if o == nil {
			return nil, fmt.Errorf("token %s: that oauth step did not run in this phase (%s)", token, r.phase)
		}
		if o.accessToken == "" {
			return nil, fmt.Errorf("token %s: that oauth step got no access token (%s)", token, o)
		}
		token = o.accessToken
	}
	return &apiClient{base: strings.TrimRight(r.baseURL, "/"), token: token, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// text renders a step's text: templates, then @{name.path} references (as
// text: a reference to null, an object or a list is an error).
func (r *run) text(what, s string) (string, error) {
	if strings.Contains(s, "{{") {
		v, err := r.vars.render(s)
		if err != nil {
			return "", fmt.Errorf("%s: %v", what, err)
		}
		s = v
	}
	return jsonref.Expand(s, validOutcomeName, func(ref jsonref.Ref) (string, error) {
		v, err := r.refValue(ref)
		if err != nil {
			return "", fmt.Errorf("%s: %v", what, err)
		}
		text, ok := jsonref.Text(v)
		if !ok {
			return "", fmt.Errorf("%s: @{%s} is %s, not a text, number or boolean", what, ref.Expr(), kindOf(v))
		}
		return text, nil
	})
}

// refValue is the value @{name.path} refers to.
func (r *run) refValue(ref jsonref.Ref) (any, error) {
	o := r.outcomes[ref.Name]
	if o == nil {
		return nil, fmt.Errorf("@{%s}: step %s did not run in this phase (%s)", ref.Expr(), ref.Name, r.phase)
	}
	if o.json == nil {
		return nil, fmt.Errorf("@{%s}: step %s's answer is not JSON (%s)", ref.Expr(), ref.Name, o)
	}
	v, ok := jsonref.Lookup(o.json, ref.Path)
	if !ok {
		return nil, fmt.Errorf("@{%s}: step %s's answer has nothing at %s (%s)", ref.Expr(), ref.Name, ref.Path, o)
	}
	return v, nil
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// jsonBody turns a YAML value into the JSON body: strings rendered (a
// string that is one reference and nothing else takes the referenced
// value with its JSON type).
func (r *run) jsonBody(path string, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if refs := jsonref.Find(x, validOutcomeName); len(refs) == 1 && refs[0].Start == 0 && refs[0].End == len(x) {
			return r.refValue(refs[0])
		}
		return r.text(path, x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			v, err := r.jsonBody(path+"."+k, e)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, err := r.jsonBody(fmt.Sprintf("%s[%d]", path, i), e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return v, nil
}

// runAPI makes an api step's request and keeps what it answered. An
// error answer is the outcome; only a request that cannot be made is an
// error of the run.
func (r *run) runAPI(ctx context.Context, st *APIStep) error {
	c, err := r.client(st.Token)
	if err != nil {
		return fmt.Errorf("api: %v", err)
	}
	method := firstNonEmpty(st.Method, http.MethodGet)
	path, err := r.text("api.path", st.Path)
	if err != nil {
		return fmt.Errorf("api: %v", err)
	}
	if len(st.Query) > 0 {
		q := url.Values{}
		for k, v := range st.Query {
			text, err := r.text("api.query."+k, v)
			if err != nil {
				return fmt.Errorf("api: %v", err)
			}
			q.Set(k, text)
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + q.Encode()
	}
	headers := map[string]string{}
	for k, v := range st.Headers {
		if headers[k], err = r.text("api.headers."+k, v); err != nil {
			return fmt.Errorf("api: %v", err)
		}
	}
	var body []byte
	contentType := ""
	switch {
	case st.JSON != nil:
		v, err := r.jsonBody("api.json", st.JSON)
		if err != nil {
			return fmt.Errorf("api: %v", err)
		}
		if body, err = json.Marshal(v); err != nil {
			return fmt.Errorf("api: json: %v", err)
		}
		contentType = "application/json"
	case st.Body != nil:
		text, err := r.text("api.body", *st.Body)
		if err != nil {
			return fmt.Errorf("api: %v", err)
		}
		body, contentType = []byte(text), firstNonEmpty(st.ContentType, "text/plain; charset=UTF-8")
	}
	status, _, text, err := c.do(ctx, method, path, body, contentType, headers)
	if err != nil {
		return fmt.Errorf("api: %v", err)
	}
	out := &apiOutcome{kind: "api", name: st.As, method: method, path: path, status: status, body: text, json: decodeJSON(text)}
	r.remember(out)
	return nil
}

// decodeJSON is an answer's JSON, or nil.
func decodeJSON(text string) any {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var v any
	if json.Unmarshal([]byte(text), &v) != nil {
		return nil
	}
	return v
}

// remember records an api or bulk step's outcome for expectations and @{} references.
func (r *run) remember(o *apiOutcome) {
	r.outcomeLog = append(r.outcomeLog, o)
	if o.kind == "api" {
		r.lastAPI = o
	} else {
		r.lastBulk = o
	}
	if o.name != "" {
		r.outcomes[o.name] = o
	}
}

// bulkWait bounds how long a bulk step waits for its job: on a virtual
// clock, how far it moves the clock; on the real clock, how long it polls.
const (
	bulkVirtualBound = time.Hour
	bulkRealBound    = time.Minute
)

// runBulk runs a bulk step's ingest job from start to end.
func (r *run) runBulk(ctx context.Context, st *BulkStep) error {
	c, err := r.client(st.Token)
	if err != nil {
		return fmt.Errorf("bulk: %v", err)
	}
	data, err := r.text("bulk.csv", st.CSV)
	if err != nil {
		return fmt.Errorf("bulk: %v", err)
	}
	if st.LineEnding == "CRLF" {
		data = strings.ReplaceAll(strings.ReplaceAll(data, "\r\n", "\n"), "\n", "\r\n")
	}
	jobs := "/services/data/v" + r.vars.APIVersion + "/jobs/ingest"
	out := &apiOutcome{kind: "bulk", name: st.As, path: st.Operation + " " + st.Object}
	defer r.remember(out)
	spec := map[string]string{"object": st.Object, "operation": st.Operation, "contentType": "CSV"}
	for k, v := range map[string]string{"externalIdFieldName": st.ExternalIDFieldName, "columnDelimiter": st.ColumnDelimiter, "lineEnding": st.LineEnding} {
		if v != "" {
			spec[k] = v
		}
	}
	body, _ := json.Marshal(spec)
	// refused records a request the emulator refused as the outcome.
	refused := func(status int, text string) {
		out.status, out.body = status, text
		var errs []struct{ ErrorCode, Message string }
		if json.Unmarshal([]byte(text), &errs) == nil && len(errs) > 0 {
			out.errorCode, out.errorMessage = errs[0].ErrorCode, errs[0].Message
		}
		out.json = map[string]any{"status": float64(status), "errorCode": out.errorCode, "message": out.errorMessage}
	}
	status, _, text, err := c.do(ctx, http.MethodPost, jobs, body, "application/json", nil)
	if err != nil {
		return fmt.Errorf("bulk: %v", err)
	}
	if status != http.StatusOK {
		refused(status, text)
		return nil
	}
	var job struct{ ID string }
	if err := json.Unmarshal([]byte(text), &job); err != nil || job.ID == "" {
		return fmt.Errorf("bulk: the job was created with an answer that names no job: %.300s", text)
	}
	out.path += " (job " + job.ID + ")"
	jobPath := jobs + "/" + job.ID
	if status, _, text, err = c.do(ctx, http.MethodPut, jobPath+"/batches", []byte(data), "text/csv", nil); err != nil {
		return fmt.Errorf("bulk: %v", err)
	}
	if status != http.StatusCreated {
		refused(status, text)
		return nil
	}
	if status, _, text, err = c.do(ctx, http.MethodPatch, jobPath, []byte(`{"state":"UploadComplete"}`), "application/json", nil); err != nil {
		return fmt.Errorf("bulk: %v", err)
	}
	if status != http.StatusOK {
		refused(status, text)
		return nil
	}
	info, err := r.waitForJob(ctx, c, jobPath)
	if err != nil {
		return fmt.Errorf("bulk: job %s: %v", job.ID, err)
	}
	out.status = http.StatusOK
	out.state, _ = info["state"].(string)
	out.errorMessage, _ = info["errorMessage"].(string)
	n, _ := info["numberRecordsProcessed"].(float64)
	f, _ := info["numberRecordsFailed"].(float64)
	out.processed, out.failed = int(n), int(f)
	delim := bulkDelimiters[firstNonEmpty(st.ColumnDelimiter, "COMMA")]
	for _, res := range []struct {
		name string
		rows *[]map[string]any
	}{{"successfulResults", &out.successful}, {"failedResults", &out.failedRows}, {"unprocessedrecords", &out.unproc}} {
		status, _, text, err := c.do(ctx, http.MethodGet, jobPath+"/"+res.name, nil, "", nil)
		if err != nil {
			return fmt.Errorf("bulk: %v", err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("bulk: GET %s/%s answered %d: %.300s", jobPath, res.name, status, text)
		}
		if *res.rows, err = csvRows(text, delim); err != nil {
			return fmt.Errorf("bulk: %s: %v", res.name, err)
		}
		info[res.name] = rowsJSON(*res.rows)
	}
	out.json = info
	return nil
}

// waitForJob waits for an ingest job to finish and answers its info: on a
// virtual clock it moves the clock as little as needed (the job's delay,
// then doubling), on the real clock it polls.
func (r *run) waitForJob(ctx context.Context, c *apiClient, jobPath string) (map[string]any, error) {
	clk, err := r.ctl.Clock(ctx)
	if err != nil {
		return nil, err
	}
	virtual := clk.Mode == "virtual"
	step, moved := bulk.DefaultDelay, time.Duration(0)
	deadline := time.Now().Add(bulkRealBound)
	for {
		status, _, text, err := c.do(ctx, http.MethodGet, jobPath, nil, "", nil)
		if err != nil {
			return nil, err
		}
		var info map[string]any
		if status != http.StatusOK || json.Unmarshal([]byte(text), &info) != nil {
			return nil, fmt.Errorf("GET %s answered %d: %.300s", jobPath, status, text)
		}
		switch info["state"] {
		case "JobComplete", "Failed", "Aborted":
			return info, nil
		}
		switch {
		case virtual && moved >= bulkVirtualBound:
			return nil, fmt.Errorf("still %v after the clock moved %v", info["state"], moved)
		case virtual:
			if err := r.idle(ctx); err != nil {
				return nil, err
			}
			if _, err := r.ctl.Advance(ctx, wire.Advance{By: wire.Duration(step)}); err != nil {
				return nil, err
			}
			moved += step
			step = min(2*step, time.Minute)
		case time.Now().After(deadline):
			return nil, fmt.Errorf("still %v after %v", info["state"], bulkRealBound)
		default:
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// csvRows reads a results CSV into rows by column name.
func csvRows(text string, delim rune) ([]map[string]any, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	rd := csv.NewReader(strings.NewReader(text))
	rd.Comma, rd.FieldsPerRecord = delim, -1
	all, err := rd.ReadAll()
	if err != nil {
		return nil, err
	}
	header := all[0]
	rows := make([]map[string]any, 0, len(all)-1)
	for _, rec := range all[1:] {
		row := make(map[string]any, len(header))
		for i, h := range header {
			if i < len(rec) {
				row[h] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func rowsJSON(rows []map[string]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

// outcomeOf is the outcome an expectation names: of:, or the latest of
// its kind.
func (r *run) outcomeOf(kind, of string) (*apiOutcome, string, error) {
	o, what := r.lastAPI, "the latest api step"
	if kind == "bulk" {
		o, what = r.lastBulk, "the latest bulk step"
	}
	if of != "" {
		o, what = r.outcomes[of], kind+" step "+of
	}
	if o == nil {
		return nil, what, fmt.Errorf("expect %s: %s did not run in this phase (%s)", kind, what, r.phase)
	}
	return o, what, nil
}

// wanted is an expectation's value with its @{name.path} references
// filled in (as text).
func (r *run) wanted(path string, v any) (any, error) {
	switch x := v.(type) {
	case string:
		return r.text(path, x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			w, err := r.wanted(path+"."+k, e)
			if err != nil {
				return nil, err
			}
			out[k] = w
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			w, err := r.wanted(fmt.Sprintf("%s[%d]", path, i), e)
			if err != nil {
				return nil, err
			}
			out[i] = w
		}
		return out, nil
	}
	return v, nil
}

func (r *run) wantedRows(path string, rows []map[string]any) ([]map[string]any, error) {
	if rows == nil {
		return nil, nil
	}
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		w, err := r.wanted(fmt.Sprintf("%s[%d]", path, i), row)
		if err != nil {
			return nil, err
		}
		out[i] = w.(map[string]any)
	}
	return out, nil
}

// checkAPI compares an api step's outcome with the expectation.
func (r *run) checkAPI(e *APIExpect) (string, error) {
	o, what, err := r.outcomeOf("api", e.Of)
	if err != nil {
		return "", err
	}
	wantJSON, err := r.wanted("expect api.json_include", e.JSONInclude)
	if err != nil {
		return "", err
	}
	var problems []string
	if e.Status != nil && *e.Status != o.status {
		problems = append(problems, fmt.Sprintf("%s: HTTP %d, want %d", what, o.status, *e.Status))
	}
	if e.Body != "" && !textMatches(e.Body, o.body) {
		problems = append(problems, fmt.Sprintf("%s: the answer is %q, want %q", what, brief300(o.body), e.Body))
	}
	if e.JSONInclude != nil {
		if o.json == nil {
			problems = append(problems, fmt.Sprintf("%s: the answer is not JSON: %q", what, brief300(o.body)))
		} else if want := normalize(wantJSON); !includes(want, normalize(o.json)) {
			problems = append(problems, fmt.Sprintf("%s: JSON (-want +got, the answer cut to what is wanted):\n%s", what, cmp.Diff(want, includedView(want, normalize(o.json)))))
		}
	}
	if len(problems) == 0 {
		return "", nil
	}
	return strings.Join(problems, "\n") + "\n" + what + ": " + o.String(), nil
}

// checkBulk compares a bulk step's outcome with the expectation.
func (r *run) checkBulk(e *BulkExpect) (string, error) {
	o, what, err := r.outcomeOf("bulk", e.Of)
	if err != nil {
		return "", err
	}
	failedWant, err := r.wantedRows("expect bulk.failed_include", e.FailedInclude)
	if err != nil {
		return "", err
	}
	successfulWant, err := r.wantedRows("expect bulk.successful_include", e.SuccessfulInclude)
	if err != nil {
		return "", err
	}
	want, got := map[string]any{}, map[string]any{}
	set := func(key string, named bool, w, g any) {
		if named {
			want[key], got[key] = w, g
		}
	}
	set("state", e.State != "", e.State, o.state)
	set("processed", e.Processed != nil, deref(e.Processed), o.processed)
	set("failed", e.Failed != nil, deref(e.Failed), o.failed)
	set("error_message", e.ErrorMessage != "", e.ErrorMessage, o.errorMessage)
	set("status", e.Status != nil, deref(e.Status), o.status)
	set("error_code", e.ErrorCode != "", e.ErrorCode, o.errorCode)
	var problems []string
	if len(want) > 0 {
		problems = appendProblem(problems, matchList(what, []map[string]any{want}, []map[string]any{got}))
	}
	problems = appendProblem(problems, matchIncludeListed(what+": failedResults", failedWant, o.failedRows, rowListing(failedWant)))
	problems = appendProblem(problems, matchIncludeListed(what+": successfulResults", successfulWant, o.successful, rowListing(successfulWant)))
	if len(problems) == 0 {
		return "", nil
	}
	return strings.Join(problems, "\n") + "\n" + what + ": " + o.String(), nil
}

// rowListing lists results rows by their sf__ columns and the columns the
// wanted rows name.
func rowListing(want []map[string]any) func([]map[string]any) string {
	cols := []string{"sf__Id", "sf__Created", "sf__Error"}
	for _, w := range want {
		for _, k := range sortedKeys(w) {
			if !slices.Contains(cols, k) {
				cols = append(cols, k)
			}
		}
	}
	return func(rows []map[string]any) string {
		if len(rows) == 0 {
			return "  (none)"
		}
		lines := make([]string, len(rows))
		for i, row := range rows {
			var parts []string
			for _, c := range cols {
				if v, ok := row[c]; ok {
					parts = append(parts, fmt.Sprintf("%s=%q", c, v))
				}
			}
			lines[i] = fmt.Sprintf("  %d. %s", i+1, strings.Join(parts, " "))
		}
		return strings.Join(lines, "\n")
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// textMatches compares a text with want: a "~" regular expression, or
// equal.
func textMatches(want, got string) bool {
	if pat, ok := strings.CutPrefix(want, "~"); ok {
		re, err := regexp.Compile(pat)
		return err == nil && re.MatchString(got)
	}
	return want == got
}

// includes reports whether got holds want: a mapping's keys each matching,
// a list's items each matching an item of got's list in order (others
// around them), scalars equal (a "~" string is a regular expression).
func includes(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !includes(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok {
			return false
		}
		at := 0
		for _, wv := range w {
			for at < len(g) && !includes(wv, g[at]) {
				at++
			}
			if at == len(g) {
				return false
			}
			at++
		}
		return true
	case string:
		if pat, ok := strings.CutPrefix(w, "~"); ok {
			re, err := regexp.Compile(pat)
			return err == nil && re.MatchString(fmt.Sprint(got))
		}
	}
	return cmp.Equal(want, got)
}

// includedView is got cut to what want names, for a diff: a mapping's
// wanted keys (<missing> where there is none), a list's items matched in
// order (the next unmatched one, or <missing>, where none matches), a
// scalar that matches shown as wanted.
func includedView(want, got any) any {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return got
		}
		out := make(map[string]any, len(w))
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out[k] = "<missing>"
				continue
			}
			out[k] = includedView(wv, gv)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return got
		}
		out := make([]any, 0, len(w))
		at := 0
		for _, wv := range w {
			j := at
			for j < len(g) && !includes(wv, g[j]) {
				j++
			}
			switch {
			case j < len(g):
				out = append(out, includedView(wv, g[j]))
				at = j + 1
			case at < len(g):
				out = append(out, includedView(wv, g[at]))
				at++
			default:
				out = append(out, "<missing>")
			}
		}
		return out
	}
	if includes(want, got) {
		return want
	}
	return got
}

// apiVersion is the API version {{.APIVersion}} names in a phase: the
// newest the phase's release has that the emulator serves (65.0 in legacy,
// 66.0 from removed on, as sfemu serves up to 66.0 by default).
func apiVersion(phase string) string {
	latest := rest.DefaultLatestVersion
	if rel, ok := org.LookupRelease(phase); ok {
		if v, err := strconv.ParseFloat(rel.APIVersion, 64); err == nil && v < latest {
			latest = v
		}
	}
	return strconv.FormatFloat(latest, 'f', 1, 64)
}
