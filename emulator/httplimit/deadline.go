package httplimit

import (
	"io"
	"net/http"
	"time"
)

// deadlineBody moves the connection's read deadline ReadTimeout ahead each
// time ChunkBytes more of the body arrive, and clears it at the body's end
// (net/http then reads on, to notice a client that goes: a deadline left
// set would end the request's context under a long answer).
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	owner   *deadlineWriter // knows whether the handler took the read deadline over
	chunk   int             // bytes read since the deadline last moved
	ended   bool
}

func (b *deadlineBody) extend() {
	if !b.owner.ownRead {
		_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.chunk += n; b.chunk >= ChunkBytes {
		b.chunk = 0
		b.extend()
	}
	if err == io.EOF && !b.ended {
		b.ended = true
		if !b.owner.ownRead {
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

// deadlineWriter gives each ChunkBytes of the response WriteTimeout to be
// written, writing larger writes a chunk at a time. A handler that sets a
// deadline itself (http.ResponseController finds SetWriteDeadline and
// SetReadDeadline here first) keeps it.
type deadlineWriter struct {
	http.ResponseWriter
	rc                *http.ResponseController
	timeout           time.Duration
	ownWrite, ownRead bool
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	if w.ownWrite || w.timeout <= 0 {
		return w.ResponseWriter.Write(p)
	}
	written := 0
	for len(p) > 0 {
		k := min(len(p), ChunkBytes)
		_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
		n, err := w.ResponseWriter.Write(p[:k])
		written += n
		if err != nil {
			return written, err
		}
		p = p[k:]
	}
	return written, nil
}

// SetWriteDeadline is the handler taking the write deadline over.
func (w *deadlineWriter) SetWriteDeadline(t time.Time) error {
	w.ownWrite = true
	return w.rc.SetWriteDeadline(t)
}

// SetReadDeadline is the handler taking the read deadline over.
func (w *deadlineWriter) SetReadDeadline(t time.Time) error {
	w.ownRead = true
	return w.rc.SetReadDeadline(t)
}

// Unwrap lets http.ResponseController reach Flush, Hijack and the rest.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
