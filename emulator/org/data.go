package org

import (
	"fmt"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Record is one version of a record. Versions are immutable once stored: an
// update stores a new version, so readers (a query being serialised, a
// notification being built) never see a half-written record.
type Record struct {
	ID     ID
	Object *Object
	Values []any // by Field.Index

	slot int // position in its table's rows
}

// Get returns the value of f, or nil. A compound address is computed from
// its components.
func (r *Record) Get(f *Field) any {
	if f != nil && f.Components != nil {
		return r.address(f)
	}
	if f == nil || f.Index >= len(r.Values) {
		return nil
	}
	return r.Values[f.Index]
}

// GetName returns the value of the named field, or nil.
func (r *Record) GetName(name string) any { return r.Get(r.Object.Field(name)) }

// Deleted reports whether the record is in the recycle bin.
func (r *Record) Deleted() bool {
	if i := r.Object.deleted - 1; i >= 0 && i < len(r.Values) {
		v, _ := r.Values[i].(bool)
		return v
	}
	return false
}

// DMLError is one failure of a create, update, upsert or delete, with
// Salesforce's status code and message.
type DMLError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
	// Field names the field whose JSON value could not be read
	// (JSON_PARSER_ERROR, which lists no fields), so the REST layer can say
	// where in the body it is.
	Field string `json:"-"`
}

func (e DMLError) Error() string { return e.StatusCode + ": " + e.Message }

// Data holds an org's records.
type Data struct {
	org    *Org
	schema *Schema
	ids    *IDSequence

	mu     sync.RWMutex
	tables map[*Object]*table
	byID   map[ID]*Record
	caseNo int

	hooksMu  sync.RWMutex
	onSave   []func(before, after *Record, by *User)
	assigner Assigner

	// clock is the emulator's clock (whether an Event is past); nil: time.Now.
	clock func() time.Time
	// journal keeps every stored version across restarts (nil: in memory).
	journal Journal

	// locks are the records open transactions hold (rowlock.go); lockWait
	// how long another write waits for one (0: DefaultRowLockWait).
	locks    map[ID]*Tx
	lockWait time.Duration

	// base and override make a WithVersion view; only makes it an Only view.
	base     *Data
	override *Record
	only     bool
}

// OnSave registers f to run after every create (before is nil) and update,
// outside the data lock — how workflow rules and flows see saves. by is
// the user who saved (nil: the system), whose permissions decide what
// fires ("Disable Outbound Messages").
func (d *Data) OnSave(f func(before, after *Record, by *User)) {
	d.hooksMu.Lock()
	defer d.hooksMu.Unlock()
	d.onSave = append(d.onSave, f)
}

func (d *Data) saved(before, after *Record, by *User) {
	d.hooksMu.RLock()
	hooks := d.onSave
	d.hooksMu.RUnlock()
	for _, f := range hooks {
		f(before, after, by)
	}
}

type table struct {
	rows    []*Record               // insertion order; nil where a record was erased
	indexes map[int]map[string][]ID // field index → normalised value → ids
}

func newData(o *Org, s *Schema, ids *IDSequence) *Data {
	return &Data{org: o, schema: s, ids: ids, tables: map[*Object]*table{}, byID: map[ID]*Record{}}
}

// Schema is the org's schema.
func (d *Data) Schema() *Schema { return d.schema }

func (d *Data) tableFor(o *Object) *table {
	t := d.tables[o]
	if t == nil {
		t = &table{indexes: map[int]map[string][]ID{}}
		for _, f := range o.Fields {
			// Lookup answers Id from byID: an index of it would be unread.
			if (f.Indexed || f.ExternalID || f.Unique) && !(f.Type == TypeID && f.Name == "Id") {
				t.indexes[f.Index] = map[string][]ID{}
			}
		}
		d.tables[o] = t
	}
	return t
}

// IndexKey normalises a value for equality lookups: text compares
// case-insensitively in SOQL, ids by their 15-character form.
func IndexKey(f *Field, v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		if f.Type == TypeID || f.Type == TypeReference {
			if id, err := ParseID(x); err == nil {
				return id.Short(), true
			}
			return x, true
		}
		return strings.ToLower(x), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	}
	return fmt.Sprint(v), true
}

