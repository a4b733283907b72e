package emulator_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	salesforce "github.com/k-capehart/go-salesforce/v3"
	"github.com/simpleforce/simpleforce"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
	"github.com/sfemu/sfemu/wire"
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

// TestSimpleforceSOAPLogin drives the emulator with github.com/simpleforce/simpleforce,
// whose LoginPassword calls the Partner API's login() (API 54.0, its
// default) and then uses the returned serverUrl and sessionId on REST: the
// path of receivers that fell back to login() after the session ID went
// away. A password login works where login() is available, and the client
// reports the fault where it is retired (Summer '27).
func TestSimpleforceSOAPLogin(t *testing.T) {
	for _, release := range []string{"winter-27", "summer-27"} {
		t.Run(release, func(t *testing.T) {
			fixture := `
org: {name: Acme, release: ` + release + `}
profiles: [{name: Integration}]
users: [{username: sender@acme.example, profile: Integration, password: s3cret, security_token: TOKEN}]
records:
  Account: [{Name: Edge Communications, Industry: Energy}]
`
			emu, err := emulator.New(emulator.Options{Fixtures: []wire.Fixture{{Name: "acme.yaml", YAML: fixture}}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(emu)
			defer srv.Close()
			client := simpleforce.NewClient(srv.URL, simpleforce.DefaultClientID, simpleforce.DefaultAPIVersion)
			err = client.LoginPassword("sender@acme.example", "s3cret", "TOKEN")
			if release == "summer-27" {
				if err == nil || !strings.Contains(err.Error(), "INVALID_OPERATION") {
					t.Fatalf("login() after its retirement: %v, want the INVALID_OPERATION fault", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoginPassword: %v", err)
			}
			res, err := client.Query("SELECT Id, Name, Industry FROM Account")
			if err != nil || res.TotalSize != 1 || res.Records[0].StringField("Industry") != "Energy" {
				t.Fatalf("query with the login()'s session: %+v %v", res, err)
			}
		})
	}
}
