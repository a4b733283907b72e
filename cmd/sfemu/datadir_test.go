package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/sfemu/sfemu/control"
	"github.com/sfemu/sfemu/wire"
)

// TestDataDirSurvivesKill9: sfemu serve --data-dir, killed with SIGKILL
// right after answering, comes back on the same dir with every record it
// acknowledged and every notification it queued, pending with its
// attempts; the Notification Ids it issues next are new.
func TestDataDirSurvivesKill9(t *testing.T) {
	const records, notifications = 40, 50
	dir := t.TempDir()
	// Port 1024 on loopback: nothing listens, every attempt fails at once.
	args := []string{"serve", "--listen", "127.0.0.1:0", "--log", "off", "--clock", "virtual", "--data-dir", dir, "--endpoint", "http://127.0.0.1:1024/outbound"}
	ctx := context.Background()

	base, cmd := startSFEMU(t, args...)
	c := control.New(base)
	var made []string
	for i := range records {
		rec, err := c.CreateRecord(ctx, "Default", wire.CreateRecord{Object: "Account", Fields: map[string]any{"Name": fmt.Sprintf("Kill-9 %02d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, rec.ID)
	}
	sent, err := c.SendOutbound(ctx, "Account_Changed", wire.Send{Records: made})
	if err != nil {
		t.Fatal(err)
	}
	more, err := c.SendOutbound(ctx, "Account_Changed", wire.Send{Records: made[:notifications-len(sent.Notifications)]})
	if err != nil {
		t.Fatal(err)
	}
	ids := append(sent.Notifications, more.Notifications...)
	if err := c.Idle(ctx); err != nil { // each has had its first attempt, failed
		t.Fatal(err)
	}
	before, err := c.Queue(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	base, _ = asSFEMU(t, args...)
	c = control.New(base)
	rows, err := c.Query(ctx, "Default", "SELECT Id FROM Account WHERE Name LIKE 'Kill-9 %'")
	if err != nil {
		t.Fatal(err)
	}
	if rows.TotalSize != records {
		t.Errorf("%d of the %d acknowledged Accounts after kill -9 and restart", rows.TotalSize, records)
	}
	after, err := c.Queue(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	attempts := map[string]int{}
	for _, q := range before {
		attempts[q.ID] = q.Attempts
	}
	kept := 0
	for _, q := range after {
		if q.State != wire.Pending && q.State != wire.InFlight {
			t.Errorf("notification %s is %s after the restart", q.ID, q.State)
		}
		if want, ok := attempts[q.ID]; ok {
			kept++
			if q.Attempts < want || q.Attempts == 0 {
				t.Errorf("notification %s: %d attempts after the restart, %d before", q.ID, q.Attempts, want)
			}
		}
	}
	if kept != notifications || len(before) != notifications {
		t.Errorf("%d notifications queued before kill -9, %d of them after the restart; want %d", len(before), kept, notifications)
	}
	next, err := c.SendOutbound(ctx, "Account_Changed", wire.Send{Records: made[:1]})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range next.Notifications {
		if slices.Contains(ids, id) || id <= slices.Max(ids) {
			t.Errorf("Notification Id %s after the restart is not past the %d issued before (up to %s)", id, len(ids), slices.Max(ids))
		}
	}
}
