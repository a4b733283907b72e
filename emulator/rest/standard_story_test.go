package rest

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCallTrackingStory is what a call-tracking SaaS does on connecting to
// an org: import the last year's Accounts and Contacts, then log each call
// as a completed Task on the contact, and read the contact's activity
// history back.
func TestCallTrackingStory(t *testing.T) {
	e := newEnv(t)
	accounts, got := e.query("/services/data/v60.0/query/?q=" + q(
		"SELECT Id, Name, Phone, PhotoUrl, IsCustomerPortal, Jigsaw, JigsawCompanyId, SicDesc FROM Account WHERE CreatedDate = LAST_N_DAYS:365 ORDER BY CreatedDate LIMIT 2000"))
	if got.status != 200 || accounts.TotalSize != 3 {
		t.Fatalf("account import: %d %s", got.status, got.body)
	}
	if v, ok := accounts.Records[0]["IsCustomerPortal"]; !ok || v != false {
		t.Errorf("IsCustomerPortal = %v (present %v), want false", v, ok)
	}
	contacts, got := e.query("/services/data/v60.0/query/?q=" + q(
		"SELECT Id, Name, Phone, MobilePhone, AccountId, Account.Name FROM Contact WHERE LastModifiedDate = LAST_N_DAYS:365 LIMIT 2000"))
	if got.status != 200 || contacts.TotalSize != 4 {
		t.Fatalf("contact import: %d %s", got.status, got.body)
	}
	var rose map[string]any
	for _, c := range contacts.Records {
		if c["Name"] == "Rose Gonzalez" {
			rose = c
		}
	}
	if rose == nil {
		t.Fatalf("no Rose Gonzalez in %v", contacts.Records)
	}
	roseID, edgeID := rose["Id"].(string), rose["AccountId"].(string)

	created := e.do("POST", "/services/data/v60.0/sobjects/Task/", `{"Subject": "Outbound call to Rose", "WhoId": "`+roseID+`",
		"Status": "Completed", "Priority": "Normal", "ActivityDate": "2026-03-02", "Type": "Call", "TaskSubtype": "Call",
		"CallType": "Outbound", "CallDisposition": "Connected - booked a demo", "CallDurationInSeconds": 184, "CallObject": "ct-call-0001"}`)
	if created.status != 201 {
		t.Fatalf("create task: %d %s", created.status, created.body)
	}
	var res struct{ ID string }
	_ = json.Unmarshal([]byte(created.body), &res)
	// An open follow-up task is no history yet.
	if r := e.do("POST", "/services/data/v60.0/sobjects/Task/", `{"Subject": "Call back", "WhoId": "`+roseID+`"}`); r.status != 201 {
		t.Fatalf("create open task: %d %s", r.status, r.body)
	}

	task, got := e.query("/services/data/v60.0/query/?q=" + q("SELECT IsClosed, CompletedDateTime, AccountId, CallType, CallDurationInSeconds FROM Task WHERE Id = '"+res.ID+"'"))
	if got.status != 200 || task.TotalSize != 1 {
		t.Fatalf("task: %d %s", got.status, got.body)
	}
	if tr := task.Records[0]; tr["IsClosed"] != true || tr["CompletedDateTime"] == nil || tr["AccountId"] != edgeID || tr["CallType"] != "Outbound" || tr["CallDurationInSeconds"] != 184.0 {
		t.Errorf("completed call task: %v", tr)
	}

	hist, got := e.query("/services/data/v60.0/query/?q=" + q("SELECT Id, (SELECT Subject, CallDurationInSeconds, IsTask, ActivityType FROM ActivityHistories) FROM Contact WHERE Id = '"+roseID+"'"))
	if got.status != 200 || hist.TotalSize != 1 {
		t.Fatalf("activity history: %d %s", got.status, got.body)
	}
	sub, _ := hist.Records[0]["ActivityHistories"].(map[string]any)
	rows, _ := sub["records"].([]any)
	if len(rows) != 1 {
		t.Fatalf("ActivityHistories = %s", got.body)
	}
	row := rows[0].(map[string]any)
	if row["Subject"] != "Outbound call to Rose" || row["CallDurationInSeconds"] != 184.0 || row["IsTask"] != true || row["ActivityType"] != "Call" {
		t.Errorf("history row: %v", row)
	}
	if attrs, _ := row["attributes"].(map[string]any); attrs["type"] != "ActivityHistory" {
		t.Errorf("history row attributes: %v", row["attributes"])
	}

	if r := e.do("GET", "/services/data/v60.0/sobjects/Contact/"+roseID+"/ActivityHistories?fields=Subject,CallDisposition", ""); r.status != 200 ||
		!strings.Contains(r.body, `"totalSize":1,`) || !strings.Contains(r.body, `"CallDisposition":"Connected - booked a demo"`) {
		t.Errorf("related list: %d %s", r.status, r.body)
	}

	// The account sees its contacts' calls too; the open task is an open activity.
	acct, got := e.query("/services/data/v60.0/query/?q=" + q("SELECT (SELECT Subject FROM ActivityHistories), (SELECT Subject FROM OpenActivities) FROM Account WHERE Id = '"+edgeID+"'"))
	if got.status != 200 || !strings.Contains(got.body, `"Subject":"Outbound call to Rose"`) || !strings.Contains(got.body, `"Subject":"Call back"`) {
		t.Fatalf("account activities: %d %s", got.status, got.body)
	}
	if open, _ := acct.Records[0]["OpenActivities"].(map[string]any); open == nil || open["totalSize"] != 1.0 {
		t.Errorf("OpenActivities = %v", acct.Records[0]["OpenActivities"])
	}

	// Reopening the task takes it out of the history.
	if r := e.do("PATCH", "/services/data/v60.0/sobjects/Task/"+res.ID, `{"Status": "In Progress"}`); r.status != 204 {
		t.Fatalf("reopen: %d %s", r.status, r.body)
	}
	hist, _ = e.query("/services/data/v60.0/query/?q=" + q("SELECT Id, (SELECT Subject FROM ActivityHistories) FROM Contact WHERE Id = '"+roseID+"'"))
	if hist.Records[0]["ActivityHistories"] != nil {
		t.Errorf("reopened task still in history: %v", hist.Records[0]["ActivityHistories"])
	}
}

