package emulator_test

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	salesforce "github.com/k-capehart/go-salesforce/v3"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/fixtures"
)

// goSalesforceOnDefaultOrg serves the default org with one more Account
// field (YAML under Account's fields:, e.g. "Legacy_Key__c: {type: text,
// external_id: true, length: 40}") and logs go-salesforce in as the send
// user with JWT bearer, as the client tests of its collection, composite and
// bulk calls need.
func goSalesforceOnDefaultOrg(t *testing.T, accountField string) (*emulator.Emulator, *salesforce.Salesforce) {
	t.Helper()
	const anchor = "      Receiver_Status__c: {type: text, length: 255}\n  Lead:"
	src := fixtures.DefaultOrg()
	if !strings.Contains(string(src.Data), anchor) {
		t.Fatal("the default org's Account fields moved: update goSalesforceOnDefaultOrg")
	}
	src.Data = []byte(strings.Replace(string(src.Data), anchor,
		"      Receiver_Status__c: {type: text, length: 255}\n      "+accountField+"\n  Lead:", 1))
	emu, err := emulator.New(emulator.Options{Orgs: []org.Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	key, err := os.ReadFile("../" + fixtures.DefaultKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := salesforce.Init(salesforce.Creds{Domain: srv.URL, Username: fixtures.DefaultUsername,
		ConsumerKey: fixtures.DefaultConsumerKey, ConsumerRSAPem: string(key)})
	if err != nil {
		t.Fatalf("JWT login through go-salesforce: %v", err)
	}
	return emu, sf
}
