package emulator_test

import (
	"testing"

	salesforce "github.com/k-capehart/go-salesforce/v3"
)

// TestGoSalesforceCollectionsAndComposite drives sObject Collections and
// the Composite resource with go-salesforce v3, unmodified: its
// *Collection calls use /composite/sobjects/ (with a trailing slash) and
// /composite/sobjects/{object}/{field}; its *Composite calls wrap the same
// collections in /composite subrequests, DELETE ones with ?ids= in the url.
func TestGoSalesforceCollectionsAndComposite(t *testing.T) {
	emu, sf := goSalesforceOnDefaultOrg(t, "Legacy_Key__c: {type: text, external_id: true, length: 40}")
	o := emu.Store().Orgs()[0]
	count := func(soql string) int {
		t.Helper()
		var rows []struct{ Id string }
		if err := sf.Query(soql, &rows); err != nil {
			t.Fatalf("%s: %v", soql, err)
		}
		return len(rows)
	}
	type industry struct{ Id, Industry string }
	type keyed struct{ Name, Legacy_Key__c string }
	type idOnly struct{ Id string }
	ids := func(res salesforce.SalesforceResults) []string {
		var out []string
		for _, r := range res.Results {
			out = append(out, r.Id)
		}
		return out
	}

	// sObject Collections.
	var accts []keyed
	for _, k := range []string{"L-1", "L-2", "L-3"} {
		accts = append(accts, keyed{"Collected " + k, k})
	}
	res, err := sf.InsertCollection("Account", accts, 2)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 3 {
		t.Fatalf("InsertCollection: %+v %v", res, err)
	}
	created := ids(res)
	var upd []industry
	for _, id := range created {
		upd = append(upd, industry{id, "Media"})
	}
	if res, err := sf.UpdateCollection("Account", upd, 200); err != nil || res.HasSalesforceErrors {
		t.Fatalf("UpdateCollection: %+v %v", res, err)
	}
	if n := count("SELECT Id FROM Account WHERE Industry = 'Media'"); n != 3 {
		t.Errorf("after UpdateCollection %d Media accounts, want 3", n)
	}
	res, err = sf.UpsertCollection("Account", "Legacy_Key__c",
		[]keyed{{"Upserted L-1", "L-1"}, {"Upserted L-4", "L-4"}}, 200)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 2 || res.Results[0].Id != created[0] {
		t.Fatalf("UpsertCollection: %+v %v", res, err)
	}
	if n := count("SELECT Id FROM Account WHERE Name LIKE 'Upserted%'"); n != 2 {
		t.Errorf("after UpsertCollection %d Upserted accounts, want 2", n)
	}
	created = append(created, res.Results[1].Id)
	var del []idOnly
	for _, id := range created {
		del = append(del, idOnly{id})
	}
	if res, err := sf.DeleteCollection("Account", del, 3); err != nil || res.HasSalesforceErrors || len(res.Results) != 4 {
		t.Fatalf("DeleteCollection: %+v %v", res, err)
	}
	if n := count("SELECT Id FROM Account WHERE Legacy_Key__c != null"); n != 0 {
		t.Errorf("after DeleteCollection %d keyed accounts, want 0", n)
	}

	// The same through /composite, 2 records a collection subrequest.
	accts = nil
	for _, k := range []string{"C-1", "C-2", "C-3", "C-4", "C-5"} {
		accts = append(accts, keyed{"Composite " + k, k})
	}
	res, err = sf.InsertComposite("Account", accts, 2, true)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 5 {
		t.Fatalf("InsertComposite: %+v %v", res, err)
	}
	created = ids(res)
	upd = nil
	for _, id := range created {
		upd = append(upd, industry{id, "Biotechnology"})
	}
	if res, err := sf.UpdateComposite("Account", upd, 2, true); err != nil || res.HasSalesforceErrors {
		t.Fatalf("UpdateComposite: %+v %v", res, err)
	}
	res, err = sf.UpsertComposite("Account", "Legacy_Key__c", []keyed{{"Renamed C-1", "C-1"}, {"Composite C-6", "C-6"}}, 1, true)
	if err != nil || res.HasSalesforceErrors || len(res.Results) != 2 {
		t.Fatalf("UpsertComposite: %+v %v", res, err)
	}
	if n := count("SELECT Id FROM Account WHERE Legacy_Key__c LIKE 'C-%'"); n != 6 {
		t.Errorf("after UpsertComposite %d C- accounts, want 6", n)
	}
	before := o.Data.Count(o.Schema.Object("Account"))
	// All or none: one bad record in the second subrequest rolls back the first.
	bad := []keyed{{"Good 1", "G-1"}, {"Good 2", "G-2"}, {"", "G-3"}}
	if res, err := sf.InsertComposite("Account", bad, 2, true); err == nil && !res.HasSalesforceErrors {
		t.Errorf("InsertComposite with a nameless account: %+v", res)
	}
	if after := o.Data.Count(o.Schema.Object("Account")); after != before {
		t.Errorf("an all-or-none InsertComposite that failed left %d accounts, want %d", after, before)
	}
	created = append(created, res.Results[1].Id)
	del = nil
	for _, id := range created {
		del = append(del, idOnly{id})
	}
	if res, err := sf.DeleteComposite("Account", del, 2, true); err != nil || res.HasSalesforceErrors || len(res.Results) != 6 {
		t.Fatalf("DeleteComposite: %+v %v", res, err)
	}
	if n := count("SELECT Id FROM Account WHERE Legacy_Key__c != null"); n != 0 {
		t.Errorf("after DeleteComposite %d keyed accounts, want 0", n)
	}
}
