package harness

import (
	"context"
	"strings"
	"testing"
)

// TestReadyLineIsLookedForInTheNewStartsOutput: a receiver restarted by a
// scenario (receiver: stop, start) is ready when its new start prints the
// ready line — the first start's line is still in the log, and must not
// count — also once the log has dropped old lines.
func TestReadyLineIsLookedForInTheNewStartsOutput(t *testing.T) {
	b := newTailBuffer(3)
	b.Write([]byte("booting\nmsg=listening\n"))
	mark := b.mark()
	if strings.Contains(b.since(mark), "msg=listening") {
		t.Fatalf("the first start's ready line counts for the second: %q", b.since(mark))
	}
	b.Write([]byte("booting again\nmsg=list"))
	if strings.Contains(b.since(mark), "msg=listening") {
		t.Fatalf("half a line counts: %q", b.since(mark))
	}
	b.Write([]byte("ening\nmore\nand more\nand more still\n"))
	if !strings.Contains(b.all(), "and more still") || strings.Contains(b.all(), "msg=listening") {
		t.Fatalf("the buffer keeps the wrong lines: %q", b.all())
	}
	b2 := newTailBuffer(10)
	m2 := b2.mark()
	b2.Write([]byte("msg=listening\n"))
	if !strings.Contains(b2.since(m2), "msg=listening") {
		t.Fatalf("the new start's ready line is missed: %q", b2.since(m2))
	}
}

// TestProcessReceiverRestartedWaitsForItsReadyLine runs the receiver-down
// story (a stop, then a start) with readiness by log line.
func TestProcessReceiverRestartedWaitsForItsReadyLine(t *testing.T) {
	results, err := Run(context.Background(), Options{Receiver: &ReceiverSpec{Ready: "log:msg=listening"}}, "../scenarios/delivery/receiver-down-then-back.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %s\n%s", r.Name(), r.Outcome, r.Failure)
		}
	}
}
