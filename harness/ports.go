package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// A receiver the harness starts binds the port it is given itself, so the
// port is picked free and handed over, and something else may take it in
// between. Asking the kernel for one (listen on :0, close) gave a port from
// its ephemeral range, which the kernel hands out again at once to any
// other bind(0) or outgoing connection — the run's own emulators and HTTP
// clients among them: in CI a Python receiver found its port taken
// ("[Errno 98] Address already in use"). So ports come from below the
// ephemeral range, where the kernel never assigns one by itself, and a
// process never hands out the same port twice in a row of recent ones.

// portFloor is the lowest port handed out.
const portFloor = 10000

var (
	portMu     sync.Mutex
	portRecent = map[int]bool{}
	portOrder  []int
)

// recentPorts is how many handed-out ports are kept from being handed
// out again.
const recentPorts = 4096

// freePort is a loopback port nothing listens on now, outside the kernel's
// ephemeral range.
func freePort() (int, error) {
	low, _ := ephemeralRange()
	if low-portFloor < 1000 {
		return kernelPort()
	}
	portMu.Lock()
	defer portMu.Unlock()
	for range 200 {
		p := portFloor + rand.IntN(low-portFloor)
		if portRecent[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		portRecent[p] = true
		portOrder = append(portOrder, p)
		if len(portOrder) > recentPorts {
			delete(portRecent, portOrder[0])
			portOrder = portOrder[1:]
		}
		return p, nil
	}
	return kernelPort()
}

// kernelPort asks the kernel for a free loopback port.
func kernelPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralRange is the kernel's range for ports it assigns itself
// (Linux's default when it cannot be read: 32768–60999).
var ephemeralRange = sync.OnceValues(func() (int, int) {
	low, high := 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return low, high
	}
	var l, h int
	if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &l, &h); err == nil && l > 0 && h >= l {
		return l, h
	}
	return low, high
})
