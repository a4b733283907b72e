package harness

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePortsAreOutsideTheKernelsRange: a port handed to a receiver is
// not one the kernel would give the next bind(0) or outgoing connection,
// can be listened on, and is not handed out twice.
func TestFreePortsAreOutsideTheKernelsRange(t *testing.T) {
	low, _ := ephemeralRange()
	seen := map[int]bool{}
	for range 200 {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if low-portFloor >= 1000 && (p < portFloor || p >= low) {
			t.Fatalf("port %d is inside the kernel's ephemeral range (from %d)", p, low)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	p, _ := freePort()
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("the port handed out cannot be listened on: %v", err)
	}
	l.Close()
}
