package metadata

import (
	"fmt"
	"strings"

	"github.com/sfemu/sfemu/emulator/org/fixturedoc"
)

// trigger is a workflow rule or record-triggered flow that sends outbound
// messages, attached to those messages once every file is read.
type trigger struct {
	kind, name, object string
	when, condition    string
	active             bool
	at                 fixturedoc.Place
	actions            []action
	f                  *file
}

type action struct {
	name string // the outbound message's name
	e    *element
}

// readWorkflow reads a Workflow file (workflows/Account.workflow-meta.xml):
// its outbound messages, and its rules that send them.
func (rd *reader) readWorkflow(f *file) error {
	object := f.name
	r := f.root
	for _, om := range r.all("outboundMessages") {
		if err := rd.outboundMessage(f, object, om); err != nil {
			return err
		}
	}
	for _, rule := range r.all("rules") {
		if err := rd.workflowRule(f, object, rule); err != nil {
			return err
		}
	}
	for _, c := range r.Children {
		switch c.Name {
		case "outboundMessages", "rules":
		default:
			rd.ignore(f.at(c), fmt.Sprintf("Workflow <%s> actions are not modelled", c.Name))
		}
	}
	return nil
}

func (rd *reader) outboundMessage(f *file, object string, e *element) error {
	name := e.text("fullName")
	if name == "" {
		return f.errAt(e, "<outboundMessages> needs <fullName>")
	}
	m := rd.outbound.get(name, f.at(e))
	m.set("object", object, f.at(f.root))
	if c := e.child("endpointUrl"); c != nil {
		m.set("endpoint_url", c.Text, f.at(c))
	}
	if c := e.child("integrationUser"); c != nil {
		m.set("user_to_send_as", c.Text, f.at(c))
	}
	if err := setBool(f, m, "include_session_id", e.child("includeSessionId")); err != nil {
		return err
	}
	if c := e.child("apiVersion"); c != nil && c.Text != "" {
		m.set("api_version", c.Text, f.at(c))
	}
	for _, c := range e.all("fields") {
		m.add("fields", c.Text, f.at(c))
	}
	rd.unused(f, e, usedWith("endpointUrl", "integrationUser", "includeSessionId", "apiVersion", "fields",
		"name", "protected")...)
	return nil
}

// Workflow trigger types (WorkflowRule.triggerType) as the fixture's when.
var workflowWhen = map[string]string{
	"onCreateOnly":               "created",
	"onAllChanges":               "created_or_edited",
	"onCreateOrTriggeringUpdate": "created_or_edited_to_meet_criteria",
}

func (rd *reader) workflowRule(f *file, object string, e *element) error {
	name := e.text("fullName")
	if name == "" {
		return f.errAt(e, "<rules> needs <fullName>")
	}
	t := trigger{kind: "workflow_rule", name: name, object: object, at: f.at(e), f: f, active: true}
	if c := e.child("active"); c != nil {
		v, err := boolean(f, c)
		if err != nil {
			return err
		}
		t.active = v
	}
	tt := e.child("triggerType")
	if tt == nil {
		return f.errAt(e, "rule %q needs <triggerType>", name)
	}
	var ok bool
	if t.when, ok = workflowWhen[tt.Text]; !ok {
		return f.errAt(tt, "rule %q: triggerType %q: want onCreateOnly, onAllChanges or onCreateOrTriggeringUpdate", name, tt.Text)
	}
	for _, a := range e.all("actions") {
		if a.text("type") != "OutboundMessage" {
			rd.ignore(f.at(a), fmt.Sprintf("workflow actions of type %s are not modelled", a.text("type")))
			continue
		}
		t.actions = append(t.actions, action{name: a.text("name"), e: a})
	}
	if len(e.all("workflowTimeTriggers")) > 0 {
		rd.ignore(f.at(e.child("workflowTimeTriggers")), "time-dependent workflow actions are not modelled")
	}
	cond, problem := rd.ruleCondition(f, object, e)
	if problem != "" {
		rd.ignore(f.at(e), problem+"; the rule is loaded inactive")
		t.active = false
	}
	t.condition = cond
	if len(t.actions) > 0 {
		rd.triggers = append(rd.triggers, t)
	}
	rd.unused(f, e, usedWith("active", "triggerType", "actions", "workflowTimeTriggers", "criteriaItems",
		"booleanFilter", "formula")...)
	return nil
}

