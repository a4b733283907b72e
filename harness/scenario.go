// Package harness runs YAML scenarios against a team's real outbound-message
// receiver: each scenario gets its own in-process emulator on a virtual
// clock, a receiver (a local process, or an already running URL), and a
// list of steps — create records, send outbound messages, move time, inject
// faults — with expectations on deliveries, token requests, Login History,
// the receiver's REST calls and the org's records. A failed expectation
// reports a go-cmp diff and the tail of the receiver's log.
//
// It is used from `go test` (RunTests) and from `sfemu run` (Run), and
// writes JUnit XML for CI. The scenario format is in docs/SCENARIOS.md.
package harness

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sfemu/sfemu/internal/srcpos"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
	"github.com/sfemu/sfemu/internal/safeyaml"
	"github.com/sfemu/sfemu/internal/userfile"
)

// Scenario is one story, loaded from a YAML file.
type Scenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Org         OrgSpec       `yaml:"org"`
	Receiver    *ReceiverSpec `yaml:"receiver"`
	// Phases are the Salesforce releases to run in, each a separate run
	// of the same steps: legacy (before the February 2026 session-ID
	// removal, = winter-26), removed (after, = spring-26), or any release
	// sfemu knows (spring-25 … summer-28, docs/RELEASES.md), whose dated
	// changes — API versions retired, SOAP login() retired — the org then
	// has. Default: legacy and removed.
	Phases []string `yaml:"phases"`
	Steps  []Step   `yaml:"steps"`
	// ExpectFailure marks a scenario that must fail (the catalogue shows a
	// broken receiver being caught); it passes when an expectation fails.
	ExpectFailure bool `yaml:"expect_failure"`
	// Requires names what the receiver must do for the scenario to apply
	// (api:soap, dedupes, stoppable…, docs/RECEIVERS.md); a receiver whose
	// profile does not offer it skips the scenario with the reason.
	Requires []string `yaml:"requires"`
	// Tags select scenarios: sfemu run --tags soap, --skip-tags slow.
	Tags []string `yaml:"tags"`

	// File is where the scenario came from; Group its directory name.
	File  string `yaml:"-"`
	Group string `yaml:"-"`
	lines func(path string) int
	cols  func(path string) int
}

// OrgSpec is the org a scenario runs against: a fixture and changes to it.
type OrgSpec struct {
	// Fixture is an org fixture file, relative to the scenario (or "default"
	// for the embedded default org).
	Fixture string `yaml:"fixture"`
	// Metadata are Salesforce metadata folders (an SFDX project or a
	// retrieved package), relative to the scenario: the org's Setup, under
	// the fixture, which then needs only the users and records
	// (docs/METADATA.md).
	Metadata []string `yaml:"metadata"`
	// Patch is merged into the fixture: mappings merge key by key; lists of
	// named things (users, apps, profiles, permission_sets,
	// outbound_messages, records of an object) merge item by item on
	// name/username, an item with `_delete: true` is removed, other lists
	// are replaced.
	Patch map[string]any `yaml:"patch"`
}

// ReceiverSpec says how to run the receiver under test. Empty fields take
// the run's default receiver (the bundled example receiver, unless
// `sfemu run --receiver` says otherwise).
type ReceiverSpec struct {
	// URL of an already running receiver's endpoint.
	URL string `yaml:"url"`
	// Command starts the receiver as a local process.
	Command []string `yaml:"command"`
	// Env is added to the receiver's environment; values are templates
	// ({{.EmulatorURL}}, {{.OrgID}}, {{.Port}}, … see docs/SCENARIOS.md).
	Env map[string]string `yaml:"env"`
	// Endpoint is the URL outbound messages go to (a template); default
	// http://127.0.0.1:{{.Port}}/outbound.
	Endpoint string `yaml:"endpoint"`
	// EndpointPath is the path outbound messages go to on the receiver
	// (default: the profile's, else /outbound).
	EndpointPath string `yaml:"endpoint_path"`
	// Ready is the path polled until it answers 200, or log:TEXT to wait
	// for a line of its output (default: the profile's, else /healthz).
	Ready string `yaml:"ready"`
	// Port is where a container receiver listens inside its container
	// (default: the profile's, else 8086).
	Port int `yaml:"port"`
	// Container runs the receiver as a container instead of a process.
	Container *ContainerSpec `yaml:"container"`
}

