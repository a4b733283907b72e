package org

import (
	"sort"
	"time"
)

// deriveLocked computes the standard fields Salesforce derives from others,
// on every save: a Task's IsClosed (and CompletedDateTime) from its
// status's closed flag, a Case's IsClosed and ClosedDate, an Opportunity's
// IsClosed and IsWon from its stage, an Event's DurationInMinutes,
// EndDateTime, ActivityDateTime and ActivityDate from its start and end, and
// the AccountId of a Task or Event from what it is related to.
func (d *Data) deriveLocked(o *Object, values []any, now time.Time) {
	if o.Custom {
		return
	}
	get := func(name string) any {
		if f := o.Field(name); f != nil {
			return values[f.Index]
		}
		return nil
	}
	set := func(name string, v any) {
		if f := o.Field(name); f != nil {
			values[f.Index] = v
		}
	}
	stamp := now.UTC().Truncate(time.Millisecond)
	switch o.Name {
	case "Task":
		closed, _ := closedValue(o, "Status", get("Status"))
		set("IsClosed", closed)
		set("IsHighPriority", get("Priority") == "High")
		switch {
		case !closed:
			set("CompletedDateTime", nil)
		case get("CompletedDateTime") == nil:
			set("CompletedDateTime", stamp)
		}
		set("AccountId", d.activityAccountLocked(get("WhatId"), get("WhoId")))
	case "Event":
		d.deriveEvent(get, set)
		set("AccountId", d.activityAccountLocked(get("WhatId"), get("WhoId")))
	case "Case":
		closed, _ := closedValue(o, "Status", get("Status"))
		set("IsClosed", closed)
		switch {
		case !closed:
			set("ClosedDate", nil)
		case get("ClosedDate") == nil:
			set("ClosedDate", stamp)
		}
	case "Opportunity":
		closed, won := closedValue(o, "StageName", get("StageName"))
		set("IsClosed", closed)
		set("IsWon", won)
	case "WorkOrder", "Campaign":
		if o.Field("IsClosed") != nil {
			closed, _ := closedValue(o, "Status", get("Status"))
			set("IsClosed", closed)
		}
	}
}

// deriveEvent keeps an Event's times consistent, as Salesforce does:
// StartDateTime and ActivityDateTime are the same instant, and
// EndDateTime = StartDateTime + DurationInMinutes (an end given wins over
// a duration; a duration alone sets the end).
func (d *Data) deriveEvent(get func(string) any, set func(string, any)) {
	start, ok := get("StartDateTime").(time.Time)
	if !ok {
		start, ok = get("ActivityDateTime").(time.Time)
	}
	allDay, _ := get("IsAllDayEvent").(bool)
	if !ok {
		if day, isDay := get("ActivityDate").(time.Time); isDay && allDay {
			start, ok = day, true
		}
	}
	if !ok {
		return
	}
	set("StartDateTime", start)
	set("ActivityDateTime", start)
	set("ActivityDate", time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC))
	end, hasEnd := get("EndDateTime").(time.Time)
	minutes, hasMinutes := get("DurationInMinutes").(float64)
	switch {
	case hasEnd && !end.Before(start):
		set("DurationInMinutes", float64(int64(end.Sub(start)/time.Minute)))
	case hasMinutes:
		end = start.Add(time.Duration(minutes) * time.Minute)
		set("EndDateTime", end)
		hasEnd = true
	case allDay:
		end = start.Add(24 * time.Hour)
		set("EndDateTime", end)
		set("DurationInMinutes", float64(1440))
		hasEnd = true
	}
	if hasEnd {
		set("EndDate", time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC))
	}
}

// activityAccountLocked is the account an activity belongs to: the WhatId
// when it is an account, the account of the record the WhatId names, or
// the account of the contact the WhoId names.
func (d *Data) activityAccountLocked(what, who any) any {
	for _, v := range []any{what, who} {
		s, _ := v.(string)
		if s == "" {
			continue
		}
		id, err := ParseID(s)
		if err != nil {
			continue
		}
		if id.Prefix() == PrefixAccount {
			return string(id)
		}
		if r := d.byID[id]; r != nil {
			if acct, _ := r.GetName("AccountId").(string); acct != "" {
				return acct
			}
		}
	}
	return nil
}

// isActivityView reports whether o is ActivityHistory or OpenActivity: a
// computed view over Tasks and Events, with no records of its own.
func isActivityView(o *Object) bool {
	return !o.Custom && o.KeyPrefix == "" && (o.Name == "ActivityHistory" || o.Name == "OpenActivity")
}

func (d *Data) now() time.Time {
	if d.clock != nil {
		return d.clock()
	}
	return time.Now()
}