// ruleCondition is a workflow rule's criteria as a SOQL WHERE condition:
// its criteria items (joined by AND, or by its booleanFilter) or its
// formula. problem says why a rule's criteria cannot be read.
func (rd *reader) ruleCondition(f *file, object string, e *element) (cond, problem string) {
	if fe := e.child("formula"); fe != nil && fe.Text != "" {
		c, err := formulaToSOQL(fe.Text)
		if err != nil {
			return "", fmt.Sprintf("%s:%d: rule formula %v", f.path, fe.Line, err)
		}
		return c, ""
	}
	var parts []string
	for _, ci := range e.all("criteriaItems") {
		c, err := rd.criterion(object, ci.text("field"), ci.text("operation"), ci.text("value"))
		if err != nil {
			return "", fmt.Sprintf("%s:%d: %v", f.path, ci.Line, err)
		}
		parts = append(parts, c)
	}
	c, err := combine(parts, e.text("booleanFilter"))
	if err != nil {
		return "", fmt.Sprintf("%s: booleanFilter %v", f.path, err)
	}
	return c, ""
}

// criterion is one workflow criteria item in SOQL. Field is Object.Field;
// a value lists alternatives separated by commas ("equals Hot,Warm": either).
func (rd *reader) criterion(object, field, op, value string) (string, error) {
	fname := field
	if o, rest, ok := strings.Cut(field, "."); ok && strings.EqualFold(o, object) {
		fname = rest
	}
	if fname == "" {
		return "", fmt.Errorf("a criteria item needs <field>")
	}
	typ := rd.fieldType(object, fname)
	var values []string
	if strings.TrimSpace(value) != "" {
		values = splitList(value)
	}
	switch op {
	case "equals", "notEqual":
		eq, join := "=", " OR "
		if op == "notEqual" {
			eq, join = "!=", " AND "
		}
		if len(values) == 0 {
			return fname + " " + eq + " null", nil
		}
		var out []string
		for _, v := range values {
			lit, err := literal(typ, v)
			if err != nil {
				return "", err
			}
			out = append(out, fname+" "+eq+" "+lit)
		}
		return group(out, join), nil
	case "lessThan", "greaterThan", "lessOrEqual", "greaterOrEqual":
		sym := map[string]string{"lessThan": "<", "greaterThan": ">", "lessOrEqual": "<=", "greaterOrEqual": ">="}[op]
		if len(values) != 1 {
			return "", fmt.Errorf("operation %s needs one value", op)
		}
		lit, err := literal(typ, values[0])
		if err != nil {
			return "", err
		}
		return fname + " " + sym + " " + lit, nil
	case "contains", "notContain", "startsWith":
		var out []string
		for _, v := range values {
			pat := "%" + v + "%"
			if op == "startsWith" {
				pat = v + "%"
			}
			c := fname + " LIKE " + quote(pat)
			if op == "notContain" {
				c = "(NOT " + c + ")"
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			return "", fmt.Errorf("operation %s needs a value", op)
		}
		if op == "notContain" {
			return group(out, " AND "), nil
		}
		return group(out, " OR "), nil
	case "includes", "excludes":
		var q []string
		for _, v := range values {
			q = append(q, quote(v))
		}
		return fmt.Sprintf("%s %s (%s)", fname, strings.ToUpper(op), strings.Join(q, ", ")), nil
	}
	return "", fmt.Errorf("criteria operation %q is not one sfemu reads (equals, notEqual, lessThan, greaterThan, lessOrEqual, greaterOrEqual, contains, notContain, startsWith, includes, excludes)", op)
}

func group(parts []string, join string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, join) + ")"
}

// combine joins conditions by AND, or by a filter logic such as
// "1 AND (2 OR 3)" whose numbers are the conditions in order.
func combine(parts []string, logic string) (string, error) {
	logic = strings.TrimSpace(logic)
	switch strings.ToLower(logic) {
	case "", "and":
		return strings.Join(parts, " AND "), nil
	case "or":
		return strings.Join(parts, " OR "), nil
	}
	var b strings.Builder
	for i := 0; i < len(logic); {
		c := logic[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			for j < len(logic) && logic[j] >= '0' && logic[j] <= '9' {
				j++
			}
			n := 0
			fmt.Sscanf(logic[i:j], "%d", &n)
			if n < 1 || n > len(parts) {
				return "", fmt.Errorf("%q names condition %d of %d", logic, n, len(parts))
			}
			b.WriteString("(" + parts[n-1] + ")")
			i = j
		case c == '(' || c == ')' || c == ' ':
			b.WriteByte(c)
			i++
		default:
			j := i
			for j < len(logic) && logic[j] != ' ' && logic[j] != '(' && logic[j] != ')' {
				j++
			}
			w := strings.ToUpper(logic[i:j])
			if w != "AND" && w != "OR" && w != "NOT" {
				return "", fmt.Errorf("%q: %q is not AND, OR, NOT or a condition number", logic, logic[i:j])
			}
			b.WriteString(w)
			i = j
		}
	}
	return b.String(), nil
}