// Step is one thing a scenario does or checks. Exactly one of its action
// fields is set.
type Step struct {
	Create   *CreateStep   `yaml:"create"`
	Update   *UpdateStep   `yaml:"update"`
	Send     *SendStep     `yaml:"send"`
	Advance  string        `yaml:"advance"`
	Faults   *FaultsStep   `yaml:"faults"`
	ClientIP *string       `yaml:"client_ip"`
	Expire   *bool         `yaml:"expire_sessions"`
	Receiver string        `yaml:"receiver"` // stop | start
	OAuth    *OAuthStep    `yaml:"oauth"`    // the harness as an OAuth client of the org
	API      *APIStep      `yaml:"api"`      // the harness as a REST client, with an oauth step's token
	Bulk     *BulkStep     `yaml:"bulk"`     // the harness running a Bulk API 2.0 ingest job
	Expect   *Expectations `yaml:"expect"`
	Only     string        `yaml:"only"` // run this step in one phase only
	Comment  string        `yaml:"comment"`
	line     int
}

// CreateStep creates a record as the org's administrator would (rules fire).
type CreateStep struct {
	Object string         `yaml:"object"`
	Fields map[string]any `yaml:"fields"`
	As     string         `yaml:"as"` // a name to refer to the record as $name
	// Count creates that many records, at most MaxCreateCount; "{{.N}}" in
	// a text value becomes the record's number (1…Count). As then names
	// the last one.
	Count int `yaml:"count"`
}

// MaxCreateCount is the most records one create step makes. Each is a
// control-API call with its rules fired, some 20 µs in process and more
// over HTTP, and a stored record costs about 1.5 KB: 100,000 is the scale
// sfemu is measured at (seconds, 150 MB); a billion would run for hours
// and exhaust memory. More records belong in the fixture.
const MaxCreateCount = 100_000

// UpdateStep changes a record.
type UpdateStep struct {
	Record string         `yaml:"record"` // $name or an id
	Fields map[string]any `yaml:"fields"`
}

// SendStep queues an outbound message for records.
type SendStep struct {
	Message string   `yaml:"message"`
	Records []string `yaml:"records"`
	Where   string   `yaml:"where"`
}

// FaultsStep injects or clears faults.
type FaultsStep struct {
	// Outbound: duplicate, reorder and delay faults of the sender.
	Outbound *OutboundFaults `yaml:"outbound"`
	// REST: errors, latency or session expiry on the REST API.
	REST []RESTFault `yaml:"rest"`
	// SOAP: the same on the SOAP API, by call (operation: query, update…).
	SOAP []RESTFault `yaml:"soap"`
	// OAuth: the same on the token endpoint and the identity URLs.
	OAuth []RESTFault `yaml:"oauth"`
	// Clear removes every fault first.
	Clear bool `yaml:"clear"`
}

// OutboundFaults mirror the control API's outbound faults.
type OutboundFaults struct {
	Seed                 int64   `yaml:"seed"`
	Message              string  `yaml:"message"`
	DuplicateProbability float64 `yaml:"duplicate_probability"`
	DuplicateAfter       string  `yaml:"duplicate_after"`
	ReorderProbability   float64 `yaml:"reorder_probability"`
	ReorderHold          string  `yaml:"reorder_hold"`
	DelayProbability     float64 `yaml:"delay_probability"`
	Delay                string  `yaml:"delay"`
}

// RESTFault mirrors the control API's faults (wire.Fault) of one surface.
type RESTFault struct {
	Method        string `yaml:"method"`
	Path          string `yaml:"path"`
	Operation     string `yaml:"operation"` // SOAP only: the call`
	Status        int    `yaml:"status"`
	ErrorCode     string `yaml:"error_code"`
	Message       string `yaml:"message"`
	Latency       string `yaml:"latency"`
	ExpireSession bool   `yaml:"expire_session"`
	Times         int    `yaml:"times"`
}