// TestBookingEventType: a booking SaaS creates Events with Type and a
// duration; the end follows from it.
func TestBookingEventType(t *testing.T) {
	e := newEnv(t)
	edge := acmeRecordID(e, "Account", "Name", "Edge Communications")
	r := e.do("POST", "/services/data/v60.0/sobjects/Event/", `{"Subject": "Demo", "Type": "Meeting", "WhatId": "`+edge+`",
		"StartDateTime": "2026-03-01T09:00:00.000+0000", "DurationInMinutes": 45}`)
	if r.status != 201 {
		t.Fatalf("create event: %d %s", r.status, r.body)
	}
	var res struct{ ID string }
	_ = json.Unmarshal([]byte(r.body), &res)
	ev, got := e.query("/services/data/v60.0/query/?q=" + q("SELECT Type, EndDateTime, ActivityDateTime, ActivityDate, AccountId FROM Event WHERE Id = '"+res.ID+"'"))
	if got.status != 200 || ev.TotalSize != 1 {
		t.Fatalf("event: %d %s", got.status, got.body)
	}
	if row := ev.Records[0]; row["Type"] != "Meeting" || row["EndDateTime"] != "2026-03-01T09:45:00.000+0000" || row["ActivityDate"] != "2026-03-01" || row["AccountId"] != edge {
		t.Errorf("event: %v", row)
	}
	// The meeting was yesterday (the tests' clock is 2 March 2026): history.
	_, got = e.query("/services/data/v60.0/query/?q=" + q("SELECT (SELECT Subject, DurationInMinutes, IsTask FROM ActivityHistories) FROM Account WHERE Id = '"+edge+"'"))
	if got.status != 200 || !strings.Contains(got.body, `"Subject":"Demo","DurationInMinutes":45,"IsTask":false`) {
		t.Errorf("event history: %d %s", got.status, got.body)
	}
}
