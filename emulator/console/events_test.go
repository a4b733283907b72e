package console

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sfemu/sfemu/wire"
)

// busyWatcher changes all the time.
type busyWatcher struct {
	mu sync.Mutex
	n  uint64
}

func (b *busyWatcher) Changes() (wire.Changes, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n++
	ch := make(chan struct{})
	close(ch)
	return wire.Changes{Requests: b.n}, ch
}

// stuckWriter is a client that stopped reading: after the first writes,
// a write blocks until its deadline passes, then fails, as a socket's does.
type stuckWriter struct {
	header   http.Header
	mu       sync.Mutex
	deadline time.Time
	writes   int
}

func (w *stuckWriter) Header() http.Header { return w.header }
func (w *stuckWriter) WriteHeader(int)     {}
func (w *stuckWriter) Flush()              {}
func (w *stuckWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	w.deadline = t
	w.mu.Unlock()
	return nil
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	n, deadline := w.writes, w.deadline
	w.mu.Unlock()
	if n <= 2 {
		return len(p), nil
	}
	time.Sleep(time.Until(deadline))
	return 0, errors.New("i/o timeout")
}

// TestASlowClientIsDropped: a stream whose client stops reading ends
// after the write timeout instead of waiting, or queueing, for ever.
func TestASlowClientIsDropped(t *testing.T) {
	was := writeTimeout
	writeTimeout = 50 * time.Millisecond
	t.Cleanup(func() { writeTimeout = was })
	c := New(Config{Control: nil, Watcher: &busyWatcher{}})
	w := &stuckWriter{header: http.Header{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.events(w, httptest.NewRequest(http.MethodGet, Prefix+"/events", nil))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream kept a client that does not read")
	}
	if w.writes != 3 {
		t.Errorf("%d writes; want the retry line, one event, then the write that timed out", w.writes)
	}
	if c.streams.open != 0 {
		t.Errorf("%d streams still counted open", c.streams.open)
	}
}