// Expectations are checked together; with Eventually they are retried
// until they hold or the bound passes (deliveries are asynchronous).
type Expectations struct {
	Eventually    string           `yaml:"eventually"`
	Deliveries    *DeliveryExpect  `yaml:"deliveries"`
	TokenRequests []map[string]any `yaml:"token_requests"`
	LoginHistory  []map[string]any `yaml:"login_history"`
	RESTCalls     []map[string]any `yaml:"rest_calls"`
	// APICalls are the REST and SOAP calls together, in order; each has a
	// surface (rest or soap) and, for SOAP, an operation (query, create…).
	APICalls []map[string]any `yaml:"api_calls"`
	// The _include forms name calls that must happen in this order, with
	// anything else before, between and after: what any correct receiver
	// does, not one receiver's exact sequence.
	TokenRequestsInclude []map[string]any `yaml:"token_requests_include"`
	LoginHistoryInclude  []map[string]any `yaml:"login_history_include"`
	RESTCallsInclude     []map[string]any `yaml:"rest_calls_include"`
	APICallsInclude      []map[string]any `yaml:"api_calls_include"`
	// APICallsEvery is what every REST and SOAP call matches (there is at
	// least one), e.g. {api_version: "29.0"}.
	APICallsEvery map[string]any `yaml:"api_calls_every"`
	// Effect checks the receiver's business effect on records, as its
	// profile describes it (docs/RECEIVERS.md).
	Effect      *EffectExpect   `yaml:"effect"`
	Records     []RecordsExpect `yaml:"records"`
	ReceiverLog *LogExpect      `yaml:"receiver_log"`
	// OAuth checks what an oauth step saw (where its flow ended, and with
	// what error), beyond the token requests and Login History it made.
	OAuth *OAuthExpect `yaml:"oauth"`
	// API and Bulk check what an api or bulk step saw: the answer's status
	// and JSON, or where the job ended and its results.
	API  *APIExpect  `yaml:"api"`
	Bulk *BulkExpect `yaml:"bulk"`
	// Events are the platform events published in the org, in order
	// (events_include: these among others). Each event's fields are keys
	// beside object, replay_id, published_by and publish_behavior:
	// {object: Call_Ended__e, Call_Id__c: c-1}.
	Events        []map[string]any `yaml:"events"`
	EventsInclude []map[string]any `yaml:"events_include"`
}

// EffectExpect names records ($name) the receiver's effect must, or must
// not, be on.
type EffectExpect struct {
	Applied    []string `yaml:"applied"`
	NotApplied []string `yaml:"not_applied"`
	// AppliedOnce: the effect is on the record once (one created record for
	// a create effect; for other effects, applied).
	AppliedOnce []string `yaml:"applied_once"`
	// AppliedWhere: the effect is on every record of Object matching Where
	// (SOQL), and Count says how many there are.
	AppliedWhere *EffectWhere `yaml:"applied_where"`
}

// EffectWhere selects records by SOQL.
type EffectWhere struct {
	Object string `yaml:"object"`
	Where  string `yaml:"where"`
	Count  *int   `yaml:"count"`
}

// DeliveryExpect checks the outbound queue and its history.
type DeliveryExpect struct {
	// Delivered, Pending and Dropped count notifications by state.
	Delivered *int `yaml:"delivered"`
	Pending   *int `yaml:"pending"`
	Dropped   *int `yaml:"dropped"`
	// Attempts counts delivery attempts (messages sent) in the journal.
	Attempts *int `yaml:"attempts"`
	// AttemptsAtLeast is a lower bound on attempts.
	AttemptsAtLeast *int `yaml:"attempts_at_least"`
	// Failure is a text every failed notification's last Delivery Failure
	// Reason must contain: Salesforce's words (a status, a parser error, a
	// nack), or a test receiver's.
	Failure string `yaml:"failure"`
	// Cause is Salesforce's error the receiver's fault names
	// (invalid_app_access): checked like Failure when the profile says its
	// faults name causes, else not at all.
	Cause string `yaml:"cause"`
	// Messages counts SOAP requests whose notifications number each given
	// size, e.g. [100] for one full batch.
	BatchSizes []int `yaml:"batch_sizes"`
}

// RecordsExpect runs a SOQL query and compares its rows.
type RecordsExpect struct {
	Query string           `yaml:"query"`
	Rows  []map[string]any `yaml:"rows"`
	Count *int             `yaml:"count"`
}

// LogExpect checks the receiver's log.
type LogExpect struct {
	Contains    []string `yaml:"contains"`
	NotContains []string `yaml:"not_contains"`
}

// Phase names.
const (
	PhaseLegacy  = "legacy"
	PhaseRemoved = "removed"
)

// LoadError is a problem in a scenario file, at a line and column when
// known.
type LoadError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *LoadError) Error() string { return srcpos.Format(e.File, e.Line, e.Col, e.Msg) }

// LoadErrors are every problem of one file, in the order of the file.
type LoadErrors []*LoadError

