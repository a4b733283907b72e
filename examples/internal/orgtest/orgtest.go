// Package orgtest reads an emulator's org for the bundled receivers'
// end-to-end tests, through the facade (wire.Control), failing the test on
// an error. The receivers themselves import nothing of sfemu; only their
// tests do.
package orgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sfemu/sfemu/internal/syncbuf"
	"github.com/sfemu/sfemu/wire"
)

// Org is one org of an emulator under test.
type Org struct {
	T   testing.TB
	Ctl wire.Control
	ID  string // the org's id, or its name
}

// Query runs SOQL in the org.
func (o Org) Query(soql string) []map[string]any {
	o.T.Helper()
	res, err := o.Ctl.Query(context.Background(), o.ID, soql)
	if err != nil {
		o.T.Fatalf("%s: %v", soql, err)
	}
	return res.Rows
}

// RecordID finds a record by its Name, or its LastName for a Lead.
func (o Org) RecordID(object, name string) string {
	o.T.Helper()
	field := "Name"
	if object == "Lead" {
		field = "LastName"
	}
	rows := o.Query(fmt.Sprintf("SELECT Id FROM %s WHERE %s = '%s'", object, field, name))
	if len(rows) == 0 {
		o.T.Fatalf("no %s named %q in the fixture", object, name)
	}
	return rows[0]["Id"].(string)
}

// Send queues message for the named records, waits until the deliveries
// it caused are over and returns the notification ids.
func (o Org) Send(message, object string, names ...string) []string {
	o.T.Helper()
	var ids []string
	for _, n := range names {
		ids = append(ids, o.RecordID(object, n))
	}
	sent, err := o.Ctl.SendOutbound(context.Background(), message, wire.Send{Records: ids})
	if err != nil {
		o.T.Fatal(err)
	}
	o.Idle()
	return sent.Notifications
}

// Idle waits until no delivery is in flight.
func (o Org) Idle() {
	o.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Ctl.Idle(ctx); err != nil {
		o.T.Fatalf("outbound queue never idle: %v", err)
	}
}

// Deliveries are the delivery attempts, oldest first.
func (o Org) Deliveries() []wire.Delivery {
	d, _ := o.Ctl.Deliveries(context.Background())
	return d
}

// LastDelivery is the latest attempt; the test fails when there is none.
func (o Org) LastDelivery() wire.Delivery {
	o.T.Helper()
	d := o.Deliveries()
	if len(d) == 0 {
		o.T.Fatal("no delivery attempt")
	}
	return d[len(d)-1]
}

// TokenRequests are the token endpoint's attempts, oldest first.
func (o Org) TokenRequests() []wire.TokenRequest {
	r, _ := o.Ctl.TokenRequests(context.Background())
	return r
}

// Log is a log sink safe for concurrent writers: a receiver's output.
type Log = syncbuf.Buffer
