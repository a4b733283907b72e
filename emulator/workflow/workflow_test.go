package workflow_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/workflow"
)

// now is the virtual time of these tests: Monday 2 March 2026, 10:00 UTC.
var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// acmeYAML is an org whose outbound messages are sent by workflow rules.
const acmeYAML = `
org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
records:
  Account:
    - {_ref: energy, Name: Edge Communications, Industry: Energy}
    - {_ref: apparel, Name: Burlington Textiles, Industry: Apparel}
outbound_messages:
  - name: Energy_Created
    object: Account
    endpoint_url: https://receiver.example/created
    user_to_send_as: sender@acme.example
    rule: {when: created, condition: "Industry = 'Energy'"}
  - name: Energy_Saved
    object: Account
    endpoint_url: https://receiver.example/saved
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited, condition: "Industry = 'Energy'"}
  - name: Energy_Newly
    object: Account
    endpoint_url: https://receiver.example/newly
    user_to_send_as: sender@acme.example
    rule:
      when: created_or_edited_to_meet_criteria
      condition: Industry = 'Energy'
  - name: Energy_Contact
    object: Contact
    endpoint_url: https://receiver.example/contact
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited, condition: "Account.Industry = 'Energy'"}
  - name: Any_Lead
    object: Lead
    endpoint_url: https://receiver.example/lead
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited}
  - name: Any_New_Lead
    object: Lead
    endpoint_url: https://receiver.example/new-lead
    user_to_send_as: sender@acme.example
    rule: {when: created}
  - name: Manual_Only
    object: Account
    endpoint_url: https://receiver.example/manual
    user_to_send_as: sender@acme.example
`

type fixture struct {
	store *org.Store
	org   *org.Org
	user  *org.User
	rules *workflow.Rules
	refs  map[string]org.ID // "@energy", "@apparel": the fixture's Accounts
}

func load(t testing.TB, yaml string) fixture {
	t.Helper()
	store, err := org.NewStore(clock.NewVirtual(now), org.Source{Name: "acme.yaml", Data: []byte(yaml)})
	if err != nil {
		t.Fatal(err)
	}
	o := store.Org("Acme")
	rules, err := workflow.Compile(o)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{store: store, org: o, user: store.User("sender@acme.example"), rules: rules, refs: map[string]org.ID{}}
	o.Data.Scan(o.Schema.Object("Account"), false, func(r *org.Record) bool {
		switch r.GetName("Name") {
		case "Edge Communications":
			f.refs["@energy"] = r.ID
		case "Burlington Textiles":
			f.refs["@apparel"] = r.ID
		}
		return true
	})
	return f
}

// resolve replaces "@ref" values with the fixture's record ids.
func (f fixture) resolve(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "@") {
			v = string(f.refs[s])
		}
		out[k] = v
	}
	return out
}

func names(msgs []*org.OutboundMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}

// save is one save of a row's record: the first inserts it, the rest update it.
type save struct {
	fields map[string]any
	fires  bool
}