func (es LoadErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es LoadErrors) sorted() LoadErrors {
	sort.SliceStable(es, func(a, b int) bool {
		if es[a].Line != es[b].Line {
			return es[a].Line < es[b].Line
		}
		return es[a].Col < es[b].Col
	})
	return es
}

// LoadFile reads and checks one scenario. Only a regular file is read, of
// at most userfile.MaxYAML bytes.
func LoadFile(path string) (*Scenario, error) {
	data, err := userfile.Read(path, userfile.MaxYAML)
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// Load parses a scenario. Every problem of the file is reported at once,
// each at file:line:col (a LoadErrors): unknown keys, then the first value
// of the wrong type, or else every rule the steps break.
func Load(name string, data []byte) (sc *Scenario, err error) {
	defer func() {
		if p := recover(); p != nil { // the YAML library can panic on malformed input
			sc, err = nil, &LoadError{File: name, Msg: fmt.Sprintf("malformed YAML (%v)", p)}
		}
	}()
	// Within the YAML budget (aliases, merge keys, nesting, size) before
	// anything expands it: the harness walks expectations and patches.
	file, err := safeyaml.Parse(name, data)
	if err != nil {
		return nil, yamlError(name, err)
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, &LoadError{File: name, Msg: "want one YAML document with name, org and steps"}
	}
	var errs LoadErrors
	for _, k := range unknownKeys(file.Docs[0].Body, reflect.TypeOf(Scenario{}), "$") {
		errs = append(errs, &LoadError{File: name, Line: k.line, Col: k.col, Msg: k.message()})
	}
	sc = &Scenario{File: name, Group: filepath.Base(filepath.Dir(name))}
	if err := yaml.NodeToValue(file.Docs[0].Body, sc); err != nil {
		return nil, append(errs, yamlError(name, err).(*LoadError)).sorted()
	}
	sc.lines = func(path string) int { line, _ := fixturedoc.PosOf(file, path); return line }
	sc.cols = func(path string) int { _, col := fixturedoc.PosOf(file, path); return col }
	for i := range sc.Steps {
		sc.Steps[i].line = sc.lines(fmt.Sprintf("$.steps[%d]", i))
	}
	errs = append(errs, sc.validate()...)
	errs = append(errs, sc.checkPatchKeys(file)...)
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return sc, nil
}

func yamlError(name string, err error) error {
	if se := (*safeyaml.Error)(nil); errors.As(err, &se) {
		return &LoadError{File: se.File, Line: se.Line, Col: se.Column, Msg: se.Msg}
	}
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		msg := ye.GetMessage()
		var u *yaml.UnknownFieldError
		if errors.As(err, &u) {
			msg = "unknown key: " + strings.TrimPrefix(msg, "unknown field ")
		}
		pos := ye.GetToken().Position
		return &LoadError{File: name, Line: pos.Line, Col: pos.Column, Msg: msg}
	}
	return &LoadError{File: name, Msg: err.Error()}
}

func lineOf(file *ast.File, path string) int {
	line, _ := fixturedoc.PosOf(file, path)
	return line
}

func (sc *Scenario) errAt(path, format string, args ...any) *LoadError {
	e := &LoadError{File: sc.File, Line: sc.lines(path), Msg: fmt.Sprintf(format, args...)}
	if sc.cols != nil && path != "$" { // the whole file has a line, not a column
		e.Col = sc.cols(path)
	}
	return e
}

