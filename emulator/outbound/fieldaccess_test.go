package outbound

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sfemu/sfemu/emulator/clock"
	"github.com/sfemu/sfemu/emulator/org"
)

// TestNotificationsLeaveOutFieldsTheSendAsUserCannotSee: the message
// selects Name, Industry and Site; its user's profile hides Industry and
// makes Site read only, so the notification carries Name and Site.
func TestNotificationsLeaveOutFieldsTheSendAsUserCannotSee(t *testing.T) {
	rc := newReceiver(t, acking)
	clk := clock.NewVirtual(sendNow)
	store, err := org.NewStore(clk, org.Source{Name: "acme.yaml", Data: []byte(fmt.Sprintf(`
org: {name: Acme}
profiles:
  - {name: Integration, field_permissions: {Account.Industry: none, Account.Site: read}}
users: [{username: sender@acme.example, profile: Integration}]
records:
  Account:
    - {Name: Edge Communications, Industry: Energy, Site: HQ}
outbound_messages:
  - {name: Account_Changed, object: Account, fields: [Name, Industry, Site], endpoint_url: "%s", user_to_send_as: sender@acme.example, api_version: "60.0"}
`, rc.srv.URL))})
	if err != nil {
		t.Fatal(err)
	}
	d := New(Config{Store: store, Clock: clk, Virtual: clk, BaseURL: func() string { return "https://acme.my.salesforce.com" }})
	t.Cleanup(d.Close)
	f := &fixture{store: store, org: store.Orgs()[0], clock: clk, d: d}
	f.send(t, f.accounts()...)
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	body := got[0].body
	if strings.Contains(body, "Industry") {
		t.Errorf("the notification carries a field its user cannot see:\n%s", body)
	}
	if !strings.Contains(body, "<sf:Name>Edge Communications</sf:Name>") || !strings.Contains(body, "<sf:Site>HQ</sf:Site>") {
		t.Errorf("the notification lacks the visible fields:\n%s", body)
	}
}
