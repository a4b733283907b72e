package httplimit

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestCapacityMakesTheClientBeyondWaitNotFail: with a cap of two, two idle
// keep-alive connections hold both slots; a third client is neither
// refused nor answered until one of them closes, then it is answered, and
// its wait is counted.
func TestCapacityMakesTheClientBeyondWaitNotFail(t *testing.T) {
	c := &Counters{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	Configure(srv.Config, Defaults(), c)
	srv.Listener = c.Listen(NewCapacity(2, c).Listen(srv.Listener))
	srv.Start()
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	// get sends one request on conn and reads its answer's status line.
	get := func(conn net.Conn, r *bufio.Reader) error {
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	var held []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := get(conn, bufio.NewReader(conn)); err != nil {
			t.Fatal(err)
		}
		held = append(held, conn) // kept alive, idle: it holds its slot
	}
	third, err := net.Dial("tcp", addr) // the kernel accepts it; the server does not yet
	if err != nil {
		t.Fatalf("the third client was refused: %v", err)
	}
	defer third.Close()
	answered := make(chan error, 1)
	go func() { answered <- get(third, bufio.NewReader(third)) }()
	select {
	case err := <-answered:
		t.Fatalf("the third client was served past the cap of two (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	held[0].Close()
	select {
	case err := <-answered:
		if err != nil {
			t.Fatalf("the third client, once a slot was free: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the third client was still waiting 10 s after a slot was freed")
	}
	if n := c.Snapshot().AtCapacity; n < 1 {
		t.Errorf("at_capacity %d, want the wait counted", n)
	}
}

func TestDefaultMaxConnectionsFollowsTheFileLimit(t *testing.T) {
	n := DefaultMaxConnections()
	if n < 16 || n > MaxConnectionsCeiling || n > max(openFileLimit()*3/4, 16) {
		t.Errorf("DefaultMaxConnections() = %d with an open-file limit of %d", n, openFileLimit())
	}
}
