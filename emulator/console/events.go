package console

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Live-update stream timings. A stream sends the change counters when it
// opens and after each change, at most once per throttle; a comment line
// every heartbeat lets a dead client be noticed; a write that takes longer
// than writeTimeout drops the client (a slow reader is not buffered for).
var (
	throttle     = 200 * time.Millisecond
	heartbeat    = 15 * time.Second
	writeTimeout = 5 * time.Second
)

// events is GET /_sfemu/ui/events: a Server-Sent Events stream of
// "changes" events, each the wire.Changes counters as JSON, so a page
// fetches again the sections whose topics moved. It ends when the client
// goes, when the console closes, and when the server it is served by shuts
// down (http.Server.Shutdown does not wait for it).
func (c *Console) events(w http.ResponseWriter, r *http.Request) {
	if c.watcher == nil {
		http.Error(w, "live updates need the emulator's change feed, which this console was not given", http.StatusNotFound)
		return
	}
	shutdown, ok := c.streams.acquire(r)
	if !ok {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "too many live-update streams are open; the page retries", http.StatusServiceUnavailable)
		return
	}
	defer c.streams.release()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every writer has deadlines
		if _, err := io.WriteString(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	// The browser reconnects by itself after this long, should the stream end.
	if !write("retry: 2000\n\n") {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	sent := false
	var last []byte
	for {
		now, next := c.watcher.Changes()
		data, _ := json.Marshal(now)
		if !sent || string(data) != string(last) {
			if !write("event: changes\ndata: " + string(data) + "\n\n") {
				return
			}
			sent, last = true, data
		}
		select {
		case <-next:
			// Let a burst of changes (a retry storm, a load test) become
			// one event.
			t := time.NewTimer(throttle)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-c.streams.done:
				t.Stop()
				return
			case <-shutdown:
				t.Stop()
				return
			}
		case <-beat.C:
			if !write(": still here\n\n") {
				return
			}
		case <-r.Context().Done():
			return
		case <-c.streams.done:
			return
		case <-shutdown:
			return
		}
	}
}

// acquire admits one more stream, and returns a channel closed when the
// server serving r shuts down (never, for a server of unknown kind).
func (s *streams) acquire(r *http.Request) (<-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.open >= s.max {
		return nil, false
	}
	s.open++
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil {
		return nil, true
	}
	ch, ok := s.servers[srv]
	if !ok {
		ch = make(chan struct{})
		s.servers[srv] = ch
		srv.RegisterOnShutdown(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			close(ch)
			delete(s.servers, srv)
		})
	}
	return ch, true
}

func (s *streams) release() {
	s.mu.Lock()
	s.open--
	s.mu.Unlock()
}

// close ends every stream and refuses new ones.
func (s *streams) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}