// validate lists every rule the scenario breaks.
func (sc *Scenario) validate() LoadErrors {
	var errs LoadErrors
	add := func(e *LoadError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if strings.TrimSpace(sc.Name) == "" {
		add(sc.errAt("$", "name is required"))
	}
	if sc.Org.Fixture == "" && len(sc.Org.Metadata) == 0 {
		add(sc.errAt("$.org", "org.fixture is required (a fixture file relative to this scenario, or \"default\"), or org.metadata"))
	}
	if len(sc.Phases) == 0 {
		sc.Phases = []string{PhaseLegacy, PhaseRemoved}
	}
	for i, p := range sc.Phases {
		if _, ok := org.LookupRelease(p); !ok {
			add(sc.errAt(fmt.Sprintf("$.phases[%d]", i), "phase %q: want legacy (before the February 2026 change), removed (after), or a release: %s", p, strings.Join(org.ReleaseNames()[2:], ", ")))
		}
	}
	if len(sc.Steps) == 0 {
		add(sc.errAt("$", "steps are required"))
	}
	for i, req := range sc.Requires {
		if !slices.Contains(requirementNames, req) {
			add(sc.errAt(fmt.Sprintf("$.requires[%d]", i), "requires %q: want one of %s", req, strings.Join(requirementNames, ", ")))
		}
	}
	for i, tag := range sc.Tags {
		if strings.TrimSpace(tag) == "" || strings.ContainsAny(tag, ", ") {
			add(sc.errAt(fmt.Sprintf("$.tags[%d]", i), "tag %q: want a word without spaces or commas", tag))
		}
	}
	if r := sc.Receiver; r != nil {
		n := 0
		for _, set := range []bool{r.URL != "", len(r.Command) > 0, r.Container != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			add(sc.errAt("$.receiver", "receiver: give one of url, command or container"))
		}
		if c := r.Container; c != nil && c.Image == "" && c.Dockerfile == "" {
			add(sc.errAt("$.receiver.container", "receiver.container needs an image or a dockerfile"))
		}
	}
	names := &loadNames{records: map[string]bool{}, oauth: map[string]string{}, outcomes: map[string]bool{}, outcomeKind: map[string]string{}}
	for i, st := range sc.Steps {
		for _, e := range sc.validateStep(i, st, names) {
			add(e)
		}
	}
	return errs
}

// validateStep lists the rules one step breaks; names are what earlier
// steps named (create … as:, oauth … as:), which it adds to.
func (sc *Scenario) validateStep(i int, st Step, names *loadNames) []*LoadError {
	var errs []*LoadError
	add := func(e *LoadError) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	path := fmt.Sprintf("$.steps[%d]", i)
	n := 0
	for _, set := range []bool{st.Create != nil, st.Update != nil, st.Send != nil, st.Advance != "", st.Faults != nil,
		st.ClientIP != nil, st.Expire != nil, st.Receiver != "", st.OAuth != nil, st.API != nil, st.Bulk != nil, st.Expect != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return []*LoadError{sc.errAt(path, "step %d: want exactly one of create, update, send, advance, faults, client_ip, expire_sessions, receiver, oauth, api, bulk, expect (got %d)", i+1, n)}
	}
	if st.Only != "" && !slices.Contains(sc.Phases, st.Only) {
		add(sc.errAt(path+".only", "only %q is not one of the scenario's phases (%s)", st.Only, strings.Join(sc.Phases, ", ")))
	}
	switch {
	case st.Create != nil:
		if st.Create.Object == "" {
			add(sc.errAt(path+".create", "create needs an object"))
		}
		if c := st.Create.Count; c < 0 || c > MaxCreateCount {
			add(sc.errAt(path+".create.count", "create count %d: want 1 to %d (more records belong in the org fixture's records, loaded at once)", c, MaxCreateCount))
		}
		if st.Create.As != "" {
			names.records[st.Create.As] = true
		}
	case st.Update != nil:
		add(sc.checkRef(path+".update.record", st.Update.Record, names.records))
	case st.Send != nil:
		if st.Send.Message == "" {
			add(sc.errAt(path+".send", "send needs a message"))
		}
		if len(st.Send.Records) == 0 && st.Send.Where == "" {
			add(sc.errAt(path+".send", "send needs records or where"))
		}
		for j, r := range st.Send.Records {
			add(sc.checkRef(fmt.Sprintf("%s.send.records[%d]", path, j), r, names.records))
		}
	case st.Advance != "":
		if d, err := time.ParseDuration(st.Advance); err != nil || d <= 0 {
			add(sc.errAt(path+".advance", "advance %q is not a positive duration such as 30s or 25h", st.Advance))
		}
	case st.Receiver != "":
		if st.Receiver != "stop" && st.Receiver != "start" {
			add(sc.errAt(path+".receiver", "receiver %q: want stop or start", st.Receiver))
		}
	case st.OAuth != nil:
		errs = append(errs, sc.validateOAuth(path, st.OAuth, names)...)
	case st.API != nil:
		errs = append(errs, sc.validateAPI(path, st.API, names)...)
	case st.Bulk != nil:
		errs = append(errs, sc.validateBulk(path, st.Bulk, names)...)
	case st.Expect != nil:
		if st.Expect.OAuth != nil {
			errs = append(errs, sc.validateOAuthExpect(path+".expect.oauth", st.Expect.OAuth, names)...)
		}
		for j, rq := range st.Expect.Records {
			errs = append(errs, sc.checkRefs(fmt.Sprintf("%s.expect.records[%d].query", path, j), rq.Query, names)...)
		}
		if e := st.Expect.API; e != nil {
			add(sc.validateOutcomeExpect(path+".expect.api", "api", e.Of, names.apiSteps, names))
			texts(path+".expect.api.json_include", e.JSONInclude, func(p, s string) { errs = append(errs, sc.checkRefs(p, s, names)...) })
			if e.JSONInclude != nil {
				switch e.JSONInclude.(type) {
				case map[string]any, []any:
				default:
					add(sc.errAt(path+".expect.api.json_include", "expect api: json_include: want a mapping or a list, what the JSON answer holds"))
				}
			}
		}
		if e := st.Expect.Bulk; e != nil {
			add(sc.validateOutcomeExpect(path+".expect.bulk", "bulk", e.Of, names.bulkSteps, names))
			for key, rows := range map[string][]map[string]any{"failed_include": e.FailedInclude, "successful_include": e.SuccessfulInclude} {
				for j, row := range rows {
					texts(fmt.Sprintf("%s.expect.bulk.%s[%d]", path, key, j), row, func(p, s string) { errs = append(errs, sc.checkRefs(p, s, names)...) })
				}
			}
			if e.State != "" && !slices.Contains([]string{"JobComplete", "Failed", "Aborted"}, e.State) {
				add(sc.errAt(path+".expect.bulk.state", "expect bulk: state %q: want JobComplete, Failed or Aborted (where a job ends)", e.State))
			}
		}
		if ef := st.Expect.Effect; ef != nil {
			for _, group := range []struct {
				key  string
				refs []string
			}{{"applied", ef.Applied}, {"not_applied", ef.NotApplied}, {"applied_once", ef.AppliedOnce}} {
				for j, ref := range group.refs {
					at := fmt.Sprintf("%s.expect.effect.%s[%d]", path, group.key, j)
					if !strings.HasPrefix(ref, "$") {
						add(sc.errAt(at, "effect.%s: want $name of a created record, got %q", group.key, ref))
						continue
					}
					add(sc.checkRef(at, ref, names.records))
				}
			}
			if w := ef.AppliedWhere; w != nil && (w.Object == "" || w.Where == "") {
				add(sc.errAt(path+".expect.effect.applied_where", "effect.applied_where needs an object and a where"))
			}
		}
		if e := st.Expect.Eventually; e != "" {
			if d, err := time.ParseDuration(e); err != nil || d <= 0 || d > time.Minute {
				add(sc.errAt(path+".expect.eventually", "eventually %q: want a duration up to 1m, such as 5s", e))
			}
		}
	}
	return errs
}

// checkRef accepts $name of an earlier create, or a literal id.
func (sc *Scenario) checkRef(path, ref string, names map[string]bool) *LoadError {
	if strings.HasPrefix(ref, "$") {
		if !names[ref[1:]] {
			return sc.errAt(path, "%s names no record created by an earlier step (create … as: %s)", ref, ref[1:])
		}
		return nil
	}
	if ref == "" {
		return sc.errAt(path, "a record is required")
	}
	return nil
}

// checkPatchKeys checks org.patch against the fixture format: a key the
// fixture does not have is reported where the patch names it, not later
// in a generated fixture's line numbers.
func (sc *Scenario) checkPatchKeys(file *ast.File) LoadErrors {
	p, err := yaml.PathString("$.org.patch")
	if err != nil {
		return nil
	}
	node, err := p.FilterFile(file)
	if err != nil || node == nil {
		return nil
	}
	var errs LoadErrors
	for _, k := range unknownKeys(node, org.FixtureType(), "$.org.patch") {
		errs = append(errs, &LoadError{File: sc.File, Line: k.line, Col: k.col, Msg: "org.patch: " + k.message() + " (not a key of an org fixture, docs/FIXTURES.md)"})
	}
	return errs
}

// requirements are what the scenario needs of the receiver: its requires:
// list, plus stoppable when a step stops or starts the receiver,
// configurable when it changes the receiver's environment, and
// virtual-clock when it moves time.
func (sc *Scenario) requirements() []string {
	reqs := append([]string(nil), sc.Requires...)
	add := func(r string) {
		if !slices.Contains(reqs, r) {
			reqs = append(reqs, r)
		}
	}
	for _, st := range sc.Steps {
		if st.Receiver != "" {
			add("stoppable")
		}
		if st.Advance != "" {
			add("virtual-clock")
		}
	}
	if sc.Receiver != nil && len(sc.Receiver.Env) > 0 {
		add("configurable")
	}
	return reqs
}
