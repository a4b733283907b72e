package httplimit

import (
	"net"
	"sync"
	"sync/atomic"
)

// MaxConnectionsCeiling bounds the default connection cap, however many
// files the process may open: each open connection holds a goroutine and
// its buffers (about 16 KiB at rest).
const MaxConnectionsCeiling = 4096

// DefaultMaxConnections is the cap a server takes unless told otherwise:
// three quarters of the process's open-file limit (the rest is for the
// fixtures, certificates, the data dir and outbound connections), at least
// 16, at most MaxConnectionsCeiling. Salesforce documents no such bound
// for its servers; this one keeps sfemu from running out of file
// descriptors however many clients connect and sit idle.
func DefaultMaxConnections() int {
	return min(max(openFileLimit()*3/4, 16), MaxConnectionsCeiling)
}

// Capacity caps the connections open at once across the listeners it
// wraps (a server's http and https ones share the process's descriptors):
// past the cap, Accept waits until one closes, and the clients beyond wait
// in the kernel's accept queue (where they hold no descriptor of the
// process) instead of being refused. Each wait is counted as at capacity.
type Capacity struct {
	slots chan struct{}
	c     *Counters
}

// NewCapacity is a cap of n connections (n <= 0: DefaultMaxConnections()),
// its waits counted in c (nil: none).
func NewCapacity(n int, c *Counters) *Capacity {
	if n <= 0 {
		n = DefaultMaxConnections()
	}
	return &Capacity{slots: make(chan struct{}, n), c: c}
}

// Max is the cap.
func (k *Capacity) Max() int { return cap(k.slots) }

// Listen wraps ln so that its connections take the cap's slots.
func (k *Capacity) Listen(ln net.Listener) net.Listener {
	return &cappedListener{Listener: ln, slots: k.slots, c: k.c, closed: make(chan struct{})}
}

type cappedListener struct {
	net.Listener
	slots     chan struct{}
	c         *Counters
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *cappedListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		if l.c != nil {
			l.c.atCapacity.Add(1)
		}
		select {
		case l.slots <- struct{}{}:
		case <-l.closed:
			return nil, net.ErrClosed
		}
	}
	conn, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &cappedConn{Conn: conn, release: func() { <-l.slots }}, nil
}

// Close stops a waiting Accept too.
func (l *cappedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// cappedConn gives its slot back when it is closed, once.
type cappedConn struct {
	net.Conn
	released atomic.Bool
	release  func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	if c.released.CompareAndSwap(false, true) {
		c.release()
	}
	return err
}
