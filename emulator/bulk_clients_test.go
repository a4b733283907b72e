package emulator_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	salesforce "github.com/k-capehart/go-salesforce/v3"

	"github.com/sfemu/sfemu/emulator/org"
)

// TestGoSalesforceBulk drives Bulk API 2.0 with go-salesforce v3, unmodified,
// on the real clock: InsertBulk, UpdateBulk, UpsertBulk (external id),
// DeleteBulk, GetJobResults (its successful and failed records),
// QueryBulkExport (paged by Sforce-Locator) and QueryBulkIterator.
func TestGoSalesforceBulk(t *testing.T) {
	emu, sf := goSalesforceOnDefaultOrg(t, "External_Key__c: {type: text, external_id: true, length: 40}")
	o := emu.Store().Orgs()[0]
	acct := o.Schema.Object("Account")

	type account struct {
		Name            string
		External_Key__c string
	}
	var batch []account
	for i := range 2500 {
		batch = append(batch, account{Name: fmt.Sprintf("Bulk %04d", i), External_Key__c: fmt.Sprintf("K-%04d", i)})
	}
	ids, err := sf.InsertBulk("Account", batch, 1000, true)
	if err != nil || len(ids) != 3 {
		t.Fatalf("InsertBulk: %v %v", ids, err)
	}
	for _, id := range ids {
		res, err := sf.GetJobResults(id)
		if err != nil || res.State != "JobComplete" || res.NumberRecordsFailed != 0 || len(res.SuccessfulRecords) == 0 {
			// InsertBulk waits for the first job only; the others are done soon after.
			t.Logf("job %s: %+v %v", id, res.State, err)
		}
	}
	waitJobs(t, sf, ids)
	if n := o.Data.Count(acct); n != 3+2500 {
		t.Fatalf("%d accounts after InsertBulk, want %d", n, 3+2500)
	}
	res, err := sf.GetJobResults(ids[0])
	if err != nil || len(res.SuccessfulRecords) != 1000 || res.SuccessfulRecords[0]["sf__Created"] != "true" ||
		!strings.HasPrefix(res.SuccessfulRecords[0]["sf__Id"].(string), "001") {
		t.Fatalf("GetJobResults: %+v %v", res.SuccessfulRecords[:1], err)
	}

	// A record without its required Name fails alone.
	ids, err = sf.InsertBulk("Account", []account{{Name: "Fine"}, {External_Key__c: "NO-NAME"}}, 100, true)
	if err != nil {
		t.Fatalf("InsertBulk with a bad record: %v", err)
	}
	res, err = sf.GetJobResults(ids[0])
	if err != nil || res.NumberRecordsFailed != 1 || len(res.FailedRecords) != 1 ||
		res.FailedRecords[0]["sf__Error"] != "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --" {
		t.Fatalf("failed records: %+v %v", res, err)
	}

	// Update by Id, upsert by external id.
	var first []struct{ Id, Name string }
	if err := sf.Query("SELECT Id, Name FROM Account WHERE External_Key__c = 'K-0000'", &first); err != nil || len(first) != 1 {
		t.Fatalf("query: %v %v", first, err)
	}
	type update struct{ Id, Industry string }
	if ids, err = sf.UpdateBulk("Account", []update{{Id: first[0].Id, Industry: "Media"}}, 100, true); err != nil {
		t.Fatalf("UpdateBulk: %v", err)
	}
	type upsert struct{ External_Key__c, Name, Industry string }
	if ids, err = sf.UpsertBulk("Account", "External_Key__c", []upsert{{"K-0001", "Bulk 0001", "Energy"}, {"K-NEW", "New", "Retail"}}, 100, true); err != nil {
		t.Fatalf("UpsertBulk: %v", err)
	}
	res, _ = sf.GetJobResults(ids[0])
	if len(res.SuccessfulRecords) != 2 {
		t.Fatalf("upsert results: %+v", res)
	}
	created := map[string]any{}
	for _, r := range res.SuccessfulRecords {
		created[r["External_Key__c"].(string)] = r["sf__Created"]
	}
	if created["K-0001"] != "false" || created["K-NEW"] != "true" {
		t.Errorf("upsert sf__Created: %v", created)
	}
	if got := o.Data.Get(org.ID(first[0].Id)).GetName("Industry"); got != "Media" {
		t.Errorf("after UpdateBulk Industry is %v", got)
	}

	// Export the bulk records through a query job, paged by locator.
	path := filepath.Join(t.TempDir(), "accounts.csv")
	if err := sf.QueryBulkExport("SELECT Id, Name, Industry FROM Account WHERE External_Key__c != null ORDER BY External_Key__c", path); err != nil {
		t.Fatalf("QueryBulkExport: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 1+2500+1 || strings.Join(rows[0], ",") != "Id,Name,Industry" || rows[1][1] != "Bulk 0000" || rows[1][2] != "Media" {
		t.Fatalf("exported %d rows (%v): %v", len(rows), err, rows[:min(len(rows), 3)])
	}

	it, err := sf.QueryBulkIterator("SELECT Id, Name FROM Account WHERE Industry = 'Energy'")
	if err != nil {
		t.Fatalf("QueryBulkIterator: %v", err)
	}
	var energy []struct{ Id, Name string }
	for it.Next() {
		var page []struct{ Id, Name string }
		if err := it.Decode(&page); err != nil {
			t.Fatal(err)
		}
		energy = append(energy, page...)
	}
	if it.Error() != nil || len(energy) != 2 {
		t.Errorf("iterator: %v %v", energy, it.Error())
	}

	// Delete what InsertBulk made.
	var del []struct{ Id string }
	for _, r := range rows[1:] {
		del = append(del, struct{ Id string }{r[0]})
	}
	if ids, err = sf.DeleteBulk("Account", del, 10000, true); err != nil {
		t.Fatalf("DeleteBulk: %v", err)
	}
	if n := o.Data.Count(acct); n != 3+1 { // the fixture's three and "Fine"
		t.Errorf("%d accounts after DeleteBulk, want 4", n)
	}
}

// waitJobs polls until every job is done.
func waitJobs(t *testing.T, sf *salesforce.Salesforce, ids []string) {
	t.Helper()
	for _, id := range ids {
		for i := 0; ; i++ {
			res, err := sf.GetJobResults(id)
			if err != nil {
				t.Fatal(err)
			}
			if res.State == "JobComplete" {
				break
			}
			if i > 200 {
				t.Fatalf("job %s still %s", id, res.State)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestBulkJobOnTheVirtualClock: through the whole emulator, a closed job
// waits for the clock; /_sfemu/clock/advance returns once it has run; a
// reset drops the jobs; versions before 41.0 have no Bulk API 2.0.
func TestBulkJobOnTheVirtualClock(t *testing.T) {
	_, srv := startDefault(t)
	_, tok := defaultLogin(t, srv.URL, virtualStart.Add(3*time.Minute))
	access := tok["access_token"]
	base := srv.URL + "/services/data/v66.0/jobs/ingest"
	code, body := doJSON(t, "POST", base, access, `{"object":"Lead","operation":"insert"}`)
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	var job struct{ ID, State string }
	json.Unmarshal([]byte(body), &job)
	req, _ := http.NewRequest("PUT", base+"/"+job.ID+"/batches", strings.NewReader("LastName,Company\nDoe,Example Inc.\nNoCompany,\n"))
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Content-Type", "text/csv")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	if code, body := doJSON(t, "PATCH", base+"/"+job.ID, access, `{"state":"UploadComplete"}`); code != 200 {
		t.Fatalf("close: %d %s", code, body)
	}
	state := func() map[string]any {
		_, body := doJSON(t, "GET", base+"/"+job.ID, access, "")
		m := map[string]any{}
		json.Unmarshal([]byte(body), &m)
		return m
	}
	time.Sleep(150 * time.Millisecond) // real time passing does not move the virtual clock
	if s := state()["state"]; s != "UploadComplete" {
		t.Fatalf("before the clock moved: %v", s)
	}
	if code, body := doJSON(t, "POST", srv.URL+"/_sfemu/clock/advance", "", `{"by":"1s"}`); code != 200 {
		t.Fatalf("advance: %d %s", code, body)
	}
	if m := state(); m["state"] != "JobComplete" || m["numberRecordsProcessed"] != 2.0 || m["numberRecordsFailed"] != 1.0 {
		t.Fatalf("after advancing: %v", m)
	}
	if code, body := doJSON(t, "GET", srv.URL+"/services/data/v40.0/jobs/ingest", access, ""); code != 404 {
		t.Errorf("v40.0: %d %s", code, body)
	}
}
