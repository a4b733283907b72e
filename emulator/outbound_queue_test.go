package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfemu/sfemu/emulator"
	"github.com/sfemu/sfemu/emulator/org"
	"github.com/sfemu/sfemu/emulator/outbound"
	"github.com/sfemu/sfemu/wire"
)

// savesFixture sends Account_Saved on every Account save to an endpoint
// nothing listens at, so notifications stay queued.
const savesFixture = `
org: {name: Acme}
users: [{username: admin@acme.example, profile: System Administrator}]
records:
  Account: [{Name: Edge Communications}]
outbound_messages:
  - name: Account_Saved
    object: Account
    endpoint_url: http://127.0.0.1:1024/outbound
    user_to_send_as: admin@acme.example
    rule: {when: created_or_edited}
`

func startWithQueueLimit(t *testing.T, limit int) (*emulator.Emulator, *httptest.Server, string) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{
		Orgs:         []org.Source{{Name: "acme.yaml", Data: []byte(savesFixture)}},
		Clock:        emulator.VirtualClock,
		VirtualStart: virtualStart,
		Outbound:     outbound.Settings{QueueLimit: limit},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	token := emu.Store().Sessions.Open(emu.Store().User("admin@acme.example"), nil, time.Hour, false).Token
	return emu, srv, token
}

func queueEntries(t *testing.T, srv *httptest.Server) []wire.QueueEntry {
	t.Helper()
	_, body := doJSON(t, "GET", srv.URL+"/_sfemu/outbound/queue?all=true", "", "")
	var q []wire.QueueEntry
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		t.Fatalf("queue: %s", body)
	}
	return q
}

// TestAFullQueueKeepsTheSaveAndSaysWhatItDropped: with the org's queue at
// its limit, a REST create that fires a rule succeeds; its notification
// is not queued but listed as dropped with the reason; a control-API send
// answers 429 with a JSON error naming the org and the limit.
func TestAFullQueueKeepsTheSaveAndSaysWhatItDropped(t *testing.T) {
	_, srv, token := startWithQueueLimit(t, 1)
	for _, name := range []string{"First", "Second"} {
		if code, body := doJSON(t, "POST", srv.URL+"/services/data/v60.0/sobjects/Account", token, `{"Name":"`+name+`"}`); code != 201 {
			t.Fatalf("create %s with the queue full: %d %s (the save must stand)", name, code, body)
		}
	}
	var pending, dropped []wire.QueueEntry
	for _, e := range queueEntries(t, srv) {
		switch e.State {
		case wire.Dropped:
			dropped = append(dropped, e)
		default:
			pending = append(pending, e)
		}
	}
	if len(pending) != 1 || len(dropped) != 1 || !strings.Contains(dropped[0].DeliveryFailureReason, `not queued: org "Acme" had 1 outbound notifications waiting`) {
		t.Fatalf("queue: pending %+v, dropped %+v", pending, dropped)
	}
	code, body := doJSON(t, "POST", srv.URL+"/_sfemu/outbound/Account_Saved/send", "", `{"where":"Name != null"}`)
	var e wire.Error
	if code != http.StatusTooManyRequests || json.Unmarshal([]byte(body), &e) != nil ||
		!strings.Contains(e.Message, `org "Acme"`) || !strings.Contains(e.Message, "holds at most 1") || !strings.Contains(e.Message, "none of the 3 notifications was queued") {
		t.Errorf("send to a full queue: %d %s", code, body)
	}
	if n := len(queueEntries(t, srv)); n != 2 {
		t.Errorf("%d queue entries after the refused send, want the same 2", n)
	}
}
