package sfemucontainer_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sfemu/sfemu/sfemucontainer"
)

// Start sfemu for a receiver's end-to-end test: build the image once (no
// registry is needed), serve your own org fixture on the virtual clock, point
// the receiver at BaseURL, then drive and inspect the emulator.
func ExampleRun() {
	ctx := context.Background()

	// Once per test run (e.g. in TestMain), from a checkout of sfemu; or build
	// it with docker (docs/CONTAINERS.md) and pass its tag to Run.
	img, err := sfemucontainer.BuildImage(ctx, "../sfemu", "sfemu:dev")
	if err != nil {
		log.Printf("build the sfemu image: %v", err)
		return
	}

	ctr, err := sfemucontainer.Run(ctx, img,
		sfemucontainer.WithFixture("testdata/acme.yaml"), // and the certificates it names
		sfemucontainer.WithVirtualClock(),
	)
	if err != nil { // Run removed the container already; err ends with sfemu's log
		log.Printf("start sfemu: %v", err)
		return
	}
	defer func() {
		if err := ctr.Terminate(ctx); err != nil {
			log.Printf("terminate sfemu: %v", err)
		}
	}()

	base, err := ctr.BaseURL(ctx)
	if err != nil {
		log.Printf("base URL: %v", err)
		return
	}
	// The receiver under test logs in at base+"/services/oauth2/token" and
	// calls the REST API under base+"/services/data/"; the control API is
	// under base+"/_sfemu/".
	fmt.Println("sfemu at", base)

	// Send an outbound message about a record, let a day pass on the
	// emulator's clock (every retry that falls due runs), and look.
	if _, err := ctr.Send(ctx, "Action_Message_V3", "001xx000003DGb2AAG"); err != nil {
		log.Printf("send: %v", err)
		return
	}
	if err := ctr.Advance(ctx, 24*time.Hour); err != nil {
		log.Printf("advance: %v", err)
		return
	}
	queue, _ := ctr.Queue(ctx)
	for _, q := range queue {
		fmt.Println(q.ID, q.State, q.Attempts, q.DeliveryFailureReason)
	}
	logins, _ := ctr.TokenRequests(ctx)
	for _, r := range logins {
		fmt.Println(r.Username, r.Status, r.Error, r.Reason)
	}

	// Between tests: back to the fixture's state.
	_ = ctr.Reset(ctx)
}
