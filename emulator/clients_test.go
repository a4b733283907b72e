package emulator_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	salesforce "github.com/k-capehart/go-salesforce/v3"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
)

// TestGoSalesforceClient drives the emulator with an independent, widely
// used Go client (github.com/k-capehart/go-salesforce): JWT bearer login
// (it sends exp as a string of digits), a query paged through
// nextRecordsUrl (it strips a hard-coded /services/data/v63.0 and starts
// from /query/?q= with a trailing slash), and a create.
func TestGoSalesforceClient(t *testing.T) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()

	o := emu.Store().Orgs()[0]
	acct := o.Schema.Object("Account")
	for i := 0; i < 2100; i++ {
		if _, errs := o.Data.Insert(acct, map[string]any{"Name": fmt.Sprintf("Imported %04d", i)}, o.Users[0], time.Now(), org.DMLOptions{}); errs != nil {
			t.Fatal(errs)
		}
	}
	key, err := os.ReadFile("../" + fixtures.DefaultKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := salesforce.Init(salesforce.Creds{
		Domain:         srv.URL,
		Username:       fixtures.DefaultUsername,
		ConsumerKey:    fixtures.DefaultConsumerKey,
		ConsumerRSAPem: string(key),
	})
	if err != nil {
		t.Fatalf("JWT login through go-salesforce: %v", err)
	}

	type account struct {
		Id   string
		Name string
	}
	var accounts []account
	if err := sf.Query("SELECT Id, Name FROM Account", &accounts); err != nil {
		t.Fatalf("query: %v", err)
	}
	if len(accounts) != 2103 {
		t.Errorf("paged query returned %d accounts, want 2103 (3 fixture + 2100 imported)", len(accounts))
	}

	type lead struct {
		LastName string
		Company  string
	}
	res, err := sf.InsertOne("Lead", lead{LastName: "Doe", Company: "Example Inc."})
	if err != nil || !res.Success || len(res.Id) != 18 {
		t.Fatalf("create: %+v %v", res, err)
	}
	var leads []struct{ Id, Company, Status string }
	if err := sf.Query("SELECT Id, Company, Status FROM Lead WHERE Id = '"+res.Id+"'", &leads); err != nil || len(leads) != 1 ||
		leads[0].Company != "Example Inc." || leads[0].Status != "Open - Not Contacted" {
		t.Errorf("read back the created lead: %+v %v", leads, err)
	}
	if _, err := sf.InsertOne("Lead", lead{LastName: "NoCompany"}); err == nil {
		t.Error("a Lead without Company was created; want REQUIRED_FIELD_MISSING")
	}
}
