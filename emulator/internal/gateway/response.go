package gateway

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Response is what a handler answers: a status, headers and an encoded
// body. The surface packages build them (JSON, XML, text).
type Response struct {
	Status      int
	ContentType string
	Header      http.Header
	Body        []byte
	// Release, when set, is called once Body has been written to the
	// client and journaled (the journal keeps a copy), after which its
	// buffer may be reused: a query page's half megabyte is taken from a
	// pool instead of allocated for each page. A sub-request of a
	// composite call, whose body is kept in the composite answer, is
	// never released.
	Release func()
}

// Bytes is a response with an already encoded body.
func Bytes(status int, contentType string, body []byte) Response {
	return Response{Status: status, ContentType: contentType, Body: body}
}

// JSONContentType is what Salesforce's JSON answers carry.
const JSONContentType = "application/json;charset=UTF-8"

// JSON is a response of v encoded with encoding/json.
func JSON(status int, v any) (Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Response{}, err
	}
	return Bytes(status, JSONContentType, body), nil
}

// NoContent is a 204.
func NoContent() Response { return Response{Status: http.StatusNoContent} }

// SetHeader sets a response header.
func (r *Response) SetHeader(key, value string) {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set(key, value)
}

func (r Response) write(w http.ResponseWriter) {
	for k, v := range r.Header {
		w.Header()[k] = v
	}
	if r.ContentType != "" {
		w.Header().Set("Content-Type", r.ContentType)
	}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	w.WriteHeader(r.Status)
	if len(r.Body) > 0 {
		_, _ = w.Write(r.Body)
	}
}

// BodyError is a request body that could not be read: over the limit, or
// a compressed body that does not decompress.
type BodyError struct {
	// TooLarge is set when the body (decompressed) is over Limit bytes.
	TooLarge bool
	Limit    int64
	Err      error
}

func (e *BodyError) Error() string {
	if e.TooLarge {
		return fmt.Sprintf("request body over %d bytes", e.Limit)
	}
	return "request body: " + e.Err.Error()
}

func (e *BodyError) Unwrap() error { return e.Err }

// Body reads the request body once, at most limit bytes after
// decompression. A body sent with Content-Encoding: gzip or deflate (as SOAP
// clients and some REST clients send it) is decompressed; the limit applies
// to what it expands to, so a small bomb cannot grow memory past it: reading
// stops at limit+1 decompressed bytes. Errors are *BodyError.
func (c *Call) Body(limit int64) ([]byte, error) {
	if c.read {
		return c.body, c.bErr
	}
	c.read = true
	c.body, c.bErr = readBody(c.Request, limit)
	return c.body, c.bErr
}

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var src io.Reader = r.Body
	encoding := ""
	// The compressed stream may be a little larger than what it expands to
	// (data that does not compress); its own bound only stops a stream of
	// empty members from being read for ever.
	compressed := func() io.Reader { return io.LimitReader(r.Body, 2*limit+64<<10) }
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if r.ContentLength > limit {
			return nil, &BodyError{TooLarge: true, Limit: limit}
		}
	case "gzip", "x-gzip":
		encoding = "gzip"
		zr, err := gzip.NewReader(compressed())
		if err != nil {
			return nil, &BodyError{Err: fmt.Errorf("Content-Encoding gzip: %v", err)}
		}
		defer zr.Close()
		src = zr
	case "deflate":
		encoding = "deflate"
		zr, err := deflateReader(compressed())
		if err != nil {
			return nil, &BodyError{Err: fmt.Errorf("Content-Encoding deflate: %v", err)}
		}
		defer zr.Close()
		src = zr
	default:
		return nil, &BodyError{Err: fmt.Errorf("Content-Encoding %q is not supported (send gzip, deflate or none)", enc)}
	}
	size := int64(0) // what the body is said to hold, if it will be read as it is
	if encoding == "" && r.ContentLength > 0 {
		size = r.ContentLength
	}
	data, err := readAll(io.LimitReader(src, limit+1), size)
	if err != nil {
		if encoding != "" && decompressionFailed(err) {
			return nil, &BodyError{Err: fmt.Errorf("Content-Encoding %s: %v", encoding, err)}
		}
		return nil, &BodyError{Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &BodyError{TooLarge: true, Limit: limit}
	}
	return data, nil
}

// readAll is io.ReadAll into a buffer of size+1 bytes to start with (one
// more than the body's Content-Length, for the read that meets its end):
// a large upload is read without growing its buffer.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 1<<30 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than it said: grow as io.ReadAll does
		}
	}
}

// deflateReader reads HTTP's deflate: a zlib stream (RFC 9110), or the raw
// deflate data some clients send under that name.
func deflateReader(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && len(head) == 0 {
		return nil, fmt.Errorf("empty body: %w", io.ErrUnexpectedEOF)
	}
	if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// decompressionFailed tells a body that does not decompress from a
// connection that failed.
func decompressionFailed(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.As(err, &corrupt) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) || errors.Is(err, zlib.ErrDictionary) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// compressed gzips an answer when the client asked for it (Accept-Encoding:
// gzip), as Salesforce does on every API, unless the surface already
// encoded it.
func compressed(r *http.Request, resp Response) Response {
	if len(resp.Body) == 0 || resp.Header.Get("Content-Encoding") != "" || !AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		return resp
	}
	var buf bytes.Buffer
	buf.Grow(len(resp.Body)/4 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, _ = zw.Write(resp.Body)
	_ = zw.Close()
	zw.Reset(io.Discard) // drop the reference to buf before pooling
	gzipWriters.Put(zw)
	resp.Body = buf.Bytes()
	resp.SetHeader("Content-Encoding", "gzip")
	resp.SetHeader("Vary", "Accept-Encoding")
	return resp
}

// gzipWriters are reused: a gzip.Writer allocates about a megabyte of
// compressor state, which per response would dominate a small answer's cost.
// The fastest level: compressing must not cost more than the network time
// it saves a client on the same machine.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// AcceptsGzip reports whether an Accept-Encoding header takes gzip (not
// with q=0).
func AcceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			q = strings.ReplaceAll(q, " ", "")
			if v, ok := strings.CutPrefix(strings.ToLower(q), "q="); ok {
				f, err := strconv.ParseFloat(v, 64)
				return err != nil || f > 0
			}
			return true
		}
	}
	return false
}