// activityRows presents the Tasks and Events that belong in the view:
// closed tasks and past events for ActivityHistory, open tasks and
// current or future events for OpenActivity. With parent set, only those
// related to it (by WhoId, WhatId or AccountId). Rows are ordered as
// Salesforce lists them: ActivityHistory by ActivityDate descending,
// OpenActivity ascending, then by LastModifiedDate descending.
func (d *Data) activityRows(view *Object, parent string, includeDeleted bool) []*Record {
	history := view.Name == "ActivityHistory"
	now := d.now()
	var out []*Record
	seen := map[ID]bool{}
	for _, name := range []string{"Task", "Event"} {
		src := d.schema.Object(name)
		if src == nil {
			continue
		}
		take := func(r *Record) bool {
			if seen[r.ID] || (!includeDeleted && r.Deleted()) {
				return true
			}
			seen[r.ID] = true
			if activityClosed(r, now) == history {
				out = append(out, activityRow(view, r))
			}
			return true
		}
		if parent == "" {
			d.Scan(src, includeDeleted, take)
			continue
		}
		for _, fname := range []string{"WhoId", "WhatId", "AccountId"} {
			f := src.Field(fname)
			if f == nil {
				continue
			}
			recs, indexed := d.Lookup(src, f, parent, includeDeleted)
			if !indexed {
				short := ID(parent).Short()
				d.Scan(src, includeDeleted, func(r *Record) bool {
					if s, _ := r.Get(f).(string); len(s) >= 15 && s[:15] == short {
						take(r)
					}
					return true
				})
				continue
			}
			for _, r := range recs {
				take(r)
			}
		}
	}
	date, lmd := view.Field("ActivityDate"), view.Field("LastModifiedDate")
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := out[i].Get(date).(time.Time)
		b, _ := out[j].Get(date).(time.Time)
		if !a.Equal(b) {
			if history {
				return a.After(b)
			}
			return a.Before(b)
		}
		x, _ := out[i].Get(lmd).(time.Time)
		y, _ := out[j].Get(lmd).(time.Time)
		return x.After(y)
	})
	return out
}

// activityClosed: a task is closed when its status is; an event once it
// has ended.
func activityClosed(r *Record, now time.Time) bool {
	if r.Object.Name == "Task" {
		closed, _ := r.GetName("IsClosed").(bool)
		return closed
	}
	end, ok := r.GetName("EndDateTime").(time.Time)
	if !ok {
		end, ok = r.GetName("ActivityDateTime").(time.Time)
	}
	if !ok {
		day, isDay := r.GetName("ActivityDate").(time.Time)
		if !isDay {
			return false
		}
		end = day.Add(24 * time.Hour)
	}
	return !end.After(now)
}

// activityRow is a Task or Event under the view's fields.
func activityRow(view *Object, r *Record) *Record {
	v := make([]any, len(view.Fields))
	task := r.Object.Name == "Task"
	for _, f := range view.Fields {
		var x any
		switch f.Name {
		case "IsTask":
			x = task
		case "IsClosed":
			if task {
				x = r.GetName("IsClosed")
			} else {
				x = view.Name == "ActivityHistory"
			}
		case "ActivityType":
			x = r.GetName("Type")
		case "ActivitySubtype":
			if task {
				x = r.GetName("TaskSubtype")
			} else {
				x = r.GetName("EventSubtype")
			}
		default:
			if sf := r.Object.Field(f.Name); sf != nil {
				x = r.Get(sf)
			}
		}
		if x == nil && f.Type == TypeBoolean {
			x = false
		}
		v[f.Index] = x
	}
	return &Record{ID: r.ID, Object: view, Values: v, slot: -1}
}

// activityLookup answers a lookup on a view: an Id, or — for the
// relationship fields — every activity related to the record by WhoId,
// WhatId or AccountId (a child subquery's rows; a WHERE clause is applied
// again by the caller).
func (d *Data) activityLookup(view *Object, f *Field, value any, includeDeleted bool) []*Record {
	s, _ := value.(string)
	id, err := ParseID(s)
	if err != nil {
		return nil
	}
	if f.Name == "Id" {
		for _, r := range d.activityRows(view, "", includeDeleted) {
			if r.ID == id {
				return []*Record{r}
			}
		}
		return nil
	}
	return d.activityRows(view, string(id), includeDeleted)
}

// compactValues stores a record's values without its trailing nulls: with
// the full standard schema most fields of most records are null, and a
// slot costs 16 bytes. Record.Get and the query engine read a missing slot
// as null.
func compactValues(values []any) []any {
	n := len(values)
	for n > 0 && values[n-1] == nil {
		n--
	}
	if n == len(values) {
		return values
	}
	return append(make([]any, 0, n), values[:n]...)
}

// fullValues is a copy of a record's values with a slot for every field.
func fullValues(r *Record) []any {
	v := make([]any, len(r.Object.Fields))
	copy(v, r.Values)
	return v
}