// fieldType is how a criteria value for a field is written: "string"
// (quoted), "number", "boolean", "date" or "datetime".
func (rd *reader) fieldType(object, field string) string {
	if obj := rd.objects[object]; obj != nil {
		if fs, ok := obj.vals["fields"]; ok {
			if fm, ok := fs.val.(*mapping).vals[field]; ok {
				if t, ok := fm.val.(*mapping).vals["type"]; ok {
					return valueKind(fmt.Sprint(t.val))
				}
			}
		}
	}
	if t, ok := standardType(object, field); ok {
		return t
	}
	return "string"
}

func valueKind(t string) string {
	switch t {
	case "number", "currency", "percent", "double", "int":
		return "number"
	case "checkbox", "boolean":
		return "boolean"
	case "date":
		return "date"
	case "datetime":
		return "datetime"
	}
	return "string"
}

// literal writes a criteria value as a SOQL literal of the field's kind.
func literal(kind, v string) (string, error) {
	switch kind {
	case "number":
		for _, r := range v {
			if (r < '0' || r > '9') && r != '.' && r != '-' {
				return "", fmt.Errorf("value %q is not a number", v)
			}
		}
		return v, nil
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "false":
			return strings.ToLower(v), nil
		}
		return "", fmt.Errorf("value %q is not True or False", v)
	case "date", "datetime":
		var m, d, y int
		if n, _ := fmt.Sscanf(v, "%d/%d/%d", &m, &d, &y); n == 3 {
			if kind == "date" {
				return fmt.Sprintf("%04d-%02d-%02d", y, m, d), nil
			}
			return fmt.Sprintf("%04d-%02d-%02dT00:00:00Z", y, m, d), nil
		}
		return v, nil
	}
	return quote(v), nil
}

func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// readFlow reads a record-triggered flow whose actions include outbound
// messages. Decisions between its start and its actions are not
// evaluated: every outbound message action is taken to run when the start
// conditions hold (listed as ignored when the flow has any).
func (rd *reader) readFlow(f *file) error {
	r := f.root
	var acts []action
	for _, ac := range r.all("actionCalls") {
		if ac.text("actionType") != "outboundMessage" {
			continue
		}
		name := ac.text("actionName")
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:] // Account.Send_Order: the message Send_Order
		}
		acts = append(acts, action{name: name, e: ac})
	}
	if len(acts) == 0 {
		rd.ignore(f.at(r), "flows without outbound message actions are not modelled")
		return nil
	}
	start := r.child("start")
	if start == nil || start.text("object") == "" {
		rd.ignore(f.at(r), "outbound message actions in flows that are not record-triggered are not modelled")
		return nil
	}
	t := trigger{kind: "flow", name: f.name, object: start.text("object"), at: f.at(r), f: f, actions: acts}
	t.active = r.text("status") == "Active"
	changed := false
	if c := start.child("doesRequireRecordChangedToMeetCriteria"); c != nil {
		v, err := boolean(f, c)
		if err != nil {
			return err
		}
		changed = v
	}
	switch rt := start.text("recordTriggerType"); rt {
	case "Create":
		t.when = "created"
	case "CreateAndUpdate", "Update":
		t.when = "created_or_edited"
		if changed {
			t.when = "created_or_edited_to_meet_criteria"
		}
		if rt == "Update" {
			rd.ignore(f.at(start), "recordTriggerType Update: sfemu's rules also fire on create")
		}
	default:
		rd.ignore(f.at(start), fmt.Sprintf("recordTriggerType %q is not modelled; the flow is loaded inactive", rt))
		t.active = false
		t.when = "created_or_edited"
	}
	if start.text("triggerType") == "RecordBeforeSave" {
		return f.errAt(start, "flow %q: a before-save flow cannot send outbound messages", f.name)
	}
	if len(r.all("decisions")) > 0 {
		rd.ignore(f.at(r.child("decisions")), "flow decisions are not evaluated: outbound message actions run whenever the start conditions hold")
	}
	cond, problem := rd.flowCondition(f, t.object, start)
	if problem != "" {
		rd.ignore(f.at(start), problem+"; the flow is loaded inactive")
		t.active = false
	}
	t.condition = cond
	rd.triggers = append(rd.triggers, t)
	return nil
}

// Flow filter operators, as workflow criteria operations.
var flowOps = map[string]string{
	"EqualTo": "equals", "NotEqualTo": "notEqual", "GreaterThan": "greaterThan", "LessThan": "lessThan",
	"GreaterThanOrEqualTo": "greaterOrEqual", "LessThanOrEqualTo": "lessOrEqual",
	"StartsWith": "startsWith", "Contains": "contains",
}

