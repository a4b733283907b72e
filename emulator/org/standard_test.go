package org

import (
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator/clock"
)

func standardOrg(t *testing.T) *Org {
	t.Helper()
	s, err := NewStore(clock.NewVirtual(dataNow), Source{Name: "booking.yaml", Data: []byte(bookingOrg)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Orgs()[0]
}

// TestStandardSchemaTable checks the table's objects keep the key prefixes,
// required fields and relationships clients rely on.
func TestStandardSchemaTable(t *testing.T) {
	if _, _, err := parseStandardSchema(standardSchemaText); err != nil {
		t.Fatal(err)
	}
	s := newStandardSchema()
	for name, prefix := range map[string]string{
		"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "Case": "500", "Task": "00T", "Event": "00U",
		"User": "005", "Organization": "00D", "LoginHistory": "0Ya", "OpportunityLineItem": "00k", "Campaign": "701",
		"CampaignMember": "00v", "Product2": "01t", "Pricebook2": "01s", "PricebookEntry": "01u", "Contract": "800",
		"Order": "801", "Asset": "02i", "Note": "002", "ServiceAppointment": "08p", "ServiceResource": "0Hn",
		"WorkOrder": "0WO", "VoiceCall": "0LQ", "ActivityHistory": "", "OpenActivity": "",
	} {
		o := s.Object(name)
		if o == nil || o.KeyPrefix != prefix {
			t.Errorf("%s: %+v, want key prefix %q", name, o, prefix)
		}
	}
	for _, path := range []string{
		"Account.PhotoUrl", "Account.IsCustomerPortal", "Account.Jigsaw", "Account.JigsawCompanyId", "Account.SicDesc",
		"Event.Type", "Task.Type", "Task.CallType", "Task.CallDisposition", "Task.CallDurationInSeconds", "Task.CallObject",
	} {
		obj, field, _ := strings.Cut(path, ".")
		if s.Object(obj).Field(field) == nil {
			t.Errorf("no %s", path)
		}
	}
	if f := s.Object("Account").Field("JigsawCompanyId"); f.Createable || f.Length != 20 {
		t.Errorf("JigsawCompanyId: %+v", f)
	}
	if f := s.Object("Task").Field("Status"); f.Required || f.Default != "Not Started" || len(f.Picklist) != 5 {
		t.Errorf("Task.Status: %+v", f)
	}
	if f := s.Object("Lead").Field("Company"); !f.Required {
		t.Error("Lead.Company should be required")
	}
	for _, tt := range []struct{ parent, child, object, field string }{
		{"Account", "Contacts", "Contact", "AccountId"},
		{"Account", "ChildAccounts", "Account", "ParentId"},
		{"Account", "ActivityHistories", "ActivityHistory", "AccountId"},
		{"Account", "OpenActivities", "OpenActivity", "AccountId"},
		{"Contact", "ActivityHistories", "ActivityHistory", "WhoId"},
		{"Lead", "OpenActivities", "OpenActivity", "WhoId"},
		{"Opportunity", "ActivityHistories", "ActivityHistory", "WhatId"},
		{"Opportunity", "OpportunityLineItems", "OpportunityLineItem", "OpportunityId"},
		{"Account", "Notes", "Note", "ParentId"},
		{"Campaign", "CampaignMembers", "CampaignMember", "CampaignId"},
		{"Case", "Cases", "Case", "ParentId"},
	} {
		cr := s.Object(tt.parent).ChildRelationship(tt.child)
		if cr == nil || cr.Child.Name != tt.object || cr.Field.Name != tt.field {
			t.Errorf("%s.%s: %+v", tt.parent, tt.child, cr)
		}
	}
	if s.Object("Contact").ChildRelationship("Contacts") != nil {
		t.Error("Contact.ReportsToId must not make a Contacts child relationship")
	}
	if vc := s.Object("VoiceCall"); vc.Createable || !vc.Updateable {
		t.Errorf("VoiceCall: createable %v updateable %v", vc.Createable, vc.Updateable)
	}
}

func TestTaskIsClosedFollowsStatus(t *testing.T) {
	o := standardOrg(t)
	task := o.Schema.Object("Task")
	r, errs := o.Data.Insert(task, map[string]any{"Subject": "Call", "Status": "Completed", "CallType": "Outbound", "CallDurationInSeconds": 61.0}, o.Users[0], dataNow, DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	if r.GetName("IsClosed") != true || r.GetName("CompletedDateTime") == nil {
		t.Errorf("completed task: IsClosed %v CompletedDateTime %v", r.GetName("IsClosed"), r.GetName("CompletedDateTime"))
	}
	r, _ = o.Data.Update(r.ID, map[string]any{"Status": "Deferred"}, o.Users[0], dataNow)
	if r.GetName("IsClosed") != false || r.GetName("CompletedDateTime") != nil {
		t.Errorf("deferred task: IsClosed %v CompletedDateTime %v", r.GetName("IsClosed"), r.GetName("CompletedDateTime"))
	}
	if _, errs := o.Data.Insert(task, map[string]any{"IsClosed": true}, o.Users[0], dataNow, DMLOptions{}); errs == nil || errs[0].StatusCode != "INVALID_FIELD_FOR_INSERT_UPDATE" {
		t.Errorf("IsClosed is not writable: %v", errs)
	}
	opp := o.Schema.Object("Opportunity")
	r, errs = o.Data.Insert(opp, map[string]any{"Name": "Deal", "StageName": "Closed Won", "CloseDate": "2026-03-01"}, o.Users[0], dataNow, DMLOptions{})
	if errs != nil || r.GetName("IsClosed") != true || r.GetName("IsWon") != true {
		t.Errorf("won opportunity: %v %v %v", errs, r.GetName("IsClosed"), r.GetName("IsWon"))
	}
}

func TestEventDuration(t *testing.T) {
	o := standardOrg(t)
	ev := o.Schema.Object("Event")
	start := "2026-03-03T09:00:00Z"
	r, errs := o.Data.Insert(ev, map[string]any{"Subject": "Meeting", "Type": "Meeting", "StartDateTime": start, "EndDateTime": "2026-03-03T10:30:00Z"}, o.Users[0], dataNow, DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	if r.GetName("DurationInMinutes") != 90.0 || r.GetName("ActivityDate") != time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC) {
		t.Errorf("duration %v, activity date %v", r.GetName("DurationInMinutes"), r.GetName("ActivityDate"))
	}
	r, errs = o.Data.Insert(ev, map[string]any{"Subject": "Call", "StartDateTime": start, "DurationInMinutes": 15.0}, o.Users[0], dataNow, DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	if end, _ := r.GetName("EndDateTime").(time.Time); !end.Equal(time.Date(2026, 3, 3, 9, 15, 0, 0, time.UTC)) {
		t.Errorf("end %v", end)
	}
}

func TestActivityViews(t *testing.T) {
	o := standardOrg(t)
	contact := o.Schema.Object("Contact")
	var rose *Record
	o.Data.Scan(contact, false, func(r *Record) bool { rose = r; return false })
	acct := rose.GetName("AccountId").(string)
	task, ev := o.Schema.Object("Task"), o.Schema.Object("Event")
	ins := func(obj *Object, f map[string]any) *Record {
		r, errs := o.Data.Insert(obj, f, o.Users[0], dataNow, DMLOptions{})
		if errs != nil {
			t.Fatal(errs)
		}
		return r
	}
	done := ins(task, map[string]any{"Subject": "Done", "Status": "Completed", "WhoId": string(rose.ID)})
	ins(task, map[string]any{"Subject": "Todo", "WhoId": string(rose.ID)})
	ins(ev, map[string]any{"Subject": "Past", "WhatId": acct, "StartDateTime": "2026-03-01T09:00:00Z", "DurationInMinutes": 30.0})
	ins(ev, map[string]any{"Subject": "Future", "WhatId": acct, "StartDateTime": "2026-03-09T09:00:00Z", "DurationInMinutes": 30.0})
	if done.GetName("AccountId") != acct {
		t.Errorf("task AccountId %v, want the contact's account %s", done.GetName("AccountId"), acct)
	}
	subjects := func(view, parent string) string {
		v := o.Schema.Object(view)
		recs, indexed := o.Data.Lookup(v, v.Field("AccountId"), parent, false)
		if !indexed {
			t.Fatal("view lookups are indexed")
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.GetName("Subject").(string))
		}
		return strings.Join(out, ",")
	}
	if got := subjects("ActivityHistory", acct); got != "Done,Past" && got != "Past,Done" {
		t.Errorf("account history %q", got)
	}
	if got := subjects("OpenActivity", acct); got != "Todo,Future" && got != "Future,Todo" {
		t.Errorf("account open activities %q", got)
	}
	if got := subjects("ActivityHistory", string(rose.ID)); got != "Done" {
		t.Errorf("contact history %q", got)
	}
}

// TestCompactRecords: a record keeps no slots past its last value, and
// updating a field beyond them works.
func TestCompactRecords(t *testing.T) {
	o := standardOrg(t)
	acct := o.Schema.Object("Account")
	r, errs := o.Data.Insert(acct, map[string]any{"Name": "Short"}, o.Users[0], dataNow, DMLOptions{})
	if errs != nil {
		t.Fatal(errs)
	}
	if len(r.Values) >= len(acct.Fields) {
		t.Errorf("record keeps %d of %d slots", len(r.Values), len(acct.Fields))
	}
	r, errs = o.Data.Update(r.ID, map[string]any{"SicDesc": "Software"}, o.Users[0], dataNow)
	if errs != nil || r.GetName("SicDesc") != "Software" || r.GetName("Name") != "Short" {
		t.Errorf("update: %v %v", errs, r.Values)
	}
}

func TestStandardSchemaTableErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"Name||string|80||", "after an object line"},
		{"@A|A|As|a00|owned\nName||strng|80||", `unknown type "strng"`},
		{"@A|A|As|a00|owned\nName||string|8x||", `bad size "8x"`},
		{"@A|A|As|a00|owned\nName||string|80|required|", `unknown flag "required"`},
		{"@A|A|As|a00|shared", `unknown object flag "shared"`},
		{"@A|A|As", "object line needs 5 columns"},
	} {
		_, _, err := parseStandardSchema(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.text, err, tt.want)
		}
	}
}