func TestFired(t *testing.T) {
	t.Parallel()
	energy := map[string]any{"Name": "Acme Energy", "Industry": "Energy"}
	for _, tt := range []struct {
		name    string
		message string
		object  string
		saves   []save
	}{
		{name: "created fires on insert only", message: "Energy_Created", object: "Account", saves: []save{
			{energy, true},
			{map[string]any{"Name": "Acme Energy Ltd"}, false},
			{map[string]any{"Industry": "Apparel"}, false},
			{map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "created does not fire on an insert that misses the condition", message: "Energy_Created", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme Apparel", "Industry": "Apparel"}, false},
			{map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "created_or_edited fires on every save that meets the condition", message: "Energy_Saved", object: "Account", saves: []save{
			{energy, true},
			{map[string]any{"Name": "Acme Energy Ltd"}, true},
			{map[string]any{"Name": "Acme Energy Ltd"}, true}, // no change: still a save
			{map[string]any{"Industry": "Apparel"}, false},
			{map[string]any{"Name": "Acme Apparel"}, false},
			{map[string]any{"Industry": "Energy"}, true},
		}},
		{name: "created_or_edited fires on an edit that makes a record meet it", message: "Energy_Saved", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme"}, false},
			{map[string]any{"Industry": "Energy"}, true},
		}},
		{name: "to_meet_criteria fires only when a save newly meets it", message: "Energy_Newly", object: "Account", saves: []save{
			{energy, true},
			{map[string]any{"Name": "Acme Energy Ltd"}, false},
			{map[string]any{"Industry": "Apparel"}, false},
			{map[string]any{"Name": "Acme Apparel"}, false},
			{map[string]any{"Industry": "Energy"}, true},
			{map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "to_meet_criteria fires on an edit after an insert that missed it", message: "Energy_Newly", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme"}, false},
			{map[string]any{"Industry": "Energy"}, true},
		}},
		{name: "a condition with a parent field (Account.Industry on Contact) is judged", message: "Energy_Contact", object: "Contact", saves: []save{
			{map[string]any{"LastName": "Gonzalez", "AccountId": "@energy"}, true},
			{map[string]any{"Email": "rose@edge.example"}, true},
			{map[string]any{"AccountId": "@apparel"}, false},
			{map[string]any{"AccountId": nil}, false},
			{map[string]any{"AccountId": "@energy"}, true},
		}},
		{name: "a parent condition misses a contact without an account", message: "Energy_Contact", object: "Contact", saves: []save{
			{map[string]any{"LastName": "Orphan"}, false},
		}},
		{name: "a rule of another object does not fire (Account rule, Contact save)", message: "Energy_Saved", object: "Contact", saves: []save{
			{map[string]any{"LastName": "Gonzalez", "AccountId": "@energy"}, false},
			{map[string]any{"Email": "rose@edge.example"}, false},
		}},
		{name: "a rule of another object does not fire (Account rule, Lead with the same field)", message: "Energy_Saved", object: "Lead", saves: []save{
			{map[string]any{"LastName": "Boxer", "Company": "Farmers Coop", "Industry": "Energy"}, false},
			{map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "no condition always meets", message: "Any_Lead", object: "Lead", saves: []save{
			{map[string]any{"LastName": "Boxer", "Company": "Farmers Coop"}, true},
			{map[string]any{"Industry": "Apparel"}, true},
			{map[string]any{"Industry": "Energy"}, true},
		}},
		{name: "no condition, created: the insert only", message: "Any_New_Lead", object: "Lead", saves: []save{
			{map[string]any{"LastName": "Boxer", "Company": "Farmers Coop"}, true},
			{map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "a message without a rule never fires", message: "Manual_Only", object: "Account", saves: []save{
			{energy, false},
			{map[string]any{"Name": "Acme Energy Ltd"}, false},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkSaves(t, load(t, acmeYAML), tt.message, tt.object, tt.saves)
		})
	}
}

// checkSaves makes a row's saves, the first an insert, and checks after
// each whether message fired.
func checkSaves(t *testing.T, f fixture, message, object string, saves []save) {
	t.Helper()
	if f.org.OutboundMessage(message) == nil {
		t.Fatalf("no message %s", message)
	}
	obj := f.org.Schema.Object(object)
	var before *org.Record
	for i, s := range saves {
		var after *org.Record
		var errs []org.DMLError
		if i == 0 {
			after, errs = f.org.Data.Insert(obj, f.resolve(s.fields), f.user, now, org.DMLOptions{})
		} else {
			after, errs = f.org.Data.Update(before.ID, f.resolve(s.fields), f.user, now)
		}
		if len(errs) > 0 {
			t.Fatalf("save %d %v: %v", i, s.fields, errs)
		}
		fired, err := f.rules.Fired(before, after, f.user, now)
		if err != nil {
			t.Fatalf("save %d: Fired: %v", i, err)
		}
		if got := slices.Contains(names(fired), message); got != s.fires {
			t.Errorf("save %d %v: %s fired %v, want %v (fired: %v)", i, s.fields, message, got, s.fires, names(fired))
		}
		before = after
	}
}

// rulesYAML has messages sent by named workflow rules and flows, active
// and not.
const rulesYAML = `
org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
outbound_messages:
  - name: Paused
    object: Account
    endpoint_url: https://receiver.example/paused
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited, active: false}
  - name: Explicitly_Active
    object: Account
    endpoint_url: https://receiver.example/active
    user_to_send_as: sender@acme.example
    rule: {when: created, condition: "Industry = 'Energy'", active: true}
  - name: Rule_Or_Flow
    object: Account
    endpoint_url: https://receiver.example/either
    user_to_send_as: sender@acme.example
    rules:
      - {name: Energy_Flow, kind: flow, when: created, condition: "Industry = 'Energy'"}
      - {name: Apparel_Rule, kind: workflow_rule, when: created_or_edited_to_meet_criteria, condition: "Industry = 'Apparel'"}
  - name: Only_Inactive_Flow
    object: Account
    endpoint_url: https://receiver.example/old-flow
    user_to_send_as: sender@acme.example
    rules:
      - {name: Old_Flow, kind: flow, active: false}
      - {name: Banking_Rule, condition: "Industry = 'Banking'"}
  - name: Lead_To_Billing
    object: Lead
    endpoint_url: https://receiver.example/billing
    user_to_send_as: sender@acme.example
    rules: [{name: New_Lead, when: created}]
  - name: Lead_To_Support
    object: Lead
    endpoint_url: https://receiver.example/support
    user_to_send_as: sender@acme.example
    rules: [{name: New_Lead, when: created}]
`

func TestFiredActiveRulesAndFlows(t *testing.T) {
	t.Parallel()
	lead := map[string]any{"LastName": "Boxer", "Company": "Farmers Coop"}
	for _, tt := range []struct {
		name    string
		message string
		object  string
		saves   []save
	}{
		{name: "an inactive rule fires nothing", message: "Paused", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme"}, false},
			{map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "active: true is the default's behaviour", message: "Explicitly_Active", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme", "Industry": "Energy"}, true},
		}},
		{name: "a message fired by a flow: the flow's criteria", message: "Rule_Or_Flow", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme", "Industry": "Energy"}, true},
			{map[string]any{"Name": "Acme Energy"}, false},
		}},
		{name: "the same message fired by its workflow rule: the rule's criteria", message: "Rule_Or_Flow", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme"}, false},
			{map[string]any{"Industry": "Apparel"}, true},
			{map[string]any{"Name": "Acme Apparel"}, false},
		}},
		{name: "an inactive flow beside an active rule: only the rule fires", message: "Only_Inactive_Flow", object: "Account", saves: []save{
			{map[string]any{"Name": "Acme"}, false},
			{map[string]any{"Industry": "Banking"}, true},
		}},
		{name: "one rule sending two messages fires the first", message: "Lead_To_Billing", object: "Lead", saves: []save{
			{lead, true}, {map[string]any{"Industry": "Energy"}, false},
		}},
		{name: "one rule sending two messages fires the second", message: "Lead_To_Support", object: "Lead", saves: []save{
			{lead, true}, {map[string]any{"Industry": "Energy"}, false},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkSaves(t, load(t, rulesYAML), tt.message, tt.object, tt.saves)
		})
	}
}

func TestFiredSendsAMessageOncePerSave(t *testing.T) {
	t.Parallel()
	const yaml = `org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
outbound_messages:
  - name: Twice_Triggered
    object: Account
    endpoint_url: https://receiver.example/twice
    user_to_send_as: sender@acme.example
    rules:
      - {name: Any_Save, when: created_or_edited}
      - {name: Any_Save_Flow, kind: flow, when: created_or_edited}
`
	f := load(t, yaml)
	acct, errs := f.org.Data.Insert(f.org.Schema.Object("Account"), map[string]any{"Name": "Acme"}, f.user, now, org.DMLOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fired, err := f.rules.Fired(nil, acct, f.user, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(fired); !slices.Equal(got, []string{"Twice_Triggered"}) {
		t.Errorf("a save both rules fire sent %v, want the message once", got)
	}
}

func TestFiredListsEveryRuleASaveFires(t *testing.T) {
	t.Parallel()
	f := load(t, acmeYAML)
	acct, errs := f.org.Data.Insert(f.org.Schema.Object("Account"), map[string]any{"Name": "Acme", "Industry": "Energy"}, f.user, now, org.DMLOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fired, err := f.rules.Fired(nil, acct, f.user, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(fired), []string{"Energy_Created", "Energy_Newly", "Energy_Saved"}; !slices.Equal(got, want) {
		t.Errorf("an Energy insert fired %v, want %v", got, want)
	}
}

func TestFiredJudgesTheSavedRecordNotItsStoredVersion(t *testing.T) {
	t.Parallel()
	f := load(t, acmeYAML)
	acct, errs := f.org.Data.Insert(f.org.Schema.Object("Account"), map[string]any{"Name": "Acme", "Industry": "Apparel"}, f.user, now, org.DMLOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	energy, errs := f.org.Data.Update(acct.ID, map[string]any{"Industry": "Energy"}, f.user, now)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The stored version now meets the condition; the earlier one did not.
	fired, err := f.rules.Fired(energy, acct, f.user, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(fired); len(got) != 0 {
		t.Errorf("judging the Apparel version fired %v", got)
	}
}

func TestCompileConditionErrors(t *testing.T) {
	t.Parallel()
	const head = `org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
outbound_messages:
  - name: Fine
    object: Account
    endpoint_url: https://receiver.example/fine
    user_to_send_as: sender@acme.example
    rule: {when: created, condition: "Industry = 'Energy'"}
  - name: Broken
    object: Account
    endpoint_url: https://receiver.example/broken
    user_to_send_as: sender@acme.example
`
	const line = 14 // the line after head
	for _, tt := range []struct {
		name      string
		rule      string // the Broken message's rule, at line 14 (and on)
		condition string
		line      int
		code      string
	}{
		{name: "a field the object lacks, flow style", rule: `    rule: {when: created, condition: "Nope__c = 1"}`,
			condition: "Nope__c = 1", line: line, code: "INVALID_FIELD"},
		{name: "a field the object lacks, block style", rule: "    rule:\n      when: created_or_edited\n      condition: Nope__c = 1",
			condition: "Nope__c = 1", line: line + 2, code: "INVALID_FIELD"},
		{name: "a parent field the parent lacks", rule: `    rule: {when: created, condition: "Owner.Nope__c = 'x'"}`,
			condition: "Owner.Nope__c = 'x'", line: line, code: "INVALID_FIELD"},
		{name: "a condition that does not parse, flow style", rule: `    rule: {when: created, condition: "Industry = "}`,
			condition: "Industry =", line: line, code: "MALFORMED_QUERY"},
		{name: "a condition that does not parse, block style", rule: "    rule:\n      when: created\n      condition: \"Industry = \"",
			condition: "Industry =", line: line + 2, code: "MALFORMED_QUERY"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			yaml := head + tt.rule + "\n"
			if got := strings.Count(head, "\n") + 1; got != line {
				t.Fatalf("the rule starts at line %d, not %d", got, line)
			}
			store, err := org.NewStore(clock.NewVirtual(now), org.Source{Name: "acme.yaml", Data: []byte(yaml)})
			if err != nil {
				t.Fatalf("the fixture loads without compiling rules: %v", err)
			}
			rules, err := workflow.Compile(store.Org("Acme"))
			var fe *org.FixtureError
			if !errors.As(err, &fe) {
				t.Fatalf("Compile = %v, %v; want an *org.FixtureError", rules, err)
			}
			// The column is where the condition's value starts on its line.
			lines := strings.Split(yaml, "\n")
			text := lines[tt.line-1]
			col := strings.Index(text, "condition:") + len("condition:") + 1
			for col <= len(text) && text[col-1] == ' ' {
				col++
			}
			msg := err.Error()
			prefix := fmt.Sprintf("acme.yaml:%d:", tt.line)
			if !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q, want it to start with %q", msg, prefix)
			}
			if fe.File != "acme.yaml" || fe.Line != tt.line || fe.Column != col {
				t.Errorf("error at %s:%d:%d, want acme.yaml:%d:%d (%q)", fe.File, fe.Line, fe.Column, tt.line, col, text)
			}
			for _, want := range []string{`outbound message "Broken"`, fmt.Sprintf("rule.condition %q", tt.condition), tt.code + ": "} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %s", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q runs over lines (the wrapped SELECT's caret window)", msg)
			}
		})
	}
}

// BenchmarkFired100k judges one update of an Account in an org of 100,000
// Accounts: the condition runs over the saved record alone, so a save
// costs the same whatever the table's size.
func BenchmarkFired100k(b *testing.B) {
	const yaml = `org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
outbound_messages:
  - name: Big_Energy
    object: Account
    endpoint_url: https://receiver.example/big
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited_to_meet_criteria, condition: "Industry = 'Energy' AND AnnualRevenue > 1000000"}
`
	f := load(b, yaml)
	obj := f.org.Schema.Object("Account")
	var last *org.Record
	for i := range 100_000 {
		r, errs := f.org.Data.Insert(obj, map[string]any{"Name": fmt.Sprintf("Account %d", i), "Industry": "Energy", "AnnualRevenue": float64(i)}, f.user, now, org.DMLOptions{})
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		last = r
	}
	if n := f.org.Data.Count(obj); n != 100_000 {
		b.Fatalf("%d Accounts", n)
	}
	after, errs := f.org.Data.Update(last.ID, map[string]any{"AnnualRevenue": 5e6}, f.user, now)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	fired, err := f.rules.Fired(last, after, f.user, now)
	if err != nil || len(fired) != 1 {
		b.Fatalf("Fired = %v, %v; want Big_Energy", names(fired), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := f.rules.Fired(last, after, f.user, now); err != nil {
			b.Fatal(err)
		}
	}
	perSave := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(time.Second)/float64(perSave), "saves/s")
	if perSave > time.Millisecond {
		b.Errorf("judging one save took %s: it scans the table", perSave)
	}
}

func TestCompileNamedRuleConditionErrors(t *testing.T) {
	t.Parallel()
	const yaml = `org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
outbound_messages:
  - name: Broken
    object: Account
    endpoint_url: https://receiver.example/broken
    user_to_send_as: sender@acme.example
    rules:
      - {name: Fine, condition: "Industry = 'Energy'"}
      - {name: Old_Flow, kind: flow, active: false, condition: "Nope__c = 1"}
`
	store, err := org.NewStore(clock.NewVirtual(now), org.Source{Name: "acme.yaml", Data: []byte(yaml)})
	if err != nil {
		t.Fatal(err)
	}
	// An inactive flow's condition is checked too: Salesforce checks it when
	// the flow is saved, active or not.
	_, err = workflow.Compile(store.Org("Acme"))
	want := `acme.yaml:11:64: outbound message "Broken": flow "Old_Flow" condition "Nope__c = 1": INVALID_FIELD: `
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Compile = %v, want an error starting %q", err, want)
	}
}

// quietYAML is the setup the SOAP API Developer Guide's Outbound Messaging
// chapter recommends ("Setting Up User Profiles"): the send user's profile has "Disable
// Outbound Messages", so the listener's write-back as that user fires nothing.
const quietYAML = `org: {name: Acme}
profiles:
  - {name: Integration, disable_outbound_messages: true}
permission_sets:
  - {name: Quiet_Writes, user_permissions: [DisableNotifications]}
users:
  - {username: sender@acme.example, profile: Integration}
  - {username: admin@acme.example, profile: System Administrator}
  - {username: importer@acme.example, profile: Standard User, permission_sets: [Quiet_Writes]}
outbound_messages:
  - name: By_Rule
    object: Account
    endpoint_url: https://receiver.example/rule
    user_to_send_as: sender@acme.example
    rule: {when: created_or_edited}
  - name: By_Flow
    object: Account
    endpoint_url: https://receiver.example/flow
    user_to_send_as: sender@acme.example
    rules: [{name: Account_Flow, kind: flow, when: created_or_edited}]
`

func TestDisableOutboundMessages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		saver string // "" : the system
		fires []string
	}{
		{"a save by a user whose profile disables outbound messages fires neither rule nor flow", "sender@acme.example", nil},
		{"a permission set granting DisableNotifications does the same", "importer@acme.example", nil},
		{"a save by any other user fires both", "admin@acme.example", []string{"By_Flow", "By_Rule"}},
		{"a save by the system fires both", "", []string{"By_Flow", "By_Rule"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := load(t, quietYAML)
			var by *org.User
			if tt.saver != "" {
				by = f.store.User(tt.saver)
			}
			acct, errs := f.org.Data.Insert(f.org.Schema.Object("Account"), map[string]any{"Name": "Acme"}, by, now, org.DMLOptions{})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			for _, save := range []struct{ before, after *org.Record }{{nil, acct}, {acct, acct}} {
				fired, err := f.rules.Fired(save.before, save.after, by, now)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(fired); !slices.Equal(got, tt.fires) {
					t.Errorf("fired %v, want %v", got, tt.fires)
				}
			}
		})
	}
}

// assignYAML routes new Leads: Japanese ones to Tokyo, big ones to the
// enterprise desk, the rest to the queue user.
const assignYAML = `org: {name: Acme}
users:
  - {username: sender@acme.example, profile: Standard User}
  - {username: tokyo@acme.example, profile: Standard User}
  - {username: enterprise@acme.example, profile: Standard User}
  - {username: queue@acme.example, profile: Standard User}
lead_assignment_rules:
  - name: Standard
    entries:
      - {criteria: "Country = 'Japan'", assign_to: tokyo@acme.example}
      - {criteria: "NumberOfEmployees > 1000 OR AnnualRevenue > 50000000", assign_to: enterprise@acme.example}
      - {criteria: "LeadSource = 'Web' AND CreatedDate = TODAY", assign_to: queue@acme.example}
  - name: Catch_All
    active: false
    entries:
      - {assign_to: queue@acme.example}
`

func TestAssignOwner(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		rule   string
		fields map[string]any
		owner  string // "": no entry matched
	}{
		{"the first entry that matches wins", "Standard", map[string]any{"Country": "Japan", "NumberOfEmployees": 5000.0}, "tokyo@acme.example"},
		{"entries are tried in order", "Standard", map[string]any{"Country": "France", "NumberOfEmployees": 5000.0}, "enterprise@acme.example"},
		{"criteria with OR", "Standard", map[string]any{"AnnualRevenue": 9e7}, "enterprise@acme.example"},
		{"criteria with a date literal judged at now", "Standard", map[string]any{"LeadSource": "Web"}, "queue@acme.example"},
		{"no entry matches: no owner", "Standard", map[string]any{"LeadSource": "Phone Inquiry"}, ""},
		{"an entry without criteria matches every Lead", "Catch_All", map[string]any{"Country": "Japan"}, "queue@acme.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := load(t, assignYAML)
			fields := map[string]any{"LastName": "Boxer", "Company": "Farmers Coop"}
			for k, v := range tt.fields {
				fields[k] = v
			}
			lead, errs := f.org.Data.Insert(f.org.Schema.Object("Lead"), fields, f.user, now, org.DMLOptions{})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			var rule *org.LeadAssignmentRule
			for _, r := range f.org.LeadAssignmentRules {
				if r.Name == tt.rule {
					rule = r
				}
			}
			owner, err := f.rules.AssignOwner(lead, rule, now)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if owner != nil {
				got = owner.Username
			}
			if got != tt.owner {
				t.Errorf("owner %q, want %q", got, tt.owner)
			}
		})
	}
}

func TestAssignmentCriteriaErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, criteria, want string }{
		{"a field Lead lacks", `Nope__c = 'x'`, `acme.yaml:7:20: lead assignment rule "R": entries[0].criteria "Nope__c = 'x'": INVALID_FIELD: No such column 'Nope__c' on entity 'Lead'.`},
		{"criteria that do not parse, with Row:Column", `Country = 'Japan' AND`, `entries[0].criteria "Country = 'Japan' AND": MALFORMED_QUERY: unexpected token: '<EOF>' (at Row:1:Column:21 of the condition)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			yaml := "org: {name: Acme}\nusers:\n  - {username: tokyo@acme.example, profile: Standard User}\nlead_assignment_rules:\n  - name: R\n    entries:\n      - {criteria: \"" + tt.criteria + "\", assign_to: tokyo@acme.example}\n"
			store, err := org.NewStore(clock.NewVirtual(now), org.Source{Name: "acme.yaml", Data: []byte(yaml)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = workflow.Compile(store.Org("Acme"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Compile = %v\nwant %s", err, tt.want)
			}
		})
	}
}