func (rd *reader) flowCondition(f *file, object string, start *element) (cond, problem string) {
	if fe := start.child("filterFormula"); fe != nil && fe.Text != "" {
		c, err := formulaToSOQL(fe.Text)
		if err != nil {
			return "", fmt.Sprintf("%s:%d: filterFormula %v", f.path, fe.Line, err)
		}
		return c, ""
	}
	var parts []string
	for _, fl := range start.all("filters") {
		field, op := fl.text("field"), fl.text("operator")
		val := ""
		if v := fl.child("value"); v != nil && len(v.Children) > 0 {
			val = v.Children[0].Text
		}
		var c string
		var err error
		switch op {
		case "IsNull":
			c = field + " = null"
			if strings.EqualFold(val, "false") {
				c = field + " != null"
			}
		case "EndsWith":
			c = field + " LIKE " + quote("%"+val)
		default:
			wop, ok := flowOps[op]
			if !ok {
				return "", fmt.Sprintf("%s:%d: flow filter operator %s is not modelled", f.path, fl.Line, op)
			}
			if (wop == "equals" || wop == "notEqual") && val != "" {
				// A flow filter compares with one value; commas are
				// part of it, unlike a workflow criteria item's list.
				var lit string
				if lit, err = literal(rd.fieldType(object, field), val); err == nil {
					c = field + map[string]string{"equals": " = ", "notEqual": " != "}[wop] + lit
				}
			} else {
				c, err = rd.criterion(object, field, wop, val)
			}
		}
		if err != nil {
			return "", fmt.Sprintf("%s:%d: %v", f.path, fl.Line, err)
		}
		parts = append(parts, c)
	}
	c, err := combine(parts, start.text("filterLogic"))
	if err != nil {
		return "", fmt.Sprintf("%s: filterLogic %v", f.path, err)
	}
	return c, ""
}

// attachTriggers gives each outbound message the rules and flows that
// send it.
func (rd *reader) attachTriggers() {
	for _, t := range rd.triggers {
		for _, a := range t.actions {
			m := rd.outbound.lookup(a.name)
			if m == nil {
				rd.errs = append(rd.errs, t.f.errAt(a.e, "%s %q sends outbound message %q, which is not in these folders (workflows/%s.workflow-meta.xml)", strings.ReplaceAll(t.kind, "_", " "), t.name, a.name, t.object))
				continue
			}
			if obj, ok := m.vals["object"]; ok && !strings.EqualFold(fmt.Sprint(obj.val), t.object) {
				rd.errs = append(rd.errs, t.f.errAt(a.e, "%s %q on %s sends outbound message %q, which is defined on %s", strings.ReplaceAll(t.kind, "_", " "), t.name, t.object, a.name, obj.val))
				continue
			}
			rule := newMapping()
			rule.set("name", t.name, t.at)
			rule.set("kind", t.kind, t.at)
			rule.set("when", t.when, t.at)
			if t.condition != "" {
				rule.set("condition", t.condition, t.at)
			}
			rule.set("active", t.active, t.at)
			m.add("rules", rule, t.at)
		}
	}
}

// readAssignmentRules reads Lead.assignmentRules: each <assignmentRule>
// with its <ruleEntry> list in order, each entry's criteria items (or
// formula) as SOQL and its <assignedTo> user. Case assignment rules and
// entries assigning to queues are listed as ignored.
func (rd *reader) readAssignmentRules(f *file) error {
	if f.name != "Lead" {
		rd.ignore(f.at(f.root), fmt.Sprintf("%s assignment rules are not modelled (Lead's are)", f.name))
		return nil
	}
	for _, ar := range f.root.all("assignmentRule") {
		name := ar.text("fullName")
		if name == "" {
			return f.errAt(ar, "<assignmentRule> needs <fullName>")
		}
		rule := rd.leadRules.get(name, f.at(ar))
		if err := setBool(f, rule, "active", ar.child("active")); err != nil {
			return err
		}
		for _, re := range ar.all("ruleEntry") {
			to := re.child("assignedTo")
			if to == nil || to.Text == "" {
				return f.errAt(re, "rule %q: a <ruleEntry> needs <assignedTo>", name)
			}
			if t := re.text("assignedToType"); t != "" && t != "User" {
				rd.ignore(f.at(re), fmt.Sprintf("assignment rule entries assigning to a %s are not modelled; the entry is left out", t))
				continue
			}
			entry := newMapping()
			cond, problem := rd.ruleCondition(f, "Lead", re)
			if problem != "" {
				return f.errAt(re, "rule %q: %s", name, problem)
			}
			if cond != "" {
				entry.set("criteria", cond, f.at(re))
			}
			entry.set("assign_to", to.Text, f.at(to))
			rule.add("entries", entry, f.at(re))
			rd.unused(f, re, "assignedTo", "assignedToType", "criteriaItems", "booleanFilter", "formula", "notifyCcRecipients", "overrideExistingTeams", "template")
		}
		rd.unused(f, ar, "fullName", "active", "ruleEntry")
	}
	return nil
}
