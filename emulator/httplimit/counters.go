package httplimit

import (
	"errors"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/sfemu/sfemu/wire"
)

// Counters count the connections a server closed on one of its bounds,
// by which: headers too slow (or a TLS handshake), a body too slow, a
// response the client stopped taking, an idle keep-alive connection. They
// watch the connections of the listeners Listen wraps, in the states the
// server reports (Configure installs the hook). Each connection is
// counted once, for the first bound it met; HTTP/1.1 connections are told
// apart exactly, HTTP/2 ones (which multiplex requests) by their first
// timeout.
type Counters struct {
	slowHeaders, slowBodies, stalledResponses, idleClosed atomic.Uint64
	// atCapacity counts the times a Cap listener made a client wait.
	atCapacity atomic.Uint64
}

// Snapshot is the counts so far, as GET /_sfemu/health shows them.
func (c *Counters) Snapshot() wire.ConnectionCuts {
	return wire.ConnectionCuts{
		SlowHeaders:      c.slowHeaders.Load(),
		SlowBodies:       c.slowBodies.Load(),
		StalledResponses: c.stalledResponses.Load(),
		IdleClosed:       c.idleClosed.Load(),
		AtCapacity:       c.atCapacity.Load(),
	}
}

// Reset starts the counts again from zero: the harness's reused emulator
// server counts each scenario's on its own.
func (c *Counters) Reset() {
	c.slowHeaders.Store(0)
	c.slowBodies.Store(0)
	c.stalledResponses.Store(0)
	c.idleClosed.Store(0)
	c.atCapacity.Store(0)
}

// Listen wraps ln so that its connections are counted.
func (c *Counters) Listen(ln net.Listener) net.Listener { return countedListener{ln, c} }

type countedListener struct {
	net.Listener
	c *Counters
}

func (l countedListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: conn, c: l.c}, nil
}

// countedConn tells which bound a deadline that fires on it is: the
// server's state for the connection says what it was waiting for.
type countedConn struct {
	net.Conn
	c       *Counters
	state   atomic.Int32 // http.ConnState
	idleIn  atomic.Int64 // bytes read since the connection went idle
	counted atomic.Bool
	// responding: the answer to the current request has begun. A read
	// deadline that fires then is net/http's background read (it watches
	// for the client going away while the handler writes), not a slow
	// body: the write deadline, if it fires, says the client stalled.
	responding atomic.Bool
	// aborting: the read deadline was last set in the past, which is how
	// net/http ends its own pending read when a request is done: the
	// timeout that follows is no client's fault.
	aborting atomic.Bool
}

// SetReadDeadline notes a deadline set in the past (an abort).
func (cc *countedConn) SetReadDeadline(t time.Time) error {
	cc.aborting.Store(!t.IsZero() && t.Before(time.Now()))
	return cc.Conn.SetReadDeadline(t)
}

// SetDeadline is SetReadDeadline's note, and the write deadline.
func (cc *countedConn) SetDeadline(t time.Time) error {
	cc.aborting.Store(!t.IsZero() && t.Before(time.Now()))
	return cc.Conn.SetDeadline(t)
}

func (cc *countedConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.idleIn.Add(int64(n))
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && !cc.aborting.Load() &&
		!(http.ConnState(cc.state.Load()) == http.StateActive && cc.responding.Load()) && cc.counted.CompareAndSwap(false, true) {
		switch http.ConnState(cc.state.Load()) {
		case http.StateActive:
			cc.c.slowBodies.Add(1)
		case http.StateIdle:
			if cc.idleIn.Load() == 0 {
				cc.c.idleClosed.Add(1) // no byte of a next request: IdleTimeout
			} else {
				cc.c.slowHeaders.Add(1)
			}
		default:
			cc.c.slowHeaders.Add(1)
		}
	}
	return n, err
}

func (cc *countedConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	if n > 0 {
		cc.responding.Store(true)
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && cc.counted.CompareAndSwap(false, true) {
		cc.c.stalledResponses.Add(1)
	}
	return n, err
}

// connState follows the server's state of a counted connection (under a
// TLS connection, the one it wraps).
func (c *Counters) connState(conn net.Conn, s http.ConnState) {
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = tc.NetConn()
	}
	cc, ok := conn.(*countedConn)
	if !ok {
		return
	}
	if s == http.StateIdle {
		cc.idleIn.Store(0)
		cc.responding.Store(false)
	}
	cc.state.Store(int32(s))
}