func (t *table) index(r *Record, add bool) {
	for fi, idx := range t.indexes {
		key, ok := IndexKey(r.Object.Fields[fi], r.Get(r.Object.Fields[fi]))
		if !ok {
			continue
		}
		if add {
			idx[key] = append(idx[key], r.ID)
			continue
		}
		ids := idx[key]
		for i, id := range ids {
			if id == r.ID {
				ids = append(ids[:i:i], ids[i+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(idx, key)
		} else {
			idx[key] = ids
		}
	}
}

// Get returns the current version of the record with this id (15 or 18
// characters), deleted or not, or nil.
func (d *Data) Get(id ID) *Record {
	if d.base != nil {
		if id == d.override.ID {
			return d.override
		}
		return d.base.Get(id)
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.byID[id]
}

// Scan calls fn for each record of o in insertion order until fn returns
// false. Deleted records are included only when includeDeleted is set.
func (d *Data) Scan(o *Object, includeDeleted bool, fn func(*Record) bool) {
	if d.only && o == d.override.Object {
		if includeDeleted || !d.override.Deleted() {
			fn(d.override)
		}
		return
	}
	if d.base != nil {
		d.base.Scan(o, true, func(r *Record) bool {
			r = d.overlaid(r)
			if !includeDeleted && r.Deleted() {
				return true
			}
			return fn(r)
		})
		return
	}
	if isActivityView(o) {
		for _, r := range d.activityRows(o, "", includeDeleted) {
			if !fn(r) {
				return
			}
		}
		return
	}
	if o.Name == "LoginHistory" {
		for _, r := range d.loginHistoryRecords(o) {
			if !fn(r) {
				return
			}
		}
		return
	}
	// One lock and one copy per scan: updates replace a record's slot with
	// its new version, so the copy holds each record's latest version.
	d.mu.RLock()
	var rows []*Record
	if t := d.tables[o]; t != nil {
		rows = append(make([]*Record, 0, len(t.rows)), t.rows...)
	}
	d.mu.RUnlock()
	for _, r := range rows {
		if r == nil || (!includeDeleted && r.Deleted()) {
			continue
		}
		if !fn(r) {
			return
		}
	}
}

// Count is the number of live records of o.
func (d *Data) Count(o *Object) int {
	n := 0
	d.Scan(o, false, func(*Record) bool { n++; return true })
	return n
}

// Lookup answers f = value from an index. indexed is false when f has no
// index, and the caller must scan.
func (d *Data) Lookup(o *Object, f *Field, value any, includeDeleted bool) (recs []*Record, indexed bool) {
	if d.only && o == d.override.Object {
		return nil, false // one record: the caller's scan is the lookup
	}
	if d.base != nil && !(f.Type == TypeID && f.Name == "Id") {
		found, indexed := d.base.Lookup(o, f, value, includeDeleted)
		if !indexed {
			return nil, false
		}
		for _, r := range found {
			if r.ID != d.override.ID {
				recs = append(recs, r)
			}
		}
		key, ok := IndexKey(f, value)
		own, ownOK := IndexKey(f, d.override.Get(f))
		if d.override.Object == o && ok && ownOK && key == own && (includeDeleted || !d.override.Deleted()) {
			recs = append(recs, d.override)
		}
		return recs, true
	}
	if isActivityView(o) {
		return d.activityLookup(o, f, value, includeDeleted), true
	}
	if f.Type == TypeID && f.Name == "Id" {
		s, _ := value.(string)
		id, err := ParseID(s)
		if err != nil {
			return nil, true
		}
		if r := d.Get(id); r != nil && r.Object == o && (includeDeleted || !r.Deleted()) {
			return []*Record{r}, true
		}
		return nil, true
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	t := d.tables[o]
	if t == nil {
		return nil, f.Indexed || f.ExternalID || f.Unique
	}
	idx, ok := t.indexes[f.Index]
	if !ok {
		return nil, false
	}
	key, ok := IndexKey(f, value)
	if !ok {
		return nil, true
	}
	for _, id := range idx[key] {
		if r := d.byID[id]; r != nil && (includeDeleted || !r.Deleted()) {
			recs = append(recs, r)
		}
	}
	return recs, true
}

// DMLOptions relax the checks a client is held to, for loading fixtures.
type DMLOptions struct {
	// AllowSystemFields lets CreatedDate, LastModifiedDate and the like be set.
	AllowSystemFields bool
	// Assignment is the lead assignment rule a Lead create runs (none by default).
	Assignment Assignment
	// Tx is the all-or-none transaction the write belongs to: its OnSave
	// hooks wait for the commit and a rollback erases it. nil: none.
	Tx *Tx
}

// Insert creates a record of o from field values as decoded from JSON
// (strings, float64 or json.Number, bool, nil), as user does.
func (d *Data) Insert(o *Object, fields map[string]any, user *User, now time.Time, opt DMLOptions) (*Record, []DMLError) {
	if !o.Createable && !opt.AllowSystemFields {
		return nil, []DMLError{{StatusCode: "INVALID_TYPE_FOR_OPERATION", Message: fmt.Sprintf("entity type %s does not support insert", o.Name), Fields: []string{}}}
	}
	if _, hasID := lookupKey(fields, "Id"); hasID {
		return nil, []DMLError{{StatusCode: "INVALID_FIELD", Message: "The Id field should not be specified in the sobject data.", Fields: []string{}}}
	}
	values := make([]any, len(o.Fields))
	for _, f := range o.Fields {
		if f.DefaultedOnCreate && f.Default != nil {
			values[f.Index] = f.Default
		}
	}
	errs := d.assign(o, values, fields, true, opt, user)
	if len(errs) > 0 {
		return nil, errs
	}
	if errs := requiredMissing(o, values); len(errs) > 0 {
		return nil, errs
	}
	if o.PlatformEvent {
		return d.publishEvent(o, values, user, now), nil
	}
	d.mu.Lock()
	id := d.nextIDLocked(o)
	d.stampLocked(o, values, id, user, now, true, opt)
	t := d.tableFor(o)
	r := &Record{ID: id, Object: o, Values: compactValues(values), slot: len(t.rows)}
	t.rows = append(t.rows, r)
	t.index(r, true)
	d.byID[id] = r
	d.keptLocked(opt.Tx, id)
	d.mu.Unlock()
	r = d.runAssignment(r, opt, now)
	opt.Tx.wrote(d, func(into *Tx) { d.erase(into, id) }, nil, r, user)
	return r, nil
}

func (d *Data) nextIDLocked(o *Object) ID {
	return d.ids.Next(o.KeyPrefix)
}

func (d *Data) stampLocked(o *Object, values []any, id ID, user *User, now time.Time, create bool, opt DMLOptions) {
	d.stampWithLocked(o, values, id, newAudit(user, now), create, opt)
}

// audit is what a save stamps on its records: the time and the user, each
// boxed once and shared by the fields (and, in a batch, the records) that
// hold it — a record's audit fields cost no allocation of their own.
type audit struct {
	now      time.Time
	nowValue any
	userID   any
}

func newAudit(user *User, now time.Time) audit {
	a := audit{now: now, nowValue: now.UTC().Truncate(time.Millisecond)}
	if user != nil {
		a.userID = user.idValue()
	}
	return a
}

func (d *Data) stampWithLocked(o *Object, values []any, id ID, a audit, create bool, opt DMLOptions) {
	set := func(f *Field, v any, onlyIfNil bool) {
		if f != nil && (!onlyIfNil || values[f.Index] == nil) {
			values[f.Index] = v
		}
	}
	nowValue, userID, now := a.nowValue, a.userID, a.now
	s := &o.stamp
	if create {
		set(s.id, string(id), false)
		set(s.isDeleted, false, false)
		set(s.createdDate, nowValue, opt.AllowSystemFields)
		set(s.createdBy, userID, opt.AllowSystemFields)
		set(s.owner, userID, true)
		if s.caseNumber != nil {
			d.caseNo++
			values[s.caseNumber.Index] = fmt.Sprintf("%08d", d.caseNo)
		}
	}
	set(s.lastModifiedDate, nowValue, opt.AllowSystemFields)
	set(s.lastModifiedBy, userID, false)
	set(s.systemModstamp, nowValue, false)
	if s.name != nil && !s.name.Createable && s.lastName != nil && s.firstName != nil {
		first, _ := values[s.firstName.Index].(string)
		last, _ := values[s.lastName.Index].(string)
		values[s.name.Index] = strings.TrimSpace(first + " " + last)
	}
	d.deriveLocked(o, values, now)
}

// put stores a record built by the emulator itself (users, the organization).
func (d *Data) put(r *Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tableFor(r.Object)
	r.slot = len(t.rows)
	t.rows = append(t.rows, r)
	t.index(r, true)
	d.byID[r.ID] = r
}

// Update changes the named fields of the record with this id.
func (d *Data) Update(id ID, fields map[string]any, user *User, now time.Time) (*Record, []DMLError) {
	return d.update(nil, id, fields, user, now)
}

func (d *Data) update(tx *Tx, id ID, fields map[string]any, user *User, now time.Time) (*Record, []DMLError) {
	d.mu.RLock()
	cur := d.byID[id]
	d.mu.RUnlock()
	if cur == nil || cur.Deleted() {
		return nil, []DMLError{{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted", Fields: []string{}}}
	}
	o := cur.Object
	if !o.Updateable {
		return nil, []DMLError{{StatusCode: "INVALID_TYPE_FOR_OPERATION", Message: fmt.Sprintf("entity type %s does not support update", o.Name), Fields: []string{}}}
	}
	if v, ok := lookupKey(fields, "Id"); ok {
		if s, _ := v.(string); s != "" {
			if pid, err := ParseID(s); err != nil || pid != id {
				return nil, []DMLError{{StatusCode: "INVALID_ID_FIELD", Message: "The Id in the request body does not match the Id in the URL.", Fields: []string{}}}
			}
		}
		delete(fields, "Id")
	}
	values := fullValues(cur)
	if errs := d.assign(o, values, fields, false, DMLOptions{}, user); len(errs) > 0 {
		return nil, errs
	}
	if errs := requiredMissing(o, values); len(errs) > 0 {
		return nil, errs
	}
	d.mu.Lock()
	if err := d.awaitRowLocked(tx, id); err != nil {
		d.mu.Unlock()
		return nil, []DMLError{*err}
	}
	if d.byID[id] != cur {
		// Lost a race with another writer: apply on top of the newer version.
		cur = d.byID[id]
		if cur == nil {
			d.mu.Unlock()
			return nil, []DMLError{{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted", Fields: []string{}}}
		}
		merged := fullValues(cur)
		d.assign(o, merged, fields, false, DMLOptions{}, user)
		values = merged
	}
	d.stampLocked(o, values, id, user, now, false, DMLOptions{})
	r := d.replaceLocked(cur, values)
	d.keptLocked(tx, id)
	d.mu.Unlock()
	prev := cur
	tx.wrote(d, func(into *Tx) { d.restore(into, prev) }, cur, r, user)
	return r, nil
}

func (d *Data) replaceLocked(cur *Record, values []any) *Record {
	r := &Record{ID: cur.ID, Object: cur.Object, Values: compactValues(values), slot: cur.slot}
	t := d.tableFor(cur.Object)
	t.index(cur, false)
	t.rows[cur.slot] = r
	t.index(r, true)
	d.byID[cur.ID] = r
	return r
}

// Delete moves the record to the recycle bin (queryAll still returns it).
func (d *Data) Delete(id ID, user *User, now time.Time) *DMLError {
	_, err := d.delete(nil, id, user, now)
	return err
}

// delete is Delete inside tx, returning the version it replaced.
func (d *Data) delete(tx *Tx, id ID, user *User, now time.Time) (*Record, *DMLError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.awaitRowLocked(tx, id); err != nil {
		return nil, err
	}
	cur := d.byID[id]
	if cur == nil || cur.Deleted() {
		return nil, &DMLError{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted", Fields: []string{}}
	}
	if !cur.Object.Deletable {
		return nil, &DMLError{StatusCode: "INVALID_TYPE_FOR_OPERATION", Message: fmt.Sprintf("entity type %s does not support delete", cur.Object.Name), Fields: []string{}}
	}
	values := fullValues(cur)
	values[cur.Object.Field("IsDeleted").Index] = true
	d.stampLocked(cur.Object, values, id, user, now, false, DMLOptions{})
	d.replaceLocked(cur, values)
	d.keptLocked(tx, id)
	return cur, nil
}

func lookupKey(fields map[string]any, name string) (any, bool) {
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// assign converts and checks each given field, writing into values. user's
// field-level security applies (fieldaccess.go) unless opt allows system fields.
func (d *Data) assign(o *Object, values []any, fields map[string]any, create bool, opt DMLOptions, user *User) []DMLError {
	if opt.AllowSystemFields {
		user = nil
	}
	var errs []DMLError
	var notWritable []string
	var buf [16]string // a record's names, on the stack when few
	names := buf[:0]
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "attributes" {
			continue
		}
		f := o.Field(name)
		if f == nil || !user.CanRead(f) {
			errs = append(errs, noSuchColumn(o, name))
			continue
		}
		writable := f.Updateable
		if create {
			writable = f.Createable
		}
		if !writable && !opt.AllowSystemFields || !user.CanEdit(f) {
			notWritable = append(notWritable, f.Name)
			continue
		}
		v, err := d.convert(f, fields[name])
		if err != nil {
			errs = append(errs, *err)
			continue
		}
		values[f.Index] = v
	}
	if len(notWritable) > 0 {
		errs = append(errs, notWritableError(notWritable, create))
	}
	return errs
}

// noSuchColumn is a write naming a field that does not exist, or that the
// user cannot see.
func noSuchColumn(o *Object, name string) DMLError {
	return DMLError{StatusCode: "INVALID_FIELD", Fields: []string{}, Message: fmt.Sprintf("No such column '%s' on sobject of type %s", name, o.Name)}
}

// notWritableError is a write setting fields that are read-only, or
// read-only for the user.
func notWritableError(fields []string, create bool) DMLError {
	op := "update"
	if create {
		op = "create"
	}
	return DMLError{StatusCode: "INVALID_FIELD_FOR_INSERT_UPDATE", Fields: fields,
		Message: fmt.Sprintf("Unable to %s fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", op, strings.Join(fields, ", "))}
}

// requiredMissing lists required fields left null.
func requiredMissing(o *Object, values []any) []DMLError {
	var missing []string
	for _, f := range o.Fields {
		if f.Required && f.Createable && (values[f.Index] == nil || values[f.Index] == "") {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return []DMLError{{StatusCode: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [" + strings.Join(missing, ", ") + "]", Fields: missing}}
}

// ConversionError is a JSON value of the wrong type for a field: Salesforce
// answers JSON_PARSER_ERROR before any other check.
type ConversionError struct {
	Field    string
	JavaType string // Salesforce's wording: double, boolean, date, datetime…
	Got      any
}

func (e *ConversionError) Error() string {
	return fmt.Sprintf("Cannot deserialize instance of %s from %s value %v or request may be missing a required field", e.JavaType, jsonTokenName(e.Got), e.Got)
}

func jsonTokenName(v any) string {
	switch v.(type) {
	case string:
		return "VALUE_STRING"
	case bool:
		return "VALUE_TRUE"
	case map[string]any:
		return "START_OBJECT"
	case []any:
		return "START_ARRAY"
	case float64:
		if x := v.(float64); x != math.Trunc(x) {
			return "VALUE_NUMBER_FLOAT"
		}
	}
	return "VALUE_NUMBER_INT"
}

func (d *Data) convert(f *Field, raw any) (any, *DMLError) {
	if n, ok := raw.(interface{ Float64() (float64, error) }); ok {
		fv, err := n.Float64()
		if err != nil {
			return nil, &DMLError{StatusCode: "JSON_PARSER_ERROR", Message: fmt.Sprintf("%v", raw), Fields: []string{}}
		}
		raw = fv
	}
	if raw == nil {
		if !f.Nillable && f.Type == TypeBoolean {
			return nil, &DMLError{StatusCode: "INVALID_TYPE_ON_FIELD_IN_RECORD", Fields: []string{f.Name},
				Message: f.Label + ": value not of required type: null"}
		}
		return nil, nil
	}
	bad := func(javaType string) *DMLError { return conversionError(f, javaType, raw) }
	switch f.Type {
	case TypeBoolean:
		b, ok := raw.(bool)
		if !ok {
			if s, isStr := raw.(string); isStr && (strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
				return strings.EqualFold(s, "true"), nil
			}
			return nil, bad("boolean")
		}
		return b, nil
	case TypeInt, TypeDouble, TypeCurrency, TypePercent:
		var x float64
		switch v := raw.(type) {
		case float64:
			x = v
		case string:
			p, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, bad("double")
			}
			x = p
		default:
			return nil, bad("double")
		}
		y, err := d.checkNumber(f, x, raw)
		if err != nil {
			return nil, err
		}
		if orig, ok := raw.(float64); ok && orig == y {
			return raw, nil
		}
		return y, nil
	case TypeDate:
		s, ok := raw.(string)
		if !ok {
			return nil, bad("date")
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			if t2, err2 := time.Parse(time.RFC3339, s); err2 == nil {
				t = time.Date(t2.Year(), t2.Month(), t2.Day(), 0, 0, 0, 0, time.UTC)
			} else {
				return nil, bad("date")
			}
		}
		return t, nil
	case TypeDateTime:
		s, ok := raw.(string)
		if !ok {
			return nil, bad("datetime")
		}
		t, err := ParseDateTime(s)
		if err != nil {
			return nil, bad("datetime")
		}
		return t, nil
	}
	// Text, picklists, ids and references.
	var s string
	switch v := raw.(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	default:
		return nil, bad("String")
	}
	switch f.Type {
	case TypeReference, TypeID:
		if s == "" {
			return nil, nil
		}
		id, err := ParseID(s)
		if err != nil {
			return nil, &DMLError{StatusCode: "MALFORMED_ID", Fields: []string{f.Name}, Message: fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, s)}
		}
		if f.Type == TypeReference && !d.referenceOK(f, id) {
			return nil, &DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Fields: []string{f.Name}, Message: fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, s)}
		}
		return string(id), nil
	case TypeEmail:
		if s != "" {
			if a, err := mail.ParseAddress(s); err != nil || a.Address != s || !strings.Contains(s, ".") {
				return nil, &DMLError{StatusCode: "INVALID_EMAIL_ADDRESS", Fields: []string{f.Name}, Message: fmt.Sprintf("%s: invalid email address: %s", f.Label, s)}
			}
		}
	case TypePicklist:
		if f.Restricted && s != "" && f.PicklistValueFor(s) == nil {
			return nil, &DMLError{StatusCode: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", Fields: []string{f.Name}, Message: fmt.Sprintf("%s: bad value for restricted picklist field: %s", f.Label, s)}
		}
	case TypeMultiPicklist:
		if f.Restricted {
			for _, part := range strings.Split(s, ";") {
				if part != "" && f.PicklistValueFor(part) == nil {
					return nil, &DMLError{StatusCode: "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", Fields: []string{f.Name}, Message: fmt.Sprintf("%s: bad value for restricted picklist field: %s", f.Label, part)}
				}
			}
		}
	}
	if f.Length > 0 && utf8.RuneCountInString(s) > f.Length {
		return nil, &DMLError{StatusCode: "STRING_TOO_LONG", Fields: []string{f.Name},
			Message: fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, abbreviateValue(s), f.Length)}
	}
	if s == "" && f.Nillable {
		return nil, nil
	}
	if orig, ok := raw.(string); ok && orig == s {
		return raw, nil // reuse the caller's boxed value: one allocation less per field
	}
	return s, nil
}

// conversionError is a value of the wrong type for f: JSON_PARSER_ERROR.
func conversionError(f *Field, javaType string, got any) *DMLError {
	return &DMLError{StatusCode: "JSON_PARSER_ERROR", Fields: []string{}, Field: f.Name, Message: (&ConversionError{Field: f.Name, JavaType: javaType, Got: got}).Error()}
}

// convertText is convert of a text value, as convert(f, s) answers it,
// without boxing a number's text on its way to the number.
func (d *Data) convertText(f *Field, s string) (any, *DMLError) {
	switch f.Type {
	case TypeInt, TypeDouble, TypeCurrency, TypePercent:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, conversionError(f, "double", s)
		}
		y, derr := d.checkNumber(f, x, s)
		if derr != nil {
			return nil, derr
		}
		return y, nil
	}
	return d.convert(f, s)
}

func abbreviateValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// referenceOK reports whether id names an existing record of an object the
// lookup may point to.
func (d *Data) referenceOK(f *Field, id ID) bool {
	target := d.schema.ObjectForID(id)
	if target == nil {
		return false
	}
	allowed := false
	for _, name := range f.ReferenceTo {
		if strings.EqualFold(name, target.Name) {
			allowed = true
		}
	}
	if !allowed {
		return false
	}
	if target.Name == "User" {
		return d.org.userByID(id) != nil
	}
	return d.Get(id) != nil
}

// ParseDateTime reads a Salesforce dateTime: 2026-02-23T00:00:00Z,
// 2026-02-23T00:00:00.000+0000, or with a +09:00 offset.
func ParseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a dateTime such as 2026-02-23T00:00:00Z", s)
}

// loginHistoryRecords presents Login History rows as LoginHistory records.
func (d *Data) loginHistoryRecords(o *Object) []*Record {
	events := d.org.LoginHistory().Events()
	out := make([]*Record, 0, len(events))
	for _, e := range events {
		v := make([]any, len(o.Fields))
		set := func(name string, val any) { v[o.Field(name).Index] = val }
		set("Id", string(e.ID))
		set("UserId", string(e.UserID))
		set("LoginTime", e.LoginTime.UTC().Truncate(time.Millisecond))
		set("LoginType", e.LoginType)
		set("LoginUrl", e.LoginURL)
		set("SourceIp", e.SourceIP)
		set("Status", e.Status)
		set("Application", e.Application)
		set("ApiType", e.APIType)
		set("ApiVersion", e.APIVersion)
		set("Browser", e.Browser)
		set("Platform", e.Platform)
		out = append(out, &Record{ID: ID(e.ID), Object: o, Values: v})
	}
	return out
}

// Undelete takes a deleted record out of the recycle bin, as user does.
func (d *Data) Undelete(id ID, user *User, now time.Time) *DMLError {
	_, err := d.undelete(nil, id, user, now)
	return err
}

// undelete is Undelete inside tx, returning the version it replaced.
func (d *Data) undelete(tx *Tx, id ID, user *User, now time.Time) (*Record, *DMLError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.awaitRowLocked(tx, id); err != nil {
		return nil, err
	}
	cur := d.byID[id]
	if cur == nil {
		return nil, &DMLError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Message: "invalid cross reference id", Fields: []string{}}
	}
	if !cur.Deleted() {
		return nil, &DMLError{StatusCode: "UNDELETE_FAILED", Message: "Entity is not in the recycle bin", Fields: []string{}}
	}
	values := fullValues(cur)
	values[cur.Object.Field("IsDeleted").Index] = false
	d.stampLocked(cur.Object, values, id, user, now, false, DMLOptions{})
	d.replaceLocked(cur, values)
	d.keptLocked(tx, id)
	return cur, nil
}

// Erase removes a record entirely, as if it had never been created (an
// all-or-none request rolling back).
func (d *Data) Erase(id ID) { d.erase(nil, id) }

// erase is Erase inside tx: the transaction a rolled-back inner one
// belongs to, or nil.
func (d *Data) erase(tx *Tx, id ID) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.byID[id]
	if cur == nil {
		return
	}
	t := d.tableFor(cur.Object)
	t.index(cur, false)
	t.rows[cur.slot] = nil
	delete(d.byID, id)
	d.keptLocked(tx, id)
}

// Restore puts back an earlier version of a record (an all-or-none request
// rolling back an update or delete).
func (d *Data) Restore(prev *Record) { d.restore(nil, prev) }

// restore is Restore inside tx (see erase).
func (d *Data) restore(tx *Tx, prev *Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur := d.byID[prev.ID]; cur != nil {
		d.replaceLocked(cur, prev.Values)
		d.keptLocked(tx, prev.ID)
	}
}

// WithVersion returns a read-only view of the data in which rec replaces
// the stored version of the same record: a workflow rule judging a record's
// previous values runs its condition over it. The view costs nothing to
// make; its Get, Scan, Lookup and Count read through to d.
func (d *Data) WithVersion(rec *Record) *Data {
	return &Data{org: d.org, schema: d.schema, ids: d.ids, base: d, override: rec}
}

// Only returns a read-only view in which rec is the only record of its
// object (other objects, and parents reached by id, read through to d): a
// workflow rule judges one saved record without scanning its table.
func (d *Data) Only(rec *Record) *Data {
	v := d.WithVersion(rec)
	v.only = true
	return v
}

// overlaid substitutes the view's version for the stored one.
func (d *Data) overlaid(r *Record) *Record {
	if r != nil && r.ID == d.override.ID {
		return d.override
	}
	return r
}
